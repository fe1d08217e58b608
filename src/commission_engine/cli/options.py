"""What the subcommands share: messages, rejections, safe output, argument types."""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from itertools import chain
from pathlib import Path
from typing import IO, Any, TextIO, TypeVar, cast

from ..domain.currencies import is_locale
from ..domain.errors import Rejection, printable
from ..domain.events import FIRST_DAY, LAST_DAY, in_range
from ..domain.money import shown
from ..domain.statements import last_day
from ..files import FileError
from ..files.extras import require
from ..files.many_files import EventFiles
from ..parallel.by_rep import cores
from ..parallel.dask_read import ClusterEvents

T = TypeVar("T")


#: The exit status when another close or ingest holds the ledger file.
BUSY = 3


def add_files(parser: argparse.ArgumentParser) -> None:
    """The ``PLAN_FILE EVENT_FILE`` positionals most subcommands take."""
    parser.add_argument("plan_file", metavar="PLAN_FILE", type=Path)
    parser.add_argument("event_file", metavar="EVENT_FILE", type=Path)


def add_through(parser: argparse.ArgumentParser) -> None:
    """``--through YYYY-MM-DD`` or ``YYYY-MM`` (that month's last day)."""
    parser.add_argument(
        "--through",
        metavar="YYYY-MM[-DD]",
        type=day_or_month,
        help="last day to compute; a month YYYY-MM means its last day "
        "(default: the latest event date)",
    )


def add_processes(parser: argparse.ArgumentParser, help: str) -> None:
    """``--processes N``, every core by default."""
    parser.add_argument("--processes", metavar="N", type=_processes, default=cores(), help=help)


def add_scheduler(parser: argparse.ArgumentParser) -> None:
    """``--scheduler ADDRESS``: compute on a Dask cluster (``local`` starts one here)."""
    parser.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="compute on the Dask cluster whose scheduler is at ADDRESS (tcp://host:8786), "
        "or on a cluster of this machine's cores started for the run with 'local' "
        "(needs the dask extra; docs/scaling.md)",
    )


#: How long to wait for a scheduler to answer.
SCHEDULER_TIMEOUT = "20s"


@contextlib.contextmanager
def cluster(address: str | None) -> Iterator[Any]:
    """A ``dask.distributed.Client`` of the cluster at ``address`` for the run, or ``None``
    without one. A scheduler that cannot be reached is a :class:`FileError` (exit status 2)."""
    if address is None:
        yield None
        return
    distributed = require("dask.distributed", "--scheduler", "dask")
    with contextlib.ExitStack() as stack:
        try:
            if address == "local":
                where = stack.enter_context(
                    distributed.LocalCluster(processes=True, dashboard_address=None)
                )
            else:
                where = address
            client = stack.enter_context(distributed.Client(where, timeout=SCHEDULER_TIMEOUT))
        except (OSError, TimeoutError, ValueError) as error:
            raise FileError(f"cannot reach the Dask scheduler at {address}: {error}") from None
        yield client


def add_output(parser: argparse.ArgumentParser, *, lenient: str) -> None:
    """``--format``, ``--lenient`` (with its subcommand's own help) and ``--locale``."""
    parser.add_argument(
        "--format", choices=("table", "json", "csv"), default="table", help="default: table"
    )
    parser.add_argument("--lenient", action="store_true", help=lenient)
    add_locale(parser, "how the table writes money, e.g. de_DE")


def add_locale(parser: argparse.ArgumentParser, what: str) -> None:
    """``--locale``, en_US by default."""
    parser.add_argument(
        "--locale", default="en_US", type=locale_name, help=f"{what} (default: en_US)"
    )


def with_events(events: Iterable[T], path: Path) -> Iterator[T]:
    """``events``, read from ``path``; a :class:`FileError` if the file holds none at all.

    An empty event file is far more often a broken export than a quiet month, so it is
    bad input (exit status 2), not "no statements". The first event is read now; of files
    read by a cluster's workers, they are asked whether they read any, and the events stay
    there.
    """
    if isinstance(events, ClusterEvents):
        if events.holds_any():
            return cast(Iterator[T], events)
        raise _no_events(path)
    iterator = iter(events)
    for first in iterator:
        if isinstance(iterator, EventFiles):  # kept, for compute to locate its rejections
            return cast(Iterator[T], iterator.put_back(first))  # type: ignore[arg-type]
        return chain((first,), iterator)
    raise _no_events(path)


def _no_events(path: Path) -> FileError:
    return FileError(
        f"{path} holds no events (it is empty, or holds only blank lines or a CSV header); "
        "nothing was computed"
    )


def say(prog: str, message: str) -> None:
    """A message for the person at the terminal, on stderr (control characters escaped)."""
    print(printable(f"{prog}: {message}", lines=True), file=sys.stderr)


def report_rejections(
    prog: str, event_file: Path, rejected: Mapping[str, Sequence[Rejection]]
) -> None:
    """Every rejected event on stderr; ``rejected`` maps a scenario name ("" for none) to them."""
    for name, rejections in rejected.items():
        under = f" (plan {name})" if name else ""
        for rejection in rejections:
            say(prog, f"{event_file}{under}: {rejection.message}")


def stopped_by_rejections(
    prog: str,
    args: argparse.Namespace,
    rejected: Mapping[str, Sequence[Rejection]],
    *,
    nothing_was: str,
    lenient_would: str,
    unlisted_in: Collection[str] = ("csv",),
) -> int | None:
    """What a command does with rejected events before it writes: exit status 1 without
    ``--lenient`` (each rejection, then "Nothing was ``nothing_was``" on stderr); with it,
    the rejections on stderr where the format (``unlisted_in``) has no place for them, and
    ``None``: go on. ``rejected`` maps a plan's name ("" for none) to its rejections."""
    rejected = {name: rejections for name, rejections in rejected.items() if rejections}
    if rejected and not args.lenient:
        report_rejections(prog, args.event_file, rejected)
        say(
            prog,
            f"Nothing was {nothing_was}: events were rejected. Correct them, or give --lenient "
            f"to {lenient_would}.",
        )
        return 1
    if rejected and args.format in unlisted_in:
        report_rejections(prog, args.event_file, rejected)
    return None


#: Output up to this many characters is rendered in memory before any of it is written;
#: beyond it, into an anonymous temporary file.
SPOOL_IN_MEMORY = 32 << 20
#: Output is copied out in pieces of this many characters.
_PIECE = 1 << 20


class Rendered:
    """Text rendered for :func:`deliver`, held as written: the strings themselves while under
    :data:`SPOOL_IN_MEMORY` characters, then in an anonymous temporary file.

    Held as strings, the text is neither encoded into a buffer nor decoded back (about a
    twentieth of writing a large JSON output). Each string is encoded once as it is written,
    as a UTF-8 file's ``write`` does, so that a text that cannot be is refused while the output
    is rendered, never part way through the copy; and :meth:`copy_to` writes the same pieces of
    1 MiB of characters that copying a file writes.
    """

    def __init__(self) -> None:
        self._parts: list[str] = []
        self._held = 0
        self._file: IO[str] | None = None

    def write(self, text: str) -> int:
        if self._file is not None:
            return self._file.write(text)
        if not text.isascii():
            text.encode()  # a lone surrogate (from a ``\ud800`` escape, say) is refused here
        self._parts.append(text)
        self._held += len(text)
        if self._held > SPOOL_IN_MEMORY:
            # (closed by close())
            self._file = tempfile.TemporaryFile(mode="w+", encoding="utf-8", newline="")  # noqa: SIM115
            self._file.writelines(self._parts)
            self._parts.clear()
        return len(text)

    def writelines(self, texts: Iterable[str]) -> None:
        for text in texts:
            self.write(text)

    def copy_to(self, out: TextIO) -> None:
        """Write the text held to ``out``, in pieces of :data:`_PIECE` characters."""
        if self._file is not None:
            self._file.seek(0)
            shutil.copyfileobj(self._file, out, _PIECE)
            return
        piece: list[str] = []
        room = _PIECE  # what the piece still takes
        for part in self._parts:
            start = 0
            while len(part) - start >= room:
                piece.append(part[start : start + room])
                out.write("".join(piece))
                piece.clear()
                start, room = start + room, _PIECE
            if start < len(part):
                piece.append(part[start:])  # (the string itself where it starts the part)
                room -= len(part) - start
        if piece:
            out.write("".join(piece))

    def close(self) -> None:
        self._parts.clear()
        if self._file is not None:
            self._file.close()

    def __enter__(self) -> Rendered:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def rendered(write: Callable[[TextIO], None]) -> Rendered:
    """The text ``write`` writes, held (in memory, or in a temporary file when large) for
    :func:`deliver`: a run that fails while its output is rendered writes nothing at all."""
    spool = Rendered()
    try:
        write(cast(TextIO, spool))
    except BaseException:
        spool.close()
        raise
    return spool


def deliver(prog: str, output: Rendered) -> int:
    """Copy :func:`rendered` output to stdout; the exit status (2 when stdout cannot be
    written)."""
    with output:
        try:
            output.copy_to(sys.stdout)
            sys.stdout.flush()
        except BrokenPipeError:
            # The reader stopped early (``| head``): say nothing, and keep Python quiet at exit.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return 2
        except OSError as error:
            say(prog, f"cannot write the output: {error.strerror or error}")
            return 2
    return 0


def write_safely(prog: str, write: Callable[[TextIO], None]) -> int:
    """Render with ``write``, then copy it all to stdout; the exit status (2 when stdout cannot
    be written). Nothing reaches stdout unless the whole output was rendered."""
    return deliver(prog, rendered(write))


def write_atomically(path: Path, write: Callable[[TextIO], None]) -> None:
    """Write ``path`` through ``write(out)``: into a temporary file in the same folder, then
    renamed over ``path``, so that ``path`` is never left half written, and an older
    ``path`` stays as it was when anything fails."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            write(out)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def iso_date(text: str) -> dt.date:
    """An argparse type: a date written YYYY-MM-DD."""
    if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
        try:
            day = dt.date.fromisoformat(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"'{text}' is not a calendar date") from None
        try:
            return in_range(day)
        except ValueError as error:
            raise argparse.ArgumentTypeError(str(error)) from None
    raise argparse.ArgumentTypeError(f"{shown(text)} is not a date in the form YYYY-MM-DD")


def month(text: str) -> str:
    """An argparse type: a pay period written YYYY-MM."""
    if not re.fullmatch(r"[0-9]{4}-(0[1-9]|1[0-2])", text):
        raise argparse.ArgumentTypeError(f"{shown(text)} is not a month in the form YYYY-MM")
    if not FIRST_DAY.year <= int(text[:4]) <= LAST_DAY.year:
        raise argparse.ArgumentTypeError(
            f"{text} is out of range: months go from {FIRST_DAY:%Y-%m} to {LAST_DAY:%Y-%m}"
        )
    return text


def day_or_month(text: str) -> dt.date:
    """An argparse type: a date YYYY-MM-DD, or a month YYYY-MM meaning its last day."""
    if len(text) == 7 and re.fullmatch(r"[0-9]{4}-[0-9]{2}", text):
        return last_day(month(text))
    return iso_date(text)


def locale_name(name: str) -> str:
    """An argparse type: a locale babel knows, such as de_DE."""
    if not is_locale(name):
        raise argparse.ArgumentTypeError(f"unknown locale '{name}' (try en_US, de_DE, fr_FR)")
    return name


def _processes(text: str) -> int:
    try:
        count = int(text)
    except ValueError:
        count = 0
    if count < 1:
        raise argparse.ArgumentTypeError(
            f"expected a whole number of processes, 1 or more: {text!r}"
        )
    return count

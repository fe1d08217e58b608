"""Progress of a long command's phases (reading, computing, writing), on a terminal only.

Drawn on stderr by tqdm, and only when stderr is a terminal: a command whose stderr goes
to a file or a pipe (a payroll job, a test) prints exactly what it printed before. One line
at a time, cleared when its phase ends, so what the command says afterwards stands alone.
Writing is shown only when the output does not go to the same terminal (it is its own
progress there).

    with Progress() as progress:
        events = progress.reading(events, "events.jsonl", then="computing statements")
        result = compute(plans, events)
        progress.now("writing")
        ...
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:  # imported where a line is drawn: a run off a terminal never draws one
    from tqdm import tqdm

T = TypeVar("T")

#: Seconds between two redraws of a line: a terminal, not a log, so a few a second.
REFRESH = 0.5


class Progress:
    """The phases of one command run; silent where stderr is not a terminal."""

    def __init__(self) -> None:
        self.shown = sys.stderr.isatty()
        self._line: tqdm[Any] | None = None

    def __enter__(self) -> Progress:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._end()

    def reading(self, items: Iterable[T], name: str, *, then: str | None = None) -> Iterator[T]:
        """``items`` unchanged, counted live as they are read; once all are read, the line
        says ``then`` (what the command does with them) until the next phase."""
        if not self.shown:
            return iter(items)
        return self._counted(items, name, then)

    def now(self, what: str, *, output_to_terminal: bool | None = None) -> None:
        """A line saying ``what`` is being done, and for how long, until the next phase.
        Writing to stdout is not shown when stdout is this terminal too."""
        terminal_out = sys.stdout.isatty() if output_to_terminal is None else output_to_terminal
        self._end()
        if self.shown and not (what == "writing" and terminal_out):
            from tqdm import tqdm

            self._line = tqdm(
                total=None, desc=what, bar_format="{desc}… {elapsed}", file=sys.stderr,
                leave=False, mininterval=REFRESH,
            )  # fmt: skip

    def _counted(self, items: Iterable[T], name: str, then: str | None) -> Iterator[T]:
        from tqdm import tqdm

        self._end()
        self._line = tqdm(
            desc=f"reading {name}", unit=" events", unit_scale=True, file=sys.stderr,
            leave=False, mininterval=REFRESH,
        )  # fmt: skip
        line = self._line
        for item in items:
            line.update()
            yield item
        if then is not None:
            self.now(then)
        else:
            self._end()

    def _end(self) -> None:
        if self._line is not None:
            self._line.close()
            self._line = None

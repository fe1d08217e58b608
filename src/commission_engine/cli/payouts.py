"""``commission-engine payouts PLAN_FILE EVENT_FILE``: statements from a plan file and events.

Exit status (FORMATS.md): 0 when every event was applied, or with ``--lenient``;
1 when an event was rejected in strict mode (the default); 2 for a bad plan
file, a missing, unreadable or malformed file, or bad usage. Messages go to
stderr; stdout carries only the statements.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO, TypeVar

from ..api import Result, compute, read_events
from ..domain.errors import CommissionEngineError, RejectedEventError, printable
from ..domain.statements import last_day
from ..files import read_plans
from ..report.render import (
    KEPT_TEXTS_VERSION,
    statements_of,
    write_csv,
    write_json,
    write_table,
)
from .commands import COMMANDS
from .options import (
    Rendered,
    add_files,
    add_output,
    add_processes,
    add_scheduler,
    add_through,
    cluster,
    deliver,
    month,
    rendered,
    say,
    with_events,
    write_atomically,
    write_safely,
)
from .progress import Progress

if TYPE_CHECKING:  # the ledger's machinery is imported where a ledger is given
    from ..books.closing import ClosedBook, ClosedRun
    from ..books.texts import KeptTexts

PROG = "commission-engine payouts"

T = TypeVar("T")


def register(subparsers: Any) -> None:
    """Add the ``payouts`` subcommand."""
    parser = subparsers.add_parser(
        "payouts",
        help=COMMANDS["payouts"],
        description="Compute per-rep, per-period commission statements. PLAN_FILE is YAML "
        "(.yaml, .yml) or JSON (.json); EVENT_FILE is JSON Lines (.jsonl, .ndjson) or CSV "
        "(.csv). Exit status: 0 all events applied (or --lenient), 1 an event rejected, "
        "2 a bad plan file, an unreadable file or bad usage.",
    )
    add_files(parser)
    add_through(parser)
    add_output(
        parser,
        lenient="apply every valid event and list the rejected ones (default: stop at the first)",
    )
    parser.add_argument(
        "--rep", help="only this rep's statements (the table then lists each one's lines)"
    )
    parser.add_argument(
        "--ledger",
        metavar="FILE",
        type=Path,
        help="a ledger of closed periods (SQLite, see `close`): closed statements are shown "
        "as paid, late or corrected events roll forward into the first open period",
    )
    parser.add_argument(
        "--period",
        metavar="YYYY-MM",
        type=month,
        help="only that month's statements (what to pay for it), with a subtotal per rep; "
        "--through is then the month's last day unless given",
    )
    parser.add_argument(
        "--output",
        metavar="FILE",
        type=Path,
        help="write to FILE rather than stdout, only once the run has succeeded (written "
        "beside it, then renamed into place)",
    )
    add_processes(
        parser,
        "split a large run by rep across up to N processes (default: the cores this "
        "process may use, here %(default)s); the statements are the same",
    )
    add_scheduler(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Compute and print the statements; returns the exit status."""
    if args.period is not None and args.through is None:
        args.through = last_day(args.period)
    try:
        with cluster(args.scheduler) as client:
            result, closed_through, output = _compute(args, client)
    except RejectedEventError as error:
        _say(
            f"{args.event_file}: {error.rejection.message}\n"
            "Nothing was computed: an event was rejected. Correct it, or give --lenient to "
            "apply every other event and list all rejected ones."
        )
        return 1
    except CommissionEngineError as error:  # a bad or unreadable file (FileError) above all
        _say(str(error))
        return 2
    if args.rep is not None and not statements_of(result, args.rep):
        reps = sorted({printable(statement.rep) for statement in result.statements})
        _say(f"no statements for rep {args.rep}; reps with statements: {', '.join(reps) or 'none'}")
    if args.format == "csv":
        for rejection in result.rejected:
            _say(f"{args.event_file}: {rejection.message}")
    if args.period is not None:
        result = result.model_copy(
            update={"statements": tuple(s for s in result.statements if s.period == args.period)}
        )
    return _write(result, args, closed_through, output)


def _compute(
    args: argparse.Namespace, client: Any = None
) -> tuple[Result, str | None, Rendered | None]:
    """The result to show, the last closed period when a ledger is given, and the output
    already written when it was written from the ledger's texts (:func:`_from_texts`)."""
    plans = read_plans(args.plan_file)
    ledger = args.ledger is not None
    if ledger:  # the ledger's machinery is imported only then: a run without one starts sooner
        from ..books.monthly import reopen_with_ledger
        from ..books.store import Ledger, LedgerError

        if not args.ledger.exists():  # a typo must not mean "none closed"
            raise LedgerError(
                f"there is no ledger {args.ledger}: only close creates one (or ingest); "
                "is the path right?"
            )
        if client is not None:
            raise LedgerError("--scheduler does not apply with --ledger: close runs in one place")
    # With a closed book to load, the file is read (and its events digested) meanwhile.
    events = read_events(
        args.event_file,
        processes=args.processes,
        background=ledger and args.ledger.exists(),
        digests=ledger,
        client=client,
    )
    events = with_events(events, args.event_file)
    with Progress() as progress:
        if client is None:
            events = progress.reading(events, args.event_file.name, then="computing statements")
        else:  # the events stay on the cluster's workers: not counted here
            progress.now("computing statements on the cluster")
        if args.ledger is None:
            result = compute(
                plans,
                events,
                through=args.through,
                strict=not args.lenient,
                processes=args.processes,
                client=client,
            )
            return result, None, None
        output = None
        with Ledger(args.ledger).reading(statements_after=False) as (closed, stored):
            run = reopen_with_ledger(
                plans,
                events,
                closed,
                stored,
                through=args.through,
                strict=not args.lenient,
                processes=args.processes,
            )
            texts = _texts(run, args)
            if texts is not None and closed is not None:
                progress.now("writing")
                shown, output = _from_texts(run, args, closed, texts)
            else:  # the closed statements are read from the ledger as they are shown
                shown = run.result.model_copy(update={"statements": run.statements})
    report_changes(run, args.event_file)
    return shown, None if closed is None else closed.period, output


def _texts(run: ClosedRun, args: argparse.Namespace) -> KeptTexts | None:
    """The ledger's texts of the closed statements, when the output can be printed from them:
    JSON or CSV of every rep, every closed statement shown, texts of this version."""
    from ..books.closing import KeptStatements
    from ..books.texts import KeptTexts

    kept = run.closed
    if args.format not in ("json", "csv") or args.rep is not None:
        return None  # the table is laid out from every row; --rep reads them all, as before
    if not isinstance(kept, KeptStatements) or not isinstance(kept.texts, KeptTexts):
        return None
    return kept.texts if kept.texts.version == KEPT_TEXTS_VERSION else None


def _from_texts(
    run: ClosedRun, args: argparse.Namespace, closed: ClosedBook, texts: KeptTexts
) -> tuple[Result, Rendered]:
    """The open statements (of ``--period``, if given), and the output written with the closed
    statements' texts copied in among them, read only for that period (issue 19). Written
    while the ledger is read, and held until then: a reader of stdout does not hold the file."""
    from ..books.closing import by_rep

    shown = tuple(sorted(run.open, key=by_rep))
    if args.period is not None:
        shown = tuple(s for s in shown if s.period == args.period)
    result = run.result.model_copy(update={"statements": shown})
    kept = texts.texts(args.format, args.period)
    writer = write_json if args.format == "json" else write_csv
    return result, rendered(lambda out: writer(result, out, None, closed.period, kept=kept))


def report_changes(run: ClosedRun, event_file: Path) -> None:
    """Say on stderr, by id, every event behind a closed period that is late, changed or gone."""
    what = {
        "late": "is new but dated in a closed period",
        "changed": "differs from the version the closed periods were computed from",
        "removed": "was used by the closed periods but is no longer in the file",
    }
    for change in run.changes:
        where = f"line {change.line}: " if change.line is not None else ""
        _say(
            f"{event_file}: {where}event {printable(change.event)} {what[change.change]}; "
            "its effect is rolled forward into the first open period"
        )


def _write(
    result: Result,
    args: argparse.Namespace,
    closed_through: str | None = None,
    output: Rendered | None = None,
) -> int:
    def write(out: TextIO) -> None:
        if output is not None:  # written already
            output.copy_to(out)
        elif args.format == "json":
            write_json(result, out, args.rep, closed_through)
        elif args.format == "csv":
            write_csv(result, out, args.rep, closed_through)
        elif args.period is not None:
            from ..report.month_end import write_period_table

            write_period_table(statements_only(result, args.rep), out, args.period, args.locale)
        else:
            write_table(result, out, args.locale, args.rep, closed_through)

    with Progress() as progress:
        progress.now("writing", output_to_terminal=None if args.output is None else False)
        if args.output is not None:
            try:
                write_atomically(args.output, write)
            except OSError as error:
                progress.now("")
                _say(f"cannot write {args.output}: {error.strerror or error}")
                return 2
            finally:
                if output is not None:
                    output.close()
            return 0
        if output is not None:
            return deliver(PROG, output)
        return write_safely(PROG, write)


def statements_only(result: Result, rep: str | None) -> Result:
    """``result`` with only ``rep``'s statements (all of them without ``rep``)."""
    if rep is None:
        return result
    return result.model_copy(update={"statements": statements_of(result, rep)})


def _say(message: str) -> None:
    say(PROG, message)

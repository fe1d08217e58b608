"""``commission-engine statement PLAN_FILE EVENT_FILE --rep REP [--period YYYY-MM]``: a rep's
statements explained, as a printable HTML page (or JSON, or CSV).

Each statement with its plans in force, a summary that adds up to the payout, quota
attainment and the basis of every line (:mod:`~.domain.explain`). With ``--output-dir``,
every rep's page (or only ``--rep``'s) is written into that folder, one file per rep.
Exit status as for ``payouts``: 0 when every event was applied (or ``--lenient``), 1 when an
event was rejected in strict mode, 2 for a bad file or usage.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import Any, TextIO

from ..api import Result, compute, read_events
from ..domain.errors import CommissionEngineError, RejectedEventError, printable
from ..domain.events import BaseEvent
from ..domain.explain import Explained, explain
from ..domain.plans import PlanBook
from ..domain.statements import Statement
from ..files import read_plans
from ..report import explained as explained_files
from ..report.statement_page import file_name, page
from .commands import COMMANDS
from .options import (
    add_files,
    add_locale,
    add_through,
    month,
    say,
    with_events,
    write_atomically,
    write_safely,
)

PROG = "commission-engine statement"


def register(subparsers: Any) -> None:
    """Add the ``statement`` subcommand."""
    parser = subparsers.add_parser(
        "statement",
        help=COMMANDS["statement"],
        description="Explain a rep's statements: the plans in force, a summary that adds up "
        "to the payout, quota attainment and the basis of every line. Writes a printable "
        "HTML page (default), or --format json or csv, to stdout; with --output-dir, one file "
        "per rep into that folder (every rep's, unless --rep is given). Exit status: 0 all "
        "events applied (or --lenient), 1 an event rejected, 2 a bad file or bad usage.",
    )
    add_files(parser)
    parser.add_argument("--rep", help="the rep (required unless --output-dir is given)")
    parser.add_argument(
        "--period", metavar="YYYY-MM", type=month, help="only this month (default: every month)"
    )
    add_through(parser)
    parser.add_argument("--format", choices=("html", "json", "csv"), default="html")
    parser.add_argument(
        "--lenient",
        action="store_true",
        help="explain with every valid event and list the rejected ones (default: stop)",
    )
    add_locale(parser, "the page's labels, dates and money, e.g. de_DE, fr_FR")
    parser.add_argument(
        "--output-dir",
        metavar="DIR",
        type=Path,
        help="write one file per rep into DIR (created if missing), named REP-YYYY-MM or REP",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Explain the statements and write them; returns the exit status."""
    if args.rep is None and args.output_dir is None:
        say(PROG, "give --rep REP, or --output-dir DIR for every rep's statements")
        return 2
    try:
        plans = read_plans(args.plan_file)
        events = list(with_events(read_events(args.event_file), args.event_file))
        result = compute(plans, events, through=args.through, strict=not args.lenient)
    except RejectedEventError as error:
        say(PROG, f"{args.event_file}: {error.rejection.message}")
        say(PROG, "Nothing was explained: an event was rejected. Correct it, or give --lenient.")
        return 1
    except CommissionEngineError as error:
        say(PROG, str(error))
        return 2
    for rejection in result.rejected:
        say(PROG, f"{args.event_file}: {rejection.message}")
    chosen = tuple(
        s
        for s in result.statements
        if (args.rep is None or s.rep == args.rep)
        and (args.period is None or s.period == args.period)
    )
    if not chosen:
        reps = sorted({printable(s.rep) for s in result.statements})
        say(
            PROG,
            f"no statements for rep {printable(args.rep or '(any)')}"
            + (f" in {args.period}" if args.period else "")
            + f"; reps with statements: {', '.join(reps) or 'none'}",
        )
        return 2
    explained = _explain(plans, events, result, chosen)
    by_rep: dict[str, list[Explained]] = {}
    for item in explained:
        by_rep.setdefault(item.statement.rep, []).append(item)
    if args.output_dir is None:
        return write_safely(PROG, lambda out: _write(args, result, explained, out))
    return _write_files(args, result, by_rep)


def _explain(
    plans: PlanBook, events: Sequence[object], result: Result, chosen: Sequence[Statement]
) -> tuple[Explained, ...]:
    """The ``chosen`` statements explained, from the events the run applied."""
    assert result.through is not None  # there are statements
    rejected = {(r.event, r.line) for r in result.rejected}
    applied: list[BaseEvent] = []
    for event in events:  # a line that could not be read is a Rejection, not an event
        if (
            isinstance(event, BaseEvent)
            and event.date <= result.through
            and (event.id, event.line) not in rejected
        ):
            applied.append(event)
    reps = {s.rep for s in chosen}
    # Each statement needs the one before (brought-forward balances): explain each chosen
    # rep's run of statements, then keep the chosen ones.
    wanted = set(map(id, chosen))
    every = [s for s in result.statements if s.rep in reps]
    done = explain(every, plans, applied, result.invoices(), result.through)
    return tuple(e for e in done if id(e.statement) in wanted)


def _write(
    args: argparse.Namespace, result: Result, explained: Sequence[Explained], out: TextIO
) -> None:
    through = None if result.through is None else result.through.isoformat()
    if args.format == "json":
        rejected = [
            {"line": r.line, "event": r.event, "field": r.field, "reason": r.reason}
            for r in result.rejected
        ]
        explained_files.write_json(
            explained_files.document(
                explained,
                through=through,
                rejected=rejected,
                pending=result.pending,
                duplicates=result.duplicates,
            ),
            out,
        )
    elif args.format == "csv":
        explained_files.write_csv(explained, out)
    else:
        reps = {e.statement.rep for e in explained}
        for rep in sorted(reps):
            out.write(
                page(
                    [e for e in explained if e.statement.rep == rep],
                    rep=rep,
                    locale=args.locale,
                    through=str(through),
                    pending=result.pending,
                    duplicates=result.duplicates,
                )
            )


def _write_files(
    args: argparse.Namespace, result: Result, by_rep: dict[str, list[Explained]]
) -> int:
    """One file per rep in ``--output-dir``, each written whole then renamed into place."""
    folder: Path = args.output_dir
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for rep, explained in sorted(by_rep.items()):
            name = Path(file_name(rep, args.period)).with_suffix("." + args.format)
            write_atomically(folder / name, partial(_write, args, result, explained))
    except OSError as error:
        say(PROG, f"cannot write into {folder}: {error.strerror or error}")
        return 2
    say(PROG, f"{len(by_rep)} statement file(s) written to {folder}")
    return 0

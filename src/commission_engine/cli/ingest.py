"""``commission-engine ingest EVENT_FILE --ledger FILE``: keep a month's new events.

Appends the new and corrected events of the file to the ledger's events, as one
transaction, and says by id which were corrections of stored events and which are late
(dated in a closed month); identical re-deliveries are counted and ignored. ``payouts
--ledger`` and ``close`` then fold only the events their latest close did not. Exit status:
0 kept; 1 a line of the file is not an event (nothing kept; ``--lenient`` keeps the rest);
2 an unreadable file or ledger, or bad usage; 3 another close or ingest holds the ledger.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ..api import read_events
from ..books.store import Ledger, LedgerBusyError, LedgerError
from ..domain.errors import CommissionEngineError, RejectedEventError, printable
from .commands import COMMANDS
from .options import BUSY, add_processes, say, with_events

PROG = "commission-engine ingest"


def register(subparsers: Any) -> None:
    """Add the ``ingest`` subcommand."""
    parser = subparsers.add_parser(
        "ingest",
        help=COMMANDS["ingest"],
        description="Append the new and corrected events of EVENT_FILE to the ledger file "
        "(created if need be), in one transaction; late and corrected events are reported by "
        "id, re-deliveries ignored. Exit status: 0 kept, 1 a line is not an event (nothing "
        "kept), 2 bad input, 3 another close or ingest holds the ledger.",
    )
    parser.add_argument("event_file", metavar="EVENT_FILE", type=Path)
    parser.add_argument("--ledger", metavar="FILE", required=True, type=Path)
    parser.add_argument(
        "--lenient", action="store_true", help="keep the valid events and list the bad lines"
    )
    add_processes(parser, "read a large event file in up to N parts at once (default: %(default)s)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Keep the file's new events; returns the exit status."""
    try:
        events = with_events(
            read_events(args.event_file, processes=args.processes, digests=True),
            args.event_file,
        )
        with Ledger(args.ledger).held(load=False, keep=True) as held:
            delivery = held.deliver(events)
            if delivery.rejected and not args.lenient:
                raise RejectedEventError(min(delivery.rejected, key=lambda r: r.line or 0))
    except RejectedEventError as error:
        _say(
            f"{args.event_file}: {error.rejection.message}\n"
            "Nothing was kept: a line is not an event. Correct it, or give --lenient."
        )
        return 1
    except LedgerError as error:
        _say(str(error))
        return BUSY if isinstance(error, LedgerBusyError) else 2
    except CommissionEngineError as error:  # an unreadable event file
        _say(str(error))
        return 2
    for rejection in delivery.rejected:
        _say(f"{args.event_file}: {rejection.message}")
    for kind, found in (
        ("corrects the event of that id already kept", delivery.corrected),
        ("is new but dated in a closed period", delivery.late),
    ):
        for event_id, line in found:
            where = f"line {line}: " if line is not None else ""
            _say(
                f"{args.event_file}: {where}event {printable(event_id)} {kind}; its effect "
                "is rolled forward into the first open period"
            )
    _say(
        f"kept {len(delivery.added):,} events in {args.ledger}; "
        f"{delivery.redelivered:,} already kept were ignored"
    )
    return 0


def _say(message: str) -> None:
    say(PROG, message)

"""What the ``test_hostile_*`` files share: the command run in this process, and small files."""

from __future__ import annotations

import io
import traceback
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path

from commission_engine.cli import main

PLAN = 'plans:\n  - {id: std, currency: USD, level: 2, rate: "0.10"}\n'
INVOICE = (
    '{"type": "invoice", "id": "e1", "date": "2026-01-15", "invoice": "I1", "rep": "ana", '
    '"amount": "1000.00"}\n'
)
CSV_HEADER = "type,id,date,invoice,rep,amount,reason\n"
CSV_INVOICE = "invoice,e1,2026-01-15,I1,ana,1000.00,\n"


@dataclass
class Run:
    status: int
    out: str
    err: str


def run(*args: object) -> Run:
    """``commission-engine ARGS`` in this process; a traceback fails the test with its text."""
    out, err = io.StringIO(), io.StringIO()
    try:
        with redirect_stdout(out), redirect_stderr(err):
            status = main([str(arg) for arg in args])
    except SystemExit as exit_:  # argparse ends bad usage this way
        status = int(exit_.code or 0) if not isinstance(exit_.code, str) else 2
    except Exception:  # pragma: no cover - what these tests are here to catch
        raise AssertionError(
            f"commission-engine {' '.join(map(str, args))} raised:\n{traceback.format_exc()}"
        ) from None
    return Run(status, out.getvalue(), err.getvalue())


def files(
    folder: Path, events: str | bytes, name: str = "events.jsonl", plan: str = PLAN
) -> tuple[Path, Path]:
    """A plan file and an event file in ``folder``; their paths."""
    plans = folder / "plans.yaml"
    plans.write_text(plan)
    path = folder / name
    if isinstance(events, bytes):
        path.write_bytes(events)
    else:
        path.write_text(events)
    return plans, path

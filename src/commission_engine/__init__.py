"""commission-engine: sales commissions linked to customer collections.

Plans at involvement levels 0-4 turn invoice, payment, credit-note, reversal,
write-off and adjustment events into per-rep, per-period statements: what is
payable, what is held, what was clawed back and what debt is carried.
Start with :func:`compute`.
"""

from typing import TYPE_CHECKING, Any

from .api import EventInput, Result, compute, read_events
from .domain.errors import (
    CommissionEngineError,
    PlanError,
    RejectedEventError,
    Rejection,
    StateError,
)
from .domain.events import (
    Adjustment,
    CreditNote,
    Event,
    Invoice,
    Payment,
    PaymentReversal,
    Split,
    WriteOff,
    parse_event,
)
from .domain.plans import Assignment, Clawback, Plan, PlanBook, Tier
from .domain.statements import LedgerLine, Statement
from .files.plan_files import read_plans

if TYPE_CHECKING:
    from .domain.state import EngineState

__all__ = [
    "Adjustment",
    "Assignment",
    "Clawback",
    "CommissionEngineError",
    "CreditNote",
    "EngineState",
    "Event",
    "EventInput",
    "Invoice",
    "LedgerLine",
    "Payment",
    "PaymentReversal",
    "Plan",
    "PlanBook",
    "PlanError",
    "RejectedEventError",
    "Rejection",
    "Result",
    "Split",
    "StateError",
    "Statement",
    "Tier",
    "WriteOff",
    "compute",
    "parse_event",
    "read_events",
    "read_plans",
]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    # The saved state's module is imported when EngineState is first named: its pydantic
    # records cost a command that neither resumes nor saves a state 50M instructions.
    if name == "EngineState":
        from .domain.state import EngineState

        return EngineState
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

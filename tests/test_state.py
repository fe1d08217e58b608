"""A saved state is made without validating its records again; it is what validation makes."""

from __future__ import annotations

from pathlib import Path

import pytest

from commission_engine import compute
from commission_engine.files import read_events, read_plans
from commission_engine.state import EngineState, InvoiceRecord, _trusted

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def test_a_saved_state_is_what_validating_its_json_gives() -> None:
    plans = read_plans(EXAMPLES / "plans.yaml")
    state = compute(plans, read_events(EXAMPLES / "events.jsonl")).state()
    validated = EngineState.model_validate_json(state.model_dump_json())
    assert validated == state
    # repr shows each value's type and a Decimal's exponent, which == would not tell apart.
    assert repr(validated) == repr(state)
    assert len(state.invoices) > 100 and state.ledgers and state.attainment


def test_a_trusted_record_needs_every_field_and_no_other() -> None:
    with pytest.raises(TypeError, match=r"InvoiceRecord takes \[.*'written_off'\], got \['id'\]"):
        _trusted(InvoiceRecord, id="I1")

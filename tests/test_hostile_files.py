"""Issue 15, item 11 and the API's paths: an empty event file is bad input; paths may be str."""

from __future__ import annotations

from pathlib import Path

import pytest
from hostile import CSV_HEADER, INVOICE, PLAN, files, run

from commission_engine.files import read_events, read_plans


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("events.jsonl", ""),
        ("events.csv", ""),
        ("events.csv", CSV_HEADER),
        ("events.jsonl", "\n\n"),
    ],
)
def test_an_event_file_with_no_events_is_bad_input(tmp_path: Path, name: str, text: str) -> None:
    plans, events = files(tmp_path, text, name)
    ledger = tmp_path / "ledger.sqlite"
    for args in (
        ("payouts", plans, events),
        ("payouts", plans, events, "--lenient", "--format", "json"),
        ("close", plans, events, "--period", "2026-01", "--ledger", ledger),
        ("compare", plans, events),
        ("aging", events, "--as-of", "2026-01-31", "--plans", plans),
    ):
        result = run(*args)
        assert result.status == 2 and result.out == ""
        assert f"{events} holds no events" in result.err
    assert not ledger.exists()


def test_the_file_functions_take_str_and_path_like(tmp_path: Path) -> None:
    plans, events = files(tmp_path, INVOICE)
    assert read_plans(str(plans)).model_dump() == read_plans(plans).model_dump()
    assert list(read_events(str(events))) == list(read_events(events))
    csv_file = tmp_path / "events.csv"
    csv_file.write_text(CSV_HEADER + "invoice,e1,2026-01-15,I1,ana,1000.00,\n")
    assert [event.id for event in read_events(str(csv_file))] == ["e1"]  # type: ignore[union-attr]
    assert read_plans(str(plans)).plans[0].id == "std" and PLAN

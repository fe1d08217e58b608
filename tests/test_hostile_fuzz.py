"""Issue 15: whatever the bytes, the command ends with 0, 1 or 2 and no traceback; stdout is
empty unless it succeeded; in lenient mode every event read is applied or listed as rejected.

Arbitrary bytes, arbitrary JSON values and mutated valid lines, in JSON Lines and CSV, strict
and lenient, through the command (in this process) and the API; plan files likewise.
"""

from __future__ import annotations

import contextlib
import json
import tempfile
from pathlib import Path
from typing import Any

from hostile import PLAN, run
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from commission_engine import compute
from commission_engine.domain.errors import CommissionEngineError, Rejection
from commission_engine.files import FileError, read_events, read_plans

FUZZ = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

VALID_JSONL = [
    {"type": "invoice", "id": "e1", "date": "2026-01-15", "invoice": "I1", "rep": "ana",
     "amount": "1000.00", "tax": "100.00", "cost": "300.00", "due": "2026-02-14"},
    {"type": "invoice", "id": "e2", "date": "2026-01-20", "invoice": "I2",
     "splits": [{"rep": "ana", "share": "0.6"}, {"rep": "bo", "share": "0.4"}], "amount": "500.00"},
    {"type": "payment", "id": "e3", "date": "2026-02-10", "invoice": "I1", "amount": "400.00"},
    {"type": "credit_note", "id": "e4", "date": "2026-02-11", "invoice": "I2", "amount": "50.00",
     "reason": "damaged"},
    {"type": "payment_reversal", "id": "e5", "date": "2026-02-20", "invoice": "I1",
     "amount": "100.00"},
    {"type": "write_off", "id": "e6", "date": "2026-03-01", "invoice": "I2"},
    {"type": "adjustment", "id": "e7", "date": "2026-03-31", "rep": "bo", "amount": "-15.00",
     "reason": "laptop"},
]  # fmt: skip
VALID_CSV = "".join(
    line + "\n"
    for line in (
        "type,id,date,invoice,rep,splits,amount,tax,reason",
        "invoice,e1,2026-01-15,I1,ana,,1000.00,100.00,",
        "invoice,e2,2026-01-20,I2,,ana=0.6;bo=0.4,500.00,,",
        "payment,e3,2026-02-10,I1,,,400.00,,",
        'credit_note,e4,2026-02-11,I2,,,50.00,,"damaged, ""badly"""',
        "payment_reversal,e5,2026-02-20,I1,,,100.00,,",
        "write_off,e6,2026-03-01,I2,,,,,",
        "adjustment,e7,2026-03-31,,bo,,-15.00,,laptop",
    )
)

#: Values that have broken readers before: out of range, oddly written, control characters.
HOSTILE = [
    "9" * 50, "1e400", "1E+999999999", "-0", "NaN", "Infinity", "1_000", "١٢٣", "\uff11",
    "0001-01-01", "9999-12-31", "2026-02-30", "", " ", "\x00", "zed\n\x1b[8m", "=cmd|' /C calc'!A0",
    '"', "\r", "\\", "0.0000000000000000000000000001", "1e-999999999", True, None, [], {},
    10**30, -1, 0, "a=0.5;a=0.5", "ana=1e400", "x" * 300,
]  # fmt: skip

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20) | st.sampled_from(HOSTILE),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


@st.composite
def mutated_jsonl(draw: st.DrawFn) -> bytes:
    lines = [json.dumps(record, ensure_ascii=False) for record in VALID_JSONL]
    for _ in range(draw(st.integers(0, 4))):
        at = draw(st.integers(0, len(lines) - 1))
        how = draw(st.sampled_from(["field", "value", "bytes", "cut", "twice", "drop"]))
        record = dict(VALID_JSONL[at % len(VALID_JSONL)])
        if how == "field":
            record[draw(st.sampled_from(sorted(record)))] = draw(st.sampled_from(HOSTILE))
            lines[at] = json.dumps(record, ensure_ascii=False)
        elif how == "value":
            lines[at] = json.dumps(draw(json_values))
        elif how == "bytes":
            text = lines[at]
            cut = draw(st.integers(0, len(text)))
            lines[at] = text[:cut] + draw(st.text(max_size=5)) + text[cut:]
        elif how == "cut":
            lines[at] = lines[at][: draw(st.integers(0, len(lines[at])))]
        elif how == "twice":
            lines.insert(at, lines[at])
        elif len(lines) > 1:
            del lines[at]
    data = ("\n".join(lines) + "\n").encode("utf-8", "surrogatepass")
    if draw(st.booleans()):
        data = data[: draw(st.integers(0, len(data)))]
    return data


@st.composite
def mutated_csv(draw: st.DrawFn) -> bytes:
    lines = VALID_CSV.splitlines(keepends=True)
    for _ in range(draw(st.integers(0, 4))):
        at = draw(st.integers(1, len(lines) - 1))
        how = draw(st.sampled_from(["cell", "bytes", "cut", "twice", "quote"]))
        if how == "cell":
            cells = lines[at].rstrip("\n").split(",")
            cells[draw(st.integers(0, len(cells) - 1))] = str(draw(st.sampled_from(HOSTILE)))
            lines[at] = ",".join(cells) + "\n"
        elif how == "bytes":
            cut = draw(st.integers(0, len(lines[at])))
            lines[at] = lines[at][:cut] + draw(st.text(max_size=5)) + lines[at][cut:]
        elif how == "cut":
            lines[at] = lines[at][: draw(st.integers(0, len(lines[at])))]
        elif how == "twice":
            lines.insert(at, lines[at])
        else:
            lines[at] = lines[at].replace(",", ',"', 1)
    data = "".join(lines).encode("utf-8", "surrogatepass")
    if draw(st.booleans()):
        data = data[: draw(st.integers(0, len(data)))]
    return data


def check(data: bytes, name: str) -> None:
    """The invariants, through the command (strict and lenient) and through the API."""
    with tempfile.TemporaryDirectory() as folder:
        plans, events = Path(folder) / "plans.yaml", Path(folder) / name
        plans.write_text(PLAN)
        events.write_bytes(data)
        for args in ((), ("--lenient", "--format", "json"), ("--format", "csv")):
            result = run("payouts", plans, events, *args)
            assert result.status in (0, 1, 2), result
            if result.status != 0:
                assert result.out == "", result
        lenient = run("payouts", plans, events, "--lenient", "--format", "json")
        try:
            read = list(read_events(events))
        except FileError:
            assert lenient.status == 2
            return
        if not read:
            assert lenient.status == 2 and "holds no events" in lenient.err
            return
        assert lenient.status == 0, lenient
        result_ = compute(read_plans(plans), read)
        rejected_at_read = {item.line for item in read if isinstance(item, Rejection)}
        rejected = {rejection.line for rejection in result_.rejected}
        assert rejected_at_read <= rejected  # nothing read badly is dropped
        events_read = len(read) - len(rejected_at_read)
        not_applied = len(rejected - rejected_at_read) + result_.duplicates + result_.pending
        assert not_applied <= events_read
        document = json.loads(lenient.out)
        assert {r["line"] for r in document["rejected"]} == rejected


@FUZZ
@given(data=st.binary(max_size=400), name=st.sampled_from(["e.jsonl", "e.csv"]))
def test_arbitrary_bytes(data: bytes, name: str) -> None:
    check(data, name)


@FUZZ
@given(values=st.lists(json_values, min_size=1, max_size=5))
def test_arbitrary_json_values(values: list[Any]) -> None:
    check(("\n".join(json.dumps(v) for v in values) + "\n").encode(), "e.jsonl")


@FUZZ
@given(data=mutated_jsonl())
def test_mutated_json_lines(data: bytes) -> None:
    check(data, "e.jsonl")


@FUZZ
@given(data=mutated_csv())
def test_mutated_csv(data: bytes) -> None:
    check(data, "e.csv")


VALID_PLAN = """\
shared: &shared {on_write_off: true, after_days_past_due: 60, max_recovery: "0.5"}
plans:
  - id: std
    currency: USD
    level: 2
    rate: "0.10"
    clawback: *shared
  - id: tiered
    currency: USD
    level: 3
    quota: "100000"
    tiers:
      - {from: "0", rate: "0.08"}
      - {from: "1", rate: "0.12"}
    payment_terms_days: 30
assignments:
  - {rep: ana, plan: std, from: 2026-01-01}
  - {rep: "*", plan: tiered, from: 1900-01-01}
"""


@st.composite
def mutated_plan(draw: st.DrawFn) -> str:
    lines = VALID_PLAN.splitlines(keepends=True)
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(lines) - 1))
        how = draw(st.sampled_from(["value", "bytes", "cut", "twice"]))
        if how == "value" and ":" in lines[at]:
            key = lines[at].rsplit(":", 1)[0]
            lines[at] = f"{key}: {json.dumps(draw(json_values))}\n"
        elif how == "bytes":
            cut = draw(st.integers(0, len(lines[at])))
            lines[at] = lines[at][:cut] + draw(st.text(max_size=5)) + lines[at][cut:]
        elif how == "cut":
            lines[at] = lines[at][: draw(st.integers(0, len(lines[at])))]
        else:
            lines.insert(at, lines[at])
    return "".join(lines)


def check_plan(text: str | bytes, name: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        plans, events = Path(folder) / name, Path(folder) / "e.jsonl"
        if isinstance(text, bytes):
            plans.write_bytes(text)
        else:
            plans.write_text(text, encoding="utf-8", errors="surrogatepass")
        events.write_text("".join(json.dumps(record) + "\n" for record in VALID_JSONL))
        with contextlib.suppress(CommissionEngineError):  # any other exception fails
            read_plans(plans)
        for args in ((), ("--lenient", "--format", "csv")):
            result = run("payouts", plans, events, *args)
            assert result.status in (0, 1, 2), result
            if result.status != 0:
                assert result.out == "", result


@FUZZ
@given(text=mutated_plan(), name=st.sampled_from(["p.yaml", "p.json"]))
def test_mutated_plan_files(text: str, name: str) -> None:
    if name == "p.json":
        try:
            import yaml

            text = json.dumps(yaml.safe_load(text), default=str)
        except Exception:  # not YAML any more: as it is
            pass
    check_plan(text, name)


@FUZZ
@given(
    data=st.binary(max_size=300) | st.text(max_size=300), name=st.sampled_from(["p.yaml", "p.json"])
)
def test_arbitrary_plan_files(data: bytes | str, name: str) -> None:
    check_plan(data, name)


@FUZZ
@given(value=json_values)
def test_arbitrary_json_plan_values(value: Any) -> None:
    check_plan(json.dumps({"plans": [value]}), "p.json")
    check_plan(json.dumps(value), "p.json")


@FUZZ
@given(
    records=st.lists(
        st.dictionaries(
            st.sampled_from(["type", "id", "date", "invoice", "rep", "amount", "splits", "tax"]),
            json_values,
        )
        | st.sampled_from(VALID_JSONL),
        max_size=8,
    )
)
def test_arbitrary_records_through_the_api(records: list[dict[str, Any]]) -> None:
    plans = read_plans_text(PLAN)
    result = compute(plans, records)  # lenient: every record applied or rejected
    assert len(result.rejected) + result.duplicates + result.pending <= len(records)
    assert all(rejection.line is None for rejection in result.rejected)


def read_plans_text(text: str) -> Any:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "plans.yaml"
        path.write_text(text)
        return read_plans(path)

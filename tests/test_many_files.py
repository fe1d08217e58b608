"""Several event files, a glob, and Parquet: one stream, each rejection named by its file.

The example's events are cut into a JSON Lines file, a CSV file and a Parquet file, with a
bad line in each; together they must give the example's statements, and each bad line must
be rejected with its own file's line.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

if os.environ.get("CI") is None:
    pytest.importorskip("pyarrow")

import pyarrow as pa
import pyarrow.parquet as pq

from commission_engine import RejectedEventError, compute, read_plans
from commission_engine.api import read_events
from commission_engine.files import FileError
from commission_engine.modeling import MissingExtraError
from commission_engine.report.render import write_json

BAD_JSON = '{"id": "BAD1", "type": "payment", "date": "2026-13-01", "invoice": "X", "amount": "1"}'


def write_parts(examples: Path, folder: Path) -> list[Path]:
    """The example as ``a.jsonl`` (line 3 bad), ``b.csv`` (line 4 bad) and ``c.parquet``
    (row 2 bad, every column text), in that order."""
    lines = (examples / "events.jsonl").read_text().splitlines()
    rows = (examples / "events.csv").read_text().splitlines()  # the same events, in order
    header, rows = rows[0], rows[1:]
    first = lines[:100]
    first.insert(2, BAD_JSON)
    (folder / "a.jsonl").write_text("\n".join(first) + "\n")
    second = rows[100:200]
    second.insert(2, "payment,BAD2,2026-02-01,NOPE,,,,-1,,,,")
    (folder / "b.csv").write_text("\n".join([header, *second]) + "\n")
    columns = header.split(",")
    third = [dict(zip(columns, row, strict=True)) for row in csv.reader(rows[200:])]
    third.insert(1, {"type": "refund", "id": "BAD3", "date": "2026-03-01"})
    table = pa.Table.from_pylist(
        [{name: row.get(name) or None for name in columns} for row in third],
        schema=pa.schema([(name, pa.string()) for name in columns]),
    )
    pq.write_table(table, folder / "c.parquet", row_group_size=40)
    return [folder / "a.jsonl", folder / "b.csv", folder / "c.parquet"]


def _json(result: Any) -> str:
    out = io.StringIO()
    write_json(result, out)
    return out.getvalue()


def test_several_files_are_one_stream_with_rejections_named_by_file(
    examples: Path, tmp_path: Path
) -> None:
    plans = read_plans(examples / "plans.yaml")
    whole = compute(plans, read_events(examples / "events.jsonl"))
    files = write_parts(examples, tmp_path)
    for given in (files, str(tmp_path / "*.*")):
        parts = compute(plans, read_events(given))
        assert parts.statements == whole.statements
        assert [(r.event, r.line, r.reason.split(": ")[0]) for r in parts.rejected] == [
            ("BAD1", 3, str(files[0])),
            ("BAD2", 4, str(files[1])),
            ("BAD3", 2, str(files[2])),
        ]
    assert parts.rejected[2].message.startswith(f"line 2: event BAD3, field type: {files[2]}: ")


def test_strict_mode_names_the_file_of_the_first_rejection(examples: Path, tmp_path: Path) -> None:
    plans = read_plans(examples / "plans.yaml")
    files = write_parts(examples, tmp_path)
    with pytest.raises(RejectedEventError) as error:
        compute(plans, read_events(files[1:]), strict=True)
    assert (error.value.rejection.event, error.value.rejection.line) == ("BAD2", 4)
    assert error.value.rejection.reason.startswith(f"{files[1]}: ")


def test_one_file_of_a_glob_keeps_its_reasons_as_they_are(examples: Path, tmp_path: Path) -> None:
    plans = read_plans(examples / "plans.yaml")
    files = write_parts(examples, tmp_path)
    alone = compute(plans, read_events(str(tmp_path / "*.csv")))
    first = alone.rejected[0]
    assert (first.event, first.line, first.reason) == ("BAD2", 4, "amount must be positive, got -1")
    assert alone.rejected == compute(plans, read_events(files[1])).rejected


def test_typed_parquet_columns_read_as_text_would(tmp_path: Path) -> None:
    table = pa.table(
        {
            "type": ["invoice", "payment"],
            "id": ["e1", "e2"],
            "date": [dt.date(2026, 1, 15), dt.date(2026, 2, 10)],
            "invoice": ["I1", "I1"],
            "rep": ["ana", None],
            "amount": pa.array([Decimal("1000.00"), Decimal("400.00")], pa.decimal128(12, 2)),
        }
    )
    pq.write_table(table, tmp_path / "typed.parquet")
    events = list(read_events(tmp_path / "typed.parquet"))
    assert [(e.id, e.line, str(e.amount)) for e in events] == [  # type: ignore[union-attr]
        ("e1", 1, "1000.00"),
        ("e2", 2, "400.00"),
    ]


def test_a_float_money_column_refuses_the_file(tmp_path: Path) -> None:
    pq.write_table(
        pa.table({"type": ["invoice"], "id": ["e1"], "date": ["2026-01-01"], "amount": [1.5]}),
        tmp_path / "floats.parquet",
    )
    with pytest.raises(FileError, match="column 'amount' holds floating-point numbers"):
        list(read_events(tmp_path / "floats.parquet"))


def test_a_glob_matching_nothing_is_a_file_error(tmp_path: Path) -> None:
    with pytest.raises(FileError, match=r"no event file matches .*\*\.jsonl"):
        read_events(str(tmp_path / "*.jsonl"))


def test_the_command_takes_a_glob(command: Any, examples: Path, tmp_path: Path) -> None:
    write_parts(examples, tmp_path)
    run = command(
        "payouts", examples / "plans.yaml", tmp_path / "*.*", "--format", "json", "--lenient"
    )
    assert run.status == 0
    rejected = run.json()["rejected"]
    assert [(r["event"], r["line"]) for r in rejected] == [("BAD1", 3), ("BAD2", 4), ("BAD3", 2)]
    assert rejected[1]["reason"] == f"{tmp_path / 'b.csv'}: amount must be positive, got -1"


def test_a_reused_id_names_the_file_and_line_of_its_first_use(
    examples: Path, tmp_path: Path
) -> None:
    plans = read_plans(examples / "plans.yaml")
    files = write_parts(examples, tmp_path)
    (tmp_path / "d.jsonl").write_text(
        '{"id": "E0001", "type": "payment", "date": "2026-12-01", "invoice": "INV-0015", '
        '"amount": "1.00"}\n'
    )
    reused = compute(plans, read_events(str(tmp_path / "*.*"))).rejected[-1]
    assert (reused.event, reused.line) == ("E0001", 1)
    assert reused.reason == (
        f"{tmp_path / 'd.jsonl'}: event id E0001 was already used on line 1 of {files[0]} for "
        "different content; give the correction a new id"
    )


def test_without_pyarrow_a_parquet_file_says_how_to_install_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pq.write_table(pa.table({"type": ["invoice"]}), tmp_path / "events.parquet")
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    with pytest.raises(MissingExtraError) as error:
        list(read_events(tmp_path / "events.parquet"))
    assert str(error.value) == (
        "reading Parquet event files needs pyarrow, which is not installed; "
        "install it with: pip install 'commission-engine[parquet]'"
    )

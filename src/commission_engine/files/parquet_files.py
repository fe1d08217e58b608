"""Parquet event files (the ``parquet`` extra, pyarrow): a row is a record, as a CSV row is.

The columns are those a CSV header may name (FORMATS.md); a row's "line" is its 1-based row
number in the file. Each cell is read as the text a CSV cell would hold (a decimal column's
value written out in full, a date column's ISO date), so that a row goes through the same
:func:`~..domain.events.parse_event` as a CSV row, and a bad one is rejected the same way. A
floating-point column cannot hold money exactly: a file with one is refused as a whole,
like a CSV file with a bad header.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

from ..domain.events import parse_event
from .errors import FileError
from .event_files import COLUMNS, Read
from .extras import require

_REQUIRED = ("type", "id", "date")


def _parquet() -> Any:
    return require("pyarrow.parquet", "reading Parquet event files", "parquet")


def _open(path: Path) -> Any:
    try:
        return _parquet().ParquetFile(path)
    except OSError as error:
        raise FileError(f"cannot read Parquet event file {path}: {error}") from None


def row_groups(path: Path) -> list[int]:
    """The rows of each of the file's row groups, in order; the columns checked first."""
    found = _open(path)
    _check_columns(path, found.schema_arrow)
    meta = found.metadata
    return [meta.row_group(index).num_rows for index in range(meta.num_row_groups)]


def _check_columns(path: Path, schema: Any) -> None:
    pa = require("pyarrow", "reading Parquet event files", "parquet")
    names = list(schema.names)
    unknown = [name for name in names if name not in COLUMNS]
    missing = [name for name in _REQUIRED if name not in names]
    floats = [f.name for f in schema if pa.types.is_floating(f.type)]
    problem = (
        f"unknown column '{unknown[0]}'; columns are {', '.join(COLUMNS)}"
        if unknown
        else f"column '{missing[0]}' is missing"
        if missing
        else f"column '{floats[0]}' holds floating-point numbers, which cannot hold money "
        "exactly; write amounts as decimal or text columns"
        if floats
        else None
    )
    if problem is not None:
        raise FileError(f"{path} (the columns): {problem}")


def parquet_rows(path: Path, groups: range, first: int) -> Read:
    """The records of row groups ``groups`` of the file, whose first row is line ``first``."""
    found = _open(path)
    _check_columns(path, found.schema_arrow)
    line = first
    for group in groups:
        for row in found.read_row_group(group).to_pylist():
            record = {name: _text(value) for name, value in row.items() if value is not None}
            yield parse_event({k: v for k, v in record.items() if v}, line)
            line += 1


def _text(value: Any) -> Any:
    """A cell as the text a CSV cell would hold."""
    if isinstance(value, Decimal):
        return f"{value:f}"
    if isinstance(value, dt.datetime):
        return value.isoformat()  # a timestamp, rejected as a date the way text would be
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        return value.strip()
    return value if isinstance(value, bool) else str(value)

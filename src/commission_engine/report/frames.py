"""pandas DataFrames of records, statements and lines (the ``notebook`` extra).

Money columns hold the exact :class:`~decimal.Decimal` amounts (object dtype),
so sums in a notebook stay exact to the cent; use ``.astype(float)`` where a
float is good enough, as for drawing. Periods are ``YYYY-MM`` strings, dates are
:class:`datetime.date`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any

from ..api import Result
from ..domain.statements import LedgerLine, Statement
from .extras import missing

LINE_COLUMNS = ["rep", "currency", "date", "kind", "amount", "event", "invoice", "detail"]

try:
    import pandas
except ImportError as error:  # this module is imported only when a DataFrame is asked for
    raise missing("pandas", "a DataFrame") from error


def records_frame(
    records: list[dict[str, Any]],
    columns: list[str] | None = None,
    *,
    index: str | None = None,
) -> pandas.DataFrame:
    """One row per record, in ``columns`` (or the records' keys), indexed by ``index`` if given."""
    frame = pandas.DataFrame.from_records(records, columns=columns)
    return frame if index is None else frame.set_index(index)


def statements_frame(source: Result | Iterable[Statement]) -> pandas.DataFrame:
    """One row per statement (without its lines)."""
    statements = source.statements if isinstance(source, Result) else tuple(source)
    columns = [field.name for field in dataclasses.fields(Statement) if field.name != "lines"]
    records = [{name: getattr(s, name) for name in columns} for s in statements]
    return pandas.DataFrame.from_records(records, columns=columns)


def lines_frame(source: Result | Iterable[LedgerLine]) -> pandas.DataFrame:
    """One row per ledger line."""
    lines = source.lines if isinstance(source, Result) else tuple(source)
    records = [{name: getattr(line, name) for name in LINE_COLUMNS} for line in lines]
    return pandas.DataFrame.from_records(records, columns=LINE_COLUMNS)

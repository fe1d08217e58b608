"""pandas DataFrames of comparisons, agings, statements and lines (the ``notebook`` extra).

Money columns hold the exact :class:`~decimal.Decimal` amounts (object dtype),
so sums in a notebook stay exact to the cent; use ``.astype(float)`` where a
float is good enough, as for drawing. Periods are ``YYYY-MM`` strings, dates are
:class:`datetime.date`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import asdict, fields
from typing import Any

from ..api import Result
from ..domain.statements import LedgerLine, Statement
from ..report.extras import missing
from .aging import BUCKETS, Aging, OpenItem, PeriodDso
from .compare import Comparison

LINE_COLUMNS = ["rep", "currency", "date", "kind", "amount", "event", "invoice", "detail"]

try:
    import pandas
except ImportError as error:  # this module is imported only when a DataFrame is asked for
    raise missing("pandas", "a DataFrame") from error


def comparison_frame(comparison: Comparison) -> pandas.DataFrame:
    """One row per scenario, indexed by its name; ``rejected`` counts events not applied."""
    records = []
    for outcome in comparison.outcomes:
        record: dict[str, Any] = {
            field.name: getattr(outcome, field.name)
            for field in fields(outcome)
            if field.name not in ("periods", "result")
        }
        record["rejected"] = len(outcome.rejected)
        records.append(record)
    return pandas.DataFrame.from_records(records).set_index("name")


def periods_frame(comparison: Comparison) -> pandas.DataFrame:
    """One row per scenario and period, with the fields of :class:`~.compare.PeriodFigures`."""
    records = [
        {"plan": outcome.name, "currency": outcome.currency, **asdict(period)}
        for outcome in comparison.outcomes
        for period in outcome.periods
    ]
    return pandas.DataFrame.from_records(
        records,
        columns=[
            "plan",
            "currency",
            "period",
            "gross",
            "payout",
            "cumulative_payout",
            "clawed_back",
            "held",
            "debt",
        ],
    )


def aging_frame(aging: Aging) -> pandas.DataFrame:
    """One row per rep and currency: the buckets, open, held, clawback exposure, at risk."""
    records = [
        {
            "rep": row.rep,
            "currency": row.currency,
            **row.buckets(),
            "open": row.open,
            "held": row.held,
            "clawback_exposure": row.clawback_exposure,
            "at_risk": row.at_risk,
        }
        for row in aging.reps
    ]
    columns = ["rep", "currency", *BUCKETS, "open", "held", "clawback_exposure", "at_risk"]
    return pandas.DataFrame.from_records(records, columns=columns)


def items_frame(aging: Aging) -> pandas.DataFrame:
    """One row per rep and open invoice, with its bucket and commission at risk."""
    names = [field.name for field in fields(OpenItem)]
    records = [{**asdict(item), "at_risk": item.at_risk} for item in aging.items]
    return pandas.DataFrame.from_records(records, columns=[*names, "at_risk"])


def dso_frame(aging: Aging) -> pandas.DataFrame:
    """One row per rep, currency and period: receivables, sales, days and DSO."""
    records = [asdict(row) for row in aging.dso]
    return pandas.DataFrame.from_records(
        records, columns=[field.name for field in fields(PeriodDso)]
    )


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

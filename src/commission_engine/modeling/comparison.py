"""What :func:`~.compare.compare_plans` returns: each scenario's figures, and how they show.

The figures are computed in :mod:`.compare`; this module holds the result types and
their views: rows of text for the CLI and HTML, JSON-ready documents, and DataFrames
(``to_frame()``, with the ``notebook`` extra). The definitions of the figures are in
``docs/modeling.md``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, fields
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ..api import Result
from ..domain.errors import Rejection
from ..domain.money import show
from ..domain.plans import PlanBook
from ..report.html import html_table
from ..report.tables import FigureFormat, MoneyFormat, days, exact, percent, rejection_document

if TYPE_CHECKING:
    import pandas


@dataclass(frozen=True, slots=True)
class PeriodFigures:
    """One scenario's totals over all reps for one pay period."""

    period: str
    gross: Decimal
    payout: Decimal
    cumulative_payout: Decimal
    clawed_back: Decimal
    held: Decimal  # at the end of the period
    debt: Decimal  # at the end of the period


@dataclass(frozen=True, slots=True)
class TermFigures:
    """What the terms of SEMANTICS.md section 11 cost or paid in one scenario, over every rep.

    ``draws_recovered`` counts recoverable draws as repaid only once every other debt is:
    what a rep still owes at the end is taken to be draw first.
    """

    bonus_paid: Decimal
    cash_with_order_paid: Decimal
    forfeited_late: Decimal
    draws_topped_up: Decimal
    draws_recovered: Decimal


#: The figures of :class:`TermFigures`: field name and label.
TERM_FIGURES = (
    ("bonus_paid", "collection bonus paid"),
    ("cash_with_order_paid", "cash-with-order paid"),
    ("forfeited_late", "forfeited for paying late"),
    ("draws_topped_up", "draws topped up"),
    ("draws_recovered", "draws recovered"),
)


@dataclass(frozen=True, slots=True)
class PlanOutcome:
    """What one scenario would have cost, and when reps would have been paid.

    Money is in ``currency``, summed over every rep. ``cost_share`` and
    ``weighted_days`` are ``None`` when there is nothing to divide by.
    ``result`` is the full run, for drilling down to statements and lines.
    """

    name: str
    currency: str
    payout: Decimal
    gross: Decimal
    clawed_back: Decimal
    reinstated: Decimal
    peak_debt: Decimal
    peak_debt_period: str | None
    final_debt: Decimal
    held: Decimal
    collected: Decimal
    cost_share: Decimal | None
    weighted_days: Decimal | None
    periods: tuple[PeriodFigures, ...] = field(repr=False)
    result: Result = field(repr=False)
    #: Only for a scenario whose plans carry a term of section 11.
    terms: TermFigures | None = None

    @property
    def rejected(self) -> tuple[Rejection, ...]:
        """The events this scenario could not apply (a currency its plan does not pay in...)."""
        return self.result.rejected


@dataclass(frozen=True, slots=True)
class Comparison:
    """The outcomes of the same events under each scenario, in the order given."""

    through: dt.date | None
    outcomes: tuple[PlanOutcome, ...]

    def __getitem__(self, name: str) -> PlanOutcome:
        for outcome in self.outcomes:
            if outcome.name == name:
                return outcome
        names = ", ".join(outcome.name for outcome in self.outcomes)
        raise KeyError(f"no scenario named {name}; the scenarios are {names}")

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(outcome.name for outcome in self.outcomes)

    def to_frame(self) -> pandas.DataFrame:
        """One row per scenario, its figures as columns (needs the ``notebook`` extra).

        Indexed by the scenario's name; ``rejected`` counts the events not applied.
        """
        from ..report.frames import records_frame

        records = []
        for outcome in self.outcomes:
            record: dict[str, Any] = {
                field.name: getattr(outcome, field.name)
                for field in fields(outcome)
                if field.name not in ("periods", "result", "terms")
            }
            if outcome.terms is not None:
                record.update(asdict(outcome.terms))
            record["rejected"] = len(outcome.rejected)
            records.append(record)
        return records_frame(records, index="name")

    def periods_frame(self) -> pandas.DataFrame:
        """One row per scenario and period, for plotting (needs the ``notebook`` extra).

        The columns are the plan, its currency and the fields of :class:`PeriodFigures`.
        """
        from ..report.frames import records_frame

        records = [
            {"plan": outcome.name, "currency": outcome.currency, **asdict(period)}
            for outcome in self.outcomes
            for period in outcome.periods
        ]
        return records_frame(records, PERIOD_COLUMNS)

    def _repr_html_(self) -> str:
        """A table: one row per figure, one column per scenario."""
        caption = f"through {self.through}" if self.through else None
        return html_table(comparison_rows(self), caption=caption)


#: One scenario's run: (name, plan book, through) -> its outcome.
ScenarioRun = Callable[[str, PlanBook, "dt.date | None"], "PlanOutcome"]

#: The columns of :meth:`Comparison.periods_frame`.
PERIOD_COLUMNS = [
    "plan",
    "currency",
    "period",
    "gross",
    "payout",
    "cumulative_payout",
    "clawed_back",
    "held",
    "debt",
]


# The figures as text ---------------------------------------------------------------------


def _figures(
    money: MoneyFormat, ratio: FigureFormat, day: FigureFormat, outcomes: Sequence[PlanOutcome]
) -> list[tuple[str, str, Callable[[PlanOutcome], str]]]:
    """The figures of a comparison: field name, label, and how to show it for one outcome."""

    def cash(attribute: str) -> Callable[[PlanOutcome], str]:
        return lambda o: money(getattr(o, attribute), o.currency)

    def term(attribute: str) -> Callable[[PlanOutcome], str]:
        return lambda o: "" if o.terms is None else money(getattr(o.terms, attribute), o.currency)

    figures: list[tuple[str, str, Callable[[PlanOutcome], str]]] = [
        ("currency", "currency", lambda o: o.currency),
        ("payout", "total payout", cash("payout")),
        ("gross", "commission earned (net)", cash("gross")),
        ("clawed_back", "clawed back", cash("clawed_back")),
        ("reinstated", "reinstated", cash("reinstated")),
        ("peak_debt", "peak debt", cash("peak_debt")),
        ("peak_debt_period", "peak debt in", lambda o: o.peak_debt_period or ""),
        ("final_debt", "final debt", cash("final_debt")),
        ("held", "held at end", cash("held")),
        ("collected", "cash collected", cash("collected")),
        ("cost_share", "payout / cash collected", lambda o: ratio(o.cost_share)),
        ("weighted_days", "avg days invoice to payable", lambda o: day(o.weighted_days)),
        ("rejected", "events not applied", lambda o: str(len(o.rejected))),
    ]
    if any(outcome.terms is not None for outcome in outcomes):
        figures[-1:-1] = [(name, label, term(name)) for name, label in TERM_FIGURES]
    return figures


def comparison_rows(comparison: Comparison, money: MoneyFormat = show) -> list[list[str]]:
    """A header row (``figure`` then one column per scenario), then one row per figure."""
    rows = [["figure", *comparison.names]]
    for _, label, shown in _figures(money, percent, days, comparison.outcomes):
        rows.append([label, *(shown(outcome) for outcome in comparison.outcomes)])
    return rows


def comparison_csv_rows(comparison: Comparison) -> list[list[str]]:
    """As :func:`comparison_rows`, with field names and exact shares and days."""
    rows = [["figure", *comparison.names]]
    for name, _, shown in _figures(show, exact, exact, comparison.outcomes):
        rows.append([name, *(shown(outcome) for outcome in comparison.outcomes)])
    return rows


def outcome_document(outcome: PlanOutcome) -> dict[str, object]:
    """One scenario as JSON-ready data: money as strings with the currency's digits.

    Shares and average days are exact decimal strings (``null`` when undefined).
    """
    document: dict[str, object] = {"plan": outcome.name}
    for name, _, shown in _figures(show, exact, exact, (outcome,)):
        if name != "rejected":
            document[name] = shown(outcome) or None
    document["rejected"] = [rejection_document(r) for r in outcome.rejected]
    document["pending"] = outcome.result.pending
    document["periods"] = [
        {
            "period": p.period,
            **{
                field: show(getattr(p, field), outcome.currency)
                for field in ("gross", "payout", "cumulative_payout", "clawed_back", "held", "debt")
            },
        }
        for p in outcome.periods
    ]
    return document

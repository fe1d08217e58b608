"""Plots for notebooks with matplotlib (the ``notebook`` extra).

Each function draws on the ``ax`` it is given (or on a new figure) and returns
the axes, so a notebook can combine and restyle them. Amounts are turned into
floats only here, to place points on a screen; every figure a plot shows
comes from the exact results.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..report.extras import require
from .comparison import Comparison
from .customer_figures import CustomerPnl
from .overdue import Overdue, Stages
from .receivables import BUCKETS, Aging

if TYPE_CHECKING:
    from matplotlib.axes import Axes

#: The per-period series a comparison can plot (fields of :class:`~.comparison.PeriodFigures`).
SERIES = ("gross", "payout", "cumulative_payout", "clawed_back", "held", "debt")


def _axes(ax: Axes | None) -> Axes:
    if ax is not None:
        return ax
    pyplot: Any = require("matplotlib.pyplot", "a plot")
    _, new = pyplot.subplots(figsize=(8, 4.5))
    axes: Axes = new
    return axes


def plot_series(comparison: Comparison, series: str, ax: Axes | None = None) -> Axes:
    """One line per scenario of a per-period ``series`` (one of :data:`SERIES`)."""
    if series not in SERIES:
        raise ValueError(f"{series} is not a per-period series; choose one of {', '.join(SERIES)}")
    ax = _axes(ax)
    periods = sorted({p.period for o in comparison.outcomes for p in o.periods})
    position = {period: index for index, period in enumerate(periods)}
    for outcome in comparison.outcomes:
        xs = [position[p.period] for p in outcome.periods]
        ys = [float(getattr(p, series)) for p in outcome.periods]
        ax.plot(xs, ys, marker="o", label=outcome.name)
    ax.set_xticks(range(len(periods)), periods, rotation=45, ha="right")
    currencies = sorted({o.currency for o in comparison.outcomes})
    ax.set_ylabel(f"{series.replace('_', ' ')} ({', '.join(currencies)})")
    ax.set_title(f"{series.replace('_', ' ').capitalize()} by plan")
    ax.grid(True, alpha=0.3)
    ax.legend()
    return ax


def plot_cumulative_payout(comparison: Comparison, ax: Axes | None = None) -> Axes:
    """Cumulative payout per period, one line per scenario: who pays how much, how soon."""
    return plot_series(comparison, "cumulative_payout", ax)


def plot_aging(aging: Aging, ax: Axes | None = None) -> Axes:
    """Each rep's open receivables as a horizontal bar stacked by aging bucket."""
    ax = _axes(ax)
    several = len({row.currency for row in aging.reps}) > 1
    labels = [f"{row.rep} ({row.currency})" if several else row.rep for row in aging.reps]
    # From green (current) to red (over 90 days), so the eye goes to what is late.
    shades = require("matplotlib", "a plot").colormaps["RdYlGn_r"]
    left = [0.0] * len(aging.reps)
    for index, bucket in enumerate(BUCKETS):
        widths = [float(row.buckets()[bucket]) for row in aging.reps]
        colour = shades(0.1 + 0.8 * index / (len(BUCKETS) - 1))
        ax.barh(labels, widths, left=left, label=bucket, color=colour)
        left = [start + width for start, width in zip(left, widths, strict=True)]
    ax.invert_yaxis()  # reps read top to bottom, as in the table
    ax.set_xlabel("open receivables")
    ax.set_title(f"Receivables by rep and days past due, as of {aging.as_of}")
    ax.legend(title="days past due")
    return ax


def plot_overdue(overdue: Overdue, ax: Axes | None = None) -> Axes:
    """Each rep's past-due receivables as a horizontal bar stacked by handoff stage."""
    ax = _axes(ax)
    totals = overdue.by_stage()
    several = len({currency for _, currency in totals}) > 1
    labels = [f"{rep} ({currency})" if several else rep for rep, currency in totals]
    shades = require("matplotlib", "a plot").colormaps["RdYlGn_r"]
    left = [0.0] * len(totals)
    for index, stage in enumerate(Stages.NAMES):
        widths = [float(stages[stage]) for stages in totals.values()]
        colour = shades(0.35 + 0.3 * index)
        ax.barh(labels, widths, left=left, label=stage, color=colour)
        left = [start + width for start, width in zip(left, widths, strict=True)]
    ax.invert_yaxis()
    ax.set_xlabel("open past due")
    ax.set_title(f"Receivables past due by rep and who works them, as of {overdue.as_of}")
    ax.legend()
    return ax


def plot_contribution(pnl: CustomerPnl, ax: Axes | None = None) -> Axes:
    """The customers ranked by contribution, largest first, with what carrying their
    receivables and the commission cost on top of it."""
    ax = _axes(ax)
    ranked = pnl.ranked()
    labels = [f"{row.customer} ({row.currency})" for row in ranked]
    kept = [float(row.contribution) for row in ranked]
    carried = [float(row.carrying_cost) for row in ranked]
    commission = [float(row.commission_paid - row.commission_clawed_back) for row in ranked]
    ax.barh(labels, kept, label="contribution")
    ax.barh(labels, carried, left=kept, label="carrying cost")
    ends = [a + b for a, b in zip(kept, carried, strict=True)]
    ax.barh(labels, commission, left=ends, label="commission")
    ax.invert_yaxis()
    ax.set_xlabel("net margin")
    ax.set_title(f"Customers by contribution, through {pnl.through}")
    ax.legend()
    return ax


def plot_days_to_pay(pnl: CustomerPnl, ax: Axes | None = None) -> Axes:
    """Each customer's amount-weighted days to pay against their margin (contribution over
    invoiced): the slow payers and what they leave."""
    ax = _axes(ax)
    rows = [row for row in pnl.customers if row.weighted_days is not None and row.margin]
    xs = [float(row.weighted_days or 0) for row in rows]
    ys = [float(row.margin or 0) * 100 for row in rows]
    ax.scatter(xs, ys)
    for row, x, y in zip(rows, xs, ys, strict=True):
        ax.annotate(row.customer, (x, y), textcoords="offset points", xytext=(4, 4))
    ax.set_xlabel("days to pay (amount-weighted)")
    ax.set_ylabel("contribution margin (% of invoiced)")
    ax.set_title(f"Days to pay against margin, through {pnl.through}")
    ax.grid(True, alpha=0.3)
    return ax

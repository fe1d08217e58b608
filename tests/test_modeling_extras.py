"""The notebook extra: DataFrames, HTML tables and plots; and the core without the extra.

pandas and matplotlib come with the ``dev`` extra; this module imports them, the
rest of the suite does not.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import textwrap
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import matplotlib
import pandas as pd
import pytest
from scenario import Stream, book

matplotlib.use("Agg")  # before pyplot: draw to memory, never to a screen

import matplotlib.pyplot as plt

from commission_engine import Plan, Result, Statement, compute
from commission_engine.modeling import (
    age_receivables,
    compare_plans,
    statements_table,
)
from commission_engine.modeling.plots import (
    plot_aging,
    plot_cumulative_payout,
    plot_series,
)
from commission_engine.report.frames import lines_frame, statements_frame
from commission_engine.report.html import register_notebook_display

LEVELS = [Plan(id=f"L{n}", currency="USD", level=n, rate="0.10") for n in range(5)]
AS_OF = dt.date(2026, 4, 30)


def stream() -> Stream:
    return (
        Stream()
        .invoice("2026-01-05", "I1", "2000.00", due="2026-01-31")
        .invoice("2026-01-10", "I2", "1100.00", tax="100.00", splits="ana=0.5;bo=0.5")
        .pay("2026-02-20", "I2", "1100.00")
        .invoice("2026-03-01", "I3", "3000.00")
        .pay("2026-04-20", "I1", "2000.00")
        .invoice("2026-04-25", "I4", "800.00")
    )


def test_the_comparison_frame_has_one_row_per_plan_with_exact_amounts() -> None:
    comparison = compare_plans(LEVELS, stream().events)
    frame = comparison.to_frame()
    assert list(frame.index) == ["L0", "L1", "L2", "L3", "L4"]
    for outcome in comparison.outcomes:
        row = frame.loc[outcome.name]
        assert row["payout"] == outcome.payout
        assert isinstance(row["payout"], Decimal)
        assert row["peak_debt"] == outcome.peak_debt
        assert row["rejected"] == 0
    assert "result" not in frame.columns and "periods" not in frame.columns


def test_the_periods_frame_sums_back_to_the_totals() -> None:
    comparison = compare_plans(LEVELS, stream().events)
    frame = comparison.periods_frame()
    assert set(frame["plan"]) == set(comparison.names)
    totals = frame.groupby("plan")["payout"].sum()
    assert all(totals[o.name] == o.payout for o in comparison.outcomes)
    last = frame.groupby("plan")["cumulative_payout"].last()
    assert all(last[o.name] == o.payout for o in comparison.outcomes)


def test_aging_frames() -> None:
    aging = age_receivables(book(2), stream().events, AS_OF)
    reps = aging.to_frame()
    assert list(reps["rep"]) == ["ana", "bo"]
    assert list(reps.columns[2:7]) == ["current", "1-30", "31-60", "61-90", "over 90"]
    assert reps["at_risk"].sum() == sum(row.at_risk for row in aging.reps)
    items = aging.items_frame()
    assert set(items["invoice"]) == {"I3", "I4"}
    assert (items["at_risk"] == items["held"] + items["clawback_exposure"]).all()
    dso = aging.dso_frame()
    assert list(dso.columns) == ["rep", "currency", "period", "receivables", "sales", "days", "dso"]
    assert len(dso) == 4 + 4  # ana and bo, January to April


def test_statement_and_line_frames() -> None:
    result = compute(book(2), stream().events)
    frame = statements_frame(result)
    assert len(frame) == len(result.statements)
    assert "lines" not in frame.columns
    assert frame["payout"].sum() == sum(s.payout for s in result.statements)
    lines = lines_frame(result)
    assert list(lines["kind"]) == [line.kind for line in result.lines]


def test_html_tables_escape_and_show_every_figure() -> None:
    comparison = compare_plans(LEVELS, stream().events)
    html = comparison._repr_html_()
    assert html.startswith('<table class="commission-engine">')
    assert "<th>L4</th>" in html and "total payout" in html
    assert str(comparison["L0"].payout) in html
    aging = age_receivables(book(2), stream().events, AS_OF)
    assert f"receivables as of {AS_OF}" in aging._repr_html_()
    evil = Stream("<script>").invoice("2026-01-05", "I1", "100.00")
    table = statements_table(compute(book(0), evil.events))
    assert "&lt;script&gt;" in table._repr_html_() and "<script>" not in table._repr_html_()


def test_statements_table_keeps_one_rep() -> None:
    result = compute(book(2), stream().events)
    table = statements_table(result, rep="bo")
    assert {s.rep for s in table.statements} == {"bo"}
    assert str(table).splitlines()[0].split() == [
        "rep", "period", "currency", "gross", "recovered", "payout", "debt_balance",
        "held_balance",
    ]  # fmt: skip


def test_register_notebook_display_teaches_ipython_to_show_results() -> None:
    registered: dict[type, Any] = {}

    class Formatter:
        def for_type(self, kind: type, show: Any) -> None:
            registered[kind] = show

    shell = SimpleNamespace(
        display_formatter=SimpleNamespace(formatters={"text/html": Formatter()})
    )
    register_notebook_display(shell)
    result = compute(book(2), stream().events)
    assert registered[Result](result) == statements_table(result)._repr_html_()
    assert "<td" in registered[Statement](result.statements[0])
    register_notebook_display()  # outside IPython: nothing to do, no error


def test_plots_draw_one_line_per_plan_and_one_bar_segment_per_bucket() -> None:
    comparison = compare_plans(LEVELS, stream().events)
    ax = plot_cumulative_payout(comparison)
    assert [line.get_label() for line in ax.get_lines()] == list(comparison.names)
    l0 = ax.get_lines()[0]
    assert list(l0.get_ydata()) == [float(p.cumulative_payout) for p in comparison["L0"].periods]
    plt.close(ax.figure)
    fig, axes = plt.subplots(1, 2)
    assert plot_series(comparison, "debt", axes[0]) is axes[0]
    with pytest.raises(ValueError, match="not a per-period series"):
        plot_series(comparison, "lines", axes[0])
    aging = age_receivables(book(2), stream().events, AS_OF)
    bars = plot_aging(aging, axes[1])
    assert len(bars.patches) == 5 * len(aging.reps)
    widths = [patch.get_width() for patch in bars.patches]
    assert sum(widths) == pytest.approx(float(sum(row.open for row in aging.reps)))
    plt.close(fig)


def test_the_core_and_modeling_work_without_pandas_or_matplotlib() -> None:
    # A None entry in sys.modules makes "import pandas" fail as if it were not installed.
    script = textwrap.dedent(
        """
        import sys
        for name in ("pandas", "matplotlib", "matplotlib.pyplot", "IPython"):
            sys.modules[name] = None
        import commission_engine
        from commission_engine import Plan
        from commission_engine.modeling import MissingExtraError, compare_plans
        events = [{"type": "invoice", "id": "e1", "date": "2026-01-05", "invoice": "I1",
                   "rep": "ana", "amount": "100.00"}]
        plan = Plan(id="L0", currency="USD", level=0, rate="0.10")
        comparison = compare_plans([plan], events)
        assert str(comparison["L0"].payout) == "10.00"
        assert "<table" in comparison._repr_html_()
        try:
            comparison.to_frame()
        except MissingExtraError as error:
            print(error)
        try:
            from commission_engine.modeling.plots import plot_cumulative_payout
            plot_cumulative_payout(comparison)
        except MissingExtraError as error:
            print(error)
        """
    )
    run = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines() == [
        "a DataFrame needs pandas, which is not installed; "
        "install it with: pip install 'commission-engine[notebook]'",
        "a plot needs matplotlib, which is not installed; "
        "install it with: pip install 'commission-engine[notebook]'",
    ]


def test_frames_use_pandas_objects() -> None:
    assert isinstance(compare_plans(LEVELS, stream().events).to_frame(), pd.DataFrame)

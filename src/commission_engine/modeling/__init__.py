"""Plan modeling for notebooks: compare plans on the same events, age the receivables, list
what is overdue (:func:`overdue_list`) and each customer's P&L (:func:`customer_pnl`).

:func:`compare_plans` answers "what would this plan have cost us, and when would
reps have been paid?"; :func:`age_receivables` shows, per rep, the receivables
behind the pay and the commission still at risk. Both work on the core alone;
DataFrames (``to_frame()``) and plots (:mod:`.plots`) need the optional
``notebook`` extra (pandas, matplotlib), imported only when asked for.
"""

from ..report.extras import MissingExtraError
from ..report.html import StatementTable, statements_table
from .aging import age_receivables
from .compare import compare_plans
from .comparison import Comparison, PeriodFigures, PlanOutcome
from .customer_figures import CustomerFigures, CustomerPnl
from .customers import customer_pnl
from .overdue import Overdue, OverdueItem, Stages, overdue_list
from .receivables import BUCKETS, Aging, OpenItem, PeriodDso, RepAging, bucket_of

__all__ = [
    "BUCKETS",
    "Aging",
    "Comparison",
    "CustomerFigures",
    "CustomerPnl",
    "MissingExtraError",
    "OpenItem",
    "Overdue",
    "OverdueItem",
    "PeriodDso",
    "PeriodFigures",
    "PlanOutcome",
    "RepAging",
    "Stages",
    "StatementTable",
    "age_receivables",
    "bucket_of",
    "compare_plans",
    "customer_pnl",
    "overdue_list",
    "statements_table",
]

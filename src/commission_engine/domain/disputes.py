"""The past-due clock of SEMANTICS.md 11.6: disputes stop it.

On day ``t`` the past-due count is the number of days from ``due`` (included) to ``t``
(excluded) that are not inside a dispute; a dispute covers the days from its date up to,
not including, its resolution's date. The engine keeps the clock by moving the clawback
date on each resolution by :func:`days_paused`; a report that needs the count itself (the
overdue list) takes it from :func:`past_due_days`, the same rule.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

#: A dispute's span: its date, and its resolution's (``None`` while it is open).
Span = tuple[dt.date, dt.date | None]


def days_paused(since: dt.date, resolved: dt.date, due: dt.date) -> int:
    """The days of a dispute from ``since`` to ``resolved`` that are past ``due``: those the
    clock did not count (none of a dispute settled before the due date).

    >>> days_paused(dt.date(2026, 2, 10), dt.date(2026, 2, 20), due=dt.date(2026, 1, 31))
    10
    >>> days_paused(dt.date(2026, 1, 20), dt.date(2026, 2, 5), due=dt.date(2026, 1, 31))
    5
    """
    return max(0, (resolved - max(since, due)).days)


def past_due_days(due: dt.date, disputes: Iterable[Span], day: dt.date) -> int:
    """The past-due count on ``day``: days from ``due`` to ``day`` not inside a dispute.
    Before the due date it is the (negative) number of days until it, as without disputes.

    >>> due = dt.date(2026, 1, 31)
    >>> past_due_days(due, [(dt.date(2026, 2, 10), dt.date(2026, 2, 20))], dt.date(2026, 3, 11))
    29
    >>> past_due_days(due, [(dt.date(2026, 2, 10), None)], dt.date(2026, 3, 11))  # still open
    10
    """
    count = (day - due).days
    if count <= 0:
        return count
    for since, resolved in disputes:
        end = day if resolved is None or resolved > day else resolved
        count -= max(0, (end - max(since, due)).days)
    return count

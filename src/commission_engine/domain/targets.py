"""A rep's part of an invoice: the plan's terms, and the cumulative targets (SEMANTICS.md 3-4).

The formulas of the specification, as pure functions of the invoice's amounts and the plan's
terms. The engine posts the difference of each rounded target from what it posted before
(:meth:`~.engine.Engine._post`, which recomputes a target only when its argument moved);
plan modeling asks the same functions what a clawback would take
(:mod:`..modeling.aging`).
"""

from __future__ import annotations

from decimal import Decimal

from .money import ONE, ZERO, Exact, Rounding, exact_product, rounder
from .plans import Plan, PlanBook
from .rating import bands_of, commission_in_bands


class Terms:
    """What the per-event arithmetic needs from one plan, computed once per run.

    ``advance``, ``cash_share`` and ``write_off_share`` are ``a``, ``1 - a`` and
    ``a*w + 1 - a`` of SEMANTICS.md section 3.
    """

    __slots__ = (
        "advance",
        "bands",
        "cash_share",
        "claws_back_write_off",
        "earns_on_collection",
        "plan",
        "round",
        "write_off_share",
    )

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.advance = plan.advance
        self.cash_share = ONE - plan.advance
        self.claws_back_write_off = plan.clawback.on_write_off
        self.write_off_share = (plan.advance if self.claws_back_write_off else ZERO) + (
            ONE - plan.advance
        )
        self.earns_on_collection = plan.earn_on == "collection"
        self.bands = bands_of(plan)
        self.round: Rounding = rounder(plan.currency, plan.rounding)

    def commission(self, attained: Exact, credit: Exact) -> Exact:
        """Commission, unrounded and exact, on ``credit`` added to ``attained``."""
        rate = self.plan.rate
        if rate is not None:
            return exact_product(rate, credit)
        return commission_in_bands(self.bands, attained, credit)


def terms_by_plan(plans: PlanBook) -> dict[str, Terms]:
    """Plan id -> its :class:`Terms`."""
    return {plan.id: Terms(plan) for plan in plans.plans}


def payable_base(
    terms: Terms, net: Decimal, paid: Decimal, written_off: Decimal, past_due: bool
) -> Decimal:
    """What ``u`` multiplies in the payable target of an invoice earned at invoicing::

        a * (net - w*written_off - d*open) + (1 - a) * paid

    with ``d = 1`` once the invoice is ``past_due`` (``open = net - paid - written_off``).
    The rounded target is ``terms.round.times_ratio(C, payable_base(...), A)``.

    >>> terms = Terms(Plan(id="l2", currency="USD", level=2, rate="0.1"))
    >>> payable_base(terms, Decimal(1000), Decimal(400), Decimal(0), past_due=False)
    Decimal('700.0')
    >>> payable_base(terms, Decimal(1000), Decimal(400), Decimal(0), past_due=True)
    Decimal('400.0')
    """
    on_advance = net
    if terms.claws_back_write_off:
        on_advance -= written_off
    if past_due:
        on_advance -= net - paid - written_off
    return terms.advance * on_advance + terms.cash_share * paid


def forfeited_base(terms: Terms, written_off: Decimal) -> Decimal:
    """What ``u`` multiplies in the forfeited target: ``written_off * (a*w + 1 - a)``."""
    return terms.write_off_share * written_off

"""Commission plans, their level presets, and which rep is on which plan when.

A :class:`Plan` is a frozen value. Its five involvement levels (SEMANTICS.md
section 2) are presets of four collection terms (``earn_on``, ``advance``,
``clawback.on_write_off``, ``clawback.after_days_past_due``) plus
``clawback.max_recovery``; any term given explicitly overrides the preset.
"""

# No ``from __future__ import annotations`` here: pydantic reads these models' annotations
# when it makes their classes, and each kept as text costs a compile() at every start.

import datetime as dt
from bisect import bisect_right
from collections.abc import Callable
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from .currencies import is_currency
from .errors import PlanError
from .events import in_range
from .money import ONE, ZERO, RoundingMode, is_whole_minor_units, to_decimal

#: A number read from its text, never through float (and below 10^15 in size).
Number = Annotated[Decimal, BeforeValidator(to_decimal)]


def _not_bool(value: Any) -> Any:
    # pydantic reads true as 1 where a number is expected: refused, it is a slip.
    if isinstance(value, bool):
        raise ValueError(f"expected a number, got {str(value).lower()}")
    return value


#: The most days of payment terms or past due a plan may name: ten years. With event dates
#: within 1900-2199, every due date and clawback day is then a date too.
MAX_DAYS = 3650
#: The highest rate (flat or a tier's) a plan may set: 10, that is 1,000 %.
MAX_RATE = 10
Days = Annotated[int, BeforeValidator(_not_bool), Field(ge=0, le=MAX_DAYS)]
Rate = Annotated[Number, Field(ge=0, le=MAX_RATE)]

Level = Literal[0, 1, 2, 3, 4]
EarnOn = Literal["invoice", "collection"]
QuotaPeriod = Literal["month", "quarter", "year", "quarter_ytd"]
BonusPeriod = Literal["month", "quarter", "year"]
Base = Literal["revenue", "gross_profit"]

#: Built when first used (``defer_build``): reading a plan file builds ``PlanBook``, the plans
#: and their terms inside it, at once (one validator, not one a model); ``import`` builds none.
_FROZEN = ConfigDict(frozen=True, extra="forbid", defer_build=True)

#: Level -> (earn_on, advance, on_write_off, after_days_past_due). At L3 and
#: L4 nothing is advanced, so the clawback terms are moot; they are left off.
PRESETS: dict[int, tuple[EarnOn, Decimal, bool, int | None]] = {
    0: ("invoice", ONE, False, None),
    1: ("invoice", ONE, True, 90),
    2: ("invoice", Decimal("0.5"), True, 90),
    3: ("invoice", ZERO, False, None),
    4: ("collection", ZERO, False, None),
}


class Clawback(BaseModel):
    """When advanced commission is taken back, and how fast debt is recovered."""

    model_config = _FROZEN

    on_write_off: bool = Field(default=False, strict=True)
    after_days_past_due: Days | None = None
    max_recovery: Number = ONE

    @field_validator("max_recovery")
    @classmethod
    def _fraction(cls, value: Decimal) -> Decimal:
        if not ZERO <= value <= ONE:
            raise ValueError("max_recovery is a fraction of gross between 0 and 1")
        return value


class Tier(BaseModel):
    """A marginal tier: ``rate`` applies to attainment from ``from_`` x quota upward."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True, defer_build=True)

    from_: Number = Field(alias="from", ge=0)
    rate: Rate


# Incentives, guarantees (SEMANTICS.md section 11) ------------------------------------------


class CashWithOrder(BaseModel):
    """Extra commission, at ``rate`` of the credited base, on cash paid by ``within_days``
    after the invoice date (11.1)."""

    model_config = _FROZEN

    rate: Rate
    within_days: Days = 0


class LateStep(BaseModel):
    """From ``after_days`` days late on, commission that cash releases is scaled by ``factor``."""

    model_config = _FROZEN

    after_days: Days
    factor: Annotated[Number, Field(ge=0, le=1)]


class BonusTier(BaseModel):
    """A collection bonus tier: ``amount`` when the measure is ``at_most`` (dso) or
    ``at_least`` (current) the bound."""

    model_config = _FROZEN

    at_most: Annotated[Number, Field(ge=0)] | None = None
    at_least: Annotated[Number, Field(ge=0, le=1)] | None = None
    amount: Annotated[Number, Field(gt=0)]

    @model_validator(mode="after")
    def _one_bound(self) -> "BonusTier":
        if (self.at_most is None) == (self.at_least is None):
            raise ValueError("give a tier either at_most (dso) or at_least (current)")
        return self


class CollectionBonus(BaseModel):
    """A fixed amount per bonus ``period`` for collecting well, by DSO or share current (11.3)."""

    model_config = _FROZEN

    period: BonusPeriod
    measure: Literal["dso", "current"]
    tiers: tuple[BonusTier, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _tiers_fit_the_measure(self) -> "CollectionBonus":
        bound = "at_most" if self.measure == "dso" else "at_least"
        other = "at_least" if bound == "at_most" else "at_most"
        problems = [
            _problem(("tiers", i, other), f"a {self.measure} tier takes {bound}, not {other}")
            for i, tier in enumerate(self.tiers)
            if getattr(tier, other) is not None
        ]
        if not problems:
            bounds = [getattr(tier, bound) for tier in self.tiers]
            # Tiers are read in order and the first that holds pays: each must be harder
            # to reach than the next, or it could never pay.
            for i in range(1, len(bounds)):
                later_is_looser = (
                    bounds[i] > bounds[i - 1] if bound == "at_most" else (bounds[i] < bounds[i - 1])
                )
                if not later_is_looser:
                    order = "increasing" if bound == "at_most" else "decreasing"
                    problems.append(_problem(
                        ("tiers", i, bound),
                        f"tiers out of order: {bound} must be strictly {order} from one tier "
                        f"to the next (the first tier that holds pays), got {bounds[i - 1]} "
                        f"then {bounds[i]}",
                    ))  # fmt: skip
        if problems:
            raise ValidationError.from_exception_data("CollectionBonus", problems)
        return self


class Incentives(BaseModel):
    """The rewards and penalties of section 11: each optional, absent means off."""

    model_config = _FROZEN

    cash_with_order: CashWithOrder | None = None
    late_payment: tuple[LateStep, ...] | None = Field(default=None, min_length=1)
    collection_bonus: CollectionBonus | None = None

    @field_validator("late_payment")
    @classmethod
    def _ascending(cls, steps: tuple[LateStep, ...] | None) -> tuple[LateStep, ...] | None:
        if steps is None:
            return None
        problems = [
            _problem(
                (i, "after_days"),
                f"late_payment out of order: after_days must be strictly increasing, got "
                f"{steps[i - 1].after_days} then {steps[i].after_days}",
            )
            for i in range(1, len(steps))
            if steps[i].after_days <= steps[i - 1].after_days
        ]
        if problems:
            raise ValidationError.from_exception_data("Incentives", problems)
        return steps


class Draw(BaseModel):
    """A guaranteed minimum payout per pay period; ``recoverable`` draws become debt (11.5)."""

    model_config = _FROZEN

    amount: Annotated[Number, Field(gt=0)]
    recoverable: bool = Field(strict=True)


def _problem(loc: tuple[str | int, ...], reason: str) -> InitErrorDetails:
    """A validation error at ``loc`` below the model being validated, worded ``reason``."""
    error = PydanticCustomError("value_error", "{error}", {"error": reason})
    return InitErrorDetails(type=error, loc=loc, input=None)


def _is_preset(level: object) -> bool:
    # Whatever a file says the level is (a list, say), this only asks; the field validates it.
    try:
        return level in PRESETS and not isinstance(level, bool)
    except TypeError:  # unhashable
        return False


class Plan(BaseModel):
    """A commission plan. Build it with keywords; a level fills in what is not given.

    >>> plan = Plan(id="std", currency="USD", level=2, rate="0.10")
    >>> plan.earn_on, plan.advance, plan.clawback.after_days_past_due
    ('invoice', Decimal('0.5'), 90)
    >>> Plan(id="l1", currency="USD", level=1, rate="0.1",
    ...      clawback={"after_days_past_due": 30}).clawback.on_write_off
    True
    """

    model_config = _FROZEN

    id: str = Field(min_length=1)
    currency: str
    level: Annotated[Level, BeforeValidator(_not_bool)]
    earn_on: EarnOn
    advance: Number
    clawback: Clawback
    rate: Rate | None = None
    quota: Number | None = Field(default=None, gt=0)
    quota_period: QuotaPeriod = "quarter"
    tiers: tuple[Tier, ...] | None = None
    base: Base = "revenue"
    payment_terms_days: Days = 30
    rounding: RoundingMode = "half_up"
    incentives: Incentives | None = None
    draw: Draw | None = None

    @model_validator(mode="before")
    @classmethod
    def _apply_level_preset(cls, data: Any) -> Any:
        # The level is a preset: fill every term the plan does not set itself.
        if not isinstance(data, dict) or not _is_preset(data.get("level")):
            return data
        earn_on, advance, on_write_off, days = PRESETS[data["level"]]
        filled = dict(data)
        filled.setdefault("earn_on", earn_on)
        filled.setdefault("advance", advance)
        clawback = filled.get("clawback") or {}
        if isinstance(clawback, dict):
            clawback = {"on_write_off": on_write_off, "after_days_past_due": days, **clawback}
        filled["clawback"] = clawback
        return filled

    @field_validator("currency")
    @classmethod
    def _known_currency(cls, value: str) -> str:
        if not is_currency(value):
            raise ValueError(f"'{value}' is not an ISO 4217 currency code")
        return value

    @field_validator("advance")
    @classmethod
    def _advance_fraction(cls, value: Decimal) -> Decimal:
        if not ZERO <= value <= ONE:
            raise ValueError("advance is a fraction of earned commission between 0 and 1")
        return value

    @model_validator(mode="after")
    def _one_rate_rule(self) -> "Plan":
        tiered = self.quota is not None or self.tiers is not None
        if self.rate is not None and tiered:
            raise ValueError("give either a flat rate or quota and tiers, not both")
        if self.rate is None and not tiered:
            raise ValueError("give a flat rate, or quota and tiers")
        if tiered and (self.quota is None or not self.tiers):
            raise ValueError("a tiered plan needs both quota and at least one tier")
        if self.tiers:
            starts = [tier.from_ for tier in self.tiers]
            if starts != sorted(starts) or len(set(starts)) != len(starts):
                raise ValueError("tiers must be listed with strictly increasing 'from'")
        if self.earn_on == "collection" and self.advance != ZERO:
            raise ValueError("a plan that earns on collection has nothing to advance")
        return self

    @model_validator(mode="after")
    def _whole_amounts(self) -> "Plan":
        # Fixed amounts are paid as they are: each must be a whole number of minor units.
        amounts: list[tuple[tuple[str | int, ...], Decimal]] = []
        if self.draw is not None:
            amounts.append((("draw", "amount"), self.draw.amount))
        bonus = self.incentives and self.incentives.collection_bonus
        if bonus:
            amounts.extend(
                (("incentives", "collection_bonus", "tiers", i, "amount"), tier.amount)
                for i, tier in enumerate(bonus.tiers)
            )
        problems = [
            _problem(loc, f"{amount} is not a whole number of {self.currency} minor units")
            for loc, amount in amounts
            if not is_whole_minor_units(amount, self.currency)
        ]
        if problems:
            raise ValidationError.from_exception_data("Plan", problems)
        return self

    @property
    def has_section_11_terms(self) -> bool:
        """Whether the plan carries any term of SEMANTICS.md section 11."""
        return (
            self.incentives is not None
            or self.draw is not None
            or self.quota_period == "quarter_ytd"
        )


class Assignment(BaseModel):
    """Rep ``rep`` (or ``"*"``, any rep not named otherwise) is on ``plan`` from ``from_``."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True, defer_build=True)

    rep: str = Field(min_length=1)
    plan: str = Field(min_length=1)
    from_: Annotated[dt.date, AfterValidator(in_range)] = Field(alias="from")


ANY_REP = "*"


class PlanBook(BaseModel):
    """The plans and who is on which, with :meth:`plan_for` to look one up.

    A book with a single plan and no assignments puts every rep on that plan.
    A rep named in any assignment is governed only by their own assignments;
    ``"*"`` covers the reps never named.

    >>> book = PlanBook(plans=[Plan(id="p", currency="USD", level=0, rate="0.1")])
    >>> book.plan_for("anyone", dt.date(2026, 1, 1)).id
    'p'
    """

    model_config = _FROZEN

    plans: tuple[Plan, ...] = Field(min_length=1)
    assignments: tuple[Assignment, ...] = ()

    _by_id: dict[str, Plan] = PrivateAttr(default_factory=dict)
    _schedule: "Schedule" = PrivateAttr()

    @model_validator(mode="after")
    def _consistent(self) -> "PlanBook":
        ids = [plan.id for plan in self.plans]
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        if repeated:
            raise ValueError(f"plan id {repeated[0]} is defined more than once")
        if not self.assignments and len(self.plans) > 1:
            raise ValueError("with more than one plan, assignments must say who is on which")
        for assignment in self.assignments:
            if assignment.plan not in ids:
                raise ValueError(
                    f"assignment of {assignment.rep} from {assignment.from_} names "
                    f"unknown plan {assignment.plan}; plans are {', '.join(ids)}"
                )
        seen: set[tuple[str, dt.date]] = set()
        for assignment in self.assignments:
            key = (assignment.rep, assignment.from_)
            if key in seen:
                raise ValueError(f"{assignment.rep} has two assignments from {assignment.from_}")
            seen.add(key)
        return self

    def model_post_init(self, context: Any, /) -> None:
        # Index once, so the per-event lookup is a dict hit and a bisect.
        self._by_id.update({plan.id: plan for plan in self.plans})
        # Assignments naming unknown plans are left out here; the validator after this
        # rejects the book with a message naming them.
        known = [a for a in self.assignments if a.plan in self._by_id]
        self._schedule = Schedule(tuple(known), self._by_id, self.plans[0])

    def plan(self, plan_id: str) -> Plan:
        """The plan with id ``plan_id``."""
        try:
            return self._by_id[plan_id]
        except KeyError:
            raise PlanError(f"no plan with id {plan_id}") from None

    def recovery_terms(self, rep: str, on: dt.date) -> tuple[Decimal, RoundingMode]:
        """``max_recovery`` and rounding of ``rep``'s plan on ``on``; (1, half_up) with none."""
        return self._schedule.recovery_terms(rep, on)

    def plan_for(self, rep: str, on: dt.date) -> Plan | None:
        """The plan ``rep`` is on at date ``on``, or ``None`` when no plan is in force."""
        return self._schedule.plan_for(rep, on)

    def schedule(self) -> "Schedule":
        """The assignment index behind :meth:`plan_for`, for callers that look up per event."""
        return self._schedule

    def draw_terms(self) -> Callable[[str, dt.date], tuple[Decimal, bool, str] | None] | None:
        """For netting: the draw of a rep's plan on a day, or ``None`` when no plan has one."""
        if all(plan.draw is None for plan in self.plans):
            return None
        return self._schedule.draw_for


class Schedule:
    """Which plan each rep is on when: per rep, assignment start dates and their plans."""

    __slots__ = ("_by_rep",)

    def __init__(
        self, assignments: tuple[Assignment, ...], plans: dict[str, Plan], only: Plan
    ) -> None:
        self._by_rep: dict[str, tuple[list[dt.date], list[Plan]]] = {}
        if not assignments:
            self._by_rep[ANY_REP] = ([dt.date.min], [only])
        for assignment in sorted(assignments, key=lambda a: (a.rep, a.from_)):
            dates, in_force = self._by_rep.setdefault(assignment.rep, ([], []))
            dates.append(assignment.from_)
            in_force.append(plans[assignment.plan])

    def plan_for(self, rep: str, on: dt.date) -> Plan | None:
        """The plan ``rep`` is on at date ``on``, or ``None`` when no plan is in force."""
        return self.span_of(rep, on)[2]

    def span_of(self, rep: str, on: dt.date) -> tuple[dt.date, dt.date, Plan | None]:
        """The plan ``rep`` is on at date ``on`` (``None`` when no plan is in force), and the
        days it stays so: ``(first, until, plan)``, ``first <= on < until`` (``until`` is
        ``date.max`` for the last assignment), for a caller that keeps the answer while its
        days stay inside (the engine, an invoice); :meth:`plan_for` is its plan alone.

        >>> book = PlanBook(plans=[{"id": "a", "currency": "USD", "level": 3, "rate": "0.1"},
        ...                        {"id": "b", "currency": "USD", "level": 3, "rate": "0.2"}],
        ...                 assignments=[{"rep": "r", "plan": "a", "from": "2026-01-01"},
        ...                              {"rep": "r", "plan": "b", "from": "2026-03-01"}])
        >>> first, until, plan = book.schedule().span_of("r", dt.date(2026, 2, 9))
        >>> str(first), str(until), plan.id
        ('2026-01-01', '2026-03-01', 'a')
        >>> book.schedule().span_of("r", dt.date(2025, 12, 31))
        (datetime.date(1, 1, 1), datetime.date(2026, 1, 1), None)
        """
        schedule = self._by_rep.get(rep) or self._by_rep.get(ANY_REP)
        if schedule is None:
            return dt.date.min, dt.date.max, None
        dates, plans = schedule
        index = bisect_right(dates, on) - 1
        until = dates[index + 1] if index + 1 < len(dates) else dt.date.max
        if index < 0:
            return dt.date.min, until, None
        return dates[index], until, plans[index]

    def recovery_terms(self, rep: str, on: dt.date) -> tuple[Decimal, RoundingMode]:
        """``max_recovery`` and rounding of ``rep``'s plan on ``on``; (1, half_up) with none."""
        plan = self.plan_for(rep, on)
        return (ONE, "half_up") if plan is None else (plan.clawback.max_recovery, plan.rounding)

    def draw_for(self, rep: str, on: dt.date) -> tuple[Decimal, bool, str] | None:
        """(amount, recoverable, currency) of the draw of ``rep``'s plan on ``on``; ``None``
        with no draw or no plan in force."""
        plan = self.plan_for(rep, on)
        if plan is None or plan.draw is None:
            return None
        return plan.draw.amount, plan.draw.recoverable, plan.currency

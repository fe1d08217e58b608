"""The events the engine folds over, their fixed order, and turning raw records into them.

Events are frozen msgspec Structs, one class per type, the one place their schema is
written (fields, order, defaults). A record is validated once when it is read, by pydantic
dataclasses made from the Structs with the rules below beside them (:func:`parse_event`,
which also words the rejections); a JSON line that is plainly valid is decoded by msgspec
straight into its Struct (:mod:`..files.fast_json`). Context-free rules of SEMANTICS.md
section 8 (required fields, dates, numbers, signs, tax within amount, shares) are checked
here; rules that need the plan or the invoice's state are checked by the engine.
"""

# No ``from __future__ import annotations`` here: msgspec reads the Structs' annotations when
# it builds a decoder (and ``msgspec.structs.fields`` each call), and an annotation kept as
# text costs a compile() each time; as objects, ``payouts`` starts 26M instructions sooner.
import dataclasses
import datetime as dt
import hashlib
import json
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal, localcontext
from functools import cache, lru_cache
from operator import attrgetter
from typing import Annotated, Any, ClassVar, Literal, TypeVar, Union, cast, get_type_hints

import msgspec
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic.dataclasses import dataclass as pydantic_dataclass

from .errors import Rejection
from .money import EXACT, ONE, ZERO, shown, to_decimal

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_date(value: object) -> object:
    # Accept only YYYY-MM-DD (or a date); refuse timestamps, datetimes and other spellings.
    if isinstance(value, str):
        return _date_from_text(value)
    if isinstance(value, dt.datetime):
        raise ValueError("expected a date (YYYY-MM-DD), not a date and time")
    if isinstance(value, dt.date):
        return in_range(value)
    raise ValueError(f"{shown(value)} is not a date in the form YYYY-MM-DD")


@lru_cache(maxsize=4096)
def _date_from_text(value: str) -> dt.date:
    """The date ``value`` names. Cached: a million events name a few thousand days, and one
    date object per day, not per event, is 30 MB less at a million events (dates are
    immutable, so sharing them changes nothing)."""
    text = value.strip()
    if len(text) == 10 and text[4] == "-" == text[7]:  # the shape first: it is cheap
        try:
            day = dt.date.fromisoformat(text)
        except ValueError:
            if _ISO_DATE.fullmatch(text):
                raise ValueError(f"'{value}' is not a calendar date") from None
        else:
            return shared_day(in_range(day))
    raise ValueError(f"{shown(value)} is not a date in the form YYYY-MM-DD")


#: The days an event, an assignment or a run may name: far enough from the ends of the
#: calendar that every due date and clawback day computed from them is a date too.
FIRST_DAY = dt.date(1900, 1, 1)
LAST_DAY = dt.date(2199, 12, 31)


def in_range(day: dt.date) -> dt.date:
    """``day``, if it lies within :data:`FIRST_DAY` .. :data:`LAST_DAY`; else a ValueError."""
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValueError(
            f"{day.isoformat()} is out of range: dates go from {FIRST_DAY} to {LAST_DAY}"
        )
    return day


#: One date object per day for every event read (emptied when it holds more than this).
#: Only days within FIRST_DAY .. LAST_DAY are kept.
_DAYS: dict[dt.date, dt.date] = {}
_MAX_DAYS = 4096

#: The date object kept for a day, or ``None`` when none is: a day found is within FIRST_DAY
#: .. LAST_DAY. (For a reader's per-line path: a dict lookup, without a call of its own.)
kept_day: Callable[[dt.date], dt.date | None] = _DAYS.get


def shared_day(day: dt.date) -> dt.date:
    """The one date object kept for ``day`` (dates are immutable: sharing changes nothing);
    a day out of range is not kept, and is returned as it is."""
    if not FIRST_DAY <= day <= LAST_DAY:
        return day
    if len(_DAYS) > _MAX_DAYS:
        _DAYS.clear()
    return _DAYS.setdefault(day, day)


Date = Annotated[dt.date, BeforeValidator(_iso_date)]
#: An invoice or rep id: many events name the same one, and they share one string (interned:
#: 55 MB less at a million events, where each payment read its invoice's id afresh).
#: (Each annotation says how pydantic validates a field and how msgspec decodes it.)
Name = Annotated[str, Field(min_length=1), msgspec.Meta(min_length=1), AfterValidator(sys.intern)]
Amount = Annotated[Decimal, BeforeValidator(to_decimal)]
_STRICT = ConfigDict(extra="forbid")


def _positive(value: Decimal) -> Decimal:
    if value <= ZERO:
        raise ValueError(f"amount must be positive, got {value}")
    return value


#: The digits a share may have after the point: enough for any split, and few enough that
#: the shares of an invoice sum exactly.
SHARE_DIGITS = 20


def _share(value: Decimal) -> Decimal:
    # Positive, and a sum of 1, are checked with the other shares (in _shares_sum_to_one).
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -SHARE_DIGITS:
        raise ValueError(
            f"a share has at most {SHARE_DIGITS} digits after the point, got {shown(value)}"
        )
    return value


class Split(msgspec.Struct, frozen=True, forbid_unknown_fields=True, gc=False):
    """One rep's share of an invoice.

    A Struct, as events are: decoded by msgspec with its invoice's line, and checked by
    :func:`parse_event` (as :class:`_SplitRecord`) where a record is read the usual way;
    calling it directly checks nothing.
    """

    rep: Annotated[str, msgspec.Meta(min_length=1)]
    share: Decimal


class _SplitRecord(BaseModel):
    """What :func:`parse_event` checks a split as, before making its :class:`Split`."""

    # Built when first used: a split read from a plainly valid line is made without it.
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    rep: Name
    share: Annotated[Decimal, BeforeValidator(to_decimal), AfterValidator(_share)]


def _splits_from_text(value: object) -> object:
    # The CSV notation "alice=0.6;bob=0.4" for [{rep: alice, share: 0.6}, ...].
    if not isinstance(value, str):
        return value
    splits = []
    for part in value.split(";"):
        rep, sep, share = part.partition("=")
        if not sep:
            raise ValueError(f"'{part}' is not rep=share (as in alice=0.6;bob=0.4)")
        splits.append({"rep": rep.strip(), "share": share.strip()})
    return splits


class BaseEvent(msgspec.Struct, frozen=True, kw_only=True, tag_field="type", gc=False):
    """What every event has: a unique id, a date, and where it came from.

    Events are made by :func:`parse_event`, by :mod:`..files.fast_json` or from values that
    were an event (:func:`event_builder`): calling a class directly validates nothing.
    Frozen Structs hold no reference cycles, so the garbage collector does not track them
    (``gc=False``): a million are held while a run sorts them.
    """

    ORDER: ClassVar[int]
    FIELDS: ClassVar[tuple[str, ...]]
    #: The event's type, as its records name it (the Struct's tag).
    type: ClassVar[str]

    id: Annotated[str, Field(min_length=1), msgspec.Meta(min_length=1)]
    date: Date
    #: 1-based line in the input file; where the event came from, not what it says.
    line: int | None = None
    #: :meth:`digest`, once computed: by this process, or by the one that read the event.
    known_digest: str | None = None

    # Equality, hash and repr are what the event says: its line and digest are left out.
    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        said = _SAID[self.__class__]
        return said(self) == said(other)

    def __hash__(self) -> int:
        return hash(_SAID[self.__class__](self))

    def __repr__(self) -> str:
        said = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.FIELDS)
        return f"{self.__class__.__name__}({said})"

    def sort_key(self) -> tuple[dt.date, int, str]:
        """Date, then type (invoice first, adjustment last), then id: SEMANTICS.md section 7."""
        return (self.date, self.ORDER, self.id)

    def digest(self) -> str:
        """A digest of what the event says (its line excluded; 10.0 and 10.00 alike).

        Closed books keep these, so the text digested never changes: the fields given, as
        JSON with sorted keys and no spaces, Decimals as strings in plain normalized
        notation, dates ISO, splits as ``[[rep, share], ...]``. The text is written here
        directly (a closed book digests every event of its history; building a dict for
        ``json`` cost twice as much), and ``tests/test_digest.py`` pins it.
        """
        if self.known_digest is not None:
            return self.known_digest
        keys, values_of = _DIGESTED_FIELDS[type(self)]
        fields = []
        for key, value in zip(keys, values_of(self), strict=True):
            kind = type(value)
            if kind is str:
                fields.append(key + _QUOTED(value))
            elif kind is Decimal:
                fields.append(f'{key}"{value.normalize():f}"')
            elif kind is dt.date:
                fields.append(f'{key}"{value.isoformat()}"')
            elif kind is tuple:  # splits
                shares = ",".join(
                    f'[{_QUOTED(split.rep)},"{split.share.normalize():f}"]' for split in value
                )
                fields.append(f"{key}[{shares}]")
            elif value is not None:  # no field holds anything else; written as json would
                fields.append(key + _QUOTED(str(value)))
        text = "{" + ",".join(fields) + "}"
        digest = hashlib.blake2b(text.encode(), digest_size=16).hexdigest()
        _remember_digest(self, digest)  # frozen, but this only remembers
        return digest


#: A string as :mod:`json` writes it by default (ASCII, escaped), quotes included.
_QUOTED: Callable[[str], str] = json.encoder.encode_basestring_ascii
#: Event class -> ``"name":`` of each field it says, in sorted order, and a getter of their values.
_DIGESTED_FIELDS: dict[type, tuple[tuple[str, ...], Callable[[Any], tuple[Any, ...]]]] = {}
#: Event class -> a getter of what an event says (:attr:`BaseEvent.FIELDS`), for ``==``.
_SAID: dict[type, Callable[[Any], tuple[Any, ...]]] = {}


def field_setter(kind: type[BaseEvent], name: str) -> Callable[[Any, Any], None]:
    """What sets field ``name`` of an event of ``kind``, frozen as it is: only to remember its
    digest (:mod:`..files.fast_json` sets the fields of an event it makes in one C call each)."""
    setter: Callable[[Any, Any], None] = getattr(kind, name).__set__
    return setter


_remember_digest = field_setter(BaseEvent, "known_digest")


class Invoice(BaseEvent, tag="invoice", frozen=True, kw_only=True):
    """A sale to a customer: ``amount`` (tax included) owed, credited to ``rep`` or ``splits``."""

    ORDER = 0
    invoice: Name
    rep: Name | None = None
    splits: tuple[Split, ...] | None = None
    amount: Amount
    tax: Amount = ZERO
    cost: Amount = ZERO
    currency: str | None = None
    due: Date | None = None
    customer: str | None = None

    def shares(self) -> tuple[tuple[str, Decimal], ...]:
        """(rep, share) pairs, in the order given; the first rep's plan sets the due date."""
        if self.splits is None:
            assert self.rep is not None
            return ((self.rep, ONE),)
        return tuple((split.rep, split.share) for split in self.splits)


class Dispute(BaseEvent, tag="dispute", frozen=True, kw_only=True):
    """The customer disputes an invoice: its past-due clock stops until it is resolved.

    Ranked right after ``invoice`` in a day (SEMANTICS.md 11.6), so it governs every other
    event of its day.
    """

    ORDER = 1
    invoice: Name
    reason: str | None = None


class DisputeResolved(BaseEvent, tag="dispute_resolved", frozen=True, kw_only=True):
    """An invoice's open dispute is settled: its past-due clock runs again from this day."""

    ORDER = 2
    invoice: Name
    reason: str | None = None


class CreditNote(BaseEvent, tag="credit_note", frozen=True, kw_only=True):
    """Part of an invoice cancelled: lowers what is owed, and the commission on it."""

    ORDER = 3
    invoice: Name
    amount: Amount
    reason: str | None = None


class Payment(BaseEvent, tag="payment", frozen=True, kw_only=True):
    """Cash received on an invoice."""

    ORDER = 4
    invoice: Name
    amount: Amount


class PaymentReversal(BaseEvent, tag="payment_reversal", frozen=True, kw_only=True):
    """A payment undone (a bounced cheque, a charge-back)."""

    ORDER = 5
    invoice: Name
    amount: Amount
    reason: str | None = None


class WriteOff(BaseEvent, tag="write_off", frozen=True, kw_only=True):
    """Part (``amount``) or all (no amount) of an invoice's open balance given up as lost."""

    ORDER = 6
    invoice: Name
    amount: Amount | None = None


class Adjustment(BaseEvent, tag="adjustment", frozen=True, kw_only=True):
    """A manual amount for a rep, positive or negative, with a reason."""

    ORDER = 7
    rep: Name
    amount: Amount
    reason: str | None = None
    currency: str | None = None


#: The event classes, in the order of a day (SEMANTICS.md section 7).
EVENT_CLASSES: tuple[type[BaseEvent], ...] = (
    Invoice,
    Dispute,
    DisputeResolved,
    CreditNote,
    Payment,
    PaymentReversal,
    WriteOff,
    Adjustment,
)
#: The same, as a set: an item told an event by its class in one lookup (``isinstance``
#: against a Struct class binds its metaclass's ``__instancecheck__`` each call).
EVENT_CLASS_SET: frozenset[type[BaseEvent]] = frozenset(EVENT_CLASSES)

for _kind in EVENT_CLASSES:
    _kind.type = str(_kind.__struct_config__.tag)
    # What an event says, in a fixed order: every field but where it came from, its type
    # after its id and date (the order of the dataclasses events once were).
    _said = tuple(name for name in _kind.__struct_fields__ if name not in ("line", "known_digest"))
    _kind.FIELDS = (*_said[:2], "type", *_said[2:])
    _SAID[_kind] = attrgetter(*_kind.FIELDS)
    _DIGESTED_FIELDS[_kind] = (
        tuple(f'"{name}":' for name in sorted(_kind.FIELDS)),
        attrgetter(*sorted(_kind.FIELDS)),
    )

# The rules pydantic checks when a record is read the usual way, beside the fields they
# check; a field's own type (a date, a name, an amount) is checked by its annotation.


def _cost_not_negative(value: Decimal) -> Decimal:
    if value < ZERO:
        raise ValueError(f"cost cannot be negative, got {value}")
    return value


def _tax_within_amount(value: Decimal, info: ValidationInfo) -> Decimal:
    amount = info.data.get("amount")
    if value < ZERO or (amount is not None and value > amount):
        raise ValueError(f"tax {value} must be between 0 and the amount {amount}")
    return value


def _shares_sum_to_one(
    splits: tuple[_SplitRecord, ...] | None,
) -> tuple[_SplitRecord, ...] | None:
    if splits is None:
        return None
    reps = [split.rep for split in splits]
    if not reps:
        raise ValueError("splits is empty")
    twice = [rep for rep in reps if reps.count(rep) > 1]
    if twice:
        raise ValueError(f"splits name rep {twice[0]} twice")
    if any(split.share <= ZERO for split in splits):
        raise ValueError("every share in splits must be positive")
    with localcontext(EXACT):  # exact: below 10^15, at most 20 digits after the point
        total = sum((split.share for split in splits), ZERO)
    if total != ONE:
        raise ValueError(f"shares in splits must sum to exactly 1, they sum to {total}")
    return splits


def _one_way_to_credit(self: Any) -> Any:
    if (self.rep is None) == (self.splits is None):
        raise ValueError("give either rep or splits (exactly one of them)")
    return self


def _optional_positive(value: Decimal | None) -> Decimal | None:
    return None if value is None else _positive(value)


def _not_zero(value: Decimal) -> Decimal:
    if value == ZERO:
        raise ValueError("an adjustment amount cannot be zero")
    return value


def _rules(kind: type[BaseEvent]) -> dict[str, Any]:
    """The pydantic validators of ``kind``'s records (made afresh for each class)."""
    if kind is Invoice:
        return {
            "_amount_positive": field_validator("amount")(_positive),
            "_cost_not_negative": field_validator("cost")(_cost_not_negative),
            "_tax_within_amount": field_validator("tax")(_tax_within_amount),
            "_shares_sum_to_one": field_validator("splits")(_shares_sum_to_one),
            "_one_way_to_credit": model_validator(mode="after")(_one_way_to_credit),
        }
    if kind in (CreditNote, Payment, PaymentReversal):
        return {"_amount_positive": field_validator("amount")(_positive)}
    if kind is WriteOff:
        return {"_amount_positive": field_validator("amount")(_optional_positive)}
    if kind is Adjustment:
        return {"_not_zero": field_validator("amount")(_not_zero)}
    return {}


def _checker(kind: type[BaseEvent]) -> type:
    """The pydantic dataclass that validates a record of ``kind``: the Struct's fields (what
    the event says: :attr:`~BaseEvent.FIELDS`), its defaults and its rules."""
    hints = get_type_hints(kind, include_extras=True)
    defaults = {f.name: f.default for f in msgspec.structs.fields(kind) if not f.required}
    fields: list[tuple[str, Any, Any]] = []
    for name in kind.FIELDS:
        if name == "splits":  # checked as _SplitRecords; made Splits by _made_of
            fields.append((name, _CHECKED_SPLITS, dataclasses.field(default=defaults[name])))
        elif name == "type":
            fields.append((name, Literal[kind.type], dataclasses.field(default=kind.type)))
        elif name in defaults:
            fields.append((name, hints[name], dataclasses.field(default=defaults[name])))
        else:
            fields.append((name, hints[name], dataclasses.field()))
    record = dataclasses.make_dataclass(
        f"{kind.__name__}Record", fields, namespace=_rules(kind), kw_only=True
    )
    return pydantic_dataclass(record, config=_STRICT, kw_only=True)


#: How :func:`parse_event` checks an invoice's splits (the CSV notation too).
_CHECKED_SPLITS = Annotated[tuple[_SplitRecord, ...] | None, BeforeValidator(_splits_from_text)]

#: A checked record's event class, and a getter of its values (:attr:`FIELDS` order).
_Checked = tuple[type[BaseEvent], tuple[str, ...], Callable[[Any], Any]]


def _made_of(names: tuple[str, ...]) -> Callable[[Any], Any]:
    """The getter of a checked record's values, in the order of ``names``: a split checked
    as a :class:`_SplitRecord` given as its :class:`Split`."""
    values_of = attrgetter(*names)
    if "splits" not in names:
        return values_of
    at = names.index("splits")

    def values_with_splits(checked: Any) -> Any:
        values = list(values_of(checked))
        splits = values[at]
        if splits is not None:
            values[at] = tuple(Split(rep=split.rep, share=split.share) for split in splits)
        return values

    return values_with_splits


@cache
def _checking() -> tuple[TypeAdapter[Any], dict[type, _Checked]]:
    """The validator of a record of any type, and what each checked record class makes.

    Made when a record is first checked, not on import: a run whose lines are all plainly
    valid JSON never checks one (:mod:`..files.fast_json`), and building the eight
    validators is a fifth of the command's start-up.
    """
    checkers = tuple(_checker(kind) for kind in EVENT_CLASSES)
    checked: dict[type, _Checked] = {
        checker: (kind, names, _made_of(names))
        for checker, kind in zip(checkers, EVENT_CLASSES, strict=True)
        for names in [tuple(name for name in kind.FIELDS if name != "type")]
    }
    adapter: TypeAdapter[Any] = TypeAdapter(
        cast(Any, Annotated[Union[checkers], Field(discriminator="type")])  # noqa: UP007
    )
    return adapter, checked


Event = (
    Invoice
    | Dispute
    | DisputeResolved
    | CreditNote
    | Payment
    | PaymentReversal
    | WriteOff
    | Adjustment
)
InvoiceEvent = Dispute | DisputeResolved | CreditNote | Payment | PaymentReversal | WriteOff
EVENT_TYPES = tuple(kind.type for kind in EVENT_CLASSES)


#: :func:`sort_key` in C (the same tuple), for sorting a million events a third faster.
SORT_KEY = attrgetter("date", "ORDER", "id")


def sort_key(event: BaseEvent) -> tuple[dt.date, int, str]:
    """The engine's order: date, then type, then id (plain string order)."""
    return (event.date, event.ORDER, event.id)


def parse_event(record: Mapping[str, Any], line: int | None = None) -> Event | Rejection:
    """Validate one raw record (a dict from JSON or CSV) into an event, or say why not.

    >>> parse_event({"type": "payment", "id": "p1", "date": "2026-01-10",
    ...              "invoice": "I1", "amount": "55.00"}, line=2).amount
    Decimal('55.00')
    >>> print(parse_event({"type": "payment", "id": "p2", "date": "2026-01-10",
    ...                    "invoice": "I1", "amount": "-5"}, line=3).message)
    line 3: event p2, field amount: amount must be positive, got -5
    """
    event_id = record.get("id")
    name = str(event_id) if isinstance(event_id, str | int) and event_id != "" else None
    kind = record.get("type")
    if kind not in EVENT_TYPES:
        reason = (
            "the event has no type"
            if kind in (None, "")
            else f"unknown event type '{kind}'; expected one of {', '.join(EVENT_TYPES)}"
        )
        return Rejection(event=name, line=line, field="type", reason=reason)
    if "line" in record:  # where the event came from is ours to say, not a field
        return Rejection(
            event=name, line=line, field="line", reason="is not a field of this event type"
        )
    adapter, made_of = _checking()
    try:
        checked = adapter.validate_python(record)
    except ValidationError as error:
        return _rejection(error, name, line)
    kind, names, values_of = made_of[type(checked)]
    return kind(**dict(zip(names, values_of(checked), strict=True)), line=line)  # type: ignore[return-value]


def _rejection(error: ValidationError, event: str | None, line: int | None) -> Rejection:
    first = error.errors(include_url=False)[0]
    # The first location item is the union tag (the event type); the rest is the field.
    where = [str(part) for part in first["loc"][1:]]
    field = ".".join(where) or None
    kind = first["type"]
    if kind == "missing":
        reason = "is required"
    elif kind in ("extra_forbidden", "unexpected_keyword_argument"):
        reason = "is not a field of this event type"
    elif kind in ("value_error", "assertion_error"):
        reason = str(first["ctx"]["error"]) if "ctx" in first else first["msg"]
    else:
        reason = f"{first['msg'].lower()} (got {first.get('input')!r})"
    return Rejection(event=event, line=line, field=field, reason=reason)


_E = TypeVar("_E", bound=BaseEvent)


def event_builder(kind: type[_E], names: Sequence[str]) -> Callable[[Sequence[Any]], _E]:
    """How to make trusted events of ``kind`` from the values of ``names``, in that order.

    The one way to make an event without validating it, for values that already were a
    valid event (sent from another process: :mod:`..parallel.wire`). ``type`` may be named
    (its value is the class's own and is passed over); a field not named takes its default.
    """
    fields = {f.name: f for f in msgspec.structs.fields(kind)}
    missing = [name for name, f in fields.items() if f.required and name not in names]
    if missing:
        raise TypeError(f"{kind.__name__} needs values for {missing}")
    # The builder is written out for ``kind``, one keyword a field (a call with constant
    # keywords builds no dict): a reader of another process's events builds a million.
    said = [(at, name) for at, name in enumerate(names) if name != "type"]
    scope: dict[str, Any] = {"_kind": kind}
    slots = "".join(f"_v{index}, " for index in range(len(names)))
    given = ", ".join(f"{name}=_v{at}" for at, name in said)
    body = ["def build(values):", f"    ({slots}) = values", f"    return _kind({given})"]
    exec("\n".join(body), scope)  # (the text above is made of names only)
    build: Callable[[Sequence[Any]], _E] = scope["build"]
    return build

"""A JSON Lines record that is plainly valid, read straight into its event.

The usual path decodes a line with :mod:`json` (numbers as Decimals) and validates the
record with pydantic (:func:`~..events.parse_event`): about 5 microseconds a line, most of
reading a large file. msgspec decodes a line straight into typed values, numbers exactly as
written, in about a tenth of that; with the checks below and the event built, a line costs
about 2 microseconds. :func:`plain_event` takes that way only where the outcome is certain
to be the event the usual path gives:

- the types are right (msgspec: strings, ``YYYY-MM-DD`` dates, numbers or numeric strings,
  no unknown field, no field named ``line``);
- no key is written twice (msgspec keeps the last; the usual path rejects the line): the
  line has as many colons as the record has fields;
- every amount is finite, below 10^15 in size, and the rules of :mod:`..events` hold
  (amounts positive, tax within the amount, cost not negative, an adjustment not zero, an
  invoice for one rep or split, its shares positive, of at most 20 decimals, of distinct
  reps and summing to exactly 1); every date is within 1900-2199
  (:data:`~..events.FIRST_DAY` .. :data:`~..events.LAST_DAY`);
- no number is written in a way msgspec reads but :func:`~..money.to_decimal` does not
  (msgspec hands a numeric string to ``Decimal``, which also takes ``"1_000"``, other
  scripts' digits and ``\\u`` escapes of them): a line with an escape (``\\``) is not plain,
  and one with more ``_`` than its type's name, or a byte beyond ASCII, is plain only when
  no string on it is made of number characters and those alone.

Anything else (a ``null``, a byte-order mark, any doubt) gives ``None``, and
the line is read the usual way, which also words the rejection. The events are the same:
``tests/test_fast_json.py`` checks that on generated records of every shape.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import sys
from collections.abc import Callable, Sequence
from decimal import Decimal, InvalidOperation, localcontext
from functools import lru_cache
from operator import is_not
from typing import Annotated, Any

import msgspec
from pydantic.fields import FieldInfo

from ..domain.events import (
    EVENT_CLASSES,
    FIRST_DAY,
    LAST_DAY,
    SHARE_DIGITS,
    Adjustment,
    BaseEvent,
    CreditNote,
    Dispute,
    DisputeResolved,
    Event,
    Invoice,
    Payment,
    PaymentReversal,
    Split,
    WriteOff,
    event_builder,
    kept_day,
    shared_day,
)
from ..domain.money import EXACT, LIMIT, ONE, ZERO

_Name = Annotated[str, msgspec.Meta(min_length=1)]
_REQUIRED = object()  # a field with no default: always given


class _SplitLine(msgspec.Struct, frozen=True, forbid_unknown_fields=True, gc=False):
    """One rep's share of a split invoice, as a line writes it."""

    rep: _Name
    share: Decimal


#: How msgspec reads each field an event may have. The schema itself is events.py's: its
#: classes name each type's fields, their order and their defaults; the record types
#: below are made from them, so a field added there is read here too (or fails loudly here,
#: until it says how it is read).
_READ_AS: dict[str, Any] = {
    "id": _Name,
    "date": dt.date,
    "invoice": _Name,
    "rep": _Name,
    "splits": tuple[_SplitLine, ...],
    "amount": Decimal,
    "tax": Decimal,
    "cost": Decimal,
    "currency": str,
    "due": dt.date,
    "customer": str,
    "reason": str,
}


def _record_type(kind: type[BaseEvent]) -> type[msgspec.Struct]:
    """The msgspec record of ``kind``'s JSON line: its fields, in order, with its defaults."""
    fields: list[tuple[str, Any] | tuple[str, Any, Any]] = []
    for field in dataclasses.fields(kind):
        if field.name in ("type", "line", "known_digest"):
            continue
        read_as, default = _READ_AS[field.name], _default(field)
        if default is dataclasses.MISSING:
            fields.append((field.name, read_as))
        elif default is None and read_as is not None:
            fields.append((field.name, read_as | None, None))
        else:
            fields.append((field.name, read_as, default))
    tag = str(next(_default(f) for f in dataclasses.fields(kind) if f.name == "type"))
    return msgspec.defstruct(
        f"_{kind.__name__}Line", fields, tag=tag, tag_field="type", frozen=True,
        forbid_unknown_fields=True, kw_only=True, gc=False,
    )  # fmt: skip


def _default(field: dataclasses.Field[Any]) -> Any:
    """A field's default, or ``MISSING`` where it has none (pydantic's Field(...) too)."""
    default = field.default
    if isinstance(default, FieldInfo):
        return dataclasses.MISSING if default.is_required() else default.default
    return default


(
    _Invoice, _Dispute, _DisputeResolved, _CreditNote, _Payment, _PaymentReversal, _WriteOff,
    _Adjustment,
) = (_record_type(kind) for kind in EVENT_CLASSES)  # fmt: skip

_NEGATIVE_LIMIT = -LIMIT


# The rules below compare every amount in order with a bound: a NaN compared so raises
# InvalidOperation (under a context that does not trap it, the comparison is false), and
# :func:`plain_event` then reads the line the usual way. Infinities are out of the bounds.


def _invoice_holds(r: Any) -> bool:
    return (
        (r.rep is None) != (r.splits is None)
        and ZERO < r.amount < LIMIT
        and ZERO <= r.tax <= r.amount
        and ZERO <= r.cost < LIMIT
        and (r.splits is None or _shares_hold(r.splits))
    )


def _shares_hold(splits: tuple[Any, ...]) -> bool:
    """The rules of :class:`~..events.Split` and of an invoice's splits."""
    shares: list[Decimal] = [split.share for split in splits]
    if not splits or len({split.rep for split in splits}) != len(splits):
        return False  # none, or a rep twice
    for share in shares:
        exponent = share.as_tuple().exponent
        if not (ZERO < share < LIMIT and isinstance(exponent, int) and -exponent <= SHARE_DIGITS):
            return False
    with localcontext(EXACT):  # exact: below 10^15, at most 20 digits after the point
        return sum(shares, ZERO) == ONE


def _splits(splits: tuple[Any, ...]) -> tuple[Split, ...]:
    """The splits of a line, as the usual path makes them."""
    return tuple(_split(split.rep, str(split.share)) for split in splits)


@lru_cache(maxsize=4096)
def _split(rep: str, share: str) -> Split:
    """One rep's share, made once for each rep and share as written (``str`` of a Decimal
    gives its exponent too: ``0.5`` and ``0.50`` are two) and shared, as splits are frozen:
    a model is made in two microseconds. The rep's name is interned, as the usual path does."""
    return Split.model_construct(rep=sys.intern(rep), share=Decimal(share))


def _positive(r: Any) -> bool:
    amount: Decimal = r.amount
    return ZERO < amount < LIMIT


def _always(r: Any) -> bool:
    return True  # a dispute's fields are an id, a date, an invoice and a text: typed is valid


def _write_off_holds(r: Any) -> bool:
    return r.amount is None or _positive(r)


def _adjustment_holds(r: Any) -> bool:
    amount: Decimal = r.amount
    return amount != ZERO and _NEGATIVE_LIMIT < amount < LIMIT


#: Record type -> (how to build its event from the record's values and the line, the rules
#: its values must meet, the fields' defaults (``None`` where every field is required),
#: which are ids that many events share, and which are days).
_Build = Callable[[Sequence[Any]], Event]
_KINDS: dict[type, tuple[_Build, Callable[[Any], bool], tuple[object, ...] | None,
                         tuple[int, ...], tuple[int, ...]]] = {}  # fmt: skip
#: Record type -> how many ``_`` a line of that type holds when no value holds one.
_UNDERSCORES: dict[type, int] = {}
for _record, _event, _holds in (
    (_Invoice, Invoice, _invoice_holds),
    (_Dispute, Dispute, _always),
    (_DisputeResolved, DisputeResolved, _always),
    (_CreditNote, CreditNote, _positive),
    (_Payment, Payment, _positive),
    (_PaymentReversal, PaymentReversal, _positive),
    (_WriteOff, WriteOff, _write_off_holds),
    (_Adjustment, Adjustment, _adjustment_holds),
):
    _info = msgspec.structs.fields(_record)
    _defaults = tuple(_REQUIRED if field.required else field.default for field in _info)
    if _event is Invoice:
        _SPLITS = next(i for i, field in enumerate(_info) if field.name == "splits")
    _KINDS[_record] = (
        event_builder(_event, (*(field.name for field in _info), "line")),
        _holds,
        None if all(default is _REQUIRED for default in _defaults) else _defaults,
        tuple(i for i, field in enumerate(_info) if field.name in ("invoice", "rep")),
        tuple(i for i, field in enumerate(_info) if field.name in ("date", "due")),
    )
    _UNDERSCORES[_record] = str(_record.__struct_config__.tag).count("_") + sum(
        field.name.count("_") for field in _info
    )

#: A JSON string made only of what a number may hold, with a ``_`` or a byte beyond ASCII
#: in it: a number msgspec would read and :func:`~..money.to_decimal` would not.
_ODD_NUMBER = re.compile(rb'"[\s+\-.0-9eE_\x80-\xff]*[_\x80-\xff][\s+\-.0-9eE_\x80-\xff]*"')

_DECODER = msgspec.json.Decoder(
    _Invoice
    | _Dispute
    | _DisputeResolved
    | _CreditNote
    | _Payment
    | _PaymentReversal
    | _WriteOff
    | _Adjustment
)


def plain_event(raw: bytes, line: int) -> Event | None:
    """The event on ``raw`` (line ``line`` of a JSON Lines file), or ``None`` to read it
    the usual way: whenever it is not plainly valid."""
    try:
        record = _DECODER.decode(raw)
    except (msgspec.DecodeError, RecursionError):
        return None
    # ``find`` (memchr) is a fraction of ``in`` or ``count`` on a line; most lines have no
    # escape and no ``_`` at all.
    if raw.find(b"\\") >= 0:  # an escape: perhaps of a digit of another script
        return None
    if (
        not raw.isascii() or (raw.find(b"_") >= 0 and raw.count(b"_") != _UNDERSCORES[type(record)])
    ) and _ODD_NUMBER.search(raw):
        return None
    build, holds, defaults, shared, days = _KINDS[type(record)]
    values = list(msgspec.structs.astuple(record))
    # In a valid JSON object each key is followed by one colon, and other colons can only be
    # inside strings; so as many colons as fields given (and the type) mean no key was
    # written twice. A field not given holds its default object itself (msgspec does not
    # copy immutable defaults), so it is not counted. (A field given as null, or a colon
    # inside a text, only sends the line the usual way.) A payment's fields are all required.
    given = len(values) if defaults is None else sum(map(is_not, values, defaults))
    splits = values[_SPLITS] if holds is _invoice_holds else None
    if splits is not None:
        given += 2 * len(splits)  # each rep's share: a rep and a share
    if raw.count(b":") != 1 + given:
        return None
    try:
        if not holds(record):
            return None
    except InvalidOperation:  # a NaN (see _invoice_holds)
        return None
    for index in shared:
        value = values[index]
        if value is not None:
            values[index] = sys.intern(value)
    if splits is not None:
        values[_SPLITS] = _splits(splits)
    for index in days:  # one object per day, as the usual path gives
        day = values[index]
        if day is not None:
            kept = kept_day(day)  # (a day kept is in range: most lines name one)
            if kept is None:
                if not FIRST_DAY <= day <= LAST_DAY:
                    return None
                kept = shared_day(day)
            values[index] = kept
    values.append(line)
    return build(values)

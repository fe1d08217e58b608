"""A JSON Lines record that is plainly valid, read straight into its event.

The usual path decodes a line with :mod:`json` (numbers as Decimals) and validates the
record with pydantic (:func:`~..events.parse_event`): about 5 microseconds a line, most of
reading a large file. msgspec decodes a line straight into typed values, numbers exactly as
written, in about a tenth of that; with the checks below and the event built, a line costs
about 2 microseconds. :func:`plain_event` takes that way only where the outcome is certain
to be the event the usual path gives:

- the types are right (msgspec: strings, ``YYYY-MM-DD`` dates, numbers or numeric strings,
  no unknown field) and no ``line`` or ``known_digest`` given (those are ours to set);
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

:func:`plain_events` reads a block of lines in one decode and makes the same checks once
over the block (a sixth less CPU than line by line on a plainly valid file); where one
line is in doubt, the block is read line by line.
"""

from __future__ import annotations

import re
import sys
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from decimal import Context, Decimal, InvalidOperation, localcontext
from itertools import compress, repeat
from operator import attrgetter, is_, is_not, le, ne
from typing import Any

import msgspec

from ..domain.events import (
    FIRST_DAY,
    LAST_DAY,
    SHARE_DIGITS,
    Adjustment,
    CreditNote,
    Dispute,
    DisputeResolved,
    Event,
    Invoice,
    Payment,
    PaymentReversal,
    Split,
    WriteOff,
    kept_day,
    shared_day,
)
from ..domain.money import EXACT, LIMIT, ONE, ZERO

_REQUIRED = object()  # a field with no default: always given
#: Sets field ``name`` of an event being made (``_force(event, name, value)``): events are
#: frozen. One C call (a field's own ``__set__`` is a method wrapper: an argument tuple a call).
_force = msgspec.structs.force_setattr


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


def _shares_hold(splits: tuple[Split, ...]) -> bool:
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


#: Event type -> (the rules its values must meet, the fields' defaults, or ``None`` where
#: every field a line may give is required and how many those are, then the getters and
#: names of its ids that many events share, and of its days).
_Fields = tuple[tuple[Callable[[Any], Any], str], ...]
_KINDS: dict[
    type, tuple[Callable[[Any], bool], tuple[object, ...] | None, int, _Fields, _Fields]
] = {}
#: Event type -> how many ``_`` a line of that type holds when no value holds one.
_UNDERSCORES: dict[type, int] = {}
#: Event type -> the fields a line of it may leave out (``line`` and the digest aside) and
#: their defaults: where a line gives one, it does not hold its default object (see
#: :func:`plain_event`).
_OPTIONAL: dict[type, tuple[tuple[str, object], ...]] = {}
#: Event type -> its fields' names, in their order.
_NAMES: dict[type, tuple[str, ...]] = {}
for _event, _holds in (
    (Invoice, _invoice_holds),
    (Dispute, _always),
    (DisputeResolved, _always),
    (CreditNote, _positive),
    (Payment, _positive),
    (PaymentReversal, _positive),
    (WriteOff, _write_off_holds),
    (Adjustment, _adjustment_holds),
):
    _info = msgspec.structs.fields(_event)
    _said = [field for field in _info if field.name not in ("line", "known_digest")]
    _defaults = tuple(_REQUIRED if field.required else field.default for field in _info)
    _KINDS[_event] = (
        _holds,
        None if all(field.required for field in _said) else _defaults,
        len(_said),
        tuple((attrgetter(f.name), f.name) for f in _info if f.name in ("invoice", "rep")),
        tuple((attrgetter(f.name), f.name) for f in _info if f.name in ("date", "due")),
    )  # fmt: skip
    _UNDERSCORES[_event] = _event.type.count("_") + sum(field.name.count("_") for field in _said)
    _OPTIONAL[_event] = tuple((field.name, field.default) for field in _said if not field.required)
    _NAMES[_event] = tuple(field.name for field in _info)

#: A JSON string made only of what a number may hold, with a ``_`` or a byte beyond ASCII
#: in it: a number msgspec would read and :func:`~..money.to_decimal` would not.
_ODD_NUMBER = re.compile(rb'"[\s+\-.0-9eE_\x80-\xff]*[_\x80-\xff][\s+\-.0-9eE_\x80-\xff]*"')

_DECODER = msgspec.json.Decoder(Event)


def plain_event(raw: bytes, line: int) -> Event | None:
    """The event on ``raw`` (line ``line`` of a JSON Lines file), or ``None`` to read it
    the usual way: whenever it is not plainly valid."""
    try:
        event = _DECODER.decode(raw)
    except (msgspec.DecodeError, RecursionError):
        return None
    # ``find`` (memchr) is a fraction of ``in`` or ``count`` on a line; most lines have no
    # escape and no ``_`` at all.
    if raw.find(b"\\") >= 0:  # an escape: perhaps of a digit of another script
        return None
    if (
        not raw.isascii() or (raw.find(b"_") >= 0 and raw.count(b"_") != _UNDERSCORES[type(event)])
    ) and _ODD_NUMBER.search(raw):
        return None
    holds, defaults, given, shared, days = _KINDS[type(event)]
    # In a valid JSON object each key is followed by one colon, and other colons can only be
    # inside strings; so as many colons as fields given (and the type) mean no key was
    # written twice. A field not given holds its default object itself (msgspec does not
    # copy immutable defaults), so it is not counted. (A field given as null, or a colon
    # inside a text, only sends the line the usual way.) Where every field a line may give
    # is required (a payment's), all of them were given. The line and digest are ``None``
    # unless given: not counted, and a line giving one is not plain (below).
    if defaults is not None:
        given = sum(map(is_not, msgspec.structs.astuple(event), defaults))
    splits = event.splits if type(event) is Invoice else None
    if splits is not None:
        given += 2 * len(splits)  # each rep's share: a rep and a share
    if raw.count(b":") != 1 + given:
        return None
    # Where an event came from is ours to say: a line naming ``line`` (or the digest) is
    # read the usual way, which rejects it.
    if event.line is not None or event.known_digest is not None:
        return None
    try:
        if not holds(event):
            return None
    except InvalidOperation:  # a NaN (see _invoice_holds)
        return None
    for value_of, name in shared:
        value = value_of(event)
        if value is not None:
            _force(event, name, sys.intern(value))
    for value_of, name in days:  # one object per day, as the usual path gives
        day = value_of(event)
        if day is not None:
            kept = kept_day(day)  # (a day kept is in range: most lines name one)
            if kept is None:
                if not FIRST_DAY <= day <= LAST_DAY:
                    return None
                kept = shared_day(day)
            _force(event, name, kept)
    _force(event, "line", line)
    return event


# A block of lines at once -----------------------------------------------------------------
#
# Most files are plainly valid throughout: a block of lines is read in one decode, with the
# checks above made once over the block. The block's colons and ``_`` are counted against
# their sums over its events: a line holds at least as many as its event needs, so the sums
# are equal only where each line's counts are.
# A block with any doubt is read line by line, as above.

#: The lines with a ``null`` between each two, ``[line,null,line,...,line]``: where this
#: decodes to 2n-1 values (n lines), each line holds exactly one JSON value (each holds one at
#: least: an empty line would put two commas together), and where none of those is ``None``,
#: each is an event. (A value cannot run on into the next line past the ``null``: inside an
#: object a ``null`` is no key, a list is no event, and each line ends in a line break, which
#: a JSON string cannot hold raw.) So the n-th value of an even place is line n's event;
#: a 1-tuple around each line's event cost a tuple and its item taken out an event.
_BLOCK_DECODER = msgspec.json.Decoder(list[Event | None])


def _each(name: str, events: Iterable[Any], values: Iterable[Any]) -> None:
    deque(map(_force, events, repeat(name), values), maxlen=0)  # each event's ``name``, in C


#: An event type's fields, each a tuple of its values over a block's events of that type.
_Columns = dict[str, tuple[Any, ...]]


def _columns(kind: type, group: list[Any]) -> _Columns:
    """The values of ``group`` (events of ``kind``) field by field: each event's fields in one
    C call (``astuple``), turned into columns (``zip``). All of an invoice's 13 fields cost
    about what five ``attrgetter`` passes over the events do; its checks read 16."""
    values = zip(*map(msgspec.structs.astuple, group), strict=True)
    return dict(zip(_NAMES[kind], values, strict=True))


#: The context a block's amounts are compared under (:func:`plain_events`): it traps
#: InvalidOperation, so that a NaN compared raises, whatever context the reader runs under.
#: Only so do ``min`` and ``max`` bound every value (a NaN compared quietly is neither less
#: nor more than anything, so they could pass it over); they compare each value once, where
#: testing each against both bounds compares it twice.
_COMPARING = Context(traps=[InvalidOperation])


def _all_between(low: Decimal, values: Sequence[Decimal], high: Decimal) -> bool:
    """Whether ``low < value < high`` for every value (a NaN raises InvalidOperation, under
    :data:`_COMPARING`)."""
    return not values or (low < min(values) and max(values) < high)


def _typed(fields: _Columns, group: list[Any]) -> bool:
    return True  # a dispute's typed fields are valid


def _amounts_positive(fields: _Columns, group: list[Any]) -> bool:
    return _all_between(ZERO, fields["amount"], LIMIT)


def _invoices_hold(fields: _Columns, group: list[Any]) -> bool:
    amounts, taxes, costs = fields["amount"], fields["tax"], fields["cost"]
    # An invoice giving no cost holds the default object, zero, which keeps the rules: only the
    # costs given are compared (most invoices give none; telling them apart is one C pass).
    costs = tuple(compress(costs, map(is_not, costs, repeat(ZERO))))
    if not (
        _all_between(ZERO, amounts, LIMIT)
        and min(taxes) >= ZERO
        and all(map(le, taxes, amounts))
        and (not costs or (min(costs) >= ZERO and max(costs) < LIMIT))
    ):
        return False
    if fields["splits"].count(None) == len(group):
        return all(fields["rep"])  # no split: each names its rep (not None)
    return all(map(_invoice_holds, group))


def _write_offs_hold(fields: _Columns, group: list[Any]) -> bool:
    given = [amount for amount in fields["amount"] if amount is not None]
    return _all_between(ZERO, given, LIMIT)


def _adjustments_hold(fields: _Columns, group: list[Any]) -> bool:
    amounts = fields["amount"]
    return all(map(ne, amounts, repeat(ZERO))) and _all_between(_NEGATIVE_LIMIT, amounts, LIMIT)


#: Event type -> its rules (:data:`_KINDS`), checked on a block's events of that type at once.
_ALL_HOLD: dict[type, Callable[[_Columns, list[Any]], bool]] = {
    Invoice: _invoices_hold,
    Dispute: _typed,
    DisputeResolved: _typed,
    CreditNote: _amounts_positive,
    Payment: _amounts_positive,
    PaymentReversal: _amounts_positive,
    WriteOff: _write_offs_hold,
    Adjustment: _adjustments_hold,
}


def _colons(groups: dict[type, list[Any]], columns: dict[type, _Columns]) -> int:
    """How many colons the lines of ``groups`` hold if no key is written twice: one a field
    given (one that does not hold its default object, see :func:`plain_event`) and the type.

    ``line`` and the digest are not counted: where an event came from is ours to say, and a
    line giving either (even as null) holds a colon more, so its block is read line by line
    (the line then as :func:`plain_event` reads it).
    """
    colons = 0
    for kind, fields in columns.items():
        _, defaults, given, _, _ = _KINDS[kind]
        count = len(groups[kind])
        if defaults is None:
            colons += (1 + given) * count
        else:
            # The required fields, and each other one given.
            left_out = _OPTIONAL[kind]
            colons += (1 + given - len(left_out)) * count
            for name, default in left_out:
                column = fields[name]
                if default is None:  # (``count`` finds each None by identity at once, and
                    colons += len(column) - column.count(None)  # no value read equals None)
                else:
                    colons += sum(map(is_not, column, repeat(default)))
        if kind is Invoice:  # each rep's share: a rep and a share
            colons += 2 * sum(map(len, filter(None, fields["splits"])))
    return colons


def _underscores(groups: dict[type, list[Any]]) -> int:
    """How many ``_`` the lines of ``groups`` hold if no value holds one."""
    return sum(_UNDERSCORES[kind] * len(group) for kind, group in groups.items())


def _shared(groups: dict[type, list[Any]], columns: dict[type, _Columns]) -> bool:
    """Give the events of ``groups`` (their values in ``columns``) the one string kept for
    each id and the one date kept for each day, as :func:`plain_event` does; ``False`` if a
    day is out of range."""
    for kind, fields in columns.items():
        group = groups[kind]
        _, _, _, shared, days = _KINDS[kind]
        for _, name in shared:
            values = fields[name]
            # (``all``: a test of truth each, where ``None in`` compares each string with None)
            if all(values):
                _each(name, group, map(sys.intern, values))
            else:  # a split invoice's rep
                _each(name, group, [None if v is None else sys.intern(v) for v in values])
        for _, name in days:
            given = fields[name]
            if not any(given):  # (a date is always true) no event gives the day: most
                continue  # invoices give no due day, and theirs is None already
            kept = list(map(kept_day, given))
            # (A date is always true: ``all`` is the quick test that every day is kept.)
            if not all(kept):  # a day not kept yet (named first in this block), or not given
                new = set(compress(given, map(is_, kept, repeat(None))))
                new.discard(None)
                if new:  # each new day once, then every event of it
                    if not all(FIRST_DAY <= day <= LAST_DAY for day in new):
                        return False
                    kept = list(map({day: shared_day(day) for day in new}.get, given, kept))
            _each(name, group, kept)
    return True


def _by_type(events: list[Event]) -> dict[type, list[Any]]:
    """``events`` by type, each type's in their order."""
    groups: dict[type, list[Any]] = {kind: [] for kind in _KINDS}
    for event in events:
        groups[type(event)].append(event)
    return groups


def share_names_and_days(events: list[Event]) -> None:
    """Give ``events`` (valid, decoded afresh: from another process) the one string kept
    for each id and the one date kept for each day, as reading them here would have."""
    groups = _by_type(events)
    # (valid events: every day within range, none refused)
    _shared(groups, {kind: _columns(kind, group) for kind, group in groups.items() if group})


def plain_events(lines: list[bytes], first: int) -> list[Event] | None:
    """The events on ``lines`` (from line ``first`` of a JSON Lines file, each ending in a
    line break but perhaps the file's last), each the event :func:`plain_event` gives for its
    line; or ``None``, where a line is not plainly valid or a check could not tell, to read
    the lines one by one."""
    # The list's brackets put on the first and last lines, so that the block is copied once,
    # as it is joined (brackets put around the joined block copied its 256 KB again).
    if len(lines) == 1:
        joined = b"[" + lines[0] + b"]"
    else:
        joined = b",null,".join([b"[" + lines[0], *lines[1:-1], lines[-1] + b"]"])
    if joined.find(b"\\") >= 0 or not joined.isascii():
        return None  # (line by line, the lines with neither still read fast)
    try:
        values = _BLOCK_DECODER.decode(joined)
    except (msgspec.DecodeError, RecursionError):
        return None
    if len(values) != 2 * len(lines) - 1:
        return None
    events: list[Event] = values[::2]  # type: ignore[assignment]
    if not all(events):  # (an event is always true) a line holding ``null``
        return None
    groups = _by_type(events)
    columns = {kind: _columns(kind, group) for kind, group in groups.items() if group}
    try:
        with localcontext(_COMPARING):
            if not all(_ALL_HOLD[kind](fields, groups[kind]) for kind, fields in columns.items()):
                return None
    except InvalidOperation:  # a NaN
        return None
    if joined.count(b":") != _colons(groups, columns):
        return None
    if joined.count(b"_") != _underscores(groups):
        return None
    if not _shared(groups, columns):
        return None
    _each("line", events, range(first, first + len(events)))
    return events

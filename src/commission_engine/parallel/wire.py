"""The wire format between processes: statements, events and rejections as plain values.

A child process sends what it made through a pipe with :mod:`marshal`, which writes strings,
integers, tuples and lists, a tenth of what pickling Decimals and dates costs. Each value is
written as such plain values here and rebuilt on the other side without validating it again:
``str`` of a Decimal and back keeps its every digit and exponent, a date travels as its day
number. (The event store keeps events in this form too.)

In bulk, where a forked child sends many statements or events, they travel as msgspec's
MessagePack of the dataclasses and Structs themselves (:func:`statements_bytes`; a part of a
file read in a child): decoded in one call, at a third of the cost of rebuilding them from
plain values one by one, amounts again as their text.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from functools import lru_cache
from typing import Any

import msgspec

from ..domain.errors import Rejection
from ..domain.events import EVENT_CLASSES, BaseEvent, Split, event_builder, shared_day
from ..domain.statements import LedgerLine, Statement

# Statements ----------------------------------------------------------------------------


def statement_values(s: Statement) -> tuple[Any, ...]:
    """A statement as plain values."""
    return (
        s.rep,
        s.period,
        s.currency,
        str(s.gross),
        str(s.recovered),
        str(s.payout),
        str(s.debt_balance),
        str(s.held_balance),
        [
            (line.date.toordinal(), line.kind, str(line.amount), line.event, line.invoice,
             line.detail)
            for line in s.lines
        ],
        str(s.draw),
        s.draw_recoverable,
    )  # fmt: skip


def statement_from(values: tuple[Any, ...] | list[Any]) -> Statement:
    """The statement :func:`statement_values` wrote."""
    rep, period, currency, gross, recovered, payout, debt, held, lines, draw, recoverable = values
    day = dt.date.fromordinal
    return Statement(
        rep=rep,
        period=period,
        currency=currency,
        gross=Decimal(gross),
        recovered=Decimal(recovered),
        payout=Decimal(payout),
        debt_balance=Decimal(debt),
        held_balance=Decimal(held),
        lines=tuple(
            # _make: a line per posting, and the NamedTuple constructor costs twice as much.
            LedgerLine._make((rep, currency, day(date), kind, Decimal(amount), event, invoice,
                              detail))
            for date, kind, amount, event, invoice, detail in lines
        ),
        draw=Decimal(draw),
        draw_recoverable=recoverable,
    )  # fmt: skip


def statements_bytes(statements: list[Statement]) -> bytes:
    """Statements in bulk, for a forked child to send: msgspec's MessagePack of the
    dataclasses (a third of :func:`statement_values` and ``marshal``'s cost; amounts as
    their text, so that each comes back to the digit and exponent)."""
    return _statement_codec()[0].encode(statements)


def statements_from_bytes(data: bytes) -> list[Statement]:
    """The statements :func:`statements_bytes` wrote."""
    return _statement_codec()[1].decode(data)


@lru_cache(maxsize=1)
def _statement_codec() -> tuple[msgspec.msgpack.Encoder, msgspec.msgpack.Decoder[list[Statement]]]:
    # Built at first use: a run in one process never sends a statement.
    return (
        msgspec.msgpack.Encoder(decimal_format="string"),
        msgspec.msgpack.Decoder(list[Statement]),
    )


# Rejections ----------------------------------------------------------------------------


def rejection_values(r: Rejection) -> tuple[Any, ...]:
    """A rejection as plain values."""
    return (r.event, r.line, r.field, r.reason)


def rejection_from(values: tuple[Any, ...] | list[Any]) -> Rejection:
    """The rejection :func:`rejection_values` wrote."""
    event, line, field, reason = values
    return Rejection(event=event, line=line, field=field, reason=reason)


# Events --------------------------------------------------------------------------------

#: The fields sent of each event class, in order: its id, date, line and digest, its type,
#: then what it says. The order the event dataclasses had; the event store keeps events
#: written in it, so it does not change.
SENT_FIELDS = tuple(
    (*kind.__struct_fields__[:4], "type", *kind.__struct_fields__[4:]) for kind in EVENT_CLASSES
)
_INDEX = {kind: index for index, kind in enumerate(EVENT_CLASSES)}
_REJECTED = -1


def event_values(item: BaseEvent | Rejection) -> tuple[int, Any]:
    """An event (or a reader's rejection) as plain values: amounts as strings, dates as day
    numbers, splits as pairs."""
    if isinstance(item, Rejection):
        return (_REJECTED, rejection_values(item))
    index = _INDEX[type(item)]
    values = []
    for name in SENT_FIELDS[index]:
        value = getattr(item, name)
        kind = type(value)
        if kind is Decimal:
            value = str(value)
        elif kind is dt.date:
            value = value.toordinal()
        elif kind is tuple:
            value = tuple((split.rep, str(split.share)) for split in value)
        values.append(value)
    return (index, tuple(values))


def event_from(encoded: tuple[int, Any]) -> BaseEvent | Rejection:
    """The event (or rejection) :func:`event_values` wrote."""
    index, values = encoded
    if index == _REJECTED:
        return rejection_from(values)
    return _DECODERS[index](values)


def _splits(pairs: tuple[tuple[str, str], ...]) -> tuple[Split, ...]:
    return tuple(Split(rep=rep, share=Decimal(share)) for rep, share in pairs)


@lru_cache(maxsize=4096)
def _day(number: int) -> dt.date:
    """A day from its number: the date object every event read names it by."""
    return shared_day(dt.date.fromordinal(number))


#: How a field's plain value becomes the event's again, for the fields that are not as sent.
_FROM_PLAIN: dict[str, Callable[[Any], Any]] = {
    "amount": Decimal,
    "tax": Decimal,
    "cost": Decimal,
    "date": _day,
    "due": _day,
    "splits": _splits,
}


def _decoder(kind: type[BaseEvent], names: tuple[str, ...]) -> Callable[[Any], BaseEvent]:
    build = event_builder(kind, names)
    steps = tuple(_FROM_PLAIN.get(name) for name in names)

    def decode(values: tuple[Any, ...]) -> BaseEvent:
        return build(
            [
                value if from_plain is None or value is None else from_plain(value)
                for from_plain, value in zip(steps, values, strict=True)
            ]
        )

    return decode


def _first_decode(index: int) -> Callable[[Any], BaseEvent]:
    """Decodes the first event of class ``index``, having put that class's decoder in its
    place: a decoder's builder is compiled (``exec``), eight a process, and a run that reads
    no events from another process (in one process) makes none."""

    def decode(values: tuple[Any, ...]) -> BaseEvent:
        built = _DECODERS[index] = _decoder(EVENT_CLASSES[index], SENT_FIELDS[index])
        return built(values)

    return decode


_DECODERS = [_first_decode(index) for index in range(len(EVENT_CLASSES))]

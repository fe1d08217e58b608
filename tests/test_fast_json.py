"""A JSON line read fast gives the very event the usual path gives, or is left to it.

``plain_event`` (msgspec) is a shortcut for lines that are plainly valid; ``json_line`` (json
and pydantic) is the usual path, which also words every rejection. Whenever the shortcut
answers, the usual path must give an equal event, from the same line, saying the same
(digest) in the same words (repr); and the shortcut must answer for ordinary lines, or it
would only be slower.
"""

from __future__ import annotations

import io
import json
from decimal import Context, localcontext
from pathlib import Path
from typing import Any

import msgspec
from hypothesis import example, given, settings
from hypothesis import strategies as st

from commission_engine.domain.errors import Rejection
from commission_engine.domain.events import BaseEvent
from commission_engine.files import event_files
from commission_engine.files.event_files import json_line, json_lines
from commission_engine.files.fast_json import plain_event, plain_events

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

TYPES = ["invoice", "credit_note", "payment", "payment_reversal", "write_off", "adjustment"]
FIELDS = ["id", "date", "invoice", "rep", "splits", "amount", "tax", "cost", "currency", "due",
          "customer", "reason"]  # fmt: skip

#: Values as they appear in JSON text: good ones and every kind of awkward one.
NUMBER_TEXTS = ["10", "10.00", "0.01", "1e2", "1E-2", "5.10", "-0", "-0.0", "0", "0.00", "-5",
                "123456789012345678901234567890.123456789", "0.1000000000000000055511151231257827",
                "1e400", "7", "99.5"]  # fmt: skip
TEXTS = ["10", "10.00", " 10.5 ", "1_000", "NaN", "-Infinity", "sNaN", "+5", ".5", "5.", "abc",
         "", " ", "2026-01-10", " 2026-01-10", "2026-1-10", "2026-02-30", "2026-01-10T00:00:00",
         "20260110", "I1", "ana", "bo", "USD", "JPY", "a:b", 'say "hi"', "ana=0.5;bo=0.5",
         "\u0665", "é"]  # fmt: skip
#: Splits as JSON text, good and awkward: a rep twice, shares not summing to 1, not positive,
#: of 21 decimals, a key twice or unknown, a rep or share missing or empty.
SPLITS = [
    '[{"rep":"ana","share":"1"}]', '[{"rep":"ana","share":1.00}]', "[]", '[{"rep":"ana"}]',
    '[{"rep":"ana","share":0.25},{"rep":"bo","share":"0.75"}]',
    '[{"rep":"ana","share":"0.5"},{"rep":"ana","share":"0.5"}]',
    '[{"rep":"ana","share":"0.6"},{"rep":"bo","share":"0.5"}]',
    '[{"rep":"ana","share":"1.5"},{"rep":"bo","share":"-0.5"}]',
    '[{"rep":"ana","share":"0"},{"rep":"bo","share":"1"}]',
    '[{"rep":"ana","share":"0.100000000000000000001"},'
    '{"rep":"bo","share":"0.899999999999999999999"}]',
    '[{"rep":"ana","share":"0.10000000000000000001"},{"rep":"bo","share":"0.89999999999999999999"}]',
    '[{"rep":"ana","share":"0.5","share":"0.5"},{"rep":"bo","share":"0.5"}]',
    '[{"rep":"ana","share":"0.5","rep":"bo"},{"rep":"bo","share":"0.5"}]',
    '[{"rep":"ana","share":"0.5","note":"x"},{"rep":"bo","share":"0.5"}]',
    '[{"rep":"","share":"1"}]', '[{"rep":"ana","share":"NaN"}]', '[{"rep":"ana","share":"1_0"}]',
    '[{"rep":"ana","share":"1e0"}]', '[{"rep":"ana","share":" 1 "}]', '[{"rep":"é","share":"1"}]',
    '[{"rep":"ana","share":null}]', '[{"share":"1","rep":"ana"}]',
]  # fmt: skip

values = st.one_of(
    st.sampled_from(TEXTS).map(json.dumps),
    st.sampled_from(NUMBER_TEXTS),
    st.sampled_from(["null", "true", "false", "[]", "{}", *SPLITS]),
)


#: Field -> values a valid record of some type might give it, as JSON text.
PLAUSIBLE: dict[str, list[str]] = {
    "id": ['"e1"', '"E0000007"', '"p-2"'],
    "date": ['"2026-01-10"', '"2024-02-29"'],
    "invoice": ['"I1"', '"INV0000230"'],
    "rep": ['"ana"', '"rep02336"'],
    "amount": ['"10.00"', "10.00", '"1348115"', "7", '"0.05"', '"1e2"', '"5.10"'],
    "tax": ['"0"', '"1.50"', "2", '"10.00"'],
    "cost": ['"0"', '"3.25"', "0"],
    "currency": ['"USD"', '"JPY"', '"EUR"'],
    "due": ['"2026-02-28"'],
    "customer": ['"C004364"', '""'],
    "reason": ['"bounced"', '"note: late"', '""'],
    "splits": [
        '"ana=0.5;bo=0.5"',
        '[{"rep":"ana","share":"0.6"},{"rep":"bo","share":"0.4"}]',
        *SPLITS,
    ],
}
OPTIONAL = {
    "invoice": ["tax", "cost", "currency", "due", "customer", "splits"],
    "credit_note": ["reason"],
    "payment": [],
    "payment_reversal": ["reason"],
    "write_off": ["amount"],
    "adjustment": ["reason", "currency"],
}
REQUIRED = {
    "invoice": ["id", "date", "invoice", "rep", "amount"],
    "adjustment": ["id", "date", "rep", "amount"],
    "write_off": ["id", "date", "invoice"],
}


@st.composite
def lines(draw: st.DrawFn) -> bytes:
    """One line of a JSON Lines file: a plausible record of some type, often made awkward
    (a field given an odd value, dropped, written twice, unknown), in some layout."""
    kind = draw(st.sampled_from(TYPES))
    fields = [*REQUIRED.get(kind, ["id", "date", "invoice", "amount"])]
    fields += draw(st.lists(st.sampled_from(OPTIONAL[kind]), unique=True)) if OPTIONAL[kind] else []
    pairs = [("type", json.dumps(kind))]
    pairs += [(name, draw(st.sampled_from(PLAUSIBLE[name]))) for name in fields]
    for _ in range(draw(st.sampled_from([0, 0, 0, 1, 1, 2, 3]))):
        change = draw(st.sampled_from(["odd", "odd", "drop", "twice", "unknown"]))
        at = draw(st.integers(0, len(pairs) - 1))
        if change == "odd":
            pairs[at] = (pairs[at][0], draw(values))
        elif change == "drop":
            del pairs[at]
        elif change == "twice":
            pairs.append((pairs[at][0], draw(st.sampled_from([pairs[at][1], *NUMBER_TEXTS]))))
        else:
            pairs.append((draw(st.sampled_from(["line", "extra", *FIELDS])), draw(values)))
        if not pairs:
            break
    pairs = draw(st.permutations(pairs))
    colon, comma = draw(st.sampled_from([(":", ","), (":", ","), (": ", ", "), (" : ", " , ")]))
    text = "{" + comma.join(f'"{k}"{colon}{v}' for k, v in pairs) + "}"
    lead = draw(st.sampled_from(["", "", "", "\ufeff", " "]))
    return (lead + text + draw(st.sampled_from(["\n", "", "\r\n"]))).encode()


PAYMENT = b'{"type":"payment","id":"p1","date":"2026-01-10","invoice":"I1","amount":"5"}\n'
#: Lines each read fast (plain_event), of every type.
PLAIN_LINES = [
    PAYMENT,
    b'{"type":"invoice","id":"i1","date":"2026-01-10","invoice":"I1","rep":"ana",'
    b'"amount":"10.00","tax":"1.50","customer":"C1","due":"2026-02-28"}\n',
    b'{"type":"invoice","id":"i2","date":"2026-01-11","invoice":"I2","amount":"7",'
    b'"splits":[{"rep":"ana","share":"0.6"},{"rep":"bo","share":"0.4"}]}\n',
    b'{"type":"credit_note","id":"c1","date":"2026-01-12","invoice":"I1","amount":"1.00",'
    b'"reason":"returned"}\n',
    b'{"type":"payment_reversal","id":"r1","date":"2026-01-13","invoice":"I1","amount":"5"}\n',
    b'{"type":"write_off","id":"w1","date":"2026-01-14","invoice":"I2"}\n',
    b'{"type":"write_off","id":"w2","date":"2026-01-14","invoice":"I1","amount":"3"}\n',
    b'{"type":"adjustment","id":"a1","date":"2026-01-15","rep":"bo","amount":"-2.50"}\n',
    b'{"type":"dispute","id":"d1","date":"2026-01-16","invoice":"I1"}\n',
    b'{"type":"dispute_resolved","id":"d2","date":"2026-01-17","invoice":"I1"}\n',
]


def fast_json_kinds() -> list[type]:
    from commission_engine.files import fast_json

    return list(fast_json._KINDS)


def _same(raw: bytes, number: int = 3) -> BaseEvent | None:
    fast = plain_event(raw, number)
    if fast is not None:
        usual = json_line(raw, number)
        assert isinstance(usual, BaseEvent), (raw, usual)
        assert type(fast) is type(usual)
        assert fast == usual
        assert repr(fast) == repr(usual)
        assert (fast.line, fast.digest()) == (usual.line, usual.digest())
    return fast


@settings(max_examples=3000, deadline=None)
@given(lines())
@example(b'{"type":"payment","id":"e1","date":"2026-01-10","invoice":"I1","amount":"5",'
         b'"amount":"6"}')  # fmt: skip
@example(b'{"type":"payment","id":"e1","id" :"e2","date":"2026-01-10","invoice":"I1",'
         b'"amount":"5"}')  # fmt: skip
@example(b'{"type":"payment","id":"e1","date":"2026-01-10","invoice":"I1","amount":"NaN"}')
@example(b'{"type":"invoice","id":"e1","date":"2026-01-10","invoice":"I1","rep":"ana",'
         b'"amount":"10","tax":"11"}')  # fmt: skip
@example(b'{"type":"adjustment","id":"e1","date":"2026-01-10","rep":"ana","amount":"0.00"}')
def test_a_line_read_fast_is_the_event_the_usual_path_gives(raw: bytes) -> None:
    _same(raw)


def test_keys_written_twice_are_left_to_the_usual_path_which_rejects_them() -> None:
    for raw in (
        b'{"type":"payment","id":"e1","date":"2026-01-10","invoice":"I1","amount":"5",'
        b'"amount":"6"}',
        b'{"type":"payment","id":"e1","id" :"e2","date":"2026-01-10","invoice":"I1","amount":"5"}',
    ):
        assert plain_event(raw, 1) is None
        rejection = json_line(raw, 1)
        assert not isinstance(rejection, BaseEvent)
        assert rejection is not None and "written twice" in rejection.reason


def test_ordinary_lines_are_read_fast() -> None:
    # Every line of the bundled example but its split invoices and notes with a colon.
    raws = (EXAMPLES / "events.jsonl").read_bytes().splitlines()
    fast = [_same(raw, number) for number, raw in enumerate(raws, 1)]
    left: list[Any] = [raw for raw, event in zip(raws, fast, strict=True) if event is None]
    assert all(b'"splits"' in raw or raw.count(b":") > 6 for raw in left), left
    assert len(left) < len(raws) / 4


def test_a_field_not_given_holds_its_default_object_so_the_count_of_keys_is_sound() -> None:
    # The duplicate-key check counts as given every field that is not its default object;
    # were msgspec to copy defaults, a key written twice could pass unseen.
    from commission_engine.files import fast_json

    raw = b'{"type":"invoice","id":"e1","date":"2026-01-10","invoice":"I1","rep":"a","amount":"5"}'
    record = fast_json._DECODER.decode(raw)
    _, defaults, _, _, _ = fast_json._KINDS[type(record)]
    assert defaults is not None
    names = [field.name for field in msgspec.structs.fields(type(record))]
    given = {name for name, default in zip(names, defaults, strict=True)
             if getattr(record, name) is not default}  # fmt: skip
    assert given == {"id", "date", "invoice", "rep", "amount"}
    assert plain_event(raw, 1) is not None


# A block of lines read at once ------------------------------------------------------------


def _line_by_line(raws: list[bytes], first: int) -> list[Any]:
    """What each line gives on its own: fast where plainly valid, else the usual way."""
    return [read for at, raw in enumerate(raws, first)
            if (read := plain_event(raw, at) or json_line(raw, at)) is not None]  # fmt: skip


def _same_reads(raws: list[bytes], first: int = 1) -> list[Any]:
    """``json_lines`` over a file of ``raws`` gives what each line gives on its own."""
    data = b"".join(raw if raw.endswith(b"\n") else raw + b"\n" for raw in raws)
    lines = io.BytesIO(data).readlines()
    read = list(json_lines(io.BytesIO(data), Path("events.jsonl"), first))
    expected = _line_by_line(lines, first)
    assert [type(r) for r in read] == [type(r) for r in expected]
    assert read == expected
    assert [repr(r) for r in read] == [repr(r) for r in expected]
    assert [r.line for r in read] == [r.line for r in expected]
    assert [r.digest() for r in read if isinstance(r, BaseEvent)] == [
        r.digest() for r in expected if isinstance(r, BaseEvent)
    ]
    return read


@settings(max_examples=1500, deadline=None)
@given(st.lists(st.one_of(lines(), st.sampled_from(PLAIN_LINES)), min_size=1, max_size=8),
       st.integers(1, 10**6))  # fmt: skip
def test_a_block_of_lines_reads_as_its_lines_one_by_one(raws: list[bytes], first: int) -> None:
    _same_reads(raws, first)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(PLAIN_LINES), min_size=1, max_size=12), st.integers(1, 10**6))
def test_a_block_of_plain_lines_is_read_at_once(raws: list[bytes], first: int) -> None:
    events = plain_events(raws, first)
    assert events is not None
    assert events == [plain_event(raw, at) for at, raw in enumerate(raws, first)]
    assert [event.line for event in events] == list(range(first, first + len(raws)))


def test_lines_that_only_add_up_to_events_are_read_one_by_one() -> None:
    # Each line must hold one whole event: here one runs on into the next, and another
    # holds two (the block's count of events would still match its count of lines); then
    # a line closes its brackets and opens the next one's (one event too many).
    head, tail = PAYMENT.split(b',"invoice"')
    two = PAYMENT.rstrip(b"\n") + b"," + PAYMENT.replace(b"p1", b"p2")
    for raws, rejected in (
        ([head + b"\n", b'"invoice"' + tail, two], [1, 2, 3]),
        ([PAYMENT.replace(b"}\n", b"}],[" + PAYMENT.replace(b"p1", b"p2")), PAYMENT], [1]),
    ):
        assert plain_events(raws, 1) is None
        read = _same_reads(raws)
        assert [r.line for r in read if not isinstance(r, BaseEvent)] == rejected, read


def test_a_null_line_or_a_value_after_the_last_event_sends_its_block_line_by_line() -> None:
    # In one decode a line of ``null`` is a value where an event should be, and a value after
    # the last line's event is one too many (nothing after it to misplace, and no colon).
    second = PAYMENT.replace(b"p1", b"p2")
    for raws in ([PAYMENT, b"null\n", second], [PAYMENT, second.rstrip(b"\n") + b",null"]):
        assert plain_events(raws, 1) is None, raws
        read = _same_reads(raws)
        assert [r.line for r in read if not isinstance(r, BaseEvent)] == [2], read


def test_a_doubtful_line_sends_its_block_line_by_line() -> None:
    amount = b'"amount":"5"'
    cases = {
        (amount, b'"amount":"5","amount":"6"'): "written twice",  # the colons do not add up
        (amount, b'"amount":"NaN"'): "amount",
        (amount, b'"amount":"1_0"'): "amount",  # more _ than the type's name holds
        (amount, b'"amount":"5","line":7'): "line",
        (amount, b'"amount":"5","line":0'): "line",
        (amount, b'"amount":"5","known_digest":"x"'): "known_digest",
        (amount, b'"amount":"\\u0665"'): "amount",
        (b"2026-01-10", b"1899-12-31"): "out of range",
    }
    for (plain, odd), reason in cases.items():
        raws = [PAYMENT, PAYMENT.replace(plain, odd).replace(b"p1", b"p2"), PAYMENT]
        assert plain_events(raws, 1) is None, odd
        rejected = [r for r in _same_reads(raws) if not isinstance(r, BaseEvent)]
        assert len(rejected) == 1 and rejected[0].line == 2, odd
        assert reason in f"{rejected[0].field} {rejected[0].reason}", (odd, rejected)


def test_a_file_of_many_blocks_reads_as_its_lines_one_by_one(monkeypatch: Any) -> None:
    # Blocks of a few lines each: plain ones, one with a blank line, one with a rejection;
    # each line keeps its number across the blocks.
    monkeypatch.setattr(event_files, "_BLOCK_BYTES", 3 * len(PAYMENT))
    raws = [PAYMENT.replace(b"p1", b"p%d" % n) for n in range(14)]
    raws[5] = b"\n"
    raws[9] = raws[9].replace(b'"5"', b'"NaN"')
    read = _same_reads(raws, 3)
    assert [r.line for r in read] == [n + 3 for n in range(14) if n != 5]
    assert [type(r) for r in read].count(Rejection) == 1


def test_a_cost_given_out_of_bounds_sends_its_block_line_by_line() -> None:
    # Among invoices giving no cost (theirs is the default zero, not compared), one giving a
    # negative cost or one too large.
    invoice = PLAIN_LINES[1]
    for cost in (b"-1", b"1e15", b"NaN"):
        odd = invoice.replace(b'"tax"', b'"cost":"' + cost + b'","tax"').replace(b"i1", b"i2")
        raws = [invoice, odd, invoice.replace(b"i1", b"i3")]
        assert plain_events(raws, 1) is None, cost
        rejected = [r for r in _same_reads(raws) if not isinstance(r, BaseEvent)]
        assert [(r.line, r.field) for r in rejected] == [(2, "cost")], (cost, rejected)


def test_a_nan_sends_its_block_line_by_line_under_a_context_that_does_not_trap_it() -> None:
    # A block's amounts are bounded by their least and greatest: a NaN compared quietly would
    # be passed over, so they are compared under a context of the reader's own.
    invoice = PLAIN_LINES[1]
    with_cost = invoice.replace(b'"tax"', b'"cost":"2","tax"')
    cases = [(PAYMENT, b'"amount":"5"', "amount"), (invoice, b'"tax":"1.50"', "tax"),
             (with_cost, b'"cost":"2"', "cost")]  # fmt: skip
    for line, plain, field in cases:
        odd = line.replace(plain, plain.split(b":")[0] + b':"NaN"')
        for at in range(3):
            raws = [line.replace(b'1"', b'%d"' % n, 1) for n in range(3)]
            raws[at] = odd.replace(b'1"', b'%d"' % at, 1)
            with localcontext(Context(traps=[])):
                assert plain_events(raws, 1) is None, (field, at)
                rejected = [r for r in _same_reads(raws) if not isinstance(r, BaseEvent)]
            assert [(r.line, r.field) for r in rejected] == [(at + 1, field)], rejected


def test_blocks_of_plain_lines_share_their_days_and_ids() -> None:
    # Days no event has named yet: the first block keeps each new day once for all its
    # events, and the next block's events are given the day kept.
    day, other = b"2187-03-05", b"2187-03-06"
    payment = PAYMENT.replace(b"2026-01-10", day)
    reversal = PLAIN_LINES[4].replace(b"2026-01-13", other)
    first = plain_events([payment, reversal, payment.replace(b"p1", b"p2")], 1)
    second = plain_events([reversal.replace(b"r1", b"r2"), payment.replace(b"p1", b"p3")], 4)
    assert first is not None and second is not None
    assert first[0].date is first[2].date is second[1].date
    assert first[1].date is second[0].date
    dates = [event.date.isoformat().encode() for event in (*first, *second)]
    assert dates == [day, other, day, other, day]
    invoices = {id(event.invoice) for event in (*first, *second)}  # type: ignore[attr-defined]
    assert len(invoices) == 1


def test_a_block_counts_each_field_an_invoice_may_leave_out() -> None:
    # The block's count of keys takes the fields a line may leave out from each event: an
    # invoice giving every one is read at once, and one giving any of them twice is not.
    fields = {"tax": b'"1.50"', "cost": b'"2"', "currency": b'"USD"', "due": b'"2026-02-28"',
              "customer": b'"C1"'}  # fmt: skip

    def invoice(names: list[str]) -> bytes:
        given = b"".join(b',"%s":%s' % (name.encode(), fields[name]) for name in names)
        return PAYMENT.replace(b'"payment"', b'"invoice"').replace(b"}", b',"rep":"ana"%s}' % given)

    full = invoice(list(fields))
    assert plain_events([full, PAYMENT], 1) is not None
    for name, value in fields.items():
        assert plain_events([invoice([f for f in fields if f != name]), PAYMENT], 1), name
        twice = full.replace(b"}", b',"%s":%s}' % (name.encode(), value))
        assert plain_events([PAYMENT, twice], 1) is None, name
        rejected = [r for r in _same_reads([PAYMENT, twice]) if not isinstance(r, BaseEvent)]
        assert [r.line for r in rejected] == [2] and "written twice" in rejected[0].reason


def test_an_invoice_for_no_rep_sends_its_block_line_by_line() -> None:
    # Neither a rep nor splits: typed, the line decodes; the block's check of the rules
    # must see that no rep is named, and the usual path rejects the line.
    invoice = PLAIN_LINES[1]
    no_rep = invoice.replace(b'"rep":"ana",', b"").replace(b"i1", b"i9")
    raws = [invoice, no_rep, PAYMENT]
    assert plain_events(raws, 1) is None
    rejected = [r for r in _same_reads(raws) if not isinstance(r, BaseEvent)]
    assert [r.line for r in rejected] == [2], rejected
    assert "rep" in rejected[0].reason, rejected


def test_a_line_or_digest_given_sends_its_block_line_by_line() -> None:
    # Either is ours to set: given on an invoice (whose other fields may be left out), the
    # block is read line by line and the line rejected; given as null, the line is read the
    # usual way, which takes null for a field not given.
    invoice = PLAIN_LINES[1].replace(b"i1", b"i9")
    for odd in (b',"line":3}', b',"known_digest":"x"}', b',"line":0}'):
        raws = [PLAIN_LINES[1], invoice.replace(b"}", odd), PAYMENT]
        assert plain_events(raws, 1) is None, odd
        rejected = [r for r in _same_reads(raws) if not isinstance(r, BaseEvent)]
        assert [(r.line, r.reason) for r in rejected] == [
            (2, "is not a field of this event type")
        ], odd
    for odd in (b',"line":null}', b',"known_digest":null}'):
        raws = [PLAIN_LINES[1], invoice.replace(b"}", odd), PAYMENT]
        assert plain_events(raws, 1) is None, odd
        read = _same_reads(raws)
        assert all(isinstance(r, BaseEvent) for r in read) and read[1].line == 2, odd


def test_no_optional_field_name_holds_an_underscore() -> None:
    # A block's count of ``_`` is compared as a sum: sound only while each line holds at
    # least its type's count, that is while every ``_`` of a field's name is always given.
    for kind in fast_json_kinds():
        for field in msgspec.structs.fields(kind):
            if field.name not in ("line", "known_digest"):
                assert "_" not in field.name or field.required, (kind, field.name)


def test_the_example_file_is_read_in_blocks_where_plain() -> None:
    raws = (EXAMPLES / "events.jsonl").read_bytes().splitlines(keepends=True)
    plain = [raw for raw in raws if plain_event(raw, 1) is not None]
    assert len(plain) > 10
    assert plain_events(plain, 1) is not None
    _same_reads(raws)


def test_a_due_day_given_by_a_later_invoice_of_a_block_is_shared_and_checked() -> None:
    # A block's days a field may leave out are skipped only where no event gives one: an
    # invoice giving its due day after others that give none still has it kept once, and
    # one out of range still sends the block line by line.
    due, other = b"2187-04-05", b"2187-04-06"
    plain = PLAIN_LINES[1].replace(b',"due":"2026-02-28"', b"")
    later = PLAIN_LINES[1].replace(b"i1", b"i3").replace(b"2026-02-28", due)
    lines = [plain, PAYMENT, later, later.replace(b"i3", b"i4"), later.replace(due, other)]
    events = plain_events(lines, 1)
    assert events is not None
    dues = [getattr(event, "due", None) for event in events]
    assert dues[:2] == [None, None] and dues[2] is dues[3] is not None
    assert [day.isoformat().encode() for day in dues[2:]] == [due, due, other]
    out_of_range = [plain, later.replace(due, b"2200-01-01")]
    assert plain_events(out_of_range, 1) is None
    rejected = [r for r in _same_reads(out_of_range) if not isinstance(r, BaseEvent)]
    assert [(r.line, r.field) for r in rejected] == [(2, "due")], rejected

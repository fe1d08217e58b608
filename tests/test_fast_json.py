"""A JSON line read fast gives the very event the usual path gives, or is left to it.

``plain_event`` (msgspec) is a shortcut for lines that are plainly valid; ``json_line`` (json
and pydantic) is the usual path, which also words every rejection. Whenever the shortcut
answers, the usual path must give an equal event, from the same line, saying the same
(digest) in the same words (repr); and the shortcut must answer for ordinary lines, or it
would only be slower.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import msgspec
from hypothesis import example, given, settings
from hypothesis import strategies as st

from commission_engine.domain.events import BaseEvent
from commission_engine.files.event_files import json_line
from commission_engine.files.fast_json import plain_event

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

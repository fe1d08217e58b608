"""Each level's behaviour on write-off, past-due, late payment, credit note and reversal.

One invoice of 1,000.00 at 10% (commission 100.00), booked 2026-01-01, due 2026-01-31
(30 days' terms); with the preset 90 days, the past-due clawback falls on 2026-05-01.
"""

from __future__ import annotations

import pytest
from scenario import Stream, book, line_amounts, run, statement


def booked() -> Stream:
    return Stream().invoice("2026-01-01", "I1", "1000.00")


@pytest.mark.parametrize(
    ("level", "lines", "held_after"),
    [
        (0, [("advance", "100.00")], "0.00"),
        (1, [("advance", "100.00"), ("clawback", "-100.00")], "0.00"),
        (2, [("advance", "50.00"), ("clawback", "-50.00")], "0.00"),
        (3, [], "0.00"),
        (4, [], "0.00"),
    ],
)
def test_write_off(level: int, lines: list[tuple[str, str]], held_after: str) -> None:
    result = run(book(level), booked().write_off("2026-02-15", "I1"))
    assert line_amounts(result) == lines
    assert str(statement(result, "2026-02").held_balance) == held_after


@pytest.mark.parametrize(
    ("level", "lines", "held_after"),
    [
        (0, [("advance", "100.00")], "0.00"),
        (1, [("advance", "100.00"), ("past_due", "-100.00")], "100.00"),
        (2, [("advance", "50.00"), ("past_due", "-50.00")], "100.00"),
        (3, [], "100.00"),
        (4, [], "0.00"),
    ],
)
def test_past_due_with_no_payment(
    level: int, lines: list[tuple[str, str]], held_after: str
) -> None:
    result = run(book(level), booked(), through="2026-06-30")
    assert line_amounts(result) == lines
    assert str(statement(result, "2026-06").held_balance) == held_after
    if lines[1:]:
        assert str(result.lines[1].date) == "2026-05-01"


def test_past_due_fires_on_the_day_not_before() -> None:
    assert line_amounts(run(book(1), booked(), through="2026-04-30")) == [("advance", "100.00")]
    assert line_amounts(run(book(1), booked(), through="2026-05-01"))[1] == ("past_due", "-100.00")


@pytest.mark.parametrize(
    ("level", "last_line"),
    [
        (0, None),
        (1, ("reinstatement", "100.00")),
        (2, ("reinstatement", "100.00")),
        (3, ("release", "100.00")),
        (4, ("collection", "100.00")),
    ],
)
def test_late_payment_after_clawback(level: int, last_line: tuple[str, str] | None) -> None:
    result = run(book(level), booked().pay("2026-06-10", "I1", "1000.00"))
    june = statement(result, "2026-06")
    assert [(line.kind, str(line.amount)) for line in june.lines] == (
        [last_line] if last_line else []
    )
    total = sum(line.amount for line in result.lines)
    assert str(total) == "100.00"
    assert str(june.held_balance) == "0.00"


@pytest.mark.parametrize(
    ("level", "lines"),
    [
        (0, [("advance", "100.00"), ("credit_note", "-40.00")]),
        (1, [("advance", "100.00"), ("credit_note", "-40.00")]),
        (2, [("advance", "50.00"), ("credit_note", "-20.00"), ("release", "30.00")]),
        (3, [("release", "60.00")]),
        (4, [("collection", "60.00")]),
    ],
)
def test_credit_note_then_payment_of_the_rest(level: int, lines: list[tuple[str, str]]) -> None:
    events = booked().credit("2026-01-20", "I1", "400.00").pay("2026-02-10", "I1", "600.00")
    result = run(book(level), events)
    assert line_amounts(result) == lines
    assert str(statement(result, "2026-02").held_balance) == "0.00"


@pytest.mark.parametrize(
    ("level", "lines", "held_after"),
    [
        (0, [("advance", "100.00")], "0.00"),
        (1, [("advance", "100.00")], "0.00"),
        (2, [("advance", "50.00"), ("release", "50.00"), ("payment_reversal", "-15.00")], "15.00"),
        (3, [("release", "100.00"), ("payment_reversal", "-30.00")], "30.00"),
        (4, [("collection", "100.00"), ("payment_reversal", "-30.00")], "0.00"),
    ],
)
def test_payment_reversal(level: int, lines: list[tuple[str, str]], held_after: str) -> None:
    events = booked().pay("2026-02-10", "I1", "1000.00").reverse("2026-03-10", "I1", "300.00")
    result = run(book(level), events)
    assert line_amounts(result) == lines
    assert str(statement(result, "2026-03").held_balance) == held_after


def test_payment_after_write_off_reinstates_what_was_taken_back() -> None:
    events = booked().write_off("2026-02-15", "I1").pay("2026-03-10", "I1", "1000.00")
    result = run(book(1), events)
    assert line_amounts(result) == [
        ("advance", "100.00"),
        ("clawback", "-100.00"),
        ("reinstatement", "100.00"),
    ]


def test_partial_write_off_then_partial_recovery_at_level_3() -> None:
    events = (
        booked()
        .pay("2026-02-01", "I1", "500.00")
        .write_off("2026-03-01", "I1")
        .pay("2026-04-01", "I1", "200.00")
    )
    result = run(book(3), events)
    assert line_amounts(result) == [("release", "50.00"), ("reinstatement", "20.00")]


def test_overriding_a_preset_term() -> None:
    # Level 1 with the clawback disabled on write-off behaves like level 0 there.
    result = run(book(1, clawback={"on_write_off": False}), booked().write_off("2026-02-15", "I1"))
    assert line_amounts(result) == [("advance", "100.00")]
    # Level 2 with a quarter advanced.
    result = run(book(2, advance="0.25"), booked())
    assert line_amounts(result) == [("advance", "25.00")]


def test_event_on_the_clawback_day_posts_the_past_due_part_first() -> None:
    events = booked().pay("2026-05-01", "I1", "400.00")
    result = run(book(1), events, through="2026-05-31")
    assert line_amounts(result) == [
        ("advance", "100.00"),
        ("past_due", "-100.00"),
        ("reinstatement", "40.00"),
    ]

"""A :class:`~commission_engine.Result` as text: a table for people, JSON and CSV for scripts.

JSON and CSV write money as :func:`~commission_engine.domain.money.show` does: exactly
the currency's minor digits, no grouping, no symbol, whatever the locale. The
table formats money for a locale (``1.234,56 €`` in ``de_DE``) and is for reading.
Each writer takes ``rep`` to keep only that rep's statements, and ``closed_through``
(``YYYY-MM``, with a ledger) to mark the statements of closed periods as such.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from decimal import Decimal
from functools import cache
from operator import itemgetter
from typing import Any, TextIO, TypeVar, get_args

from ..api import Result
from ..domain.currencies import format_money, minor_units
from ..domain.errors import printable
from ..domain.money import ZERO, show, show_all, zero
from ..domain.statements import LedgerLine, LineKind, Statement
from .translations import translations

T = TypeVar("T")

#: The money columns of a statement, in the order FORMATS.md writes them.
MONEY = ("gross", "recovered", "payout", "debt_balance", "held_balance")
#: FORMATS.md 1.1: what a guaranteed draw added to the payout, on every statement.
CSV_COLUMNS = ("rep", "period", "currency", *MONEY, "draw")


def statements_of(result: Result, rep: str | None = None) -> tuple[Statement, ...]:
    """The result's statements, or only those of ``rep``."""
    if rep is None:
        return result.statements
    return tuple(statement for statement in result.statements if statement.rep == rep)


# JSON ------------------------------------------------------------------------------------


def document(
    result: Result, rep: str | None = None, closed_through: str | None = None
) -> dict[str, Any]:
    """The JSON document of FORMATS.md (``rejected`` entries also name the ``field``).

    With ``closed_through``, each statement also says whether it is ``closed`` (paid).
    """
    statements = [_statement(s) for s in statements_of(result, rep)]
    if closed_through is not None:
        for statement in statements:
            statement["closed"] = statement["period"] <= closed_through
    return {
        "through": None if result.through is None else result.through.isoformat(),
        "statements": statements,
        "rejected": [
            {"line": r.line, "event": r.event, "field": r.field, "reason": r.reason}
            for r in result.rejected
        ],
        "pending": result.pending,
    }


def _statement(statement: Statement) -> dict[str, Any]:
    currency = statement.currency
    return {
        "rep": statement.rep,
        "period": statement.period,
        "currency": currency,
        **{name: show(getattr(statement, name), currency) for name in MONEY},
        **draw_fields(statement),
        "lines": [
            {
                "date": line.date.isoformat(),
                "event": line.event,
                "invoice": line.invoice,
                "kind": line.kind,
                "amount": show(line.amount, currency),
                **({"detail": line.detail} if line.kind in _EXPLAINED else {}),
            }
            for line in statement.lines
        ],
    }


#: Line kinds whose detail the JSON document carries: a bonus has no event to trace it to,
#: so its detail names its period and measure.
_EXPLAINED = frozenset({"collection_bonus"})


def draw_fields(statement: Statement) -> dict[str, Any]:
    """The statement's ``draw`` (money, always) and, when it has one, ``draw_recoverable``."""
    draw: dict[str, Any] = {"draw": show(statement.draw, statement.currency)}
    if statement.draw:
        draw["draw_recoverable"] = statement.draw_recoverable
    return draw


#: The text of one closed statement, already written, with its place in the order of a
#: result's statements: ((rep, period, currency), text).
KeptText = tuple[tuple[str, str, str], str]
#: Which form of the kept texts these writers print them in, and what the texts were written
#: by: a ledger keeps texts of another version aside (issue 19).
KEPT_TEXTS_VERSION = "1"


def closed_json(statement: Statement) -> str:
    """The text :func:`write_json` prints for a closed statement (``"closed": true``)."""
    return _statement_json(statement, True, {})


def closed_csv(statement: Statement) -> str:
    """The row :func:`write_csv` prints for a closed statement, with its line end."""
    text = io.StringIO()
    csv_writer(text).writerow(_csv_row(statement, closed=True))
    return text.getvalue()


def _merged(
    statements: Iterable[Statement],
    kept: Iterable[tuple[tuple[str, str, str], T]] | None,
    render: Callable[[Statement], T],
) -> Iterator[T]:
    """The text of each statement, with the ``kept`` texts (closed statements already written,
    in the same order) merged in where they belong: rep, period, currency."""
    if kept is None:
        yield from map(render, statements)
        return
    pending = iter(statements)
    statement = next(pending, None)
    for key, text in kept:
        while statement is not None and (statement.rep, statement.period, statement.currency) < key:
            yield render(statement)
            statement = next(pending, None)
        yield text
    if statement is not None:
        yield render(statement)
        yield from map(render, pending)


def write_json(
    result: Result,
    out: TextIO,
    rep: str | None = None,
    closed_through: str | None = None,
    *,
    kept: Iterable[KeptText] | None = None,
) -> None:
    """Write :func:`document` as JSON, ending with a newline, laid out as FORMATS.md shows it.

    Each statement's figures on one line and each of its lines on one line below; each
    rejection on one line. The text is written a few hundred statements at a time as they are
    rendered, so the whole document is never held (not as objects, not as one string), and
    never token by token (a system call each when PYTHONUNBUFFERED is set, as in many job
    runners). Every value goes through json's C string encoder.

    ``kept``: the closed statements' texts as :func:`closed_json` wrote them, in order, printed
    among the result's (then the open ones only) as they are, not rendered again.
    """
    through = None if result.through is None else result.through.isoformat()
    out.write(f'{{\n  "through": {_json(through)},\n  "statements": [')
    chunk: list[str] = []  # the texts of a few hundred statements, in parts, joined once
    separator = "\n    "
    starts: dict[dt.date, str] = {}  # (see _statement_parts)

    def render(statement: Statement) -> list[str]:
        closed = None if closed_through is None else statement.period <= closed_through
        return _statement_parts(statement, closed, starts)

    texts = None if kept is None else ((key, [text]) for key, text in kept)
    for count, parts in enumerate(_merged(statements_of(result, rep), texts, render), 1):
        chunk.append(separator)
        chunk += parts
        separator = ",\n    "
        if count % _STATEMENTS_PER_WRITE == 0:
            out.write("".join(chunk))
            chunk.clear()
    out.write("".join(chunk) + ("\n  ]" if separator != "\n    " else "]"))
    rejected = ",\n    ".join(
        _JSON_ONE_LINE({"line": r.line, "event": r.event, "field": r.field, "reason": r.reason})
        for r in result.rejected
    )
    out.write(f',\n  "rejected": [{f"{_NL}    {rejected}{_NL}  " if rejected else ""}],')
    out.write(f'\n  "pending": {result.pending}\n}}\n')


_NL = "\n"
_STATEMENTS_PER_WRITE = 500
#: json's C encoder (it is used when there is no indent): one object on one line.
_JSON_ONE_LINE = json.JSONEncoder(ensure_ascii=False, separators=(", ", ": ")).encode
_quote = json.encoder.encode_basestring  # a string as a JSON string literal, in C


def _json(value: str | None) -> str:
    return "null" if value is None else _quote(value)


def _statement_json(statement: Statement, closed: bool | None, starts: dict[dt.date, str]) -> str:
    """The statement's JSON text; ``starts`` keeps the start of the text of a line of each day
    written (see :func:`_statement_parts`)."""
    return "".join(_statement_parts(statement, closed, starts))


def _statement_parts(
    statement: Statement, closed: bool | None, starts: dict[dt.date, str]
) -> list[str]:
    """The statement's JSON text in parts: its figures, each of its lines, its end. Joined
    once with the other statements' parts, a line's text is copied once, not once a level."""
    currency = statement.currency
    lines = statement.lines
    figures = [
        statement.gross,
        statement.recovered,
        statement.payout,
        statement.debt_balance,
        statement.held_balance,
        statement.draw,
    ]
    # Every amount of the statement shown at once: its figures, then its lines'.
    if len(lines) < _MANY_LINES:
        gross, recovered, payout, debt, held, draw, *amounts = show_all(
            [*figures, *[line.amount for line in lines]], currency
        )
    else:
        gross, recovered, payout, debt, held, draw = show_all(figures, currency)
        amounts = _shown_amounts([line.amount for line in lines], currency)
    head = (
        f'{{"rep": {_quote(statement.rep)}, "period": "{statement.period}", '
        f'"currency": {_quote(currency)}, "gross": "{gross}", "recovered": "{recovered}", '
        f'"payout": "{payout}", "debt_balance": "{debt}", "held_balance": "{held}", '
        f'"draw": "{draw}"'
    )
    if statement.draw:
        head += f', "draw_recoverable": {"true" if statement.draw_recoverable else "false"}'
    mark = "" if closed is None else f', "closed": {"true" if closed else "false"}'
    if not lines:
        return [f'{head}, "lines": []{mark}}}']
    parts = [f'{head}, "lines": [']
    # One f-string a line, its values inline (no call a value): a run writes a million. Each
    # is joined from few pieces: the text from the line's separator to its event's value is
    # kept for each day, and from its invoice's value to its amount's for each kind.
    # (``parts.append`` written out, not kept bound: Python 3.11 appends so in one step.)
    for (_, _, day, kind, _, event, invoice, detail), amount in zip(lines, amounts, strict=True):
        start = starts.get(day)
        if start is None:  # a run's lines fall on a few hundred days; a lookup is cheaper
            start = starts[day] = f',\n      {{"date": "{day.isoformat()}", "event": '
        to_amount = _KIND_TO_AMOUNT[kind]
        if to_amount is None:  # a kind whose detail is written too
            parts.append(
                f'{start}{_json(event)}, "invoice": {_json(invoice)}, "kind": "{kind}", '
                f'"amount": "{amount}", "detail": {_json(detail)}}}'
            )
        else:
            parts.append(
                f"{start}{'null' if event is None else _quote(event)}, "
                f'"invoice": {"null" if invoice is None else _quote(invoice)}'
                f'{to_amount}{amount}"}}'
            )
    parts[1] = parts[1][1:]  # the first line follows the "[": no comma before it
    parts.append(f"\n    ]{mark}}}")
    return parts


#: A line's text from after its invoice's value to its amount's, for each kind of line;
#: ``None`` for the kinds whose detail is written (:data:`_EXPLAINED`), told so at once.
_KIND_TO_AMOUNT: dict[str, str | None] = {
    kind: None if kind in _EXPLAINED else f', "kind": "{kind}", "amount": "'
    for kind in get_args(LineKind)
}

#: From how many lines a statement's amounts are shown by :func:`_shown_amounts`: its checks
#: at once cost more than show_all's one by one for a few amounts.
_MANY_LINES = 16


def _shown_amounts(values: list[Decimal], currency: str) -> list[str]:
    """:func:`~commission_engine.domain.money.show_all` of a statement's amounts.

    A posted amount has the currency's exponent, and ``str()`` then writes it as ``show`` does;
    whether every one of them has is checked at once, in C (no exponent, the point where the
    currency's digits put it, no ``-0.00``), rather than amount by amount. A list that is not
    all so (``0``, ``1E+3``, ``-0.00``) is shown by ``show_all`` itself, which also refuses an
    amount that is not whole minor units.
    """
    texts = list(map(str, values))
    point, negative_zero = _written(currency)
    joined = "".join(texts)
    if "E" not in joined and negative_zero not in texts:
        if point is None:  # no minor digits: no point either
            if "." not in joined:
                return texts
        else:
            try:
                if "".join(map(point, texts)).count(".") == len(texts):
                    return texts
            except IndexError:  # a text shorter than the currency's digits: "0", "5"
                pass
    return show_all(values, currency)


@cache
def _written(currency: str) -> tuple[itemgetter[int] | None, str]:
    """What picks the character of a shown amount where its point is (``None`` for a currency
    without minor digits), and the currency's zero written with a minus (what ``show`` never
    writes)."""
    places = minor_units(currency)
    return itemgetter(-places - 1) if places else None, "-" + format(zero(currency), "f")


# CSV -------------------------------------------------------------------------------------


#: What a spreadsheet takes a cell starting with for a formula (OWASP, "CSV injection").
_FORMULA_STARTS = frozenset("=+-@\t\r")
#: A plain number: money as written here (``-3.00``), never a formula.
_PLAIN_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")


def spreadsheet_safe(cell: object) -> object:
    """``cell`` for a CSV file a spreadsheet will open: a text starting with ``= + - @``, a tab
    or a carriage return gets a ``'`` in front, so that it is shown as text, not run as a
    formula. A plain number (``-3.00``) is left as it is: it is a number, not a formula.
    Control characters are then written as escapes (:func:`~.errors.printable`), as in every
    text the commands write.

    >>> spreadsheet_safe("=cmd|' /C calc'!A0"), spreadsheet_safe("-2+3"), spreadsheet_safe("-3.00")
    ("'=cmd|' /C calc'!A0", "'-2+3", '-3.00')
    """
    if type(cell) is not str or not cell:
        return cell
    if cell[0] in _FORMULA_STARTS and not _PLAIN_NUMBER.fullmatch(cell):
        cell = "'" + cell
    return printable(cell)


class _SafeWriter:
    """A :func:`csv.writer` that passes every cell through :func:`spreadsheet_safe`."""

    def __init__(self, out: TextIO) -> None:
        self._writer = csv.writer(out, lineterminator="\n")

    def writerow(self, row: Iterable[object]) -> None:
        self._writer.writerow([spreadsheet_safe(cell) for cell in row])

    def writerows(self, rows: Iterable[Iterable[object]]) -> None:
        for row in rows:
            self.writerow(row)


def csv_writer(out: TextIO) -> _SafeWriter:
    """The CSV writer of every command: ``\\n`` line ends, cells made :func:`spreadsheet_safe`."""
    return _SafeWriter(out)


def write_csv(
    result: Result,
    out: TextIO,
    rep: str | None = None,
    closed_through: str | None = None,
    *,
    kept: Iterable[KeptText] | None = None,
) -> None:
    """Write one row per statement under a header row (no lines, no rejections).

    With ``closed_through``, a last column ``closed`` says ``true`` for paid statements.
    Text cells are made :func:`spreadsheet_safe`. ``kept``: the closed statements' rows as
    :func:`closed_csv` wrote them, in order, printed among the result's as they are.
    """
    writer = csv_writer(out)
    marked = closed_through is not None
    writer.writerow((*CSV_COLUMNS, "closed") if marked else CSV_COLUMNS)
    rows = io.StringIO()
    to_rows = csv_writer(rows)

    def render(statement: Statement) -> str:
        closed = None if closed_through is None else statement.period <= closed_through
        to_rows.writerow(_csv_row(statement, closed))
        text = rows.getvalue()
        rows.seek(0)
        rows.truncate()
        return text

    if kept is None:  # each row straight to the output
        for statement in statements_of(result, rep):
            closed = None if closed_through is None else statement.period <= closed_through
            writer.writerow(_csv_row(statement, closed))
        return
    out.writelines(_merged(statements_of(result, rep), kept, render))


def _csv_row(s: Statement, closed: bool | None) -> list[str]:
    row = [s.rep, s.period, s.currency, *(show(getattr(s, m), s.currency) for m in MONEY)]
    row.append(show(s.draw, s.currency))
    if closed is not None:
        row.append("true" if closed else "false")
    return row


# Table -----------------------------------------------------------------------------------

_HEADINGS = (
    "rep", "period", "currency", "gross", "recovered", "payout", "debt balance", "held balance",
)  # fmt: skip
#: The table's money columns when a statement has a draw, and their headings.
_WITH_DRAW = ("gross", "recovered", "draw", "payout", "debt_balance", "held_balance")
_HEADINGS_WITH_DRAW = (*_HEADINGS[:5], "draw", *_HEADINGS[5:])


def write_table(
    result: Result,
    out: TextIO,
    locale: str,
    rep: str | None = None,
    closed_through: str | None = None,
) -> None:
    """Write the statements as a table for people, money formatted for ``locale``.

    With ``rep``, each statement is followed by its lines. After the table come
    the total payout per currency, events not applied (pending, re-delivered)
    and every rejected event (in lenient mode). With ``closed_through``, the
    heading says which periods are closed and their rows are marked ``closed``.
    """
    statements = statements_of(result, rep)
    _ = translations(locale).gettext  # the labels in the locale's language (English as written)
    through = (
        _("(no events)")
        if result.through is None
        else _("through {day}").format(day=result.through)
    )
    rep = None if rep is None else printable(rep)
    out.write(_("Commission statements") + f" {through}" + (f", {_('rep')} {rep}" if rep else ""))
    out.write("\n")
    if closed_through is not None:
        out.write(
            _("Periods through {period} are closed: shown as paid.").format(period=closed_through)
        )
        out.write("\n")
    out.write("\n")
    if not statements:
        out.write(_("No statements for rep {rep}.").format(rep=rep) if rep else _("No statements."))
        out.write("\n")
    else:
        _write_statements(
            statements, out, locale, with_lines=rep is not None, closed_through=closed_through
        )
        totals: dict[str, Decimal] = {}
        for statement in statements:
            totals[statement.currency] = totals.get(statement.currency, ZERO) + statement.payout
        paid = ", ".join(format_money(total, code, locale) for code, total in totals.items())
        out.write("\n" + _("Total payout") + f": {paid}\n")
    if result.pending:
        out.write(f"{_count(result.pending)} dated after {result.through} not applied yet.\n")
    if result.duplicates:
        out.write(f"{_count(result.duplicates)} delivered twice, applied once.\n")
    if result.rejected:
        out.write(f"\nRejected, not applied ({_count(len(result.rejected))}):\n")
        out.writelines(f"  {rejection.message}\n" for rejection in result.rejected)


def _count(events: int) -> str:
    return f"{events:,} event" + ("" if events == 1 else "s")


def _write_statements(
    statements: Sequence[Statement],
    out: TextIO,
    locale: str,
    *,
    with_lines: bool,
    closed_through: str | None,
) -> None:
    # A draw column only where a statement has a draw (11.5): the table of plans without
    # draws stays as it was. It sits before payout, which it is part of.
    money_columns = _WITH_DRAW if any(s.draw for s in statements) else MONEY
    rows = [
        (
            printable(s.rep),
            s.period,
            printable(s.currency),
            *(format_money(getattr(s, m), s.currency, locale) for m in money_columns),
            *(() if closed_through is None else ("closed" if s.period <= closed_through else "",)),
        )
        for s in statements
    ]
    named = _HEADINGS if money_columns is MONEY else _HEADINGS_WITH_DRAW
    label = translations(locale).gettext
    headings = tuple(label(h) for h in named) + (() if closed_through is None else ("",))
    statement_money = frozenset(range(3, 3 + len(money_columns)))
    widths = _widths([headings, *rows])
    lines = [
        [_line_row(line, locale) for line in s.lines] if with_lines else [] for s in statements
    ]
    line_widths = _widths([line_row for group in lines for line_row in group])
    out.write(_aligned(headings, widths, statement_money) + "\n")
    previous = statements[0].rep
    for statement, row, line_rows in zip(statements, rows, lines, strict=True):
        if statement.rep != previous:
            out.write("\n")  # a blank line between reps
            previous = statement.rep
        out.write(_aligned(row, widths, statement_money) + "\n")
        for line_row in line_rows:
            out.write("    " + _aligned(line_row, line_widths, _LINE_MONEY) + "\n")


#: Which cells hold money (right-aligned) in a line row.
_LINE_MONEY = frozenset({4})


def _line_row(line: LedgerLine, locale: str) -> tuple[str, ...]:
    return (
        line.date.isoformat(),
        line.kind,
        printable(line.invoice or "-"),
        printable(line.event or "-"),
        format_money(line.amount, line.currency, locale),
        printable(line.detail or ""),
    )


def _widths(rows: Sequence[Sequence[str]]) -> list[int]:
    return [max(map(len, column)) for column in zip(*rows, strict=True)]


def _aligned(cells: Sequence[str], widths: Sequence[int], money: frozenset[int]) -> str:
    padded = [
        cell.rjust(width) if i in money else cell.ljust(width)
        for i, (cell, width) in enumerate(zip(cells, widths, strict=True))
    ]
    return "  ".join(padded).rstrip()

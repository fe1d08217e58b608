"""Errors: one root class for misuse of the API, and rejections as data.

Bad input is data: a :class:`Rejection` names the event id, its line in the
input file, the field and the reason, and the rest of the stream goes on.
Exceptions are for misuse of the API (an invalid plan, a resume with the wrong
plans) and for strict mode, which turns the first rejection into
:class:`RejectedEventError`. Every exception raised on purpose by this library
derives from :class:`CommissionEngineError`.
"""

# No ``from __future__ import annotations`` here: pydantic reads Rejection's annotations when
# it makes the class (as text, each would cost a compile() at every start).

from pydantic import BaseModel, ConfigDict

#: Characters a terminal may act on rather than show (C0 and C1 controls, DEL; line and
#: paragraph separators; zero-width and bidirectional formatting), and how messages show them.
_UNSHOWN = {
    code: f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
    for code in (
        *range(0x20),
        *range(0x7F, 0xA0),
        *range(0x200B, 0x2010),
        *range(0x2028, 0x202F),
        *range(0x2066, 0x206A),
        0xFEFF,
    )
}


_UNSHOWN_BUT_LINES = {code: shown for code, shown in _UNSHOWN.items() if code != 0x0A}


def printable(text: str, *, lines: bool = False) -> str:
    """``text`` with every character a terminal could act on written as an escape; with
    ``lines``, line breaks are kept (a message of several lines).

    >>> print(printable("zed\\n\\x1b[8m"))
    zed\\x0a\\x1b[8m
    """
    return text.translate(_UNSHOWN_BUT_LINES if lines else _UNSHOWN)


class CommissionEngineError(Exception):
    """Root of every error this library raises on purpose."""


class PlanError(CommissionEngineError):
    """A plan, assignment or plan book is invalid."""


class StateError(CommissionEngineError):
    """A saved engine state cannot be resumed with the given plans or events."""


class Rejection(BaseModel):
    """One input event that was not applied, and why.

    ``line`` is the 1-based line in the input file (``None`` when the event did
    not come from a file); ``field`` names the offending field, or ``None`` when
    the event as a whole is at fault (a repeated id, say).
    """

    model_config = ConfigDict(frozen=True, defer_build=True)  # built at the first rejection

    event: str | None
    line: int | None
    field: str | None
    reason: str

    @property
    def message(self) -> str:
        """One line a finance clerk can act on: where, which event, which field, why."""
        where = f"line {self.line}: " if self.line is not None else ""
        who = f"event {self.event}" if self.event is not None else "event without id"
        what = f", field {self.field}" if self.field else ""
        return printable(f"{where}{who}{what}: {self.reason}")  # what was read, shown safely


class RejectedEventError(CommissionEngineError):
    """Strict mode met a rejected event; ``rejection`` says which and why."""

    def __init__(self, rejection: Rejection) -> None:
        super().__init__(rejection.message)
        self.rejection = rejection

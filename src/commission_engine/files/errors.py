"""What goes wrong with an input file as a whole (an event file's bad lines are rejections)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..domain.errors import CommissionEngineError, printable


class FileError(CommissionEngineError):
    """An input file cannot be used: missing, unreadable, of an unknown kind, or malformed."""


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong in a plan file: where (line, key path) and what is allowed instead.

    ``line`` is 1-based (``None`` when the format gives no line, as for JSON
    after it parsed); ``key`` is the place as a key path such as
    ``plans[1].clawback`` (``""`` for the file as a whole).
    """

    line: int | None
    key: str
    reason: str

    def __str__(self) -> str:
        where = [f"line {self.line}"] if self.line is not None else []
        where += [self.key] if self.key else []
        return printable(f"{', '.join(where)}: {self.reason}" if where else self.reason)


class PlanFileError(FileError):
    """A plan file is not a valid plan book; ``problems`` lists every problem found."""

    def __init__(self, path: Path, problems: Sequence[Problem]) -> None:
        self.path = path
        self.problems = tuple(problems)
        listed = "\n".join(f"  {problem}" for problem in self.problems)
        super().__init__(f"{path} is not a valid plan file:\n{listed}")

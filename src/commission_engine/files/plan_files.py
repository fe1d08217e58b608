"""Plan files (FORMATS.md): YAML or JSON, by extension, validated into a :class:`PlanBook`.

Numbers are read from their text as :class:`~decimal.Decimal` (``rate: 0.10``
is ``Decimal('0.10')``), never through ``float``. YAML is read with the YAML 1.2
core schema's plain scalars: only ``true``/``false`` are booleans and ``030`` is
thirty, so a rep called ``no`` or a term written with a leading zero means what
it says. Every problem is reported with its key path (``plans[1].clawback``)
and, for YAML, its line.
"""

from __future__ import annotations

import json
import os
import re
import typing
from collections import Counter
from collections.abc import Iterator, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from ..domain.errors import printable
from ..domain.plans import PlanBook
from .errors import FileError, PlanFileError, Problem

PLAN_SUFFIXES = (".yaml", ".yml", ".json")

#: A place in the parsed file: keys and list indexes from the top.
Loc = tuple[str | int, ...]


def read_plans(path: str | os.PathLike[str]) -> PlanBook:
    """Read and validate the plan file at ``path`` (a ``str`` or any path-like).

    Raises :class:`PlanFileError` listing every problem (key, place, what is
    allowed), or :class:`FileError` when the file cannot be read at all.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in PLAN_SUFFIXES:
        raise FileError(
            f"{path}: a plan file must end in {', '.join(PLAN_SUFFIXES)} (YAML or JSON); "
            f"got '{suffix or 'no extension'}'"
        )
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        raise FileError(f"{path}: not UTF-8 text ({error.reason} at byte {error.start})") from None
    except OSError as error:
        raise FileError(f"cannot read plan file {path}: {error.strerror or error}") from None
    data, lines = _load_json(path, text) if suffix == ".json" else _load_yaml(path, text)
    if data is None:
        raise PlanFileError(path, [Problem(None, "", "the file is empty; it needs a 'plans' list")])
    not_text = list(_not_text(data, (), lines))
    if not_text:  # an escape of half a character: nothing downstream can write it
        raise PlanFileError(path, not_text)
    unknown = list(_unknown_plans(data, lines))
    if unknown:  # checked here: PlanBook indexes assignments before it validates them
        raise PlanFileError(path, unknown)
    try:
        return PlanBook.model_validate(data)
    except ValidationError as error:
        raise PlanFileError(path, _problems(error, lines)) from None


def _unknown_plans(data: Any, lines: Mapping[Loc, int]) -> typing.Iterator[Problem]:
    """An assignment naming a plan the file does not define."""
    if not isinstance(data, dict):
        return
    plans, assignments = data.get("plans"), data.get("assignments")
    if not isinstance(plans, list) or not isinstance(assignments, list):
        return
    ids = [plan.get("id") for plan in plans if isinstance(plan, dict)]
    for index, assignment in enumerate(assignments):
        if isinstance(assignment, dict) and assignment.get("plan") not in ids:
            loc: Loc = ("assignments", index, "plan")
            known = ", ".join(str(i) for i in ids)
            reason = f"unknown plan {_shown(assignment.get('plan'))}; plans are {known}"
            yield Problem(_line(loc, lines), _path(loc), reason)


# JSON ------------------------------------------------------------------------------------


class _Object(dict[str, Any]):
    """A JSON object that remembers the keys written twice in it (``json`` keeps the last)."""

    twice: tuple[str, ...] = ()


def _object(pairs: list[tuple[str, Any]]) -> _Object:
    found = _Object(pairs)
    if len(found) != len(pairs):
        found.twice = tuple(key for key, n in Counter(key for key, _ in pairs).items() if n > 1)
    return found


def _load_json(path: Path, text: str) -> tuple[Any, dict[Loc, int]]:
    if not text.strip():
        return None, {}
    try:
        data = json.loads(
            text, parse_float=Decimal, parse_constant=Decimal, object_pairs_hook=_object
        )
    except json.JSONDecodeError as error:
        problem = Problem(error.lineno, "", f"not valid JSON: {error.msg} (column {error.colno})")
        raise PlanFileError(path, [problem]) from None
    except RecursionError:
        raise PlanFileError(path, [_too_deep(None, "")]) from None
    except ValueError:  # an integer of more digits than Python converts (4,300)
        reason = "a number of thousands of digits is out of range (below 10^15 in size)"
        raise PlanFileError(path, [Problem(None, "", reason)]) from None
    if _depth(data) > MAX_DEPTH:
        raise PlanFileError(path, [_too_deep(None, "")])
    twice = list(_written_twice(data, ()))
    if twice:
        raise PlanFileError(path, twice)
    return data, {}


def _depth(data: Any) -> int:
    """How deep ``data`` nests (read by :mod:`json`, so within the interpreter's limit)."""
    if isinstance(data, dict):
        return 1 + max(map(_depth, data.values()), default=0)
    if isinstance(data, list):
        return 1 + max(map(_depth, data), default=0)
    return 0


def _written_twice(data: Any, loc: Loc) -> typing.Iterator[Problem]:
    if isinstance(data, _Object):
        for key in data.twice:
            yield Problem(None, _path(loc), f"key '{key}' is written twice")
        for key, value in data.items():
            yield from _written_twice(value, (*loc, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from _written_twice(value, (*loc, index))


# YAML ------------------------------------------------------------------------------------

_CORE = "tag:yaml.org,2002:"


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader with YAML 1.2 core-schema plain scalars and Decimal numbers."""


_Loader.yaml_implicit_resolvers = {}  # none of YAML 1.1's: only those added below

for _tag, _pattern, _first in (
    ("null", r"~|null|Null|NULL", "~nN"),
    ("bool", r"true|True|TRUE|false|False|FALSE", "tTfF"),
    ("int", r"[-+]?[0-9]+", "-+0123456789"),
    ("float", r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?", "-+.0123456789"),
    ("float", r"[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)", "-+."),
    ("merge", r"<<", "<"),
):
    _Loader.add_implicit_resolver(_CORE + _tag, re.compile(f"^(?:{_pattern})$"), [*_first])
_Loader.add_implicit_resolver(_CORE + "null", re.compile("^$"), [""])  # "key:" with no value


def _number(loader: _Loader, node: yaml.ScalarNode) -> Decimal:
    text = str(loader.construct_scalar(node)).lower().replace(".inf", "Infinity")
    return Decimal(text.replace(".nan", "NaN"))


def _whole(loader: _Loader, node: yaml.ScalarNode) -> int:
    # Plain decimal digits: YAML 1.1's octal (030) and base-60 (1:30) readings are not wanted.
    return int(str(loader.construct_scalar(node)))


_Loader.add_constructor(_CORE + "float", _number)
_Loader.add_constructor(_CORE + "int", _whole)


class _FastLoader(getattr(yaml, "CSafeLoader", _Loader)):  # type: ignore[misc]
    """:class:`_Loader`'s schema over libyaml's parser, where PyYAML was built with it.

    Four times faster on a plan file with thousands of assignments. It words syntax
    errors its own way, so a file it cannot read is read again by :class:`_Loader`, whose
    message is the same on every machine.
    """

    yaml_implicit_resolvers = _Loader.yaml_implicit_resolvers
    yaml_constructors = _Loader.yaml_constructors


def _load_yaml(path: Path, text: str) -> tuple[Any, dict[Loc, int]]:
    try:
        return _read_yaml(path, text, _FastLoader)
    except PlanFileError:
        return _read_yaml(path, text, _Loader)


def _read_yaml(path: Path, text: str, kind: type[_Loader]) -> tuple[Any, dict[Loc, int]]:
    try:
        loader = kind(text)
    except yaml.YAMLError as error:  # a character YAML does not allow (a control character)
        problem = Problem(None, "", f"not valid YAML: {printable(str(error))}")
        raise PlanFileError(path, [problem]) from None
    lines: dict[Loc, int] = {}
    try:
        node = loader.get_single_node()
        data = None if node is None else _build(loader, node, (), lines, set(), _Expanded())
    except RecursionError:
        raise PlanFileError(path, [_too_deep(None, "")]) from None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = None if mark is None else mark.line + 1
        raise PlanFileError(path, [Problem(line, "", f"not valid YAML: {error.problem}")]) from None
    except yaml.YAMLError as error:
        raise PlanFileError(path, [Problem(None, "", f"not valid YAML: {error}")]) from None
    except _Malformed as error:
        raise PlanFileError(path, [error.problem]) from None
    finally:
        loader.dispose()
    return data, lines


class _Malformed(Exception):
    def __init__(self, problem: Problem) -> None:
        self.problem = problem


#: How deep a plan file may nest (a plan book needs 4 levels: plans, a plan, tiers, a tier).
MAX_DEPTH = 32
#: How many values aliases (``*name``, ``<<: *name``) may repeat in all: shared terms take a
#: few each, and a file of aliases of aliases (a "billion laughs") is refused at this point
#: instead of being expanded without bound.
MAX_REPEATED = 100_000


class _Expanded:
    """The nodes :func:`_build` built, and how many values aliases repeated."""

    __slots__ = ("built", "repeated")

    def __init__(self) -> None:
        self.built: set[int] = set()
        self.repeated = 0


def _too_deep(line: int | None, key: str) -> Problem:
    return Problem(line, key, f"nested more than {MAX_DEPTH} levels deep; a plan file is flat")


def _build(
    loader: _Loader,
    node: yaml.Node,
    loc: Loc,
    lines: dict[Loc, int],
    open_: set[int],
    expanded: _Expanded,
) -> Any:
    """Construct ``node`` as plain dicts, lists and scalars, noting the line of every place."""
    line = node.start_mark.line + 1
    lines.setdefault(loc, line)
    if id(node) in expanded.built:  # again, through an alias
        expanded.repeated += 1
        if expanded.repeated > MAX_REPEATED:
            reason = (
                f"aliases repeat more than {MAX_REPEATED:,} values in all; a plan file may "
                "share terms through aliases, not expand without bound"
            )
            raise _Malformed(Problem(line, _path(loc), reason))
    else:
        expanded.built.add(id(node))
    if len(loc) > MAX_DEPTH:
        raise _Malformed(_too_deep(line, _path(loc)))
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_object(node)
    if id(node) in open_:
        raise _Malformed(Problem(line, _path(loc), "an alias refers to itself"))
    if node.tag not in (_CORE + "map", _CORE + "seq"):
        raise _Malformed(Problem(line, _path(loc), f"unsupported tag {node.tag}"))
    open_.add(id(node))
    if isinstance(node, yaml.SequenceNode):
        items = [
            _build(loader, item, (*loc, i), lines, open_, expanded)
            for i, item in enumerate(node.value)
        ]
        open_.discard(id(node))
        return items
    assert isinstance(node, yaml.MappingNode)
    written = sum(1 for key_node, _ in node.value if key_node.tag != _CORE + "merge")
    loader.flatten_mapping(node)  # "<<: *shared" puts the shared pairs first, to be overridden
    inherited = len(node.value) - written
    mapping: dict[Any, Any] = {}
    explicit: set[Any] = set()
    for index, (key_node, value_node) in enumerate(node.value):
        key_line = key_node.start_mark.line + 1
        if not isinstance(key_node, yaml.ScalarNode):
            raise _Malformed(Problem(key_line, _path(loc), "a key must be a plain name"))
        key = loader.construct_object(key_node)
        if index >= inherited and key in explicit:
            first = lines[(*loc, key)]
            problem = f"key '{key}' is written twice (first on line {first})"
            raise _Malformed(Problem(key_line, _path(loc), problem))
        if index >= inherited:
            explicit.add(key)
        lines[(*loc, key)] = key_line
        mapping[key] = _build(loader, value_node, (*loc, key), lines, open_, expanded)
    open_.discard(id(node))
    return mapping


# Validation errors as problems -----------------------------------------------------------

#: Terms a plan's level fills in: "missing" only because the level itself is wrong.
_PRESET_TERMS = frozenset({"earn_on", "advance", "clawback"})


def _problems(error: ValidationError, lines: Mapping[Loc, int]) -> list[Problem]:
    details = error.errors(include_url=False)
    return sorted(
        (_problem(detail, lines) for detail in details if not _noise(detail, details)),
        key=lambda problem: (problem.line or 0, problem.key),
    )


def _noise(detail: ErrorDetails, details: list[ErrorDetails]) -> bool:
    """True for an error that only follows from another one, and would hide it."""
    loc = detail["loc"]
    if detail["type"] == "missing" and loc[-1] in _PRESET_TERMS:
        return any(other["loc"] == (*loc[:-1], "level") for other in details)
    if detail["type"] == "too_short":  # a list whose items failed looks empty "after validation"
        return any(
            len(other["loc"]) > len(loc) and other["loc"][: len(loc)] == loc for other in details
        )
    return False


def _problem(detail: ErrorDetails, lines: Mapping[Loc, int]) -> Problem:
    loc: Loc = tuple(detail["loc"])
    kind = detail["type"]
    if kind in ("extra_forbidden", "missing"):
        parent, key = loc[:-1], loc[-1]
        allowed = _allowed_keys(parent)
        if kind == "missing":
            reason = f"key '{key}' is required " + ("here" if parent else "at the top level")
            return Problem(_line(parent, lines), _path(parent), reason)
        reason = f"unknown key '{key}'" + (f"; allowed here: {allowed}" if allowed else "")
        return Problem(_line(loc, lines), _path(parent), reason)
    if kind == "too_short":
        reason = f"needs at least {detail['ctx']['min_length']} entry"
    elif kind in ("model_type", "dict_type"):
        expected = f"a mapping of {_allowed_keys(loc)}" if _allowed_keys(loc) else "a mapping"
        reason = f"{_shown(detail['input'])} is not allowed here: expected {expected}"
    elif kind in ("value_error", "assertion_error") and "ctx" in detail:
        reason = str(detail["ctx"]["error"])
    elif kind in _BOUNDS and "ctx" in detail:
        bound, words = _BOUNDS[kind]
        limit = detail["ctx"][bound]
        reason = f"{_shown(detail['input'])} is out of range: it must be {words} {limit}"
    else:
        message = detail["msg"].replace("Input should be", "expected")
        reason = f"{_shown(detail['input'])} is not allowed: {message}"
    return Problem(_line(loc, lines), _path(loc), reason)


#: pydantic's range errors: the key of the bound in their context, and how it reads.
_BOUNDS = {
    "less_than_equal": ("le", "at most"),
    "less_than": ("lt", "below"),
    "greater_than_equal": ("ge", "at least"),
    "greater_than": ("gt", "above"),
}


def _line(loc: Loc, lines: Mapping[Loc, int]) -> int | None:
    """The line of ``loc``, or of the nearest enclosing place (not the file as a whole)."""
    for end in range(len(loc), 0, -1):
        if loc[:end] in lines:
            return lines[loc[:end]]
    return None


def _not_text(data: Any, loc: Loc, lines: Mapping[Loc, int]) -> Iterator[Problem]:
    """A problem for each key or value holding a lone surrogate (``"\\ud800"``, which YAML and
    JSON read from an escape but is no character: UTF-8 cannot write it)."""
    items = (
        data.items()
        if isinstance(data, dict)
        else enumerate(data)
        if isinstance(data, list)
        else ()
    )
    for key, value in items:
        here = (*loc, key)
        for text in (key, value):
            if isinstance(text, str) and not _writable(text):
                reason = (
                    "holds an escape of half a character (\\ud800 to \\udfff); "
                    "write the character itself"
                )
                yield Problem(lines.get(here), _path(here), reason)
                break
        else:
            yield from _not_text(value, here, lines)


def _writable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _path(loc: Loc) -> str:
    """``('plans', 1, 'clawback')`` as ``plans[1].clawback``."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else f".{part}" if text else str(part)
    return text


def _shown(value: Any) -> str:
    if isinstance(value, str):
        return f"'{value}'"
    if value is None:
        return "an empty value"
    if isinstance(value, list | dict):
        return "a list" if isinstance(value, list) else "a mapping"
    return str(value)


def _allowed_keys(loc: Loc) -> str:
    """The keys the model at ``loc`` accepts, as written in a file; ``""`` if not a model."""
    model: type[BaseModel] | None = PlanBook
    for part in loc:
        if isinstance(part, int) or model is None:
            continue
        field = next((f for name, f in model.model_fields.items() if part in (name, f.alias)), None)
        model = None if field is None else _model_in(field.annotation)
    if model is None:
        return ""
    return ", ".join(field.alias or name for name, field in model.model_fields.items())


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for argument in typing.get_args(annotation):
        found = _model_in(argument)
        if found is not None:
            return found
    return None

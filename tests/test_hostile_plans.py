"""Issue 15, items 2 and 5: plan files nested deep or with aliases of aliases are refused."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from hostile import INVOICE, files, run

from commission_engine.files import PlanFileError, read_plans


def bomb(levels: int) -> str:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level in range(1, levels + 1):
        lines.append(f"a{level}: &a{level} [" + ",".join([f"*a{level - 1}"] * 9) + "]")
    return "\n".join(lines) + f"\nplans: *a{levels}\n"


@pytest.mark.parametrize("levels", [7, 9, 20])
def test_an_alias_bomb_is_refused_quickly(tmp_path: Path, levels: int) -> None:
    plans, events = files(tmp_path, INVOICE, plan=bomb(levels))
    started = time.perf_counter()
    result = run("payouts", plans, events)
    assert time.perf_counter() - started < 5
    assert result.status == 2 and result.out == ""
    assert "aliases repeat more than 100,000 values in all" in result.err


def test_shared_terms_through_aliases_still_work(tmp_path: Path) -> None:
    plan = """\
shared: &shared {currency: USD, level: 2, rate: "0.10"}
plans:
"""
    plan += "".join(f"  - {{<<: *shared, id: p{n}}}\n" for n in range(2_000))
    plan += "assignments:\n  - {rep: '*', plan: p0, from: 2026-01-01}\n"
    path = tmp_path / "plans.yaml"
    path.write_text(plan.replace("shared: &shared", "x-shared: &shared"))
    with pytest.raises(PlanFileError, match="unknown key 'x-shared'"):
        read_plans(path)  # the key is not allowed, but it was read, aliases and all


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("plans.yaml", "plans: " + "[" * 100_000 + "]" * 100_000 + "\n"),
        ("plans.json", '{"plans": ' + "[" * 100_000 + "]" * 100_000 + "}"),
        ("plans.yaml", "plans:\n" + "".join("  " * i + "- \n" for i in range(1, 3_000))),
        ("plans.json", '{"plans": ' + "[" * 40 + "]" * 40 + "}"),
        ("plans.yaml", "plans: " + "[" * 40 + "]" * 40 + "\n"),
    ],
)
def test_a_plan_file_nested_deep_is_a_plan_file_error(tmp_path: Path, name: str, text: str) -> None:
    _, events = files(tmp_path, INVOICE)
    path = tmp_path / name
    path.write_text(text)
    result = run("payouts", path, events)
    assert result.status == 2 and result.out == ""
    assert "nested more than 32 levels deep" in result.err


@pytest.mark.parametrize(
    ("name", "text", "where"),
    [
        ("p.yaml", 'plans:\n  - {id: p, currency: "\\ud800\\udc00", level: 2, rate: "0.1"}\n',
         "line 2, plans[0].currency"),
        ("p.json", '{"plans": [{"id": "p", "currency": "\\ud800", "level": 2, "rate": "0.1"}]}',
         "plans[0].currency"),
    ],
)  # fmt: skip
def test_an_escape_of_half_a_character_is_a_plan_file_error(
    tmp_path: Path, name: str, text: str, where: str
) -> None:
    # YAML and JSON read "\ud800" into a string no UTF-8 writer can write; it used to end
    # in a UnicodeEncodeError traceback (the fuzz test found it).
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(PlanFileError) as error:
        read_plans(path)
    assert f"{where}: holds an escape of half a character" in str(error.value)

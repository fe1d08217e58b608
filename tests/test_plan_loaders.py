"""libyaml, where PyYAML has it, reads plan files exactly as the pure-Python loader does."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from commission_engine.files import plan_files

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
ANCHORS = """\
shared: &terms {currency: USD, level: 1, rate: '0.10', clawback: {after_days_past_due: 30}}
plans:
  - {<<: *terms, id: std}
  - <<: *terms
    id: kwd
    currency: KWD
    rate: 1e-1
assignments:
  - {rep: '*', plan: std, from: 2026-01-01}
  - {rep: ana, plan: kwd, from: "2026-02-01"}
empty:
"""


@pytest.mark.skipif(not yaml.__with_libyaml__, reason="PyYAML was built without libyaml")
@pytest.mark.parametrize("text", [(EXAMPLES / "plans.yaml").read_text(), ANCHORS])
def test_both_loaders_read_the_same_values_and_lines(text: str) -> None:
    path = Path("plans.yaml")
    fast = plan_files._read_yaml(path, text, plan_files._FastLoader)
    assert fast == plan_files._read_yaml(path, text, plan_files._Loader)
    assert plan_files._FastLoader is not plan_files._Loader

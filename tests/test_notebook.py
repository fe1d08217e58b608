"""The worked notebook in examples/ runs top to bottom on the bundled data."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def test_the_plan_modeling_notebook_runs_top_to_bottom(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MPLBACKEND", "Agg")  # the kernel inherits it: no screen needed
    notebook = nbformat.read(EXAMPLES / "plan_modeling.ipynb", as_version=4)
    client = NotebookClient(
        notebook,
        timeout=120,
        kernel_name="python3",
        resources={"metadata": {"path": str(EXAMPLES)}},
    )
    client.execute()  # raises CellExecutionError, with the cell and traceback, on any error
    outputs = [
        output for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs
    ]
    assert not [output for output in outputs if output.output_type == "error"]
    text = "".join(output.get("text", "") for output in outputs)
    assert "level 4: pays" in text
    assert "the slowest payer" in text  # the overdue list and the customer P&L ran
    html = "".join(output.get("data", {}).get("text/html", "") for output in outputs)
    assert '<table class="commission-engine">' in html  # the comparison and the aging

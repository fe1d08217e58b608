"""The HTML statement in a real browser: Debian's headless Chromium renders the example's
statements, and every statement's gross and payout are on the page as the browser built it.

Skipped, with the reason, only where Chromium is missing and this is not CI; in CI (``CI`` set,
as ``.ci/run`` runs) a missing browser fails, since ``.ci/run`` installs it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from commission_engine import compute, read_events, read_plans
from commission_engine.domain.currencies import format_money

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
if CHROMIUM is None and not os.environ.get("CI"):
    pytest.skip(
        "Debian's chromium is not installed (apt-get install chromium; .ci/run does it)",
        allow_module_level=True,
    )


def _chromium(tmp_path: Path, *args: str) -> str:
    assert CHROMIUM is not None, "chromium must be installed in CI (.ci/run installs it)"
    profile = tmp_path / "profile"
    done = subprocess.run(
        [
            CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--no-first-run", f"--user-data-dir={profile}", *args,
        ],
        capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    return done.stdout


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory, examples_folder: Path) -> Path:
    folder = tmp_path_factory.mktemp("statements")
    from commission_engine.cli import main

    status = main(
        [
            "statement", str(examples_folder / "plans.yaml"), str(examples_folder / "events.csv"),
            "--output-dir", str(folder), "--locale", "en_US",
        ]
    )  # fmt: skip
    assert status == 0
    return folder


@pytest.fixture(scope="module")
def examples_folder() -> Path:
    return Path(__file__).resolve().parent.parent / "examples"


def test_every_statements_totals_are_on_the_rendered_page(
    pages: Path, examples_folder: Path, tmp_path: Path
) -> None:
    result = compute(
        read_plans(examples_folder / "plans.yaml"), read_events(examples_folder / "events.csv")
    )
    reps = sorted({s.rep for s in result.statements})
    assert sorted(p.stem for p in pages.iterdir()) == reps
    for rep in reps:
        dom = _chromium(tmp_path, "--dump-dom", (pages / f"{rep}.html").as_uri())
        payouts = re.findall(r'data-figure="payout">([^<]*)<', dom)
        grosses = re.findall(r'data-figure="gross">([^<]*)<', dom)
        mine = [s for s in result.statements if s.rep == rep]
        assert payouts == [format_money(s.payout, s.currency, "en_US") for s in mine]
        assert grosses == [format_money(s.gross, s.currency, "en_US") for s in mine]


def test_a_screenshot_of_a_statement(pages: Path, tmp_path: Path) -> None:
    picture = tmp_path / "alice.png"
    _chromium(
        tmp_path,
        f"--screenshot={picture}",
        "--window-size=1280,1600",
        (pages / "alice.html").as_uri(),
    )
    data = picture.read_bytes()
    assert data.startswith(b"\x89PNG") and len(data) > 20_000  # a page, not a blank

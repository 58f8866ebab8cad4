"""docs/reliability.md is the report script's rendering of the suite's output, never a hand edit."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "reliability_report.py"


def test_checked_in_page_is_the_rendering_of_the_checked_in_figures() -> None:
    run = subprocess.run([sys.executable, str(SCRIPT), "--check"], capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr


def test_the_figures_cover_every_suite() -> None:
    data = json.loads((ROOT / "docs" / "reliability-last-run.json").read_text())
    for suite in ("bad_input", "faults", "transient", "concurrency", "soak", "secrets", "outcomes", "run"):
        assert suite in data, f"the checked-in figures lack {suite}: regenerate them from a full run"
    assert all(outcome == "passed" for outcome in data["outcomes"].values()), "the published run had failures"

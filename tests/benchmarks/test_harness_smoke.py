"""The benchmark harness runs end to end (`python -m benchmarks --quick`) and writes the JSON the docs are
rendered from. Nothing here is timed: the figures of a quick run are meaningless and never asserted."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks import report

pytestmark = pytest.mark.e2e

REPO_ROOT = Path(__file__).resolve().parents[2]
SECTIONS = ("cold_start", "stdio_call", "http_throughput", "memory", "simulator")


def test_quick_run_writes_every_section(tmp_path: Path) -> None:
    out = tmp_path / "quick.json"
    docs = tmp_path / "performance.md"
    docs.write_text("# Performance\n\nHand-written notes that the generator must keep.\n")
    env = {name: value for name, value in os.environ.items() if not name.startswith(("ALIBABA_CLOUD_", "CCC_"))}
    env["ALIBABA_CLOUD_ECS_METADATA_DISABLED"] = "true"
    completed = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--quiet", "--out", str(out), "--docs", str(docs)],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]

    results = json.loads(out.read_text())
    assert set(SECTIONS) <= results.keys()
    assert {"machine", "versions", "sizes", "command", "duration_s"} <= results["meta"].keys()
    assert results["meta"]["quick"] is True
    for section in SECTIONS:
        assert "goal" in results[section], section
    assert {"ccc-mcp", "bare"} <= results["cold_start"]["variants"].keys()
    assert {"median", "min", "max", "runs"} <= results["cold_start"]["ratio"].keys()
    http = results["http_throughput"]["variants"]
    assert set(http) == {"ccc-mcp", "ccc-mcp, plain httpx", "bare no-op"}
    assert set(http["ccc-mcp"]) == {"1", "8", "32", "64"}
    assert {"calls_per_s", "p50_ms", "p99_ms", "max_ms", "server_cpu_ms_per_call"} <= http["ccc-mcp"]["32"].keys()
    assert http["ccc-mcp"]["32"]["errors"] == 0
    assert {"idle_mib", "growth_mib"} <= results["memory"]["variants"]["ccc-mcp"].keys()
    assert [goal["id"] for goal in results["goals"]] == ["1", "2", "3", "3", "3", "4", "4", "5"]

    text = docs.read_text()
    assert "Hand-written notes that the generator must keep." in text
    assert report.BEGIN in text
    assert report.END in text
    assert "| 1 | cold start" in text
    assert "Machine:" in text
    assert "| 1 | cold start" in completed.stdout

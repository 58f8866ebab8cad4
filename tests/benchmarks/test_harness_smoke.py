"""The benchmark harness runs end to end (`python -m benchmarks --quick`) and writes the JSON the docs are
rendered from. Nothing here is timed: the figures of a quick run are meaningless and never asserted."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from benchmarks import fleet, report
from ccc_mcp.simulator.floor import floor_mix

pytestmark = pytest.mark.e2e

REPO_ROOT = Path(__file__).resolve().parents[2]
SECTIONS = ("cold_start", "stdio_call", "http_throughput", "hot_path", "fleet", "memory", "simulator", "list_calls")
TOOL_ROWS = {
    "list_agents": ["ListRealtimeAgentStates"],
    "get_agent_status": ["PollUserStatus"],
    "unmute_call": ["UnmuteCall"],
    "mute_call": ["MuteCall"],
    "hold_call (ids given)": ["HoldCall"],
    "retrieve_call (ids given)": ["RetrieveCall"],
    "hold_call (resolved)": ["PollUserStatus", "HoldCall"],
    "retrieve_call (resolved)": ["PollUserStatus", "RetrieveCall"],
}
FLOOR_50 = floor_mix(50)  # the quick run's floor: 33 agents on 32 live calls, 2 muted
FLEET_VARIANTS = {fleet.OFF, fleet.WORKERS, fleet.MEMORY, fleet.REDIS, fleet.TELEMETRY}


def _quick_run(tmp_path: Path, *options: str) -> tuple[dict[str, Any], str, str]:
    """`python -m benchmarks --quick` with `options`, its docs written to a scratch file: the JSON results, the
    docs' text, and stdout."""
    out = tmp_path / "quick.json"
    docs = tmp_path / "performance.md"
    docs.write_text("# Performance\n\nHand-written notes that the generator must keep.\n")
    env = {name: value for name, value in os.environ.items() if not name.startswith(("ALIBABA_CLOUD_", "CCC_"))}
    env["ALIBABA_CLOUD_ECS_METADATA_DISABLED"] = "true"
    completed = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--quiet", "--out", str(out), "--docs", str(docs), *options],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    return json.loads(out.read_text()), docs.read_text(), completed.stdout


def test_quick_run_writes_every_section(tmp_path: Path) -> None:
    results, docs, stdout = _quick_run(tmp_path)
    _check_sections(results)
    _check_new_tables(results)
    _check_list_calls(results)
    _check_docs(docs, stdout, results)


def test_the_list_calls_section_counts_what_one_list_calls_sent(tmp_path: Path) -> None:
    """The section alone, as the issue asks it to be run: its goals, its table, and nothing else measured."""
    results, docs, _ = _quick_run(tmp_path, "--sections", "list_calls")
    assert set(results) == {"meta", "list_calls", "goals"}
    _check_list_calls(results)
    assert "### 7. list_calls over a floor" in docs
    assert "| 7 | list_calls, floor 50: CCC requests per call = list pages + live calls" in docs
    assert f"| 1 + {FLOOR_50.live_calls} |" in docs


def _check_sections(results: dict[str, Any]) -> None:
    assert set(SECTIONS) <= results.keys()
    assert {"machine", "versions", "sizes", "command", "duration_s"} <= results["meta"].keys()
    assert results["meta"]["quick"] is True
    for section in SECTIONS:
        assert "goal" in results[section], section
    assert {"ccc-mcp", "bare"} <= results["cold_start"]["variants"].keys()
    assert {"median", "min", "max", "runs"} <= results["cold_start"]["ratio"].keys()
    http = results["http_throughput"]["variants"]
    assert set(http) == {"ccc-mcp", "ccc-mcp, SDK fast paths off", "ccc-mcp, plain httpx", "bare no-op",
                         "floor: SDK + one signed request"}  # fmt: skip
    assert set(http["ccc-mcp, SDK fast paths off"]) == {"32"}, "the reference row, at the goal's callers only"
    assert http["ccc-mcp, SDK fast paths off"]["32"]["errors"] == 0
    assert http["floor: SDK + one signed request"]["32"]["errors"] == 0
    assert set(http["ccc-mcp"]) == {"1", "8", "32", "64"}
    assert {"calls_per_s", "p50_ms", "p99_ms", "max_ms", "server_cpu_ms_per_call"} <= http["ccc-mcp"]["32"].keys()
    assert http["ccc-mcp"]["32"]["errors"] == 0
    assert {"idle_mib", "growth_mib"} <= results["memory"]["variants"]["ccc-mcp"].keys()
    hot = results["hot_path"]["variants"]
    assert list(hot) == ["none", *(f"only {change}" for change in results["hot_path"]["changes"]), "all"]
    assert len(hot["none"]["undone"]) == len(results["hot_path"]["changes"]) == 14
    assert hot["all"]["undone"] == []
    assert [goal["id"] for goal in results["goals"]] == [
        "1", "2", "2", "3", "3", "3", "3", "3", "4", "4", "5", "7", "7", "7"
    ]
    assert [goal["target"] for goal in results["goals"]][:8] == [
        "≤ 1.10, 7 tools listed", "≤ 0.90", "–", "≥ 0.60", "–", "–", "≤ 2.00", "≤ 1000 ms, 0 errors"
    ]  # fmt: skip
    assert "CCC_MCP_SDK_FAST_PATHS=off" in results["goals"][2]["goal"]
    assert "CCC_MCP_SDK_FAST_PATHS=off" in results["goals"][4]["goal"]
    assert "floor" in results["goals"][5]["goal"]
    assert [results["goals"][n]["met"] for n in (2, 4, 5)] == [None, None, None], "references, not goals"
    stdio_off = results["stdio_call"]["fast_paths_off"]
    assert {"ratio", "vs_on"} == stdio_off.keys()
    assert "ccc-mcp unmute_call, SDK fast paths off (stdio)" in results["stdio_call"]["series_ms"]
    assert {"cpu_idle_percent_at_start", "busy_processes_at_start"} <= results["meta"]["machine"].keys()


def _check_new_tables(results: dict[str, Any]) -> None:
    """Issue 13's per-tool stdio table and p99 ratio, issue 14's fleet section (skipped variants allowed)."""
    cold = results["cold_start"]
    assert cold["variants"]["ccc-mcp"]["tools_listed"] == 7
    assert cold["otel_endpoint"] == "unset"
    tools = results["stdio_call"]["tools"]
    assert {name: row["upstream_requests"] for name, row in tools.items()} == TOOL_ROWS
    for row in tools.values():
        assert {"ms", "reference_ms", "ratio"} <= row.keys()
        assert row["ratio"]["runs"] == 2
    assert results["http_throughput"]["goal"]["p99_ratio"]["max_ratio"] == 2.0
    assert "p99_ours_vs_bare" in results["http_throughput"]["ratios"]["32"]

    floor = results["simulator"]["floor"]
    assert (floor["agents"], floor["page_size"]) == (1000, 100)
    assert set(floor["per_request_ms"]) == set(floor["variants"]) == {
        "PollUserStatus", "ListRealtimeAgentStates, 100 rows", "ListRealtimeAgentStates, 100 rows, StateList [Talking]"}
    for per in floor["variants"].values():
        assert {"calls_per_s", "per_request_ms", "simulator_cpu_ms_per_call"} <= per["1"].keys()

    section = results["fleet"]
    assert section["concurrency"] == 32
    assert set(section["variants"]) == FLEET_VARIANTS
    reference = section["variants"][fleet.OFF]
    assert reference["status"] == "measured"
    assert reference["errors"] == 0
    for name, row in section["variants"].items():
        assert row["status"] in {"measured", "skipped"}, name
        if row["status"] == "skipped":
            assert row["reason"], name
        elif name != fleet.OFF:
            assert f"vs {fleet.OFF}" in row["ratios"], name
            assert {"calls_per_s", "p99_ms", "server_cpu_ms_per_call"} == row["ratios"][f"vs {fleet.OFF}"].keys()


def _check_list_calls(results: dict[str, Any]) -> None:
    """Issue 25's section: a quick run reads the floor of 50 only, and the requests it counted are exactly one
    list page and one poll per live call, every call found; the throttled run stayed within its bounds."""
    section = results["list_calls"]
    assert list(section["floors"]) == ["50"]
    floor = section["floors"]["50"]
    assert (floor["agents_on_calls"], floor["live_calls"]) == (FLOOR_50.talking + FLOOR_50.ringing + FLOOR_50.dialing,
                                                               FLOOR_50.live_calls)  # fmt: skip
    assert floor["requests"]["per_call"] == [1 + FLOOR_50.live_calls]
    assert floor["requests"]["exact"] is True
    assert floor["requests"]["jobs_polled_twice"] == 0
    for figure in ("wall_ms", "ideal_ms", "poll_ms", "page_ms", "ratio", "server_cpu_ms", "rss_mib"):
        assert floor[figure]["runs"] == 2, figure
    assert floor["answer_bytes"]["muted"] < floor["answer_bytes"]["default"]
    assert floor["muted_calls"] == FLOOR_50.muted, "each muted agent is on a call of their own"
    throttled = section["throttled"]
    assert throttled["goal"]["inside_deadline"] is True
    assert throttled["goal"]["within_bound"] is True
    assert throttled["found"]["median"] == FLOOR_50.live_calls, "nothing left unread at floor 50"
    assert throttled["polls_refused"]["median"] >= 1, "polls go at 50/s: the rule of 20/s refuses some"
    goals = [goal for goal in results["goals"] if goal["id"] == "7"]
    targets = ["≤ 1.30", f"exactly 1 + {FLOOR_50.live_calls}", "≤ 15 s; ≤ 3 per agent"]
    assert [goal["target"] for goal in goals] == targets
    assert goals[1]["met"] is True
    assert goals[2]["met"] is True


def _check_docs(text: str, stdout: str, results: dict[str, Any]) -> None:
    """The generated block replaced nothing hand-written and renders every new table."""
    assert "Hand-written notes that the generator must keep." in text
    assert report.BEGIN in text
    assert report.END in text
    assert "| 1 | cold start" in text
    assert "Machine:" in text
    assert "% idle and" in text
    assert "| hold_call (resolved) | user_id alone | PollUserStatus + HoldCall |" in text
    assert "### Fleet variants over HTTP" in text
    assert "### 5, at floor size: `ccc-mcp simulator --floor 1,000`" in text
    assert "### 7. list_calls over a floor" in text
    assert f"| 50 | {results['list_calls']['floors']['50']['agents_on_calls']} |" in text
    assert "| 7 | list_calls, floor 50: wall / ideal" in text
    for name, row in results["fleet"]["variants"].items():
        if row["status"] == "skipped":
            assert f"- **{name}** skipped: {row['reason']}." in text
    assert "| 1 | cold start" in stdout

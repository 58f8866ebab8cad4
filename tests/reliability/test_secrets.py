"""Secrets: a canary for every kind of secret the server holds — the AccessKey secret it signs with, the secret
and security token of an STS credential, the bearer token its HTTP clients present — and none of them may
appear in anything it answers or writes, for every tool: tool results, log records at DEBUG (with their
arguments, checked for every test by the suite's conftest), audit lines, and the log of a server process.

Each tool is called over HTTP, signing first with a long-term AccessKey and then with the STS credential: once
through a fault that makes the server retry (a second signature, a fresh nonce), once for an agent or instance
CCC does not know, once with an argument the tool does not take. The first call must succeed: the simulator
checks the signature and the security token, so the canaries really were in play.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from ccc_mcp.simulator import Simulator
from tests.e2e.conftest import free_port, server_environment
from tests.reliability.conftest import (
    ARGS,
    CANARY_STS_SECRET,
    CANARY_STS_TOKEN,
    CANARY_TOKEN,
    INSTANCE,
    SIGNINGS,
    STS_ACCESS_KEY_ID,
    WANG,
    Signing,
    assert_no_canary,
    held_agent,
    start_server,
)
from tests.reliability.load import HEADERS, ToolCall, call_body, cycle, run_load

TOOLS = ("list_agents", "list_calls", "get_agent_status", "unmute_call", "mute_call", "hold_call", "retrieve_call")
VALID: dict[str, dict[str, Any]] = {
    "list_agents": {"instance_id": INSTANCE, "states": ["TALKING"]},
    "list_calls": {"instance_id": INSTANCE},
    "get_agent_status": ARGS,
    "unmute_call": ARGS,
    "mute_call": ARGS,
    "hold_call": {"instance_id": INSTANCE, "user_id": WANG},
    "retrieve_call": {"instance_id": INSTANCE, "user_id": held_agent(1)},
}
RETRIED_ONCE = {"kind": "error", "status": 503, "code": "ServiceUnavailable", "times": 1}


def unknown_to_ccc(tool: str) -> dict[str, Any]:
    """Arguments CCC refuses: an instance it does not have (list_agents), an agent it does not know."""
    if tool in ("list_agents", "list_calls"):
        return {"instance_id": "ccc-nowhere"}
    return {**VALID[tool], "user_id": "nobody@ccc-demo"}


def calls_of(tool: str) -> list[ToolCall]:
    return [(tool, VALID[tool]), (tool, unknown_to_ccc(tool)), (tool, {**VALID[tool], "device_id": "ACC-1"})]


def outcome(answer: dict[str, Any]) -> str:
    structured = answer["structuredContent"]
    return "OK" if structured["ok"] else str(structured["error"]["code"])


@pytest.mark.parametrize("signing", SIGNINGS)
@pytest.mark.parametrize("tool", TOOLS)
async def test_no_secret_in_results_logs_or_audit(
    simulator: Simulator,
    http_stack: Callable[..., Any],
    tmp_path: Path,
    figures: dict[str, Any],
    tool: str,
    signing: Signing,
) -> None:
    audit = tmp_path / "audit.jsonl"
    calls = calls_of(tool)
    async with http_stack(signing=signing, audit_log=str(audit)) as url:
        simulator.faults.add(RETRIED_ONCE)
        load = await run_load(url, len(calls), 1, cycle(calls), token=CANARY_TOKEN)

    assert load.http_errors == [], load.http_errors
    [signed, refused, invalid] = [outcome(answer) for _, answer in load.answers]
    assert signed == "OK", f"signed with the {signing} canaries, retried once, and accepted"
    assert simulator.stats.outcomes["fault:error"] == 1, "the retry signed a second request"
    assert refused.startswith("NotExists."), refused
    assert invalid == "Parameter.Invalid"
    assert_no_canary(*(json.dumps(answer) for _, answer in load.answers))
    lines = audit.read_text().splitlines()
    assert len(lines) == len(calls), "every call is audited"
    assert_no_canary(*lines)
    checked = figures.setdefault("secrets", {}).setdefault("tools", {}).setdefault(tool, {})
    checked[signing] = {"calls": len(calls), "answers": [signed, refused, invalid], "audit_lines": len(lines)}


def process_environment(sim: Simulator, signing: Signing, audit: Path) -> dict[str, str]:
    """`ccc-mcp serve` configured with the canaries, logging at DEBUG."""
    extra = {
        "CCC_MCP_AUTH_TOKEN": CANARY_TOKEN,
        "CCC_MCP_RATE_LIMIT": "0",
        "CCC_MCP_AUDIT_LOG": str(audit),
        "CCC_MCP_LOG_LEVEL": "DEBUG",
    }
    if signing == "sts":
        extra |= {
            "ALIBABA_CLOUD_ACCESS_KEY_ID": STS_ACCESS_KEY_ID,
            "ALIBABA_CLOUD_ACCESS_KEY_SECRET": CANARY_STS_SECRET,
            "ALIBABA_CLOUD_SECURITY_TOKEN": CANARY_STS_TOKEN,
        }
    return server_environment(sim, **extra)  # the long-term key: the scenario's, whose secret is the canary


async def refused_without_the_token(url: str) -> int:
    """A call with a wrong bearer token: refused, and the refusal must not give the right one away."""
    headers = {**HEADERS, "authorization": "Bearer not-the-token"}
    async with (
        aiohttp.ClientSession(headers=headers) as session,
        session.post(url, data=call_body(1, "get_agent_status", ARGS)) as response,
    ):
        assert_no_canary(await response.text(), str(response.headers))
        return response.status


@pytest.mark.parametrize("signing", SIGNINGS)
async def test_no_secret_in_a_server_process_log(
    simulator: Simulator, tmp_path: Path, figures: dict[str, Any], signing: Signing
) -> None:
    """A real `ccc-mcp serve --transport http` process at DEBUG: every tool, each way, then its whole log."""
    port = free_port()
    log_path, audit = tmp_path / "server.log", tmp_path / "audit.jsonl"
    url = f"http://127.0.0.1:{port}/mcp"
    calls = [call for tool in TOOLS for call in calls_of(tool)]
    with log_path.open("wb") as log:
        process = start_server(port, process_environment(simulator, signing, audit), log)
        try:
            simulator.faults.add(RETRIED_ONCE)
            load = await run_load(url, len(calls), 1, cycle(calls), token=CANARY_TOKEN)
            refusal = await refused_without_the_token(url)
        finally:
            process.terminate()
            process.wait(timeout=15)

    assert load.http_errors == [], load.http_errors
    assert refusal == 401
    answers = {(tool, n % 3): outcome(answer) for n, (tool, answer) in enumerate(load.answers)}
    assert all(answers[tool, 0] == "OK" for tool in TOOLS), answers
    text, lines = log_path.read_text(errors="replace"), audit.read_text().splitlines()
    assert all(f"tool={tool} " in text for tool in TOOLS), "the log has a line for every tool"
    assert " DEBUG " in text, "the server logged at DEBUG"
    assert len(lines) == len(calls)
    assert_no_canary(text, *lines)
    figures.setdefault("secrets", {}).setdefault("process", {})[signing] = {
        "calls": len(calls),
        "log_lines": len(text.splitlines()),
        "log_characters": len(text),
        "audit_lines": len(lines),
    }

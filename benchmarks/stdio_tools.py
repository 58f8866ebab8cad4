"""(2) Every tool's call over stdio, each against its own official-SDK reference (issue 13).

A *cycle* is a short sequence of calls repeated `stdio_calls` times; each step is timed apart and its mean
is one series. Cycles keep the simulator's state valid run after run: hold then retrieve on the same
channel (each succeeds: RetrieveCall of a channel not held is refused), mute then an untimed unmute. All
state-changing cycles act on Wang (`wang@ccc-demo`, TALKING on job-demo-3, docs/simulator.md), and every
cycle leaves him as it found him, so the other sections see the default scenario.

A tool's reference is the bare no-op stdio call plus one official-SDK call of each CCC action the tool
sends: a resolved hold (`user_id` alone) sends PollUserStatus then HoldCall, so its reference has two SDK
calls. `unmute_call` (goal 2) is measured by `stdio_calls` itself, on the demo key's agent.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from benchmarks.common import (
    DEMO_INSTANCE,
    DEMO_USER,
    SIM_ACCESS_KEY_ID,
    SIM_ACCESS_KEY_SECRET,
    WANG,
    WANG_CUSTOMER_CHANNEL,
    WANG_JOB,
)
from benchmarks.stdio_client import StdioServer

DEVICE_ID = "ccc-mcp-server"  # what ccc-mcp sends when a call omits device_id; the SDK sends the same
LIST_PAGE_SIZE = 20  # list_agents' default page size: the SDK reference asks for the same page

# One cycle run `calls` times -> mean seconds per call of each timed step, by series name.
CycleBatch = Callable[[int], Awaitable[dict[str, float]]]


@dataclass(frozen=True)
class ToolStep:
    """One tools/call of a cycle; `series` None: untimed (it only restores the state)."""

    series: str | None
    tool: str
    arguments: dict[str, Any]
    resolved: bool = False  # the result must say the server looked the call up (two upstream requests)


@dataclass(frozen=True)
class SdkStep:
    """One official-SDK call of a cycle: CCC action, request fields; `timed` False restores the state."""

    action: str
    fields: dict[str, Any]
    timed: bool = True


@dataclass(frozen=True)
class ToolRow:
    """A row of the per-tool table: the ccc-mcp series, and the CCC actions its reference adds up."""

    series: str
    tool: str
    mode: str
    actions: tuple[str, ...]


_WANG = {"instance_id": DEMO_INSTANCE, "user_id": WANG}
_WANG_CALL = {**_WANG, "job_id": WANG_JOB}
_WANG_CHANNEL = {**_WANG_CALL, "channel_id": WANG_CUSTOMER_CHANNEL}
_SDK_WANG = {"instance_id": DEMO_INSTANCE, "user_id": WANG, "device_id": DEVICE_ID}
_SDK_WANG_CHANNEL = {**_SDK_WANG, "job_id": WANG_JOB, "channel_id": WANG_CUSTOMER_CHANNEL}

UNMUTE = "unmute_call"
ROWS: tuple[ToolRow, ...] = (
    ToolRow("list_agents", "list_agents", "first page, no filter", ("ListRealtimeAgentStates",)),
    ToolRow("get_agent_status", "get_agent_status", "user_id", ("PollUserStatus",)),
    ToolRow(UNMUTE, "unmute_call", "user_id (goal 2)", ("UnmuteCall",)),
    ToolRow("mute_call", "mute_call", "user_id + job_id", ("MuteCall",)),
    ToolRow("hold_call (ids given)", "hold_call", "job_id + channel_id", ("HoldCall",)),
    ToolRow("retrieve_call (ids given)", "retrieve_call", "job_id + channel_id", ("RetrieveCall",)),
    ToolRow("hold_call (resolved)", "hold_call", "user_id alone", ("PollUserStatus", "HoldCall")),
    ToolRow("retrieve_call (resolved)", "retrieve_call", "user_id alone", ("PollUserStatus", "RetrieveCall")),
)

TOOL_CYCLES: dict[str, list[ToolStep]] = {
    "list_agents": [ToolStep("list_agents", "list_agents", {"instance_id": DEMO_INSTANCE})],
    "get_agent_status": [ToolStep("get_agent_status", "get_agent_status", _WANG)],
    "mute_call": [ToolStep("mute_call", "mute_call", _WANG_CALL), ToolStep(None, "unmute_call", _WANG)],
    "hold/retrieve, ids given": [
        ToolStep("hold_call (ids given)", "hold_call", _WANG_CHANNEL),
        ToolStep("retrieve_call (ids given)", "retrieve_call", _WANG_CHANNEL),
    ],
    "hold/retrieve, resolved": [
        ToolStep("hold_call (resolved)", "hold_call", _WANG, resolved=True),
        ToolStep("retrieve_call (resolved)", "retrieve_call", _WANG, resolved=True),
    ],
}

SDK_CYCLES: dict[str, list[SdkStep]] = {
    "ListRealtimeAgentStates": [
        SdkStep(
            "ListRealtimeAgentStates",
            {"instance_id": DEMO_INSTANCE, "page_number": 1, "page_size": LIST_PAGE_SIZE},
        )
    ],
    "PollUserStatus": [SdkStep("PollUserStatus", _SDK_WANG)],
    "UnmuteCall": [SdkStep("UnmuteCall", {"instance_id": DEMO_INSTANCE, "user_id": DEMO_USER, "device_id": DEVICE_ID})],
    "MuteCall": [SdkStep("MuteCall", {**_SDK_WANG, "job_id": WANG_JOB}), SdkStep("UnmuteCall", _SDK_WANG, timed=False)],
    "HoldCall/RetrieveCall": [SdkStep("HoldCall", _SDK_WANG_CHANNEL), SdkStep("RetrieveCall", _SDK_WANG_CHANNEL)],
}


def _snake(action: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", action).lower()


def sdk_series(action: str) -> str:
    """The series name of an official-SDK action, e.g. `official SDK sync unmute_call_with_options`."""
    return f"official SDK sync {_snake(action)}_with_options"


def check_tool_result(series: str, result: dict[str, Any], *, resolved: bool = False) -> None:
    """An error result fails the run: a figure of failed calls would measure the wrong path."""
    content = result.get("structuredContent") or {}
    if result.get("isError") or not content.get("ok", True):
        raise RuntimeError(f"{series}: the call failed: {result}")
    if resolved and not content.get("resolved"):
        raise RuntimeError(f"{series}: the server did not look the call up (no `resolved`): {result}")


def tool_cycle(server: StdioServer, steps: list[ToolStep]) -> CycleBatch:
    async def batch(calls: int) -> dict[str, float]:
        spent = {step.series: 0.0 for step in steps if step.series is not None}
        for _ in range(calls):
            for step in steps:
                started = time.perf_counter()
                result = await server.call_tool(step.tool, step.arguments)
                if step.series is not None:
                    spent[step.series] += time.perf_counter() - started
                check_tool_result(step.series or step.tool, result, resolved=step.resolved)
        return {series: seconds / calls for series, seconds in spent.items()}

    return batch


def sdk_client(endpoint: str) -> Any:
    """The official SDK's client on the simulator, as its users configure it."""
    from alibabacloud_ccc20200701.client import Client
    from alibabacloud_tea_openapi import models as open_api_models

    config = open_api_models.Config(
        access_key_id=SIM_ACCESS_KEY_ID,
        access_key_secret=SIM_ACCESS_KEY_SECRET,
        endpoint=endpoint.removeprefix("http://"),
        protocol="http",
        region_id="cn-shanghai",
    )
    return Client(config)


def _sdk_call(client: Any, step: SdkStep) -> Callable[[], None]:
    """The step as one synchronous `<action>_with_options` call that raises unless CCC answered OK."""
    from alibabacloud_ccc20200701 import models
    from alibabacloud_tea_util import models as util_models

    request = getattr(models, f"{step.action}Request")(**step.fields)
    method = getattr(client, f"{_snake(step.action)}_with_options")
    runtime = util_models.RuntimeOptions()

    def call() -> None:
        response = method(request, runtime)
        if response.status_code != 200 or response.body.code != "OK":
            raise RuntimeError(f"{sdk_series(step.action)}: {response.status_code} {response.body.code}")

    return call


def sdk_cycle(client: Any, steps: list[SdkStep]) -> CycleBatch:
    """The official SDK, synchronous as its users call it; run in a worker thread so this loop stays free."""
    calls_of = [(sdk_series(step.action) if step.timed else None, _sdk_call(client, step)) for step in steps]

    def run(calls: int) -> dict[str, float]:
        spent = {series: 0.0 for series, _ in calls_of if series is not None}
        for _ in range(calls):
            for series, call in calls_of:
                started = time.perf_counter()
                call()
                if series is not None:
                    spent[series] += time.perf_counter() - started
        return {series: seconds / calls for series, seconds in spent.items()}

    async def batch(calls: int) -> dict[str, float]:
        return await asyncio.to_thread(run, calls)

    return batch

"""The reliability suite: a real server stack against the simulator over loopback, a canary secret and a
canary client token everywhere, and a collector for the figures `docs/reliability.md` is written from.

The stack is the product's own: `build_server`/`build_http_app` with the real HTTP client (httpx on
aiohttp) talking to the simulator on a loopback port; nothing is patched. Every test's log output is
checked for the canaries when it ends.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from ccc_mcp.api.credentials import StaticCredentials
from ccc_mcp.api.signing import SigningKey
from ccc_mcp.app import build_server
from ccc_mcp.asgi import bind_socket, serving
from ccc_mcp.config import load_settings
from ccc_mcp.http.app import build_http_app
from ccc_mcp.simulator import Simulator, default_scenario, running_simulator

CANARY_SECRET = "canary-SECRET-reliability-8c41e"
CANARY_TOKEN = "canary-TOKEN-reliability-d93f0"
CANARIES = (CANARY_SECRET, CANARY_TOKEN)
REPORT_PATH = Path(os.environ.get("CCC_RELIABILITY_REPORT", ".reliability/last-run.json"))
ARGS = {"instance_id": "ccc-demo", "user_id": "agent@ccc-demo"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/reliability" in str(item.path):
            item.add_marker(pytest.mark.reliability)


def assert_no_canary(*texts: str) -> None:
    """Neither canary appears in any of `texts` (counted, for the report)."""
    for text in texts:
        _CANARY_CHECKS["texts"] += 1
        _CANARY_CHECKS["characters"] += len(text)
        for canary in CANARIES:
            assert canary not in text, "a canary secret leaked"


@pytest.fixture(autouse=True)
def _no_canary_in_logs(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Every log record of every reliability test, at DEBUG, is free of the canaries."""
    caplog.set_level("DEBUG")
    yield
    assert_no_canary(caplog.text, *(str(record.args) for record in caplog.records))


def canary_scenario() -> Any:
    """The default scenario, with the demo AccessKey's secret replaced by the canary."""
    scenario = default_scenario()
    first, *rest = scenario.credentials
    return scenario.model_copy(
        update={"credentials": [first.model_copy(update={"access_key_secret": CANARY_SECRET}), *rest]}
    )


@pytest.fixture
async def simulator() -> AsyncIterator[Simulator]:
    async with running_simulator(host="127.0.0.1", port=0, scenario=canary_scenario(), seed=7) as sim:
        yield sim


def canary_credentials(sim: Simulator) -> StaticCredentials:
    return StaticCredentials(SigningKey(sim.access_key_id, CANARY_SECRET))


FAST = {"deadline": 2.0, "read_timeout": 1.0, "connect_timeout": 1.0, "max_attempts": 3, "audit_log": "off"}


@pytest.fixture
def mcp_client(simulator: Simulator) -> Callable[..., Any]:
    """`async with mcp_client(mode, **settings)`: in-memory MCP client → real server → simulator."""

    @asynccontextmanager
    async def connect(mode: str = "auto", **overrides: Any) -> AsyncIterator[Client]:
        settings = load_settings(**{"endpoint": simulator.endpoint, **FAST, **overrides})
        server = build_server(settings, credentials=canary_credentials(simulator))
        async with Client(server, mode=mode) as client:
            yield client

    return connect


@pytest.fixture
def http_stack(simulator: Simulator) -> Callable[..., Any]:
    """`async with http_stack(**settings) as url`: the HTTP app on a loopback port → simulator."""

    @asynccontextmanager
    async def start(**overrides: Any) -> AsyncIterator[str]:
        values = {"endpoint": simulator.endpoint, **FAST, "rate_limit": 0, "auth_token": CANARY_TOKEN, **overrides}
        app = build_http_app(load_settings(**values), canary_credentials(simulator))
        async with serving(app, bind_socket("127.0.0.1", 0), lifespan="on", name="reliability") as (host, port):
            yield f"http://{host}:{port}/mcp"

    return start


# --- figures for docs/reliability.md -------------------------------------------------------------------

_FIGURES: dict[str, Any] = {}
_OUTCOMES: dict[str, str] = {}
_CANARY_CHECKS: Counter[str] = Counter()
_STARTED = time.time()


@pytest.fixture(scope="session")
def figures() -> dict[str, Any]:
    """Tests put what they tried and measured here; the session writes it out for the report script."""
    return _FIGURES


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Each reliability test's outcome, so the report says what held and what did not."""
    if "tests/reliability" not in report.nodeid:
        return
    if report.when == "call" or report.outcome != "passed":
        _OUTCOMES[report.nodeid.split("tests/reliability/", 1)[1]] = report.outcome


def pytest_sessionfinish(session: pytest.Session) -> None:
    if not _OUTCOMES:
        return
    REPORT_PATH.parent.mkdir(parents=True, exist_ok=True)
    report = {
        "run": _run_facts(),
        "outcomes": _OUTCOMES,
        "secrets": {"canaries": len(CANARIES), **_CANARY_CHECKS},
        **_FIGURES,
    }
    REPORT_PATH.write_text(json.dumps(report, indent=2, sort_keys=True, ensure_ascii=False) + "\n")


def _run_facts() -> dict[str, Any]:
    """When, where and on which commit the suite ran."""
    try:
        commit = subprocess.run(
            ["git", "describe", "--always", "--dirty"], capture_output=True, text=True, timeout=5, check=True
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        commit = "unknown"
    return {
        "finished": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "seconds": round(time.time() - _STARTED, 1),
        "commit": commit,
        "python": platform.python_version(),
        "machine": f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs",
    }

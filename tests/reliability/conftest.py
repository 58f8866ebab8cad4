"""The reliability suite: a real server stack against the simulator over loopback, canaries for every kind of
secret everywhere, and a collector for the figures `docs/reliability.md` is written from.

The stack is the product's own: `build_server`/`build_http_app` with the real HTTP client (httpx on
aiohttp) talking to the simulator on a loopback port; nothing is patched. Every test's log output is
checked for the canaries when it ends.

The secrets are canaries, one per kind of secret the server ever holds:
- the AccessKey secret it signs with (a long-term AccessKey),
- the AccessKey secret and the security token of an STS credential (`signing="sts"`),
- the bearer token HTTP clients present.
The suite's scenario is the simulator's default one with those credentials, plus calls whose customer is on
hold (what `retrieve_call` needs).
"""

from __future__ import annotations

import json
import logging
import os
import platform
import subprocess
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, Literal

import pytest
from mcp import Client
from starlette.types import ASGIApp, Receive, Scope, Send

from ccc_mcp.api.credentials import StaticCredentials
from ccc_mcp.api.signing import SigningKey
from ccc_mcp.config.settings import load_settings
from ccc_mcp.mcpserver.assembly import build_server
from ccc_mcp.net.asgi import bind_socket, hosted
from ccc_mcp.simulator import Scenario, Simulator, default_scenario
from ccc_mcp.simulator.scenario import AgentSpec, CallSpec, ChannelSpec, CredentialSpec
from ccc_mcp.transports.streamable_http import build_http_app
from tests.e2e.conftest import wait_until_healthy

CANARY_SECRET = "canary-SECRET-reliability-8c41e"
CANARY_STS_SECRET = "canary-STS-SECRET-reliability-27b6a"
CANARY_STS_TOKEN = "canary-STS-TOKEN-reliability-4e1c7"
CANARY_TOKEN = "canary-TOKEN-reliability-d93f0"
CANARIES = {
    "AccessKey secret": CANARY_SECRET,
    "STS AccessKey secret": CANARY_STS_SECRET,
    "STS security token": CANARY_STS_TOKEN,
    "client bearer token": CANARY_TOKEN,
}
STS_ACCESS_KEY_ID = "reliability-sts-access-key-id"

Signing = Literal["access-key", "sts"]
SIGNINGS: tuple[Signing, ...] = ("access-key", "sts")

INSTANCE = "ccc-demo"
AGENT = "agent@ccc-demo"  # TALKING on job-demo-1, their own channel MUTED
WANG = "wang@ccc-demo"  # TALKING on job-demo-3 with one customer, nobody muted or held
ARGS = {"instance_id": INSTANCE, "user_id": AGENT}


def held_agent(n: int) -> str:
    """The n-th agent (from 1) whose customer is on hold: retrieve_call's target."""
    return f"held-{n}@ccc-demo"


def held_job(n: int) -> str:
    return f"job-held-{n}"


def held_customer_channel(n: int) -> str:
    return f"ch:customer:1370000{n:04d}->02100000000:1700000900000:{held_job(n)}"


def suite_setting(name: str, default: str) -> str:
    """A knob of this suite (CCC_BAD_INPUT_EXAMPLES, CCC_SOAK_CALLS, CCC_RELIABILITY_REPORT); tests/conftest.py
    keeps these while it clears every server setting from the environment."""
    return os.environ.get(name, default)


REPORT_PATH = Path(suite_setting("CCC_RELIABILITY_REPORT", ".reliability/last-run.json"))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/reliability" in str(item.path):
            item.add_marker(pytest.mark.reliability)


def assert_no_canary(*texts: str) -> None:
    """No canary appears in any of `texts` (counted, for the report)."""
    for text in texts:
        _CANARY_CHECKS["texts"] += 1
        _CANARY_CHECKS["characters"] += len(text)
        for kind, canary in CANARIES.items():
            assert canary not in text, f"the {kind} leaked"


def _rendered(record: logging.LogRecord) -> str:
    """A log record as a handler would write it (traceback included), and its raw arguments."""
    try:
        text = _FORMAT.format(record)
    except Exception:  # a record whose message and arguments do not fit: check both raw
        text = f"{record.msg} {record.exc_text or ''}"
    return f"{text} {record.args!r}"


_FORMAT = logging.Formatter("%(levelname)s %(name)s: %(message)s")


@pytest.fixture(autouse=True)
def _no_canary_in_logs(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Every log record of every reliability test, at DEBUG, is free of the canaries.

    Checked when the test ends, over the records of its setup and its body: at that point `caplog.records`
    holds only the teardown's own records, so the phases are named.
    """
    caplog.set_level("DEBUG")
    yield
    records = [*caplog.get_records("setup"), *caplog.get_records("call"), *caplog.records]
    assert_no_canary(*(_rendered(record) for record in records))


# --- the simulator -------------------------------------------------------------------------------------


def _held_call(n: int) -> tuple[AgentSpec, CallSpec]:
    """An agent on a call whose customer they have put on hold."""
    extension = f"9{n:03d}"
    customer = f"1370000{n:04d}"
    agent, job = held_agent(n), held_job(n)
    channels = [
        ChannelSpec(channel_id=held_customer_channel(n), state="ANSWERED", flags=["HOLD"], originator=customer,
                    destination="02100000000"),
        ChannelSpec(channel_id=f"ch:user:{customer}->{extension}:1700000900000:{job}", state="ANSWERED",
                    user_id=agent, user_extension=extension, originator=customer, destination=extension),
    ]  # fmt: skip
    return (
        AgentSpec(user_id=agent, state="TALKING", job_id=job, extension=extension),
        CallSpec(job_id=job, channels=channels),
    )


def canary_scenario(held_calls: int = 1) -> Scenario:
    """The default scenario with canary secrets: the demo AccessKey's secret is a canary, and an STS
    credential whose secret and security token are canaries is added. Plus `held_calls` agents, each on a
    call whose customer is on hold (`held-1@ccc-demo` on `job-held-1`, ...)."""
    scenario = default_scenario()
    first, *rest = scenario.credentials
    sts = CredentialSpec(
        access_key_id=STS_ACCESS_KEY_ID,
        access_key_secret=CANARY_STS_SECRET,
        security_token=CANARY_STS_TOKEN,
        user_id=AGENT,
    )
    [demo] = scenario.instances
    held = [_held_call(n) for n in range(1, held_calls + 1)]
    instance = demo.model_copy(
        update={"agents": [*demo.agents, *(a for a, _ in held)], "calls": [*demo.calls, *(c for _, c in held)]}
    )
    return scenario.model_copy(
        update={
            "credentials": [first.model_copy(update={"access_key_secret": CANARY_SECRET}), *rest, sts],
            "instances": [instance],
        }
    )


def customer_channel(job_id: str) -> str:
    """The customer's channel of a call of the suite's scenario."""
    [instance] = canary_scenario().instances
    [call] = [call for call in instance.calls if call.job_id == job_id]
    return next(channel.channel_id for channel in call.channels if channel.user_id is None)


class WireTap:
    """ASGI middleware in front of a simulator: counts the requests that reach it, per CCC action
    (`x-acs-action`), so a test can bound the attempts at each request of a tool that makes two."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.actions: Counter[str] = Counter()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            headers = dict(scope["headers"])
            self.actions[headers.get(b"x-acs-action", b"-").decode("latin-1")] += 1
        await self.app(scope, receive, send)


@asynccontextmanager
async def running_upstream(scenario: Scenario | None = None, seed: int = 7) -> AsyncIterator[tuple[Simulator, WireTap]]:
    """A simulator of `scenario` (default: the canary scenario) on a loopback port, behind a `WireTap`."""
    sim = Simulator(scenario or canary_scenario(), seed=seed)
    tap = WireTap(sim.app)
    async with hosted(tap, bind_socket("127.0.0.1", 0), name="ccc-simulator") as (host, port):
        sim.host, sim.port = host, port
        yield sim, tap


@pytest.fixture
async def upstream() -> AsyncIterator[tuple[Simulator, WireTap]]:
    async with running_upstream() as pair:
        yield pair


@pytest.fixture
def simulator(upstream: tuple[Simulator, WireTap]) -> Simulator:
    return upstream[0]


@pytest.fixture
def tap(upstream: tuple[Simulator, WireTap]) -> WireTap:
    return upstream[1]


# --- the server under test ---------------------------------------------------------------------------------


def canary_credentials(sim: Simulator, signing: Signing = "access-key") -> StaticCredentials:
    """What the server signs with: the demo AccessKey (canary secret), or the STS credential (canary secret
    and canary security token)."""
    if signing == "sts":
        return StaticCredentials(SigningKey(STS_ACCESS_KEY_ID, CANARY_STS_SECRET, CANARY_STS_TOKEN))
    return StaticCredentials(SigningKey(sim.access_key_id, CANARY_SECRET))


DEADLINE = 2.0  # seconds
MAX_ATTEMPTS = 3
FAST: dict[str, Any] = {
    "deadline": DEADLINE,
    "read_timeout": 1.0,
    "connect_timeout": 1.0,
    "max_attempts": MAX_ATTEMPTS,
    "audit_log": "off",
}


@asynccontextmanager
async def mcp_session(
    sim: Simulator, mode: str = "auto", signing: Signing = "access-key", **overrides: Any
) -> AsyncIterator[Client]:
    """An in-memory MCP client → a real server → `sim`."""
    settings = load_settings(**{"endpoint": sim.endpoint, **FAST, **overrides})
    server = build_server(settings, credentials=canary_credentials(sim, signing))
    async with Client(server, mode=mode) as client:
        yield client


@asynccontextmanager
async def http_server(sim: Simulator, signing: Signing = "access-key", **overrides: Any) -> AsyncIterator[str]:
    """The HTTP app on a loopback port → `sim`; yields the MCP URL. Clients must present CANARY_TOKEN."""
    values = {"endpoint": sim.endpoint, **FAST, "rate_limit": 0, "auth_token": CANARY_TOKEN, **overrides}
    app = build_http_app(load_settings(**values), canary_credentials(sim, signing))
    async with hosted(app, bind_socket("127.0.0.1", 0), lifespan="on", name="reliability") as (host, port):
        yield f"http://{host}:{port}/mcp"


@pytest.fixture
def mcp_client(simulator: Simulator) -> Callable[..., Any]:
    """`async with mcp_client(mode, **settings)`: in-memory MCP client → real server → simulator."""

    def connect(mode: str = "auto", signing: Signing = "access-key", **overrides: Any) -> Any:
        return mcp_session(simulator, mode, signing, **overrides)

    return connect


@pytest.fixture
def http_stack(simulator: Simulator) -> Callable[..., Any]:
    """`async with http_stack(**settings) as url`: the HTTP app on a loopback port → simulator."""

    def start(signing: Signing = "access-key", **overrides: Any) -> Any:
        return http_server(simulator, signing, **overrides)

    return start


def start_server(port: int, env: dict[str, str], log: IO[bytes]) -> subprocess.Popen[bytes]:
    """`ccc-mcp serve --transport http` as its own process, stderr (its log) to `log`, healthy when returned."""
    process = subprocess.Popen(
        [sys.executable, "-m", "ccc_mcp", "serve", "--transport", "http", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    wait_until_healthy(f"http://127.0.0.1:{port}", process)
    return process


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
        "secrets": {"canaries": list(CANARIES), **_CANARY_CHECKS, **_FIGURES.pop("secrets", {})},
        **_FIGURES,
    }
    REPORT_PATH.write_text(json.dumps(report, indent=2, sort_keys=True, ensure_ascii=False) + "\n")


def _report_script() -> Any:
    """scripts/reliability_report.py as a module: it owns the digest of the code the figures describe."""
    import importlib.util

    path = Path(__file__).resolve().parents[2] / "scripts" / "reliability_report.py"
    spec = importlib.util.spec_from_file_location("reliability_report", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


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
        "source_digest": _report_script().source_digest(),
        "python": platform.python_version(),
        "machine": f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs",
    }

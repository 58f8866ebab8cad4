"""Starting and stopping: in the current loop, in a thread, and as the `ccc-mcp simulator` service."""

from __future__ import annotations

import argparse
import asyncio
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterable
from pathlib import Path

import httpx
import pytest

from ccc_mcp.commands.simulator import add_simulator_arguments, banner, configured_scenario, run_simulator
from ccc_mcp.config.simulator_settings import SimulatorSettings
from ccc_mcp.simulator import (
    FixedClock,
    ScenarioError,
    Simulator,
    default_scenario,
    expected_census,
    floor_mix,
    running_simulator,
    simulator_in_thread,
    with_floor,
)
from ccc_mcp.simulator.floor import FloorSpec

from .helpers import Remote, call

SERVER_DIR = str(Path(__file__).resolve().parents[2] / "server")


def child_env() -> dict[str, str]:
    env = {**os.environ, "ALIBABA_CLOUD_ECS_METADATA_DISABLED": "true"}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (SERVER_DIR, env.get("PYTHONPATH")) if p)
    return env


async def test_running_simulator_listens_on_a_free_loopback_port(client: httpx.AsyncClient) -> None:
    async with running_simulator(port=0) as sim:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", sim.endpoint)
        assert sim.port > 0
        assert (sim.access_key_id, sim.access_key_secret) == ("sim-access-key-id", "sim-access-key-secret")
        assert (await call(client, sim)).status_code == 200
    with pytest.raises(httpx.ConnectError):  # stopped means stopped
        await client.post(sim.endpoint)


async def test_a_bad_scenario_file_fails_before_listening(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    path.write_text('{"credentials": []}')
    with pytest.raises(ScenarioError, match="credentials"):
        async with running_simulator(scenario=path):
            pass


def test_thread_variant_and_a_taken_port() -> None:
    with simulator_in_thread() as sim:
        unsigned = httpx.post(sim.endpoint, headers={"x-acs-action": "UnmuteCall", "x-acs-version": "2020-07-01"})
        assert (unsigned.status_code, unsigned.json()["Code"]) == (400, "IncompleteSignature")
        with pytest.raises(OSError, match="in use"), simulator_in_thread(port=sim.port):
            pass


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="ccc-mcp simulator")
    add_simulator_arguments(p)
    return p


def test_every_option_names_its_environment_variable() -> None:
    text = " ".join(parser().format_help().split())
    for env in ("CCC_SIM_HOST", "CCC_SIM_PORT", "CCC_SIM_SCENARIO", "CCC_SIM_FAULTS", "CCC_SIM_ADMIN",
                "CCC_SIM_ALLOW_REMOTE", "CCC_SIM_LOG_LEVEL", "CCC_SIM_SEED", "CCC_SIM_FIXED_CLOCK", "CCC_SIM_FLOOR",
                "CCC_SIM_FLOOR_SEED"):
        assert env in text


def test_defaults_and_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    args = parser().parse_args([])
    assert (args.host, args.port, args.admin, args.scenario) == ("127.0.0.1", 9000, False, None)
    monkeypatch.setenv("CCC_SIM_PORT", "9100")
    monkeypatch.setenv("CCC_SIM_ADMIN", "1")
    args = parser().parse_args([])
    assert (args.port, args.admin) == (9100, True)
    assert parser().parse_args(["--port", "9200"]).port == 9200  # flags override the environment


def test_the_fixed_clock_option_and_its_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert parser().parse_args([]).fixed_clock is None
    assert parser().parse_args(["--fixed-clock", "1700000600000"]).fixed_clock == 1_700_000_600_000
    monkeypatch.setenv("CCC_SIM_FIXED_CLOCK", "1700000000000")
    assert parser().parse_args([]).fixed_clock == 1_700_000_000_000


def test_the_floor_options_and_their_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert (parser().parse_args([]).floor, parser().parse_args([]).floor_seed) == (None, 0)
    assert parser().parse_args(["--floor", "200", "--floor-seed", "7"]).floor == 200
    monkeypatch.setenv("CCC_SIM_FLOOR", "50")
    monkeypatch.setenv("CCC_SIM_FLOOR_SEED", "3")
    args = parser().parse_args([])
    assert (args.floor, args.floor_seed) == (50, 3)
    scenario = configured_scenario(SimulatorSettings())
    assert [(i.instance_id, i.floor) for i in scenario.instances][1] == ("ccc-floor", FloorSpec(agents=50, seed=3))
    assert scenario.instances[0] == default_scenario().instances[0]


@pytest.mark.parametrize(("argv", "message"), [
    (["--floor", "0"], "invalid setting floor: Input should be greater than or equal to 1"),
    (["--floor", "10001"], "invalid setting floor: Input should be less than or equal to 10000"),
])  # fmt: skip
def test_a_bad_floor_is_one_readable_line(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_simulator(parser().parse_args([*argv, "--port", "0"])) == 2
    assert capsys.readouterr().err == f"ccc-mcp simulator: {message}\n"


def test_a_floor_whose_instance_the_scenario_has_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "s.json"
    path.write_text('{"credentials": [{"access_key_id": "a", "access_key_secret": "b"}], '
                    '"instances": [{"instance_id": "ccc-floor"}]}')  # fmt: skip
    assert run_simulator(parser().parse_args(["--scenario", str(path), "--floor", "5", "--port", "0"])) == 2
    assert "instance_id 'ccc-floor' appears more than once" in capsys.readouterr().err


def test_the_banner_names_the_floor() -> None:
    text = banner(Simulator(with_floor(default_scenario(), 200, seed=4)))
    assert "Instances        ccc-demo, ccc-floor" in text
    assert "Floor            ccc-floor: 200 agents, seed 4" in text
    assert "Floor" not in banner(Simulator())


def test_the_banner_says_when_the_clock_is_fixed() -> None:
    assert "Clock            fixed at 1700000600000" in banner(Simulator(clock=FixedClock(1_700_000_600_000)))
    assert "Clock" not in banner(Simulator())


def test_a_non_loopback_host_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_simulator(parser().parse_args(["--host", "0.0.0.0"])) == 2
    assert "--allow-remote" in capsys.readouterr().err


def test_a_bad_scenario_is_one_readable_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "s.json"
    path.write_text('{"credentials": [{"access_key_id": "a"}]}')
    assert run_simulator(parser().parse_args(["--scenario", str(path), "--port", "0"])) == 2
    err = capsys.readouterr().err
    assert "credentials[0].access_key_secret: Field required" in err
    assert "Traceback" not in err


class StderrReader:
    """Collects a child's stderr lines in a thread, so the test can wait for a pattern with a timeout."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.lines: queue.Queue[str] = queue.Queue()
        assert proc.stderr is not None
        stream = proc.stderr
        threading.Thread(target=self._pump, args=(stream,), daemon=True).start()

    def _pump(self, stream: Iterable[str]) -> None:
        for line in stream:
            self.lines.put(line)

    def until(self, pattern: str, timeout: float = 15) -> str:
        seen = ""
        deadline = time.monotonic() + timeout
        while not re.search(pattern, seen):
            try:
                seen += self.lines.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"{pattern!r} not seen in stderr:\n{seen}") from None
        return seen


def test_the_service_prints_a_banner_logs_requests_and_stops_on_sigterm() -> None:
    script = (
        "import argparse, sys\n"
        "from ccc_mcp.commands.simulator import add_simulator_arguments, run_simulator\n"
        "p = argparse.ArgumentParser(); add_simulator_arguments(p)\n"
        "sys.exit(run_simulator(p.parse_args(sys.argv[1:])))\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", script, "--port", "0", "--log-level", "info", "--fixed-clock", "1700000602000"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=child_env(),
    )
    try:
        stderr = StderrReader(proc)
        banner = stderr.until(r"Press Ctrl\+C")
        assert "sim-access-key-id" in banner
        assert "sim-access-key-secret" in banner
        found = re.search(r"listening on (http://127\.0\.0\.1:\d+)", banner)
        assert found is not None
        remote = Remote(found.group(1))

        async def one_call() -> int:
            async with httpx.AsyncClient() as http:
                query = {"InstanceId": "ccc-demo", "UserId": "idle@ccc-demo", "SecurityToken": "never-logged"}
                return (await call(http, remote, "UnmuteCall", query)).status_code

        assert asyncio.run(one_call()) == 400

        async def poll_heartbeat() -> int:
            async with httpx.AsyncClient() as http:
                response = await call(http, remote, "PollUserStatus", {"InstanceId": "ccc-demo", "UserId": "wang@ccc-demo"})
                return int(response.json()["Data"]["UserContext"]["Heartbeat"])

        assert asyncio.run(poll_heartbeat()) == 1_700_000_600_000  # --fixed-clock reached the state
        line = stderr.until(r"UnmuteCall .* -> InvalidOperation\.UserState 400")
        assert "InstanceId=ccc-demo UserId=idle@ccc-demo" in line
        assert "never-logged" not in line
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0
        assert proc.stdout is not None
        assert proc.stdout.read() == ""  # stdout stays clean
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_the_service_with_a_floor_shows_it_through_the_admin_api() -> None:
    """`ccc-mcp simulator --floor N --admin`, as outside checks start it."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "ccc_mcp", "simulator", "--port", "0", "--floor", "200", "--admin",
         "--log-level", "warning"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=child_env(),
    )  # fmt: skip
    try:
        banner = StderrReader(proc).until(r"Press Ctrl\+C")
        assert "Floor            ccc-floor: 200 agents, seed 0" in banner
        found = re.search(r"listening on (http://127\.0\.0\.1:\d+)", banner)
        assert found is not None
        summary = httpx.get(f"{found.group(1)}/_admin/summary").json()
        assert summary["ccc-floor"] == expected_census(floor_mix(200), "ccc-floor")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_importing_the_package_does_not_load_the_server_stack() -> None:
    code = (
        "import sys, ccc_mcp, ccc_mcp.simulator\n"
        "from ccc_mcp.commands.simulator import add_simulator_arguments\n"
        "loaded = [m for m in ('uvicorn', 'starlette', 'pydantic') if m in sys.modules]\n"
        "assert not loaded, loaded\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, env=child_env())

"""Starting and stopping the simulator on a loopback port: in the current event loop, or in a thread.

`running_simulator` serves with uvicorn inside the caller's event loop (a pre-bound socket, so port 0
means "any free port" and the port is known before the first request). It never installs signal
handlers and never configures logging: it is a guest in someone else's process (the MCP server, a test).
`simulator_in_thread` does the same on a private loop in a daemon thread, for synchronous callers such as
the official SDK. Binding and scenario errors surface in the caller, before any thread starts.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import threading
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from ccc_mcp.net.asgi import bind_socket, hosted
from ccc_mcp.simulator.accounting import RequestStats
from ccc_mcp.simulator.clock import Clock, wall_clock
from ccc_mcp.simulator.demo_cast import default_scenario
from ccc_mcp.simulator.faults import FaultInjector, FaultRule, Monotonic
from ccc_mcp.simulator.scenario import Scenario, load_scenario
from ccc_mcp.simulator.service import SimulatorApp

__all__ = ["Simulator", "hosted_simulator", "running_simulator", "simulator_in_thread"]

ScenarioSource = Scenario | str | os.PathLike[str] | None
FaultSource = Iterable[FaultRule | Mapping[str, Any]]


class Simulator:
    """One simulator: its scenario, live state, fault rules and ASGI app; `endpoint` once it listens.

    `clock` (epoch ms) is "now" in its answers: wall time by default, a `FixedClock` for byte-for-byte
    answers. It never affects the signature date window, which always follows wall time. `fault_clock`
    (seconds, `time.monotonic` by default) times the fault rules that throttle above a rate.
    """

    def __init__(
        self,
        scenario: ScenarioSource = None,
        faults: FaultSource = (),
        admin: bool = False,
        *,
        seed: int = 0,
        clock: Clock | None = None,
        fault_clock: Monotonic | None = None,
    ) -> None:
        if scenario is None:
            scenario = default_scenario()
        elif not isinstance(scenario, Scenario):
            scenario = load_scenario(Path(scenario))
        self.clock: Clock = clock if clock is not None else wall_clock
        self.app = SimulatorApp(
            scenario=scenario,
            faults=FaultInjector(faults, seed, monotonic=fault_clock),
            admin=admin,
            clock=self.clock,
        )
        self.state, self.faults, self.verifier = self.app.state, self.app.faults, self.app.verifier
        self.admin = admin
        self.host = "127.0.0.1"
        self.port = 0

    @property
    def scenario(self) -> Scenario:
        """The scenario in force (the admin API can swap it)."""
        return self.app.scenario

    @property
    def endpoint(self) -> str:
        """Base URL, e.g. http://127.0.0.1:9000 (for the SDK: endpoint `127.0.0.1:9000`, protocol http)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def access_key_id(self) -> str:
        return self.scenario.credentials[0].access_key_id

    @property
    def access_key_secret(self) -> str:
        return self.scenario.credentials[0].access_key_secret

    @property
    def stats(self) -> RequestStats:
        """Requests that reached the wire, by outcome code."""
        return self.app.stats

    def reset(self) -> None:
        """Back to the scenario's initial state (nonces forgotten; fault rules kept)."""
        self.app.reset()

    def __repr__(self) -> str:
        return f"Simulator(endpoint={self.endpoint!r}, scenario={self.scenario.name!r})"


@contextlib.asynccontextmanager
async def hosted_simulator(
    sim: Simulator, sock: socket.socket, graceful_seconds: float = 2
) -> AsyncIterator[Simulator]:
    """Serve `sim` on an already bound socket in the running loop until the block exits."""
    async with hosted(sim.app, sock, graceful_seconds=graceful_seconds, name="ccc-simulator") as (host, port):
        sim.host, sim.port = host, port
        yield sim


@contextlib.asynccontextmanager
async def running_simulator(
    host: str = "127.0.0.1",
    port: int = 0,
    scenario: ScenarioSource = None,
    faults: FaultSource = (),
    admin: bool = False,
    *,
    seed: int = 0,
    clock: Clock | None = None,
    fault_clock: Monotonic | None = None,
) -> AsyncIterator[Simulator]:
    """A simulator listening on host:port in the current event loop, for the duration of the block.
    `clock` and `fault_clock`: see `Simulator` (default wall time and `time.monotonic`)."""
    sim = Simulator(scenario, faults, admin, seed=seed, clock=clock, fault_clock=fault_clock)
    sock = bind_socket(host, port)
    async with hosted_simulator(sim, sock) as running:
        yield running


@contextlib.contextmanager
def simulator_in_thread(
    host: str = "127.0.0.1",
    port: int = 0,
    scenario: ScenarioSource = None,
    faults: FaultSource = (),
    admin: bool = False,
    *,
    seed: int = 0,
    clock: Clock | None = None,
    fault_clock: Monotonic | None = None,
) -> Iterator[Simulator]:
    """`running_simulator` for synchronous code: the server runs on its own loop in a daemon thread."""
    sim = Simulator(scenario, faults, admin, seed=seed, clock=clock, fault_clock=fault_clock)
    sock = bind_socket(host, port)
    ready = threading.Event()
    failure: list[BaseException] = []
    control: dict[str, Any] = {}

    async def main() -> None:
        stop = asyncio.Event()
        control["loop"], control["stop"] = asyncio.get_running_loop(), stop
        try:
            async with hosted_simulator(sim, sock):
                ready.set()
                await stop.wait()
        except BaseException as exc:  # reported in the caller's thread, below
            failure.append(exc)
        finally:
            ready.set()

    thread = threading.Thread(target=lambda: asyncio.run(main()), name="ccc-simulator", daemon=True)
    thread.start()
    started = ready.wait(timeout=30)
    if failure or not started or not thread.is_alive():
        if "loop" in control:
            control["loop"].call_soon_threadsafe(control["stop"].set)
        thread.join(timeout=5)
        raise RuntimeError("the simulator thread failed to start") from (failure[0] if failure else None)
    try:
        yield sim
    finally:
        loop: asyncio.AbstractEventLoop = control["loop"]
        loop.call_soon_threadsafe(control["stop"].set)
        thread.join(timeout=15)

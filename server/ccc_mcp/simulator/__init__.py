"""The embedded CCC simulator: a loopback HTTP service that speaks the CCC OpenAPI wire.

Importing this package is free: the names below load their modules (and starlette/uvicorn) on first
use, so the MCP server's start-up never pays for a simulator it does not run.

    from ccc_mcp.simulator import running_simulator
    async with running_simulator() as sim:      # default scenario, free loopback port, wall-time answers
        sim.endpoint, sim.access_key_id, sim.access_key_secret, sim.state, sim.faults

    async with running_simulator(clock=FixedClock(1_700_000_600_000)) as sim:   # byte-for-byte answers

    async with running_simulator(scenario=with_floor(default_scenario(), 1000)) as sim:   # + ccc-floor
        census(sim.state.instances[FLOOR_INSTANCE_ID]) == expected_census(floor_mix(1000), FLOOR_INSTANCE_ID)
        sim.stats.polls_by_job                  # PollUserStatus answers per JobId
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ccc_mcp.simulator.accounting import RequestStats
    from ccc_mcp.simulator.clock import Clock, FixedClock, wall_clock
    from ccc_mcp.simulator.demo_cast import default_scenario, with_floor
    from ccc_mcp.simulator.faults import FaultError, FaultInjector, FaultRule, load_faults
    from ccc_mcp.simulator.floor import FLOOR_INSTANCE_ID, FloorMix, floor_mix
    from ccc_mcp.simulator.headcount import census, expected_census, summary
    from ccc_mcp.simulator.runner import Simulator, running_simulator, simulator_in_thread
    from ccc_mcp.simulator.scenario import Scenario, ScenarioError, load_scenario
    from ccc_mcp.simulator.state import SimulatorState

_EXPORTS = {
    "Simulator": "runner",
    "running_simulator": "runner",
    "simulator_in_thread": "runner",
    "Scenario": "scenario",
    "ScenarioError": "scenario",
    "default_scenario": "demo_cast",
    "load_scenario": "scenario",
    "with_floor": "demo_cast",
    "FLOOR_INSTANCE_ID": "floor",
    "FloorMix": "floor",
    "floor_mix": "floor",
    "census": "headcount",
    "expected_census": "headcount",
    "summary": "headcount",
    "RequestStats": "accounting",
    "FaultError": "faults",
    "FaultInjector": "faults",
    "FaultRule": "faults",
    "load_faults": "faults",
    "SimulatorState": "state",
    "Clock": "clock",
    "FixedClock": "clock",
    "wall_clock": "clock",
}

__all__ = [
    "FLOOR_INSTANCE_ID",
    "Clock",
    "FaultError",
    "FaultInjector",
    "FaultRule",
    "FixedClock",
    "FloorMix",
    "RequestStats",
    "Scenario",
    "ScenarioError",
    "Simulator",
    "SimulatorState",
    "census",
    "default_scenario",
    "expected_census",
    "floor_mix",
    "load_faults",
    "load_scenario",
    "running_simulator",
    "simulator_in_thread",
    "summary",
    "wall_clock",
    "with_floor",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value

"""`ccc-mcp simulator`: the simulator as a standalone HTTP service, for the project's CLI to mount.

`add_simulator_arguments` builds the options from `config.simulator.SimulatorSettings` (the CLI builds every
subcommand's parser at start-up); `run_simulator` imports the simulator when it actually runs. Flags
override the environment variables named in each option's help.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from typing import TYPE_CHECKING

from ccc_mcp.net.loopback import is_loopback_host

if TYPE_CHECKING:
    import socket

    from pydantic import ValidationError

    from ccc_mcp.config.simulator_settings import SimulatorSettings
    from ccc_mcp.simulator.runner import Simulator
    from ccc_mcp.simulator.scenario import Scenario

__all__ = ["add_simulator_arguments", "banner", "configured_scenario", "embedded_scenario", "run_simulator"]


def add_simulator_arguments(parser: argparse.ArgumentParser) -> None:
    """The simulator's options, one per field of `SimulatorSettings`. Each default is the environment's value
    (else the built-in default), resolved when the parser is built, so `--help` shows what would be used."""
    from ccc_mcp.config.flags import settings_options
    from ccc_mcp.config.simulator_settings import SimulatorSettings

    settings_options(parser, SimulatorSettings, current=_environment())


def _environment() -> dict[str, object]:
    """The settings as the environment gives them; a bad environment value is reported when the service
    starts (by `run_simulator`), not while `--help` is printed."""
    from pydantic import ValidationError

    from ccc_mcp.config.simulator_settings import SimulatorSettings

    try:
        return SimulatorSettings().model_dump()
    except ValidationError:
        return {name: field.default for name, field in SimulatorSettings.model_fields.items()}


def configured_scenario(settings: SimulatorSettings) -> Scenario:
    """The scenario file (else the built-in ccc-demo scenario), plus instance ccc-floor when a floor is asked
    for. A bad file, or a floor whose instance id the file already uses, raises ScenarioError."""
    from ccc_mcp.simulator.demo_cast import default_scenario, with_floor
    from ccc_mcp.simulator.scenario import load_scenario

    scenario = load_scenario(settings.scenario) if settings.scenario else default_scenario()
    if settings.floor is not None:
        scenario = with_floor(scenario, settings.floor, seed=settings.floor_seed)
    return scenario


def embedded_scenario() -> Scenario:
    """What `ccc-mcp serve --simulator` runs: the scenario the simulator's own environment names
    (CCC_SIM_SCENARIO, CCC_SIM_FLOOR, CCC_SIM_FLOOR_SEED), so a floor is one variable away. Raises
    ValueError, in one line naming the setting, when that environment is not valid."""
    from pydantic import ValidationError

    from ccc_mcp.config.simulator_settings import SimulatorSettings

    try:
        return configured_scenario(SimulatorSettings())
    except ValidationError as exc:
        raise ValueError("; ".join(_setting_errors(exc))) from None


def _setting_errors(exc: ValidationError) -> list[str]:
    """One line per bad setting, naming it (pydantic's own wording for what is wrong)."""
    return [
        f"invalid setting {'.'.join(str(part) for part in error['loc'])}: {error['msg']}"
        for error in exc.errors(include_url=False, include_input=False)
    ]


def banner(sim: Simulator) -> str:
    """What a newcomer needs to point a client at the running simulator."""
    from ccc_mcp.simulator.clock import FixedClock

    port_only = sim.endpoint.removeprefix("http://")
    demo = sim.scenario.credentials[0]
    lines = [
        f"CCC simulator listening on {sim.endpoint}  (scenario: {sim.scenario.name})",
        f"  AccessKeyId      {demo.access_key_id}",
        f"  AccessKeySecret  {demo.access_key_secret}",
    ]
    if demo.security_token:
        lines.append(f"  SecurityToken    {demo.security_token}")
    instances = ", ".join(i.instance_id for i in sim.scenario.instances) or "(none)"
    lines.append(f"  Instances        {instances}")
    for instance in sim.scenario.instances:
        if instance.floor is not None:
            lines.append(
                f"  Floor            {instance.instance_id}: {instance.floor.agents} agents, seed {instance.floor.seed}"
                f"  (ListRealtimeAgentStates InstanceId={instance.instance_id})"
            )
    if sim.scenario.name == "default":
        lines.append("  Try              UnmuteCall InstanceId=ccc-demo UserId=agent@ccc-demo (muted on job-demo-1)")
        lines.append("                   PollUserStatus InstanceId=ccc-demo UserId=wang@ccc-demo (on job-demo-3)")
    if isinstance(sim.clock, FixedClock):
        lines.append(f"  Clock            fixed at {sim.clock()} (epoch ms)")
    lines += [
        f"  Official SDK     Config(endpoint='{port_only}', protocol='http', access_key_id=..., ...)",
        f"  ccc-mcp          CCC_ENDPOINT={sim.endpoint}",
    ]
    if sim.admin:
        lines.append(f"  Admin API        {sim.endpoint}/_admin/state  (faults, reset, scenario)")
    lines.append("Press Ctrl+C to stop.")
    return "\n".join(lines) + "\n"


async def _serve_until_signalled(sim: Simulator, sock: socket.socket) -> int:
    from ccc_mcp.simulator.runner import hosted_simulator

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, stop.set)
    async with hosted_simulator(sim, sock, graceful_seconds=5):
        sys.stderr.write(banner(sim))
        sys.stderr.flush()
        await stop.wait()
    sys.stderr.write("CCC simulator stopped.\n")
    return 0


def run_simulator(args: argparse.Namespace) -> int:
    """Serve until SIGINT/SIGTERM. Returns the exit status (2: bad configuration, 1: cannot listen)."""
    from pydantic import ValidationError

    from ccc_mcp.config.logs import configure_logging
    from ccc_mcp.config.simulator_settings import SimulatorSettings
    from ccc_mcp.net.asgi import bind_socket
    from ccc_mcp.simulator.clock import FixedClock
    from ccc_mcp.simulator.faults import FaultError, FaultRule, load_faults
    from ccc_mcp.simulator.runner import Simulator
    from ccc_mcp.simulator.scenario import ScenarioError

    fields = SimulatorSettings.model_fields
    given = {name: getattr(args, name) for name in fields if getattr(args, name, None) is not None}
    try:
        settings = SimulatorSettings(**given)
    except ValidationError as exc:
        for line in _setting_errors(exc):
            sys.stderr.write(f"ccc-mcp simulator: {line}\n")
        return 2
    configure_logging(settings.log_level, only="ccc_mcp.simulator")
    host, port = settings.host, settings.port
    if not is_loopback_host(host) and not settings.allow_remote:
        sys.stderr.write(
            f"ccc-mcp simulator: refusing to listen on non-loopback address {host!r}: the simulator accepts "
            "published demo credentials. Pass --allow-remote (or CCC_SIM_ALLOW_REMOTE=1) if you mean it.\n"
        )
        return 2
    try:
        rules: list[FaultRule] = []
        seed: int | None = None
        if settings.faults:
            rules, seed = load_faults(settings.faults)
        fixed = settings.fixed_clock
        sim = Simulator(
            configured_scenario(settings),
            rules,
            settings.admin,
            seed=seed if seed is not None else settings.seed,
            clock=FixedClock(fixed) if fixed is not None else None,
        )
    except (ScenarioError, FaultError) as exc:
        sys.stderr.write(f"ccc-mcp simulator: {exc}\n")
        return 2
    try:
        sock = bind_socket(host, port)
    except OSError as exc:
        sys.stderr.write(f"ccc-mcp simulator: cannot listen on {host}:{port}: {exc.strerror or exc}.\n")
        return 1
    return asyncio.run(_serve_until_signalled(sim, sock))

"""`ccc-mcp simulator`: the simulator as a standalone HTTP service, for the project's CLI to mount.

`add_simulator_arguments` only touches argparse (cheap to import: the CLI builds every subcommand's parser
at start-up); `run_simulator` imports the server stack when it actually runs. Flags override the
environment variables named in each option's help.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import sys
from typing import TYPE_CHECKING

from ccc_mcp.logging_setup import FORMAT
from ccc_mcp.net import is_loopback_host

if TYPE_CHECKING:
    import socket

    from ccc_mcp.simulator.runner import Simulator

_TRUE = {"1", "true", "yes", "on"}
_LEVELS = ("debug", "info", "warning", "error")


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in _TRUE


def add_simulator_arguments(parser: argparse.ArgumentParser) -> None:
    """The simulator's options; defaults come from the CCC_SIM_* environment variables."""
    env = os.environ.get
    parser.add_argument(
        "--host",
        default=env("CCC_SIM_HOST", "127.0.0.1"),
        help="Address to listen on (env CCC_SIM_HOST; default 127.0.0.1). Non-loopback needs --allow-remote.",
    )
    parser.add_argument(
        "--port",
        type=int,
        default=env("CCC_SIM_PORT", "9000"),
        help="TCP port; 0 picks a free one (env CCC_SIM_PORT; default 9000).",
    )
    parser.add_argument(
        "--scenario",
        metavar="FILE",
        default=env("CCC_SIM_SCENARIO") or None,
        help="Scenario JSON file (env CCC_SIM_SCENARIO; default: the built-in ccc-demo scenario).",
    )
    parser.add_argument(
        "--faults",
        metavar="FILE",
        default=env("CCC_SIM_FAULTS") or None,
        help='Fault rules JSON file, a list or {"seed": N, "rules": [...]} (env CCC_SIM_FAULTS; default none).',
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=env("CCC_SIM_SEED", "0"),
        help="Seed of the random draws of probabilistic faults (env CCC_SIM_SEED; default 0).",
    )
    parser.add_argument(
        "--fixed-clock",
        metavar="EPOCH_MS",
        type=int,
        default=env("CCC_SIM_FIXED_CLOCK") or None,
        help="Answer as if it were always this epoch-ms instant (timestamps, heartbeats, durations), for "
        "byte-for-byte answers; signatures still use the real date (env CCC_SIM_FIXED_CLOCK; default: "
        "wall time).",
    )
    parser.add_argument(
        "--admin",
        action="store_true",
        default=_env_flag("CCC_SIM_ADMIN"),
        help="Enable the admin API under /_admin/ for loopback clients (env CCC_SIM_ADMIN=1; default off).",
    )
    parser.add_argument(
        "--allow-remote",
        action="store_true",
        default=_env_flag("CCC_SIM_ALLOW_REMOTE"),
        help="Allow listening on a non-loopback address (env CCC_SIM_ALLOW_REMOTE=1; default off).",
    )
    parser.add_argument(
        "--log-level",
        type=str.lower,
        choices=_LEVELS,
        default=env("CCC_SIM_LOG_LEVEL", "info").lower(),
        help="Log level on stderr; info logs one line per request (env CCC_SIM_LOG_LEVEL; default info).",
    )


def _configure_logging(level: str) -> None:
    """stderr only; the request log at `level`, uvicorn's own chatter only from warnings up."""
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter(FORMAT))
        root.addHandler(handler)
    numeric = logging.getLevelName(level.upper())
    logging.getLogger("ccc_mcp.simulator").setLevel(numeric)  # propagates to root's handlers as is
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).setLevel(max(numeric, logging.WARNING))


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
    from ccc_mcp.simulator.runner import serving

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, stop.set)
    async with serving(sim, sock, graceful_seconds=5):
        sys.stderr.write(banner(sim))
        sys.stderr.flush()
        await stop.wait()
    sys.stderr.write("CCC simulator stopped.\n")
    return 0


def run_simulator(args: argparse.Namespace) -> int:
    """Serve until SIGINT/SIGTERM. Returns the exit status (2: bad configuration, 1: cannot listen)."""
    from ccc_mcp.asgi import bind_socket
    from ccc_mcp.simulator.clock import FixedClock
    from ccc_mcp.simulator.faults import FaultError, FaultRule, load_faults
    from ccc_mcp.simulator.runner import Simulator
    from ccc_mcp.simulator.scenario import ScenarioError

    level = str(getattr(args, "log_level", "info") or "info").lower()
    if level not in _LEVELS:
        sys.stderr.write(f"ccc-mcp simulator: log level {level!r} is not one of {', '.join(_LEVELS)}.\n")
        return 2
    _configure_logging(level)
    host: str = getattr(args, "host", "127.0.0.1")
    port: int = int(getattr(args, "port", 9000))
    if not is_loopback_host(host) and not getattr(args, "allow_remote", False):
        sys.stderr.write(
            f"ccc-mcp simulator: refusing to listen on non-loopback address {host!r}: the simulator accepts "
            "published demo credentials. Pass --allow-remote (or CCC_SIM_ALLOW_REMOTE=1) if you mean it.\n"
        )
        return 2
    try:
        rules: list[FaultRule] = []
        seed: int | None = None
        faults_file = getattr(args, "faults", None)
        if faults_file:
            rules, seed = load_faults(faults_file)
        fixed = getattr(args, "fixed_clock", None)
        sim = Simulator(
            getattr(args, "scenario", None),
            rules,
            bool(getattr(args, "admin", False)),
            seed=seed if seed is not None else int(getattr(args, "seed", 0) or 0),
            clock=FixedClock(int(fixed)) if fixed is not None else None,
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

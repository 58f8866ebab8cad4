"""Command line: `ccc-mcp [serve]`, `ccc-mcp simulator`, `ccc-mcp demo`.

Every option of `serve` is generated from the settings model, so `--help` always names the environment
variable and default that the code really uses. Heavy imports (the MCP SDK, the simulator) happen inside
the command that needs them, so `--help` and `--version` answer at once.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

from ccc_mcp import __version__
from ccc_mcp.config.collector import hold_collector

__all__ = ["build_parser", "main"]

# Commands that serve nothing: they keep the garbage collector as it is (config/collector.py).
_NOT_SERVING = frozenset({"simulator", "demo"})

# Settings without a flag: the HTTP bearer token stays in the environment (a flag would show in `ps`).
_ENVIRONMENT_ONLY = frozenset({"auth_token"})


def _serve_fields() -> list[str]:
    """Every setting that `serve` takes as a flag, in the settings model's order."""
    from ccc_mcp.config.settings import Settings

    return [name for name in Settings.model_fields if name not in _ENVIRONMENT_ONLY]


def _add_settings_options(parser: argparse.ArgumentParser) -> None:
    from ccc_mcp.config.flags import settings_options
    from ccc_mcp.config.settings import Settings

    settings_options(parser, Settings, skip=_ENVIRONMENT_ONLY)


def _serve_parser(parser: argparse.ArgumentParser) -> None:
    _add_settings_options(parser)
    parser.add_argument(
        "--transport",
        choices=("stdio", "http"),
        default="stdio",
        help="stdio (what desktop clients launch) or http (Streamable HTTP at /mcp). Default stdio.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="HTTP bind address. Default 127.0.0.1.")
    parser.add_argument("--port", type=int, default=8000, help="HTTP port. Default 8000.")
    parser.add_argument(
        "--simulator",
        action="store_true",
        help="Start the embedded CCC simulator on a free loopback port and use it with its demo "
        "credentials (your own credentials are not read). No Alibaba account needed.",
    )


def build_parser(*, simulator_options: bool = True) -> argparse.ArgumentParser:
    """Every command's parser. `simulator_options=False` leaves the `simulator` command's options out: they
    read the simulator's environment to show its values as defaults, which a server's start need not pay
    (architecture.md §4, cold start)."""
    parser = argparse.ArgumentParser(
        prog="ccc-mcp",
        description="MCP server for Alibaba Cloud Contact Center (CCC). Without a command: serve over stdio.",
    )
    parser.add_argument("--version", action="version", version=f"ccc-mcp {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    serve = commands.add_parser("serve", help="Serve MCP over stdio (default) or Streamable HTTP.")
    _serve_parser(serve)
    simulator = commands.add_parser("simulator", help="Run the CCC simulator alone, as an HTTP service.")
    if simulator_options:
        from ccc_mcp.commands.simulator import add_simulator_arguments

        add_simulator_arguments(simulator)
    demo = commands.add_parser("demo", help="Show the server at work against the embedded simulator.")
    demo.add_argument("--log-level", default="WARNING", help="Log level of the demo's server. Default WARNING.")
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    given = sys.argv[1:] if argv is None else list(argv)
    if not _NOT_SERVING & set(given):  # a server's start: no collection until it is built (config/collector.py)
        hold_collector()
    parser = build_parser(simulator_options="simulator" in given)
    args = parser.parse_args(given)
    command = args.command or "serve"
    if args.command is None:
        # Bare `ccc-mcp`: serve with every option at its default (environment still applies).
        args = parser.parse_args(["serve"])
    if command == "simulator":
        from ccc_mcp.commands.simulator import run_simulator

        sys.exit(run_simulator(args))
    if command == "demo":
        from ccc_mcp.commands.demo import run_demo

        sys.exit(run_demo(args.log_level))
    sys.exit(_serve(args))


def _serve(args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from ccc_mcp.config.logs import configure_logging
    from ccc_mcp.config.settings import load_settings

    overrides: dict[str, Any] = {name: getattr(args, name) for name in _serve_fields()}
    try:
        settings = load_settings(**overrides)
    except ValidationError as exc:
        for error in exc.errors(include_url=False, include_input=False):
            where = ".".join(str(part) for part in error["loc"])
            print(f"ccc-mcp: invalid setting {where}: {error['msg']}", file=sys.stderr)
        return 2
    from ccc_mcp.tools.registry import ToolSelectionError, select_tools

    try:
        select_tools(settings.tools, settings.read_only)  # an unknown tool name stops start-up, with the valid ones
    except ToolSelectionError as exc:
        print(f"ccc-mcp: invalid setting tools: {exc}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level, process=settings.workers > 1)
    from ccc_mcp.commands.serve import serve

    return serve(settings, transport=args.transport, host=args.host, port=args.port, simulator=args.simulator)

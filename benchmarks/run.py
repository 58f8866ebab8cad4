"""`python -m benchmarks [--quick]`: run every section, print the table, write the JSON (and the docs).

Sections, in order (each interleaves its variants round by round):
  cold      (1) cold start over stdio                         -> benchmarks/cold_start.py
  stdio     (2) per call over stdio, and (6) plain httpx      -> benchmarks/stdio_calls.py
  http      (3) Streamable HTTP throughput, and (6)           -> benchmarks/http_load.py
  hotpath   each hot-path change alone and together           -> benchmarks/hot_path.py
  fleet     workers, Redis rate limiter, telemetry over HTTP  -> benchmarks/fleet.py
  memory    (4) RSS idle and after many calls                 -> benchmarks/memory.py
  simulator (5) the simulator's own throughput                -> benchmarks/simulator_load.py
            and at floor size (its own `--floor` process)     -> benchmarks/simulator_floor.py
  list_calls (7) list_calls over floors of 50, 200, 1,000     -> benchmarks/floor_calls.py
            and with PollUserStatus throttled                 -> benchmarks/floor_throttled.py
One `ccc-mcp simulator` process serves every section (each floor has its own); every process started is
stopped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import shlex
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from benchmarks import cold_start, fleet, floor_calls, hot_path, http_load, memory, report, simulator_load, stdio_calls
from benchmarks.common import REPO_ROOT, RESULTS_DIR, ensure_importable, machine, scrub_environment, simulator_process
from benchmarks.context import FULL, QUICK, Context

SECTIONS = ("cold", "stdio", "http", "hotpath", "fleet", "memory", "simulator", "list_calls")
DOCS = REPO_ROOT / "docs" / "performance.md"
_PACKAGES = ("mcp", "httpx", "httpx-aiohttp", "aiohttp", "uvicorn", "starlette", "pydantic", "alibabacloud-ccc20200701")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Performance harness of ccc-mcp-server: cold start, stdio per call, HTTP throughput, "
        "fleet variants (workers, Redis rate limiter, telemetry), memory, simulator capacity, list_calls over a "
        "floor; every goal a ratio against a reference measured in the same run.",
    )
    parser.add_argument("--quick", action="store_true", help="tiny iteration counts: a smoke run, figures meaningless")
    parser.add_argument(
        "--out", type=Path, default=None,
        help="JSON output (default benchmarks/results/latest.json; with --quick benchmarks/results/quick.json)",
    )  # fmt: skip
    parser.add_argument(
        "--docs", type=Path, default=None,
        help=f"Markdown file whose generated section is rewritten (default {DOCS.relative_to(REPO_ROOT)} for a "
        "full run of every section; never for --quick unless given)",
    )  # fmt: skip
    parser.add_argument("--no-docs", action="store_true", help="do not touch any Markdown file")
    parser.add_argument(
        "--sections", default=",".join(SECTIONS), help=f"comma-separated subset of {', '.join(SECTIONS)}"
    )
    parser.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    parser.add_argument(
        "--render", type=Path, default=None, metavar="JSON",
        help="measure nothing: print the table of a results file written earlier and rewrite the docs from it",
    )  # fmt: skip
    args = parser.parse_args(argv)
    chosen = [s.strip() for s in args.sections.split(",") if s.strip()]
    unknown = sorted(set(chosen) - set(SECTIONS))
    if unknown or not chosen:
        parser.error(f"unknown sections {unknown}; choose from {', '.join(SECTIONS)}")
    args.sections = [s for s in SECTIONS if s in chosen]
    return args


def _versions() -> dict[str, str]:
    ensure_importable()
    import ccc_mcp

    found = {"ccc-mcp-server": ccc_mcp.__version__}
    for name in _PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "absent"
    return found


async def run_sections(args: argparse.Namespace) -> dict[str, Any]:
    sizes = QUICK if args.quick else FULL
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="ccc-mcp-bench-") as tmp:
        log_dir = Path(tmp)
        sim = simulator_process(log_dir).start()
        ctx = Context(sizes=sizes, log_dir=log_dir, simulator=sim, quiet=args.quiet)
        try:
            sim.wait_listening()
            ctx.progress(f"simulator process {sim.pid} on port {sim.port}")
            if "cold" in args.sections:
                results["cold_start"] = await cold_start.run(ctx)
            if "stdio" in args.sections:
                results["stdio_call"] = await stdio_calls.run(ctx)
            if "http" in args.sections:
                results["http_throughput"] = await http_load.run(ctx)
            if "hotpath" in args.sections:
                results["hot_path"] = await hot_path.run(ctx)
            if "fleet" in args.sections:
                results["fleet"] = await fleet.run(ctx)
            if "memory" in args.sections:
                results["memory"] = await memory.run(ctx)
            if "simulator" in args.sections:
                results["simulator"] = await simulator_load.run(ctx, results.get("http_throughput"))
            if "list_calls" in args.sections:
                results["list_calls"] = await floor_calls.run(ctx)
            if not sim.alive():
                raise RuntimeError(f"the simulator died during the run:\n{sim.log_tail()}")
        finally:
            sim.stop()
    return results


def _finite(value: Any) -> Any:
    """NaN and infinities become null: the JSON stays strict."""
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    if isinstance(value, dict):
        return {str(k): _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    if args.render is not None:
        publish(args, args.render, full=not json.loads(args.render.read_text())["meta"]["quick"])
        return
    scrub_environment()
    ensure_importable()
    started = time.monotonic()
    meta: dict[str, Any] = {
        "command": "python -m benchmarks" + (" " + shlex.join(argv if argv is not None else sys.argv[1:])).rstrip(),
        "quick": args.quick,
        "sections": args.sections,
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "versions": _versions(),
        "sizes": (QUICK if args.quick else FULL).as_dict(),
    }
    sections = asyncio.run(run_sections(args))
    meta["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
    meta["duration_s"] = round(time.monotonic() - started, 1)
    results: dict[str, Any] = {"meta": meta, **sections}
    results["goals"] = [
        {key: value for key, value in goal.items() if key != "stats"} | {"measured": goal.get("stats")}
        for goal in report.goals(results)
    ]
    out: Path = args.out or RESULTS_DIR / ("quick.json" if args.quick else "latest.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(_finite(results), indent=2, allow_nan=False) + "\n")
    publish(args, out, full=not args.quick and args.sections == list(SECTIONS))


def publish(args: argparse.Namespace, source: Path, *, full: bool) -> None:
    """Print the table and rewrite the docs, both rendered from the JSON file just written (or named)."""
    results = json.loads(source.read_text())
    table = report.render(results)
    print(table)
    print(f"JSON: {source}")
    docs = None if args.no_docs else args.docs
    if docs is None and not args.no_docs and full:
        docs = DOCS
    if docs is not None:
        report.update_docs(docs, table)
        print(f"Docs: {docs}")

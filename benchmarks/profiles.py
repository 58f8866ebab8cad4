"""`python -m benchmarks.profiles`: where the time goes, for cold start and for a call.

- cold start: `python -X importtime` of ccc-mcp and of the bare server up to the first `tools/list`, and
  the modules ccc-mcp imports that the bare server does not (self time, by package), plus a pyinstrument
  profile of ccc-mcp's start-up;
- list_calls (`--what list_calls`): py-spy of the server, then of the simulator, while list_calls reads a
  floor of 1,000 agents again and again over stdio (section 7's settings), in CPU ms per list_calls;
- a call: py-spy samples of the server process while it serves `tools/call`s (only the thread holding the GIL:
  a thread inside a syscall, or preempted there by the busy 2-core scheduler, would otherwise be counted as
  running Python — a loopback `send` looked like 1 ms of CPU per call without `--gil`), over
  Streamable HTTP at 32 callers and over stdio one call at a time, for ccc-mcp and the bare server. Sample
  shares are turned into CPU milliseconds per call with the process's CPU time read from /proc over the same
  window, so the two servers compare in absolute terms.

Reports go to benchmarks/results/profiles/ (text; the raw py-spy stacks too) and a summary to stdout.
Needs `pyinstrument` and `py-spy` (benchmarks/requirements.txt).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.common import (
    BARE_SERVER,
    PYTHON,
    RESULTS_DIR,
    UNMUTE_ARGUMENTS,
    ServerProcess,
    child_env,
    cpu_seconds,
    ensure_importable,
    scrub_environment,
    server_env,
    sim_endpoint,
    simulator_process,
)
from benchmarks.context import FULL, Context
from benchmarks.http_load import BARE, EXPECT, OURS, start_servers, tool_request
from benchmarks.loadgen import closed_loop
from benchmarks.stdio_client import TOOLS_LIST, StdioServer, handshake

_FRAME = re.compile(r"^(?P<function>.*) \((?P<path>[^()]*?)(?::\d+)?\)$")
_PACKAGES = (
    "ccc_mcp", "mcp", "mcp_types", "pydantic", "pydantic_core", "httpx", "httpx_aiohttp", "aiohttp", "tenacity",
    "starlette", "uvicorn", "h11", "anyio", "asyncio", "json", "logging", "opentelemetry", "typing",
)  # fmt: skip


# --- cold start -------------------------------------------------------------------------------------------


@dataclass
class Import:
    name: str
    depth: int
    self_us: int
    cumulative_us: int
    parent: Import | None = None


def parse_importtime(text: str) -> list[Import]:
    """`-X importtime` lines (post-order) with each import's parent resolved."""
    entries: list[Import] = []
    pending: list[Import] = []
    for line in text.splitlines():
        if not line.startswith("import time:") or "imported package" in line:
            continue
        _, self_us, cumulative_us, name = (part for part in re.split(r"\s*\|\s*|:\s*", line, maxsplit=3))
        raw = line.rsplit("|", 1)[1]
        depth = (len(raw) - len(raw.lstrip(" ")) - 1) // 2
        entry = Import(name.strip(), depth, int(self_us), int(cumulative_us))
        children = [p for p in pending if p.depth == depth + 1]
        for child in children:
            child.parent = entry
        pending = [p for p in pending if p.depth <= depth] + [entry]
        entries.append(entry)
    return entries


async def _until_listed(argv: list[str], env: dict[str, str], log: Path) -> float:
    server = StdioServer(argv, env, log)
    try:
        await server.spawn(handshake(0) + TOOLS_LIST)
        await server.read_response(1)
        return time.perf_counter() - server.spawned_at
    finally:
        await server.close()


async def cold_profiles(ctx: Context, out: Path) -> list[str]:
    summary: list[str] = ["## Cold start", ""]
    imports: dict[str, list[Import]] = {}
    for name, argv, env in (
        ("ccc-mcp", [PYTHON, "-X", "importtime", "-m", "ccc_mcp"], server_env(ctx.sim_endpoint)),
        ("bare", [PYTHON, "-X", "importtime", str(BARE_SERVER)], child_env()),
    ):
        log = ctx.log_dir / f"importtime-{name}.log"
        await _until_listed(argv, env, log)  # writes bytecode; the second run is the one read
        log.write_text("")
        elapsed = await _until_listed(argv, env, log)
        imports[name] = parse_importtime(log.read_text())
        top = sorted((i for i in imports[name] if i.depth == 0), key=lambda i: -i.cumulative_us)
        total = sum(i.cumulative_us for i in imports[name] if i.depth == 0)
        lines = [
            f"{name}: spawn -> tools/list {elapsed * 1000:.0f} ms under -X importtime; imports {total / 1000:.0f} ms",
            "top-level imports by cumulative ms:",
        ]
        lines += [f"  {i.cumulative_us / 1000:8.1f}  {i.name}" for i in top[:25]]
        (out / f"cold-importtime-{name}.txt").write_text("\n".join(lines) + "\n")
        summary += [lines[0], *lines[1:12], ""]
    bare_names = {i.name for i in imports["bare"]}
    extra = [i for i in imports["ccc-mcp"] if i.name not in bare_names]
    by_package: collections.Counter[str] = collections.Counter()
    for entry in extra:
        by_package[entry.name.split(".")[0]] += entry.self_us
    lines = [
        f"imports ccc-mcp adds over the bare server: {len(extra)} modules, "
        f"{sum(by_package.values()) / 1000:.0f} ms of their own import time (self, under -X importtime)",
        "by top-level package:",
    ]
    lines += [f"  {us / 1000:8.1f}  {name}" for name, us in by_package.most_common(15)]
    lines += ["slowest modules (self ms):"]
    lines += [f"  {i.self_us / 1000:8.1f}  {i.name}" for i in sorted(extra, key=lambda i: -i.self_us)[:20]]
    (out / "cold-importtime-extra.txt").write_text("\n".join(lines) + "\n")
    summary += [*lines, ""]

    pyinstrument_out = out / "cold-pyinstrument-ccc-mcp.txt"
    argv = [PYTHON, "-m", "pyinstrument", "-r", "text", "--no-color", "-i", "0.0005", "--show", "*/ccc_mcp/*",
            "-o", str(pyinstrument_out), "-m", "ccc_mcp"]  # fmt: skip
    await _until_listed(argv, server_env(ctx.sim_endpoint), ctx.log_dir / "cold-pyinstrument.log")
    summary += [f"pyinstrument profile of ccc-mcp's start-up: {pyinstrument_out}", ""]  # --out may lie anywhere
    return summary


# --- a call -----------------------------------------------------------------------------------------------


def _py_spy() -> str:
    beside = Path(sys.executable).with_name("py-spy")
    found = str(beside) if beside.exists() else shutil.which("py-spy")
    if not found:
        raise SystemExit("py-spy is not installed: pip install -r benchmarks/requirements.txt")
    return found


def _short(path: str) -> str:
    for marker in ("site-packages/", "/server/", "/lib/python3."):
        if marker in path:
            path = path.split(marker, 1)[1]
            if marker == "/lib/python3.":
                path = path.split("/", 1)[-1]
    return path


def _package(path: str) -> str:
    top = _short(path).split("/", 1)[0].removesuffix(".py")
    return top if top in _PACKAGES else "other"


def analyse(raw: str, cpu_ms_per_call: float) -> dict[str, Any]:
    """py-spy raw (collapsed) stacks -> CPU ms per call: inclusive per frame, self per frame and package."""
    inclusive: collections.Counter[str] = collections.Counter()
    own: collections.Counter[str] = collections.Counter()
    packages: collections.Counter[str] = collections.Counter()
    total = 0
    for line in raw.splitlines():
        stack, _, count = line.rstrip().rpartition(" ")
        if not stack or not count.isdigit():
            continue
        samples = int(count)
        total += samples
        keys: list[str] = []
        for frame in stack.split(";"):
            match = _FRAME.match(frame.strip())
            keys.append(f"{match['function']} ({_short(match['path'])})" if match else frame.strip())
        for key in set(keys):
            inclusive[key] += samples
        own[keys[-1]] += samples
        last = _FRAME.match(stack.split(";")[-1].strip())
        packages[_package(last["path"]) if last else "other"] += samples
    scale = cpu_ms_per_call / total if total else 0.0
    return {
        "samples": total,
        "cpu_ms_per_call": cpu_ms_per_call,
        "inclusive": [(k, v * scale) for k, v in inclusive.most_common(60)],
        "self": [(k, v * scale) for k, v in own.most_common(30)],
        "packages": [(k, v * scale) for k, v in packages.most_common()],
    }


def _render(title: str, analysis: dict[str, Any]) -> str:
    lines = [f"# {title}", f"{analysis['samples']} samples; {analysis['cpu_ms_per_call']:.3f} CPU ms per call", ""]
    lines += ["## self CPU ms per call, by package of the leaf frame"]
    lines += [f"  {ms:7.3f}  {name}" for name, ms in analysis["packages"]]
    lines += ["", "## inclusive CPU ms per call (frame anywhere on the stack)"]
    lines += [f"  {ms:7.3f}  {name}" for name, ms in analysis["inclusive"]]
    lines += ["", "## self CPU ms per call (leaf frame)"]
    lines += [f"  {ms:7.3f}  {name}" for name, ms in analysis["self"]]
    return "\n".join(lines) + "\n"


async def _sampled(pid: int, seconds: float, raw_path: Path, workload: Any) -> tuple[int, float]:
    """Run `workload()` (returns the number of calls) while py-spy samples `pid`; calls and CPU seconds."""
    spy = subprocess.Popen(  # noqa: S603, ASYNC220 - py-spy from this venv; started, never waited on here
        [_py_spy(), "record", "--pid", str(pid), "--duration", str(int(seconds)), "--rate", "250", "--nonblocking",
         "--gil", "--format", "raw", "--output", str(raw_path)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        await asyncio.sleep(0.5)  # py-spy attaches
        cpu = cpu_seconds(pid)
        calls = await workload()
        cpu = cpu_seconds(pid) - cpu
        await asyncio.to_thread(spy.wait, seconds + 30)
    finally:
        if spy.poll() is None:
            spy.kill()
            spy.wait()
    return calls, cpu


async def call_profiles(ctx: Context, out: Path, seconds: float) -> list[str]:
    summary = ["## A call", ""]
    servers = await start_servers(ctx, [OURS, BARE])
    try:
        for server in servers.values():
            port = server.port
            assert port is not None
            request = tool_request(server.name, port)
            await closed_loop(port, lambda r=request: r, concurrency=8, max_calls=300, expect=EXPECT)

            async def http_load(port: int = port, request: bytes = request) -> int:
                result = await closed_loop(port, lambda: request, concurrency=32, duration=seconds - 1, expect=EXPECT)
                return result.calls

            slug = "ccc-mcp" if server.name == OURS else "bare"
            raw_path = out / f"call-http-{slug}.raw"
            calls, cpu = await _sampled(server.pid, seconds, raw_path, http_load)
            analysis = analyse(raw_path.read_text(), cpu / max(calls, 1) * 1000)
            title = f"{server.name}: tools/call over Streamable HTTP, 32 callers, {calls} calls"
            (out / f"call-http-{slug}.txt").write_text(_render(title, analysis))
            summary += [f"{title}: {analysis['cpu_ms_per_call']:.3f} CPU ms per call; by package:"]
            summary += [f"  {ms:7.3f}  {name}" for name, ms in analysis["packages"][:10]] + [""]
    finally:
        for server in servers.values():
            server.stop()

    for slug, argv, env, tool, arguments in (
        ("ccc-mcp", [PYTHON, "-m", "ccc_mcp"], server_env(ctx.sim_endpoint), "unmute_call", UNMUTE_ARGUMENTS),
        ("bare", [PYTHON, str(BARE_SERVER)], child_env(), "noop", {}),
    ):
        stdio = StdioServer(argv, env, ctx.log_dir / f"profile-stdio-{slug}.log")
        try:
            await stdio.start()
            for _ in range(100):
                await stdio.call_tool(tool, arguments)

            async def stdio_load(stdio: StdioServer = stdio, tool: str = tool, arguments: Any = arguments) -> int:
                calls, deadline = 0, time.monotonic() + seconds - 1
                while time.monotonic() < deadline:
                    await stdio.call_tool(tool, arguments)
                    calls += 1
                return calls

            raw_path = out / f"call-stdio-{slug}.raw"
            calls, cpu = await _sampled(stdio.pid, seconds, raw_path, stdio_load)
        finally:
            await stdio.close()
        analysis = analyse(raw_path.read_text(), cpu / max(calls, 1) * 1000)
        title = f"{slug}: tools/call over stdio, one at a time, {calls} calls"
        (out / f"call-stdio-{slug}.txt").write_text(_render(title, analysis))
        summary += [f"{title}: {analysis['cpu_ms_per_call']:.3f} CPU ms per call; by package:"]
        summary += [f"  {ms:7.3f}  {name}" for name, ms in analysis["packages"][:10]] + [""]
    return summary


async def list_calls_profiles(ctx: Context, out: Path, seconds: float, agents: int = 1000) -> list[str]:
    """py-spy of the server, then of the simulator, each while one list_calls after another reads a floor of
    `agents` (section 7's settings: 8 in flight, the pace not binding): CPU ms per list_calls, by frame."""
    from benchmarks import floor_calls

    summary = [f"## list_calls, floor {agents:,}", ""]
    sim = simulator_process(ctx.log_dir, floor=agents, admin=True).start()
    server = floor_calls.server_process(
        ctx, sim, agents, "profile-list-calls", CCC_MCP_FANOUT=str(floor_calls.FANOUT),
        CCC_MCP_FANOUT_RATE=str(floor_calls.UNBOUND_RATE),
    )  # fmt: skip
    try:
        sim.wait_listening()
        await server.start()
        for _ in range(3):
            await server.call_tool("list_calls", {})

        async def floor_load() -> int:
            calls, deadline = 0, time.monotonic() + seconds - 1
            while time.monotonic() < deadline:
                floor_calls.answer_of(await server.call_tool("list_calls", {}), "{}")
                calls += 1
            return calls

        for slug, pid in (("server", server.pid), ("simulator", sim.pid)):
            raw_path = out / f"list-calls-{slug}.raw"
            calls, cpu = await _sampled(pid, seconds, raw_path, floor_load)
            analysis = analyse(raw_path.read_text(), cpu / max(calls, 1) * 1000)
            title = f"{slug}: list_calls over stdio, floor {agents:,}, {calls} calls"
            (out / f"list-calls-{slug}.txt").write_text(_render(title, analysis))
            summary += [f"{title}: {analysis['cpu_ms_per_call']:.1f} CPU ms per list_calls; by package:"]
            summary += [f"  {ms:7.1f}  {name}" for name, ms in analysis["packages"][:10]] + [""]
    finally:
        await server.close()
        sim.stop()
    return summary


async def main_async(args: argparse.Namespace) -> None:
    out: Path = args.out
    with tempfile.TemporaryDirectory(prefix="ccc-mcp-profile-") as tmp:
        sim: ServerProcess = simulator_process(Path(tmp)).start()
        ctx = Context(sizes=FULL, log_dir=Path(tmp), simulator=sim)
        try:
            sim.wait_listening()
            ctx.progress(f"simulator at {sim_endpoint(sim)}")
            summary: list[str] = []
            if "cold" in args.what:
                ctx.progress("profiling cold start")
                summary += await cold_profiles(ctx, out)
            if "call" in args.what:
                ctx.progress("profiling calls (HTTP, then stdio)")
                summary += await call_profiles(ctx, out, args.seconds)
            if "list_calls" in args.what:
                ctx.progress("profiling list_calls (the server, then the simulator)")
                summary += await list_calls_profiles(ctx, out, args.seconds)
        finally:
            sim.stop()
    text = "\n".join(summary)
    (out / "summary.txt").write_text(text + "\n")
    print(text)
    print(f"Reports: {out}")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.profiles", description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=12.0, help="sampling window per server (default 12)")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR / "profiles", help="report directory")
    parser.add_argument(
        "--what", default="cold,call", help="comma-separated: cold, call, list_calls (default cold,call)"
    )
    args = parser.parse_args()
    args.what = {w.strip() for w in args.what.split(",")}
    scrub_environment()
    ensure_importable()
    args.out.mkdir(parents=True, exist_ok=True)
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()

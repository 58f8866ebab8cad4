"""(8) What each change of the leaner hot path buys, measured on its own and together (docs/performance.md).

Fourteen changes took cost out of a call: the event-loop stdio transport, each upstream request handed straight
to the aiohttp transport (no `httpx.AsyncClient`), the first attempt outside tenacity, the hang-up watcher
started only after 50 ms as a plain task, the garbage collector settled once start-up is over
(config/collector.py), the tool's result handed to the SDK as a mapping (validated and dumped once, not
twice), per-call trims (the request date formatted once a second, the POST body buffered once and not
decoded unless it may be a cancellation, the caller's credential digest computed once), each call's log and
audit lines written after its answer, one loop turn's together (tools/call_lines.py; the audit straight to
its stream, time stamps formatted once a second, records without what no line shows), the request's URL
made from the endpoint's parsed URL with CCC's answer read from its bytes in one pass (api/client.py), and
no SDK span per message when no tracer provider would record it (mcpserver/assembly.py), handshake-era
`tools/list` and `tools/call` answered over HTTP in the request's own task rather than through the SDK's
per-request transport (`mcpserver/exchange.py`), the query's percent-encoding
remembered with `Retry-After` read only for a failure (api/signing.py, api/client.py), stdin read by
the server's own loop with no task in between (transports/stdio.py `PipeLines`), and the stdio connection's
protocol era chosen without the SDK's relay task (`mcpserver/eras.py`). Each variant here
is a copy of the running source tree (`server/ccc_mcp`) with some of them undone by an appended override
(`UNDO`), run as its own server process:
- "none": all undone, the path as it was before;
- "only X": all undone but X, so X is measured on its own;
- "all": the tree as it ships.

Measured, interleaved round by round: a stdio `unmute_call` (sequential calls) against the same reference
as goal 2 (bare no-op stdio call + official SDK call), and HTTP at 32 callers: calls/s against the bare
no-op server and the server's CPU per call. The overrides append to a module rather than edit it, so they
keep working while the code around them changes; a variant that fails to start fails the run.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

from benchmarks.common import (
    BARE_SERVER,
    PYTHON,
    SERVER_DIR,
    UNMUTE_ARGUMENTS,
    ServerProcess,
    child_env,
    free_port,
    paired_ratio,
    server_env,
    summary,
)
from benchmarks.context import Context
from benchmarks.http_load import BARE, MEASUREMENT_ENV, launch, measure, warm_up
from benchmarks.stdio_client import StdioServer
from benchmarks.stdio_tools import SDK_CYCLES, check_tool_result, sdk_client, sdk_cycle

STDIO = "event-loop stdio transport"
DIRECT = "request straight to the aiohttp transport"
TENACITY = "first attempt outside tenacity"
WATCHER = "hang-up watcher after 50 ms, a plain task"
COLLECTOR = "garbage collector settled after start-up"
MAPPING = "result handed to the SDK as a mapping"
TRIMS = "per-call trims (date, one body buffer, no decoding, caller digest)"
LINES = "log and audit lines after the answer, one loop turn's together, cheaper to make"
CLIENT = "request URL from the endpoint's parsed URL, answer read in one pass"
SPANS = "no SDK span per message without a tracer provider"
EXCHANGE = "HTTP tool requests answered in the request's own task"
QUERY = "percent-encoding remembered, Retry-After read only for a failure"
PIPE = "stdin read by the server's own loop"
RELAY = "stdio era chosen without the SDK's relay task"
CHANGES = (
    STDIO, DIRECT, TENACITY, WATCHER, COLLECTOR, MAPPING, TRIMS, LINES, CLIENT, SPANS, EXCHANGE, QUERY, PIPE, RELAY,
)
CONCURRENCY = 32

# What undoes each change: (module under server/ccc_mcp, code appended to it), one pair or more.
UNDO: dict[str, tuple[str, ...]] = {
    STDIO: (
        "transports/stdio.py",
        """
def choose_transport(stdin: int = 0, stdout: int = 1, stderr: int = 2) -> TransportChoice:
    return SDK  # benchmark variant: always the SDK's transport
""",
    ),
    DIRECT: (
        "api/client.py",
        '''
async def _send_through_async_client(self, url, headers, body):
    """benchmark variant: through an httpx.AsyncClient over the same pool, as before."""
    import httpx

    client = getattr(self, "_variant_async_client", None)
    if client is None:
        timeout = httpx.Timeout(connect=self.timeouts.connect, read=self.timeouts.read,
                                write=self.timeouts.read, pool=self.timeouts.connect)
        client = httpx.AsyncClient(transport=self._pool(), timeout=timeout, follow_redirects=False,
                                   headers={"accept": "application/json", "user-agent": USER_AGENT})
        self._variant_async_client = client
    async with client.stream("POST", url, headers=headers, content=body or None) as response:
        return response.status_code, response.headers, await _read_capped(response.aiter_bytes())


CccClient._send = _send_through_async_client
''',
    ),
    TENACITY: (
        "api/client.py",
        '''
async def _call_all_in_tenacity(self, action, params, *, form=None, version=API_VERSION, started=None, retry=True):
    """benchmark variant: tenacity runs every attempt, the first included, as before (`retry=False`: one)."""
    from tenacity import AsyncRetrying, retry_if_result
    from tenacity.wait import wait_random_exponential

    query = {name: value for name, value in params.items() if value is not None}
    fields = {name: value for name, value in (form or {}).items() if value is not None}
    body = signing.form_body(fields) if fields else b""
    started = self._clock() if started is None else started
    policy = self.retry
    backoff = wait_random_exponential(multiplier=policy.backoff_base, max=policy.backoff_cap)

    def wait(state):
        jitter = backoff(state)
        last = state.outcome.result() if state.outcome else None
        return max(jitter, last.retry_after or 0.0) if isinstance(last, ApiResult) else jitter

    def stop(state):
        out_of_time = self._clock() - started + state.upcoming_sleep >= policy.deadline
        return not retry or state.attempt_number >= policy.max_attempts or out_of_time

    retrying = AsyncRetrying(stop=stop, wait=wait, retry=retry_if_result(is_transient), sleep=self._sleep,
                             retry_error_callback=lambda state: state.outcome.result() if state.outcome else None)
    outcomes = []

    async def attempt():
        outcomes.append(await self._attempt(action, version, query, body, started, len(outcomes) + 1))
        return outcomes[-1]

    result = await retrying(attempt)
    result.attempts = retrying.statistics.get("attempt_number", 1)
    result.earlier_outcome_unknown = any(outcome_unknown(earlier) for earlier in outcomes[:-1])
    return result


CccClient.call = _call_all_in_tenacity
''',
    ),
    WATCHER: (
        "transports/cancellation.py",
        '''
import anyio as _anyio


async def _run_with_a_task_group(self, scope, receive, send, body):
    """benchmark variant: a task group per request, the watcher listening from the start, as before."""
    pending = [{"type": "http.request", "body": body, "more_body": False}]
    gone = _anyio.Event()

    async def replay():
        if pending:
            return pending.pop()
        await gone.wait()
        return {"type": "http.disconnect"}

    async with _anyio.create_task_group() as group:

        async def watch():
            while (await receive())["type"] != "http.disconnect":
                pass
            gone.set()
            group.cancel_scope.cancel()

        group.start_soon(watch)
        await self.app(scope, replay, send)
        group.cancel_scope.cancel()


CancelOnGiveUp._run = _run_with_a_task_group
''',
    ),
    COLLECTOR: (
        "config/collector.py",
        '''
def settle_collector() -> None:
    """benchmark variant: CPython's collector at its defaults, as before (on: `cli.main` held it at start)."""
    gc.enable()
''',
    ),
    MAPPING: (
        "mcpserver/sdk_tools.py",
        '''
import json as _json

from mcp_types import CallToolResult, TextContent


def to_tool_result(result):
    """benchmark variant: the result built as a CallToolResult model (the SDK dumps it, then validates), as before."""
    structured = result.model_dump(mode="json")
    return CallToolResult(
        content=[TextContent(type="text", text=_json.dumps(structured, ensure_ascii=False))],
        structured_content=structured,
        is_error=not result.ok,
    )
''',
    ),
    TRIMS: (
        "api/client.py",
        '''
from datetime import UTC as _UTC, datetime as _datetime


def utc_now():
    """benchmark variant: the date formatted per request, as before."""
    return signing.format_date(_datetime.now(_UTC))
''',
        "transports/cancellation.py",
        '''
from mcp.server.transport_security import RequestBodyLimitMiddleware as _BodyLimit


def _credential_digest(authorization):
    """benchmark variant: the caller's credential hashed per request, as before."""
    return hashlib.sha256(authorization).hexdigest()[:16]


async def _post_as_before(self, scope, receive, send):
    """benchmark variant: every body decoded and its caller and id worked out per request, as before."""
    messages, complete = await _read_body(receive, self.max_body_bytes)
    if complete is None:
        return
    body = b"".join(message.get("body", b"") for message in messages)
    message = json_object(body)
    if message is not None and "id" in message and "method" in message:
        (_caller(scope), json.dumps(message["id"]))
    self._cancel_named_request(scope, message)
    await self._run(scope, receive, send, body)


async def _call_as_before(self, scope, receive, send):
    """benchmark variant: the body buffered by the SDK's body limit first, then again here, as before."""
    if scope["type"] != "http" or scope["method"] != "POST":
        await self.app(scope, receive, send)
        return
    await _BodyLimit(lambda s, r, w: _post_as_before(self, s, r, w), self.max_body_bytes)(scope, receive, send)


CancelOnGiveUp.__call__ = _call_as_before
''',
    ),
    LINES: (
        "tools/call_lines.py",
        '''
def _add_now(self, tool, caller, facts, outcome, request_id, latency_ms):
    """benchmark variant: the lines written during the call, before its answer, as before."""
    self._pending.append((tool, caller, facts, outcome, request_id, latency_ms))
    self.flush()


CallLines.add = _add_now
''',
        "policy/audit.py",
        '''
def _entry_per_line(self, *, tool, caller, arguments, requests, outcome, request_id, latency_ms):
    """benchmark variant: the time stamp formatted and the JSON encoder made per line, as before."""
    return json.dumps({
        "ts": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "event": "tool_call", "tool": tool,
        "caller": caller, "instance": arguments.get("instance"), "user": arguments.get("user"),
        "job": arguments.get("job"), "channel": arguments.get("channel"), "requests": requests, "outcome": outcome,
        "request_id": request_id, "latency_ms": round(latency_ms, 1),
    }, ensure_ascii=False) + "\\n"


def _write_through_logging(self, lines):
    """benchmark variant: each line through a logging.Logger of its own and its handler, as before."""
    logger = getattr(self, "_variant_logger", None)
    if logger is None:
        logger = logging.Logger("ccc_mcp.policy.audit", logging.INFO)
        logger.propagate = False
        if self._stream is not None:
            handler = logging.StreamHandler(self._stream)
            handler.setFormatter(logging.Formatter("%(message)s"))
            logger.addHandler(handler)
        self._variant_logger = logger
    for line in lines:
        logger.info("%s", line[:-1])


AuditLog.entry = _entry_per_line
AuditLog.write = _write_through_logging
''',
        "config/logs.py",
        '''
_Formatter.formatTime = logging.Formatter.formatTime  # benchmark variant: asctime formatted per line, as before


def _record_only_what_is_shown():
    """benchmark variant: records collect threads, process names and call sites, as before."""
''',
    ),
    CLIENT: (
        "api/client.py",
        '''
def _url_parsed_per_request(self, query):
    """benchmark variant: each request's URL parsed from its text by httpx, as before."""
    import httpx

    return httpx.URL(f"{self.endpoint}/?{query}")


CccClient._url = _url_parsed_per_request
''',
        "api/answers.py",
        '''
def _envelope(body):
    """benchmark variant: the answer decoded to a dict first, then validated, as before."""
    return _decoded_envelope(body)
''',
    ),
    SPANS: (
        "mcpserver/spans.py",
        '''
def without_sdk_spans(server):
    """benchmark variant: the SDK's span middleware kept whatever the tracer provider, as before."""
    return False
''',
    ),
    EXCHANGE: (
        "mcpserver/exchange.py",
        '''
def answer_requests_in_their_exchange(server):
    """benchmark variant: every request through the SDK's per-request transport, as before."""
    return False
''',
    ),
    QUERY: (
        "api/signing.py",
        '''
percent_encode = percent_encode.__wrapped__  # benchmark variant: each value encoded per request, as before
''',
        "api/answers.py",
        '''
_parse_as_now = parse_answer


def parse_answer(action, status, headers, body):
    """benchmark variant: Retry-After read for every answer, as before."""
    _retry_after(headers.get(RETRY_AFTER_HEADER))
    return _parse_as_now(action, status, headers, body)
''',
    ),
    PIPE: (
        "transports/stdio.py",
        '''
from contextlib import asynccontextmanager

import anyio
from mcp.shared._context_streams import create_context_streams

_event_loop_streams_now = event_loop_streams


@asynccontextmanager
async def event_loop_streams(read_fd, write_fd, *, grace):
    """benchmark variant: stdin read by a task of its own, its lines handed over through a stream, as before."""
    async with _event_loop_streams_now(read_fd, write_fd, grace=grace) as (lines, writer):
        send, receive = create_context_streams(0)
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(_hand_over, lines, send)
            yield receive, writer
            tasks.cancel_scope.cancel()


async def _hand_over(lines, send):
    async with send:
        async for item in lines:
            await send.send(item)
''',
    ),
    RELAY: (
        "mcpserver/eras.py",
        '''
def era_loops():
    """benchmark variant: the SDK's loop, which relays every message through a task of its own, as before."""
    return None
''',
    ),
}


def variant_names() -> list[str]:
    return ["none", *(f"only {change}" for change in CHANGES), "all"]


def undone(variant: str) -> tuple[str, ...]:
    """The changes a variant undoes."""
    if variant == "all":
        return ()
    kept = variant.removeprefix("only ")
    return tuple(change for change in CHANGES if change != kept)


def build_tree(root: Path, variant: str) -> Path:
    """A copy of the package with the variant's changes undone; returns the directory for PYTHONPATH."""
    target = root / variant.replace(" ", "_").replace(",", "")
    shutil.copytree(SERVER_DIR / "ccc_mcp", target / "ccc_mcp", ignore=shutil.ignore_patterns("__pycache__"))
    for change in undone(variant):
        pairs = UNDO[change]
        for module, code in zip(pairs[::2], pairs[1::2], strict=True):
            path = target / "ccc_mcp" / module
            path.write_text(path.read_text() + "\n\n# --- benchmark variant ---" + code)
    check = subprocess.run(  # noqa: S603 - our own interpreter on our own copy
        [PYTHON, "-c", "import ccc_mcp, ccc_mcp.api.client, ccc_mcp.transports.stdio, ccc_mcp.config.collector, "
         "ccc_mcp.transports.cancellation, ccc_mcp.mcpserver.sdk_tools, ccc_mcp.mcpserver.spans, "
         "ccc_mcp.mcpserver.exchange, ccc_mcp.mcpserver.eras, ccc_mcp.tools.call_lines, ccc_mcp.policy.audit, "
         "ccc_mcp.config.logs, ccc_mcp.api.signing, ccc_mcp.transports.streamable_http; print(ccc_mcp.__file__)"],
        env={**child_env(), "PYTHONPATH": str(target)}, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if check.returncode != 0 or not check.stdout.startswith(str(target)):
        raise RuntimeError(f"variant {variant!r} does not import from {target}: {check.stderr[-2000:]}")
    return target


async def run(ctx: Context) -> dict[str, Any]:
    sizes = ctx.sizes
    names = variant_names()
    root = ctx.log_dir / "hot-path-variants"
    trees = {name: build_tree(root, name) for name in names}

    def env(name: str, **extra: str) -> dict[str, str]:
        return {**server_env(ctx.sim_endpoint, **extra), "PYTHONPATH": str(trees[name])}

    stdio = {
        name: StdioServer([PYTHON, "-m", "ccc_mcp"], env(name), ctx.log_dir / f"hot-stdio-{name.replace(' ', '_')}.log")
        for name in names
    }
    bare_stdio = StdioServer([PYTHON, str(BARE_SERVER)], child_env(), ctx.log_dir / "hot-stdio-bare.log")
    http: list[ServerProcess] = []
    for name in names:
        port = free_port()
        argv = [PYTHON, "-m", "ccc_mcp", "serve", "--transport", "http", "--port", str(port)]
        http.append(ServerProcess(name, argv, env(name, **MEASUREMENT_ENV), ctx.log_dir / f"hot-http-{port}.log", port))
    port = free_port()
    http.append(ServerProcess(BARE, [PYTHON, str(BARE_SERVER), "--http", str(port)], child_env(),
                              ctx.log_dir / f"hot-http-bare-{port}.log", port))  # fmt: skip
    sdk = sdk_cycle(sdk_client(ctx.sim_endpoint), SDK_CYCLES["UnmuteCall"])
    stdio_ms: dict[str, list[float]] = {name: [] for name in [*names, BARE, "sdk"]}
    http_runs: dict[str, list[dict[str, Any]]] = {name: [] for name in [*names, BARE]}
    servers: dict[str, ServerProcess] = {}
    try:
        for server in [*stdio.values(), bare_stdio]:
            await server.start()
        servers = await launch(http)
        for server in servers.values():
            await warm_up(server, sizes.http_warmup)
        for name in names:
            await _stdio_ms(stdio[name], "unmute_call", UNMUTE_ARGUMENTS, sizes.stdio_warmup)
        await _stdio_ms(bare_stdio, "noop", {}, sizes.stdio_warmup)
        await _sdk_ms(sdk, sizes.stdio_warmup)
        for round_number in range(sizes.hot_rounds):
            ctx.progress(f"hot path variants: round {round_number + 1}/{sizes.hot_rounds}")
            order = names[round_number % len(names) :] + names[: round_number % len(names)]
            for name in order:
                stdio_ms[name].append(await _stdio_ms(stdio[name], "unmute_call", UNMUTE_ARGUMENTS, sizes.stdio_calls))
            stdio_ms[BARE].append(await _stdio_ms(bare_stdio, "noop", {}, sizes.stdio_calls))
            stdio_ms["sdk"].append(await _sdk_ms(sdk, sizes.stdio_calls))
            for name in [*order, BARE]:
                http_runs[name].append(await measure(ctx, servers[name], CONCURRENCY, sizes.http_seconds))
    finally:
        for server in [*stdio.values(), bare_stdio]:
            await server.close()
        for server in servers.values():
            server.stop()
    return _tabulate(names, stdio_ms, http_runs)


async def _stdio_ms(server: StdioServer, tool: str, arguments: dict[str, Any], calls: int) -> float:
    started = time.perf_counter()
    for _ in range(calls):
        check_tool_result(tool, await server.call_tool(tool, arguments))
    return (time.perf_counter() - started) / calls * 1000


async def _sdk_ms(cycle: Any, calls: int) -> float:
    figures: dict[str, float] = await cycle(calls)
    return sum(figures.values()) * 1000


CPU = "server_cpu_ms_per_call"


def _differences(values: list[float], references: list[float]) -> list[float]:
    return [value - reference for value, reference in zip(values, references, strict=True)]


def _tabulate(
    names: list[str], stdio_ms: dict[str, list[float]], http_runs: dict[str, list[dict[str, Any]]]
) -> dict[str, Any]:
    reference = [a + b for a, b in zip(stdio_ms[BARE], stdio_ms["sdk"], strict=True)]

    def series(name: str, metric: str) -> list[float]:
        return [run[metric] for run in http_runs[name]]

    rows: dict[str, Any] = {}
    for name in names:
        rows[name] = {
            "undone": list(undone(name)),
            "stdio_ms": summary(stdio_ms[name]),
            "stdio_goal_ratio": paired_ratio(stdio_ms[name], reference),
            "stdio_vs_none": paired_ratio(stdio_ms[name], stdio_ms["none"]),
            "http_calls_per_s": summary(series(name, "calls_per_s")),
            "http_vs_bare": paired_ratio(series(name, "calls_per_s"), series(BARE, "calls_per_s")),
            "http_p99_ms": summary(series(name, "p99_ms")),
            "server_cpu_ms_per_call": summary(series(name, CPU)),
            "cpu_vs_none_ms": summary(_differences(series(name, CPU), series("none", CPU))),
        }
    return {
        "description": "each hot-path change alone and together: copies of the source with the others undone",
        "goal": {},  # informational: the goals are stated on sections 2 and 3
        "changes": list(CHANGES),
        "concurrency": CONCURRENCY,
        "reference_stdio_ms": summary(reference),
        "bare_http_calls_per_s": summary(series(BARE, "calls_per_s")),
        "variants": rows,
    }

"""Each call's log line and audit line: written after the call's answer, for every call of an event-loop turn
together, and flushed when the server stops (tools/call_lines.py)."""

from __future__ import annotations

import asyncio
import contextvars
import json
import logging
import sys
from pathlib import Path

import httpx
import pytest

from ccc_mcp.api.credentials import StaticCredentials
from ccc_mcp.config.settings import load_settings
from ccc_mcp.mcpserver.assembly import build_server
from ccc_mcp.policy.audit import AuditLog
from ccc_mcp.policy.identity import Caller
from ccc_mcp.tools.call_lines import CallFacts, CallLines
from tests.fakes import FAKE_ENDPOINT, TEST_KEY, CountingStream, FakeCcc

CALLER = Caller(principal="static-token", address="127.0.0.1")


def facts(n: int = 1) -> CallFacts:
    return CallFacts(instance="ccc-test", user=f"agent{n}@ccc-test", attempts=1, actions=["UnmuteCall"])


@pytest.fixture
def stderr_lines(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> tuple[CallLines, CountingStream]:
    """Call lines whose log records caplog sees and whose audit goes to a stderr that counts its writes."""
    caplog.set_level(logging.INFO, logger="ccc_mcp.calls")
    stream = CountingStream()
    monkeypatch.setattr(sys, "stderr", stream)
    return CallLines(AuditLog("stderr")), stream


def call_records(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "ccc_mcp.calls"]


async def test_a_calls_lines_are_written_after_its_turn_not_during_it(
    stderr_lines: tuple[CallLines, CountingStream], caplog: pytest.LogCaptureFixture
) -> None:
    lines, stream = stderr_lines
    lines.add("unmute_call", CALLER, facts(), "OK", "RID-1", 3.21)
    assert (call_records(caplog), stream.getvalue()) == ([], ""), "nothing is written while the call's turn runs"
    await asyncio.sleep(0)  # the loop's next turn: the answer has been handed on
    [record] = call_records(caplog)
    assert "tool=unmute_call actions=UnmuteCall instance=ccc-test user=agent1@ccc-test outcome=OK" in record
    assert "request_id=RID-1 attempts=1 latency_ms=3.2" in record
    entry = json.loads(stream.getvalue())
    assert (entry["caller"], entry["user"], entry["outcome"], entry["latency_ms"]) == (
        "static-token@127.0.0.1", "agent1@ccc-test", "OK", 3.2)


async def test_the_calls_of_one_turn_are_written_together_in_order(
    stderr_lines: tuple[CallLines, CountingStream], caplog: pytest.LogCaptureFixture
) -> None:
    lines, stream = stderr_lines
    for n in range(5):
        lines.add("unmute_call", CALLER, facts(n), "OK", f"RID-{n}", 1.0)
    await asyncio.sleep(0)
    assert [json.loads(line)["request_id"] for line in stream.getvalue().splitlines()] == [f"RID-{n}" for n in range(5)]
    assert len(stream.chunks) < 5, "the turn's audit lines share writes"
    assert [f"user=agent{n}@ccc-test" in record for n, record in enumerate(call_records(caplog))] == [True] * 5


async def test_a_failing_line_is_logged_and_goes_no_further(caplog: pytest.LogCaptureFixture) -> None:
    class Broken(AuditLog):
        def entry(self, **fields: object) -> str:
            raise RuntimeError("a bug in a line")

    lines = CallLines(Broken("stderr"))
    lines.add("unmute_call", CALLER, facts(), "OK", "RID-1", 1.0)
    lines.flush()
    assert any("writing 1 calls' audit lines failed: RuntimeError" in r.getMessage() for r in caplog.records)
    lines.flush()  # nothing is left pending


async def test_a_log_line_that_fails_costs_the_audit_nothing(
    stderr_lines: tuple[CallLines, CountingStream], caplog: pytest.LogCaptureFixture
) -> None:
    lines, stream = stderr_lines
    broken = CallFacts(instance="ccc-test", user="agent@ccc-test", actions=[None])  # type: ignore[list-item]
    lines.add("unmute_call", CALLER, broken, "OK", "RID-1", 1.0)
    lines.add("unmute_call", CALLER, facts(2), "OK", "RID-2", 1.0)
    lines.flush()
    assert any("log lines failed: TypeError" in r.getMessage() for r in caplog.records)
    assert [json.loads(line)["request_id"] for line in stream.getvalue().splitlines()] == ["RID-1", "RID-2"]


async def test_lines_noted_as_the_server_stops_are_still_written(fake_ccc: FakeCcc, tmp_path: Path) -> None:
    audit = tmp_path / "audit.jsonl"
    settings = load_settings(endpoint=FAKE_ENDPOINT, audit_log=str(audit))
    server = build_server(settings, credentials=StaticCredentials(TEST_KEY), transport=fake_ccc.transport())
    lifespan = server.settings.lifespan
    assert lifespan is not None
    async with lifespan(server) as state:  # the server's lifespan, as a transport runs it
        state.lines.add("unmute_call", CALLER, facts(), "OK", "RID-last", 1.0)
    assert json.loads(audit.read_text())["request_id"] == "RID-last"


def test_each_log_line_is_written_in_its_own_calls_context(caplog: pytest.LogCaptureFixture) -> None:
    """Lines of one turn are written together, each in the context its call ended in (what a logging filter
    or a trace-log bridge reads from context variables is that call's, not the turn's first call's)."""
    call_id: contextvars.ContextVar[str] = contextvars.ContextVar("call_id", default="none")
    seen: list[tuple[str, str]] = []

    class Tagging(logging.Filter):
        def filter(self, record: logging.LogRecord) -> bool:
            seen.append((call_id.get(), record.getMessage().split("request_id=")[1].split()[0]))
            return True

    caplog.set_level(logging.INFO, logger="ccc_mcp.calls")
    lines = CallLines(AuditLog("off"))

    async def one_call(n: int) -> None:
        call_id.set(f"call-{n}")
        lines.add("unmute_call", CALLER, facts(n), "OK", f"RID-{n}", 1.0)

    async def turn() -> None:
        await asyncio.gather(*(one_call(n) for n in range(3)))
        await asyncio.sleep(0)

    tagging = Tagging()
    logging.getLogger("ccc_mcp.calls").addFilter(tagging)
    try:
        asyncio.run(turn())
    finally:
        logging.getLogger("ccc_mcp.calls").removeFilter(tagging)
    assert seen == [(f"call-{n}", f"RID-{n}") for n in range(3)]


def test_lines_left_by_a_loop_that_stopped_are_written_by_the_next(caplog: pytest.LogCaptureFixture) -> None:
    """A loop that stops before its turn ends never writes what was noted in it; the next loop's call must not
    wait behind it, and writes both."""
    caplog.set_level(logging.INFO, logger="ccc_mcp.calls")
    lines = CallLines(AuditLog("off"))
    first = asyncio.new_event_loop()

    async def note_then_stop() -> None:
        lines.add("unmute_call", CALLER, facts(1), "OK", "RID-1", 1.0)
        first.stop()  # the loop ends with this turn: what the call asked of the next one never runs

    task = first.create_task(note_then_stop())
    first.run_forever()
    assert task.done()
    first.close()
    assert call_records(caplog) == []

    async def next_call() -> None:
        lines.add("unmute_call", CALLER, facts(2), "OK", "RID-2", 1.0)
        await asyncio.sleep(0)

    asyncio.run(next_call())
    assert [record.split("request_id=")[1].split()[0] for record in call_records(caplog)] == ["RID-1", "RID-2"]


async def test_a_server_whose_client_fails_to_close_still_writes_and_closes_its_audit(
    fake_ccc: FakeCcc, tmp_path: Path
) -> None:
    class FailingClose(httpx.MockTransport):
        async def aclose(self) -> None:
            raise RuntimeError("the pool would not close")

    audit = tmp_path / "audit.jsonl"
    settings = load_settings(endpoint=FAKE_ENDPOINT, audit_log=str(audit))
    server = build_server(settings, credentials=StaticCredentials(TEST_KEY), transport=FailingClose(fake_ccc.handle))
    lifespan = server.settings.lifespan
    assert lifespan is not None

    async def serve_one_call() -> None:
        async with lifespan(server) as state:
            assert state.client is not None  # a call made the client
            state.lines.add("unmute_call", CALLER, facts(), "OK", "RID-last", 1.0)

    with pytest.raises(RuntimeError, match="would not close"):
        await serve_one_call()
    assert json.loads(audit.read_text())["request_id"] == "RID-last"

"""The audit log: one JSON line per call, written to stderr or appended to a file, and never a reason for a
call to fail."""

from __future__ import annotations

import io
import json
import logging
import sys
from pathlib import Path
from typing import Any

import pytest

from ccc_mcp.policy.audit import AuditLog

FIELDS: dict[str, Any] = {"tool": "unmute_call", "caller": "stdio", "outcome": "OK", "request_id": "RID-1", "latency_ms": 12.345}
ARGUMENTS = {"instance": "ccc-test", "user": "agent@ccc-test", "job": None, "channel": None}


class CountingStream(io.StringIO):
    """stderr as the audit sees it, counting the writes that reach it."""

    writes = 0

    def write(self, text: str) -> int:
        self.writes += 1
        return super().write(text)


def test_a_record_is_one_json_line_with_who_what_and_how_it_went(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    audit = AuditLog(str(path))
    audit.record(arguments=ARGUMENTS, **FIELDS)
    audit.close()
    [line] = path.read_text(encoding="utf-8").splitlines()
    entry = json.loads(line)
    assert entry.pop("ts").endswith("Z")
    assert entry == {"event": "tool_call", "tool": "unmute_call", "caller": "stdio", "instance": "ccc-test",
                     "user": "agent@ccc-test", "job": None, "channel": None, "outcome": "OK", "request_id": "RID-1",
                     "latency_ms": 12.3}


def test_records_are_appended_to_an_existing_file_and_non_ascii_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    path.write_text('{"earlier": true}\n', encoding="utf-8")
    audit = AuditLog(str(path))
    audit.record(arguments={**ARGUMENTS, "user": "王芳@ccc-test"}, **FIELDS)
    audit.close()
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0] == '{"earlier": true}'
    assert '"王芳@ccc-test"' in lines[1]


def test_several_lines_go_out_in_one_write(monkeypatch: pytest.MonkeyPatch) -> None:
    stream = CountingStream()
    monkeypatch.setattr(sys, "stderr", stream)
    audit = AuditLog("stderr")
    audit.write([audit.entry(arguments=ARGUMENTS, **FIELDS) for _ in range(3)])
    assert stream.writes == 1
    assert len(stream.getvalue().splitlines()) == 3


def test_off_writes_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    stream = CountingStream()
    monkeypatch.setattr(sys, "stderr", stream)
    audit = AuditLog("off")
    audit.record(arguments=ARGUMENTS, **FIELDS)
    assert (audit.enabled, stream.writes) == (False, 0)


def test_a_stream_that_cannot_be_written_is_reported_once_and_never_raises(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    audit = AuditLog(str(tmp_path / "audit.jsonl"))
    audit._stream.close()  # type: ignore[union-attr]  # as a full or vanished disk would fail the write
    for _ in range(3):
        audit.record(arguments=ARGUMENTS, **FIELDS)
    errors = [r for r in caplog.records if r.levelno == logging.ERROR and "audit log cannot be written" in r.message]
    assert len(errors) == 1

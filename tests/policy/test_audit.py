"""The audit log: one JSON line per call, written to stderr or appended to a file, in writes a shared pipe
never interleaves, and never a reason for a call to fail."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Any

import pytest

from ccc_mcp.policy.audit import AuditLog
from tests.fakes import CountingStream

FIELDS: dict[str, Any] = {"tool": "unmute_call", "caller": "stdio", "requests": 1, "outcome": "OK",
                          "request_id": "RID-1", "latency_ms": 12.345}
ARGUMENTS = {"instance": "ccc-test", "user": "agent@ccc-test", "job": None, "channel": None}


def line(audit: AuditLog, **changes: Any) -> str:
    return audit.entry(**{"arguments": ARGUMENTS, **FIELDS, **changes})


def test_an_entry_is_one_json_line_with_who_what_and_how_it_went(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    audit = AuditLog(str(path))
    audit.write([line(audit)])
    audit.close()
    [written] = path.read_text(encoding="utf-8").splitlines()
    entry = json.loads(written)
    assert entry.pop("ts").endswith("Z")
    assert entry == {"event": "tool_call", "tool": "unmute_call", "caller": "stdio", "instance": "ccc-test",
                     "user": "agent@ccc-test", "job": None, "channel": None, "requests": 1, "outcome": "OK",
                     "request_id": "RID-1", "latency_ms": 12.3}


def test_lines_are_appended_to_an_existing_file_and_non_ascii_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    path.write_text('{"earlier": true}\n', encoding="utf-8")
    audit = AuditLog(str(path))
    audit.write([line(audit, arguments={**ARGUMENTS, "user": "王芳@ccc-test"})])
    audit.close()
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0] == '{"earlier": true}'
    assert '"王芳@ccc-test"' in lines[1]


def test_a_character_the_file_cannot_encode_is_escaped_and_loses_no_line(tmp_path: Path) -> None:
    """An unpaired surrogate (a token subject may carry one) is written as its JSON escape: the same string
    read back, and the other lines of the batch are written too."""
    path = tmp_path / "audit.jsonl"
    audit = AuditLog(str(path))
    audit.write([line(audit, request_id="R-1"), line(audit, caller="who\ud800", request_id="R-2"),
                 line(audit, request_id="R-3")])
    audit.close()
    entries = [json.loads(text) for text in path.read_text(encoding="utf-8").splitlines()]
    assert [entry["request_id"] for entry in entries] == ["R-1", "R-2", "R-3"]
    assert entries[1]["caller"] == "who\ud800"


def test_a_turns_lines_go_out_in_few_writes_each_of_whole_lines_within_a_pipes_atomic_size(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Workers share one stderr pipe: a write up to 4 KiB (PIPE_BUF) is never interleaved with another's."""
    stream = CountingStream()
    monkeypatch.setattr(sys, "stderr", stream)
    audit = AuditLog("stderr")
    lines = [line(audit, request_id=f"R-{n}") for n in range(40)]
    audit.write(lines)
    assert stream.getvalue() == "".join(lines)
    assert 1 < len(stream.chunks) < len(lines)
    assert all(chunk.endswith("\n") and len(chunk.encode()) <= 4096 for chunk in stream.chunks)


def test_off_writes_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    stream = CountingStream()
    monkeypatch.setattr(sys, "stderr", stream)
    audit = AuditLog("off")
    audit.write([line(audit)])
    assert (audit.enabled, stream.chunks) == (False, [])


class FlakyStream(CountingStream):
    """A destination that fails while `full` (a full disk) and works again after."""

    full = False

    def write(self, text: str) -> int:
        if self.full:
            raise OSError(28, "No space left on device")
        return super().write(text)


def test_a_failing_destination_is_reported_once_per_spell_and_never_raises(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    stream = FlakyStream()
    monkeypatch.setattr(sys, "stderr", stream)
    audit = AuditLog("stderr")

    def reports() -> list[str]:
        return [r.getMessage() for r in caplog.records if r.name == "ccc_mcp.policy.audit"]

    for full in (True, True, True, False, False, True, True):
        stream.full = full
        audit.write([line(audit)])
    errors = [text for text in reports() if "cannot be written" in text]
    assert len(errors) == 2, "one report for each of the two spells, not one per failed write"
    assert sum("written again" in text for text in reports()) == 1
    assert [r.levelno for r in caplog.records if "cannot be written" in r.getMessage()] == [logging.ERROR] * 2

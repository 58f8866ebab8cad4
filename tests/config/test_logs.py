"""Logging: everything to stderr, lines stamped exactly as the standard formatter stamps them."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator

import pytest

from ccc_mcp.config.logs import FORMAT, PROCESS_FORMAT, configure_logging


@pytest.fixture
def zone(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The process's local time zone for one test, put back whatever the test does."""
    monkeypatch.setenv("TZ", request.param)
    time.tzset()
    try:
        yield request.param
    finally:
        monkeypatch.undo()
        time.tzset()


@pytest.mark.parametrize("created", [0.5, 1_700_000_000.0, 1_700_000_000.999, 1_700_000_001.001])
@pytest.mark.parametrize("fmt", [FORMAT, PROCESS_FORMAT])
@pytest.mark.parametrize("zone", ["UTC", "Asia/Shanghai"], indirect=True)
def test_lines_read_as_the_standard_formatter_writes_them(created: float, fmt: str, zone: str) -> None:
    """The time stamp is formatted once a second (config/logs.py); the lines must not show it, in local time."""
    created += 100_000 if zone != "UTC" else 0  # seconds of their own: the per-second cache holds one zone's text
    configure_logging("INFO", process=fmt == PROCESS_FORMAT)  # undone after the test (tests/conftest.py)
    handler = logging.getLogger().handlers[0]
    for moment in (created, created, created + 0.25):  # then from the cache
        record = logging.LogRecord("ccc_mcp.calls", logging.INFO, __file__, 1, "tool=%s", ("unmute_call",), None)
        record.created, record.msecs = moment, (moment - int(moment)) * 1000
        assert handler.format(record) == logging.Formatter(fmt).format(record)


def test_every_line_goes_to_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("INFO")
    logging.getLogger("ccc_mcp.calls").info("tool=unmute_call")
    out, err = capsys.readouterr()
    assert (out, err.rstrip().endswith("INFO ccc_mcp.calls: tool=unmute_call")) == ("", True)


@pytest.mark.parametrize("zone", ["Asia/Shanghai"], indirect=True)
def test_a_converter_the_application_set_is_honoured(zone: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """`logging.Formatter.converter = time.gmtime` (a common way to log in UTC) still stamps lines in UTC."""
    monkeypatch.setattr(logging.Formatter, "converter", time.gmtime)
    configure_logging("INFO")
    handler = logging.getLogger().handlers[0]
    record = logging.LogRecord("ccc_mcp.calls", logging.INFO, __file__, 1, "x", None, None)
    record.created, record.msecs = 1_700_000_300.5, 500.0
    assert handler.format(record).startswith("2023-11-14 22:18:20,500")


def test_records_skip_what_no_line_shows_but_keep_the_process_id(capsys: pytest.CaptureFixture[str]) -> None:
    """configure_logging turns off collecting threads, process names and call sites (config/logs.py); the
    workers' format still shows the process id."""
    configure_logging("INFO", process=True)
    seen: list[logging.LogRecord] = []
    logger = logging.getLogger("ccc_mcp.calls")

    def keep(record: logging.LogRecord) -> bool:
        seen.append(record)
        return True

    logger.addFilter(keep)
    try:
        logger.info("tool=unmute_call")
    finally:
        logger.removeFilter(keep)
    assert f"INFO [{os.getpid()}] ccc_mcp.calls: tool=unmute_call" in capsys.readouterr().err
    [record] = seen
    assert (record.thread, record.processName, record.process) == (None, None, os.getpid())
    assert (record.pathname, record.lineno) == ("(unknown file)", 0)

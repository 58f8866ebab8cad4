"""Logging: everything to stderr, lines stamped exactly as the standard formatter stamps them."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from ccc_mcp.config.logs import FORMAT, PROCESS_FORMAT, configure_logging


@contextmanager
def configured(level: str, *, process: bool = False) -> Iterator[logging.Handler]:
    """configure_logging's handler, with the process-wide logging state put back as it was on the way out
    (within the same test phase, so pytest's own capture handlers are the ones restored)."""
    root = logging.getLogger()
    handlers, root_level = list(root.handlers), root.level
    levels = {name: logging.getLogger(name).level for name in list(logging.root.manager.loggerDict)}
    configure_logging(level, process=process)
    try:
        yield root.handlers[0]
    finally:
        root.handlers[:] = handlers
        root.setLevel(root_level)
        for name, saved in levels.items():
            logging.getLogger(name).setLevel(saved)


@pytest.mark.parametrize("created", [0.5, 1_700_000_000.0, 1_700_000_000.999, 1_700_000_001.001])
@pytest.mark.parametrize("fmt", [FORMAT, PROCESS_FORMAT])
@pytest.mark.parametrize("zone", ["UTC", "Asia/Shanghai"])
def test_lines_read_as_the_standard_formatter_writes_them(
    created: float, fmt: str, zone: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The time stamp is formatted once a second (config/logs.py); the lines must not show it, in local time."""
    monkeypatch.setenv("TZ", zone)
    time.tzset()
    created += 100_000 if zone != "UTC" else 0  # seconds of their own: the per-second cache holds one zone's text
    with configured("INFO", process=fmt == PROCESS_FORMAT) as handler:
        for moment in (created, created, created + 0.25):  # then from the cache
            record = logging.LogRecord("ccc_mcp.calls", logging.INFO, __file__, 1, "tool=%s", ("unmute_call",), None)
            record.created, record.msecs = moment, (moment - int(moment)) * 1000
            assert handler.format(record) == logging.Formatter(fmt).format(record)
    monkeypatch.undo()
    time.tzset()


def test_every_line_goes_to_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    with configured("INFO"):
        logging.getLogger("ccc_mcp.calls").info("tool=unmute_call")
    out, err = capsys.readouterr()
    assert (out, err.rstrip().endswith("INFO ccc_mcp.calls: tool=unmute_call")) == ("", True)

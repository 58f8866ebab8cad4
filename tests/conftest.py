"""Shared fixtures. Nothing here reaches beyond loopback: the credential chain's metadata lookup is
disabled and the Alibaba credential variables are cleared, so only what a test sets is used."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator

import pytest

# Before anything imports alibabacloud_credentials (it reads the environment at import time).
os.environ["ALIBABA_CLOUD_ECS_METADATA_DISABLED"] = "true"
# The suite's own knobs are not server settings: they stay (CCC_BAD_INPUT_EXAMPLES, CCC_SOAK_CALLS, ...).
SUITE_KNOBS = frozenset({"CCC_BAD_INPUT_EXAMPLES", "CCC_SOAK_CALLS", "CCC_RELIABILITY_REPORT"})
# A server setting kept on purpose: CI's second pass turns the MCP SDK fast paths off for the protocol suite.
PASSED_ON = frozenset({"CCC_MCP_SDK_FAST_PATHS"})
for _name in list(os.environ):
    if _name.startswith("ALIBABA_CLOUD_") and _name != "ALIBABA_CLOUD_ECS_METADATA_DISABLED":
        del os.environ[_name]
    if _name.startswith("CCC_") and _name not in SUITE_KNOBS | PASSED_ON:
        del os.environ[_name]

pytest_plugins = ["tests.fakes", "tests.redis_server"]


@pytest.fixture(autouse=True)
def _logging_left_as_found() -> Iterator[None]:
    """Code under test may configure logging for the whole process (`config.logs.configure_logging` puts a
    handler on the test's captured stderr and sets levels): undone after each test, so that no later test
    logs into a closed capture. pytest's own capture handlers are left to pytest."""
    root = logging.getLogger()
    handlers, level = set(root.handlers), root.level
    levels = {name: logging.getLogger(name).level for name in list(logging.root.manager.loggerDict)}
    switches = (logging.logThreads, logging.logMultiprocessing, logging._srcfile)
    yield
    logging.logThreads, logging.logMultiprocessing, logging._srcfile = switches
    for handler in list(root.handlers):
        if handler not in handlers and not type(handler).__module__.startswith("_pytest"):
            root.removeHandler(handler)
    root.setLevel(level)
    for name, saved in levels.items():
        logging.getLogger(name).setLevel(saved)

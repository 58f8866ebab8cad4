"""Shared fixtures. Nothing here reaches beyond loopback: the credential chain's metadata lookup is
disabled and the Alibaba credential variables are cleared, so only what a test sets is used."""

from __future__ import annotations

import os

# Before anything imports alibabacloud_credentials (it reads the environment at import time).
os.environ["ALIBABA_CLOUD_ECS_METADATA_DISABLED"] = "true"
# The suite's own knobs are not server settings: they stay (CCC_BAD_INPUT_EXAMPLES, CCC_SOAK_CALLS, ...).
SUITE_KNOBS = frozenset({"CCC_BAD_INPUT_EXAMPLES", "CCC_SOAK_CALLS", "CCC_RELIABILITY_REPORT"})
for _name in list(os.environ):
    if _name.startswith("ALIBABA_CLOUD_") and _name != "ALIBABA_CLOUD_ECS_METADATA_DISABLED":
        del os.environ[_name]
    if _name.startswith("CCC_") and _name not in SUITE_KNOBS:
        del os.environ[_name]

pytest_plugins = ["tests.fakes", "tests.redis_server"]

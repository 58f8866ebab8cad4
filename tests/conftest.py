"""Shared fixtures. Nothing here reaches beyond loopback: the credential chain's metadata lookup is
disabled and the Alibaba credential variables are cleared, so only what a test sets is used."""

from __future__ import annotations

import os

# Before anything imports alibabacloud_credentials (it reads the environment at import time).
os.environ["ALIBABA_CLOUD_ECS_METADATA_DISABLED"] = "true"
for _name in list(os.environ):
    if _name.startswith("ALIBABA_CLOUD_") and _name != "ALIBABA_CLOUD_ECS_METADATA_DISABLED":
        del os.environ[_name]
    if _name.startswith("CCC_"):
        del os.environ[_name]

pytest_plugins = ["tests.fakes"]

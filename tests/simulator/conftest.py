"""Fixtures for the simulator's tests: real simulators on loopback ports, real clients. Nothing patched.

Tests never reach a real Alibaba host or the metadata service: the environment below is set before the
official SDK (and its credential chain) is imported.
"""

from __future__ import annotations

import os

os.environ["ALIBABA_CLOUD_ECS_METADATA_DISABLED"] = "true"

from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx
import pytest

from ccc_mcp.simulator import Simulator, running_simulator, simulator_in_thread

from .helpers import host_of


@pytest.fixture(scope="module")
def thread_sim() -> Iterator[Simulator]:
    """One simulator per test module, in a thread (for the synchronous official SDK)."""
    with simulator_in_thread(admin=True) as sim:
        yield sim


@pytest.fixture
def sim(thread_sim: Simulator) -> Simulator:
    """The module's simulator, back in the default scenario's initial state with no faults."""
    thread_sim.reset()
    thread_sim.faults.clear()
    return thread_sim


@pytest.fixture
async def asim() -> AsyncIterator[Simulator]:
    """A fresh simulator in the test's own event loop, admin API on."""
    async with running_simulator(admin=True) as sim:
        yield sim


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=10) as http:
        yield http


@pytest.fixture
def sdk_client() -> Callable[..., Any]:
    """Factory for the official SDK's client pointed at a simulator (http, endpoint host:port)."""
    from alibabacloud_ccc20200701.client import Client  # type: ignore[import-untyped]
    from alibabacloud_tea_openapi.models import Config  # type: ignore[import-untyped]

    def make(sim: Simulator, access_key_id: str | None = None, access_key_secret: str | None = None,
             security_token: str | None = None) -> Client:
        return Client(Config(
            access_key_id=access_key_id or sim.access_key_id,
            access_key_secret=access_key_secret or sim.access_key_secret,
            security_token=security_token,
            endpoint=host_of(sim),
            protocol="http",
            read_timeout=10_000,
            connect_timeout=5_000,
        ))

    return make

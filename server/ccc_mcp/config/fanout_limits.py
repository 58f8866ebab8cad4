"""The second part of `Settings` (config/settings.py): list_calls' fan-out over a floor — how many CCC requests
one call keeps in flight, the pace of all of them in one process, and the most agents one call reads
(docs/architecture.md §4, "The whole floor in one call"). Its fields follow `CccSettings`' in `--help` and
docs/configuration.md (§3, "A setting")."""

from __future__ import annotations

from pydantic import Field

from ccc_mcp.config.ccc import CccSettings

__all__ = ["FanoutSettings"]


class FanoutSettings(CccSettings):
    """list_calls' bounds: the fan-out, its rate, the floor's size."""

    fanout: int = Field(
        8,
        ge=1,
        le=64,
        validation_alias="CCC_MCP_FANOUT",
        description="list_calls: CCC requests in flight at once: enough to read a floor quickly, few enough "
        "that one call never takes over the connection pool (100 connections) or CCC.",
    )
    fanout_rate: float = Field(
        50.0,
        gt=0,
        validation_alias="CCC_MCP_FANOUT_RATE",
        description="list_calls: most CCC requests a second for all of one process's list_calls together, "
        "halved for a while after a throttling answer. CCC publishes no limit; 50 reads a 1,000-agent floor "
        "(about 640 requests) in some 13 s, inside the default deadline.",
    )
    floor_max: int = Field(
        1000,
        ge=1,
        le=10_000,
        validation_alias="CCC_MCP_FLOOR_MAX",
        description="list_calls: most agents on a call one list_calls reads; beyond it the answer is partial "
        "and says so.",
    )

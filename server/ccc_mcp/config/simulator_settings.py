"""The settings of `ccc-mcp simulator`: one pydantic-settings model, read from the environment (`CCC_SIM_*`)
and overridden by the command's flags, which `config.flags.settings_options` generates from it as it does
for the server's `Settings`."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["SimulatorSettings"]

SimulatorLogLevel = Literal["debug", "info", "warning", "error"]


class SimulatorSettings(BaseSettings):
    """The settings of `ccc-mcp simulator`. Like `Settings`, flags override these environment variables."""

    model_config = SettingsConfigDict(
        env_prefix="", extra="ignore", frozen=True, validate_by_name=True, defer_build=True  # `serve` never builds it
    )

    host: str = Field(
        "127.0.0.1",
        validation_alias="CCC_SIM_HOST",
        description="Address to listen on. A non-loopback address also needs --allow-remote.",
    )
    port: int = Field(
        9000, ge=0, le=65535, validation_alias="CCC_SIM_PORT", description="TCP port; 0 picks a free one."
    )
    scenario: str | None = Field(
        None,
        validation_alias="CCC_SIM_SCENARIO",
        description="Scenario JSON file; unset: the built-in ccc-demo scenario.",
        json_schema_extra={"metavar": "FILE"},
    )
    faults: str | None = Field(
        None,
        validation_alias="CCC_SIM_FAULTS",
        description='Fault rules JSON file, a list or {"seed": N, "rules": [...]}.',
        json_schema_extra={"metavar": "FILE"},
    )
    seed: int = Field(
        0, validation_alias="CCC_SIM_SEED", description="Seed of the random draws of probabilistic faults."
    )
    floor: int | None = Field(
        None,
        ge=1,
        le=10_000,
        validation_alias="CCC_SIM_FLOOR",
        description="Add instance ccc-floor: a generated floor of N agents (1-10000) with a realistic mix of "
        "states, mutes, holds and consult calls, the same for the same N and seed; the scenario's own "
        "instances stay as they are. Unset: no floor.",
        json_schema_extra={"metavar": "N"},
    )
    floor_seed: int = Field(
        0,
        validation_alias="CCC_SIM_FLOOR_SEED",
        description="Seed of the floor: who is in which state, and the times. The counts depend on N alone.",
        json_schema_extra={"metavar": "SEED"},
    )
    fixed_clock: int | None = Field(
        None,
        validation_alias="CCC_SIM_FIXED_CLOCK",
        description="Answer as if it were always this epoch-ms instant (timestamps, heartbeats, durations), for "
        "byte-for-byte answers; signatures still use the real date. Unset: wall time.",
        json_schema_extra={"metavar": "EPOCH_MS"},
    )
    admin: bool = Field(
        False, validation_alias="CCC_SIM_ADMIN", description="Enable the admin API under /_admin/ for loopback clients."
    )
    allow_remote: bool = Field(
        False,
        validation_alias="CCC_SIM_ALLOW_REMOTE",
        description="Allow listening on a non-loopback address (the demo credentials are public).",
    )
    log_level: SimulatorLogLevel = Field(
        "info",
        validation_alias="CCC_SIM_LOG_LEVEL",
        description="Log level on stderr; info logs one line per request.",
    )

    @field_validator("log_level", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("scenario", "faults", "fixed_clock", "floor", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value


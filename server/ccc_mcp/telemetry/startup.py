"""Starting and stopping telemetry with the server, and what /metrics serves.

`start_telemetry` is called once by `commands/serve.py` before the server is built, `stop_telemetry`
when it ends (stdio: the client hung up; HTTP: uvicorn's graceful shutdown, SIGTERM included). Nothing of
the SDK is imported unless the environment asks for a pipeline and the [otel] extra is installed.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING

from ccc_mcp.telemetry import names
from ccc_mcp.telemetry.plan import Transport, extra_installed, plan_for
from ccc_mcp.telemetry.recording import Recorder, activate

if TYPE_CHECKING:
    from ccc_mcp.telemetry.providers import Pipelines

__all__ = ["MetricsUnavailable", "metrics_text", "start_telemetry", "stop_telemetry"]

log = logging.getLogger(__name__)

_running: Pipelines | None = None
_unavailable = "telemetry was not started"


class MetricsUnavailable(Exception):
    """/metrics has nothing to serve; the message says why and what to do."""


def start_telemetry(
    transport: Transport, environ: Mapping[str, str] | None = None, *, install_global: bool = True
) -> bool:
    """Start the pipelines the `OTEL_*` variables ask for; True if telemetry is now on. `install_global=False`
    keeps OpenTelemetry's global providers untouched (an in-process test; the SDK's server spans then stay
    unexported)."""
    global _running, _unavailable
    plan = plan_for(transport, os.environ if environ is None else environ)
    if not plan.wanted:
        _unavailable = "OTEL_SDK_DISABLED is true" if plan.disabled else ""
        return False
    if not extra_installed():
        _unavailable = f"the [otel] extra is not installed: {names.INSTALL_HINT}"
        if plan.otlp:
            log.warning("OTEL_EXPORTER_OTLP_*ENDPOINT is set but the [otel] extra is not installed; serving "
                        "without telemetry. Install it with: %s", names.INSTALL_HINT)  # fmt: skip
        return False
    if plan.protocol and plan.protocol != "http/protobuf":
        log.warning("OTEL_EXPORTER_OTLP_PROTOCOL=%s is not supported; exporting with http/protobuf", plan.protocol)
    from ccc_mcp.telemetry.providers import build_pipelines

    _running = build_pipelines(plan, install_global=install_global)
    activate(_running.recorder)
    log.info("OpenTelemetry on: traces %s, metrics %s, /metrics %s", *(
        "on" if on else "off" for on in (plan.otlp_traces, plan.otlp_metrics, plan.prometheus)))  # fmt: skip
    return True


def stop_telemetry() -> None:
    """Flush and shut the pipelines down; safe to call twice, and when telemetry never started."""
    global _running
    running, _running = _running, None
    if running is None:
        return
    activate(Recorder())
    running.shutdown()


def metrics_text() -> bytes:
    """The metrics in Prometheus text, or `MetricsUnavailable` saying why there are none."""
    text = _running.prometheus_text() if _running is not None else None
    if text is None:
        raise MetricsUnavailable(_unavailable or "the Prometheus reader runs on the HTTP transport only")
    return text

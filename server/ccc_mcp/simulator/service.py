"""The simulator as an ASGI app: the CCC wire on `/`, and an optional admin API under `/_admin/`.

One request on the wire goes: fault plan (latency, replacement answers) -> path, action and version
-> authentication -> the action -> envelope -> post-action faults (truncate, trickle, drop).
Faults come before authentication because they model the network and the gateway, which misbehave
whatever the request; they therefore never consume a nonce.

The admin API is plain JSON, off unless enabled, refuses non-loopback clients, and takes no CCC signing.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from ccc_mcp.net.loopback import is_loopback_host
from ccc_mcp.simulator.accounting import RequestStats
from ccc_mcp.simulator.actions import (
    ACTIONS,
    API_VERSION,
    ccc_error_envelope,
    gateway_error_body,
    new_request_id,
    success_envelope,
)
from ccc_mcp.simulator.auth import SignedRequest, Verifier
from ccc_mcp.simulator.clock import Clock, wall_clock
from ccc_mcp.simulator.faults import (
    DisconnectFault,
    ErrorFault,
    FaultError,
    FaultInjector,
    MalformedFault,
    ThrottleFault,
    TrickleFault,
    TruncatedFault,
    parse_rules,
)
from ccc_mcp.simulator.headcount import summary
from ccc_mcp.simulator.responses import (
    TRANSPORT_KEY,
    DroppedConnection,
    TrickleResponse,
    TruncatedResponse,
    disconnected_within,
    fault_response,
    json_response,
    transport_of,
)
from ccc_mcp.simulator.scenario import Scenario, ScenarioError, build_state, parse_scenario
from ccc_mcp.simulator.wire_errors import CccError, GatewayError

__all__ = ["SimulatorApp"]

request_log = logging.getLogger("ccc_mcp.simulator.requests")
log = logging.getLogger("ccc_mcp.simulator")

ADMIN_PREFIX = "/_admin/"
_SECRET_PARAMS = frozenset({"signature", "securitytoken", "accesskeyid", "accesskeysecret", "bearertoken"})


@dataclass(slots=True)
class WireRequest:
    """One request on the CCC wire as the handlers see it; `code` records how it ended, for the log."""

    scope: Scope
    headers: dict[str, str]
    query: dict[str, str]
    params: dict[str, str]
    body: bytes
    action: str | None
    request_id: str
    code: str = "-"

    @property
    def host_id(self) -> str:
        return self.headers.get("host", "ccc.simulator")


def _printable(value: str, limit: int = 80) -> str:
    """Log-safe: no control characters (no forged log lines), bounded length."""
    cleaned = "".join(ch if ch.isprintable() else "?" for ch in value)
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1] + "…"


def _log_request(wire: WireRequest, status: int, started: float) -> None:
    """One line per request: action, params (never secrets), outcome code, status, milliseconds."""
    if not request_log.isEnabledFor(logging.INFO):
        return
    shown = " ".join(
        f"{_printable(k, 40)}={_printable(v)}"
        for k, v in sorted(wire.params.items())
        if k.lower() not in _SECRET_PARAMS
    )
    request_log.info(
        "%s %s -> %s %s %.1fms",
        _printable(wire.action or "-", 60),
        shown or "-",
        wire.code,
        status or "-",
        (time.perf_counter() - started) * 1000,
    )


def _headers(scope: Scope) -> dict[str, str]:
    """Lower-cased header names; the first occurrence of a repeated header wins."""
    out: dict[str, str] = {}
    for raw_name, raw_value in scope["headers"]:
        out.setdefault(raw_name.decode("latin-1").lower(), raw_value.decode("latin-1"))
    return out


def _merged_params(query: dict[str, str], headers: dict[str, str], body: bytes) -> dict[str, str]:
    """The query's parameters plus a form body's (ListRealtimeAgentStates sends AgentIdList and StateList
    there, `application/x-www-form-urlencoded`, `+` for a space); a body key wins over the same query key.

    Parsing never touches what is verified: the signature covers the raw body bytes (through
    `x-acs-content-sha256`) and `content-type` whenever SignedHeaders lists it (the SDK lists it).
    """
    params = dict(query)
    content_type = headers.get("content-type", "").strip().lower()
    if content_type.startswith("application/x-www-form-urlencoded"):
        params.update(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
    return params


def _admin_refusal(scope: Scope) -> Response | None:
    """Every admin route answers loopback clients only, and takes no CCC signing."""
    client = scope.get("client")
    if not client or not is_loopback_host(str(client[0])):
        return JSONResponse({"error": "the admin API only answers loopback clients"}, status_code=403)
    if "authorization" in _headers(scope):
        return JSONResponse(
            {"error": "the admin API takes no CCC signature; send no Authorization header"},
            status_code=400,
        )
    return None


class SimulatorApp:
    """The ASGI callable. Holds the live state, the fault rules and the verifier it answers from."""

    def __init__(
        self, *, scenario: Scenario, faults: FaultInjector, admin: bool = False, clock: Clock = wall_clock
    ) -> None:
        self.scenario = scenario
        self.clock = clock
        self.state = build_state(scenario, clock=clock)
        self.faults = faults
        self.verifier = Verifier(self.state)
        self.admin_enabled = admin
        self.stats = RequestStats()
        self._admin = self._admin_app()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            if scope["type"] == "lifespan":
                await self._admin(scope, receive, send)
            return
        scope[TRANSPORT_KEY] = transport_of(send)
        if scope["path"].startswith(ADMIN_PREFIX) and self.admin_enabled:
            await (_admin_refusal(scope) or self._admin)(scope, receive, send)
            return
        await self._wire(scope, receive, send)

    # -- the CCC wire -----------------------------------------------------------------------------

    async def _wire(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        headers = _headers(scope)
        query = dict(parse_qsl(scope["query_string"].decode("utf-8", "replace"), keep_blank_values=True))
        body = await Request(scope, receive).body()
        params = _merged_params(query, headers, body)
        action = headers.get("x-acs-action") or params.get("Action")
        wire = WireRequest(scope, headers, query, params, body, action, new_request_id())
        self.stats.arrived(action, params)
        status = 0
        try:
            response = await self._answer(wire, receive)
            if response is None:  # the client hung up while the request waited
                return
            status = 0 if isinstance(response, DroppedConnection) else response.status_code
            await response(scope, receive, send)
        finally:
            self.stats.finished(action, wire.code)
            _log_request(wire, status, started)

    async def _answer(self, wire: WireRequest, receive: Receive) -> Response | None:
        """The response for one wire request, faults included; None if the client hung up first."""
        plan = self.faults.plan(wire.action)
        if plan.latency_ms and await disconnected_within(receive, plan.latency_ms / 1000):
            # Like a gateway whose client leaves before the back end is called: nothing is applied.
            wire.code = "client:hung-up"
            return None
        fault = plan.fault
        if isinstance(fault, DisconnectFault) and not fault.after_action:
            wire.code = "fault:disconnect"
            return DroppedConnection()
        if isinstance(fault, ErrorFault | ThrottleFault | MalformedFault):
            wire.code = f"fault:{fault.kind}"
            return fault_response(fault, wire.request_id, wire.host_id)
        response = self._api_response(wire)
        if fault is None:
            return response
        wire.code += f" (fault:{fault.kind})"
        if isinstance(fault, TruncatedFault):
            return TruncatedResponse(response, fault)
        if isinstance(fault, TrickleFault):
            return TrickleResponse(response, fault)
        return DroppedConnection()  # a disconnect after the action

    def _api_response(self, wire: WireRequest) -> Response:
        """Gateway checks, then the action: the answer CCC itself would give."""
        request_id = wire.request_id
        try:
            spec = ACTIONS.get(wire.action or "") if wire.scope["path"] == "/" else None
            if spec is None:
                raise GatewayError("InvalidAction.NotFound")
            if (wire.headers.get("x-acs-version") or wire.params.get("Version")) != API_VERSION:
                raise GatewayError("InvalidVersion")
            credential = self.verifier.verify(
                SignedRequest(wire.scope["method"], wire.scope["path"], wire.query, wire.headers, wire.body)
            )
            data = spec.handler(self.state, wire.params, credential)
        except GatewayError as exc:
            wire.code = exc.code
            return json_response(gateway_error_body(request_id, wire.host_id, exc), exc.status, request_id)
        except CccError as exc:
            wire.code = exc.code
            return json_response(ccc_error_envelope(request_id, exc), exc.status, request_id)
        except Exception:
            log.exception("simulator failed on %s", wire.action)
            wire.code = "InternalError"
            error = GatewayError("InternalError")
            return json_response(gateway_error_body(request_id, wire.host_id, error), error.status, request_id)
        wire.code = "OK"
        self.stats.answered(wire.action, data)
        return json_response(success_envelope(request_id, data, params=spec.params_in_success), 200, request_id)

    # -- the admin API ----------------------------------------------------------------------------

    def _admin_app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/_admin/state", self._admin_state, methods=["GET"]),
                Route("/_admin/summary", self._admin_summary, methods=["GET"]),
                Route("/_admin/requests", self._admin_requests, methods=["GET", "DELETE"]),
                Route("/_admin/reset", self._admin_reset, methods=["POST"]),
                Route("/_admin/faults", self._admin_faults, methods=["GET", "POST", "DELETE"]),
                Route("/_admin/scenario", self._admin_scenario, methods=["GET", "PUT"]),
            ]
        )

    @staticmethod
    async def _json_body(request: Request) -> Any:
        raw = await request.body()
        return json.loads(raw) if raw.strip() else None

    async def _admin_state(self, request: Request) -> Response:
        return JSONResponse(self.state.snapshot())

    async def _admin_summary(self, request: Request) -> Response:
        """Every instance's head count (headcount.py): states, calls, mutes, holds, consult calls, groups."""
        return JSONResponse(summary(self.state))

    async def _admin_requests(self, request: Request) -> Response:
        """The request counts (accounting.py); DELETE clears them and says how many requests they held."""
        if request.method == "DELETE":
            received = self.stats.received
            self.stats.clear()
            return JSONResponse({"cleared": received})
        return JSONResponse(self.stats.snapshot())

    async def _admin_reset(self, request: Request) -> Response:
        """Back to the scenario's initial state; the nonce memory is forgotten too (faults are kept)."""
        self.reset()
        return JSONResponse({"reset": True, "scenario": self.scenario.name})

    async def _admin_faults(self, request: Request) -> Response:
        if request.method == "DELETE":
            return JSONResponse({"cleared": self.faults.clear()})
        if request.method == "POST":
            try:
                data = await self._json_body(request)
                if isinstance(data, dict) and isinstance(data.get("seed"), int):
                    self.faults.reseed(data["seed"])
                self.faults.add(*parse_rules(data, "posted fault rules"))
            except (json.JSONDecodeError, FaultError) as exc:
                return JSONResponse({"error": str(exc)}, status_code=400)
            return JSONResponse({"rules": self.faults.describe()}, status_code=201)
        return JSONResponse({"rules": self.faults.describe()})

    async def _admin_scenario(self, request: Request) -> Response:
        """GET the scenario in force; PUT a new one (validated) and start over from it."""
        if request.method == "PUT":
            try:
                scenario = parse_scenario(await self._json_body(request), "The posted scenario")
            except json.JSONDecodeError as exc:
                return JSONResponse({"error": f"The posted scenario is not valid JSON: {exc}"}, status_code=400)
            except ScenarioError as exc:
                return JSONResponse({"error": str(exc)}, status_code=400)
            self.scenario = scenario
            self.reset()
        return JSONResponse(self.scenario.model_dump(mode="json", exclude={"credentials"}))

    def reset(self) -> None:
        """Rebuild the live state from the scenario, in place, and forget every nonce."""
        self.state.replace_with(build_state(self.scenario, clock=self.clock))
        self.verifier.nonces.clear()

"""What a server's start leaves for later (architecture.md §4, "Cold start").

The call path's pydantic models (wire models, `ApiResult`, tool arguments and results) are declared with
`defer_build=True`: building the server and answering the first `tools/list` builds none of them, and the
server builds them all once it is idle after that listing, so the first tool call does not pay for them.
The CCC client is made by the first call, and its modules (`api.client`, and `api.answers` with `ApiResult`)
are imported by neither the start nor the listing, but by that idle time. Each check runs in a fresh interpreter: in this
one, earlier tests have built the models already.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

# Models every tool call touches: the client's envelope and error, the call-control data and result, a
# tool's arguments in both forms (as declared, and with user_id required, made by build_server). And
# ApiResult, whose module only a call (or the idle time after the first listing) imports.
CALL_PATH_MODELS = {
    "ApiEnvelope", "ErrorInfo", "CallControlData", "CallContext", "UserContext",
    "CallControlResult", "AgentListResult", "AgentStatusResult", "UnmuteCallArguments", "ListAgentsArguments",
}  # fmt: skip

SCRIPT = """
import asyncio, json, sys
from mcp import Client
from ccc_mcp.api.credentials import StaticCredentials
from ccc_mcp.config.settings import load_settings
from ccc_mcp.mcpserver.assembly import build_server
from ccc_mcp.tools.warmup import pending_models
from pydantic import BaseModel
from tests.fakes import FAKE_ENDPOINT, TEST_KEY

CLIENT_MODULES = {"ccc_mcp.api.client", "ccc_mcp.api.answers"}  # the client, and how it reads an answer


def pending():
    return sorted(model.__qualname__ for model in pending_models())


async def main():
    server = build_server(load_settings(endpoint=FAKE_ENDPOINT), credentials=StaticCredentials(TEST_KEY))
    report = {"after_build": pending(), "client_module_after_build": bool(CLIENT_MODULES & sys.modules.keys())}

    async def at_listing(ctx, call_next):  # outermost: the answer as the server gives it, before what it scheduled
        result = await call_next(ctx)
        if ctx.method == "tools/list":
            report.setdefault("at_listing", pending())
            report.setdefault("client_module_at_listing", bool(CLIENT_MODULES & sys.modules.keys()))
        return result

    server.middleware.insert(0, at_listing)
    async with Client(server) as client:
        report["tools"] = len((await client.list_tools()).tools)
        turns = 0
        while pending_models() and turns < 1000:  # turns of the event loop, not time
            await asyncio.sleep(0)
            turns += 1
        report["after_idle"] = pending()
        report["built_after_idle"] = sorted(
            model.__qualname__ for model in BaseModel.__subclasses__() if model.__module__ in CLIENT_MODULES
        )
        report["turns"] = turns
    print(json.dumps(report))


asyncio.run(main())
"""


def fresh_start() -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=REPO, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    report: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return report


def test_the_first_listing_builds_no_model_of_the_call_path_and_idle_time_builds_them_all() -> None:
    report = fresh_start()
    after_build = set(report["after_build"])  # type: ignore[arg-type]
    assert report["tools"] == 7
    assert after_build >= CALL_PATH_MODELS, "building the server built none of the call path's models"
    assert report["at_listing"] == report["after_build"], "answering tools/list built none either"
    assert report["after_idle"] == [], "once idle after the listing, the server built every one of them"


def test_neither_the_start_nor_the_first_listing_imports_the_client_and_idle_time_does() -> None:
    report = fresh_start()
    assert report["client_module_after_build"] is False, "building the server made no CCC client"
    assert report["client_module_at_listing"] is False, "nor did listing tools"
    assert report["built_after_idle"] == ["ApiResult"], "the idle time after the listing imported it, built"

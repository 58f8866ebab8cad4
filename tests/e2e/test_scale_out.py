"""Scale-out proof: two `ccc-mcp` HTTP replicas behind nginx round-robin on loopback. Stateless serving
means any replica can answer any request, so one client's calls succeed across both, in both eras."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from mcp import Client

from ccc_mcp.simulator import Simulator
from tests.e2e.conftest import free_port

pytestmark = pytest.mark.e2e

NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
if NGINX is None and os.environ.get("CI") != "true":
    pytest.skip("nginx is not installed (.ci/run installs it)", allow_module_level=True)

CONFIG = """
worker_processes 1;
daemon off;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 256; }}
http {{
    access_log {dir}/access.log;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    upstream ccc_mcp {{ server 127.0.0.1:{a}; server 127.0.0.1:{b}; }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://ccc_mcp;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host:$server_port;
            proxy_set_header X-Forwarded-For $remote_addr;
            proxy_buffering off;
        }}
    }}
}}
"""


@pytest.fixture
def nginx(tmp_path: Path) -> Iterator[Callable[[int, int], str]]:
    processes: list[subprocess.Popen[bytes]] = []

    def start(a: int, b: int) -> str:
        assert NGINX is not None, "nginx is required in CI"
        port = free_port()
        (tmp_path / "nginx.conf").write_text(CONFIG.format(dir=tmp_path, a=a, b=b, port=port))
        process = subprocess.Popen([NGINX, "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        processes.append(process)
        base = f"http://127.0.0.1:{port}"
        for _ in range(200):
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    return base
            except httpx.TransportError:
                time.sleep(0.05)
        raise RuntimeError(f"nginx did not start: {process.stderr.read() if process.stderr else ''}")

    yield start
    for process in processes:
        process.terminate()
        process.wait(timeout=10)


def _served(audit: Path) -> int:
    return len(audit.read_text().splitlines()) if audit.exists() else 0


async def _served_once_written(audits: list[Path], calls: int, looks: int = 500) -> list[int]:
    """How many calls each replica audited, once all `calls` lines are there: a call's audit line is written
    just after its answer (tools/call_lines.py), so the last may follow the client's last answer by a moment.
    Bounded by the number of looks, not by a clock."""
    served = [_served(audit) for audit in audits]
    for _ in range(looks):
        if sum(served) >= calls:
            break
        await anyio.sleep(0.01)
        served = [_served(audit) for audit in audits]
    return served


async def test_one_client_across_two_replicas_in_both_eras(
    simulator: Simulator, http_process: Callable[..., Any], nginx: Callable[[int, int], str], tmp_path: Path,
    protocol_mode: str,
) -> None:
    audits = [tmp_path / "replica-a.jsonl", tmp_path / "replica-b.jsonl"]
    bases = [http_process(simulator, CCC_MCP_AUDIT_LOG=str(audit))[0] for audit in audits]
    front = nginx(*(int(base.rsplit(":", 1)[1]) for base in bases))
    async with Client(f"{front}/mcp", mode=protocol_mode) as client:
        assert "unmute_call" in [tool.name for tool in (await client.list_tools()).tools]
        for _ in range(6):
            result = await client.call_tool("unmute_call", {"instance_id": "ccc-demo", "user_id": "agent@ccc-demo"})
            assert not result.is_error, result.structured_content
    served = await _served_once_written(audits, 6)
    assert sum(served) == 6
    assert all(count >= 1 for count in served), f"both replicas answered calls: {served}"
    for audit in audits:
        for line in audit.read_text().splitlines():
            assert json.loads(line)["outcome"] == "OK"


async def test_behind_nginx_each_client_is_its_own_address_whatever_it_claims(
    simulator: Simulator, http_process: Callable[..., Any], nginx: Callable[[int, int], str], tmp_path: Path
) -> None:
    """docs/deploy.md's nginx line sets X-Forwarded-For from the client's address, and the replicas believe
    nginx alone: a client connecting from 127.0.0.2 and claiming 203.0.113.9 is audited as 127.0.0.2."""
    audits = [tmp_path / "replica-a.jsonl", tmp_path / "replica-b.jsonl"]
    bases = [http_process(simulator, CCC_MCP_AUDIT_LOG=str(audit), CCC_MCP_FORWARDED_ALLOW_IPS="127.0.0.1")[0]
             for audit in audits]  # fmt: skip
    front = nginx(*(int(base.rsplit(":", 1)[1]) for base in bases))
    call = {"jsonrpc": "2.0", "id": 1, "method": "tools/call",
            "params": {"name": "unmute_call", "arguments": {"instance_id": "ccc-demo", "user_id": "agent@ccc-demo"}}}
    headers = {"accept": "application/json, text/event-stream", "mcp-protocol-version": "2025-11-25",
               "x-forwarded-for": "203.0.113.9"}  # fmt: skip
    async with httpx.AsyncClient(transport=httpx.AsyncHTTPTransport(local_address="127.0.0.2")) as http:
        for _ in range(2):
            response = await http.post(f"{front}/mcp", json=call, headers=headers)
            assert response.json()["result"]["structuredContent"]["ok"] is True
    assert sum(await _served_once_written(audits, 2)) == 2
    callers = {json.loads(line)["caller"] for audit in audits if audit.exists() for line in audit.read_text().splitlines()}
    assert callers == {"anonymous@127.0.0.2"}


LIMIT = 6  # calls per client per minute; the burst is the same, so one 60 s window holds it all


@pytest.mark.parametrize(("storage", "times_the_limit"), [("redis", 1), ("memory", 2)])
async def test_a_client_gets_the_limit_once_across_replicas_sharing_redis(
    simulator: Simulator, http_process: Callable[..., Any], nginx: Callable[[int, int], str], request: pytest.FixtureRequest,
    storage: str, times_the_limit: int,
) -> None:
    """3L calls round-robin over two replicas: with Redis about L are answered, with memory:// about 2L.

    No tolerance is needed: the calls are sequential (no race between the check and the take) and all fall in
    one 60 s window, so the count is exact. Each replica receives about 3L/2 >= L calls, so with memory:// each
    spends its whole limit."""
    url = request.getfixturevalue("redis_server").url if storage == "redis" else "memory://"
    env = {"CCC_MCP_RATE_LIMIT": str(LIMIT), "CCC_MCP_RATE_BURST": str(LIMIT), "CCC_MCP_RATE_LIMIT_STORAGE": url,
           "CCC_MCP_AUDIT_LOG": "off"}
    bases = [http_process(simulator, **env)[0] for _ in range(2)]
    front = nginx(*(int(base.rsplit(":", 1)[1]) for base in bases))
    codes = []
    async with Client(f"{front}/mcp") as client:
        for _ in range(3 * LIMIT):
            result = await client.call_tool("unmute_call", {"instance_id": "ccc-demo", "user_id": "agent@ccc-demo"})
            error = (result.structured_content or {}).get("error")
            codes.append(error["code"] if error else "OK")
    assert codes.count("OK") == LIMIT * times_the_limit, codes
    assert codes.count("Throttling") == 3 * LIMIT - LIMIT * times_the_limit, "every other call: a structured Throttling"

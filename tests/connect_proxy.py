"""A small HTTP CONNECT proxy on loopback, and a CCC simulator behind TLS, for the proxy tests.

The proxy resolves nothing: whatever host a client asks it to CONNECT to, it connects to 127.0.0.1 on the
requested port. So an endpoint whose name cannot resolve (`*.invalid`, RFC 2606) is reachable only through
the proxy — a request that bypassed it would fail — and nothing ever leaves loopback.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import trustme

from ccc_mcp.net.asgi import bind_socket, hosted
from ccc_mcp.simulator import Simulator

__all__ = ["CCC_NAME", "ConnectProxy", "TlsSimulator", "connect_proxy", "tls_simulator"]

CCC_NAME = "ccc.proxy-test.invalid"  # never resolves: only the proxy can reach it


@dataclass
class ConnectProxy:
    """What the proxy saw: one entry per CONNECT (its target and Proxy-Authorization header)."""

    port: int = 0
    targets: list[str] = field(default_factory=list)
    authorizations: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while chunk := await reader.read(65536):
            writer.write(chunk)
            await writer.drain()
    except ConnectionError:
        pass
    finally:
        writer.close()


def _handler(proxy: ConnectProxy) -> object:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
        method, target, _ = head[0].split(" ", 2)
        headers = dict(line.split(": ", 1) for line in head[1:] if ": " in line)
        if method != "CONNECT":
            writer.write(b"HTTP/1.1 405 Method Not Allowed\r\ncontent-length: 0\r\n\r\n")
            writer.close()
            return
        proxy.targets.append(target)
        proxy.authorizations.append(headers.get("Proxy-Authorization", headers.get("proxy-authorization", "")))
        port = int(target.rsplit(":", 1)[1])
        upstream_reader, upstream_writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        await writer.drain()
        await asyncio.gather(_pipe(reader, upstream_writer), _pipe(upstream_reader, writer))

    return handle


@contextlib.asynccontextmanager
async def connect_proxy() -> AsyncIterator[ConnectProxy]:
    proxy = ConnectProxy()
    server = await asyncio.start_server(_handler(proxy), "127.0.0.1", 0)  # type: ignore[arg-type]
    proxy.port = server.sockets[0].getsockname()[1]
    try:
        yield proxy
    finally:
        server.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(server.wait_closed(), 5)


@dataclass
class TlsSimulator:
    """A simulator serving HTTPS for CCC_NAME, and the CA file a client must trust to reach it."""

    sim: Simulator
    port: int
    ca_file: Path

    @property
    def endpoint(self) -> str:
        return f"https://{CCC_NAME}:{self.port}"


@contextlib.asynccontextmanager
async def tls_simulator(directory: Path) -> AsyncIterator[TlsSimulator]:
    """The simulator on loopback over TLS, with a certificate for CCC_NAME from a private test CA."""
    ca = trustme.CA()
    cert = ca.issue_cert(CCC_NAME)
    ca_file, key_file = directory / "ca.pem", directory / "server.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    cert.private_key_and_cert_chain_pem.write_to_path(str(key_file))
    sim = Simulator()
    sock = bind_socket("127.0.0.1", 0)
    async with hosted(sim.app, sock, name="tls-simulator", ssl_certfile=str(key_file), ssl_keyfile=str(key_file)) as (
        _,
        port,
    ):
        yield TlsSimulator(sim, port, ca_file)

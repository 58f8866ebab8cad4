"""A private `redis-server` for the tests: on a free loopback port, in the test's own directory, nothing saved,
stopped (and restartable on the same port) by the test. Real Redis, never a fake: the limiter's Lua scripts
and its failure handling are what is under test.

In CI (CI=true) a missing redis-server fails the tests that need it (`.ci/run` installs it); elsewhere they
are skipped with the reason."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import free_port

REDIS_SERVER = shutil.which("redis-server") or ("/usr/bin/redis-server" if Path("/usr/bin/redis-server").exists() else None)


class RedisServer:
    """One redis-server process; `stop()` and `start()` again keep its port (its data is gone: nothing is saved)."""

    def __init__(self, directory: Path, port: int, password: str | None = None) -> None:
        self.directory = directory
        self.port = port
        self.password = password
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        auth = f":{self.password}@" if self.password else ""
        return f"redis://{auth}127.0.0.1:{self.port}/0"

    def start(self) -> None:
        assert REDIS_SERVER is not None
        self.directory.mkdir(parents=True, exist_ok=True)
        command = [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                   "--daemonize", "no", "--dir", str(self.directory), "--logfile", str(self.directory / "redis.log")]
        if self.password:
            command += ["--requirepass", self.password]
        self._process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(400):  # attempts, not a deadline: it answers PING within a few
            if self._process.poll() is not None:
                raise RuntimeError(f"redis-server exited with {self._process.returncode}")
            if self._answers():
                return
            time.sleep(0.025)
        raise RuntimeError("redis-server did not answer PING")

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                reply = sock.recv(64)
        except OSError:
            return False
        return reply.startswith((b"+PONG", b"-NOAUTH"))

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            self._process.wait(timeout=10)
        self._process = None


def _require_redis() -> None:
    if REDIS_SERVER is None:
        if os.environ.get("CI") == "true":
            pytest.fail("redis-server is required in CI (.ci/run installs it)")
        pytest.skip("redis-server is not installed (.ci/run installs it; apt-get install redis-server)")


def _running(directory: Path, password: str | None = None) -> Iterator[RedisServer]:
    _require_redis()
    server = RedisServer(directory, free_port(), password)
    server.start()
    yield server
    server.stop()


REDIS_PASSWORD = "canary-redis-password-5c1d"  # must never appear in a log line, an error or --help


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    """A running private redis-server; the test may stop and start it."""
    yield from _running(tmp_path / "redis")


@pytest.fixture
def redis_with_password(tmp_path: Path) -> Iterator[RedisServer]:
    """The same, requiring REDIS_PASSWORD (its `url` carries it)."""
    yield from _running(tmp_path / "redis-auth", REDIS_PASSWORD)

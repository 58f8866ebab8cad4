"""What every section shares: paths, the environment of child processes, statistics, /proc readings, and
the server processes the harness starts (and always stops)."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
SERVER_DIR = REPO_ROOT / "server"
BENCH_DIR = REPO_ROOT / "benchmarks"
RESULTS_DIR = BENCH_DIR / "results"
BARE_SERVER = BENCH_DIR / "bare_server.py"
PLAIN_HTTPX_SERVER = BENCH_DIR / "plain_httpx_server.py"
FLOOR_SERVER = BENCH_DIR / "floor_server.py"

# The simulator's default scenario (docs/simulator.md): published demo credentials, not secrets.
SIM_ACCESS_KEY_ID = "sim-access-key-id"
SIM_ACCESS_KEY_SECRET = "sim-access-key-secret"  # noqa: S105 - the simulator's published demo key
DEMO_INSTANCE = "ccc-demo"
DEMO_USER = "agent@ccc-demo"
UNMUTE_ARGUMENTS = {"instance_id": DEMO_INSTANCE, "user_id": DEMO_USER}
# Wang (docs/simulator.md, "The Wang walk-through"): TALKING on job-demo-3, nothing muted or held at start.
WANG = "wang@ccc-demo"
WANG_JOB = "job-demo-3"
WANG_CUSTOMER_CHANNEL = "ch:customer:13900000006->02100000000:1700000300000:job-demo-3"

PYTHON = sys.executable
LOOPBACK = "127.0.0.1"
_PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY")
# Configuration the harness never inherits: the developer's Alibaba and CCC settings, and OpenTelemetry's
# (an inherited OTEL_EXPORTER_OTLP_ENDPOINT would switch telemetry on where no run asked for it).
_FOREIGN_PREFIXES = ("ALIBABA_CLOUD_", "CCC_", "OTEL_")


def ensure_importable() -> None:
    """The working tree's `ccc_mcp` is the one measured, installed or not."""
    if str(SERVER_DIR) not in sys.path:
        sys.path.insert(0, str(SERVER_DIR))


def scrub_environment() -> None:
    """This process and its children: no Alibaba or OpenTelemetry configuration of the developer's, no
    metadata service, no proxy (the official SDK honours HTTP_PROXY): everything stays on loopback."""
    for name in list(os.environ):
        if name.startswith(_FOREIGN_PREFIXES) or name in _PROXY_VARIABLES:
            del os.environ[name]
    os.environ["ALIBABA_CLOUD_ECS_METADATA_DISABLED"] = "true"
    os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1,localhost"


def child_env(**extra: str) -> dict[str, str]:
    """The environment of every process the harness starts.

    Bytecode writing is allowed (as after a `pip install`, which compiles): with PYTHONDONTWRITEBYTECODE
    set, every cold start of the working tree would recompile `ccc_mcp` while the SDK's .pyc were ready.
    No OTEL_* variable is inherited: telemetry is on only where a run sets it in `extra` (fleet section).
    """
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(_FOREIGN_PREFIXES) and name not in _PROXY_VARIABLES
    }
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    paths = [str(SERVER_DIR), str(REPO_ROOT)]
    if env.get("PYTHONPATH"):
        paths.append(env["PYTHONPATH"])
    env["PYTHONPATH"] = os.pathsep.join(paths)
    env["ALIBABA_CLOUD_ECS_METADATA_DISABLED"] = "true"
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
    env.update(extra)
    return env


def server_env(sim_endpoint: str, **extra: str) -> dict[str, str]:
    """ccc-mcp's environment: the simulator's demo key and endpoint, and nothing else of CCC's."""
    return child_env(
        ALIBABA_CLOUD_ACCESS_KEY_ID=SIM_ACCESS_KEY_ID,
        ALIBABA_CLOUD_ACCESS_KEY_SECRET=SIM_ACCESS_KEY_SECRET,
        CCC_ENDPOINT=sim_endpoint,
        **extra,
    )


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


# --- statistics -------------------------------------------------------------------------------------------


def summary(values: Sequence[float]) -> dict[str, float | int]:
    """Median over runs, with min and max and the number of runs."""
    if not values:
        return {"median": float("nan"), "min": float("nan"), "max": float("nan"), "runs": 0}
    return {
        "median": statistics.median(values),
        "min": min(values),
        "max": max(values),
        "runs": len(values),
    }


def percentile(ordered: Sequence[float], q: float) -> float:
    """Nearest-rank percentile of an ascending sequence (q in 0..100)."""
    if not ordered:
        return float("nan")
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def paired_ratio(numerators: Sequence[float], denominators: Sequence[float]) -> dict[str, float | int]:
    """Ratios of the runs that ran side by side (round i of A against round i of B): median, min, max."""
    return summary([a / b for a, b in zip(numerators, denominators, strict=True) if b > 0])


# --- /proc ------------------------------------------------------------------------------------------------

_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (Linux /proc)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS


def thread_cpu_seconds(pid: int) -> float:
    """CPU time a process's live threads have run so far, in nanoseconds' resolution (Linux
    /proc/<pid>/task/*/schedstat), where `cpu_seconds` counts clock ticks (10 ms): for a window of tens of
    milliseconds. Threads that have already exited are not counted."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            total += int((task / "schedstat").read_text().split()[0])
        except (OSError, ValueError, IndexError):  # the thread exited meanwhile
            continue
    return total / 1e9


def _parent_pids() -> dict[int, int]:
    """pid -> parent pid of every process visible in /proc."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # exited meanwhile
            continue
        parents[int(entry.name)] = int(stat[stat.rindex(")") + 2 :].split()[1])
    return parents


def process_tree(pid: int) -> list[int]:
    """`pid` and all its descendants (a server's worker processes), from the parent links in /proc."""
    children: dict[int, list[int]] = {}
    for child, parent in _parent_pids().items():
        children.setdefault(parent, []).append(child)
    tree, pending = [], [pid]
    while pending:
        current = pending.pop()
        tree.append(current)
        pending.extend(children.get(current, []))
    return tree


def tree_cpu(pid: int) -> dict[int, float]:
    """CPU seconds so far of each process of `pid`'s tree (a process that exits meanwhile is left out)."""
    used: dict[int, float] = {}
    for member in process_tree(pid):
        try:
            used[member] = cpu_seconds(member)
        except (OSError, ValueError, IndexError):
            continue
    return used


def tree_cpu_delta(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds a process tree used between two `tree_cpu` readings; a process born in between counts
    whole (it started during the window)."""
    return sum(seconds - before.get(member, 0.0) for member, seconds in after.items())


def rss_bytes(pid: int) -> int:
    """Resident set size (VmRSS) of a process."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        memory_kib = int(Path("/proc/meminfo").read_text().split()[1])
    except (OSError, ValueError, IndexError):
        memory_kib = 0
    return {
        "cores": os.cpu_count(),
        "cpu_model": model,
        "memory_gib": round(memory_kib / 1024 / 1024, 1),
        "python": sys.version.split()[0],
        "implementation": sys.implementation.name,
        "platform": sys.platform,
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        **load_now(),
    }


_BUSY_SHARE = 0.05  # a process using at least 5 % of a core during the sample counts as busy
_SAMPLE_SECONDS = 1.0


def _cpu_times() -> tuple[int, int]:
    """(idle + iowait, total) jiffies of all CPUs, from the first line of /proc/stat."""
    values = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    return values[3] + values[4], sum(values)


def _all_cpu() -> dict[int, float]:
    used: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                used[int(entry.name)] = cpu_seconds(int(entry.name))
            except (OSError, ValueError, IndexError):
                continue
    return used


def load_now() -> dict[str, Any]:
    """What else the machine was doing when the run started, over one second: the CPUs' idle share, and
    how many other processes used at least 5 % of a core (the load average lags by minutes)."""
    try:
        idle_before, total_before = _cpu_times()
        cpu_before = _all_cpu()
        time.sleep(_SAMPLE_SECONDS)
        idle_after, total_after = _cpu_times()
        cpu_after = _all_cpu()
    except (OSError, ValueError, IndexError):
        return {}
    busy = [
        pid
        for pid, seconds in cpu_after.items()
        if pid != os.getpid() and seconds - cpu_before.get(pid, 0.0) >= _BUSY_SHARE * _SAMPLE_SECONDS
    ]
    total = total_after - total_before
    return {
        "cpu_idle_percent_at_start": round(100 * (idle_after - idle_before) / total, 1) if total else None,
        "busy_processes_at_start": len(busy),
    }


# --- processes --------------------------------------------------------------------------------------------


@dataclass
class ServerProcess:
    """A process the harness started; `stop` ends exactly this one (SIGTERM, then SIGKILL)."""

    name: str
    argv: list[str]
    env: dict[str, str]
    log_path: Path
    port: int | None = None
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    def start(self) -> ServerProcess:
        log = self.log_path.open("wb")
        try:
            self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and modules
                self.argv, env=self.env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log
            )
        finally:
            log.close()
        return self

    @property
    def pid(self) -> int:
        assert self.process is not None, f"{self.name} was not started"
        return self.process.pid

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def wait_listening(self, timeout: float = 60) -> None:
        """Until the port accepts TCP connections (the process must stay alive meanwhile)."""
        assert self.port is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive():
                raise RuntimeError(f"{self.name} exited while starting:\n{self.log_tail()}")
            try:
                with socket.create_connection((LOOPBACK, self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.05)
        raise TimeoutError(f"{self.name} did not listen on {self.port} within {timeout} s:\n{self.log_tail()}")

    def stop(self, timeout: float = 15) -> None:
        """SIGTERM (then SIGKILL) to this process; then any of its descendants that outlived it (worker
        processes whose parent did not reap them) are killed by pid, as read just before the stop."""
        if self.process is None or self.process.poll() is not None:
            return
        descendants = process_tree(self.process.pid)[1:]
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        for pid in descendants:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def simulator_process(log_dir: Path, *, floor: int | None = None, admin: bool = False) -> ServerProcess:
    """`ccc-mcp simulator` as its own process, request log off (warnings only); with `floor`, plus instance
    ccc-floor of that many agents (`--floor`); with `admin`, its admin API (request counts, fault rules)."""
    port = free_port()
    argv = [PYTHON, "-m", "ccc_mcp", "simulator", "--port", str(port), "--log-level", "warning"]
    name = "simulator"
    if floor is not None:
        argv += ["--floor", str(floor)]
        name = f"simulator-floor-{floor}"
    if admin:
        argv.append("--admin")
    return ServerProcess(name, argv, child_env(), log_dir / f"{name}.log", port)


def sim_endpoint(sim: ServerProcess) -> str:
    return f"http://{LOOPBACK}:{sim.port}"

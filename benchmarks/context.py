"""How big a run is (full or --quick), and what every section gets: the shared simulator and a log dir."""

from __future__ import annotations

import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from benchmarks.common import ServerProcess, sim_endpoint


@dataclass(frozen=True)
class Sizes:
    """Iteration counts. Every section interleaves its variants round by round."""

    cold_rounds: int = 15
    cold_warmup: bool = True
    stdio_rounds: int = 7
    stdio_calls: int = 300
    stdio_warmup: int = 100
    http_rounds: int = 3
    http_seconds: float = 4.0
    http_warmup: int = 300
    http_concurrency: tuple[int, ...] = (1, 8, 32, 64)
    fleet_rounds: int = 3
    fleet_seconds: float = 4.0
    fleet_warmup: int = 300
    fleet_concurrency: int = 32
    memory_rounds: int = 3
    memory_calls: int = 10_000
    memory_warmup: int = 500
    memory_concurrency: int = 8
    sim_rounds: int = 3
    sim_seconds: float = 3.0
    sim_concurrency: tuple[int, ...] = (1, 32, 64)
    floor_agents: int = 1000
    floor_concurrency: tuple[int, ...] = (1, 16)
    hot_rounds: int = 5
    calls_floors: tuple[int, ...] = (50, 200, 1000)
    calls_rounds: int = 5
    calls_per_round: int = 3
    calls_min_requests: int = 1500  # a round of a small floor repeats its list_calls to send at least this many
    calls_warmup: int = 2
    calls_sim_seconds: float = 1.0
    calls_throttled_floor: int = 200
    calls_throttled_rounds: int = 3
    calls_throttle_rate: float = 40.0  # PollUserStatus a second the simulator lets through, below the pace of 50

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


FULL = Sizes()
QUICK = Sizes(
    cold_rounds=1,
    cold_warmup=False,
    stdio_rounds=2,
    stdio_calls=10,
    stdio_warmup=5,
    http_rounds=1,
    http_seconds=0.3,
    http_warmup=10,
    fleet_rounds=1,
    fleet_seconds=0.3,
    fleet_warmup=10,
    memory_rounds=1,
    memory_calls=200,
    memory_warmup=20,
    sim_rounds=1,
    sim_seconds=0.3,
    hot_rounds=1,
    calls_floors=(50,),
    calls_rounds=2,
    calls_per_round=1,
    calls_min_requests=0,
    calls_warmup=1,
    calls_sim_seconds=0.2,
    calls_throttled_floor=50,
    calls_throttled_rounds=1,
    calls_throttle_rate=20.0,  # 32 polls at 50/s meet a rate of 40 too late to be refused
)


@dataclass
class Context:
    sizes: Sizes
    log_dir: Path
    simulator: ServerProcess
    quiet: bool = False
    _started: float = 0.0

    @property
    def sim_endpoint(self) -> str:
        return sim_endpoint(self.simulator)

    def progress(self, message: str) -> None:
        """One line on stderr, so stdout carries only the table."""
        if self.quiet:
            return
        if not self._started:
            self._started = time.monotonic()
        print(f"[{time.monotonic() - self._started:6.1f}s] {message}", file=sys.stderr, flush=True)

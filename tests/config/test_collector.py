"""A serving process holds its garbage collector while it starts and settles it once start-up is over: what
start-up built is frozen out of every later collection, and young collections wait for 5,000 allocations
instead of 700."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from ccc_mcp.config.collector import YOUNG_THRESHOLD, hold_collector, settle_collector


@pytest.fixture
def restored_collector() -> Iterator[None]:
    """This test process's collector as it was, afterwards."""
    thresholds = gc.get_threshold()
    gc.unfreeze()  # nothing frozen by an earlier test hides what this one freezes
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)
    gc.enable()


def test_settling_freezes_what_start_up_built_and_raises_only_the_young_threshold(restored_collector: None) -> None:
    built_at_start_up = [[index] for index in range(1_000)]  # lists: always tracked by the collector
    assert _tracked(built_at_start_up) == len(built_at_start_up)
    _, middle, old = gc.get_threshold()
    settle_collector()
    assert gc.get_threshold() == (YOUNG_THRESHOLD, middle, old)
    assert _tracked(built_at_start_up) == 0, "start-up's objects are out of every collection"


def test_while_held_no_collection_runs_by_itself_and_settling_switches_collection_back_on(
    restored_collector: None,
) -> None:
    """Counted in allocations, not time: held, a cycle outlives many young thresholds' worth; settled, the
    collector runs again (the held cycle is start-up's now, frozen with the rest), and a new cycle goes."""
    hold_collector()
    made_while_starting = weakref.ref(_Cycle())
    held = [[] for _ in range(10 * YOUNG_THRESHOLD)]
    assert made_while_starting() is not None, f"collected during start-up, {len(held)} allocations after the hold"
    settle_collector()
    made_while_serving = weakref.ref(_Cycle())
    settled = [[] for _ in range(3 * YOUNG_THRESHOLD)]
    assert made_while_serving() is None, f"still there {len(settled)} allocations after settling: is collection off?"


class _Cycle:
    def __init__(self) -> None:
        self.me = self


def _tracked(objects: list[list[int]]) -> int:
    """How many of `objects` a collection would walk (frozen ones are not in gc.get_objects())."""
    walked = {id(obj) for obj in gc.get_objects()}
    return sum(id(obj) in walked for obj in objects)


def test_cyclic_garbage_made_while_serving_is_still_collected_without_being_asked(restored_collector: None) -> None:
    """Counted in allocations, not time: within a few young thresholds' worth, a cycle is gone."""
    settle_collector()

    class Node:
        def __init__(self) -> None:
            self.me = self

    probe = weakref.ref(Node())
    assert probe() is not None, "a cycle outlives its last reference until a collection"
    allocated = [[] for _ in range(3 * YOUNG_THRESHOLD)]
    assert probe() is None, f"still there after {len(allocated)} allocations: is automatic collection off?"

"""The end of a pool's run: its workers are stopped together, not one by one."""

from __future__ import annotations

from multiprocessing import connection, process
from typing import Any

import pytest

from melcli import runners
from melcli.runners import ProcessRunner


def _double(x: int) -> int:
    return 2 * x


def test_every_worker_is_told_to_stop_before_the_first_is_waited_for(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A worker's exit takes milliseconds (its memory given back): waited for
    # one after the other, the run's end paid each in turn.
    told = 0
    told_at_joins: list[int] = []
    send, join = connection.Connection.send, process.BaseProcess.join

    def counting_send(self: Any, obj: Any) -> None:
        nonlocal told
        if isinstance(obj, str) and obj == runners._STOP:
            told += 1
        send(self, obj)

    def noting_join(self: Any, timeout: float | None = None) -> None:
        told_at_joins.append(told)
        join(self, timeout)

    monkeypatch.setattr(connection.Connection, "send", counting_send)
    monkeypatch.setattr(process.BaseProcess, "join", noting_join)
    pool = ProcessRunner(2, preload=())
    outcomes = dict(pool.run(_double, range(8)))
    assert outcomes == {x: 2 * x for x in range(8)}
    assert told == 2  # two workers started, both told
    assert told_at_joins
    assert min(told_at_joins) == 2, told_at_joins


class _FakeWorker:
    """A worker without a process: it holds items, and finishes them when told."""

    def __init__(self, *args: Any) -> None:
        self.alive = True
        self.started = False
        self.items: list[int] = []
        self.unsent: list[int] = []
        self.given: list[int] = []

    def left(self) -> int:
        return len(self.items)

    def give(self, item: int) -> None:
        self.items.append(item)
        self.unsent.append(item)
        self.given.append(item)

    def send(self) -> None:
        self.unsent = []
        self.started = True

    def finish(self, n: int) -> None:
        del self.items[:n]


@pytest.mark.parametrize("n_items", range(40, 80, 3))
@pytest.mark.parametrize("ahead", [1, 2, 3, 4])
def test_the_last_items_are_shared_so_that_the_workers_finish_together(
    n_items: int, ahead: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Short items: each worker holds several (9 here), and is given more once
    # down to half. Given a whole depth of the last items, one worker went on
    # alone for up to half a depth of items while the other had none.
    monkeypatch.setattr(runners, "_Worker", _FakeWorker)
    monkeypatch.setattr(runners, "COLLECT_EVERY", 0.02)  # the depth of 9 below
    pool = ProcessRunner(2, preload=())
    pace = runners._Pace()
    pace.seconds = 0.012
    assert (pace.depth(), pace.low()) == (9, 4)
    items = runners.CountedItems(iter(range(n_items)), n_items)
    supply = runners._Supply(items, n_items)
    workers: list[Any] = []
    pool._hand_out(None, _double, supply, workers, pace)
    assert [w.left() for w in workers] == [9, 9]
    # The workers run at one pace, one of them ``ahead`` by a few items; the
    # parent hands out more after each item, until none are left to give.
    rounds = 0
    while not supply.exhausted:
        rounds += 1
        for worker in workers:
            worker.finish(1)
        if rounds == 3:
            workers[0].finish(ahead)
        pool._hand_out(None, _double, supply, workers, pace)
    held = sorted(w.left() for w in workers)
    assert held[1] - held[0] <= 1, held
    given = sorted(item for worker in workers for item in worker.given)
    assert given == list(range(n_items))  # each given once

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

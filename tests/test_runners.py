"""The local pool: one item per worker, dead workers replaced."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator

from melcli.runners import ProcessRunner


def _return_then_die(item: str) -> str:
    """Return ``item``; for ``"dies-idle"``, SIGKILL this worker soon after."""
    if item == "dies-idle":
        threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGKILL)).start()
    return item


def _with_a_pause(items: list[str], seconds: float) -> Iterator[str]:
    for item in items:
        yield item
        time.sleep(seconds)  # the next item comes after the worker has died


def test_a_worker_that_dies_while_idle_is_replaced() -> None:
    runner = ProcessRunner(1, preload=())
    items = _with_a_pause(["dies-idle", "next", "last"], 1.0)
    outcomes = dict(runner.run(_return_then_die, items))
    assert outcomes == {"dies-idle": "dies-idle", "next": "next", "last": "last"}

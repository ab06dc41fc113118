"""A gallery worker that does not leave on SIGTERM does not hold its command forever.

Ctrl-C in ``melcli gallery -j 2`` stops the page workers with SIGTERM, then
the pool's shutdown waits for each. One that did not leave (its exit lost in
a finalizer, the signal still blocked at its start, C code that does not
return) kept the command waiting: a CI run under load hung there.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import threading
import time
from typing import Any

import pytest

from melcli import gallery

needs_fork = pytest.mark.skipif(
    "fork" not in multiprocessing.get_all_start_methods(), reason="needs fork"
)

#: Seconds the stop may take: a second's grace, then SIGKILL (a busy machine).
STOP_LIMIT = 60.0
_FORK = multiprocessing.get_context("fork")


class _DeafPages:
    """Pages of which one never ends, in a worker that ignores SIGTERM."""

    def __init__(self) -> None:
        self.stuck = _FORK.Event()
        self.pids = _FORK.Array("i", 64)
        self.taken = _FORK.Value("i", 0)

    def page(self, chunk: list[str], group: list[str]) -> Any:
        with self.taken.get_lock():
            self.pids[self.taken.value % 64] = os.getpid()
            self.taken.value += 1
        if chunk == ["stuck"]:
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            self.stuck.set()
            time.sleep(600)
        return gallery._PageDone(records=[{} for _ in chunk])


@needs_fork
def test_ctrl_c_with_a_worker_deaf_to_sigterm_ends_the_pages() -> None:
    pages = _DeafPages()
    # Not the first page: pages are yielded in order, Ctrl-C comes after one.
    chunks = [["stuck"] if k == 9 else ["page"] for k in range(40)]
    groups: list[list[str]] = [[] for _ in chunks]
    stuck_first = threading.Event()
    ended: list[BaseException] = []

    def progress(done: int, total: int) -> None:
        if done == 0:  # called before the first page: no worker yet
            return
        stuck_first.wait(STOP_LIMIT)
        raise KeyboardInterrupt  # Ctrl-C, once one worker is stuck

    def make() -> None:
        made = gallery._make_pages(
            pages,  # type: ignore[arg-type]
            chunks,
            groups,
            jobs=2,
            progress=progress,
        )
        try:
            for _ in made:
                pass
        except BaseException as exc:  # what ended it is asserted
            ended.append(exc)

    thread = threading.Thread(target=make, daemon=True)
    thread.start()
    assert pages.stuck.wait(STOP_LIMIT)
    stuck_first.set()
    thread.join(STOP_LIMIT)
    workers = {pid for pid in pages.pids if pid}
    try:
        assert not thread.is_alive(), "the pages waited for a worker that did not leave"
    finally:
        for pid in workers:  # the old code's: leave no process behind
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
    assert [type(e) for e in ended] == [KeyboardInterrupt]

"""Process-level settings of the runners (the pool itself is tested through the CLI)."""

from __future__ import annotations

import os
import platform
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import pytest

from melcli.runners import MALLOC_SETTINGS, ProcessRunner

PROBE = (
    "import os; from melcli.runners import tune_allocator; "
    "print(tune_allocator(), os.environ.get('MALLOC_MMAP_THRESHOLD_'))"
)

glibc_only = pytest.mark.skipif(
    sys.platform != "linux" or platform.libc_ver()[0] != "glibc",
    reason="the allocator settings are glibc's",
)


def probe(**extra: str) -> list[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    done = subprocess.run(
        [sys.executable, "-c", PROBE],
        env={**env, **extra},
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.split()


@glibc_only
def test_tune_allocator_applies_and_passes_settings_to_new_processes() -> None:
    # The environment is what a fork server or a spawned worker reads at start.
    assert probe() == ["True", str(MALLOC_SETTINGS["MALLOC_MMAP_THRESHOLD_"])]


@glibc_only
def test_tune_allocator_leaves_the_users_settings_alone() -> None:
    assert probe(MALLOC_MMAP_THRESHOLD_="131072") == ["False", "131072"]
    assert probe(MALLOC_TRIM_THRESHOLD_="65536") == ["False", "None"]


def _work(x: int) -> int:
    if x == 2:
        os.kill(os.getpid(), signal.SIGKILL)
    if x == 4:
        time.sleep(60)
    return x * 10


def test_pool_fails_only_the_item_a_worker_dies_or_hangs_on() -> None:
    # One worker, which holds the next item in its pipe while it works: that
    # item has not started when the worker dies, so it runs on a fresh one.
    runner = ProcessRunner(1, preload=[], timeout=1.0)
    got = dict(runner.run(_work, range(7)))

    assert sorted(got) == list(range(7))
    ok = {k: v for k, v in got.items() if not isinstance(v, BaseException)}
    assert ok == {0: 0, 1: 10, 3: 30, 5: 50, 6: 60}
    assert str(got[2]).startswith("worker process died (killed by SIGKILL")
    assert str(got[4]).startswith("timed out after 1 s")


def _return_then_die(item: str) -> str:
    """Return ``item``; for ``"dies-idle"``, SIGKILL this worker soon after."""
    if item == "dies-idle":
        threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGKILL)).start()
    return item


def _with_a_pause(items: list[str], seconds: float) -> Iterator[str]:
    for item in items:
        yield item
        time.sleep(seconds)  # the next item comes after the worker has died


def test_a_worker_found_dead_when_given_an_item_is_replaced() -> None:
    runner = ProcessRunner(1, preload=())
    items = _with_a_pause(["dies-idle", "next", "last"], 1.0)
    outcomes = dict(runner.run(_return_then_die, items))
    assert outcomes == {"dies-idle": "dies-idle", "next": "next", "last": "last"}

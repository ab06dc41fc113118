"""A run is not refused for a lock a reader held a moment.

The data loader and the gallery ask whether a run writes OUT by taking its
lock shared for microseconds (``outdir.writer_of``). A ``melcli mel``
starting in that instant was refused as "another melcli run"; it now tries
again for a tenth of a second. A run's lock, held as long as it runs, is
still refused.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

import pytest

from melcli import outdir
from melcli.errors import UsageError


def test_a_lock_held_a_moment_is_waited_for(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = fcntl.flock
    refused = []

    def busy_once(fd: int, operation: int) -> None:
        if operation & fcntl.LOCK_EX and not refused:
            refused.append(operation)
            raise BlockingIOError("held a moment")
        real(fd, operation)

    monkeypatch.setattr(fcntl, "flock", busy_once)
    with outdir.OutputLock(tmp_path):
        assert refused
        assert outdir.writer_of(tmp_path) is not None  # held: by this run


def test_a_run_s_lock_is_still_refused(tmp_path: Path) -> None:
    with outdir.OutputLock(tmp_path):
        fd = os.open(tmp_path / outdir.LOCK_NAME, os.O_RDWR)
        try:
            with pytest.raises(BlockingIOError):
                outdir._flock_soon(fd, fcntl.LOCK_EX)
        finally:
            os.close(fd)
    other = os.open(tmp_path / outdir.LOCK_NAME, os.O_RDWR)
    try:
        fcntl.flock(other, fcntl.LOCK_EX)  # a whole run holds it
        with pytest.raises(UsageError, match="another melcli run"):
            outdir.OutputLock(tmp_path).__enter__()
    finally:
        os.close(other)


def test_a_stop_while_it_waits_leaves_no_descriptor_open(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def stopped(fd: int, operation: int) -> None:
        raise KeyboardInterrupt  # Ctrl-C in the wait between two tries

    monkeypatch.setattr(outdir, "_flock_soon", stopped)
    before = set(os.listdir("/proc/self/fd"))
    with pytest.raises(KeyboardInterrupt):
        outdir.OutputLock(tmp_path).__enter__()
    assert set(os.listdir("/proc/self/fd")) == before

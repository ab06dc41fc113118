"""The lock message names the process that holds OUT's lock, not the file's pid.

A run refused by another's lock said "another melcli run (pid N)" with N
read from ``OUT/.melcli.lock``: the pid the last exclusive holder wrote, if
it could (not over a hard link, nor on a full disk). The file is OUT's:
stale (a killed run's pid: its lock died with it), crafted, or written by
a process of another machine or container. Now the holder is the one the
system says holds the lock (Linux's ``/proc/locks``); where it cannot
tell, the file's pid is said only if such a process runs here, else that
it does not.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import RUN_LIMIT, clean_env, mel, short_tones

from melcli import outdir
from melcli.outdir import LOCK_NAME

pytestmark = pytest.mark.usefixtures("isolated")

_HOLD = """
import fcntl, os, sys
fd = os.open(sys.argv[1], os.O_RDWR)
fcntl.flock(fd, fcntl.LOCK_EX)
print("held", flush=True)
sys.stdin.read()
"""


def _no_such_pid() -> int:
    """A pid no process can have: past the system's largest."""
    return int(Path("/proc/sys/kernel/pid_max").read_text()) + 1


@pytest.fixture
def held(tmp_path: Path) -> Iterator[tuple[Path, Path, int]]:
    """SRC, and OUT whose lock a process holds without writing its pid.

    The file names a pid no process has (a killed run's, stale). Yields
    (SRC, OUT, the holder's pid).
    """
    (tmp_path / "src").mkdir()
    short_tones(tmp_path / "src" / "dogs", 1)
    out = tmp_path / "out"
    assert mel(tmp_path / "src", out).exit_code == 0
    (out / LOCK_NAME).write_text(str(_no_such_pid()))
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLD, str(out / LOCK_NAME)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env=clean_env(),
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline() == "held\n"
        yield tmp_path / "src", out, holder.pid
    finally:
        holder.kill()
        holder.communicate(timeout=RUN_LIMIT)


@pytest.mark.skipif(not Path("/proc/locks").exists(), reason="Linux's /proc/locks")
def test_the_holder_is_named(held: tuple[Path, Path, int]) -> None:
    src, out, pid = held
    result = mel(src, out)
    assert result.exit_code == 2
    assert f"another melcli run (pid {pid}) is writing to" in result.stderr
    assert str(_no_such_pid()) not in result.stderr


def test_a_pid_that_runs_nowhere_is_said_so(
    held: tuple[Path, Path, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where the system does not tell the holder, the file's pid is checked."""
    monkeypatch.setattr(outdir, "_flock_holders", lambda fd: [])
    src, out, _ = held
    result = mel(src, out)
    assert result.exit_code == 2
    dead = _no_such_pid()
    assert f"names pid {dead}, which is not running here" in result.stderr
    assert f"(pid {dead})" not in result.stderr


def test_a_running_pid_in_the_file_is_said(
    held: tuple[Path, Path, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(outdir, "_flock_holders", lambda fd: [])
    src, out, pid = held
    (out / LOCK_NAME).write_text(str(pid))
    result = mel(src, out)
    assert result.exit_code == 2
    assert f"another melcli run (pid {pid}) is writing to" in result.stderr

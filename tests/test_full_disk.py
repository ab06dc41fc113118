"""OUT on a full disk: each command says so in words, never a traceback.

The lock's pid (written only for another run's message) was the first write
into an empty OUT: on a full disk ``melcli mel``, ``stats`` and ``merge``
ended in ``OSError: [Errno 28]`` there, before any file was tried.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest
from conftest import invoke

from melcli import outdir
from melcli.errors import UsageError
from melcli.outdir import LOCK_NAME, OutputLock

pytestmark = pytest.mark.usefixtures("isolated")


@pytest.fixture
def lock_file_full(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make writes into any lock file fail as on a full disk."""
    if not Path("/proc/self/fd").is_dir():
        pytest.skip("needs /proc/self/fd to tell the lock file's descriptor")
    real_write, real_truncate = os.write, os.ftruncate

    def is_lock(fd: int) -> bool:
        return os.readlink(f"/proc/self/fd/{fd}").endswith(LOCK_NAME)

    def write(fd: int, data: bytes) -> int:
        if is_lock(fd):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_write(fd, data)

    def ftruncate(fd: int, length: int) -> None:
        if is_lock(fd) and length:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real_truncate(fd, length)

    monkeypatch.setattr(outdir.os, "write", write)
    monkeypatch.setattr(outdir.os, "ftruncate", ftruncate)


@pytest.mark.usefixtures("lock_file_full")
def test_the_lock_is_held_when_its_pid_cannot_be_written(tmp_path: Path) -> None:
    taken = pytest.raises(UsageError, match=r"another melcli run \(pid \?\)")
    with OutputLock(tmp_path), taken:
        OutputLock(tmp_path).__enter__()
    assert (tmp_path / LOCK_NAME).read_bytes() == b""


@pytest.mark.usefixtures("lock_file_full")
def test_a_run_and_stats_on_a_full_disk_are_lines_not_tracebacks(
    tmp_path: Path, dataset: Path
) -> None:
    out = tmp_path / "out"
    result = invoke("mel", dataset, "-o", out, "-q")  # no traceback (invoke checks)
    assert result.exit_code == 0, result.stderr
    assert list(out.rglob("*.npy"))
    result = invoke("stats", out)
    assert result.exit_code == 0, result.stderr
    assert (out / "stats.npz").is_file()


def test_stats_say_the_manifest_was_not_written_not_no_arrays(
    tmp_path: Path, dataset: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The arrays fit, the manifest did not: --stats said "no arrays".
    from melcli import manifest

    def full(*args: object) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(manifest.Manifest, "_write_store", full)
    monkeypatch.setattr(manifest, "write_entries", full)
    out = tmp_path / "out"
    result = invoke("mel", dataset, "-o", out, "--stats")
    assert result.exit_code == 1
    assert list(out.rglob("*.npy"))
    assert "no arrays" not in result.stderr
    assert (
        f"error: {out / 'stats.npz'}: not written: the manifest does not record "
        "this run's arrays (it could not be written)\n"
    ) in result.stderr
    assert not (out / "stats.npz").exists()

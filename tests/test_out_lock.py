"""OUT's lock file is OUT's: what it holds is never said as it is."""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import WriteAudio, invoke

import melcli
from melcli.outdir import LOCK_NAME

pytestmark = pytest.mark.usefixtures("isolated")


@pytest.fixture
def src(write_audio: WriteAudio, tmp_path: Path) -> Path:
    write_audio("a.wav")
    return tmp_path / "audio"


@contextlib.contextmanager
def held(out: Path, content: bytes) -> Iterator[None]:
    """Hold OUT's lock, as another run would, with ``content`` in the file."""
    out.mkdir(exist_ok=True)
    fd = os.open(out / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        os.ftruncate(fd, 0)
        os.write(fd, content)
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


@pytest.mark.parametrize(
    "content",
    [b"9\nerror: audio/x.wav: forged", b"\x1b[2J12", b"12 34", b"\xff\xfe", b"-5"],
)
def test_a_crafted_pid_in_a_held_lock_is_not_said(
    src: Path, tmp_path: Path, content: bytes
) -> None:
    out = tmp_path / "out"
    with held(out, content):
        result = invoke("mel", src, "-o", out)
        assert result.exit_code == 2
        assert result.stderr.count("\n") == 1  # one line, nothing forged
        assert "another melcli run (pid ?) is writing to" in result.stderr
        with pytest.raises(melcli.UsageError, match=r"\(pid \?\)"):
            melcli.run([src], out)


def test_the_pid_of_the_run_holding_the_lock_is_said(src: Path, tmp_path: Path) -> None:
    # The holder is this process, and the file names it: a pid that runs.
    # (The system's word on who holds it, and a pid that does not run: see
    # test_hostile_out_36_lock_holder.py.)
    out = tmp_path / "out"
    with held(out, f"{os.getpid()}\n".encode()):
        result = invoke("mel", src, "-o", out)
        assert result.exit_code == 2
        assert f"another melcli run (pid {os.getpid()}) is writing to" in result.stderr

"""A ``--files-from`` list that never ends is refused, not read until memory runs out.

The list was read whole into memory: ``--files-from /dev/zero`` (or
``/dev/urandom``, a disk, ``yes | melcli mel --files-from -``) grew without
end until the process was killed. A device whose reads may not end is
refused at once (``/dev/null`` and a terminal end, and are read); any list
is read in blocks up to :data:`melcli.filelist.MAX_LIST_BYTES`.
"""

from __future__ import annotations

import io
import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from melcli import filelist
from melcli.errors import UsageError

#: Address space allowed the command under test: enough for a run, and the
#: old code's read of /dev/zero fails fast (MemoryError) instead of
#: exhausting the machine.
_MEMORY = 4 << 30


def _limited() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (_MEMORY, _MEMORY))


def _melcli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "melcli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
        preexec_fn=_limited,
        check=False,
    )


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="no /dev/zero")
@pytest.mark.parametrize("command", ["mel", "info"])
def test_an_endless_device_is_refused(tmp_path: Path, command: str) -> None:
    out = ["-o", "out"] if command == "mel" else []
    run = _melcli(command, "--files-from", "/dev/zero", *out, cwd=tmp_path)
    assert run.returncode == 2, run.stderr
    assert "cannot read /dev/zero: a device, not a list" in run.stderr
    assert "Traceback" not in run.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.skipif(not os.path.exists(os.devnull), reason="no /dev/null")
def test_dev_null_is_an_empty_list(tmp_path: Path) -> None:
    run = _melcli("mel", "--files-from", os.devnull, "-o", "out", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert run.stderr.splitlines()[-1] == "0 written."


def test_a_list_longer_than_the_limit_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(filelist, "MAX_LIST_BYTES", 10_000, raising=False)
    lines = b"".join(b"a%06d.wav\n" % n for n in range(5_000))  # 55 000 bytes
    stream = io.TextIOWrapper(io.BytesIO(lines), encoding="utf-8")
    with pytest.raises(UsageError, match=r"^cannot read .*more than 0 MiB"):
        filelist.read_list(stream)


def test_a_list_within_the_limit_is_read(tmp_path: Path) -> None:
    (tmp_path / "a.wav").write_bytes(b"")
    (tmp_path / "list.txt").write_text("a.wav\nmissing.wav\n")
    listed = filelist.read_list(tmp_path / "list.txt")
    assert [item.rel for item in listed.files] == ["a.wav"]
    assert len(listed.problems) == 1


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="no /dev/zero")
def test_the_api_refuses_it_too(tmp_path: Path) -> None:
    code = (
        "import melcli\n"
        "try:\n"
        "    melcli.run([], 'out', files_from='/dev/zero')\n"
        "except melcli.UsageError as exc:\n"
        "    print(exc)\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=300,
        preexec_fn=_limited,
        check=False,
    )
    assert run.stdout == "cannot read /dev/zero: a device, not a list\n", run.stderr

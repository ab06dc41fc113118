"""An SRC named on the command line that cannot be read fails as one input.

click's ``Path(exists=True)`` also checks that the path is readable, and
made an unreadable file or folder named directly a usage error (exit 2,
nothing converted), where the same file in a folder, and the same call of
``melcli.run``, fail that input alone (``permission denied``) and go on.

The test runs melcli without the capabilities that let root read any file
(``setpriv``): as a user root's files would be unreadable to, without
needing a user who can run this Python.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

SR = 8000
#: Root without the capabilities that bypass file permissions.
_DROP = [
    "setpriv",
    "--bounding-set=-dac_override,-dac_read_search",
    "--inh-caps=-dac_override,-dac_read_search",
]


def _unprivileged(locked: Path) -> list[str]:
    """Return the prefix that runs a command unable to read ``locked``."""
    if os.geteuid() != 0:
        return []
    if shutil.which("setpriv") is None:
        pytest.skip("running as root, and setpriv (to drop its privileges) is missing")
    check = subprocess.run(
        [*_DROP, "cat", str(locked)], capture_output=True, check=False
    )
    if check.returncode == 0:
        pytest.skip("running as root, and its privileges cannot be dropped here")
    return _DROP


def _melcli(prefix: list[str], *args: object, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*prefix, sys.executable, "-m", "melcli", *(str(a) for a in args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
        check=False,
    )


@pytest.fixture
def src(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    (src / "locked").mkdir(parents=True)
    tone = (0.3 * np.sin(np.arange(SR // 2) * 0.05)).astype(np.float32)
    for name in ("ok.wav", "secret.wav", "locked/inside.wav"):
        sf.write(src / name, tone, SR)
    (src / "secret.wav").chmod(0)
    (src / "locked").chmod(0)
    (tmp_path / "out").mkdir()
    yield src
    (src / "locked").chmod(0o755)


def test_unreadable_file_and_folder_named_directly_fail_alone(src: Path) -> None:
    prefix = _unprivileged(src / "secret.wav")
    run = _melcli(
        prefix,
        "mel",
        "src/secret.wav",
        "src/locked",
        "src/ok.wav",
        "-o",
        "out/a",
        cwd=src.parent,
    )
    assert run.returncode == 1, run.stderr
    lines = run.stderr.splitlines()
    assert "error: src/secret.wav: permission denied" in lines
    assert "error: src/locked: cannot read folder: permission denied" in lines
    assert lines[-1] == "1 written, 2 failed."
    assert sorted(p.name for p in (src.parent / "out" / "a").glob("*.npy")) == [
        "ok.npy"
    ]


def test_info_reads_the_rest_when_a_named_file_is_unreadable(src: Path) -> None:
    prefix = _unprivileged(src / "secret.wav")
    run = _melcli(prefix, "info", "src/secret.wav", "src/ok.wav", cwd=src.parent)
    assert run.returncode == 1, run.stderr
    assert "error: src/secret.wav: permission denied" in run.stderr.splitlines()
    assert "src/ok.wav" in run.stdout

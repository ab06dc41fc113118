"""A command whose stdout cannot be written (``> /dev/full``) says so in one line.

Writing to a full disk raised ``OSError: [Errno 28] No space left on device``
out of click's ``echo``, as a traceback. Now every command ends with
``Error: cannot write to standard output: ...`` and exit status 1, while a
reader closing the pipe early still ends quietly with 141.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

FULL = "/dev/full"

pytestmark = pytest.mark.skipif(
    not os.path.exists(FULL), reason="no /dev/full on this system"
)


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    with open(FULL, "w") as full:
        return subprocess.run(
            [sys.executable, "-m", "melcli", *args],
            cwd=cwd,
            env=env,
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            timeout=300,
        )


@pytest.mark.parametrize(
    "args",
    [
        ["presets"],
        ["--version"],
        ["--help"],
        ["mel", "--help"],
        ["info", "a.wav"],
        ["info", "--json", "a.wav"],
        ["mel", "a.wav", "-o", "out", "--dry-run", "--json"],
    ],
)
def test_a_full_stdout_is_one_line_and_status_1(
    tmp_path: Path, args: list[str]
) -> None:
    sf.write(tmp_path / "a.wav", np.full(8000, 0.1, np.float32), 8000)
    done = _run(args, tmp_path)
    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode == 1, done.stderr
    lines = [line for line in done.stderr.splitlines() if "standard output" in line]
    assert lines == [
        "Error: cannot write to standard output: No space left on device"
    ], done.stderr


def test_an_error_elsewhere_is_not_taken_for_stdout(tmp_path: Path) -> None:
    """A run writing nothing to stdout is not touched: its arrays, its status."""
    sf.write(tmp_path / "a.wav", np.full(8000, 0.1, np.float32), 8000)
    done = _run(["mel", "a.wav", "-o", "out", "-q"], tmp_path)
    assert done.returncode == 0, done.stderr
    assert "standard output" not in done.stderr
    assert (tmp_path / "out" / "a.npy").is_file()

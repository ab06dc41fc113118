"""A command started with its stdout closed (``>&-``) ends without a traceback.

Python sets ``sys.stdout`` to None when fd 1 is closed at start; the exit
path flushed it and died with ``AttributeError: 'NoneType' object has no
attribute 'flush'``, after the run itself had finished.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf


@pytest.mark.parametrize(
    "args", [["presets"], ["info", "--json", "a.wav"], ["mel", "a.wav", "-o", "out"]]
)
def test_a_closed_stdout_ends_without_a_traceback(
    tmp_path: Path, args: list[str]
) -> None:
    sf.write(tmp_path / "a.wav", np.full(8000, 0.1, np.float32), 8000)
    command = shlex.join([sys.executable, "-m", "melcli", *args])
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    done = subprocess.run(
        ["sh", "-c", f"{command} >&-"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode == 0, done.stderr

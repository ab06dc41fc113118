"""A command started with stdin, stdout or stderr closed does its work.

With stderr closed (``2>&-``, as some cron and CI set-ups start programs),
Python leaves ``sys.stderr`` None and the run stopped at its progress line:
status 1, nothing written, not a word. A closed descriptor is also the next
one a run opens, so a library writing to "stderr" would have written into an
array or the store. Each closed one now points at /dev/null.
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
from conftest import RUN_LIMIT


@pytest.mark.parametrize("closed", ["2>&-", ">&- 2>&-", "<&- 2>&-", "<&- >&-"])
@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_run_with_closed_standard_streams_writes_every_array(
    tmp_path: Path, closed: str, jobs: str
) -> None:
    for i in range(3):
        sf.write(tmp_path / f"a{i}.wav", np.full(8000, 0.1 * (i + 1), np.float32), 8000)
    command = shlex.join(
        [sys.executable, "-m", "melcli", "mel", ".", "-o", "out", "-j", jobs]
    )
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    done = subprocess.run(
        ["sh", "-c", f"{command} {closed}"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=RUN_LIMIT,
    )

    assert done.returncode == 0
    for i in range(3):
        array = np.load(tmp_path / "out" / f"a{i}.npy")
        assert array.dtype == np.float32
        assert array.ndim == 2
    lines = (tmp_path / "out" / "manifest.jsonl").read_text().splitlines()
    assert len(lines) == 3

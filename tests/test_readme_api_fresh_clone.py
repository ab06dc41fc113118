"""The README's *Python API* example runs in a fresh clone, with nothing added.

It ended with ``melcli.run([], "features/", files_from="meta.csv",
root="audio/")`` and a run of ``audio/``: a newcomer pasting it at the top of
a fresh clone got ``UsageError: cannot read meta.csv: no such file or
directory`` (the README test ran it beside a ``meta.csv`` and ``audio/`` it
made). Run here in a folder holding a copy of sample_audio/ and nothing else.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO, SAMPLE_AUDIO


def python_api_block() -> str:
    readme = (REPO / "README.md").read_text()
    section = readme[readme.index("## Python API") :]
    return section.split("```python\n", 1)[1].split("```", 1)[0]


@pytest.mark.slow  # a whole process, runs of sample_audio/
def test_the_example_needs_only_the_clone(tmp_path: Path) -> None:
    shutil.copytree(SAMPLE_AUDIO, tmp_path / "sample_audio")
    done = subprocess.run(
        [sys.executable, "-c", python_api_block()],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert (tmp_path / "shards" / "stats.npz").is_file()

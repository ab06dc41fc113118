"""The README's *Python API* example runs as shown, and prints what it says.

A newcomer pastes it at the top of a fresh clone: every name must exist, and
each ``print(...)  # TEXT`` must print TEXT (a trailing ``  (...)`` aside,
which explains it). Run in a folder holding a copy of sample_audio/, and the
``audio/`` and ``meta.csv`` its last lines name.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO, SAMPLE_AUDIO

#: ``print(...)  # what it prints`` (then, optionally, ``  (a note)``).
PRINTS = re.compile(r"^print\(.*\)\s+# (.+?)(?:  \(.*\))?$")


def python_api_block() -> str:
    readme = (REPO / "README.md").read_text()
    section = readme[readme.index("## Python API") :]
    return section.split("```python\n", 1)[1].split("```", 1)[0]


def test_the_block_says_what_its_prints_show() -> None:
    block = python_api_block()
    expected = [m[1] for line in block.splitlines() if (m := PRINTS.match(line))]
    assert expected == [
        "8 written, 2 skipped.",
        "0 written, 8 up to date, 2 skipped.",
        "8 []",
        "0 to build, 8 up to date, 2 skipped (dry run: nothing written, nothing "
        "decoded).",
    ]


@pytest.mark.slow  # a whole process, runs of sample_audio/
def test_the_python_api_example_runs_as_shown(tmp_path: Path) -> None:
    block = python_api_block()
    shutil.copytree(SAMPLE_AUDIO, tmp_path / "sample_audio")
    shutil.copytree(SAMPLE_AUDIO / "speech", tmp_path / "audio")
    (tmp_path / "meta.csv").write_text(
        "path,label\n"
        + "".join(f"{p.name},speech\n" for p in sorted((tmp_path / "audio").iterdir()))
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [sys.executable, "-c", block],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    expected = [m[1] for line in block.splitlines() if (m := PRINTS.match(line))]
    assert done.stdout.splitlines() == expected
    assert sorted(p.name for p in (tmp_path / "shards").glob("shard-*.tar")) == [
        "shard-000000.tar"
    ]

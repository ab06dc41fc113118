"""No early fork server where ``MELCLI_JOBS`` or a config file says one job.

``-j 1`` on the command line was seen; ``MELCLI_JOBS=1`` or ``jobs = 1`` in a
config file were not: every such run forked the server, which imported numpy
and the pipeline on the other core, and stopped it unused.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from melcli import _zygote

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux") or sys.version_info >= (3, 12),
    reason="the early server replaces forked workers: Linux, Python 3.11",
)


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith("MELCLI_"):
            monkeypatch.delenv(name)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1})
    return tmp_path


def _wanted(*more: str) -> bool:
    return _zygote.wanted(["mel", "a", "-o", "out", *more])


@pytest.mark.parametrize(
    ("value", "expected"), [("1", False), ("0", False), ("2", True)]
)
def test_melcli_jobs(
    here: Path, monkeypatch: pytest.MonkeyPatch, value: str, expected: bool
) -> None:
    assert _wanted()
    monkeypatch.setenv("MELCLI_JOBS", value)
    assert _wanted() is expected
    assert _wanted("-j", "2")  # the command line first, as click reads them


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[tool.melcli]\njobs = 1\n", False),
        ('[tool.melcli]\nn_mels = 64\n"jobs" = "1"\n', False),
        ("[tool.melcli]\njobs = 2\n", True),
        ("[tool.melcli]\nn_mels = 64\n", True),
        # A guess by the words: another table's line costs a head start, no more.
        ("[tool.melcli]\nn_mels = 64\n[tool.other]\njobs = 1\n", False),
        ("[tool.other]\njobs = 1\n", True),  # no melcli table: not read
        ("[project]\nname = 'x'\n", True),
    ],
)
def test_pyproject(here: Path, text: str, expected: bool) -> None:
    (here / "pyproject.toml").write_text(text)
    assert _wanted() is expected


def test_config_file(here: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (here / "melcli.toml").write_text("jobs = 1\n")
    assert not _wanted("--config", "melcli.toml")
    assert not _wanted("--config=melcli.toml")
    monkeypatch.setenv("MELCLI_JOBS", "2")  # before a config file's
    assert _wanted("--config", "melcli.toml")


def test_a_fifo_in_its_place_is_not_read(here: Path) -> None:
    os.mkfifo(here / "pyproject.toml")
    assert _wanted()  # returns: opening the FIFO to read would wait for a writer

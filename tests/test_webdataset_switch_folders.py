"""Switching OUT to ``--format webdataset`` leaves no empty class folders.

The arrays of an OUT written as ``.npy`` files go into tar shards at the
first ``--format webdataset`` run, and their files are deleted: their
folders (``dogs/``, ``birds/deep/``) stayed behind, empty. Now a folder that
this leaves empty is deleted too, up to OUT; one that holds anything else
(an input the run leaves out, a file of the user's), or that the run did not
empty, stays.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import mel, tone

pytestmark = pytest.mark.usefixtures("isolated")


def folders(out: Path) -> list[str]:
    return sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_dir())


def test_the_folders_the_switch_empties_are_deleted(
    write_audio, tmp_path: Path
) -> None:
    write_audio("dogs/a.wav")
    write_audio("birds/deep/c.wav", tone(900.0))
    out = tmp_path / "out"
    assert mel(tmp_path / "audio", out, "--png").exit_code == 0
    (out / "mine").mkdir()  # the user's, empty: not the run's to delete

    result = mel(tmp_path / "audio", out, "--format", "webdataset")

    assert result.exit_code == 0, result.stderr
    assert folders(out) == ["mine"]
    assert mel(tmp_path / "audio", out).stderr == "2 written.\n"  # and back
    assert folders(out) == ["birds", "birds/deep", "dogs", "mine"]


def test_a_folder_left_holding_anything_stays(write_audio, tmp_path: Path) -> None:
    write_audio("dogs/a.wav")
    write_audio("dogs/b.wav", tone(700.0))
    write_audio("cats/c.wav", tone(900.0))
    out = tmp_path / "out"
    assert mel(tmp_path / "audio", out).exit_code == 0
    (out / "cats/notes.txt").write_text("the user's\n")

    result = mel(
        tmp_path / "audio", out, "--format", "webdataset", "--exclude", "dogs/b.wav"
    )

    assert result.exit_code == 0, result.stderr
    assert folders(out) == ["cats", "dogs"]
    assert sorted(p.name for p in (out / "dogs").iterdir()) == ["b.npy"]
    assert (out / "cats/notes.txt").read_text() == "the user's\n"

"""Failures of a mistaken run, of inputs no later run takes, do not stay for good.

A run given the wrong inputs by mistake (``--files-from`` a list of another
tree) records their failures in OUT. A later run over the right SRC looks
up only inside its own input folders whether an input is gone: the failed
entries of inputs outside them were kept by every later run, ``--prune``
too, and the gallery counted them as failed inputs of OUT forever. A failed
entry records no output: a run now forgets one whose input lies outside its
input folders, and says so once; a run that takes that input again tries it
again. A failure inside the run's folders, of an input it leaves out and
that is still there, is kept: it still fails.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import invoke, mel, short_tones

pytestmark = pytest.mark.usefixtures("isolated")


def _statuses(out: Path) -> dict[str, str]:
    lines = (out / "manifest.jsonl").read_text().splitlines()
    return {e["key"]: e["status"] for e in map(json.loads, lines)}


@pytest.fixture
def trees(tmp_path: Path) -> tuple[Path, Path]:
    """src/dogs/{0,1}.wav, and other/cats/{0.wav, bad.wav} (not audio)."""
    for tree, folder in (("src", "dogs"), ("other", "cats")):
        (tmp_path / tree).mkdir()
        short_tones(tmp_path / tree / folder, 2 if tree == "src" else 1)
    (tmp_path / "other" / "cats" / "bad.wav").write_bytes(b"not audio at all")
    return tmp_path / "src", tmp_path / "other"


def test_a_mistaken_runs_failures_are_forgotten(
    trees: tuple[Path, Path], tmp_path: Path
) -> None:
    src, other = trees
    listed = tmp_path / "wrong.csv"
    listed.write_text("path\ncats/0.wav\ncats/bad.wav\n")
    out = tmp_path / "out"
    wrong = invoke("mel", "-o", out, "--files-from", listed, "--root", other)
    assert wrong.exit_code == 1
    assert _statuses(out)["cats/bad.npy"] == "failed"
    right = mel(src, out)
    assert right.exit_code == 0, right.stderr
    assert "forgot 1 failed entry" in right.stderr
    assert str(other / "cats" / "bad.wav") in right.stderr
    statuses = _statuses(out)
    assert "cats/bad.npy" not in statuses
    assert "failed" not in statuses.values()
    # The mistaken run's array stays (its input is there, outside the run's
    # folders: never deleted because of OUT); the gallery counts no failure.
    assert statuses["cats/0.npy"] == "written"
    page = invoke("gallery", out)
    assert page.exit_code == 0, page.stderr
    assert " 0 failed" in page.stderr
    again = mel(src, out)
    assert "forgot" not in again.stderr  # said once


def test_a_failure_inside_the_runs_folders_is_kept(
    trees: tuple[Path, Path], tmp_path: Path
) -> None:
    src, _ = trees
    (src / "dogs" / "bad.wav").write_bytes(b"not audio at all")
    out = tmp_path / "out"
    assert mel(src, out).exit_code == 1
    narrower = mel(src, out, "--include", "dogs/0.wav")
    assert narrower.exit_code == 0, narrower.stderr
    assert "forgot" not in narrower.stderr
    assert _statuses(out)["dogs/bad.npy"] == "failed"

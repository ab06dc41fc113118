"""``--prune`` deletes the folders it leaves empty, in a run that is OUT's only writer.

An input folder deleted (``audio/birds/``) left ``OUT/birds/`` behind, empty,
after ``--prune`` deleted its arrays. Now the folders the prune empties go
too, up to OUT; a folder that holds anything else stays, and so does every
folder in a ``--shard`` run: another shard may be writing into it.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import mel, tone

from melcli.shard import Shard

pytestmark = pytest.mark.usefixtures("isolated")


def folders(out: Path) -> list[str]:
    return sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_dir())


@pytest.fixture
def three(write_audio, tmp_path: Path) -> Path:
    write_audio("dogs/a.wav")
    write_audio("birds/deep/c.wav", tone(900.0))
    write_audio("cats/b.wav", tone(700.0))
    out = tmp_path / "out"
    assert mel(tmp_path / "audio", out, "--png").exit_code == 0
    return out


def test_the_folders_a_prune_empties_are_deleted(three: Path, tmp_path: Path) -> None:
    shutil.rmtree(tmp_path / "audio/birds")
    (tmp_path / "audio/cats/b.wav").unlink()
    (three / "cats/notes.txt").write_text("the user's\n")
    (three / "mine").mkdir()

    result = mel(tmp_path / "audio", three, "--prune")

    assert result.exit_code == 0, result.stderr
    assert "2 stale outputs removed (4 files)." in result.stderr
    assert folders(three) == ["cats", "dogs", "mine"]
    assert (three / "cats/notes.txt").exists()


def test_without_prune_nothing_is_deleted(three: Path, tmp_path: Path) -> None:
    shutil.rmtree(tmp_path / "audio/birds")

    mel(tmp_path / "audio", three)

    assert (three / "birds/deep/c.npy").exists()


def test_a_shard_leaves_the_folders(three: Path, tmp_path: Path) -> None:
    shard = next(s for s in ("0/2", "1/2") if Shard.parse(s).owns("birds/deep/c.wav"))
    assert mel(tmp_path / "audio", three, "--shard", shard).exit_code == 0
    shutil.rmtree(tmp_path / "audio/birds")

    result = mel(tmp_path / "audio", three, "--shard", shard, "--prune")

    assert result.exit_code == 0, result.stderr
    assert "1 stale output removed (2 files)." in result.stderr
    assert not (three / "birds/deep/c.npy").exists()
    assert "birds/deep" in folders(three)

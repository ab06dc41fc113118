"""An OUT of ``--shard`` runs not merged yet: every reader says to merge it.

``melcli stats OUT`` walked its arrays (no manifest: "a folder of arrays
made by hand") and wrote ``OUT/stats.npz`` as the dataset's statistics,
while the loader and the gallery refused the same OUT as "not the output
of a run". Neither was so: the shards' parts are there, and no run has yet
checked that every input is in one of them (``melcli merge``). All three now
refuse it, and say to run ``melcli merge OUT`` once every shard finished;
once merged, all three read it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import invoke, mel, short_tones

import melcli
from melcli.data import SpectrogramDataset
from melcli.errors import MelcliError
from melcli.stats import STATS_NAME

pytestmark = pytest.mark.usefixtures("isolated")


@pytest.fixture
def sharded(tmp_path: Path) -> Path:
    """SRC/dogs/{0..3}.wav written by shards 0/2 and 1/2, not merged; OUT."""
    (tmp_path / "src").mkdir()
    short_tones(tmp_path / "src" / "dogs", 4)
    out = tmp_path / "out"
    for shard in ("0/2", "1/2"):
        assert mel(tmp_path / "src", out, "--shard", shard).exit_code == 0
    assert not (out / "manifest.jsonl").exists()
    assert sorted(p.name for p in out.glob("manifest.shard-*.jsonl")) == [
        "manifest.shard-0000-of-0002.jsonl",
        "manifest.shard-0001-of-0002.jsonl",
    ]
    return out


def _says_merge(said: str, out: Path) -> None:
    assert "not merged yet" in said, said
    assert f"melcli merge {out}" in said, said


def test_stats_refuses_unmerged_parts(sharded: Path) -> None:
    result = invoke("stats", sharded)
    assert result.exit_code == 1, result.stderr
    _says_merge(result.stderr, sharded)
    assert not (sharded / STATS_NAME).exists()
    with pytest.raises(MelcliError) as raised:
        melcli.write_stats(sharded)
    _says_merge(str(raised.value), sharded)
    assert not (sharded / STATS_NAME).exists()


def test_loader_and_gallery_say_the_same(sharded: Path) -> None:
    with pytest.raises(MelcliError) as raised:
        SpectrogramDataset(sharded)
    _says_merge(str(raised.value), sharded)
    result = invoke("gallery", sharded)
    assert result.exit_code == 1
    _says_merge(result.stderr, sharded)


def test_merged_all_read_it(sharded: Path) -> None:
    assert invoke("merge", sharded).exit_code == 0
    arrays = sorted(p.relative_to(sharded) for p in sharded.rglob("*.npy"))
    assert len(SpectrogramDataset(sharded)) == len(arrays) == 4
    assert len(melcli.write_stats(sharded).files) == len(arrays)


def test_a_folder_of_arrays_made_by_hand_is_still_walked(tmp_path: Path) -> None:
    """No parts, no journal: the documented folder of arrays by hand."""
    import numpy as np

    out = tmp_path / "arrays"
    out.mkdir()
    np.save(out / "a.npy", np.zeros((4, 3), dtype=np.float32))
    assert len(melcli.write_stats(out).files) == 1

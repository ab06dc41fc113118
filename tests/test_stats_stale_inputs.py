"""``OUT/stats.npz`` of an earlier state of OUT is refused by the data loader.

``stats.npz`` recorded the settings of its arrays, and the data loader refused
statistics of other settings. But a run with the same settings that added,
removed or remade inputs (without ``--stats``) left the old statistics, and
``SpectrogramDataset(OUT, normalize=True)`` standardised with them, silently.
``melcli stats`` now also records a digest of the inputs it covered (their
keys and stamps), and the loader compares it with OUT's.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from conftest import invoke, noise

import melcli
from melcli.data import SpectrogramDataset
from melcli.errors import MelcliError

STALE = r"computed from other inputs than .* holds now .*melcli stats"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    root = tmp_path / "src"
    for k, folder in enumerate(("dogs", "dogs", "cats")):
        (root / folder).mkdir(parents=True, exist_ok=True)
        sf.write(root / folder / f"{k}.wav", noise(seconds=0.3, seed=k), 22050)
    return root


def add_input(root: Path) -> None:
    sf.write(root / "cats" / "new.wav", noise(seconds=0.3, seed=9) * 3, 22050)


def change_input(root: Path) -> None:
    path = root / "dogs" / "0.wav"
    sf.write(path, noise(seconds=0.4, seed=5), 22050)
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))


def remove_input(root: Path) -> None:
    (root / "dogs" / "1.wav").unlink()


CHANGES = {"added": add_input, "changed": change_input, "removed": remove_input}
FORMATS = {"npy": "npy", "webdataset": "webdataset"}


@pytest.mark.parametrize("fmt", FORMATS.values(), ids=FORMATS.keys())
@pytest.mark.parametrize("change", CHANGES.values(), ids=CHANGES.keys())
def test_stats_of_an_earlier_state_of_out_are_refused(
    root: Path, tmp_path: Path, change, fmt: str
) -> None:
    out = tmp_path / "out"
    melcli.run([root], out, jobs=1, stats=True, storage_format=fmt)
    assert len(SpectrogramDataset(out, normalize=True)) == 3
    change(root)
    melcli.run([root], out, jobs=1, prune=True, storage_format=fmt)

    with pytest.raises(MelcliError, match=STALE):
        SpectrogramDataset(out, normalize=True)

    assert invoke("stats", out).exit_code == 0  # as the message says
    ds = SpectrogramDataset(out, normalize=True)
    assert np.isfinite(ds[0][0]).all()


def test_what_does_not_change_the_arrays_keeps_the_stats(
    root: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    melcli.run([root], out, jobs=1, stats=True, storage_format="webdataset")
    with np.load(out / "stats.npz") as z:
        assert "inputs" in z.files
    shards = sorted(p.name for p in out.glob("shard-*.tar"))
    melcli.run([root], out, jobs=1, storage_format="webdataset")  # statuses flip
    melcli.run([root], out, jobs=1, png=True, storage_format="webdataset")
    melcli.run([root], out, jobs=1, storage_format="webdataset", prune=True)
    assert sorted(p.name for p in out.glob("shard-*.tar")) != shards  # compacted

    assert len(SpectrogramDataset(out, normalize=True)) == 3


def test_stats_of_part_of_out_are_not_held_to_all_of_it(
    root: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    melcli.run([root], out, jobs=1)
    melcli.run([root], out, jobs=1, stats=True, include=["dogs/*"])
    # As before: a run's --stats covers its own inputs, and says so in its docs.
    assert len(SpectrogramDataset(out, normalize=True)) == 3


def test_stats_given_by_path_are_not_held_to_outs_inputs(
    root: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    melcli.run([root], out, jobs=1, stats=True)
    train = tmp_path / "train.npz"
    (out / "stats.npz").rename(train)
    add_input(root)
    melcli.run([root], out, jobs=1)
    assert len(SpectrogramDataset(out, normalize=train)) == 4

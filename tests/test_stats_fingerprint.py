"""Statistics computed from a dataset's items carry the items' settings.

``melcli.stats.compute(paths)`` saved no ``settings``: the training folds'
statistics the docs show (``compute(train).save("train_stats.npz")``) went
on being used after the arrays were made again with other settings, without
a word, where ``OUT/stats.npz`` was refused as stale. ``compute`` now takes
the dataset's items, checks each array against its entry, and saves their
settings.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from conftest import noise

import melcli
from melcli import MelParams
from melcli.data import SpectrogramDataset
from melcli.errors import MelcliError


@pytest.fixture
def out(tmp_path: Path) -> Path:
    root = tmp_path / "src"
    for k, folder in enumerate(("dogs", "dogs", "cats")):
        (root / folder).mkdir(parents=True, exist_ok=True)
        sf.write(root / folder / f"{k}.wav", noise(seconds=0.3, seed=k), 22050)
    out = tmp_path / "out"
    melcli.run([root], out, jobs=1)
    return out


def test_stats_of_items_are_refused_once_the_arrays_change_settings(
    out: Path, tmp_path: Path
) -> None:
    ds = SpectrogramDataset(out)
    train = [item for item in ds.items if item.source.startswith("dogs/")]
    stats = melcli.stats.compute(train)
    assert stats.settings == MelParams().fingerprint()
    assert len(stats.files) == 2
    saved = tmp_path / "train_stats.npz"
    stats.save(saved)
    assert len(SpectrogramDataset(out, normalize=saved)) == 3

    melcli.run([tmp_path / "src"], out, jobs=1, params=MelParams(top_db=40.0))

    with pytest.raises(MelcliError, match="made with other settings"):
        SpectrogramDataset(out, normalize=saved)


def test_stats_of_items_are_those_of_their_arrays(out: Path) -> None:
    ds = SpectrogramDataset(out)
    by_items = melcli.stats.compute(ds.items)
    by_paths = melcli.stats.compute([item.array for item in ds.items])
    np.testing.assert_array_equal(by_items.mean, by_paths.mean)
    np.testing.assert_array_equal(by_items.std, by_paths.std)
    assert by_paths.settings == by_items.settings  # looked up in the manifest


def test_stats_of_items_refuse_an_array_changed_in_place(out: Path) -> None:
    ds = SpectrogramDataset(out)
    path = ds.items[0].array
    assert isinstance(path, Path)
    st = path.stat()
    data = path.read_bytes()
    path.write_bytes(data.replace(b"'<f4'", b"'<i4'", 1))
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))

    with pytest.raises(MelcliError, match=r"its manifest entry records"):
        melcli.stats.compute(ds.items)


FORMATS = {"npy": [], "webdataset": ["webdataset"]}


@pytest.mark.parametrize("storage", FORMATS.values(), ids=FORMATS.keys())
def test_stats_of_bare_paths_of_an_out_carry_its_settings(
    tmp_path: Path, storage: list[str]
) -> None:
    root = tmp_path / "src"
    for k, folder in enumerate(("dogs", "dogs", "cats")):
        (root / folder).mkdir(parents=True, exist_ok=True)
        sf.write(root / folder / f"{k}.wav", noise(seconds=0.3, seed=k), 22050)
    out = tmp_path / "out"
    fmt = storage[0] if storage else "npy"
    melcli.run([root], out, jobs=1, storage_format=fmt)
    ds = SpectrogramDataset(out)
    # As the docs once showed it: the items' arrays, not the items.
    train = [item.array for item in ds.items if item.source.startswith("dogs/")]
    stats = melcli.stats.compute(train)
    assert stats.settings == MelParams().fingerprint()
    assert melcli.stats.compute(melcli.stats.arrays_of(out)).settings == (
        MelParams().fingerprint()
    )
    saved = tmp_path / "train_stats.npz"
    stats.save(saved)

    melcli.run([root], out, jobs=1, storage_format=fmt, params=MelParams(top_db=40.0))

    with pytest.raises(MelcliError, match="made with other settings"):
        SpectrogramDataset(out, normalize=saved)


def test_stats_of_npy_files_no_manifest_records_say_no_settings(
    tmp_path: Path,
) -> None:
    for i in range(2):
        np.save(tmp_path / f"{i}.npy", np.full((4, 3), i, dtype=np.float32))
    stats = melcli.stats.compute(sorted(tmp_path.glob("*.npy")))
    assert stats.settings is None
    assert stats.count == 6


def test_stats_of_bare_paths_refuse_an_array_changed_in_place(out: Path) -> None:
    paths = melcli.stats.arrays_of(out)
    path = paths[0]
    assert isinstance(path, Path)
    st = path.stat()
    path.write_bytes(path.read_bytes().replace(b"'<f4'", b"'<i4'", 1))
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))

    with pytest.raises(MelcliError, match=r"its manifest entry records"):
        melcli.stats.compute(paths)

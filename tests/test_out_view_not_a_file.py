"""``manifest.jsonl`` gone, or no file (a FIFO, a link, a folder): the store is read.

The store records which ``manifest.jsonl`` it wrote; another file there is a
manifest written since (``melcli merge``, an older melcli), read instead of
the store. A FIFO, a symbolic link or a folder in its place was taken as
such a manifest, and not read: a run rebuilt every input of an intact store,
``melcli stats`` said "no arrays", and the gallery and the data loader (which
looked for ``manifest.jsonl`` alone, as did ``melcli stats`` and ``--shard``)
refused OUT or read none of it, though the docs say deleting
``manifest.jsonl`` only makes the next run write it again. Now what is not a
regular file is no manifest to read instead: the store is read, by the run
and by every reader.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from conftest import invoke, mel

from melcli.data import SpectrogramDataset
from melcli.stats import compute

pytestmark = pytest.mark.usefixtures("isolated")


def gone(view: Path) -> None:
    view.unlink()


def fifo(view: Path) -> None:
    view.unlink()
    os.mkfifo(view)


def link(view: Path) -> None:
    """A link to a copy of the view outside OUT: not followed all the same."""
    outside = view.parent.parent / "elsewhere.jsonl"
    shutil.copy(view, outside)
    view.unlink()
    view.symlink_to(outside)


def folder(view: Path) -> None:
    view.unlink()
    (view / "x").mkdir(parents=True)


IN_PLACE = [gone, fifo, link, folder]


def entries(view: Path) -> list[dict[str, object]]:
    """The entries of ``view`` but their status (a re-run makes it up-to-date)."""
    lines = map(json.loads, view.read_text().splitlines())
    return [{k: v for k, v in e.items() if k != "status"} for e in lines]


@pytest.mark.parametrize("change", [gone, fifo, link], ids=lambda f: f.__name__)
def test_a_run_reads_the_store_and_writes_the_view_again(
    built: Path, tmp_path: Path, change: Callable[[Path], None]
) -> None:
    view = built / "manifest.jsonl"
    before = entries(view)
    change(view)

    result = mel(tmp_path / "audio", built)

    assert result.exit_code == 0, result.stderr
    assert result.stderr == "0 written, 2 up to date.\n"
    assert not view.is_symlink()
    assert entries(view) == before
    assert mel(tmp_path / "audio", built).stderr == "0 written, 2 up to date.\n"


def test_a_folder_in_its_place_rebuilds_nothing(built: Path, tmp_path: Path) -> None:
    """It cannot be written over (it may hold anything): the run says so."""
    folder(built / "manifest.jsonl")

    result = mel(tmp_path / "audio", built)

    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"error: cannot write {built}/manifest.jsonl: is a directory",
        "0 written, 2 up to date.",
    ]
    assert (built / "manifest.jsonl/x").is_dir()


@pytest.mark.parametrize("change", IN_PLACE, ids=lambda f: f.__name__)
def test_stats_reads_the_store(built: Path, change: Callable[[Path], None]) -> None:
    (built / "dogs/foreign.npy").parent.mkdir(exist_ok=True)
    np.save(built / "dogs/foreign.npy", np.ones((3, 4), np.float32))  # no entry's
    change(built / "manifest.jsonl")

    result = invoke("stats", built)

    assert result.exit_code == 0, result.stderr
    assert "from 2 arrays" in result.stderr
    assert result.stderr.count("\n") == 1  # nothing else to say


@pytest.mark.parametrize("change", IN_PLACE, ids=lambda f: f.__name__)
def test_stats_of_paths_finds_their_store(
    built: Path, change: Callable[[Path], None]
) -> None:
    """An array another shape than its entry records is told by that entry."""
    array = built / "dogs/a.npy"
    S = np.load(array)
    np.save(array, S[:, :-1])  # its entry records one frame more
    change(built / "manifest.jsonl")

    said: list[str] = []
    found = compute([array, built / "cats/b.npy"], left_out=said)

    assert found.files == [built / "cats/b.npy"]
    assert len(said) == 1
    assert "its manifest entry records" in said[0]


@pytest.mark.parametrize("change", IN_PLACE, ids=lambda f: f.__name__)
def test_the_data_loader_reads_the_store(
    built: Path, change: Callable[[Path], None]
) -> None:
    change(built / "manifest.jsonl")

    data = SpectrogramDataset(built)

    assert sorted(item.path for item in data.items) == ["cats/b.npy", "dogs/a.npy"]
    assert data.classes == ["cats", "dogs"]


@pytest.mark.parametrize("change", IN_PLACE, ids=lambda f: f.__name__)
def test_the_gallery_reads_the_store(
    built: Path, change: Callable[[Path], None]
) -> None:
    change(built / "manifest.jsonl")

    result = invoke("gallery", built, "-j", "1")

    assert result.exit_code == 0, result.stderr
    assert "2 inputs in 2 groups" in result.stderr


@pytest.mark.parametrize("change", [gone, fifo, link], ids=lambda f: f.__name__)
def test_a_shard_starts_from_the_store(
    built: Path, tmp_path: Path, change: Callable[[Path], None]
) -> None:
    """A shard run after an unsharded one takes its inputs' entries from it."""
    change(built / "manifest.jsonl")

    results = [mel(tmp_path / "audio", built, "--shard", f"{i}/2") for i in (0, 1)]

    assert [r.exit_code for r in results] == [0, 0]
    assert all(" 0 written" in " " + r.stderr for r in results), results
    assert sum(int(r.stderr.split(", ")[1].split()[0]) for r in results) == 2


def test_without_store_nor_view_the_readers_say_so(built: Path) -> None:
    """What the store changed does not make a folder that holds neither an OUT."""
    (built / ".melcli-manifest.db").unlink()
    fifo(built / "manifest.jsonl")

    with pytest.raises(Exception, match="not a regular file"):
        SpectrogramDataset(built)
    result = invoke("stats", built)
    assert result.exit_code == 1
    assert "manifest.jsonl: not read (not a regular file)" in result.stderr

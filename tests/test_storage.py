"""The storage formats behind one protocol (melcli.storage)."""

from __future__ import annotations

from pathlib import Path

import pytest

from melcli.errors import ParameterError
from melcli.manifest import Manifest
from melcli.storage import FORMATS, storage_for, storage_of, storages_in


def test_every_format_is_a_storage_of_its_name() -> None:
    assert FORMATS == ("npy", "webdataset")
    for name in FORMATS:
        assert storage_for(name).name == name


def test_an_unknown_format_names_the_option() -> None:
    with pytest.raises(ParameterError, match="'tfrecord' must be one of npy, web"):
        storage_for("tfrecord")


def test_each_entry_belongs_to_the_format_that_holds_it(tmp_path: Path) -> None:
    files = {"key": "a.npy", "stamps": {"a.npy": [1, 2]}}
    sample = {"key": "b.npy", "format": "webdataset", "shard": "shard-000000.tar"}
    unplaced = {"key": "c.npy", "format": "webdataset"}  # no shard: nothing stored
    assert storage_of(files).name == "npy"
    assert storage_of(sample).name == "webdataset"
    assert storage_of(unplaced).name == "npy"
    manifest = Manifest(out=tmp_path, entries={"a.npy": files})
    assert [s.name for s in storages_in(manifest)] == ["npy"]
    manifest.entries["b.npy"] = sample
    assert sorted(s.name for s in storages_in(manifest)) == list(FORMATS)


def test_shown_and_forgotten_as_their_format_says(tmp_path: Path) -> None:
    (tmp_path / "a.npy").write_bytes(b"x")
    files = {"key": "a.npy", "stamps": {"a.npy": [1, 2]}}
    sample = {
        "key": "b.npy",
        "format": "webdataset",
        "shard": "shard-000003.tar",
        "sample": "b",
    }
    manifest = Manifest(out=tmp_path, entries={"a.npy": files, "b.npy": sample})
    npy, shards = storage_of(files), storage_of(sample)
    assert npy.shown(manifest, "a.npy") == tmp_path / "a.npy"
    assert shards.shown(manifest, "b.npy") == tmp_path / "shard-000003.tar/b.npy"
    assert shards.forget(manifest, "b.npy") == [tmp_path / "shard-000003.tar/b.npy"]
    assert "b.npy" not in manifest.entries
    npy.forget(manifest, "a.npy")
    assert not (tmp_path / "a.npy").exists()
    assert manifest.entries == {}

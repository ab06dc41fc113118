"""The storage formats behind one protocol (melcli.storage)."""

from __future__ import annotations

from pathlib import Path

import pytest

import melcli
from melcli.batch import decide
from melcli.discover import Job, plan
from melcli.errors import ParameterError
from melcli.manifest import Manifest
from melcli.outdir import OutDir
from melcli.params import MelParams
from melcli.storage import (
    FORMATS,
    storage_for,
    storage_of,
    storages_in,
    wants_nothing_for_plain,
)
from melcli.storage.npy import NpyStorage


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


class Checked(NpyStorage):
    """npy, whose up-to-date inputs its own rule sends back to work."""

    def redo(
        self, manifest: Manifest, key: str, job: Job, *, drawn_as: str
    ) -> tuple[str, bool] | None:
        return ("the format says so", False) if "bark1" in key else None

    def folder_problem(self, job: Job, outdir: OutDir) -> str | None:
        return "no room" if "bark2" in job.npy_name else None


def test_decide_asks_the_storage_what_an_up_to_date_input_needs(
    dataset: Path, tmp_path: Path
) -> None:
    """A format is a module of its own: the run does not branch on its name."""
    out = tmp_path / "out"
    assert melcli.run([dataset], out, jobs=1).exit_code == 0
    the_plan = plan([dataset], out)

    build = decide(the_plan, Manifest.load(out), params=MelParams(), storage=Checked())

    assert {t.job.src.name: build.reasons[t.job.src_name] for t in build.tasks} == {
        "bark1.wav": "the format says so"
    }
    assert len(build.up_to_date) == 3
    assert build.refused == []  # bark2 is up to date: nothing to write
    forced = decide(
        the_plan, Manifest.load(out), params=MelParams(), force=True, storage=Checked()
    )
    assert [(j.src.name, why) for j, why in forced.refused] == [
        ("bark2.flac", "cannot write output: no room")
    ]


def test_decide_with_an_empty_manifest_builds_everything(
    dataset: Path, tmp_path: Path
) -> None:
    out = tmp_path / "never-written"
    build = decide(plan([dataset], out), Manifest(out=out), params=MelParams())
    assert len(build.tasks) == 4
    assert set(build.reasons.values()) == {"new"}
    assert not out.exists()


def test_a_format_not_asked_of_a_plain_job_wants_nothing_of_one(
    tmp_path: Path,
) -> None:
    """npy's redo is marked as wanting nothing of a job with no PNG nor table
    row (decide then does not ask it); an override of it is asked again."""
    manifest = Manifest(out=tmp_path)  # no entry at all: a PNG would be missing
    plain = Job(tmp_path / "a.wav", "a.wav", tmp_path / "a.npy")
    drawn = plain.replace(png=tmp_path / "a.png")

    assert wants_nothing_for_plain(NpyStorage())
    assert NpyStorage().redo(manifest, "a.npy", plain, drawn_as="x") is None
    assert NpyStorage().redo(manifest, "a.npy", drawn, drawn_as="x") is not None
    assert not wants_nothing_for_plain(Checked())
    assert not any(
        wants_nothing_for_plain(storage_for(f)) for f in FORMATS if f != "npy"
    )

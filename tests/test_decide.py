"""decide(): what a re-run builds, decided against the manifest, cheaply."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

import melcli
from melcli.batch import decide
from melcli.discover import Job, plan
from melcli.manifest import Manifest
from melcli.params import MelParams

pytestmark = pytest.mark.usefixtures("isolated")


@pytest.fixture
def built(dataset: Path, tmp_path: Path) -> Path:
    out = tmp_path / "out"
    melcli.run([dataset], out, jobs=1)
    return out


def decided(dataset: Path, out: Path):  # type: ignore[no-untyped-def]
    return decide(plan([dataset], out), Manifest.load(out), params=MelParams())


def test_a_re_run_of_every_entry_makes_no_set_of_keys(
    dataset: Path, built: Path
) -> None:
    build = decided(dataset, built)

    assert len(build.up_to_date) == 4
    assert build._keys is None  # nothing asked for them
    assert (build.stale, build.other_settings) == ([], [])
    assert build.keys == {
        "birds/deep/chirp.npy",
        "birds/tweet.npy",
        "dogs/bark1.npy",
        "dogs/bark2.npy",
    }


def test_an_input_gone_is_found_stale(dataset: Path, built: Path) -> None:
    (dataset / "dogs" / "bark1.wav").unlink()

    build = decided(dataset, built)

    assert build.stale == ["dogs/bark1.npy"]
    assert "dogs/bark1.npy" not in build.keys


def test_inputs_rebuilt_for_new_settings_hold_no_old_entry_whole(
    dataset: Path, built: Path
) -> None:
    manifest = Manifest.load(built)
    build = decide(plan([dataset], built), manifest, params=MelParams(n_mels=64))

    assert len(build.tasks) == 4
    assert build.taken_over == []  # each was made from the same input
    assert manifest.entries._held == {}  # read for their sources, not kept


def test_a_job_is_an_immutable_tuple_of_strings() -> None:
    job = Job("a/b.wav", "b.wav", "/o/b.npy", stamp=[1, 2])
    with pytest.raises(AttributeError):
        job.rel = "c.wav"  # type: ignore[misc]
    assert job == Job("a/b.wav", "b.wav", "/o/b.npy", stamp=[3, 4])  # not the stamp
    assert hash(job) == hash(Job("a/b.wav", "b.wav", "/o/b.npy"))
    assert job != Job("a/b.wav", "b.wav", "/o/b.npy", "/o/b.png")
    assert pickle.loads(pickle.dumps(job)).stamp == [1, 2]
    assert job.replace(rel="c.wav").stamp == [1, 2]
    assert job.replace(src="a/c.wav").stamp is None
    assert (job.src, job.npy, job.png) == (Path("a/b.wav"), Path("/o/b.npy"), None)

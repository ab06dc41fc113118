"""decide(): what a re-run builds, decided against the manifest, cheaply."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import pytest

import melcli
from melcli import batch
from melcli.batch import decide
from melcli.discover import Job, plan
from melcli.manifest import Manifest
from melcli.params import MelParams
from melcli.report import Status

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


def test_up_to_date_inputs_are_recorded_whole_chunks_at_a_time(
    dataset: Path, built: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A chunk of up-to-date inputs with no status to change is counted at once;
    one whose entries change (written -> up-to-date) has each recorded."""
    monkeypatch.setattr(batch, "HOLD_EVERY", 2)  # 4 inputs: two chunks
    melcli.run([dataset], built, jobs=1)  # every "written" becomes "up-to-date"
    touched = dataset / "dogs" / "bark2.flac"  # in the second chunk
    st = touched.stat()
    os.utime(touched, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    melcli.run([dataset], built, jobs=1)  # it alone is "written" again
    told: list[str] = []

    report = melcli.run(
        [dataset], built, jobs=1, on_result=lambda r: told.append(r.src.name)
    )

    assert report.count(Status.UP_TO_DATE) == 4
    assert (
        [r.src.name for r in report.results]
        == told
        == [
            "chirp.flac",
            "tweet.wav",
            "bark1.wav",
            "bark2.flac",
        ]
    )
    statuses = {e["key"]: e["status"] for e in Manifest.load(built).entries.values()}
    assert set(statuses.values()) == {"up-to-date"}, statuses

"""The pipeline: small inputs loaded ahead, together, give what each gives alone."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

import melcli
from melcli import MelParams, pipeline
from melcli.discover import Job, Task
from melcli.pipeline import load_ahead, process_one
from melcli.report import Status


def _tiny(path: Path, seed: int, *, n: int = 800, sr: int = 16000, channels: int = 1):
    rng = np.random.default_rng(seed)
    y = 0.1 * rng.standard_normal((n, channels))
    sf.write(path, y, sr, subtype="PCM_16")
    return path


def _tree(folder: Path) -> list[Path]:
    """Tiny WAVs as a dataset holds them, with the odd ones a worker meets."""
    folder.mkdir()
    paths = [_tiny(folder / f"a{i}.wav", i) for i in range(5)]  # one shape
    paths += [_tiny(folder / f"b{i}.wav", 10 + i, n=1200) for i in range(2)]
    paths.append(_tiny(folder / "stereo.wav", 20, channels=2))
    (folder / "broken.wav").write_bytes(b"RIFF\x10\x00\x00\x00WAVEfmt nonsense")
    sf.write(folder / "silent.wav", np.zeros(800), 16000, subtype="PCM_16")
    sf.write(folder / "cut.wav", np.full(800, 0.1), 16000, subtype="PCM_16")
    with open(folder / "cut.wav", "r+b") as f:  # the header claims more
        f.truncate(os.path.getsize(folder / "cut.wav") - 400)
    odd = [folder / "broken.wav", folder / "silent.wav", folder / "cut.wav"]
    # At the rate asked for: nothing to resample, the end of loading ahead.
    native = _tiny(folder / "native.wav", 21, sr=22050)
    return [*paths, *odd, native, _tiny(folder / "after.wav", 22)]


def _task(src: Path, out: Path) -> Task:
    st = src.stat()
    job = Job(
        src, src.name, out / f"{src.stem}.npy", stamp=[st.st_size, st.st_mtime_ns]
    )
    return Task(job)


@pytest.mark.parametrize("mono", [True, False])
def test_inputs_loaded_ahead_give_the_results_of_each_alone(
    tmp_path: Path, mono: bool
) -> None:
    params = MelParams(mono=mono).validate()
    srcs = _tree(tmp_path / "src")
    (tmp_path / "alone").mkdir()
    (tmp_path / "ahead").mkdir()
    alone = [_task(s, tmp_path / "alone") for s in srcs]
    tasks = [_task(s, tmp_path / "ahead") for s in srcs]
    opened: list[int] = []

    ahead = load_ahead(tasks, params=params, started=opened.append)

    # Each named before it is opened, up to the first at the rate asked for
    # (native.wav), which ends the loading ahead: nothing to gain there.
    assert opened == list(range(len(srcs) - 1))
    # The broken, silent and cut files are left to load (and fail, or warn)
    # alone.
    names = {os.path.basename(name) for name in ahead}
    assert names == {s.name for s in srcs[:8]} | {"native.wav"}
    for one, task in zip(alone, tasks, strict=True):
        want = process_one(one.job, params=params)
        got = process_one(task.job, params=params, ahead=ahead.get(task.job.src_name))
        assert (got.status, got.reason, got.warnings, got.silent) == (
            want.status,
            want.reason,
            want.warnings,
            want.silent,
        ), task.job.rel
        assert (got.shape, got.sr, got.duration) == (want.shape, want.sr, want.duration)
        if want.status is Status.WRITTEN:
            np.testing.assert_array_equal(
                np.load(got.outputs[0]), np.load(want.outputs[0])
            )


def test_nothing_is_loaded_ahead_for_one_task_large_inputs_or_clipping(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    srcs = [_tiny(tmp_path / f"{i}.wav", i) for i in range(3)]
    tasks = [_task(s, tmp_path) for s in srcs]
    params = MelParams().validate()
    assert load_ahead(tasks[:1], params=params) == {}
    assert load_ahead(tasks, params=MelParams(clip_duration=0.02).validate()) == {}
    assert load_ahead(tasks, params=MelParams(sr=None).validate()) == {}
    unknown = [Task(Job(s, s.name, tmp_path / "x.npy")) for s in srcs]  # no stamp
    assert load_ahead(unknown, params=params) == {}
    assert len(load_ahead(tasks, params=params)) == 3
    with monkeypatch.context() as patch:
        patch.setattr(pipeline, "AHEAD_MAX_BYTES", srcs[0].stat().st_size - 1)
        assert load_ahead(tasks, params=params) == {}
    with monkeypatch.context() as patch:  # 0.05 s each: longer than that
        patch.setattr(pipeline, "AHEAD_MAX_SECONDS", 0.04)
        assert load_ahead(tasks, params=params) == {}
    with monkeypatch.context() as patch:  # 800 samples each: two reach it
        patch.setattr(pipeline, "AHEAD_MAX_SAMPLES", 1000)
        assert len(load_ahead(tasks, params=params)) == 2


def test_a_pool_run_of_tiny_files_matches_a_serial_one(tmp_path: Path) -> None:
    # Enough tiny files that a worker gets several in a message and loads
    # them ahead: each bad one still fails (or warns) alone, as in -j 1.
    src = tmp_path / "src"
    _tree(src)
    for i in range(120):
        _tiny(src / f"many{i:03d}.wav", 100 + i)
    serial = melcli.run([src], tmp_path / "serial", jobs=1)
    pool = melcli.run([src], tmp_path / "pool", jobs=2)

    def facts(report: melcli.Report) -> dict[str, tuple[object, ...]]:
        return {
            r.src.name: (r.status, r.reason, r.warnings, r.silent, r.shape)
            for r in report.results
        }

    assert facts(pool) == facts(serial)
    assert sum(r.status is Status.FAILED for r in pool.results) >= 2
    for npy in sorted((tmp_path / "serial").rglob("*.npy")):
        twin = tmp_path / "pool" / npy.relative_to(tmp_path / "serial")
        np.testing.assert_array_equal(np.load(twin), np.load(npy))


def test_a_worker_killed_while_loading_ahead_fails_that_file_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A decoder that kills its worker while the worker loads a message's
    # files ahead: that file fails with the cause, the files that came with
    # it are written by a fresh worker, and nothing of the killer is left.
    from melcli import audio, runners

    if runners._start_method() != "fork":
        pytest.skip("the workers must inherit this test's decoder (fork only)")
    src = tmp_path / "src"
    src.mkdir()
    for i in range(150):
        _tiny(src / f"f{i:03d}.wav", i)
    real_load = audio.load

    def load(path: object, params: MelParams, **kw: object) -> object:
        if str(path).endswith("f075.wav") and kw.get("resampled") is False:
            os.kill(os.getpid(), 9)
        return real_load(path, params, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(audio, "load", load)
    report = melcli.run([src], tmp_path / "out", jobs=2)

    failed = [r for r in report.results if r.status is Status.FAILED]
    assert [r.src.name for r in failed] == ["f075.wav"]
    assert failed[0].reason.startswith("worker process died (killed by SIGKILL")
    written = sorted(p.name for p in (tmp_path / "out").glob("*.npy"))
    assert written == [f"f{i:03d}.npy" for i in range(150) if i != 75]
    assert not [p for p in (tmp_path / "out").iterdir() if p.name.startswith(".f")]

"""Tiny files loaded ahead get their mel spectrograms made together, as each alone."""

from __future__ import annotations

import contextlib
import warnings
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from melcli import MelParams, pipeline, transform
from melcli.discover import Job, Task
from melcli.pipeline import load_ahead, process_one
from melcli.report import Status


def _tiny(path: Path, seed: int, *, n: int = 800, channels: int = 1) -> Path:
    rng = np.random.default_rng(seed)
    y = 0.1 * rng.standard_normal((n, channels))
    y[: n // 4] *= 0.01 * (seed % 3)  # quiet starts, one of them silent
    sf.write(path, y, 16000, subtype="PCM_16")
    return path


def _task(src: Path, out: Path) -> Task:
    st = src.stat()
    job = Job(
        src, src.name, out / f"{src.stem}.npy", stamp=[st.st_size, st.st_mtime_ns]
    )
    return Task(job)


_nothing = contextlib.nullcontext


def _both(tmp_path: Path, srcs: list[Path]) -> tuple[list[Task], list[Task]]:
    (tmp_path / "alone").mkdir()
    (tmp_path / "ahead").mkdir()
    alone = [_task(s, tmp_path / "alone") for s in srcs]
    return alone, [_task(s, tmp_path / "ahead") for s in srcs]


def _warm_up(params: MelParams) -> None:
    with pytest.warns() if _basis_warns(params) else _nothing():
        transform.mel_basis(params.sr or 22050, params=params)


def _basis_warns(params: MelParams) -> bool:
    transform._mel_basis.cache_clear()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        transform.mel_basis(params.sr or 22050, params=params)
    transform._mel_basis.cache_clear()
    return bool(caught)


SETTINGS = [
    {},
    {"kind": "mfcc", "n_mfcc": 13},
    {"mono": False},
    {"n_fft": 512, "hop_length": 128, "n_mels": 40, "window": "hamming"},
    {"n_fft": 256, "power": 1.0, "fmin": 100.0, "fmax": 6000.0, "top_db": None},
    {"n_fft": 400, "win_length": 300, "pad_mode": "reflect", "ref": 1.0},
    {"scale": "log10", "dtype": "float16"},
    {"sr": 16000 // 2, "center": False, "n_fft": 256},
]


@pytest.mark.parametrize("settings", SETTINGS, ids=lambda s: ",".join(s) or "defaults")
def test_mel_spectrograms_made_together_are_each_alones_bit_for_bit(
    tmp_path: Path, settings: dict[str, object]
) -> None:
    params = MelParams(**settings).validate()  # type: ignore[arg-type]
    _warm_up(params)  # as a pool worker starts: the basis made, its warning told
    src = tmp_path / "src"
    src.mkdir()
    channels = 1 if params.mono else 2
    srcs = [_tiny(src / f"a{i}.wav", i, channels=channels) for i in range(6)]
    srcs += [_tiny(src / f"b{i}.wav", 10 + i, n=3000) for i in range(3)]
    alone, tasks = _both(tmp_path, srcs)

    ahead = load_ahead(tasks, params=params)

    made = [name for name, a in ahead.items() if a.power is not None]
    assert len(made) == len(srcs)  # two shapes: two calls, every file in one
    for one, task in zip(alone, tasks, strict=True):
        want = process_one(one.job, params=params)
        got = process_one(task.job, params=params, ahead=ahead[task.job.src_name])
        assert (got.status, got.reason, got.warnings, got.shape) == (
            want.status,
            want.reason,
            want.warnings,
            want.shape,
        )
        assert got.status is Status.WRITTEN, got.reason
        a, b = np.load(got.outputs[0]), np.load(want.outputs[0])
        assert a.dtype == b.dtype
        assert a.tobytes() == b.tobytes(), task.job.rel  # bit for bit


def test_each_file_made_together_keeps_its_own_warning(tmp_path: Path) -> None:
    params = MelParams().validate()
    srcs = [_tiny(tmp_path / f"a{i}.wav", i) for i in range(4)]
    alone, tasks = _both(tmp_path, srcs)

    ahead = load_ahead(tasks, params=params)
    got = [
        process_one(t.job, params=params, ahead=ahead[t.job.src_name]) for t in tasks
    ]

    assert all(a.power is not None for a in ahead.values())
    want = process_one(alone[0].job, params=params).warnings
    assert want == ("n_fft=2048 is too large for input signal of length=1103",)
    assert [r.warnings for r in got] == [want] * len(srcs)


def test_files_made_together_a_call_of_frames_at_a_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 3 frames each, 7 frames a call: two files a call, the fifth made alone.
    monkeypatch.setattr(pipeline, "AHEAD_MEL_BYTES", 7 * 8 * 2048)
    calls: list[tuple[int, ...]] = []
    real = pipeline.transform.mel_power

    def spy(y: np.ndarray, **kw: object) -> np.ndarray:
        calls.append(y.shape)
        return real(y, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(pipeline.transform, "mel_power", spy)
    params = MelParams().validate()
    srcs = [_tiny(tmp_path / f"a{i}.wav", i) for i in range(5)]
    alone, tasks = _both(tmp_path, srcs)

    ahead = load_ahead(tasks, params=params)

    assert calls == [(2, 1103), (2, 1103)]
    made = [a.power is not None for a in ahead.values()]
    assert made == [True, True, True, True, False]
    for one, task in zip(alone, tasks, strict=True):
        want = np.load(process_one(one.job, params=params).outputs[0])
        got = process_one(task.job, params=params, ahead=ahead[task.job.src_name])
        assert np.load(got.outputs[0]).tobytes() == want.tobytes()


def test_a_call_that_fails_leaves_each_file_to_be_made_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(y: np.ndarray, **kw: object) -> np.ndarray:
        raise MemoryError("no room for them all")

    monkeypatch.setattr(pipeline.transform, "mel_power", broken)
    params = MelParams().validate()
    srcs = [_tiny(tmp_path / f"a{i}.wav", i) for i in range(3)]
    _, tasks = _both(tmp_path, srcs)

    ahead = load_ahead(tasks, params=params)

    assert len(ahead) == 3
    assert all(a.power is None for a in ahead.values())


@pytest.mark.parametrize("settings", [{"kind": "stft"}, {"kind": "fbank"}])
def test_other_kinds_are_not_made_together(
    tmp_path: Path, settings: dict[str, object]
) -> None:
    params = MelParams(**settings).validate()  # type: ignore[arg-type]
    srcs = [_tiny(tmp_path / f"a{i}.wav", i, n=4000) for i in range(3)]
    _, tasks = _both(tmp_path, srcs)

    ahead = load_ahead(tasks, params=params)

    assert all(a.power is None for a in ahead.values())


def test_the_basis_warning_goes_to_the_first_file_as_made_alone(tmp_path: Path) -> None:
    # 128 bands over 256 bins: empty filters, told once, where the basis is made.
    params = MelParams(n_fft=256).validate()
    srcs = [_tiny(tmp_path / f"a{i}.wav", i) for i in range(3)]
    alone, tasks = _both(tmp_path, srcs)
    transform._mel_basis.cache_clear()
    want = [process_one(t.job, params=params).warnings for t in alone]
    transform._mel_basis.cache_clear()

    ahead = load_ahead(tasks, params=params)
    got = [
        process_one(t.job, params=params, ahead=ahead[t.job.src_name]) for t in tasks
    ]

    assert all(a.power is not None for a in ahead.values())
    assert "Empty filters" in want[0][0]
    assert want[1] == want[2] == ()
    assert [r.warnings for r in got] == want


def test_a_larger_n_fft_makes_fewer_files_a_call(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The cap is in bytes of frames: 4 frames of 2048 samples a call, 2 of 4096.
    monkeypatch.setattr(pipeline, "AHEAD_MEL_BYTES", 4 * 8 * 2048)
    calls: list[int] = []
    real = pipeline.transform.mel_power

    def spy(y: np.ndarray, **kw: object) -> np.ndarray:
        calls.append(y.shape[0])
        return real(y, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(pipeline.transform, "mel_power", spy)
    srcs = [_tiny(tmp_path / f"a{i}.wav", i, n=200) for i in range(4)]  # 1 frame
    _, tasks = _both(tmp_path, srcs)

    load_ahead(tasks, params=MelParams(hop_length=4096).validate())
    assert calls == [4]
    calls.clear()
    load_ahead(tasks, params=MelParams(n_fft=4096, hop_length=4096).validate())
    assert calls == [2, 2]

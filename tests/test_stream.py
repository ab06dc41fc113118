"""The streaming path for long files gives the in-memory path's numbers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile as sf
from conftest import noise, tone

import melcli
from melcli import MelParams, Status, stream
from melcli.discover import Job
from melcli.pipeline import process_one


@pytest.fixture
def long_stereo(tmp_path: Path) -> Path:
    sr = 44100
    y = tone(330.0, sr=sr, seconds=6.0, channels=2)
    y[:, 1] += noise(sr=sr, seconds=6.0, seed=5) * 0.2
    y[sr : 2 * sr] *= 0.01  # a quiet second, so that top_db clamps something
    path = tmp_path / "long.wav"
    sf.write(path, y, sr, subtype="PCM_24")
    return path


SETTINGS: dict[str, dict[str, Any]] = {
    "defaults": {},
    "keep-channels": {"mono": False},
    "native-rate": {"sr": None},
    "upsample": {"sr": 48000},
    "uncentred": {"center": False},
    "reflect-odd-fft": {"pad_mode": "reflect", "n_fft": 1001, "hop_length": 250},
    "offset-duration": {"offset": 1.3, "duration": 3.1},
    "fixed-ref-no-clamp": {"ref": 1.0, "top_db": None, "power": 1.0},
    "float16": {"dtype": "float16"},
}


@pytest.mark.parametrize("name", list(SETTINGS))
@pytest.mark.usefixtures("small_blocks")
def test_streamed_equals_in_memory(
    name: str, long_stereo: Path, tmp_path: Path
) -> None:
    params = MelParams(**SETTINGS[name]).validate()
    job = Job(src=long_stereo, rel="long.wav", npy=tmp_path / "out" / "long.npy")
    result = process_one(job, params=params)
    assert result.status is Status.WRITTEN, result.reason
    assert "db_write" in result.timings  # it did take the streaming path
    streamed = np.load(job.npy)
    whole = melcli.mel_spectrogram(long_stereo, params=params)
    assert streamed.dtype == whole.dtype
    assert streamed.shape == whole.shape == result.shape
    atol = 0.05 if params.dtype == "float16" else 1e-3
    np.testing.assert_allclose(
        streamed.astype(np.float32), whole.astype(np.float32), rtol=0, atol=atol
    )
    assert list((tmp_path / "out").iterdir()) == [job.npy]  # no temp files left


@pytest.mark.usefixtures("small_blocks")
def test_streamed_png_is_rendered(long_stereo: Path, tmp_path: Path) -> None:
    job = Job(
        src=long_stereo,
        rel="long.wav",
        npy=tmp_path / "long.npy",
        png=tmp_path / "long.png",
    )
    result = process_one(job, params=MelParams())
    assert result.status is Status.WRITTEN, result.reason
    assert job.png is not None
    assert job.png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.usefixtures("small_blocks")
def test_streamed_failure_leaves_nothing(tmp_path: Path) -> None:
    y = tone(seconds=3.0)
    y[40000:40010] = np.nan
    path = tmp_path / "nan.wav"
    sf.write(path, y, 22050, subtype="FLOAT")
    job = Job(src=path, rel="nan.wav", npy=tmp_path / "out" / "nan.npy")
    result = process_one(job, params=MelParams())
    assert result.status is Status.FAILED
    assert result.reason == "non-finite samples: 10 NaN, 0 Inf"
    assert not any((tmp_path / "out").iterdir())


def test_short_files_stay_in_memory(tmp_path: Path) -> None:
    path = tmp_path / "short.wav"
    sf.write(path, tone(seconds=2.0), 22050)
    job = Job(src=path, rel="short.wav", npy=tmp_path / "short.npy")
    result = process_one(job, params=MelParams())
    assert result.status is Status.WRITTEN
    assert "db_write" not in result.timings


@pytest.mark.slow
def test_memory_does_not_grow_with_the_length_of_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Hours-long files in bounded memory: numpy's allocations, traced."""
    import tracemalloc

    monkeypatch.setattr(stream, "STREAM_SECONDS", 1.0)
    monkeypatch.setattr(stream, "DECODE_BLOCK", 1 << 14)
    monkeypatch.setattr(stream, "DB_CHUNK", 256)
    sr = 22050
    params = MelParams().validate()
    lengths = {"warm-up": 5.0, "1 min": 60.0, "4 min": 240.0}
    peaks = {}
    for name, seconds in lengths.items():
        path = tmp_path / f"{name}.wav"
        sf.write(path, noise(sr=sr, seconds=seconds, seed=1) * 0.5, sr, "PCM_16")
        job = Job(path, path.name, tmp_path / "out" / f"{name}.npy")
        tracemalloc.start()
        try:
            result = process_one(job, params=params)
            peaks[name] = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert result.status is Status.WRITTEN, result.reason
    samples_of_4_min = 240 * sr * 4  # float32 bytes, what loading it whole takes
    assert peaks["4 min"] < samples_of_4_min / 8
    assert peaks["4 min"] < 1.25 * peaks["1 min"]

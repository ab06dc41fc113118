"""Decoding: the 16-bit fast path and the float path give the same numbers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from melcli import MelParams, audio


@pytest.mark.parametrize(
    ("fmt", "ext"), [("WAV", "wav"), ("FLAC", "flac"), ("AIFF", "aiff")]
)
@pytest.mark.parametrize("channels", [1, 2, 3, 6])
@pytest.mark.parametrize("mono", [True, False])
def test_pcm16_fast_path_equals_float_decoding(
    tmp_path: Path, fmt: str, ext: str, channels: int, mono: bool
) -> None:
    rng = np.random.default_rng(channels)
    # Full-scale extremes included: -32768 and 32767.
    samples = rng.integers(-32768, 32768, size=(5000, channels), dtype=np.int16)
    samples[0] = -32768
    samples[1] = 32767
    path = tmp_path / f"x.{ext}"
    sf.write(path, samples, 16000, format=fmt, subtype="PCM_16")

    wave = audio.load(path, MelParams(sr=None, mono=mono))

    floats, _ = sf.read(path, dtype="float32", always_2d=True)
    expected = np.mean(floats.T, axis=0) if mono else floats.T  # librosa.to_mono
    assert wave.y.dtype == np.float32
    np.testing.assert_array_equal(wave.y, expected)


def test_non_finite_float_samples_are_counted(tmp_path: Path) -> None:
    y = np.zeros(1000, dtype=np.float32)
    y[:3] = np.nan
    y[5] = np.inf
    y[6] = -np.inf
    path = tmp_path / "bad.wav"
    sf.write(path, y, 8000, subtype="FLOAT")
    with pytest.raises(audio.AudioError, match=r"^non-finite samples: 3 NaN, 2 Inf$"):
        audio.load(path, MelParams(sr=None))

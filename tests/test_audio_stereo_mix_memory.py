"""16-bit stereo is mixed in blocks: the same numbers, no clip-sized float copy.

Two pool workers share one last-level cache; a temporary twice the size of
the mix, written to fresh memory at every file, was traffic each paid for the
other (bench/README.md, issue 19, eleventh round).
"""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from melcli import MelParams, audio


def _samples(frames: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    data = rng.integers(-32768, 32768, size=(frames, 2), dtype=np.int16)
    data[0] = (-32768, -32768)  # full scale both ways, both channels
    data[-1] = (32767, 32767)
    return data


def test_mixing_a_long_stereo_clip_allocates_little_beyond_the_mix() -> None:
    data = _samples(60 * 44100)  # a minute: the mix is 10.6 MB
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        y = audio._pcm16_to_float(data, mono=True)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert y.dtype == np.float32
    assert y.shape == (data.shape[0],)
    # Cast whole, the float pairs alone were twice the mix (peak 3x it).
    assert peak < 1.5 * y.nbytes


@pytest.mark.parametrize(
    "frames", [1, 1000, (1 << 16) - 1, 1 << 16, (1 << 16) + 1, 3 * (1 << 16) + 123]
)
def test_the_mix_equals_the_float_path_across_blocks(
    tmp_path: Path, frames: int
) -> None:
    data = _samples(frames, seed=frames)
    path = tmp_path / "x.wav"
    sf.write(path, data, 16000, subtype="PCM_16")

    wave = audio.load(path, MelParams(sr=None))

    floats, _ = sf.read(path, dtype="float32", always_2d=True)
    np.testing.assert_array_equal(wave.y, np.mean(floats.T, axis=0))  # librosa's
    assert wave.y.dtype == np.float32

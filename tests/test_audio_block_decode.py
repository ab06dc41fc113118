"""16-bit audio is decoded and mixed to mono block by block: the same numbers.

Decoded whole, a 10-s stereo clip's 16-bit samples (1.76 MB) were written by
the decoder and read back by the mix through the cache two pool workers
share; each block is now mixed while it is in a core's cache
(bench/README.md, issue 19, thirteenth round).
"""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from melcli import MelParams, audio

BLOCK = audio.MIX_BLOCK_FRAMES


def _write(path: Path, frames: int, channels: int, seed: int = 0, **kw: str) -> None:
    rng = np.random.default_rng(seed)
    data = rng.integers(-32768, 32768, size=(frames, channels), dtype=np.int16)
    data[0] = -32768  # full scale both ways
    data[-1] = 32767
    sf.write(path, data, 16000, subtype="PCM_16", **kw)


def _librosa_mono(path: Path, start: int = 0, stop: int | None = None) -> np.ndarray:
    floats, _ = sf.read(path, dtype="float32", always_2d=True, start=start, stop=stop)
    return np.mean(floats.T, axis=0)  # librosa.to_mono


def test_decoding_a_long_stereo_file_never_holds_its_samples_whole(
    tmp_path: Path,
) -> None:
    path = tmp_path / "minute.wav"
    _write(path, 60 * 16000, 2)
    params = MelParams(sr=None).validate()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        wave = audio.load(path, params)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert wave.y.shape == (60 * 16000,)
    # Read whole, the 16-bit samples alone were the size of the mix (peak 2x).
    assert peak < 1.3 * wave.y.nbytes


@pytest.mark.parametrize("suffix", [".wav", ".flac", ".aiff"])
@pytest.mark.parametrize("channels", [1, 2, 3])
@pytest.mark.parametrize("frames", [1, BLOCK - 1, BLOCK, 2 * BLOCK + 123])
def test_blocks_give_the_numbers_of_the_float_path(
    tmp_path: Path, suffix: str, channels: int, frames: int
) -> None:
    path = tmp_path / f"x{suffix}"
    _write(path, frames, channels, seed=frames + channels)

    wave = audio.load(path, MelParams(sr=None).validate())

    assert wave.y.dtype == np.float32
    np.testing.assert_array_equal(wave.y, _librosa_mono(path))


@pytest.mark.parametrize("suffix", [".wav", ".flac"])
def test_offset_and_duration_read_across_blocks(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"x{suffix}"
    _write(path, 3 * BLOCK + 7, 2, seed=3)
    start, length = BLOCK // 2 + 5, 2 * BLOCK + 11
    params = MelParams(sr=None, offset=start / 16000, duration=length / 16000)

    wave = audio.load(path, params.validate())

    np.testing.assert_array_equal(wave.y, _librosa_mono(path, start, start + length))


def test_a_duration_past_the_end_reads_what_the_file_holds(tmp_path: Path) -> None:
    path = tmp_path / "x.flac"
    _write(path, BLOCK + 3, 2, seed=4)

    wave = audio.load(path, MelParams(sr=None, duration=1e9).validate())

    np.testing.assert_array_equal(wave.y, _librosa_mono(path))


def test_a_flac_cut_inside_its_frames_fails_as_lost_sync(tmp_path: Path) -> None:
    # Read in blocks, soundfile's seek after each read reached the cut first
    # and said "internal psf_fseek() failed": the reason must be the decoder's.
    path = tmp_path / "x.flac"
    _write(path, 4 * BLOCK, 2, seed=5)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) * 7 // 10])

    with pytest.raises(audio.AudioError, match=r"\(flac decoder lost sync\)$"):
        audio.load(path, MelParams(sr=None).validate())

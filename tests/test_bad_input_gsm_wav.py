"""A GSM 6.10 WAV ends where its blocks do, without a block of noise after.

libsndfile takes the pad byte after a data chunk of an odd size (an odd
number of 65-byte blocks, so every other GSM WAV) for the start of one more
block, and decodes 320 frames of noise from it, up to full scale: 40 ms of
it at 8 kHz ended every such array. ffmpeg, and the WAV's own ``fact``
chunk, end where the blocks do; so does melcli now, on every read path, in
``melcli info`` and in a cut file's message.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from melcli import MelParams, audio
from melcli.stream import stream_to_npy

SR = 8000
PARAMS = MelParams(sr=None).validate()
#: Frames written: 25 blocks (an odd data size), 26 (even), 1, and an odd
#: count that leaves a padded block.
LENGTHS = (8000, 8320, 320, 48005)


def gsm_wav(path: Path, n: int) -> np.ndarray:
    """Write ``n`` frames of a tone as a GSM 6.10 WAV; return them."""
    y = (0.3 * np.sin(np.arange(n) / 5)).astype("f4")
    sf.write(path, y, SR, format="WAV", subtype="GSM610")
    return y


@pytest.mark.parametrize("n", LENGTHS)
def test_a_gsm_wav_holds_its_blocks_and_nothing_after(tmp_path: Path, n: int) -> None:
    path = tmp_path / "a.wav"
    y = gsm_wav(path, n)
    blocks = -(-n // 320)  # the encoder pads the last block
    wave = audio.load(path, PARAMS)
    assert wave.y.shape == (blocks * 320,)
    assert audio.probe(path).frames == blocks * 320
    # What follows the signal is the codec's padding, never loud noise.
    assert np.abs(wave.y[n:]).max(initial=0.0) <= np.abs(y).max() * 1.5


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs ffmpeg")
@pytest.mark.parametrize("n", LENGTHS)
def test_it_decodes_as_ffmpeg_does(tmp_path: Path, n: int) -> None:
    path = tmp_path / "a.wav"
    gsm_wav(path, n)
    raw = subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-i", str(path), "-f", "f32le", "-"],
        check=True,
        capture_output=True,
    ).stdout
    np.testing.assert_array_equal(
        audio.load(path, PARAMS).y, np.frombuffer(raw, dtype="<f4")
    )


def test_the_streamed_path_ends_there_too(tmp_path: Path) -> None:
    path = tmp_path / "a.wav"
    gsm_wav(path, 8000)
    streamed = stream_to_npy(path, tmp_path / "a.npy", params=PARAMS)
    assert streamed.shape == (128, 1 + 8000 // 512)  # librosa's defaults
    assert streamed.info.frames == 8000


def test_a_cut_one_says_the_length_of_its_blocks(tmp_path: Path) -> None:
    path = tmp_path / "a.wav"
    gsm_wav(path, 8000)
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * 0.9)])
    with pytest.raises(
        audio.AudioError, match=r"^truncated: decoded 0\.\d\d s of 1\.00 s$"
    ):
        audio.load(path, PARAMS)

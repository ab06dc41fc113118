"""A chained Ogg file is decoded link by link: no noise, no extra samples.

libsndfile decodes a chained file's first link only, so such a file goes
through ffmpeg; ffmpeg 5 decoding one link after another carries its
decoder's state over: where a second Opus link begins, 16 ms of noise up to
3x full scale were written into the spectrogram, and a Vorbis chain gained
256 samples. Each link is now decoded on its own and the samples joined.
And ``melcli info`` fails a chain cut short as a run does (it listed one).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from conftest import invoke

from melcli import MelParams, audio

pytestmark = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="no ffmpeg")

PARAMS = MelParams(sr=None).validate()


def link(tmp_path: Path, name: str, codec: str, seconds: int) -> Path:
    """A tone of 0.5, of a frequency of its own, encoded by ffmpeg as one stream."""
    path = tmp_path / name
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-f", "lavfi", "-i",
         f"sine=frequency={300 + 100 * seconds}:duration={seconds}:sample_rate=22050",
         "-af", "volume=0.5", "-c:a", codec, str(path)],
        check=True,
    )  # fmt: skip
    return path


def ffmpeg_decode(path: Path) -> np.ndarray:
    """The samples ffmpeg decodes from ``path`` alone (mono)."""
    raw = subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-i", str(path), "-f", "f32le", "-"],
        check=True,
        capture_output=True,
    ).stdout
    return np.frombuffer(raw, dtype=np.float32)


@pytest.mark.parametrize("codec", ["libopus", "libvorbis"])
def test_each_link_is_decoded_on_its_own(tmp_path: Path, codec: str) -> None:
    parts = [link(tmp_path, f"{n}.ogg", codec, s) for n, s in enumerate((2, 3))]
    chained = tmp_path / "chained.ogg"
    chained.write_bytes(b"".join(p.read_bytes() for p in parts))
    alone = [ffmpeg_decode(p) for p in parts]
    wave = audio.load(chained, PARAMS)
    assert len(wave.y) == sum(len(a) for a in alone)
    # No more than the links' own peaks: no noise where the second begins.
    assert np.abs(wave.y).max() <= max(np.abs(a).max() for a in alone) + 0.01
    assert np.allclose(wave.y[len(alone[0]) :], alone[1], atol=1e-4)
    info = audio.probe(chained)
    assert (info.samplerate, info.frames) == (wave.sr, len(wave.y))


def test_a_chain_cut_short_fails_in_info_as_in_a_run(tmp_path: Path) -> None:
    parts = [link(tmp_path, f"{n}.ogg", "libopus", s) for n, s in enumerate((2, 3))]
    data = b"".join(p.read_bytes() for p in parts)
    path = tmp_path / "cut.opus"
    path.write_bytes(data[: len(data) - 500])
    said = "then the Ogg stream ends in the middle of a page"
    with pytest.raises(audio.AudioError, match=said):
        audio.load(path, PARAMS)
    with pytest.raises(audio.AudioError, match=said):
        audio.probe(path)
    listing = invoke("info", path)
    assert listing.exit_code != 0
    assert said in listing.stderr

"""MP3 inside a WAV (format tag 0x55) is judged by its frames, as a bare MP3 is.

libsndfile's frame count for MPEG audio in a WAV is an estimate from the
data chunk's size, as for a bare MP3 without a Xing header, and it exceeds
what decodes: every such file from ``ffmpeg -c:a libmp3lame -f wav`` failed,
``truncated: decoded 2.04 s of 2.06 s``. Its frames are walked as a bare
MP3's are; a cut one still fails.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from melcli import MelParams, audio
from melcli.cli import cli

pytestmark = pytest.mark.skipif(
    shutil.which("ffmpeg") is None, reason="ffmpeg is not installed"
)
PARAMS = MelParams(sr=None).validate()
#: (sampling rate, channels, seconds): MPEG-1 and MPEG-2, mono and stereo.
KINDS = [(44100, 1, 2.0), (16000, 1, 2.1), (44100, 2, 3.7)]


def wav_mp3(path: Path, sr: int, channels: int, seconds: float) -> int:
    """Write MP3 in a WAV with ffmpeg; return the frames ffmpeg decodes from it."""
    source = ["-f", "lavfi", "-i", f"sine=f=440:d={seconds}:r={sr}"]
    encode = ["-ac", str(channels), "-c:a", "libmp3lame", "-f", "wav", str(path)]
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-y", *source, *encode], check=True
    )
    raw = subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-i", str(path), "-f", "f32le", "-"],
        check=True,
        capture_output=True,
    ).stdout
    return len(raw) // (4 * channels)


@pytest.mark.parametrize(("sr", "channels", "seconds"), KINDS)
def test_a_whole_one_is_written_as_long_as_ffmpeg_decodes_it(
    tmp_path: Path, sr: int, channels: int, seconds: float
) -> None:
    path = tmp_path / "a.wav"
    frames = wav_mp3(path, sr, channels, seconds)
    assert path.read_bytes()[20:22] == b"\x55\x00"  # WAVE_FORMAT_MPEGLAYER3
    wave = audio.load(path, PARAMS)
    assert wave.y.shape[-1] == frames
    data = path.read_bytes()
    cut = tmp_path / "cut.wav"
    for fraction in (0.3, 0.7, 0.99):
        cut.write_bytes(data[: int(len(data) * fraction)])
        with pytest.raises(audio.AudioError, match=r"^truncated: decoded"):
            audio.load(cut, PARAMS)


def test_the_command_writes_it(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    wav_mp3(src / "a.wav", 44100, 1, 2.0)
    result = CliRunner().invoke(
        cli, ["mel", str(src), "-o", str(tmp_path / "out"), "-j", "1"]
    )
    assert result.exit_code == 0, result.stderr
    assert np.isfinite(np.load(tmp_path / "out" / "a.npy")).all()

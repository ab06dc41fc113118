"""MP3 files joined one after another are decoded whole, not as their first.

``cat a.mp3 b.mp3 > ab.mp3`` (an audiobook's chapters, a podcast's parts)
gives a stream whose first Xing/Info header lists the frames of ``a.mp3``
only: libmpg123 stops there, and the file was written as its first part,
with only mpg123's note ``Xing stream size off by more than 1%`` as a
warning. The frames walked say there is more: the file is decoded through
ffmpeg (every part), ``melcli info`` counts them all, and one cut short still
fails as cut.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from click.testing import CliRunner

from melcli import MelParams, audio, containers
from melcli.cli import cli

SR = 44100
PARAMS = MelParams(sr=None).validate()
FFMPEG = shutil.which("ffmpeg")
pytestmark = pytest.mark.skipif(
    FFMPEG is None or shutil.which("ffprobe") is None,
    reason="ffmpeg is not installed (make tools installs it)",
)


def mp3(
    tmp_path: Path, name: str, seconds: float, freq: float, *, id3: bool = False
) -> bytes:
    wav, out = tmp_path / f"{name}.wav", tmp_path / f"{name}.mp3"
    t = np.arange(int(seconds * SR)) / SR
    sf.write(wav, 0.3 * np.sin(2 * np.pi * freq * t), SR)
    command = [FFMPEG or "ffmpeg", "-v", "error", "-i", str(wav)]
    command += ["-c:a", "libmp3lame", "-b:a", "128k"]
    if not id3:  # as lame writes them: the Xing/Info frame first
        command += ["-id3v2_version", "0"]
    subprocess.run([*command, str(out)], check=True)
    return out.read_bytes()


@pytest.fixture
def joined(tmp_path: Path) -> Path:
    path = tmp_path / "joined.mp3"
    path.write_bytes(mp3(tmp_path, "a", 2.0, 440) + mp3(tmp_path, "b", 1.0, 880))
    return path


def test_parts_with_their_own_id3_tags_are_not_written_as_the_first(
    tmp_path: Path,
) -> None:
    """ffmpeg stops at the second part's ID3v2 tag: failed, not written as 2 s."""
    path = tmp_path / "tagged.mp3"
    a = mp3(tmp_path, "a", 2.0, 440, id3=True)
    path.write_bytes(a + mp3(tmp_path, "b", 1.0, 880, id3=True))
    with pytest.raises(audio.AudioError, match=r"decoding stopped at 2\.0\d s"):
        audio.load(path, PARAMS)


def test_every_part_is_decoded(joined: Path, tmp_path: Path) -> None:
    first = audio.load(tmp_path / "a.mp3", PARAMS).y
    assert not containers.mp3_joined(tmp_path / "a.mp3")
    assert containers.mp3_joined(joined)
    y = audio.load(joined, PARAMS).y
    assert abs(len(y) - 3 * SR) < 4 * 1152, len(y)  # a few frames per part
    assert len(first) == 2 * SR
    # The second part's tone is there: 880 Hz dominates the last half second.
    spectrum = np.abs(np.fft.rfft(y[-SR // 2 :]))
    assert abs(np.argmax(spectrum) * 2 - 880) <= 4


def test_info_counts_every_part(joined: Path) -> None:
    result = CliRunner().invoke(cli, ["info", "--json", str(joined)])
    assert result.exit_code == 0, result.output
    assert '"duration": 3.' in result.stdout


def test_a_joined_file_cut_short_fails_as_cut(joined: Path, tmp_path: Path) -> None:
    data = joined.read_bytes()
    cut = tmp_path / "cut.mp3"
    cut.write_bytes(data[: len(data) - 200])
    with pytest.raises(
        audio.AudioError,
        match=r"^truncated: decoded 3\.\d\d s, then the last MPEG frame is cut off$",
    ):
        audio.load(cut, PARAMS)

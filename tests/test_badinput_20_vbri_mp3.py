"""An MP3 with a VBRI header (Fraunhofer's encoders) is judged by its frame count.

A VBRI header, as a Xing/Info one, lists the frames of the whole stream; but
melcli read only Xing/Info, and libmpg123 takes no length from VBRI: an MP3
cut exactly between two frames decoded to its cut as a whole, shorter file
and was written. It now fails as an MP3 cut behind a Xing header does, in a
run and in ``melcli info``.
"""

from __future__ import annotations

import shutil
import struct
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from melcli import MelParams, audio
from melcli.cli import cli

pytestmark = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="no ffmpeg")


def frame_ends(data: bytes) -> list[int]:
    """Where each frame of a CBR MPEG-1 layer III stream at 128 kb/s ends."""
    ends, pos = [], 0
    while pos + 4 <= len(data) and data[pos] == 0xFF:
        pos += 144 * 128000 // 44100 + (data[pos + 2] >> 1 & 1)
        ends.append(pos)
    return ends


def vbri_mp3(tmp_path: Path) -> tuple[bytes, list[int]]:
    """A 3-s MP3 whose first frame holds a VBRI header listing every frame."""
    path = tmp_path / "plain.mp3"
    cmd = ["ffmpeg", "-nostdin", "-v", "error", "-f", "lavfi", "-i", "sine=d=3"]
    mp3 = ["-ar", "44100", "-c:a", "libmp3lame", "-b:a", "128k", "-write_xing", "0"]
    subprocess.run([*cmd, *mp3, "-id3v2_version", "0", str(path)], check=True)
    data = bytearray(path.read_bytes())
    ends = frame_ends(bytes(data))
    assert ends[-1] == len(data)
    header = struct.pack(">HHHIIHHHH", 1, 576, 75, len(data), len(ends), 0, 1, 2, 1)
    data[36 : 36 + 4 + len(header)] = b"VBRI" + header
    return bytes(data), ends


def test_whole_vbri_mp3_is_written(tmp_path: Path) -> None:
    data, _ = vbri_mp3(tmp_path)
    path = tmp_path / "whole.mp3"
    path.write_bytes(data)
    assert audio.probe(path).frames > 0
    assert audio.load(path, MelParams().validate()).y.size > 0


def test_vbri_mp3_cut_between_frames_fails(tmp_path: Path) -> None:
    data, ends = vbri_mp3(tmp_path)
    path = tmp_path / "cut.mp3"
    path.write_bytes(data[: ends[len(ends) // 2]])
    with pytest.raises(audio.AudioError, match=r"^truncated: the file holds \d+ of"):
        audio.probe(path)
    with pytest.raises(audio.AudioError, match=r"^truncated: decoded 1\.\d\d s of 3"):
        audio.load(path, MelParams().validate())
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["mel", str(path), "-o", str(out), "-j", "1"])
    assert result.exit_code == 1
    assert not list(out.glob("*.npy"))

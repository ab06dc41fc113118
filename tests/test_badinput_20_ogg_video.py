"""The sound of an Ogg video (Theora first, then Vorbis or Opus) is decoded.

libsndfile reads an Ogg file's first stream only, and refuses one whose first
stream is not audio: every Ogg video failed, ``cannot decode: file contains
data in an unimplemented format``, though it holds audio as an MP4 or a
Matroska video does (whose audio melcli decodes through ffmpeg). Its audio
now goes through ffmpeg too, judged cut by its last Ogg page as a chained Ogg
file is, and ``melcli info`` gives its length as decoded.
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

pytestmark = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="no ffmpeg")
PARAMS = MelParams(sr=None).validate()
FFMPEG = ["ffmpeg", "-nostdin", "-v", "error", "-y"]


def video(tmp_path: Path, codec: str) -> Path:
    """A 2-s Ogg video: Theora, then a sine in ``codec``."""
    path = tmp_path / f"{codec}.ogg"
    inputs = [
        "-f",
        "lavfi",
        "-i",
        "testsrc=d=2:s=32x32",
        "-f",
        "lavfi",
        "-i",
        "sine=d=2",
    ]
    subprocess.run(
        [*FFMPEG, *inputs, "-c:v", "libtheora", "-c:a", codec, str(path)], check=True
    )
    return path


@pytest.mark.parametrize("codec", ["libvorbis", "libopus"])
def test_ogg_video_sound_is_decoded(tmp_path: Path, codec: str) -> None:
    path = video(tmp_path, codec)
    sound = tmp_path / f"{codec}-sound.ogg"
    subprocess.run([*FFMPEG, "-i", str(path), "-map", "0:a", "-c", "copy", str(sound)])
    expected = audio.load(sound, PARAMS).y  # libsndfile, of the same packets
    got = audio.load(path, PARAMS).y
    assert got.shape == expected.shape
    assert np.abs(got - expected).max() < 1e-4
    assert audio.probe(path).frames == expected.size
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["mel", str(path), "-o", str(out), "-j", "1"])
    assert result.exit_code == 0, result.stderr
    assert (out / f"{codec}.npy").is_file()


def test_cut_ogg_video_fails_as_cut(tmp_path: Path) -> None:
    path = video(tmp_path, "libvorbis")
    data = path.read_bytes()
    cut = tmp_path / "cut.ogg"
    cut.write_bytes(data[: len(data) // 2])
    expected = "the Ogg stream ends in the middle of a page"
    with pytest.raises(audio.AudioError, match=f"^truncated: {expected}$"):
        audio.probe(cut)
    with pytest.raises(
        audio.AudioError, match=rf"^truncated: decoded .*, then {expected}$"
    ):
        audio.load(cut, PARAMS)


def test_an_audio_first_ogg_is_not_taken_for_one(tmp_path: Path) -> None:
    from melcli import containers

    sound = tmp_path / "sound.ogg"
    subprocess.run([*FFMPEG, "-f", "lavfi", "-i", "sine=d=1", str(sound)], check=True)
    assert not containers.ogg_audio_behind_other(sound)
    assert containers.ogg_audio_behind_other(video(tmp_path, "libvorbis"))

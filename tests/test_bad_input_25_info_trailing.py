"""``melcli info`` says of a file what a run says: bytes after the end, a cut part.

An Ogg Vorbis or Opus stream whose end-of-stream page is followed by bytes
that are no page (junk, a stray zero byte) decodes whole, and a run writes
it; ``info`` walked its pages and failed it, ``corrupt: bytes that are no
Ogg page at byte 9284``. MP3 files joined one after another, the last one
cut inside a frame, fail in a run as cut (its frames walked); ``info``,
which counts every part through ffmpeg, listed it.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import soundfile as sf
from conftest import tone

from melcli import MelParams, audio

PARAMS = MelParams(sr=None).validate()
SR = 22050


@pytest.mark.parametrize("tail", [b"\0", bytes(range(256)) * 4])
def test_bytes_after_an_ogg_streams_end_are_no_damage(
    tmp_path: Path, tail: bytes
) -> None:
    path = tmp_path / "a.ogg"
    sf.write(path, tone(seconds=1.5, sr=SR), SR, format="OGG", subtype="VORBIS")
    path.write_bytes(path.read_bytes() + tail)
    assert audio.probe(path).frames == int(1.5 * SR)
    assert audio.load(path, PARAMS).y.shape == (int(1.5 * SR),)


def test_junk_between_two_pages_is_still_damage(tmp_path: Path) -> None:
    path = tmp_path / "a.ogg"
    sf.write(path, tone(seconds=1.5, sr=SR), SR, format="OGG", subtype="VORBIS")
    data = path.read_bytes()
    second = data.find(b"OggS", data.find(b"OggS", 4) + 4)  # the third page
    path.write_bytes(data[:second] + b"junk" + data[second:])
    with pytest.raises(audio.AudioError, match=r"^corrupt: bytes that are no Ogg page"):
        audio.probe(path)


@pytest.mark.skipif(shutil.which("lame") is None, reason="needs lame")
def test_joined_mp3s_the_last_cut_fail_in_info_as_in_a_run(tmp_path: Path) -> None:
    wav = tmp_path / "a.wav"
    sf.write(wav, tone(seconds=2.0, sr=SR), SR, subtype="PCM_16")
    mp3 = tmp_path / "a.mp3"
    subprocess.run(["lame", "--quiet", "-V", "4", str(wav), str(mp3)], check=True)
    one = mp3.read_bytes()
    mp3.write_bytes(one + one[:-5])  # its last frame 5 bytes short
    said = r"^truncated: decoded \d\.\d\d s, then the last MPEG frame is cut off$"
    for read in (audio.probe, lambda p: audio.load(p, PARAMS)):
        with pytest.raises(audio.AudioError, match=said):
            read(mp3)

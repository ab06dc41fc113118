"""A file cut before libsndfile can open it is said as cut, not as "not audio".

An MP3 cut inside its ID3v2 tag (cover art takes megabytes) or its first
frames failed with ``not an audio file (no decodable audio found)``; an Ogg
Opus file cut in its first third, or an Ogg Vorbis one inside its headers,
with ``cannot decode: supported file format but file is malformed``. Their
own bytes tell they were cut, and the message now says so as for any cut
file, ``truncated: decoded 0.00 s, then the file ends inside its ID3v2
tag``; ``melcli info`` says the same. A file whose bytes tell nothing of a
cut keeps libsndfile's reason.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from click.testing import CliRunner

from melcli import MelParams, audio
from melcli.cli import cli

SR = 22050
FAIL = MelParams(sr=None).validate()
KEEP = MelParams(sr=None, truncated="keep").validate()
CUT = r"^truncated: decoded 0\.00 s, then "


def tone(seconds: float, sr: int) -> np.ndarray:
    t = np.arange(int(seconds * sr)) / sr
    rng = np.random.default_rng(3)
    y = 0.3 * np.sin(2 * np.pi * 440 * t) + 0.05 * rng.standard_normal(len(t))
    return y.astype(np.float32)


def synchsafe(n: int) -> bytes:
    return bytes([(n >> 21) & 127, (n >> 14) & 127, (n >> 7) & 127, n & 127])


@pytest.fixture(scope="module")
def tagged_mp3(tmp_path_factory: pytest.TempPathFactory) -> tuple[bytes, int]:
    """An MP3 behind a 64 KiB ID3v2 tag (cover art); and where the tag ends."""
    if shutil.which("lame") is None:
        pytest.skip("needs the lame command")
    root = tmp_path_factory.mktemp("mp3")
    sf.write(root / "src.wav", tone(2.0, SR), SR)
    subprocess.run(
        ["lame", "--quiet", str(root / "src.wav"), str(root / "a.mp3")], check=True
    )
    art = np.random.default_rng(1).integers(0, 256, 1 << 16, dtype=np.uint8)
    body = b"APIC" + synchsafe(len(art)) + b"\x00\x00" + art.tobytes()
    tag = b"ID3\x04\x00\x00" + synchsafe(len(body)) + body
    return tag + (root / "a.mp3").read_bytes(), len(tag)


def fails_as_cut(path: Path, said: str) -> None:
    """Through the library with either policy, and ``melcli info``."""
    for params in (FAIL, KEEP):
        with pytest.raises(audio.AudioError, match=CUT + said):
            audio.load(path, params)
    with pytest.raises(audio.AudioError, match=CUT + said):
        audio.probe(path)


@pytest.mark.parametrize(
    ("after_tag", "at", "said"),
    [
        (False, 8, "the file ends inside its ID3v2 tag$"),
        (False, 30_000, "the file ends inside its ID3v2 tag$"),
        (True, 20, "the file ends inside its first MPEG frame$"),
    ],
)
def test_an_mp3_cut_in_its_tag_or_first_frame_is_said_as_cut(
    tmp_path: Path, tagged_mp3: tuple[bytes, int], after_tag: bool, at: int, said: str
) -> None:
    data, tag_end = tagged_mp3
    path = tmp_path / "cut.mp3"
    path.write_bytes(data[: at + (tag_end if after_tag else 0)])
    fails_as_cut(path, said)


def test_the_command_says_so_and_writes_nothing(
    tmp_path: Path, tagged_mp3: tuple[bytes, int]
) -> None:
    data, _ = tagged_mp3
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "cut.mp3").write_bytes(data[:30_000])
    (tmp_path / "src" / "whole.mp3").write_bytes(data)
    result = CliRunner().invoke(
        cli, ["mel", str(tmp_path / "src"), "-o", str(tmp_path / "out"), "-j", "1"]
    )
    assert result.exit_code == 1
    assert (
        "cut.mp3: truncated: decoded 0.00 s, then the file ends inside its ID3v2 tag"
    ) in result.stderr
    assert not (tmp_path / "out" / "cut.npy").exists()
    assert (tmp_path / "out" / "whole.npy").exists()


@pytest.mark.parametrize(
    ("subtype", "sr", "fraction"),
    [("OPUS", 48000, 0.1), ("OPUS", 48000, 0.25), ("VORBIS", SR, 0.15)],
)
def test_an_ogg_stream_cut_before_libsndfile_opens_it_is_said_as_cut(
    tmp_path: Path, subtype: str, sr: int, fraction: float
) -> None:
    whole = tmp_path / "whole.ogg"
    sf.write(whole, tone(3.0, sr), sr, format="OGG", subtype=subtype)
    data = whole.read_bytes()
    path = tmp_path / "cut.ogg"
    path.write_bytes(data[: int(len(data) * fraction)])
    with pytest.raises(sf.SoundFileError):  # the case: libsndfile cannot open it
        sf.SoundFile(path)
    fails_as_cut(path, "the Ogg stream ends in the middle of a page$")


def ogg_page(payload: bytes, *, flags: int) -> bytes:
    """One Ogg page holding ``payload`` (less than 255 bytes; no checksum)."""
    header = b"OggS\x00" + bytes([flags]) + bytes(8) + b"\x01\x00\x00\x00"
    return header + bytes(8) + bytes([1, len(payload)]) + payload


def test_files_whose_bytes_tell_no_cut_keep_libsndfiles_reason(
    tmp_path: Path, tagged_mp3: tuple[bytes, int]
) -> None:
    data, tag_end = tagged_mp3
    only_tag = tmp_path / "only_tag.mp3"  # a tag and nothing after: no claim
    only_tag.write_bytes(data[:tag_end])
    whole_ogg = tmp_path / "unknown_codec.ogg"  # one page, first and last
    whole_ogg.write_bytes(ogg_page(b"not a codec libsndfile knows", flags=0x06))
    for path in (only_tag, whole_ogg):
        with pytest.raises(audio.AudioError) as failed:
            audio.load(path, FAIL)
        assert not str(failed.value).startswith("truncated"), str(failed.value)

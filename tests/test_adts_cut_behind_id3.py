"""An ADTS stream behind ID3v2 tags (as HLS segments have) is walked from its start.

A tag's footer flag is bit 4 of its flags byte (the tag's sixth byte). The
ADTS walk read it from the fifth byte before the tag's end instead: a tag
ending in text such as ``Tone Ttest`` (``T`` is 0x54) sent the walk ten bytes
into the stream, where it found no ADTS and called the stream whole, and a
cut file was written as a whole, shorter one. A tag running past the end of
the file raised IndexError there.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from melcli import MelParams, audio, ffmpeg
from tests.conftest import ffmpeg_tone

pytestmark = pytest.mark.skipif(
    shutil.which("ffmpeg") is None or shutil.which("ffprobe") is None,
    reason="ffmpeg is not installed (make tools installs it)",
)
PARAMS = MelParams(sr=None).validate()


def id3v2(body: bytes, *, footer: bool = False) -> bytes:
    """An ID3v2.4 tag holding ``body`` (its frames), with a footer if asked."""
    n = len(body)
    size = bytes([n >> 21 & 127, n >> 14 & 127, n >> 7 & 127, n & 127])
    flags = b"\x10" if footer else b"\x00"
    tag = b"ID3\x04\x00" + flags + size + body
    return tag + (b"3DI\x04\x00" + flags + size if footer else b"")


#: A title frame whose text ends so that the fifth byte before the tag's end
#: (``T``, 0x54) has bit 4 set: a footer flag, if read from there.
TITLE = b"TIT2" + (11).to_bytes(4, "big") + b"\x00\x00" + b"\x03" + b"Tone Ttest"


@pytest.fixture(scope="module")
def adts(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    return ffmpeg_tone(tmp_path_factory.mktemp("adts") / "a.aac", "-f", "adts")


def middle_frame(data: bytes) -> int:
    """Where the middle ADTS frame of ``data`` starts."""
    starts, pos = [], 0
    while pos < len(data):
        starts.append(pos)
        pos += (data[pos + 3] & 3) << 11 | data[pos + 4] << 3 | data[pos + 5] >> 5
    return starts[len(starts) // 2]


@pytest.mark.parametrize("footer", [False, True])
def test_a_cut_behind_a_tag_fails_as_cut(
    adts: bytes, tmp_path: Path, footer: bool
) -> None:
    tag = id3v2(TITLE, footer=footer)
    assert tag[-5] & 0x10 or footer
    path = tmp_path / "cut.aac"
    path.write_bytes(tag + adts[: middle_frame(adts) + 2])
    assert ffmpeg.adts_cut(path) == "the last ADTS frame is cut off"
    with pytest.raises(audio.AudioError, match="the last ADTS frame is cut off"):
        audio.load(path, PARAMS)
    path.write_bytes(tag + adts)  # the whole stream, behind the same tag
    assert ffmpeg.adts_cut(path) == ""
    assert audio.load(path, PARAMS).y.size > 0


def test_a_tag_running_past_the_end_is_said(tmp_path: Path) -> None:
    path = tmp_path / "tag.aac"
    path.write_bytes(id3v2(TITLE + bytes(1000))[:40])
    assert ffmpeg.adts_cut(path) == "the file ends inside its ID3v2 tag"

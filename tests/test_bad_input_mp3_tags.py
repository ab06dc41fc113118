"""An MP3's ID3v2 tags are skipped as their headers say, whatever they hold.

The frame walk that judges an MP3 (melcli.containers) read a tag's footer
flag from the wrong byte, the fifth from the end of the tag, where cover art
or text sits: one time in two such a tag moved the walk ten bytes into the
first frame, a whole VBR file failed (``truncated: decoded 2.00 s of 2.06
s``) and its Xing frame count was lost. A tag whose size runs past the end
of the file (a cut file, or a size that is not "synchsafe", which libmpg123
forgives) stopped the walk with ``IndexError: mmap index out of range``.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from click.testing import CliRunner

from melcli import MelParams, audio, containers
from melcli.cli import cli

SR = 22050
PARAMS = MelParams(sr=None).validate()
pytestmark = pytest.mark.skipif(
    shutil.which("lame") is None, reason="needs the lame command"
)


def synchsafe(n: int) -> bytes:
    return bytes([(n >> 21) & 127, (n >> 14) & 127, (n >> 7) & 127, n & 127])


def id3v2(body: bytes, *, footer: bool = False) -> bytes:
    """An ID3v2.4 tag around ``body`` (with its footer when asked)."""
    flags = 0x10 if footer else 0
    size = synchsafe(len(body))
    tag = b"ID3\x04\x00" + bytes([flags]) + size + body
    return tag + (b"3DI\x04\x00" + bytes([flags]) + size if footer else b"")


#: A tag's last bytes as cover art or text may leave them: the fifth from the
#: end has bit 4 set, the bit of the footer flag in the tag's header.
COVER_ART_END = b"\x00" * 95 + b"\x10\xff\xd9\x00\x00"


@pytest.fixture(scope="module")
def vbr(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """Two seconds of VBR MP3 from lame: a Xing header counts its frames."""
    root = tmp_path_factory.mktemp("mp3")
    t = np.arange(2 * SR) / SR
    sf.write(root / "src.wav", (0.3 * np.sin(2 * np.pi * 440 * t)).astype("f4"), SR)
    subprocess.run(
        ["lame", "--quiet", "-V", "4", str(root / "src.wav"), str(root / "a.mp3")],
        check=True,
    )
    data = (root / "a.mp3").read_bytes()
    assert data[:3] != b"ID3"
    return data


def frame_ends(data: bytes) -> list[int]:
    """Where each MPEG frame of an untagged stream ends."""
    ends, pos = [], 0
    while (frame := containers._frame(data[pos : pos + 4])) is not None:
        pos += frame.length
        ends.append(pos)
    assert ends
    assert ends[-1] == len(data)
    return ends


@pytest.mark.parametrize(
    "tag",
    [id3v2(COVER_ART_END), id3v2(COVER_ART_END, footer=True), id3v2(b"\x00" * 100)],
    ids=["cover-art-end", "with-footer", "padding"],
)
def test_a_tagged_mp3_decodes_as_the_stream_it_holds(
    tmp_path: Path, vbr: bytes, tag: bytes
) -> None:
    (tmp_path / "plain.mp3").write_bytes(vbr)
    (tmp_path / "tagged.mp3").write_bytes(tag + vbr)
    expected = audio.load(tmp_path / "plain.mp3", PARAMS).y
    np.testing.assert_array_equal(
        audio.load(tmp_path / "tagged.mp3", PARAMS).y, expected
    )
    # Cut between two frames: only the Xing header's count tells.
    half = frame_ends(vbr)[len(frame_ends(vbr)) // 2]
    (tmp_path / "cut.mp3").write_bytes(tag + vbr[:half])
    with pytest.raises(audio.AudioError, match=r"^truncated: decoded 0\.9\d s of 2"):
        audio.load(tmp_path / "cut.mp3", PARAMS)


def test_a_tag_size_past_the_end_is_no_internal_error(
    tmp_path: Path, vbr: bytes
) -> None:
    # A v2.3 size that is not synchsafe (0x8300), of a tag of 384 bytes, which
    # libmpg123 gets past with a note: read as synchsafe, 16768 bytes, it
    # runs past the end of the file.
    tag = b"ID3\x03\x00\x00\x00\x00\x83\x00" + b"\x00" * 0x180
    assert len(tag + vbr) < 16768
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "odd_tag.mp3").write_bytes(tag + vbr)
    (tmp_path / "src" / "odd_tag_cut.mp3").write_bytes((tag + vbr)[: -len(vbr) // 2])
    result = CliRunner().invoke(
        cli, ["mel", str(tmp_path / "src"), "-o", str(tmp_path / "out"), "-j", "1"]
    )
    assert result.exit_code == 1
    said = r"odd_tag_cut\.mp3: truncated: decoded 0\.\d\d s of 2\.00 s"
    assert re.search(said, result.stderr), result.stderr
    assert "IndexError" not in result.stderr  # said as the reason, before
    assert (tmp_path / "out" / "odd_tag.npy").exists()

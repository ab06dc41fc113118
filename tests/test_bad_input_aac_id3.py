"""An ADTS AAC stream behind ID3v2 tags is AAC, decoded through ffmpeg.

``ffmpeg -f adts -write_id3v2 1``, the audio segments of HTTP live streams
and recordings of internet radio put ID3v2 tags before the stream. melcli
looked for the ADTS sync word at the file's first byte only, so such a
``.aac`` went to libsndfile and failed, ``not an audio file (format not
recognised)``. The tags are skipped as their headers say; a file cut inside
them is said as cut.
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
    shutil.which("ffmpeg") is None or shutil.which("ffprobe") is None,
    reason="ffmpeg is not installed (make tools installs it)",
)
PARAMS = MelParams(sr=None).validate()


def adts(path: Path, *, id3: bool) -> None:
    """Two seconds of a tone as ADTS AAC, behind an ID3v2 tag or not."""
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi"]
        + ["-i", "sine=f=440:d=2", "-c:a", "aac", "-f", "adts"]
        + (["-write_id3v2", "1", "-metadata", "title=news"] if id3 else [])
        + [str(path)],
        check=True,
    )


def synchsafe(n: int) -> bytes:
    return bytes([(n >> 21) & 127, (n >> 14) & 127, (n >> 7) & 127, n & 127])


def test_adts_behind_id3_tags_decodes_as_the_bare_stream(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    adts(src / "bare.aac", id3=False)
    adts(src / "tagged.aac", id3=True)
    assert (src / "tagged.aac").read_bytes()[:3] == b"ID3"
    bare = (src / "bare.aac").read_bytes()
    body = b"TIT2" + synchsafe(5) + b"\x00\x00\x03news"
    two_tags = b"ID3\x04\x00\x00" + synchsafe(len(body)) + body
    two_tags += b"ID3\x04\x00\x10" + synchsafe(len(body)) + body  # with a footer
    two_tags += b"3DI\x04\x00\x10" + synchsafe(len(body))
    (src / "two_tags.aac").write_bytes(two_tags + bare)
    expected = audio.load(src / "bare.aac", PARAMS).y
    for name in ("tagged.aac", "two_tags.aac"):
        np.testing.assert_array_equal(audio.load(src / name, PARAMS).y, expected)
    result = CliRunner().invoke(
        cli, ["mel", str(src), "-o", str(tmp_path / "out"), "-j", "1"]
    )
    assert result.exit_code == 0, result.stderr
    assert "3 written" in result.stderr


def test_a_tagged_adts_cut_inside_its_tag_or_stream_fails_as_cut(
    tmp_path: Path,
) -> None:
    whole = tmp_path / "whole.aac"
    adts(whole, id3=True)
    data = whole.read_bytes()
    path = tmp_path / "cut.aac"
    path.write_bytes(data[:20])
    with pytest.raises(audio.AudioError, match="ends inside its ID3v2 tag"):
        audio.load(path, PARAMS)
    path.write_bytes(data[: len(data) // 2 + 7])  # inside an ADTS frame
    cut_off = r"^truncated: decoded \d+\.\d\d s, then the last ADTS frame is cut off$"
    with pytest.raises(audio.AudioError, match=cut_off):
        audio.load(path, PARAMS)

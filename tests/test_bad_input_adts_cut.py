"""An ADTS AAC stream cut inside a frame's header fails as cut.

Each ADTS frame's header gives the frame's length. ffmpeg drops a last frame
cut inside its 7-byte header without a word (exit status 0, nothing on
stderr), so a cut a few bytes past a frame's start was written as a whole,
shorter stream. A file cut inside its first frame's header made ffprobe give
a sample rate of 0 and 0 channels, and melcli divided by them: a
``ZeroDivisionError`` traceback instead of a line naming the file. The
frames are walked (only for ADTS content, which goes through ffmpeg anyway).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from melcli import MelParams, audio
from melcli.cli import cli
from tests.conftest import ffmpeg_tone

pytestmark = pytest.mark.skipif(
    shutil.which("ffmpeg") is None or shutil.which("ffprobe") is None,
    reason="ffmpeg is not installed (make tools installs it)",
)
PARAMS = MelParams(sr=None).validate()


def frame_starts(data: bytes) -> list[int]:
    """Where each ADTS frame of ``data`` starts, from the lengths their headers give."""
    starts, pos = [], 0
    while pos < len(data):
        assert data[pos] == 0xFF
        assert data[pos + 1] & 0xF6 == 0xF0
        starts.append(pos)
        pos += (data[pos + 3] & 3) << 11 | data[pos + 4] << 3 | data[pos + 5] >> 5
    assert pos == len(data)
    return starts


@pytest.fixture(scope="module")
def adts(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    return ffmpeg_tone(tmp_path_factory.mktemp("adts") / "a.aac", "-f", "adts")


@pytest.mark.parametrize("into", [1, 2, 4, 6])
def test_a_cut_inside_a_frame_header_fails_as_cut(
    adts: bytes, tmp_path: Path, into: int
) -> None:
    starts = frame_starts(adts)
    middle = starts[len(starts) // 2]
    path = tmp_path / "cut.aac"
    path.write_bytes(adts[: middle + into])
    with pytest.raises(audio.AudioError, match="the last ADTS frame is cut off"):
        audio.load(path, PARAMS)
    path.write_bytes(adts[:middle])  # between two frames: a whole, shorter stream
    assert audio.load(path, PARAMS).y.size > 0


@pytest.mark.parametrize("size", [2, 3, 5, 6, 7, 8, 40])
def test_a_cut_inside_the_first_frame_fails_as_cut(
    adts: bytes, tmp_path: Path, size: int
) -> None:
    path = tmp_path / "cut.aac"
    path.write_bytes(adts[:size])
    expected = "truncated: decoded 0.00 s, then the file ends inside its first ADTS"
    with pytest.raises(audio.AudioError, match=expected):
        audio.load(path, PARAMS)
    with pytest.raises(audio.AudioError, match=expected):
        audio.probe(path)


def test_the_batch_says_each_cut_file_in_one_line(adts: bytes, tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "a_whole.aac").write_bytes(adts)
    (src / "header.aac").write_bytes(adts[:5])
    middle = frame_starts(adts)[5]
    (src / "middle.aac").write_bytes(adts[: middle + 3])
    for jobs in ("1", "2"):
        out = tmp_path / f"out{jobs}"
        result = CliRunner().invoke(cli, ["mel", str(src), "-o", str(out), "-j", jobs])
        assert result.exit_code == 1, result.stderr
        assert "Traceback" not in result.stderr
        assert "1 written, 2 failed" in result.stderr
        lines = [line for line in result.stderr.splitlines() if "error:" in line]
        assert len(lines) == 2, result.stderr
        assert "header.aac: truncated: decoded 0.00 s" in lines[0]
        assert "middle.aac: truncated: decoded 0.2" in lines[1]
        assert lines[1].endswith("then the last ADTS frame is cut off")
        assert sorted(p.name for p in out.rglob("*.npy")) == ["a_whole.npy"]
    result = CliRunner().invoke(cli, ["info", str(src / "header.aac")])
    assert result.exit_code == 1
    assert "Traceback" not in result.output

"""What goes through ffmpeg (MP4/AAC, FLAC of unknown length) and is cut short
says so plainly, as a file libsndfile decodes does, with ffmpeg's words after."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import ffmpeg_tone

from melcli.cli import cli

pytestmark = pytest.mark.skipif(
    shutil.which("ffmpeg") is None or shutil.which("ffprobe") is None,
    reason="ffmpeg is not installed (make tools installs it)",
)


@pytest.mark.parametrize(
    ("name", "options", "expected"),
    [
        # MP4 with its index first: ffmpeg decodes up to the cut.
        (
            "fast.m4a",
            ("-c:a", "aac", "-movflags", "+faststart"),
            r"truncated: decoded 1\.\d\d s, then the file ends inside its 'mdat' box",
        ),
        # MP4 with its index at the end (ffmpeg's default): the index is gone,
        # nothing decodes (ffprobe: "moov atom not found"); its boxes say why.
        (
            "plain.m4a",
            ("-c:a", "aac"),
            r"truncated: the file ends inside its 'mdat' box, before its index"
            r" \('moov'\): no audio decodes",
        ),
        # Bare AAC (ADTS): no length to compare with.
        (
            "bare.aac",
            ("-c:a", "aac", "-f", "adts"),
            r"truncated: decoded 1\.\d\d s, then the last ADTS frame is cut off",
        ),
    ],
)
def test_a_file_cut_short_says_so(
    tmp_path: Path, name: str, options: tuple[str, ...], expected: str
) -> None:
    src = tmp_path / "src"
    src.mkdir()
    data = ffmpeg_tone(tmp_path / name, *options)
    (src / name).write_bytes(data[: len(data) // 2])

    result = CliRunner().invoke(cli, ["mel", str(src), "-o", str(tmp_path / "out")])

    assert result.exit_code == 1
    line = result.stderr.splitlines()[0]
    assert line.startswith(f"error: {src / name}: "), line
    assert re.fullmatch(expected, line.split(": ", 2)[2]), line
    assert not list((tmp_path / "out").glob("*.npy"))

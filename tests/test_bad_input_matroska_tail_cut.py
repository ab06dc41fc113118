"""A WebM or Matroska file cut near its end fails as cut, by its Segment's size.

ffmpeg decodes a Matroska file cut in its last few bytes (its last packet or
its index) without a word, and melcli wrote it as whole. The Segment
element gives its size: a file shorter than it says is cut. A stream
written live (to a pipe) gives "unknown" and claims nothing.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from melcli import MelParams, audio
from melcli.cli import cli

pytestmark = pytest.mark.skipif(
    shutil.which("ffmpeg") is None or shutil.which("ffprobe") is None,
    reason="ffmpeg is not installed (make tools installs it)",
)
PARAMS = MelParams(sr=None).validate()


def encode(path: Path, *options: str, pipe: bool = False) -> bytes:
    command = ["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi"]
    command += ["-i", "sine=f=440:d=1.5", *options]
    if pipe:
        with path.open("wb") as f:
            subprocess.run([*command, "pipe:"], stdout=f, check=True)
    else:
        subprocess.run([*command, str(path)], check=True)
    return path.read_bytes()


@pytest.mark.parametrize(
    ("name", "options"),
    [("a.webm", ["-c:a", "libopus"]), ("a.mka", ["-c:a", "libvorbis"])],
)
def test_a_file_cut_in_its_last_bytes_fails_as_cut(
    tmp_path: Path, name: str, options: list[str]
) -> None:
    data = encode(tmp_path / name, *options)
    audio.load(tmp_path / name, PARAMS)  # whole: written
    cut = tmp_path / f"cut{Path(name).suffix}"
    for short in (1, 5, 12, 17, 23, 40):
        cut.write_bytes(data[:-short])
        with pytest.raises(audio.AudioError, match="truncated"):
            audio.load(cut, PARAMS)


def test_a_live_stream_of_unknown_size_is_written(tmp_path: Path) -> None:
    encode(tmp_path / "live.webm", "-c:a", "libopus", "-f", "webm", pipe=True)
    assert audio.load(tmp_path / "live.webm", PARAMS).y.size > 0


def test_the_command_says_it(tmp_path: Path) -> None:
    data = encode(tmp_path / "a.webm", "-c:a", "libopus")
    src = tmp_path / "src"
    src.mkdir()
    (src / "whole.webm").write_bytes(data)
    (src / "cut.webm").write_bytes(data[:-1])
    result = CliRunner().invoke(
        cli, ["mel", str(src), "-o", str(tmp_path / "out"), "--ext", "webm"]
    )
    assert result.exit_code == 1, result.stderr
    assert "1 written, 1 failed" in result.stderr
    assert "cut.webm: " in result.stderr

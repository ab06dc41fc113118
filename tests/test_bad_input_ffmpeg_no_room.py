"""A full temporary folder is not a damaged input.

ffmpeg decodes MP4/AAC into a temporary file. When that file's folder fills
up, ffmpeg stops (``No space left on device``), and melcli said the input
was ``corrupt or truncated: decoding stopped at 0.50 s of 2.30 s``; with
``--truncated keep`` it wrote those 0.50 s as the file's array, with a
warning blaming the input. Now the file fails, naming the folder and the
cause, whatever ``--truncated`` says.

The ffmpeg here is a stand-in that writes a little audio and then says what
the real one says on a full disk (checked on a 512 KiB tmpfs:
``av_interleaved_write_frame(): No space left on device`` and ``Error
writing trailer of pipe:: No space left on device``); ffprobe is the real one.
"""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner
from hostile_corpus import make_m4a

from melcli.cli import cli

pytestmark = pytest.mark.skipif(
    shutil.which("ffmpeg") is None or shutil.which("ffprobe") is None,
    reason="ffmpeg is not installed (make tools installs it)",
)

FULL_DISK_FFMPEG = """#!/bin/sh
head -c 44100 /dev/zero
echo "av_interleaved_write_frame(): No space left on device" >&2
echo "Error writing trailer of pipe:: No space left on device" >&2
exit 1
"""


@pytest.mark.parametrize("truncated", ["fail", "keep"])
def test_a_full_temporary_folder_fails_the_file_and_keeps_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, truncated: str
) -> None:
    src = tmp_path / "src"
    src.mkdir()
    make_m4a(src / "a.m4a")
    ffprobe = shutil.which("ffprobe")
    assert ffprobe is not None
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "ffprobe").symlink_to(ffprobe)
    fake = bin_dir / "ffmpeg"
    fake.write_text(FULL_DISK_FFMPEG)
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    options = ["-o", str(tmp_path / "out"), "-j", "1", "--truncated", truncated]
    result = CliRunner().invoke(cli, ["mel", str(src), *options])
    assert result.exit_code == 1, result.stderr
    assert "a.m4a: cannot write the decoded audio to a temporary file in " in (
        result.stderr
    )
    assert "no space left on device" in result.stderr
    assert "corrupt or truncated" not in result.stderr
    assert not (tmp_path / "out" / "a.npy").exists()

"""A file shortened while its frames are walked does not kill the process.

The walks of MP3 frames, ADTS frames and Ogg pages read the file through a
memory map: a file cut short meanwhile (another program rewriting it, a
download restarted) killed melcli with SIGBUS at the first byte read past
its new end, taking the batch with it, with no line said. They now read
the file: a file shortened meanwhile reads short.

Each test shortens the file at a moment inside a walk (by wrapping a helper
the walk calls) in a child process, which must end normally.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from conftest import REPO, RUN_LIMIT, clean_env, tone

CHILD = """
import os, sys
from melcli import containers, ffmpeg
path, what = sys.argv[1], sys.argv[2]

def shortened(real):
    def call(*args):
        if os.path.getsize(path):
            os.truncate(path, 0)
        return real(*args)
    return call

if what == "mp3":
    containers.skip_id3v2 = shortened(containers.skip_id3v2)
    print(containers.claim(path, format="MP3", frames=0).cut)
elif what == "adts":
    ffmpeg.skip_id3v2 = shortened(ffmpeg.skip_id3v2)
    print(ffmpeg.adts_cut(path))
else:
    containers._ogg_checksum = shortened(containers._ogg_checksum)
    print(repr(containers.ogg_damage(path)))
"""


def run_child(path: Path, what: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", CHILD, str(path), what],
        capture_output=True,
        text=True,
        timeout=RUN_LIMIT,
        cwd=REPO,
        env=clean_env(PYTHONPATH=str(REPO)),
        check=False,
    )


def big_mp3(tmp_path: Path) -> Path:
    path = tmp_path / "a.mp3"
    sf.write(path, tone(seconds=20.0), 22050, format="MP3")
    return path


@pytest.mark.parametrize("what", ["mp3", "adts", "ogg"])
def test_a_file_shortened_during_its_walk(tmp_path: Path, what: str) -> None:
    if what == "adts":
        path = tmp_path / "a.aac"
        # ADTS frames only: a header of 0xFFF1, a length of 2000 bytes each.
        frame = bytes([0xFF, 0xF1, 0x50, 0x80, 2000 >> 3 & 0xFF, (2000 & 7) << 5, 0xFC])
        path.write_bytes((frame + bytes(2000 - len(frame))) * 2000)
    elif what == "ogg":
        path = tmp_path / "a.ogg"
        y = tone(seconds=60.0) + 0.01 * np.random.default_rng(0).standard_normal(
            60 * 22050
        ).astype(np.float32)
        sf.write(path, y, 22050, format="OGG")
    else:
        path = big_mp3(tmp_path)
    assert path.stat().st_size > 16 << 10
    done = run_child(path, what)
    assert done.returncode == 0, (done.returncode, done.stderr[-2000:])
    assert path.stat().st_size == 0  # it was emptied, during the walk

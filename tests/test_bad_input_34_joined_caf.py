"""Two CAF files joined with ``cat`` are said joined, not written to a pipe.

A CAF written to a pipe repeats its header after an empty data chunk; two
whole CAF files one after another hold a header after a data chunk full of
audio. melcli said both "written to a pipe" (PCM), and the ALAC pair "the
file ends inside its 'caff' chunk": neither is the cause.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from conftest import mel

from melcli import audio

JOINED = (
    r"^cannot decode: a CAF file follows the \d+ bytes its chunks take "
    r"\(files joined one after another"
)


def pcm_caf(path: Path) -> bytes:
    t = np.arange(16000) / 16000
    sf.write(path, 0.5 * np.sin(2 * np.pi * 300 * t), 16000, format="CAF")
    return path.read_bytes()


def alac_caf(path: Path) -> bytes:
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-f", "lavfi", "-i", "sine=d=1",
         "-c:a", "alac", str(path)],
        check=True,
    )  # fmt: skip
    return path.read_bytes()


def check_joined(path: Path, tmp_path: Path) -> None:
    with pytest.raises(audio.AudioError, match=JOINED):
        audio.probe(path)
    result = mel(path, tmp_path / "out")
    assert result.exit_code == 1
    (line,) = [s for s in result.stderr.splitlines() if path.name in s]
    assert "files joined one after another" in line
    assert "pipe" not in line
    assert not list((tmp_path / "out").rglob("*.npy"))


@pytest.mark.skipif(shutil.which("sox") is None, reason="no sox")
def test_two_pcm_cafs_joined_are_said_joined(tmp_path: Path) -> None:
    one = pcm_caf(tmp_path / "one.caf")
    assert audio.probe(tmp_path / "one.caf").frames == 16000
    path = tmp_path / "two.caf"
    path.write_bytes(one + one)
    check_joined(path, tmp_path)
    # One written to a pipe (its data chunk empty) is still said so, alone
    # or joined to another.
    sox = subprocess.run(
        ["sox", str(tmp_path / "one.caf"), "-t", "caf", "-"],
        check=True,
        stdout=subprocess.PIPE,
    )
    for piped in (sox.stdout, sox.stdout + sox.stdout):
        path.write_bytes(piped)
        with pytest.raises(audio.AudioError, match=r"^unfinished header: .* pipe"):
            audio.probe(path)


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="no ffmpeg")
def test_two_alac_cafs_joined_are_said_joined(tmp_path: Path) -> None:
    one = alac_caf(tmp_path / "one.caf")
    assert audio.probe(tmp_path / "one.caf").duration > 0.9
    path = tmp_path / "two.caf"
    path.write_bytes(one + one)
    check_joined(path, tmp_path)

"""A cut file kept with ``--truncated keep`` is warned about once, in melcli's words.

libmpg123 prints its own note on a cut MP3 (``Xing stream size off by more
than 1%...``), which was attached as a second warning, ``decoder: Warning:
...``, beside melcli's ``truncated: decoded 1.78 s of 3.00 s; kept what was
decoded``: the same cut said twice, once in a library's jargon.
"""

from __future__ import annotations

import shutil
import subprocess
import warnings
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from melcli import MelParams, audio

SR = 44100
KEEP = MelParams(sr=None, truncated="keep").validate()


@pytest.fixture
def mp3(tmp_path: Path) -> Path:
    if shutil.which("lame") is None:
        pytest.skip("needs the lame command, which is not installed")
    t = np.arange(3 * SR) / SR
    sf.write(tmp_path / "t.wav", 0.3 * np.sin(2 * np.pi * 440 * t), SR)
    subprocess.run(
        ["lame", "-S", str(tmp_path / "t.wav"), str(tmp_path / "t.mp3")], check=True
    )
    return tmp_path / "t.mp3"


def said(path: Path, params: MelParams) -> list[str]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        audio.load(path, params)
    return [str(w.message) for w in caught]


@pytest.mark.parametrize("fraction", [0.3, 0.6, 0.9])
def test_a_kept_cut_mp3_is_warned_about_once(
    mp3: Path, tmp_path: Path, fraction: float
) -> None:
    data = mp3.read_bytes()
    cut = tmp_path / "cut.mp3"
    cut.write_bytes(data[: int(len(data) * fraction) + 7])
    messages = said(cut, KEEP)
    assert len(messages) == 1, messages
    assert messages[0].endswith("; kept what was decoded"), messages


def test_a_whole_files_decoder_notes_are_still_attached(
    mp3: Path, tmp_path: Path
) -> None:
    junk = tmp_path / "junk.mp3"
    junk.write_bytes(mp3.read_bytes() + b"\xff\xfb" + bytes(range(256)) * 4)
    messages = said(junk, KEEP)
    assert any(m.startswith("decoder: ") for m in messages), messages

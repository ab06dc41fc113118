"""``melcli info`` lists a chained Opus file at the rate a run decodes it at.

libsndfile opens Opus at the rate its header names (24 kHz, 16 kHz...), but
decodes only a chained file's first link: such a file is decoded (and
counted) through ffmpeg, at 48 kHz. ``info`` gave ffmpeg's count at
libsndfile's rate: two 2-second links at 24 kHz were listed as 24000 Hz,
240000 frames, 10.000 s, where a run decodes (and records) 5.000 s.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from conftest import invoke, mel

from melcli import MelParams, audio

pytestmark = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="no ffmpeg")


def chained_opus(tmp_path: Path) -> Path:
    """Two Opus streams at 24 kHz, 2 s and 3 s, one after the other."""
    links = []
    for n, seconds in enumerate((2, 3)):
        part = tmp_path / f"link{n}.opus"
        t = np.arange(24000 * seconds) / 24000
        y = 0.5 * np.sin(2 * np.pi * 440 * (n + 1) * t)
        sf.write(part, y.astype(np.float32), 24000, format="OGG", subtype="OPUS")
        links.append(part.read_bytes())
    path = tmp_path / "in" / "chained.opus"
    path.parent.mkdir()
    path.write_bytes(b"".join(links))
    return path


def test_chained_opus_is_listed_at_the_rate_it_decodes_at(tmp_path: Path) -> None:
    path = chained_opus(tmp_path)
    wave = audio.load(path, MelParams(sr=None).validate())
    info = audio.probe(path)
    assert (info.samplerate, info.frames) == (wave.sr, wave.y.size)
    assert info.duration == pytest.approx(5.0, abs=0.05)
    listing = invoke("info", path)
    assert listing.exit_code == 0
    assert f"{wave.y.size / wave.sr:.3f} s" in listing.stdout
    result = mel(path.parent, tmp_path / "out")
    assert result.exit_code == 0, result.stderr

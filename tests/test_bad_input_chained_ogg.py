"""A chained Ogg file is decoded whole, through ffmpeg, not as its first link.

Ogg streams one after another (an internet radio recording with a link per
song, files joined with ``cat``) form one chained file. libsndfile decodes
the first link only and reports its length as the file's: a 3-s file was
written as 1 s without a word. A file whose last page is of another stream
than its first now goes to ffmpeg, which decodes every link (converted to
the first link's rate and channels); a cut one still fails as cut.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from melcli import MelParams, audio

SR = 16000
PARAMS = MelParams(sr=None).validate()
KEEP = MelParams(sr=None, truncated="keep").validate()
needs_ffmpeg = pytest.mark.skipif(
    shutil.which("ffmpeg") is None or shutil.which("ffprobe") is None,
    reason="ffmpeg is not installed (make tools installs it)",
)


def link(path: Path, seconds: float, freq: float) -> bytes:
    t = np.arange(int(seconds * SR)) / SR
    sf.write(path, 0.3 * np.sin(2 * np.pi * freq * t), SR, format="OGG")
    return path.read_bytes()


@pytest.fixture
def chained(tmp_path: Path) -> Path:
    data = link(tmp_path / "one.ogg", 1.0, 440) + link(tmp_path / "two.ogg", 2.0, 880)
    path = tmp_path / "chained.ogg"
    path.write_bytes(data)
    return path


@needs_ffmpeg
def test_every_link_of_a_chained_ogg_is_decoded(chained: Path) -> None:
    y = audio.load(chained, PARAMS).y
    assert abs(len(y) - 3 * SR) < 1024, len(y)  # within a Vorbis block per link
    # The second link's tone is there: 880 Hz dominates the last second.
    spectrum = np.abs(np.fft.rfft(y[-SR:]))
    assert abs(np.argmax(spectrum) - 880) <= 2


@needs_ffmpeg
def test_a_cut_chained_ogg_fails_as_cut(chained: Path, tmp_path: Path) -> None:
    data = chained.read_bytes()
    cut = tmp_path / "cut.ogg"
    cut.write_bytes(data[: len(data) - 1000])
    with pytest.raises(
        audio.AudioError, match=r"^truncated: decoded \d\.\d\d s, then the Ogg stream"
    ):
        audio.load(cut, PARAMS)
    # ffmpeg stops at the first link of a cut chain: what it gives is kept.
    with pytest.warns(UserWarning, match="kept what was decoded"):
        kept = audio.load(cut, KEEP)
    assert 0 < len(kept.y) < 3 * SR


def test_one_link_stays_with_libsndfile(tmp_path: Path) -> None:
    link(tmp_path / "one.ogg", 1.0, 440)
    assert len(audio.load(tmp_path / "one.ogg", PARAMS).y) == SR


def test_without_ffmpeg_it_says_what_to_install(
    chained: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "no-bin"))
    with pytest.raises(audio.AudioError, match=r"^A chained Ogg file .* needs ffmpeg"):
        audio.load(chained, PARAMS)

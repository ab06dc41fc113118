"""An offset or duration longer than any file is an option, not a crash.

``--duration 1e12`` made the reader ask numpy for the frames asked for, not
those the file holds (``MemoryError: Unable to allocate 14.6 TiB``), and
``--offset 1e308`` or ``--duration 1e308`` (finite, so valid) overflowed
when turned into frames (``OverflowError: cannot convert float infinity to
integer``): each file failed with a Python error. A duration past the end
now reads to the end, as a shorter one past the end did; an offset past the
end fails as one does.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from melcli import MelParams, audio, mel_spectrogram

SR = 8000


@pytest.fixture
def clip(tmp_path: Path) -> Path:
    path = tmp_path / "a.wav"
    t = np.arange(2 * SR) / SR
    sf.write(path, (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32), SR)
    return path


@pytest.mark.parametrize("duration", [1e12, 1e308])
def test_a_duration_past_any_end_reads_to_the_end(clip: Path, duration: float) -> None:
    whole = audio.load(clip, MelParams(sr=None)).y
    y = audio.load(clip, MelParams(sr=None, duration=duration)).y
    np.testing.assert_array_equal(y, whole)


@pytest.mark.parametrize(
    "extra", [{}, {"clip_duration": 1.0}, {"segment": 0.5}], ids=["", "clip", "seg"]
)
def test_the_features_of_a_huge_duration_are_those_of_the_file(
    clip: Path, extra: dict[str, float]
) -> None:
    params = MelParams(**extra).validate()
    expected = mel_spectrogram(clip, params=params)
    got = mel_spectrogram(clip, params=params.replace(duration=1e308).validate())
    np.testing.assert_array_equal(got, expected)


def test_an_offset_past_any_end_fails_as_past_the_end(clip: Path) -> None:
    with pytest.raises(audio.AudioError, match=r"^offset=1e\+308 s is past the end"):
        audio.load(clip, MelParams(sr=None, offset=1e308))

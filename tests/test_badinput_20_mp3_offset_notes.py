"""A whole MP3 read from an ``--offset`` carries no decoder error as its warning.

The seek lands on a frame whose bit reservoir lies in the frames before it,
which libmpg123 skipped: it says ``part2_3_length (2720) too large for
available bit count (1992)``, and melcli attached that to the file as
``warning: ...hello_world.mp3: decoder: [src/libmpg123/layer3.c...] error:
...``: a whole file read as a damaged one (found by 20-trial).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from melcli import MelParams, audio

MP3 = Path(__file__).parent.parent / "sample_audio" / "speech" / "hello_world.mp3"


@pytest.mark.parametrize("offset", [0.3, 1.0])
def test_no_reservoir_note_after_a_seek(offset: float) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        wave = audio.load(MP3, MelParams(offset=offset).validate())
    assert wave.y.size > 0
    assert [str(w.message) for w in caught] == []

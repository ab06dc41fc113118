"""An AU whose data size is a placeholder from 0x7F000000 up reads to its end.

Such a size (a writer that could not seek back to fill it in) is read as
a WAV's is: the audio runs to the end of the file. But for AU, melcli took
only 0x7FFFFFFF and up so: from 0x7FFFFFD4 (where libsndfile's sum of the
size and the data offset passes 0x7FFFFFFF) it said ``no audio samples (0
frames)`` of a file full of audio, and below that a file cut inside a sample
frame was written as whole, its partial frame dropped without a word.
(libsndfile's AU written here starts its data at byte 24; sox's at 44.)
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from conftest import invoke, mel

from melcli import MelParams, audio

FRAMES = 4001


def au_with_size(path: Path, size: int, *, cut: int = 0) -> Path:
    """A 24-bit mono AU whose data size field is ``size``, less ``cut`` bytes."""
    y = 0.5 * np.sin(np.arange(FRAMES) / 5)
    sf.write(path, y, 8000, format="AU", subtype="PCM_24")
    data = bytearray(path.read_bytes())
    data[8:12] = struct.pack(">I", size)
    path.write_bytes(bytes(data[: len(data) - cut]))
    return path


@pytest.mark.parametrize("size", [0x7FFFFFF0, 0x7FFFFFFE])
def test_whole_au_with_a_placeholder_size_is_read(tmp_path: Path, size: int) -> None:
    path = au_with_size(tmp_path / "whole.au", size)
    assert audio.probe(path).frames == FRAMES
    assert audio.load(path, MelParams(sr=None).validate()).y.shape == (FRAMES,)
    result = mel(path, tmp_path / "out")
    assert result.exit_code == 0, result.stderr


@pytest.mark.parametrize("size", [0x7F000000, 0x7FFFFF00, 0x7FFFFFD4, 0x7FFFFFFE])
def test_au_with_a_placeholder_size_cut_inside_a_frame_fails(
    tmp_path: Path, size: int
) -> None:
    path = au_with_size(tmp_path / "cut.au", size, cut=1)
    said = "truncated: decoded 0.50 s, then the file ends inside a sample frame"
    with pytest.raises(audio.AudioError, match=said):
        audio.load(path, MelParams().validate())
    result = mel(path, tmp_path / "out")
    assert result.exit_code != 0
    assert f"cut.au: {said}" in result.stderr
    assert not (tmp_path / "out" / "cut.npy").exists()
    assert said in invoke("info", path).stderr

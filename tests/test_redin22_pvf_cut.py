"""A PVF cut inside a sample frame fails, as IRCAM and PAF ones do.

A PVF's text header (``PVF1\\n1 8000 16\\n``) gives no data size: its audio
runs to the end of the file, and libsndfile dropped the bytes of a last,
partial frame without a word. A 16-bit file cut by a byte was written as
whole. (One cut between two frames cannot be told from a shorter file.)
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from conftest import invoke, mel

from melcli import MelParams, audio


@pytest.mark.parametrize(("subtype", "channels"), [("PCM_16", 1), ("PCM_32", 2)])
def test_pvf_cut_inside_a_frame_fails(
    tmp_path: Path, subtype: str, channels: int
) -> None:
    t = np.arange(8000 * channels).reshape(8000, channels)
    path = tmp_path / "tone.pvf"
    sf.write(path, 0.5 * np.sin(t / 7), 8000, format="PVF", subtype=subtype)
    params = MelParams(sr=None, mono=False).validate()
    assert audio.load(path, params).y.shape == (channels, 8000)  # whole: read
    cut = tmp_path / "cut.pvf"
    cut.write_bytes(path.read_bytes()[:-1])
    said = "truncated: decoded 1.00 s, then the file ends inside a sample frame"
    with pytest.raises(audio.AudioError, match=said):
        audio.load(cut, params)
    result = mel(cut, tmp_path / "out")
    assert result.exit_code != 0
    assert f"cut.pvf: {said}" in result.stderr
    assert said in invoke("info", cut).stderr

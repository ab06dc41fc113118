"""A signal too short for one Kaldi frame fails, saying how long it must be.

With ``snip_edges`` a frame needs ``frame_length`` samples; without, Kaldi
counts ``(n + shift // 2) // shift`` frames, so half a frame shift is enough:
the message must name that, not the frame length.
"""

from __future__ import annotations

import numpy as np
import pytest

import melcli
from melcli import MelParams

SR = 16000  # 25 ms frames: 400 samples; 10 ms shift: 160


@pytest.mark.parametrize(
    ("snip_edges", "n", "reason"),
    [
        (True, 399, "signal of 399 samples is shorter than one frame "
         "(400 samples, 25 ms)"),
        (False, 79, "signal of 79 samples is shorter than half a frame shift "
         "(80 samples, 5 ms), the least that makes a frame without snip edges"),
    ],
)  # fmt: skip
def test_too_short_for_a_frame_names_the_length_needed(
    snip_edges: bool, n: int, reason: str
) -> None:
    params = MelParams(kind="fbank", sr=SR, snip_edges=snip_edges)
    with pytest.raises(melcli.AudioError) as caught:
        melcli.mel_spectrogram(np.ones(n, np.float32), sr=SR, params=params)
    assert str(caught.value) == reason
    # One sample more makes one frame.
    S = melcli.mel_spectrogram(np.ones(n + 1, np.float32), sr=SR, params=params)
    assert S.shape == (params.num_mel_bins, 1)

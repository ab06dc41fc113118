"""An AIFF's sample rate that libsndfile cannot hold is named as its header gives it.

An AIFF (and a CAF) stores its rate as a float: libsndfile reads 0 Hz, or
1e-30, as 1 Hz, and a huge one as whatever its conversion gives, and the
message named that number, ``implausible sample rate: 1 Hz``, of a header
that says 0. The header's own rate is named, in ``melcli mel`` and
``melcli info`` alike.
"""

from __future__ import annotations

import math
import struct
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

import melcli
from melcli import MelParams, audio

SR = 8000


def _extended(value: float) -> bytes:
    """``value`` as an 80-bit IEEE 754 extended float, as AIFF stores a rate."""
    if value == 0:
        return bytes(10)
    if math.isinf(value):
        return struct.pack(">HQ", 0x7FFF, 1 << 63)
    mantissa, exponent = math.frexp(value)
    return struct.pack(">HQ", exponent + 16382, int(mantissa * 2.0**64))


@pytest.mark.parametrize(
    ("rate", "said"), [(0.0, "0"), (1e-30, "1e-30"), (0.5, "0.5"), (math.inf, "inf")]
)
def test_the_header_rate_is_named(tmp_path: Path, rate: float, said: str) -> None:
    path = tmp_path / "a.aiff"
    sf.write(path, np.zeros(SR, np.float32), SR, format="AIFF", subtype="PCM_16")
    data = bytearray(path.read_bytes())
    at = data.find(b"COMM") + 16
    data[at : at + 10] = _extended(rate)
    path.write_bytes(bytes(data))
    expected = (
        f"implausible sample rate: {said} Hz (melcli takes "
        f"{audio.MIN_SAMPLERATE} to {audio.MAX_SAMPLERATE} Hz)"
    )
    with pytest.raises(audio.AudioError) as failed:
        audio.load(path, MelParams().validate())
    assert str(failed.value) == expected
    assert melcli.info([path]).failures == [(path, expected)]

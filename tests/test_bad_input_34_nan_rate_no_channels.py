"""An AIFF or CAF whose rate is NaN, or an AIFF of 0 channels, says so.

An AIFF's rate is an 80-bit float, a CAF's a double: NaN was said as
"implausible sample rate: 67108864 Hz" (libsndfile's reading of it) or
"nan Hz"; an AIFF of 0 channels as libsndfile's "bad channel count".
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from conftest import invoke, mel

from melcli import audio


def aiff(path: Path, *, rate: bytes, channels: int = 1) -> Path:
    frames = 1600
    comm = struct.pack(">hIh", channels, frames, 16) + rate
    ssnd = struct.pack(">II", 0, 0) + bytes(frames * 2 * max(channels, 1))
    body = b"AIFFCOMM" + struct.pack(">I", len(comm)) + comm
    body += b"SSND" + struct.pack(">I", len(ssnd)) + ssnd
    path.write_bytes(b"FORM" + struct.pack(">I", len(body)) + body)
    return path


def caf_nan(path: Path) -> Path:
    sf.write(path, np.zeros(1600) + 0.1, 16000, format="CAF")
    data = bytearray(path.read_bytes())
    struct.pack_into(">d", data, data.find(b"desc") + 12, float("nan"))
    path.write_bytes(bytes(data))
    return path


def check(path: Path, said: str, tmp_path: Path) -> None:
    with pytest.raises(audio.AudioError) as info:
        audio.probe(path)
    assert str(info.value) == said
    assert f"{path.name}: {said}" in invoke("info", path).stderr
    result = mel(path, tmp_path / "out")
    assert result.exit_code == 1
    assert f"{path.name}: {said}" in result.stderr


NAN = "invalid header: its sample rate is not a number (NaN)"


@pytest.mark.parametrize("kind", ["aiff", "caf"])
def test_a_nan_rate_is_said_so(tmp_path: Path, kind: str) -> None:
    if kind == "aiff":  # exponent all ones, a mantissa not 1.0: NaN
        path = aiff(tmp_path / "nan.aiff", rate=b"\x7f\xff\xc0" + bytes(7))
    else:
        path = caf_nan(tmp_path / "nan.caf")
    check(path, NAN, tmp_path)


def test_an_aiff_of_no_channels_is_said_so(tmp_path: Path) -> None:
    path = aiff(tmp_path / "none.aiff", rate=b"\x40\x0c\xfa" + bytes(7), channels=0)
    check(path, "invalid header: 0 channels", tmp_path)

"""A header whose sample rate does not fit libsndfile's int is said as such, not "zero".

libsndfile keeps the rate in a signed 32-bit int: a WAV (or RF64, W64, AU,
CAF) claiming 2 GHz or more becomes negative there, and it refuses the file
as "SF_INFO struct incomplete", which melcli said as "sample rate or channel
count is zero". The header's own rate is read and named instead, as a rate
of 2 MHz (which libsndfile opens) is.
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from click.testing import CliRunner

from melcli import MelParams, audio
from melcli.cli import cli

SR = 8000
PARAMS = MelParams(sr=None).validate()


def rate_offset(data: bytes, fmt: str) -> tuple[int, str]:
    """Where the header's rate is, and how it is packed."""
    if fmt in ("WAV", "RF64"):
        return data.index(b"fmt ") + 12, "<I"
    if fmt == "W64":
        return data.index(b"fmt ") + 28, "<I"
    if fmt == "AU":
        return 16, ">I"
    assert fmt == "CAF"
    return data.index(b"desc") + 12, ">d"


@pytest.mark.parametrize("fmt", ["WAV", "RF64", "W64", "AU", "CAF"])
@pytest.mark.parametrize("rate", [2**31, 3_000_000_000, 0xFFFFFFF0])
def test_a_rate_beyond_libsndfiles_int_is_named(
    fmt: str, rate: int, tmp_path: Path
) -> None:
    path = tmp_path / f"x.{fmt.lower()}"
    sf.write(path, np.full(SR, 0.1, np.float32), SR, format=fmt, subtype="PCM_16")
    data = bytearray(path.read_bytes())
    at, packing = rate_offset(bytes(data), fmt)
    struct.pack_into(packing, data, at, rate)
    path.write_bytes(bytes(data))
    expected = f"implausible sample rate: {rate} Hz (melcli takes 1000 to 1000000 Hz)"
    for call in (audio.probe, lambda p: audio.load(p, PARAMS)):
        with pytest.raises(audio.AudioError) as failed:
            call(path)
        assert str(failed.value) == expected


def test_a_rate_of_zero_is_still_said_as_zero(tmp_path: Path) -> None:
    path = tmp_path / "zero.wav"
    sf.write(path, np.full(SR, 0.1, np.float32), SR, subtype="PCM_16")
    data = bytearray(path.read_bytes())
    struct.pack_into("<I", data, data.index(b"fmt ") + 12, 0)
    path.write_bytes(bytes(data))
    result = CliRunner().invoke(cli, ["info", str(path)])
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: {path}: implausible sample rate: 0 Hz (melcli takes 1000 to "
        "1000000 Hz)\n"
    )

"""A header's impossible rate, channel count or sample size: one check, one wording.

0 channels, 0-bit PCM samples, a rate of 0 were said format by format: a
WAV's 0-bit samples named, an AIFF's (COMM sampleSize 0) "unimplemented
format"; an AIFF's 0 channels named, a CAF's (desc mChannelsPerFrame 0)
"unsupported encoding"; a WAV's "channel count is zero". Every header
``containers.header_fields`` reads is now checked once, in the same words,
by a run and by ``melcli info``.
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from conftest import mel

from melcli import audio

#: Where each field is, from its chunk's name: offset and struct format.
FIELDS = {
    "WAV": (b"fmt ", {"channels": (10, "<H"), "rate": (12, "<I"), "bits": (22, "<H")}),
    "W64": (b"fmt ", {"channels": (26, "<H"), "rate": (28, "<I"), "bits": (38, "<H")}),
    "AIFF": (b"COMM", {"channels": (8, ">H"), "rate": (16, "10s"), "bits": (14, ">H")}),
    "CAF": (b"desc", {"channels": (36, ">I"), "rate": (12, ">d"), "bits": (40, ">I")}),
    "AU": (b".snd", {"channels": (20, ">I"), "rate": (16, ">I")}),
}
SAID = {
    "channels": "invalid header: 0 channels",
    "rate": "implausible sample rate: 0 Hz (melcli takes",
    "bits": "invalid header: its samples are 0-bit",
}
CASES = [(fmt, field) for fmt, (_, at) in FIELDS.items() for field in at]


@pytest.mark.parametrize(("fmt", "field"), CASES)
def test_an_impossible_field_is_said_the_same_in_every_format(
    tmp_path: Path, fmt: str, field: str
) -> None:
    path = tmp_path / f"bad.{fmt.lower()}"
    sf.write(path, np.full(16000, 0.1), 16000, format=fmt, subtype="PCM_16")
    data = bytearray(path.read_bytes())
    chunk, where = FIELDS[fmt]
    offset, kind = where[field]
    value = bytes(10) if kind == "10s" else 0
    struct.pack_into(kind, data, data.index(chunk) + offset, value)
    path.write_bytes(bytes(data))
    with pytest.raises(audio.AudioError) as info:
        audio.probe(path)
    assert str(info.value).startswith(SAID[field])
    result = mel(path, tmp_path / "out")
    assert result.exit_code == 1
    assert f"bad.{fmt.lower()}: {info.value}" in result.stderr
    assert not list((tmp_path / "out").rglob("*.npy"))


def test_a_codec_whose_bits_are_0_is_no_fault(tmp_path: Path) -> None:
    path = tmp_path / "gsm.wav"
    sf.write(path, np.full(16000, 0.1), 8000, format="WAV", subtype="GSM610")
    data = path.read_bytes()
    assert struct.unpack_from("<H", data, data.index(b"fmt ") + 22) == (0,)
    assert audio.header_fault(path) == ""
    assert audio.probe(path).frames == 16000

"""A header of absurd channels or sample size names them, not libsndfile's words.

libsndfile refuses a WAV of 32800-bit (or 0-bit) samples, or an AIFF of
65281 channels, as ``unspecified internal error``, or ``too many channels
specified``: which field is wrong, and how, was not said. The header's
own fields are read then, and named as ``check_header`` names them.
"""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
import soundfile as sf
from conftest import tone

from melcli import MelParams, audio

PARAMS = MelParams(sr=None).validate()
SR = 16000


def patched(
    tmp_path: Path, fmt: str, subtype: str, field: bytes, at: int, value: bytes
) -> Path:
    path = tmp_path / f"a.{fmt.lower()}"
    sf.write(path, tone(seconds=0.5, sr=SR), SR, format=fmt, subtype=subtype)
    data = bytearray(path.read_bytes())
    where = data.find(field) + at
    data[where : where + len(value)] = value
    path.write_bytes(bytes(data))
    return path


@pytest.mark.parametrize(
    ("fmt", "subtype", "field", "at", "value", "said"),
    [
        ("WAV", "FLOAT", b"fmt ", 22, struct.pack("<H", 32800),
         "invalid header: its samples are 32800-bit (at most 64)"),
        ("WAV", "DOUBLE", b"fmt ", 22, struct.pack("<H", 0),
         "invalid header: its samples are 0-bit (at most 64)"),
        ("WAV", "PCM_24", b"fmt ", 10, struct.pack("<H", 32770),
         "implausible channel count: 32770 (at most 256)"),
        ("AIFF", "PCM_16", b"COMM", 8, struct.pack(">H", 65281),
         "implausible channel count: 65281 (at most 256)"),
    ],
)  # fmt: skip
def test_the_field_is_named(
    tmp_path: Path,
    fmt: str,
    subtype: str,
    field: bytes,
    at: int,
    value: bytes,
    said: str,
) -> None:
    path = patched(tmp_path, fmt, subtype, field, at, value)
    for read in (audio.probe, lambda p: audio.load(p, PARAMS)):
        with pytest.raises(audio.AudioError) as caught:
            read(path)
        assert str(caught.value) == said

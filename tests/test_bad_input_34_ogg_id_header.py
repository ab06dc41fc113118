"""A Vorbis or Opus header giving no channels, or a rate melcli does not take, says so.

libsndfile refuses such a stream as "file is malformed", "unspecified
internal error", or "sample rate or channel count is zero" of a 4 GHz
rate; melcli passed those words on. The identification header on the
first page (its checksum sound) now names what it gives.
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from conftest import invoke, mel

from melcli import audio


def ogg_crc(page: bytes) -> int:
    """The Ogg page checksum (CRC-32, polynomial 0x04C11DB7, not reflected)."""
    crc = 0
    for byte in page:
        crc ^= byte << 24
        for _ in range(8):
            crc = (crc << 1 ^ 0x04C11DB7 if crc & 0x80000000 else crc << 1) & 0xFFFFFFFF
    return crc


def with_id_header(tmp_path: Path, subtype: str, at: int, value: bytes) -> Path:
    """A 1-s stream whose identification header has ``value`` at ``at``."""
    path = tmp_path / f"{subtype.lower()}.ogg"
    sf.write(path, 0.3 * np.sin(np.arange(48000) / 8), 48000, subtype=subtype)
    data = bytearray(path.read_bytes())
    body = 27 + data[26]
    end = body + sum(data[27:body])
    data[body + at : body + at + len(value)] = value
    page = bytearray(data[:end])
    page[22:26] = bytes(4)
    struct.pack_into("<I", data, 22, ogg_crc(bytes(page)))
    path.write_bytes(bytes(data))
    return path


@pytest.mark.parametrize(
    ("subtype", "at", "value", "said"),
    [
        ("VORBIS", 11, b"\x00", "invalid header: 0 channels"),
        ("VORBIS", 12, struct.pack("<I", 0), "implausible sample rate: 0 Hz"),
        ("VORBIS", 12, b"\xff" * 4, "implausible sample rate: 4294967295 Hz"),
        ("OPUS", 9, b"\x00", "invalid header: 0 channels"),
        ("OPUS", 9, b"\x06", "invalid header: its Opus header gives 6 channels for"),
    ],
)
def test_the_header_says_what_cannot_be(
    tmp_path: Path, subtype: str, at: int, value: bytes, said: str
) -> None:
    path = with_id_header(tmp_path, subtype, at, value)
    with pytest.raises(audio.AudioError) as info:
        audio.probe(path)
    assert str(info.value).startswith(said)
    assert f"{path.name}: {said}" in invoke("info", path).stderr
    result = mel(path, tmp_path / "out")
    assert result.exit_code == 1
    assert f"{path.name}: {said}" in result.stderr
    assert not list((tmp_path / "out").rglob("*.npy"))

"""An Ogg stream recorded from the middle keeps its granule positions.

An internet radio's Vorbis or Opus stream, saved from some point on, starts
at a granule position far from 0; its last page's granule is then more than
its length, and a whole file must not be failed as cut for it.
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from conftest import tone

from melcli import AudioError, MelParams, audio


def _ogg_crc(page: bytes) -> int:
    """The Ogg page checksum (CRC-32, polynomial 0x04C11DB7, not reflected)."""
    crc = 0
    for byte in page:
        crc ^= byte << 24
        for _ in range(8):
            crc = (crc << 1) ^ 0x04C11DB7 if crc & 0x80000000 else crc << 1
            crc &= 0xFFFFFFFF
    return crc


def _shift_granules(path: Path, by: int) -> None:
    """Move every audio page's granule position ``by`` samples on."""
    data = bytearray(path.read_bytes())
    pos = 0
    while pos < len(data):
        assert data[pos : pos + 4] == b"OggS"
        n_segments = data[pos + 26]
        length = 27 + n_segments + sum(data[pos + 27 : pos + 27 + n_segments])
        (granule,) = struct.unpack_from("<q", data, pos + 6)
        if granule > 0:
            struct.pack_into("<q", data, pos + 6, granule + by)
            struct.pack_into("<I", data, pos + 22, 0)  # counted as 0
            crc = _ogg_crc(bytes(data[pos : pos + length]))
            struct.pack_into("<I", data, pos + 22, crc)
        pos += length
    path.write_bytes(bytes(data))


@pytest.mark.parametrize(
    ("subtype", "sr", "by"),
    [
        ("VORBIS", 22050, 22050),
        ("VORBIS", 44100, 500),  # less than a page: cannot be told from 0
        ("VORBIS", 22050, 1),
        ("VORBIS", 44100, 10 * 44100),
        ("OPUS", 48000, 48000),
        ("OPUS", 16000, 5 * 48000 + 7),
    ],
)
def test_an_ogg_stream_starting_past_0_is_whole(
    tmp_path: Path, subtype: str, sr: int, by: int
) -> None:
    rng = np.random.default_rng(0)
    y = tone(440.0, sr=sr, seconds=3.0) + 0.1 * rng.standard_normal(3 * sr)
    path = tmp_path / "radio.ogg"
    sf.write(path, y.astype(np.float32), sr, format="OGG", subtype=subtype)
    _shift_granules(path, by)
    frames = sf.info(str(path)).frames  # libsndfile's count: the whole stream
    assert frames == 3 * sr

    wave = audio.load(path, MelParams(sr=None).validate())
    assert wave.y.shape == (frames,)


@pytest.mark.parametrize(("subtype", "sr"), [("VORBIS", 22050), ("OPUS", 16000)])
def test_an_ogg_stream_starting_past_0_damaged_inside_still_fails(
    tmp_path: Path, subtype: str, sr: int
) -> None:
    rng = np.random.default_rng(0)
    y = tone(440.0, sr=sr, seconds=4.0) + 0.1 * rng.standard_normal(4 * sr)
    path = tmp_path / "radio.ogg"
    sf.write(path, y.astype(np.float32), sr, format="OGG", subtype=subtype)
    _shift_granules(path, 3 * 48000)
    data = bytearray(path.read_bytes())
    place = len(data) // 2
    data[place : place + 20] = bytes(20)
    path.write_bytes(bytes(data))

    with pytest.raises(
        AudioError, match=r"^corrupt: .* at byte \d+.*; decoded [\d.]+ s of 4\.00 s$"
    ):
        audio.load(path, MelParams(sr=None).validate())

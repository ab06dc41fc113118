"""Bytes that are no chunk before a WAV's or AIFF's audio are named, where they are.

Each chunk's size says where the next begins; zeros, junk, or an odd-sized
chunk without its pad byte there end libsndfile's walk, and melcli passed on
its words, ``No 'data' chunk marker``, of a file that has one. It now says
where the chunks lose their way and where the audio data chunk is.
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from conftest import mel

from melcli import audio


def with_chunks_before_audio(tmp_path: Path, fmt: str, stray: bytes) -> Path:
    """A 1-s file of ``fmt`` with ``stray`` after its first chunk."""
    whole = tmp_path / f"whole.{fmt.lower()}"
    sf.write(whole, np.zeros(8000) + 0.1, 8000, format=fmt, subtype="PCM_16")
    data = bytearray(whole.read_bytes())
    order = "<" if fmt == "WAV" else ">"
    (first,) = struct.unpack_from(order + "I", data, 16)
    at = 20 + first + (first & 1)  # after the first chunk (fmt, COMM)
    data[at:at] = stray
    struct.pack_into(order + "I", data, 4, len(data) - 8)
    path = tmp_path / f"stray.{fmt.lower()}"
    path.write_bytes(bytes(data))
    return path


def check(path: Path, match: str, tmp_path: Path) -> None:
    with pytest.raises(audio.AudioError, match=match):
        audio.probe(path)
    result = mel(path, tmp_path / "out")
    assert result.exit_code == 1
    (line,) = [s for s in result.stderr.splitlines() if path.name in s]
    assert "invalid header: " in line
    assert "No 'data' chunk marker" not in line
    assert not list((tmp_path / "out").rglob("*.npy"))


@pytest.mark.parametrize(
    ("stray", "name"),
    [(bytes(16), r"\\x00\\x00\\x00\\x00"), (b"\x00\x01\x02\x03junk", r"\\x00\\x01")],
)
def test_no_chunk_before_the_audio_of_a_wav(
    tmp_path: Path, stray: bytes, name: str
) -> None:
    path = with_chunks_before_audio(tmp_path, "WAV", stray)
    data_at = path.read_bytes().find(b"data")
    match = (
        rf"^invalid header: the bytes at byte 36 are no chunk \('{name}.*'\), "
        rf"before its audio \(its 'data' chunk is at byte {data_at}\)$"
    )
    check(path, match, tmp_path)


def test_an_odd_chunk_without_its_pad_byte(tmp_path: Path) -> None:
    path = with_chunks_before_audio(tmp_path, "WAV", b"junk\x03\x00\x00\x00abc")
    match = r"^invalid header: its 'junk' chunk of 3 bytes lacks the pad byte after it"
    check(path, match, tmp_path)


def test_no_chunk_before_the_audio_of_an_aiff(tmp_path: Path) -> None:
    path = with_chunks_before_audio(tmp_path, "AIFF", b"\x01\x02\x03\x04" + bytes(8))
    match = r"^invalid header: the bytes at byte \d+ are no chunk .* 'SSND' chunk is at"
    check(path, match, tmp_path)

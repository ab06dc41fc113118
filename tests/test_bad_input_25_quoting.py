"""A chunk's name is quoted one way in every message: ``'data'``, ``'SSND'``.

Messages said ``its 'LIST' chunk`` but ``its data chunk gives 0 bytes`` and
``follow its SSND chunk``; an RF64's and a Wave64's sizes were ``its ds64
header``, ``its riff header``; and a name holding a quote came out in
double quotes (Python's ``repr``). Every name read from a file is now in
single quotes, its odd bytes escaped.
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
FMT = b"fmt " + struct.pack("<IHHIIHH", 16, 1, 1, SR, SR * 2, 2, 16)


def fails_with(path: Path, said: str) -> None:
    for read in (audio.probe, lambda p: audio.load(p, PARAMS)):
        with pytest.raises(audio.AudioError) as caught:
            read(path)
        assert said in str(caught.value)


def test_a_name_holding_a_quote_is_in_single_quotes(tmp_path: Path) -> None:
    odd = b"a'b " + struct.pack("<I", 400) + bytes(100)  # cut 300 bytes short
    body = b"WAVE" + FMT + odd
    path = tmp_path / "a.wav"
    path.write_bytes(b"RIFF" + struct.pack("<I", len(body) + 300) + body)
    fails_with(path, "the file ends inside its 'a\\x27b ' chunk, before its audio data")


def test_bytes_after_an_aiffs_sound_data_name_its_ssnd_chunk_quoted(
    tmp_path: Path,
) -> None:
    path = tmp_path / "a.aiff"
    sf.write(path, tone(seconds=2.0, sr=SR), SR, format="AIFF", subtype="PCM_16")
    data = bytearray(path.read_bytes())
    at = data.find(b"SSND")
    (size,) = struct.unpack_from(">I", data, at + 4)
    struct.pack_into(">I", data, at + 4, 8 + (size - 8) // 2)  # half the audio
    comm = data.find(b"COMM")
    struct.pack_into(">I", data, comm + 10, SR)  # and half the frames
    path.write_bytes(bytes(data))
    fails_with(path, "that are no chunk follow its 'SSND' chunk")


def test_an_rf64s_size_is_its_ds64_chunks(tmp_path: Path) -> None:
    path = tmp_path / "a.wav"
    sf.write(path, tone(seconds=1.0, sr=SR), SR, format="RF64", subtype="PCM_16")
    data = bytearray(path.read_bytes())
    assert data[12:16] == b"ds64"
    struct.pack_into("<Q", data, 20, len(data) - 8 + 100)  # 100 bytes more
    path.write_bytes(bytes(data))
    fails_with(path, "100 bytes short of the length its 'ds64' chunk gives")


def test_a_wave64s_size_is_its_wave64_headers(tmp_path: Path) -> None:
    path = tmp_path / "a.w64"
    sf.write(path, tone(seconds=1.0, sr=SR), SR, format="W64", subtype="PCM_16")
    data = bytearray(path.read_bytes())
    struct.pack_into("<Q", data, 16, len(data) + 100)
    path.write_bytes(bytes(data))
    fails_with(path, "100 bytes short of the length its Wave64 header gives")

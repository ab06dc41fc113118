"""A PCM WAV whose header gives 0-bit samples says so.

libsndfile refuses it as ``file contains data in an unimplemented format``,
the words of a codec it does not read, not of a header that gives samples
no bits; melcli passed them on. A compressed format's bits may be 0 (GSM
6.10's are): only PCM and float WAVs are judged by them.
"""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
from conftest import invoke, mel

from melcli import audio


def pcm_wav(path: Path, *, tag: int, bits: int) -> Path:
    fmt = struct.pack("<HHIIHH", tag, 1, 16000, 32000, 2, bits)
    if tag == 0xFFFE:  # extensible: its valid bits, channel mask, PCM's GUID
        guid = bytes.fromhex("0100000000001000800000aa00389b71")
        fmt += struct.pack("<HHI", 22, bits, 4) + guid
    body = b"WAVEfmt " + struct.pack("<I", len(fmt)) + fmt
    body += b"data" + struct.pack("<I", 3200) + bytes(3200)
    path.write_bytes(b"RIFF" + struct.pack("<I", len(body)) + body)
    return path


@pytest.mark.parametrize("tag", [1, 0xFFFE])  # PCM, extensible
def test_zero_bit_samples_are_named(tmp_path: Path, tag: int) -> None:
    path = pcm_wav(tmp_path / "zero.wav", tag=tag, bits=0)
    said = "invalid header: its samples are 0-bit"
    with pytest.raises(audio.AudioError, match=f"^{said}"):
        audio.probe(path)
    assert f"zero.wav: {said}" in invoke("info", path).stderr
    result = mel(path, tmp_path / "out")
    assert result.exit_code == 1
    assert f"zero.wav: {said}" in result.stderr
    assert not list((tmp_path / "out").rglob("*.npy"))

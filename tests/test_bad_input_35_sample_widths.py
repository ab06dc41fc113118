"""Samples of a width libsndfile does not read are said so, with what to do.

A 64-bit integer PCM WAV (``ffmpeg -c:a pcm_s64le``), a 40-bit one, a
16-bit float one, the same in an AIFF or CAF: libsndfile refuses each as
``file contains data in an unimplemented format`` (or ``unspecified internal
error``, ``unsupported encoding``), which names neither the samples nor a
way out; melcli passed those words on.
"""

from __future__ import annotations

import math
import struct
from pathlib import Path

import numpy as np
import pytest
from conftest import invoke, mel

import melcli
from melcli import audio

SR = 16000
Y = 0.5 * np.sin(2 * np.pi * 440 * np.arange(SR // 2) / SR)


def wav(path: Path, *, tag: int, bits: int, data: bytes) -> Path:
    block = bits // 8
    fmt = struct.pack("<HHIIHH", tag, 1, SR, SR * block, block, bits)
    body = b"WAVEfmt " + struct.pack("<I", len(fmt)) + fmt
    body += b"data" + struct.pack("<I", len(data)) + data
    path.write_bytes(b"RIFF" + struct.pack("<I", len(body)) + body)
    return path


def ints(bits: int) -> bytes:
    """``Y`` as little-endian integers of ``bits`` bits (a multiple of 8)."""
    scaled = (Y * 2.0 ** (bits - 2)).astype(np.int64)
    return b"".join(
        int(v).to_bytes(8, "little", signed=True)[: bits // 8] for v in scaled
    )


def aiff64(path: Path) -> Path:
    exponent = math.floor(math.log2(SR))
    rate = struct.pack(">HQ", exponent + 16383, int(SR * 2 ** (63 - exponent)))
    comm = struct.pack(">hIh", 1, len(Y), 64) + rate
    ssnd = bytes(8) + (Y * 2.0**62).astype(">i8").tobytes()
    body = b"AIFFCOMM" + struct.pack(">I", len(comm)) + comm
    body += b"SSND" + struct.pack(">I", len(ssnd)) + ssnd
    path.write_bytes(b"FORM" + struct.pack(">I", len(body)) + body)
    return path


def caf(path: Path, *, flags: int, bits: int, data: bytes) -> Path:
    desc = struct.pack(">d4sIIIII", float(SR), b"lpcm", flags, bits // 8, 1, 1, bits)
    body = b"caff" + struct.pack(">HH", 1, 0)
    body += b"desc" + struct.pack(">q", len(desc)) + desc
    body += b"data" + struct.pack(">q", len(data) + 4) + bytes(4) + data
    path.write_bytes(body)
    return path


S64_BE = (Y * 2.0**62).astype(">i8").tobytes()
CASES = {
    "s64.wav": lambda p: wav(p, tag=1, bits=64, data=ints(64)),
    "s40.wav": lambda p: wav(p, tag=1, bits=40, data=ints(40)),
    "f16.wav": lambda p: wav(p, tag=3, bits=16, data=Y.astype("<f2").tobytes()),
    "s64.aiff": aiff64,
    "s64.caf": lambda p: caf(p, flags=0, bits=64, data=S64_BE),
    "f16.caf": lambda p: caf(p, flags=1, bits=16, data=Y.astype(">f2").tobytes()),
}  # fmt: skip


def expected(name: str) -> str:
    bits, kind = int(name[1:3]), "floats" if name[0] == "f" else "integers"
    return f"unsupported samples: {bits}-bit {kind}, a width libsndfile"


@pytest.mark.parametrize("name", sorted(CASES))
def test_width_is_named_with_a_way_out(tmp_path: Path, name: str) -> None:
    path = CASES[name](tmp_path / name)
    with pytest.raises(audio.AudioError) as caught:
        melcli.probe(path)
    said = str(caught.value)
    assert said.startswith(expected(name)), said
    assert "convert the file to 32-bit float samples first" in said
    assert "unimplemented" not in said
    assert "internal error" not in said
    with pytest.raises(audio.AudioError, match=f"^{expected(name)}"):
        melcli.mel_spectrogram(path)
    assert f"{name}: {expected(name)}" in invoke("info", path).stderr
    result = mel(path, tmp_path / "out")
    assert result.exit_code == 1
    assert f"{name}: {expected(name)}" in result.stderr
    assert "0 written, 1 failed" in result.stderr
    assert not list((tmp_path / "out").rglob("*.npy"))


def test_ffmpeg_named_only_where_it_reads_the_file(tmp_path: Path) -> None:
    """ffmpeg reads a 64-bit integer WAV or CAF, not an AIFF, nor 40-bit ones."""
    remedy = "e.g. ffmpeg -i IN -c:a pcm_f32le OUT.wav"
    for name in CASES:
        with pytest.raises(audio.AudioError) as caught:
            melcli.probe(CASES[name](tmp_path / name))
        named = name in ("s64.wav", "s64.caf")
        assert (remedy in str(caught.value)) == named, (name, str(caught.value))

"""A WAV whose bit width its block align and byte rate contradict is refused.

libsndfile decodes a PCM WAV by its bit width alone: a 16-bit file whose
header says 24 bits (its block align and byte rate still 16-bit ones) was
decoded as full-scale noise, two thirds of its length, and written without a
word. Such a header now fails, naming its fields. A block align alone at
odds (the byte rate agreeing with the bit width) decodes right: taken.
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from conftest import mel, tone

from melcli import MelParams, audio

PARAMS = MelParams(sr=None).validate()


def patched(
    tmp_path: Path, name: str, subtype: str, channels: int, **fields: int
) -> Path:
    """A WAV of ``subtype`` with its ``fmt `` fields changed (by offset name)."""
    path = tmp_path / name
    y = tone(seconds=1.0, channels=channels, sr=16000)
    sf.write(path, y, 16000, subtype=subtype, format="WAV")
    data = bytearray(path.read_bytes())
    fmt = data.find(b"fmt ") + 8
    at = {"align": fmt + 12, "bits": fmt + 14}
    for field, value in fields.items():
        struct.pack_into("<H", data, at[field], value)
    path.write_bytes(bytes(data))
    return path


@pytest.mark.parametrize(
    ("subtype", "channels", "bits"),
    [("PCM_16", 1, 24), ("PCM_16", 2, 32), ("PCM_16", 2, 8), ("PCM_24", 1, 16)],
)
def test_a_bit_width_its_other_fields_contradict_fails(
    tmp_path: Path, subtype: str, channels: int, bits: int
) -> None:
    path = patched(tmp_path, "a.wav", subtype, channels, bits=bits)
    with pytest.raises(audio.AudioError, match=r"^invalid header: its block align"):
        audio.probe(path)
    with pytest.raises(audio.AudioError, match=rf"its bit width {bits}-bit ones"):
        audio.load(path, PARAMS)


def test_the_run_says_one_line_and_writes_nothing(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    patched(src, "bad.wav", "PCM_16", 1, bits=24)
    good = patched(src, "good.wav", "PCM_16", 2)
    # A block align alone at odds (the byte rate agrees with the bit width):
    # libsndfile decodes it right, and it is taken.
    odd = patched(src, "odd.wav", "PCM_16", 2, align=6)
    assert np.array_equal(audio.load(odd, PARAMS).y, audio.load(good, PARAMS).y)
    result = mel(src, tmp_path / "out")
    assert result.exit_code == 1, result.stderr
    said = [line for line in result.stderr.splitlines() if "bad.wav" in line]
    assert len(said) == 1, result.stderr
    assert "invalid header" in said[0]
    assert sorted(p.name for p in (tmp_path / "out").rglob("*.npy")) == [
        "good.npy",
        "odd.npy",
    ]

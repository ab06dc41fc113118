"""A PCM header at odds with itself is refused in every container that has one.

- WAV's block-align/byte-rate check held for WAV only: a W64 or RF64 whose
  bit width said 24 over 16-bit samples decoded as full-scale noise, two
  thirds of its length, and was written.
- An AIFF has no block align: its ``COMM`` frame count and its ``SSND``
  chunk's size give the sample size; libsndfile decodes by the ``COMM``
  sample size alone, and only logs that the counts differ.
- 24-bit samples stored in the low bytes of a 32-bit WAVE_FORMAT_EXTENSIBLE
  container (whose header puts its 24 valid bits at the top) decoded 48 dB
  too quiet. Left-justified ones, as the specification has them, decode.
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
SR = 16000


def with_bit_width(tmp_path: Path, name: str, fmt: str, bits: int) -> Path:
    """A 16-bit mono file of ``fmt`` whose ``fmt `` chunk's bit width is ``bits``."""
    path = tmp_path / name
    sf.write(path, tone(seconds=1.0, sr=SR), SR, subtype="PCM_16", format=fmt)
    data = bytearray(path.read_bytes())
    at = data.find(b"fmt ") + (24 if fmt == "W64" else 8)  # W64: a GUID, 64 bits
    struct.pack_into("<H", data, at + 14, bits)
    path.write_bytes(bytes(data))
    return path


def with_sample_size(tmp_path: Path, name: str, subtype: str, bits: int) -> Path:
    """A mono AIFF of ``subtype`` whose ``COMM`` sample size is ``bits``."""
    path = tmp_path / name
    sf.write(path, tone(seconds=1.0, sr=SR), SR, subtype=subtype, format="AIFF")
    data = bytearray(path.read_bytes())
    struct.pack_into(">H", data, data.find(b"COMM") + 14, bits)
    path.write_bytes(bytes(data))
    return path


def extensible(path: Path, samples: np.ndarray, *, valid: int) -> Path:
    """A mono WAVE_FORMAT_EXTENSIBLE file of 32-bit samples, ``valid`` bits valid."""
    data = samples.astype("<i4").tobytes()
    pcm = struct.pack("<IHH", 1, 0, 0x10) + bytes.fromhex("800000aa00389b71")
    fmt = struct.pack("<HHIIHH", 0xFFFE, 1, SR, SR * 4, 4, 32)
    fmt += struct.pack("<HHI", 22, valid, 4) + pcm
    body = b"WAVEfmt " + struct.pack("<I", len(fmt)) + fmt
    body += b"data" + struct.pack("<I", len(data)) + data
    path.write_bytes(b"RIFF" + struct.pack("<I", len(body)) + body)
    return path


def samples_24() -> np.ndarray:
    """A 24-bit tone at half scale, as integers."""
    return np.round(tone(seconds=1.0, sr=SR).astype(np.float64) * (1 << 23)).astype(
        np.int32
    )


@pytest.mark.parametrize("fmt", ["W64", "RF64"])
@pytest.mark.parametrize("bits", [24, 8, 32])
def test_a_w64_or_rf64_bit_width_at_odds_fails(
    tmp_path: Path, fmt: str, bits: int
) -> None:
    path = with_bit_width(tmp_path, f"a.{fmt.lower()}", fmt, bits)
    said = r"^invalid header: its block align \(2 bytes a frame\)"
    with pytest.raises(audio.AudioError, match=said):
        audio.probe(path)
    with pytest.raises(audio.AudioError, match=rf"its bit width {bits}-bit ones"):
        audio.load(path, PARAMS)


@pytest.mark.parametrize(
    ("subtype", "bits", "size"),
    [("PCM_16", 24, 2), ("PCM_16", 8, 2), ("PCM_16", 32, 2), ("PCM_24", 16, 3)],
)
def test_an_aiff_sample_size_at_odds_fails(
    tmp_path: Path, subtype: str, bits: int, size: int
) -> None:
    path = with_sample_size(tmp_path, "a.aiff", subtype, bits)
    said = (
        rf"^invalid header: its frame count \({SR}\) and its 'SSND' chunk "
        rf"\({SR * size} bytes\) give {size}-byte samples for 1 channel, its "
        rf"sample size {bits}-bit ones"
    )
    with pytest.raises(audio.AudioError, match=said):
        audio.probe(path)
    with pytest.raises(audio.AudioError, match=said):
        audio.load(path, PARAMS)
    # Not this: a float AIFF-C decodes by its compression type, whatever its
    # sample size; a cut one is said as cut.
    floats = with_sample_size(tmp_path, "f.aiff", "FLOAT", 16)
    assert np.allclose(audio.load(floats, PARAMS).y, tone(seconds=1.0, sr=SR))
    whole = tmp_path / "w.aiff"
    sf.write(whole, tone(seconds=1.0, sr=SR), SR, subtype="PCM_16", format="AIFF")
    cut = tmp_path / "cut.aiff"
    cut.write_bytes(whole.read_bytes()[:20000])
    with pytest.raises(audio.AudioError, match=r"^truncated: decoded 0\.62 s of 1"):
        audio.probe(cut)


def test_24_bit_samples_in_the_low_bytes_fail(tmp_path: Path) -> None:
    low = extensible(tmp_path / "low.wav", samples_24(), valid=24)
    said = (
        r"^invalid samples: its header gives 24 valid bits of 32, at the top of "
        r"each sample, but its samples fill the low 24 bits \(the top 8 are sign "
        r"only\): decoded, it would be 48 dB too quiet$"
    )
    with pytest.raises(audio.AudioError, match=said):
        audio.probe(low)
    with pytest.raises(audio.AudioError, match=said):
        audio.load(low, PARAMS)
    # At the top, as the specification has them: decoded.
    y = tone(seconds=1.0, sr=SR)
    high = extensible(tmp_path / "high.wav", samples_24() << 8, valid=24)
    assert np.allclose(audio.load(high, PARAMS).y, y, atol=1e-6)
    # Its valid bits miscounted: padding bits not zero, samples at full scale.
    full = (y.astype(np.float64) * (1 << 31)).astype(np.int32) | 1
    loud = extensible(tmp_path / "full.wav", full, valid=24)
    assert np.allclose(audio.load(loud, PARAMS).y, y, atol=1e-6)
    # Digital silence settles nothing: decoded (all zero, with its warning).
    quiet = extensible(tmp_path / "zero.wav", np.zeros(SR, np.int32), valid=24)
    with pytest.warns(audio.SilentInput):
        assert not audio.load(quiet, PARAMS).y.any()


def test_the_run_says_one_line_each_and_writes_the_rest(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    bad = [
        with_bit_width(src, "a.w64", "W64", 24).name,
        with_bit_width(src, "b.rf64", "RF64", 24).name,
        with_sample_size(src, "c.aiff", "PCM_16", 24).name,
        extensible(src / "d.wav", samples_24(), valid=24).name,
    ]
    extensible(src / "good.wav", samples_24() << 8, valid=24)
    result = mel(src, tmp_path / "out")
    assert result.exit_code == 1, result.stderr
    for name in bad:
        said = [line for line in result.stderr.splitlines() if name in line]
        assert len(said) == 1, result.stderr
        assert "invalid header: " in said[0] or "invalid samples: " in said[0]
    written = sorted(p.name for p in (tmp_path / "out").rglob("*.npy"))
    assert written == ["good.npy"]


@pytest.mark.parametrize(
    ("subtype", "field", "value", "said"),
    [
        ("PCM_16", 28, 24, "2 bytes a sample frame for 1 channel of 24-bit samples"),
        ("PCM_16", 16, 3, "3 bytes a sample frame for 1 channel of 16-bit samples"),
        ("FLOAT", 28, 16, "4 bytes a sample frame for 1 channel of 16-bit samples"),
    ],
)
def test_a_caf_desc_at_odds_with_itself_says_so(
    tmp_path: Path, subtype: str, field: int, value: int, said: str
) -> None:
    # libsndfile: "supported file format but unsupported encoding", the
    # words of a codec it does not read.
    path = tmp_path / "a.caf"
    sf.write(path, tone(seconds=1.0, sr=SR), SR, subtype=subtype, format="CAF")
    data = bytearray(path.read_bytes())
    struct.pack_into(">I", data, data.find(b"desc") + 12 + field, value)
    path.write_bytes(bytes(data))
    with pytest.raises(audio.AudioError) as caught:
        audio.probe(path)
    assert str(caught.value) == f"invalid header: its 'desc' chunk gives {said}"

"""A WAV whose data size stops short of the audio after it is not written as whole.

A recorder that writes its sizes now and then, stopped between two writes,
leaves a data size that gives part of its audio; the rest follows as bytes
that are no chunk. libsndfile decoded what the size gave, and the run wrote
half a recording as the whole one, without a word. Bytes after the data
that are a chunk, a chunk after a pad byte, zeros or an ID3 tag are not this.
AIFF, W64, RF64 and CAF alike (libsndfile logs nothing of a CAF's).
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
PCM = (tone(seconds=2.0, sr=SR) * 32767).astype("<i2").tobytes()
FMT = b"fmt " + struct.pack("<IHHIIHH", 16, 1, 1, SR, SR * 2, 2, 16)


def wav(riff: int, data: int, tail: bytes = b"") -> bytes:
    """A 16-bit mono WAV of 2 s whose RIFF and data sizes are those given."""
    body = FMT + b"data" + struct.pack("<I", data) + PCM + tail
    return b"RIFF" + struct.pack("<I", riff) + b"WAVE" + body


HALF = len(PCM) // 2
SAID = (
    f"truncated: decoded 1.00 s, then {HALF} bytes that are no chunk follow its "
    "'data' chunk: audio its sizes do not count (a recording stopped after they "
    "were last written), or bytes that are not audio"
)


@pytest.mark.parametrize("riff", [36 + HALF, 36 + 2 * HALF])
def test_audio_after_the_data_size_fails(tmp_path: Path, riff: int) -> None:
    path = tmp_path / "stale.wav"
    path.write_bytes(wav(riff, HALF))
    for read in (audio.probe, lambda p: audio.load(p, PARAMS)):
        with pytest.raises(audio.AudioError) as caught:
            read(path)
        assert str(caught.value) == SAID


def test_the_run_says_one_line_and_writes_the_rest(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    (src / "stale.wav").write_bytes(wav(36 + HALF, HALF))
    whole = 36 + len(PCM)
    # Not this: a tag, zeros, a chunk after a pad byte, or a W64 chunk named
    # by a GUID that is not text follow the data.
    tag = b"TAG" + b"a title".ljust(125, b"\0")
    (src / "tag.wav").write_bytes(wav(whole, len(PCM), tag))
    (src / "zeros.wav").write_bytes(wav(whole, len(PCM), bytes(512)))
    odd = wav(whole, len(PCM) - 1, b"")[:-1] + b"\0" + b"LIST" + struct.pack("<I", 4)
    (src / "odd.wav").write_bytes(odd + b"INFO")
    with_marker(src / "marker.w64")
    result = mel(src, tmp_path / "out")
    assert result.exit_code == 1, result.stderr
    lines = [line for line in result.stderr.splitlines() if "stale.wav" in line]
    assert len(lines) == 1, result.stderr
    assert lines[0].endswith(SAID)
    written = sorted(p.name for p in (tmp_path / "out").rglob("*.npy"))
    assert written == ["marker.npy", "odd.npy", "tag.npy", "zeros.npy"], result.stderr
    assert np.load(tmp_path / "out" / "tag.npy").shape[1] > 60


def stale(path: Path, fmt: str) -> Path:
    """A 2-s 16-bit ``fmt`` file whose data size gives its first second only."""
    sf.write(path, tone(seconds=2.0, sr=SR), SR, format=fmt, subtype="PCM_16")
    data = bytearray(path.read_bytes())
    at = data.find(b"SSND" if fmt == "AIFF" else b"data")
    if fmt == "AIFF":  # and its COMM frame count, as a recorder writes both
        struct.pack_into(">I", data, at + 4, HALF + 8)
        struct.pack_into(">I", data, data.find(b"COMM") + 10, SR)
    elif fmt == "W64":  # a GUID, then a size that counts its 24 bytes
        struct.pack_into("<Q", data, at + 16, HALF + 24)
    elif fmt == "RF64":  # the size in its ds64 chunk
        struct.pack_into("<Q", data, 28, HALF)
    elif fmt == "CAF":  # counts its 4-byte edit count
        struct.pack_into(">q", data, at + 4, HALF + 4)
    path.write_bytes(bytes(data))
    return path


@pytest.mark.parametrize("fmt", ["AIFF", "W64", "RF64", "CAF"])
def test_every_container_with_a_data_size(tmp_path: Path, fmt: str) -> None:
    path = stale(tmp_path / f"a.{fmt.lower()}", fmt)
    name = "SSND" if fmt == "AIFF" else "data"
    said = SAID.replace("its 'data' chunk", f"its '{name}' chunk")
    for read in (audio.probe, lambda p: audio.load(p, PARAMS)):
        with pytest.raises(audio.AudioError) as caught:
            read(path)
        assert str(caught.value) == said


def with_marker(path: Path) -> Path:
    """A whole 2-s W64 with a chunk named by a GUID that is not text after its data."""
    sf.write(path, tone(seconds=2.0, sr=SR), SR, format="W64", subtype="PCM_16")
    marker = bytes.fromhex("5662f7ab2d39d211869c00c04f8edb8a")  # Sound Forge's
    data = path.read_bytes()
    data += bytes(-len(data) % 8) + marker + struct.pack("<Q", 32) + bytes(8)
    path.write_bytes(data[:16] + struct.pack("<Q", len(data)) + data[24:])
    return path


def test_junk_after_a_whole_file_is_kept_with_truncated_keep(tmp_path: Path) -> None:
    """Bytes that are no chunk may also be junk appended to a whole file.

    They are told the same way (nothing in them says which), as a cut: the
    default fails the file, naming both readings, and ``--truncated keep``
    writes what the data size gives, with a warning.
    """
    src = tmp_path / "in"
    src.mkdir()
    junk = bytes(0x80 | i % 7 for i in range(200))
    (src / "junk.wav").write_bytes(wav(36 + len(PCM), len(PCM), junk))
    failed = mel(src, tmp_path / "out")
    assert failed.exit_code == 1, failed.stderr
    assert "200 bytes that are no chunk follow its 'data' chunk" in failed.stderr
    kept = mel(src, tmp_path / "kept", "--truncated", "keep")
    assert kept.exit_code == 0, kept.stderr
    assert "kept what was decoded" in kept.stderr
    whole = mel_of(tmp_path, wav(36 + len(PCM), len(PCM)))
    assert np.array_equal(np.load(tmp_path / "kept" / "junk.npy"), whole)


def mel_of(tmp_path: Path, data: bytes) -> np.ndarray:
    src = tmp_path / "whole"
    src.mkdir()
    (src / "junk.wav").write_bytes(data)
    assert mel(src, tmp_path / "whole-out").exit_code == 0
    return np.load(tmp_path / "whole-out" / "junk.npy")

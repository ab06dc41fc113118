"""A WAV, AIFF, RF64, W64 or IFF cut after its audio data, or on a chunk's end.

libsndfile decodes a file cut inside a chunk that follows its audio data
(``LIST``, ``id3 ``...) as whole, and one cut exactly on a chunk's end before
its audio data as one that has none (``No 'data' chunk marker``). The outer
header (``RIFF``/``FORM`` size, RF64's ``ds64``, W64's ``riff``) still gives
the length the file had: such a file fails as cut, and with ``--truncated
keep`` is written with a warning. Placeholder sizes (a file written to a
pipe) and the few bytes some writers get wrong claim nothing.
"""

from __future__ import annotations

import math
import struct
import warnings
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from click.testing import CliRunner

from melcli import MelParams, audio
from melcli.cli import cli

SR = 8000
FAIL = MelParams(sr=None).validate()
KEEP = MelParams(sr=None, truncated="keep").validate()
AFTER = r"^truncated: decoded 1\.00 s, then the file ends (inside|after) .*"
BEFORE = r"^truncated: decoded 0\.00 s, then the file ends .*before its audio data"


def pcm() -> np.ndarray:
    t = np.arange(SR) / SR
    return (0.3 * np.sin(2 * np.pi * 440 * t) * 32767).astype(np.int16)


def trailing() -> list[tuple[bytes, bytes]]:
    """Chunks a tagger puts after the audio data: an INFO list, an ID3 tag."""
    info = b"INFO" + b"INAM" + struct.pack("<I", 6) + b"hello\0"
    id3 = b"ID3\x03\x00\x00\x00\x00\x01\x00" + bytes(128)
    return [(b"LIST", info), (b"id3 ", id3)]


def riff(order: str = "<") -> tuple[bytes, int]:
    """A 16-bit mono WAV (RIFX if big-endian) with chunks after its data."""
    fmt = struct.pack(order + "HHIIHH", 1, 1, SR, 2 * SR, 2, 16)
    samples = pcm().astype(order + "i2").tobytes()
    body = b"WAVE" + b"fmt " + struct.pack(order + "I", len(fmt)) + fmt
    body += b"data" + struct.pack(order + "I", len(samples)) + samples
    data_end = 8 + len(body)
    for name, chunk in trailing():
        body += name + struct.pack(order + "I", len(chunk)) + chunk
    kind = b"RIFF" if order == "<" else b"RIFX"
    return kind + struct.pack(order + "I", len(body)) + body, data_end


def ext80(x: float) -> bytes:
    exponent = math.floor(math.log2(x))
    return struct.pack(">HQ", exponent + 16383, int(x * 2 ** (63 - exponent)))


def aiff() -> tuple[bytes, int]:
    """A 16-bit mono AIFF with chunks after its SSND."""
    samples = pcm().astype(">i2").tobytes()
    comm = struct.pack(">hIh", 1, SR, 16) + ext80(SR)
    body = b"AIFF" + b"COMM" + struct.pack(">I", len(comm)) + comm
    body += b"SSND" + struct.pack(">I", len(samples) + 8) + bytes(8) + samples
    data_end = 8 + len(body)
    body += b"NAME" + struct.pack(">I", 5) + b"hello\0"  # odd: padded
    body += b"ID3 " + struct.pack(">I", 138) + trailing()[1][1]
    return b"FORM" + struct.pack(">I", len(body)) + body, data_end


def rf64(tmp_path: Path) -> tuple[bytes, int]:
    """libsndfile's RF64, with a chunk after its data and ds64's size to match."""
    path = tmp_path / "src.rf64"
    sf.write(path, pcm(), SR, format="RF64", subtype="PCM_16")
    data = path.read_bytes()
    data_end = len(data)
    info = trailing()[0][1]
    data += b"LIST" + struct.pack("<I", len(info)) + info
    riff_size = struct.pack("<Q", len(data) - 8)
    return data[:20] + riff_size + data[28:], data_end


def w64(tmp_path: Path) -> tuple[bytes, int]:
    """libsndfile's W64, with a chunk after its data and its riff size to match."""
    path = tmp_path / "src.w64"
    sf.write(path, pcm(), SR, format="W64", subtype="PCM_16")
    data = path.read_bytes()
    data_end = len(data)
    guid = b"junk" + bytes(12)
    data += guid + struct.pack("<Q", 24 + 40) + bytes(40)
    return data[:16] + struct.pack("<Q", len(data)) + data[24:], data_end


def made(kind: str, tmp_path: Path) -> tuple[bytes, int]:
    if kind == "wav":
        return riff("<")
    if kind == "rifx":
        return riff(">")
    if kind == "aiff":
        return aiff()
    if kind == "rf64":
        return rf64(tmp_path)
    return w64(tmp_path)


KINDS = ["wav", "rifx", "aiff", "rf64", "w64"]


@pytest.mark.parametrize("kind", KINDS)
def test_a_file_cut_after_its_audio_data_is_not_written_as_whole(
    tmp_path: Path, kind: str
) -> None:
    data, data_end = made(kind, tmp_path)
    whole = tmp_path / f"whole.{kind}"
    whole.write_bytes(data)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no word about a whole file
        y = audio.load(whole, FAIL).y
    # Nothing after the data decoded as audio (libsndfile's W64 reader did).
    np.testing.assert_array_equal(y, pcm().astype(np.float32) / 32768)
    path = tmp_path / f"cut.{kind}"
    # On the data chunk's end, inside the next chunk's header, inside a
    # trailing chunk, one byte short of the end.
    for at in (data_end, data_end + 3, data_end + 20, len(data) - 1):
        path.write_bytes(data[:at])
        with pytest.raises(audio.AudioError, match=AFTER):
            audio.load(path, FAIL)
        with pytest.warns(UserWarning, match=AFTER[1:] + "; kept what was decoded"):
            kept = audio.load(path, KEEP)
        assert kept.y.shape == (SR,)  # the audio was all there


@pytest.mark.parametrize("kind", KINDS)
def test_a_file_cut_on_a_chunk_end_before_its_data_says_cut(
    tmp_path: Path, kind: str
) -> None:
    data, _ = made(kind, tmp_path)
    path = tmp_path / f"cut.{kind}"
    header = 40 if kind == "w64" else 12
    first = header + (24 if kind == "w64" else 8)  # the first chunk's size
    order = "<" if kind in ("wav", "rf64", "w64") else ">"
    if kind == "w64":
        (size,) = struct.unpack_from("<Q", data, header + 16)
        end = header + ((size + 7) & ~7)
    else:
        (size,) = struct.unpack_from(order + "I", data, header + 4)
        end = first + size + (size & 1)
    # Its outer header alone (an RF64's length is in its first chunk, ds64);
    # its first chunk whole.
    for at in (end,) if kind == "rf64" else (header, end):
        path.write_bytes(data[:at])
        for params in (FAIL, KEEP):
            with pytest.raises(audio.AudioError, match=BEFORE):
                audio.load(path, params)


def test_placeholder_and_slightly_wrong_outer_sizes_claim_nothing(
    tmp_path: Path,
) -> None:
    data, data_end = riff()
    whole = data[:data_end]  # the data chunk last
    path = tmp_path / "a.wav"
    for stored in (0xFFFFFFFF, 0, 0x7FFFF000, len(whole), len(whole) - 8 + 1):
        path.write_bytes(whole[:4] + struct.pack("<I", stored) + whole[8:])
        assert audio.load(path, FAIL).y.shape == (SR,), hex(stored)
    form, ssnd_end = aiff()
    path = tmp_path / "a.aiff"
    for stored in (0x7F000050, 0):  # sox's and ffmpeg's AIFF to a pipe
        path.write_bytes(form[:4] + struct.pack(">I", stored) + form[8:ssnd_end])
        assert audio.load(path, FAIL).y.shape == (SR,), hex(stored)


def test_an_odd_data_chunk_without_its_pad_byte_is_whole(tmp_path: Path) -> None:
    fmt = struct.pack("<HHIIHH", 1, 1, SR, SR, 1, 8)
    samples = bytes(range(0, 255, 2)) * 31  # 3937 bytes: odd
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt
    body += b"data" + struct.pack("<I", len(samples)) + samples
    path = tmp_path / "odd.wav"
    # The RIFF size counts the pad byte the writer left out.
    path.write_bytes(b"RIFF" + struct.pack("<I", len(body) + 1) + body)
    assert audio.load(path, FAIL).y.shape == (len(samples),)


def test_the_command_fails_the_cut_file_and_goes_on(tmp_path: Path) -> None:
    data, data_end = riff()
    src = tmp_path / "in"
    src.mkdir()
    (src / "good.wav").write_bytes(data)
    (src / "cut.wav").write_bytes(data[: data_end + 20])
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["mel", str(src), "-o", str(out)])
    assert result.exit_code == 1, result.output
    assert (out / "good.npy").is_file()
    assert not (out / "cut.npy").exists()
    lines = [line for line in result.stderr.splitlines() if "cut.wav" in line]
    assert len(lines) == 1
    assert "truncated: decoded 1.00 s, then the file ends inside its 'LIST'" in lines[0]
    assert "Traceback" not in result.output


def test_a_caf_cut_in_a_chunk_after_its_data_is_not_written_as_whole(
    tmp_path: Path,
) -> None:
    """A CAF has no outer size: a cut inside a chunk after its data still says."""
    src = tmp_path / "src.caf"
    sf.write(src, pcm(), SR, format="CAF", subtype="PCM_16")
    data = src.read_bytes()
    data_end = len(data)
    info = b"\x00\x00\x00\x01title\x00hello\x00" + bytes(200)
    data += b"info" + struct.pack(">q", len(info)) + info
    whole = tmp_path / "whole.caf"
    whole.write_bytes(data)
    assert audio.load(whole, FAIL).y.shape == (SR,)
    path = tmp_path / "cut.caf"
    # Inside the next chunk's header (libsndfile decodes it whole), inside
    # the chunk (libsndfile calls it malformed).
    for at in (data_end + 4, data_end + 20, len(data) - 1):
        path.write_bytes(data[:at])
        with pytest.raises(audio.AudioError, match=r"after its audio data$"):
            audio.load(path, FAIL)
    path.write_bytes(data[: data_end + 4])
    with pytest.warns(UserWarning, match=r"after its audio data; kept what was"):
        assert audio.load(path, KEEP).y.shape == (SR,)

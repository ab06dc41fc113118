"""Audio data that runs to the end of the file, its size not given.

A WAV, AIFF, AU, RF64 or Wave64 written to a pipe (its writer could not seek
back to fill in its data size: a placeholder stays) and an IRCAM, PAF or NIST
SPHERE file without a length in its header hold their audio from where it
starts to the end of the file. libsndfile reads whole sample frames to the
end and drops the bytes of a last, partial one without a word: such a file
cut inside a sample frame was written as if whole. Those bytes are the only
sign of the cut (one between two frames cannot be told from a whole, shorter
file), as they are of a CAF written to a pipe.

sox writes its AIFF to a pipe with an ``SSND`` size of 0x7F000008: that is a
placeholder too, not a claim of 33 000 seconds (such a file failed as
``truncated: decoded 1.50 s of 33289.51 s``).
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from click.testing import CliRunner

from melcli import MelParams, audio
from melcli.cli import cli

PARAMS = MelParams(sr=None).validate()
SR = 8000
#: Half a second of stereo: two tones, so that the channels differ.
T = np.arange(SR // 2) / SR
STEREO = np.stack([np.sin(2 * np.pi * 440 * T), np.sin(2 * np.pi * 660 * T)], 1) * 0.4
CUT = r"truncated: decoded 0\.50 s, then the file ends inside a sample frame"


def _find(data: bytearray, marker: bytes) -> int:
    at = bytes(data).find(marker)
    assert at >= 0, marker
    return at


def wav_ffmpeg(data: bytearray) -> None:
    """As ``ffmpeg ... -f wav pipe:`` leaves it: both sizes 0xFFFFFFFF."""
    data[4:8] = b"\xff" * 4
    at = _find(data, b"data")
    data[at + 4 : at + 8] = b"\xff" * 4


def wav_sox(data: bytearray) -> None:
    """As sox leaves it on a pipe: 0x7FFFF000 for the data, RIFF to match."""
    at = _find(data, b"data")
    struct.pack_into("<I", data, 4, 0x7FFFF000 + at)
    struct.pack_into("<I", data, at + 4, 0x7FFFF000)


def aiff_ffmpeg(data: bytearray) -> None:
    """As ``ffmpeg ... -f aiff pipe:`` leaves it: FORM, frames and SSND all 0."""
    data[4:8] = bytes(4)
    comm = _find(data, b"COMM")
    data[comm + 10 : comm + 14] = bytes(4)
    ssnd = _find(data, b"SSND")
    data[ssnd + 4 : ssnd + 8] = bytes(4)


def aiff_sox(data: bytearray) -> None:
    """As sox leaves it on a pipe: SSND 0x7F000008, frames to match, FORM."""
    ssnd = _find(data, b"SSND")
    struct.pack_into(">I", data, 4, 0x7F000000 + ssnd)
    comm = _find(data, b"COMM")
    struct.pack_into(">I", data, comm + 10, 0x7F000000 // 4)
    struct.pack_into(">I", data, ssnd + 4, 0x7F000008)


def au_unknown(data: bytearray) -> None:
    """An AU's own "unknown" data size."""
    data[8:12] = b"\xff" * 4


def rf64_ffmpeg(data: bytearray) -> None:
    """As ``ffmpeg -rf64 always ... pipe:``: ds64 sizes 0, data 0xFFFFFFFF."""
    assert data[12:16] == b"ds64"
    data[20:44] = bytes(24)  # riff size, data size, sample count
    at = _find(data, b"data")
    data[at + 4 : at + 8] = b"\xff" * 4


def w64_ffmpeg(data: bytearray) -> None:
    """As ``ffmpeg ... -f w64 pipe:``: riff size and data size at their largest."""
    data[16:24] = b"\xff" * 8
    at = _find(data, b"data\xf3\xac\xd3\x11")
    struct.pack_into("<Q", data, at + 16, (1 << 63) - 1)


def nist_no_count(data: bytearray) -> None:
    """A NIST SPHERE header without ``sample_count`` (as sox writes to a pipe)."""
    at = _find(data, b"sample_count")
    end = data.index(b"\n", at)
    data[at:end] = b" " * (end - at)


def as_written(data: bytearray) -> None:
    """IRCAM, PAF: their headers give no length at all."""


#: (libsndfile format, subtype, how the file is made to run to its end).
CASES: dict[str, tuple[str, str, Callable[[bytearray], None]]] = {
    "wav-ffmpeg": ("WAV", "PCM_16", wav_ffmpeg),
    "wav-sox": ("WAV", "PCM_16", wav_sox),
    "wav-24-bit": ("WAV", "PCM_24", wav_ffmpeg),
    "wav-float": ("WAV", "FLOAT", wav_sox),
    "aiff-ffmpeg": ("AIFF", "PCM_16", aiff_ffmpeg),
    "aiff-sox": ("AIFF", "PCM_16", aiff_sox),
    "au": ("AU", "PCM_16", au_unknown),
    "rf64": ("RF64", "PCM_16", rf64_ffmpeg),
    "w64": ("W64", "PCM_16", w64_ffmpeg),
    "nist": ("NIST", "PCM_16", nist_no_count),
    "ircam": ("IRCAM", "PCM_16", as_written),
    "paf": ("PAF", "PCM_16", as_written),
}
EXT = {"WAV": "wav", "AIFF": "aiff", "AU": "au", "RF64": "rf64", "W64": "w64"}


def make(tmp_path: Path, case: str) -> tuple[Path, Path, int]:
    """Return a sized file, the same audio running to its end, its frame bytes."""
    fmt, subtype, unsize = CASES[case]
    ext = EXT.get(fmt, fmt.lower())
    sized = tmp_path / f"sized-{case}.{ext}"
    sf.write(sized, STEREO, SR, format=fmt, subtype=subtype)
    data = bytearray(sized.read_bytes())
    unsize(data)
    piped = tmp_path / f"piped-{case}.{ext}"
    piped.write_bytes(bytes(data))
    width = {"PCM_16": 2, "PCM_24": 3, "FLOAT": 4}[subtype]
    return sized, piped, width * STEREO.shape[1]


def cut(path: Path, drop: int) -> Path:
    """A copy of ``path`` less its last ``drop`` bytes."""
    piece = path.with_name(f"cut{drop}-{path.name}")
    piece.write_bytes(path.read_bytes()[:-drop])
    return piece


@pytest.mark.parametrize("case", sorted(CASES))
def test_whole_file_running_to_its_end_is_read_as_the_sized_one(
    tmp_path: Path, case: str
) -> None:
    sized, piped, _ = make(tmp_path, case)
    expected = audio.load(sized, PARAMS).y
    np.testing.assert_array_equal(audio.load(piped, PARAMS).y, expected)
    assert audio.probe(piped).frames == len(T)


@pytest.mark.parametrize("case", sorted(CASES))
def test_cut_inside_its_last_sample_frame_fails_as_cut(
    tmp_path: Path, case: str
) -> None:
    _, piped, frame = make(tmp_path, case)
    for drop in range(1, frame):
        piece = cut(piped, drop)
        with pytest.raises(audio.AudioError, match=f"^{CUT}$"):
            audio.load(piece, PARAMS)
        with pytest.raises(audio.AudioError, match=f"^{CUT}$"):
            audio.probe(piece)  # melcli info says it as a run does


@pytest.mark.parametrize("case", ["wav-ffmpeg", "aiff-sox", "ircam"])
def test_cut_between_two_frames_is_a_shorter_whole_file(
    tmp_path: Path, case: str
) -> None:
    sized, piped, frame = make(tmp_path, case)
    y = audio.load(cut(piped, 10 * frame), PARAMS).y
    np.testing.assert_array_equal(y, audio.load(sized, PARAMS).y[: len(T) - 10])


def test_command_fails_the_cut_file_writes_the_rest_and_keeps_it_when_asked(
    tmp_path: Path,
) -> None:
    src, out = tmp_path / "src", tmp_path / "out"
    src.mkdir()
    _, piped, _ = make(tmp_path, "wav-ffmpeg")
    (src / "whole.wav").write_bytes(piped.read_bytes())
    (src / "cut.wav").write_bytes(piped.read_bytes()[:-1])
    run = ["mel", str(src), "-o", str(out), "-j", "1", "--sr", "native"]
    result = CliRunner().invoke(cli, run)
    assert result.exit_code == 1, result.stderr
    assert f"error: {src / 'cut.wav'}: truncated: decoded 0.50 s, then" in result.stderr
    assert "the file ends inside a sample frame" in result.stderr
    assert sorted(p.name for p in out.glob("*.npy")) == ["whole.npy"]
    info = CliRunner().invoke(cli, ["info", str(src / "cut.wav")])
    assert info.exit_code == 1
    assert "inside a sample frame" in info.stderr
    kept = CliRunner().invoke(cli, [*run, "--truncated", "keep"])
    assert kept.exit_code == 0, kept.stderr
    assert "inside a sample frame; kept what was decoded" in kept.stderr
    assert np.load(out / "cut.npy").shape == np.load(out / "whole.npy").shape


#: (format, how it runs to its end, where its audio starts, what its chunks
#: are padded to).
PADDED = {
    "wav": ("WAV", wav_sox, (b"data", 8), 2),
    "aiff": ("AIFF", aiff_ffmpeg, (b"SSND", 16), 2),
}


@pytest.mark.parametrize("case", sorted(PADDED))
def test_the_pad_after_data_of_an_odd_size_is_no_cut(tmp_path: Path, case: str) -> None:
    """sox and ffmpeg pad odd-sized data to an even length, even on a pipe."""
    fmt, unsize, (marker, after), align = PADDED[case]
    sized = tmp_path / f"sized.{EXT[fmt]}"
    sf.write(sized, STEREO[:1001, 0], SR, format=fmt, subtype="PCM_24")
    data = bytearray(sized.read_bytes())
    unsize(data)
    end = _find(data, marker) + after + 1001 * 3  # 3003 bytes: odd
    pad = -(1001 * 3) % align
    padded = tmp_path / f"padded.{EXT[fmt]}"
    padded.write_bytes(bytes(data[:end]) + bytes(pad))
    expected = audio.load(sized, PARAMS).y
    np.testing.assert_array_equal(audio.load(padded, PARAMS).y, expected)
    assert audio.probe(padded).frames == 1001
    # As long, but its last bytes are not a pad's zeros: cut inside a frame.
    cut_short = tmp_path / f"cut.{EXT[fmt]}"
    cut_short.write_bytes(bytes(data[:end]) + b"\x7f" * pad)
    said = r"^truncated: decoded 0\.1\d s, then the file ends inside a sample frame$"
    with pytest.raises(audio.AudioError, match=said):
        audio.load(cut_short, PARAMS)

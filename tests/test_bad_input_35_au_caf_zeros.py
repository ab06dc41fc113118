"""An AU or a CAF whose data size stops short of the file is a cut.

A WAV, AIFF, W64 or RF64 whose data size stops short of zeros its outer
size counts already failed as a cut; an AU and a CAF have no outer size,
and libsndfile decodes what their data size gives without a word: a 1-s
file whose data size said 100 bytes was written as 2 ms. After an AU's
audio (it has no chunks) bytes that are not zeros are audio its size does
not count, as after a WAV's data chunk; 4096 zeros or more there, or where
a CAF's next chunk should be, are the rest of a file never finished.
"""

from __future__ import annotations

import io
import re
import struct
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from conftest import invoke, mel

import melcli
from melcli import audio

SR = 22050
Y = (0.5 * np.sin(2 * np.pi * 440 * np.arange(SR) / SR)).astype(np.float32)
ZEROS = "then only zeros from byte {start} to the end, 44000 bytes {counts}"
COUNTS = {
    "AU": "that its header's data size does not count",
    "CAF": "where a chunk should follow its 'data' chunk",
}
AUDIO = "then 44000 bytes follow the audio its data size gives: audio its size"


def whole(fmt: str) -> bytes:
    """A 1-s 440 Hz tone, 16-bit, as soundfile writes it in ``fmt``."""
    buf = io.BytesIO()
    sf.write(buf, Y, SR, format=fmt, subtype="PCM_16")
    return buf.getvalue()


def stale(fmt: str, *, zeros: bool = True) -> tuple[bytes, int]:
    """A 1-s AU or CAF whose data size says 100 bytes of audio.

    The bytes after them are zeroed (or kept: the tone's); returned with
    where the 100 bytes end.
    """
    d = bytearray(whole(fmt))
    if fmt == "AU":
        (offset,) = struct.unpack_from(">I", d, 4)
        d[8:12], end = struct.pack(">I", 100), offset + 100
    else:  # a CAF's 'data' chunk: its size counts a 4-byte edit count
        at = d.find(b"data")
        d[at + 4 : at + 12], end = struct.pack(">q", 104), at + 16 + 100
    if zeros:
        d[end:] = bytes(len(d) - end)
    return bytes(d), end


@pytest.mark.parametrize("fmt", ["AU", "CAF"])
def test_zeros_after_the_data_size_are_a_cut(tmp_path: Path, fmt: str) -> None:
    data, end = stale(fmt)
    name = f"stale.{fmt.lower()}"
    path = tmp_path / "src" / name
    path.parent.mkdir()
    path.write_bytes(data)
    said = ZEROS.format(start=end, counts=COUNTS[fmt])
    with pytest.raises(audio.AudioError, match=r"^truncated: ") as caught:
        melcli.probe(path)
    assert said in str(caught.value)
    with pytest.raises(audio.AudioError, match=re.escape(said)):
        melcli.mel_spectrogram(path)
    line = f"{name}: truncated: decoded 0.00 s, {said}"
    assert line in invoke("info", path).stderr
    result = mel(path.parent, tmp_path / "out")
    assert result.exit_code == 1
    assert line in result.stderr
    assert "0 written, 1 failed" in result.stderr
    assert not list((tmp_path / "out").rglob("*.npy"))


def test_audio_after_an_au_data_size_fails_as_a_wav_does(tmp_path: Path) -> None:
    data, _ = stale("AU", zeros=False)
    path = tmp_path / "src" / "stale.au"
    path.parent.mkdir()
    path.write_bytes(data)
    line = f"stale.au: truncated: decoded 0.00 s, {AUDIO}"
    assert line in invoke("info", path).stderr
    result = mel(path.parent, tmp_path / "out")
    assert result.exit_code == 1
    assert line in result.stderr
    assert not list((tmp_path / "out").rglob("*.npy"))


@pytest.mark.parametrize("fmt", ["AU", "CAF"])
def test_kept_with_truncated_keep_as_its_data_size_gives(
    tmp_path: Path, fmt: str
) -> None:
    data, end = stale(fmt)
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / f"stale.{fmt.lower()}").write_bytes(data)
    result = mel(tmp_path / "src", tmp_path / "out", "--truncated", "keep")
    assert result.exit_code == 0, result.stderr
    assert ZEROS.format(start=end, counts=COUNTS[fmt]) in result.stderr
    assert "kept what was decoded" in result.stderr
    assert len(list((tmp_path / "out").rglob("*.npy"))) == 1


@pytest.mark.parametrize("fmt", ["AU", "CAF"])
@pytest.mark.parametrize("tail", [0, 1, 100, 4095])
def test_a_whole_file_and_fewer_zeros_after_it_are_written(
    tmp_path: Path, fmt: str, tail: int
) -> None:
    name = f"whole.{fmt.lower()}"
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / name).write_bytes(whole(fmt) + bytes(tail))
    result = mel(tmp_path / "src", tmp_path / "out")
    assert result.exit_code == 0, result.stderr
    assert "1 written" in result.stderr
    S = np.load(tmp_path / "out" / "whole.npy")
    # A whole second: librosa's centred frames at hop 512.
    assert S.shape[1] == 1 + SR // 512
    assert melcli.probe(tmp_path / "src" / name).frames == SR

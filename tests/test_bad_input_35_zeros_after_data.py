"""A data chunk followed by zeros its outer size counts as chunks is a cut.

A recorder that writes its sizes now and then into a file made at its full
size (or a copy made so, never finished) leaves a data size short of the
file and zeros where its audio never came. libsndfile decodes what the data
size gives without a word: a 1-s WAV whose data chunk said 100 bytes was
written as 2 ms. Bytes that are not zeros there already failed (audio its
sizes do not count); zeros appended past the length the outer header gives,
or a few of them, are left alone (not tested here: they passed before).
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
SAID = "then only zeros from byte {start} to the end, 44000 bytes that its {outer}"


def stale(fmt: str) -> tuple[bytes, int, str]:
    """A 1-s file of ``fmt`` whose data size says 100 bytes, zeros after them.

    Returned with where its audio starts and what its outer size is called.
    """
    buf = io.BytesIO()
    sf.write(buf, Y, SR, format=fmt, subtype="PCM_16")
    d = bytearray(buf.getvalue())
    if fmt in ("WAV", "WAVEX"):
        at = d.find(b"data")
        d[at + 4 : at + 8], start, outer = struct.pack("<I", 100), at + 8, "RIFF header"
    elif fmt == "AIFF":
        at = d.find(b"SSND")
        d[at + 4 : at + 8], start, outer = (
            struct.pack(">I", 108),
            at + 16,
            "FORM header",
        )
        comm = d.find(b"COMM")
        d[comm + 10 : comm + 14] = struct.pack(">I", 50)
    elif fmt == "W64":
        at = d.find(b"data")
        d[at + 16 : at + 24], start = struct.pack("<Q", 124), at + 24
        outer = "Wave64 header"
    else:  # RF64: its ds64 chunk's data size and frames
        at = d.find(b"ds64")
        d[at + 16 : at + 32] = struct.pack("<QQ", 100, 50)
        start, outer = d.find(b"data") + 8, "'ds64' chunk"
    d[start + 100 :] = bytes(len(d) - start - 100)
    return bytes(d), start + 100, outer


@pytest.mark.parametrize("fmt", ["WAV", "WAVEX", "AIFF", "W64", "RF64"])
def test_zeros_its_outer_size_counts_are_a_cut(tmp_path: Path, fmt: str) -> None:
    data, start, outer = stale(fmt)
    path = tmp_path / "stale.wav"
    path.write_bytes(data)
    said = SAID.format(start=start, outer=outer)
    with pytest.raises(audio.AudioError, match=r"^truncated: ") as caught:
        melcli.probe(path)
    assert said in str(caught.value)
    with pytest.raises(audio.AudioError, match=re.escape(said)):
        melcli.mel_spectrogram(path)
    assert f"stale.wav: truncated: decoded 0.00 s, {said}" in (
        invoke("info", path).stderr
    )
    result = mel(path, tmp_path / "out")
    assert result.exit_code == 1
    assert f"stale.wav: truncated: decoded 0.00 s, {said}" in result.stderr
    assert "0 written, 1 failed" in result.stderr
    assert not list((tmp_path / "out").rglob("*.npy"))


def test_kept_with_truncated_keep_as_its_data_size_gives(tmp_path: Path) -> None:
    data, start, outer = stale("WAV")
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "stale.wav").write_bytes(data)
    result = mel(tmp_path / "src", tmp_path / "out", "--truncated", "keep")
    assert result.exit_code == 0, result.stderr
    assert SAID.format(start=start, outer=outer) in result.stderr
    assert "kept what was decoded" in result.stderr

"""A file that begins with zeros where its format is said says so.

A download or copy written into a file made at its full size, whose first
bytes never came (or none came), holds zeros there: libsndfile finds no
format in it, and melcli said only ``not an audio file (format not
recognised)`` (of an all-zero ``.mp3``, ``no decodable audio found``), as
of an HTML page. It now says the file is all zeros, or how many zeros begin
it: a lost start, not a wrong kind of file.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from conftest import invoke, mel

import melcli
from melcli import audio


def encoded(fmt: str) -> bytes:
    buf = io.BytesIO()
    y = 0.3 * np.sin(2 * np.pi * 440 * np.arange(22050) / 22050)
    sf.write(buf, y.astype(np.float32), 22050, format=fmt)
    return buf.getvalue()


def both(path: Path, tmp_path: Path) -> tuple[str, str]:
    info = invoke("info", path)
    assert info.exit_code == 1
    result = mel(path, tmp_path / "out")
    assert result.exit_code == 1
    assert "0 written, 1 failed" in result.stderr
    assert not list((tmp_path / "out").rglob("*.npy"))
    return info.stderr, result.stderr


@pytest.mark.parametrize("name", ["x.wav", "x.mp3", "x.flac", "x.ogg"])
def test_all_zeros(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(bytes(300_000))
    said = "not an audio file: its 300000 bytes are all zeros"
    with pytest.raises(audio.AudioError, match=f"^{said}"):
        melcli.probe(path)
    for stderr in both(path, tmp_path):
        assert f"{name}: {said}" in stderr


@pytest.mark.parametrize(("fmt", "name"), [("WAV", "x.wav"), ("FLAC", "x.flac"),
                                           ("OGG", "x.ogg")])  # fmt: skip
def test_start_zeroed(tmp_path: Path, fmt: str, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(bytes(8000) + encoded(fmt))
    said = "its first 8000 bytes are zeros, where its format would be said"
    with pytest.raises(audio.AudioError, match=said):
        melcli.probe(path)
    for stderr in both(path, tmp_path):
        assert f"{name}: not an audio file (format not recognised): {said}" in stderr

"""AMR speech (``.amr``: phone recordings) decodes through ffmpeg; a cut one fails.

libsndfile does not read AMR, and melcli said ``not an audio file (format
not recognised)`` of it, which it is not. It now goes through ffmpeg, as
WavPack does, recognised by its content (``#!AMR``). ffmpeg drops a last
frame cut short without a word, a whole, shorter file: each frame's first
byte gives its length, and a walk of them finds the cut.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from melcli import MelParams, audio

PARAMS = MelParams(sr=None).validate()


def sox_amr(path: Path) -> bytes | None:
    """Two seconds of a 440 Hz tone as AMR narrowband, if sox can write it."""
    made = subprocess.run(
        ["sox", "-R", "-n", "-r", "8000", "-c", "1", "-t", "amr-nb", str(path),
         "synth", "2", "sine", "440", "vol", "0.5"],
        capture_output=True, check=False,
    )  # fmt: skip
    return path.read_bytes() if made.returncode == 0 and path.exists() else None


@pytest.fixture(scope="module")
def amr(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    if not (shutil.which("sox") and shutil.which("ffmpeg") and shutil.which("ffprobe")):
        pytest.skip("needs sox and ffmpeg")
    made = sox_amr(tmp_path_factory.mktemp("amr") / "a.amr")
    if made is None:
        pytest.skip("this sox writes no AMR")
    return made


def test_amr_decodes(amr: bytes, tmp_path: Path) -> None:
    path = tmp_path / "a.amr"
    path.write_bytes(amr)
    assert audio.probe(path).frames == 16000
    y = audio.load(path, PARAMS).y
    assert y.shape == (16000,)
    spectrum = np.abs(np.fft.rfft(y))
    assert abs(int(spectrum.argmax()) * 8000 / len(y) - 440) < 10


def test_amr_cut_inside_a_frame_fails_as_cut(amr: bytes, tmp_path: Path) -> None:
    path = tmp_path / "a.amr"
    path.write_bytes(amr[:-5])  # its frames are 13 bytes (sox: 4.75 kbit/s)
    with pytest.raises(
        audio.AudioError, match=r"^truncated: the last AMR frame is cut off$"
    ):
        audio.probe(path)
    with pytest.raises(
        audio.AudioError,
        match=r"^truncated: decoded 1\.98 s, then the last AMR frame",
    ):
        audio.load(path, PARAMS)


def test_amr_cut_inside_its_first_frame(amr: bytes, tmp_path: Path) -> None:
    path = tmp_path / "a.amr"
    path.write_bytes(amr[:8])  # its magic (6 bytes) and 2 of its first frame's
    said = "truncated: decoded 0.00 s, then the file ends inside its first AMR frame"
    for read in (audio.probe, lambda p: audio.load(p, PARAMS)):
        with pytest.raises(audio.AudioError) as caught:
            read(path)
        assert str(caught.value) == said


def test_a_short_amr_file_is_as_long_in_info_as_in_a_run(
    amr: bytes, tmp_path: Path
) -> None:
    """ffprobe gives no length for a frame or two: the frames walked do."""
    path = tmp_path / "a.amr"
    path.write_bytes(amr[: 6 + 13])  # its magic and one 13-byte frame
    assert audio.probe(path).frames == 160
    assert audio.load(path, PARAMS).y.shape == (160,)
    path.write_bytes(amr[:6])  # its magic alone
    for read in (audio.probe, lambda p: audio.load(p, PARAMS)):
        with pytest.raises(audio.AudioError, match=r"^no audio samples \(0 frames\)$"):
            read(path)

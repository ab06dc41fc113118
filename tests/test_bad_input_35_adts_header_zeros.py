"""An ADTS stream cut 1 to 4 bytes into a frame's header, then zeros, is cut.

A file made at its full size and filled as its bytes come (a download, a
copy never finished) ends in zeros where its bytes stopped. Stopped 1 to 4
bytes into a frame header, its sync word is cut (``FF`` then a zero) or its
length is zeros: the frame walk took those bytes for "no ADTS frame" and
failed the file as ``corrupt`` at that byte, or, stopped in its first frame,
passed on ffprobe's ``a sample rate of 0 Hz and 0 channels``. Stopped 5
bytes in (or without the zeros) it was already said cut.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import ffmpeg_tone, invoke, mel

import melcli
from melcli import audio

pytestmark = pytest.mark.skipif(
    shutil.which("ffmpeg") is None or shutil.which("ffprobe") is None,
    reason="ffmpeg is not installed",
)


@pytest.fixture(scope="module")
def adts(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    return ffmpeg_tone(tmp_path_factory.mktemp("adts") / "a.aac", "-f", "adts")


def frame_starts(data: bytes) -> list[int]:
    starts, pos = [], 0
    while pos < len(data):
        starts.append(pos)
        pos += (data[pos + 3] & 3) << 11 | data[pos + 4] << 3 | data[pos + 5] >> 5
    return starts


@pytest.mark.parametrize("zeros", [300, 6000])  # a block's padding, and more
@pytest.mark.parametrize("into", [1, 2, 3, 4])
@pytest.mark.parametrize("where", ["middle", "last"])
def test_header_cut_then_zeros_is_cut(
    adts: bytes, tmp_path: Path, into: int, zeros: int, where: str
) -> None:
    starts = frame_starts(adts)
    at = starts[len(starts) // 2] if where == "middle" else starts[-1]
    path = tmp_path / "cut.aac"
    path.write_bytes(adts[: at + into] + bytes(zeros))
    said = "the last ADTS frame is cut off"
    with pytest.raises(audio.AudioError, match=f"^truncated: {said}$"):
        melcli.probe(path)
    with pytest.raises(audio.AudioError, match=f", then {said}\n"):
        melcli.mel_spectrogram(path)
    assert f"cut.aac: truncated: {said}" in invoke("info", path).stderr
    result = mel(path, tmp_path / "out")
    assert result.exit_code == 1
    assert "cut.aac: truncated: decoded " in result.stderr
    assert f", then {said}" in result.stderr
    assert "0 written, 1 failed" in result.stderr
    assert not list((tmp_path / "out").rglob("*.npy"))


@pytest.mark.parametrize("into", [2, 3, 4])
def test_first_header_cut_then_zeros_is_cut(
    adts: bytes, tmp_path: Path, into: int
) -> None:
    path = tmp_path / "cut.aac"
    path.write_bytes(adts[:into] + bytes(6000))
    for said in (invoke("info", path).stderr, mel(path, tmp_path / "out").stderr):
        assert "cut.aac: truncated: " in said
        assert "the file ends inside its first ADTS frame" in said
        assert "0 Hz" not in said
    assert not list((tmp_path / "out").rglob("*.npy"))

"""An ADTS AAC file cut and left with zeros to its full size is said cut.

A download or copy preallocated at its full size and never finished ends in
zeros where its last bytes never came. Up to 16 MiB of zeros after the last
whole frame were taken as a writer's padding: the file was written as whole,
and ``melcli info`` gave it a length without a word. Zeros are padding only
when shorter than a block (4096 bytes); a frame whose bytes after its header
are all zeros (a header cut and zero-filled) is a cut too.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import ffmpeg_tone, mel

from melcli import MelParams, audio

pytestmark = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="no ffmpeg")

NATIVE = MelParams(sr=None).validate()


def frames(data: bytes) -> list[int]:
    at, starts = 0, []
    while at < len(data):
        starts.append(at)
        at += (data[at + 3] & 3) << 11 | data[at + 4] << 3 | data[at + 5] >> 5
    return starts


def preallocated(tmp_path: Path, into: int) -> tuple[Path, int]:
    data = ffmpeg_tone(tmp_path / "tone.aac", "-c:a", "aac", "-f", "adts")
    cut = frames(data)[len(frames(data)) // 2] + into
    path = tmp_path / "prealloc.aac"
    path.write_bytes(data[:cut] + bytes(len(data) - cut))
    assert len(data) - cut >= 4096
    return path, cut


@pytest.mark.parametrize("into", [0, 100])
def test_a_preallocated_file_cut_is_said_cut_by_a_run_and_by_info(
    tmp_path: Path, into: int
) -> None:
    path, cut = preallocated(tmp_path, into)
    said = f"only zeros from byte {cut} to the end"
    with pytest.raises(audio.AudioError, match=rf"^truncated: {said}"):
        audio.probe(path)
    match = rf"^truncated: decoded [\d.]+ s, then {said}"
    with pytest.raises(audio.AudioError, match=match):
        audio.load(path, NATIVE)
    result = mel(path, tmp_path / "out")
    assert result.exit_code == 1
    assert said in result.stderr
    assert not list((tmp_path / "out").rglob("*.npy"))


@pytest.mark.parametrize("zeros", [4096, 100_000])
def test_zeros_of_a_block_or_more_after_whole_frames_are_a_cut(
    tmp_path: Path, zeros: int
) -> None:
    data = ffmpeg_tone(tmp_path / "tone.aac", "-c:a", "aac", "-f", "adts")
    path = tmp_path / "zeros.aac"
    path.write_bytes(data + bytes(zeros))
    with pytest.raises(audio.AudioError, match=rf"only zeros from byte {len(data)} "):
        audio.probe(path)
    with pytest.raises(audio.AudioError, match=r"^truncated: "):
        audio.load(path, NATIVE)


def test_a_last_frame_cut_inside_its_header_and_zero_filled_is_cut(
    tmp_path: Path,
) -> None:
    data = ffmpeg_tone(tmp_path / "tone.aac", "-c:a", "aac", "-f", "adts")
    path = tmp_path / "cut.aac"
    last = frames(data)[-1]
    # its length field's last 3 bits zeroed: the frame then still fits
    length = (data[last + 3] & 3) << 11 | data[last + 4] << 3
    path.write_bytes(data[: last + 5] + bytes(max(length - 5, 0) + 50))
    said = "truncated: the last ADTS frame is cut off"
    with pytest.raises(audio.AudioError, match=f"^{said}"):
        audio.probe(path)
    with pytest.raises(audio.AudioError, match="the last ADTS frame is cut off"):
        audio.load(path, NATIVE)
    result = mel(path, tmp_path / "out")
    assert result.exit_code == 1
    assert "the last ADTS frame is cut off" in result.stderr

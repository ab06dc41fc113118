"""ADTS AAC followed by zero padding decodes what is whole; junk is named.

A writer padding a stream to a block leaves zeros after its last frame:
ffmpeg (``-xerror``) failed such a file ("Input/output error") though every
frame is whole. Its whole frames are now decoded, as the file without the
padding is. Bytes after the frames that are neither zeros nor a tag stop
ffmpeg ("Error decoding AAC frame header"): said as where the frames stop,
by a run and by ``melcli info`` alike; and info's length of a bare ADTS
stream is what a run decodes, not ffprobe's guess from the bitrate.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from conftest import ffmpeg_tone, mel

from melcli import MelParams, audio

pytestmark = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="no ffmpeg")

NATIVE = MelParams(sr=None).validate()


def adts(tmp_path: Path) -> bytes:
    return ffmpeg_tone(tmp_path / "tone.aac", "-c:a", "aac", "-f", "adts")


@pytest.mark.parametrize("padding", [1, 3, 100, 4095])
def test_zero_padding_after_the_frames_decodes_as_the_stream(
    tmp_path: Path, padding: int
) -> None:
    data = adts(tmp_path)
    whole = audio.load(tmp_path / "tone.aac", NATIVE).y
    assert audio.probe(tmp_path / "tone.aac").frames == len(whole)
    path = tmp_path / "padded.aac"
    path.write_bytes(data + bytes(padding))
    assert audio.probe(path).frames == len(whole)
    np.testing.assert_array_equal(audio.load(path, NATIVE).y, whole)
    result = mel(path, tmp_path / "out")
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "out" / "padded.npy").exists()


@pytest.mark.parametrize("where", ["after", "inside"])
def test_junk_among_the_frames_is_named_by_a_run_and_by_info(
    tmp_path: Path, where: str
) -> None:
    data = adts(tmp_path)
    at = len(data) if where == "after" else len(data) // 3
    at = data.find(b"\xff\xf1", at) if where == "inside" else at
    path = tmp_path / "junk.aac"
    path.write_bytes(data[:at] + b"\x13\x37" * 50 + data[at:])
    match = rf"^corrupt: decoding stopped at [\d.]+ s: the bytes at byte {at} are no"
    with pytest.raises(audio.AudioError, match=match) as info:
        audio.probe(path)
    with pytest.raises(audio.AudioError) as run:
        audio.load(path, NATIVE)
    assert str(run.value) == str(info.value)
    result = mel(path, tmp_path / "out")
    assert result.exit_code == 1
    assert f"junk.aac: {info.value}" in result.stderr
    assert not list((tmp_path / "out").rglob("*.npy"))

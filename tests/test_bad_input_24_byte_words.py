"""A file one byte short says ``1 byte``, not ``1 bytes``.

The cut files of the sweep (cut at their last byte, or one byte into their
audio data) said ``1 bytes short of the length it gives`` and ``the file
ends 1 bytes into its audio data chunk``.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import soundfile as sf
from conftest import tone

from melcli import MelParams, audio

PARAMS = MelParams(sr=None).validate()


def test_one_byte_into_the_data_chunk(tmp_path: Path) -> None:
    whole = tmp_path / "whole.wav"
    sf.write(whole, tone(seconds=0.5, sr=16000), 16000, subtype="PCM_16")
    data = whole.read_bytes()
    cut = tmp_path / "cut.wav"
    cut.write_bytes(data[: data.find(b"data") + 9])
    said = (
        "truncated: decoded 0.00 s, then the file ends 1 byte into its audio "
        "data chunk of 16000 bytes"
    )
    for read in (audio.probe, lambda p: audio.load(p, PARAMS)):
        with pytest.raises(audio.AudioError) as caught:
            read(cut)
        assert str(caught.value) == said


@pytest.mark.skipif(
    shutil.which("ffmpeg") is None or shutil.which("ffprobe") is None,
    reason="ffmpeg is not installed (make tools installs it)",
)
@pytest.mark.parametrize(
    ("name", "codec", "what"),
    [("a.webm", "libopus", "Matroska segment"), ("a.wma", "wmav2", "ASF data object")],
)
def test_one_byte_short_of_the_length_it_gives(
    tmp_path: Path, name: str, codec: str, what: str
) -> None:
    ref = tmp_path / "ref.wav"
    sf.write(ref, tone(seconds=1.0, sr=16000), 16000)
    whole = tmp_path / name
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", ref, "-c:a", codec, whole],
        check=True,
    )
    cut = tmp_path / f"cut{whole.suffix}"
    cut.write_bytes(whole.read_bytes()[:-1])
    with pytest.raises(audio.AudioError) as caught:
        audio.load(cut, PARAMS)
    said = str(caught.value)
    assert said.endswith(f"inside its {what}, 1 byte short of the length it gives")

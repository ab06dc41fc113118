"""A WAV whose header libsndfile cannot use says what is wrong with it.

- A recording stopped before its sizes were written (a data chunk of 0 bytes
  with the audio after it: ffmpeg decodes it all) failed as ``no audio
  samples (0 frames)``, as if it held none.
- A WAV with two data chunks, which libsndfile calls "SF_INFO struct
  incomplete", failed as ``implausible sample rate: 8000 Hz (melcli takes
  1000 to 1000000 Hz)``: the rate was fine.
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from melcli import MelParams, audio
from melcli.cli import cli

SR = 8000
PARAMS = MelParams(sr=None).validate()


def chunks(*parts: bytes) -> bytes:
    body = b"WAVE" + b"".join(parts)
    return b"RIFF" + struct.pack("<I", len(body)) + body


def chunk(name: bytes, data: bytes, size: int | None = None) -> bytes:
    return name + struct.pack("<I", len(data) if size is None else size) + data


FMT = chunk(b"fmt ", struct.pack("<HHIIHH", 1, 1, SR, 2 * SR, 2, 16))
PCM = (np.full(SR, 0.25) * 32767).astype("<i2").tobytes()


def test_a_recording_never_finalised_says_so(tmp_path: Path) -> None:
    path = tmp_path / "rec.wav"
    path.write_bytes(chunks(FMT, chunk(b"data", PCM, size=0)))
    said = (
        r"^unfinished header: its 'data' chunk gives 0 bytes, and 16000 bytes "
        r"follow it \(a recording stopped before its sizes were written\)$"
    )
    with pytest.raises(audio.AudioError, match=said):
        audio.load(path, PARAMS)
    with pytest.raises(audio.AudioError, match=said):
        audio.probe(path)
    result = CliRunner().invoke(cli, ["info", str(path)])
    assert result.exit_code == 1
    assert "unfinished header" in result.stderr


def test_an_empty_data_chunk_is_still_no_samples(tmp_path: Path) -> None:
    path = tmp_path / "empty.wav"
    for parts in [
        (FMT, chunk(b"data", b"")),
        (FMT, chunk(b"data", b""), chunk(b"LIST", b"INFO")),
    ]:
        path.write_bytes(chunks(*parts))
        with pytest.raises(audio.AudioError, match=r"^no audio samples \(0 frames\)$"):
            audio.load(path, PARAMS)


def test_a_header_libsndfile_calls_incomplete_does_not_blame_a_good_rate(
    tmp_path: Path,
) -> None:
    path = tmp_path / "two.wav"
    half = len(PCM) // 2
    path.write_bytes(
        chunks(FMT, chunk(b"data", PCM[:half]), chunk(b"data", PCM[half:]))
    )
    with pytest.raises(audio.AudioError) as caught:
        audio.load(path, PARAMS)
    assert "8000 Hz" not in str(caught.value)
    assert str(caught.value).startswith("invalid header: ")

"""A WAV whose data size stops short of the audio after it is not written as whole.

A recorder that writes its sizes now and then, stopped between two writes,
leaves a data size that gives part of its audio; the rest follows as bytes
that are no chunk. libsndfile decoded what the size gave, and the run wrote
half a recording as the whole one, without a word. Bytes after the data
that are a chunk, a chunk after a pad byte, zeros or an ID3 tag are not this.
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest
from conftest import mel, tone

from melcli import MelParams, audio

PARAMS = MelParams(sr=None).validate()
SR = 16000
PCM = (tone(seconds=2.0, sr=SR) * 32767).astype("<i2").tobytes()
FMT = b"fmt " + struct.pack("<IHHIIHH", 16, 1, 1, SR, SR * 2, 2, 16)


def wav(riff: int, data: int, tail: bytes = b"") -> bytes:
    """A 16-bit mono WAV of 2 s whose RIFF and data sizes are those given."""
    body = FMT + b"data" + struct.pack("<I", data) + PCM + tail
    return b"RIFF" + struct.pack("<I", riff) + b"WAVE" + body


HALF = len(PCM) // 2
SAID = (
    f"unfinished header: its data chunk gives {HALF} bytes (1.00 s), and "
    f"{HALF} bytes that are no chunk follow it (a recording stopped after its "
    "sizes were last written)"
)


@pytest.mark.parametrize("riff", [36 + HALF, 36 + 2 * HALF])
def test_audio_after_the_data_size_fails(tmp_path: Path, riff: int) -> None:
    path = tmp_path / "stale.wav"
    path.write_bytes(wav(riff, HALF))
    for read in (audio.probe, lambda p: audio.load(p, PARAMS)):
        with pytest.raises(audio.AudioError) as caught:
            read(path)
        assert str(caught.value) == SAID


def test_the_run_says_one_line_and_writes_the_rest(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    (src / "stale.wav").write_bytes(wav(36 + HALF, HALF))
    whole = 36 + len(PCM)
    # Not this: a tag, zeros, or a chunk after a pad byte follow the data.
    tag = b"TAG" + b"a title".ljust(125, b"\0")
    (src / "tag.wav").write_bytes(wav(whole, len(PCM), tag))
    (src / "zeros.wav").write_bytes(wav(whole, len(PCM), bytes(512)))
    odd = wav(whole, len(PCM) - 1, b"")[:-1] + b"\0" + b"LIST" + struct.pack("<I", 4)
    (src / "odd.wav").write_bytes(odd + b"INFO")
    result = mel(src, tmp_path / "out")
    assert result.exit_code == 1, result.stderr
    lines = [line for line in result.stderr.splitlines() if "stale.wav" in line]
    assert len(lines) == 1, result.stderr
    assert lines[0].endswith(SAID)
    written = sorted(p.name for p in (tmp_path / "out").rglob("*.npy"))
    assert written == ["odd.npy", "tag.npy", "zeros.npy"], result.stderr
    assert np.load(tmp_path / "out" / "tag.npy").shape[1] > 60

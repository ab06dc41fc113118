"""A whole FLAC with bytes after its frames is whole in ``melcli info`` too.

``info`` walks back from a FLAC's end for its last frame (it does not
decode): junk appended to a whole file, or a copy of the file's start (a
download resumed from the beginning), left no frame whose CRC ends the file,
and ``info`` failed as cut (``decoding stopped at 1.49 s of 1.50 s``) a file
that a run decodes whole and writes. A frame or two decoded settle it. A
file cut between two frames, junk after it, still fails in both.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import soundfile as sf
from conftest import tone

from melcli import MelParams, audio

PARAMS = MelParams(sr=None).validate()
SR = 44100


@pytest.fixture
def flac(tmp_path: Path) -> bytes:
    path = tmp_path / "whole.flac"
    sf.write(path, tone(seconds=1.5, sr=SR), SR, format="FLAC", subtype="PCM_16")
    return path.read_bytes()


@pytest.mark.parametrize("after", ["junk", "copy"])
def test_bytes_after_a_whole_flac_are_no_cut(
    tmp_path: Path, flac: bytes, after: str
) -> None:
    tail = bytes(0x21 + i % 90 for i in range(100))
    if after == "copy":
        tail = flac[: len(flac) // 2]
    path = tmp_path / "a.flac"
    path.write_bytes(flac + tail)
    assert audio.probe(path).frames == int(1.5 * SR)
    assert audio.load(path, PARAMS).y.shape == (int(1.5 * SR),)


def test_a_flac_cut_between_frames_with_junk_after_still_fails(
    tmp_path: Path, flac: bytes
) -> None:
    last = flac.rfind(b"\xff\xf8")  # the last frame's header
    path = tmp_path / "a.flac"
    path.write_bytes(flac[:last] + b"\x01" * 300)
    for read in (audio.probe, lambda p: audio.load(p, PARAMS)):
        with pytest.raises(audio.AudioError, match=r"^corrupt or truncated: decoding"):
            read(path)

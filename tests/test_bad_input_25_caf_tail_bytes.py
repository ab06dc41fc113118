"""Bytes after a CAF's audio that cannot begin a chunk are no cut.

A CAF has no outer size: a file cut inside a chunk header after its audio
data is told by the start of that chunk's name. Trailing bytes that cannot
begin one (a zero byte after even-sized data, junk) failed a whole file as
``truncated: decoded 2.00 s, then the file ends inside a chunk header``;
libsndfile decodes its audio whole, and it is written.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import soundfile as sf
from conftest import tone

from melcli import MelParams, audio

PARAMS = MelParams(sr=None).validate()
SR = 16000


@pytest.mark.parametrize("tail", [b"\0", b"\0\0\0", b"\x01\x02"])
def test_bytes_that_begin_no_chunk_are_no_cut(tmp_path: Path, tail: bytes) -> None:
    path = tmp_path / "a.caf"
    sf.write(path, tone(seconds=2.0, sr=SR), SR, format="CAF", subtype="PCM_16")
    path.write_bytes(path.read_bytes() + tail)
    assert audio.probe(path).frames == 2 * SR
    assert audio.load(path, PARAMS).y.shape == (2 * SR,)

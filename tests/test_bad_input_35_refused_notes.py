"""ADTS AAC named ``.mp3`` is decoded as AAC, without libmpg123's notes.

An ADTS AAC stream named ``.mp3`` (a common mislabelling): libsndfile goes
by the name to libmpg123. Of one stream (22.05 kHz mono) libmpg123 found
MPEG frame headers in the AAC data and decoded noise: the file failed as
``corrupt or truncated: decoding stopped at 0.10 s of 0.27 s``. Of another
(44.1 kHz stereo) it gave up, melcli decoded the file through ffmpeg, and
the run still warned of libmpg123's notes ("Illegal Audio-MPEG-Header"),
as if the file were damaged. Both now decode as the same stream named
``.aac`` does, to the same array, without a word.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from conftest import ffmpeg_tone, invoke, mel

import melcli

pytestmark = pytest.mark.skipif(
    shutil.which("ffmpeg") is None or shutil.which("ffprobe") is None,
    reason="ffmpeg is not installed",
)


@pytest.mark.parametrize("layout", [(), ("-ar", "44100", "-ac", "2")])
def test_adts_named_mp3_is_decoded_as_aac(tmp_path: Path, layout: tuple) -> None:
    data = ffmpeg_tone(tmp_path / "a.aac", "-c:a", "aac", *layout, "-f", "adts")
    src = tmp_path / "src"
    src.mkdir()
    (src / "named.mp3").write_bytes(data)
    (src / "right.aac").write_bytes(data)
    assert melcli.probe(src / "named.mp3") == melcli.probe(src / "right.aac")
    info = invoke("info", src)
    assert info.exit_code == 0, info.stderr
    assert "AAC" in info.stdout.split("named.mp3")[1].splitlines()[0]
    result = mel(src, tmp_path / "out")
    assert result.exit_code == 0, result.stderr
    assert "2 written" in result.stderr
    assert "warning" not in result.stderr, result.stderr
    assert "MPEG-Header" not in result.stderr
    named = np.load(tmp_path / "out" / "named.npy")
    assert np.array_equal(named, np.load(tmp_path / "out" / "right.npy"))

"""An AU whose data size is 2 GiB or more is read to its end, as a WAV's is.

libsndfile reads an AU's data size as signed: from 0x7FFFFFFF up (but its
"unknown", 0xFFFFFFFF) it opened the file with 0 frames, and melcli said
``no audio samples (0 frames)`` of a file holding audio, in a run and in
``melcli info``. Such a size is a placeholder, as a WAV's of 2 GiB is.
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from melcli import MelParams, audio
from melcli.cli import cli

PARAMS = MelParams(sr=None).validate()
SAMPLES = (np.sin(np.arange(800) / 5) * 8000).astype(">i2")


def au(tmp_path: Path, data_size: int, offset: int = 24) -> Path:
    """A 16-bit mono 8 kHz AU of 800 samples whose header gives ``data_size``."""
    path = tmp_path / f"x{data_size:x}.au"
    header = b".snd" + struct.pack(">IIIII", offset, data_size, 3, 8000, 1)
    path.write_bytes(header + bytes(offset - 24) + SAMPLES.tobytes())
    return path


@pytest.mark.parametrize("data_size", [0x7FFFFFFF, 0x80000000, 0xFFFFFFFE])
def test_huge_data_size_reads_to_the_end(tmp_path: Path, data_size: int) -> None:
    path = au(tmp_path, data_size, offset=32)
    assert audio.probe(path).frames == 800
    y = audio.load(path, PARAMS).y
    np.testing.assert_allclose(y, SAMPLES / 32768.0, atol=1e-6)
    result = CliRunner().invoke(cli, ["info", "--json", str(path)])
    assert result.exit_code == 0, result.stderr
    assert '"frames": 800' in result.stdout
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["mel", str(path), "-o", str(out), "-j", "1"])
    assert result.exit_code == 0, result.stderr


def test_the_unknown_size_and_a_claim_keep_their_meaning(tmp_path: Path) -> None:
    assert audio.probe(au(tmp_path, 0xFFFFFFFF)).frames == 800
    with pytest.raises(audio.AudioError, match=r"^truncated: decoded 0\.10 s of "):
        audio.probe(au(tmp_path, 0x10000000))

"""A FLAC behind an ID3v2 tag, cut inside its metadata, says so.

Some taggers put an ID3v2 tag before ``fLaC``; libsndfile reads such a file.
Cut inside its metadata (``flac`` leaves 8 KiB of padding there), it failed
as ``cannot decode: unknown error in flac decoder``: melcli read FLAC's own
header only at byte 0. The tags are skipped now, and the cut is said as for
any FLAC: ``... (the file ends inside its metadata, before any audio frame)``.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from melcli import MelParams, audio

SR = 16000
PARAMS = MelParams(sr=None).validate()
ID3 = b"ID3\x04\x00\x00\x00\x00\x01\x00" + bytes(128)  # a tag of 128 bytes


@pytest.fixture
def flac(tmp_path: Path) -> Path:
    if shutil.which("flac") is None:
        pytest.skip("needs the flac command, which is not installed")
    sf.write(tmp_path / "t.wav", np.full(2 * SR, 0.1, np.float32), SR, "PCM_16")
    subprocess.run(
        ["flac", "-s", "-f", "-o", str(tmp_path / "t.flac"), str(tmp_path / "t.wav")],
        check=True,
    )
    tagged = tmp_path / "tagged.flac"
    tagged.write_bytes(ID3 + (tmp_path / "t.flac").read_bytes())
    return tagged


def test_a_tagged_flac_is_read_whole(flac: Path) -> None:
    assert audio.load(flac, PARAMS).y.shape == (2 * SR,)


def test_a_tagged_flac_cut_inside_its_metadata_says_so(
    flac: Path, tmp_path: Path
) -> None:
    data = flac.read_bytes()
    start = len(ID3)
    first_frame = data.index(b"\xff\xf8", start + 42)
    for at in (start + 42, start + 100, start + 4000, first_frame - 1):
        cut = tmp_path / "cut.flac"
        cut.write_bytes(data[:at])
        with pytest.raises(audio.AudioError) as failed:
            audio.load(cut, PARAMS)
        assert str(failed.value) == (
            "corrupt or truncated: decoding stopped at 0.00 s of 2.00 s (the file "
            "ends inside its metadata, before any audio frame)"
        ), at

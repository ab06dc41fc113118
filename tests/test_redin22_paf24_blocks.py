"""A 24-bit PAF is judged by its blocks of 10 sample frames, not by 3-byte frames.

A PAF's header gives no data size: its audio runs to the end of the file,
and one that ends inside a sample frame was cut. But libsndfile packs
24-bit PAF in blocks of 10 frames, 32 bytes a channel: a whole mono file
of 8000 frames holds 25 600 bytes, no whole number of 3-byte frames, and
failed as ``truncated: ... the file ends inside a sample frame``; one cut
by a byte (25 599 bytes, a whole number of them) decoded its full length
(libsndfile counts a partial block as whole) and was written as whole.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from conftest import invoke, mel

from melcli import MelParams, audio

SR = 8000


def paf24(path: Path, frames: int, channels: int) -> Path:
    t = np.arange(frames * channels).reshape(frames, channels)
    sf.write(path, 0.5 * np.sin(t / 7), SR, format="PAF", subtype="PCM_24")
    return path


@pytest.mark.parametrize("channels", [1, 2, 3])
def test_whole_24_bit_paf_is_read(tmp_path: Path, channels: int) -> None:
    path = paf24(tmp_path / "whole.paf", 8000, channels)
    assert (path.stat().st_size - 2048) % 3 != 0 or channels == 3
    assert audio.probe(path).frames == 8000
    y = audio.load(path, MelParams(sr=None, mono=False).validate()).y
    assert y.shape == (channels, 8000)
    result = mel(path, tmp_path / "out")
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "out" / "whole.npy").is_file()


def test_24_bit_paf_cut_inside_a_block_fails(tmp_path: Path) -> None:
    data = paf24(tmp_path / "whole.paf", 8000, 1).read_bytes()
    src = tmp_path / "in"
    src.mkdir()
    (src / "cut.paf").write_bytes(data[:-1])  # 25 599 bytes: 8533 3-byte frames
    with pytest.raises(audio.AudioError, match="the file ends inside a sample frame"):
        audio.load(src / "cut.paf", MelParams().validate())
    result = mel(src / "cut.paf", tmp_path / "out")
    assert result.exit_code != 0
    assert "cut.paf: truncated" in result.stderr
    assert not (tmp_path / "out" / "cut.npy").exists()
    listing = invoke("info", src / "cut.paf")
    assert "the file ends inside a sample frame" in listing.stderr

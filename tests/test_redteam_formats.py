"""Formats libsndfile decodes by content whose cut files looked whole.

A file named on the command line is taken whatever its extension, and decoded
by its content: a NIST SPHERE, 16SV (IFF), Psion WVE or Akai MPC 2000 file
named ``x.wav`` reaches melcli as any WAV does. libsndfile reports the frames
such a file still holds, so one cut short was written as if it were whole; its
header's claim (SPHERE's ``sample_count``, the ``BODY`` size, WVE's data
length, MPC 2000's frame count) now judges it, as the data size of a WAV does.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from click.testing import CliRunner

from melcli import audio
from melcli.cli import cli
from melcli.errors import AudioError
from melcli.params import MelParams

pytestmark = pytest.mark.usefixtures("isolated")

#: (libsndfile format, subtype, channels): each must judge its own cut.
FORMATS = [
    ("NIST", "PCM_16", 2),
    ("NIST", "PCM_24", 1),
    ("SVX", "PCM_16", 1),
    ("WVE", "ALAW", 1),
    ("MPC2K", "PCM_16", 2),
]
CUTS = (0.2, 0.5, 0.9, 0.99)
TRUNCATED = r"^truncated: decoded [\d.]+ s of 2\.00 s"


def _write(path: Path, fmt: str, subtype: str, channels: int) -> int:
    sr = 8000  # WVE holds only 8 kHz
    rng = np.random.default_rng(0)
    y = rng.uniform(-0.5, 0.5, (sr * 2, channels))
    sf.write(path, y, sr, format=fmt, subtype=subtype)
    return len(y)


@pytest.mark.parametrize(("fmt", "subtype", "channels"), FORMATS)
def test_a_cut_file_of_each_format_fails_and_a_whole_one_does_not(
    tmp_path: Path, fmt: str, subtype: str, channels: int
) -> None:
    whole = tmp_path / "whole.wav"
    frames = _write(whole, fmt, subtype, channels)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        wave = audio.load(whole, MelParams(sr=None, mono=False))
    assert wave.y.shape == (channels, frames)

    data = whole.read_bytes()
    for fraction in CUTS:
        cut = tmp_path / "cut.wav"
        cut.write_bytes(data[: int(len(data) * fraction)])
        with pytest.raises(AudioError, match=TRUNCATED):
            audio.load(cut, MelParams(sr=None))
        with pytest.warns(UserWarning, match="kept what was decoded"):
            kept = audio.load(cut, MelParams(sr=None, truncated="keep"))
        assert 0 < kept.y.shape[-1] < frames


def test_the_command_fails_a_cut_sphere_named_wav(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    _write(src / "whole.wav", "NIST", "PCM_16", 1)
    data = (src / "whole.wav").read_bytes()
    (src / "cut.wav").write_bytes(data[: len(data) // 2])
    out = tmp_path / "out"

    result = CliRunner().invoke(cli, ["mel", str(src), "-o", str(out), "-j", "1"])

    assert result.exit_code == 1, result.stderr
    lines = result.stderr.strip().splitlines()
    assert lines[0].startswith(f"error: {src}/cut.wav: truncated: decoded 0.9")
    assert lines[-1] == "1 written, 1 failed."
    assert sorted(p.name for p in out.glob("*.npy")) == ["whole.npy"]

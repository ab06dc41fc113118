"""An RF64 written to a pipe decodes to its end, as a WAV written to a pipe does.

``ffmpeg -rf64 always ... -f wav pipe:`` cannot seek back to fill in the
sizes: its ``ds64`` chunk gives a data size of 0 and its data chunk the
placeholder 0xFFFFFFFF ("see ds64"), and the audio runs to the end of the
file. libsndfile (and ffmpeg itself) decoded no frame of it, so melcli
failed a whole file with ``no audio samples (0 frames)``. The data size is
now read as "to the end", as a WAV's placeholder is.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from melcli import MelParams, audio
from melcli.cli import cli

pytestmark = pytest.mark.skipif(
    shutil.which("ffmpeg") is None, reason="ffmpeg is not installed"
)
PARAMS = MelParams(sr=None, mono=False).validate()
CODECS = ["pcm_s16le", "pcm_s24le", "pcm_f32le", "pcm_u8", "pcm_f64le"]


def rf64(path: Path, codec: str, *, pipe: bool, channels: int = 2) -> None:
    """A second of two tones, as RF64 written to a pipe or to a file."""
    command = ["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi"]
    command += ["-i", "sine=f=440:d=1:r=16000", "-f", "lavfi"]
    command += ["-i", "sine=f=660:d=1:r=16000", "-filter_complex"]
    command += [f"amerge=inputs=2,pan={channels}c|c0=c0|c1=c1", "-c:a", codec]
    command += ["-rf64", "always", "-f", "wav"]
    if pipe:
        with path.open("wb") as f:
            subprocess.run([*command, "pipe:"], stdout=f, check=True)
    else:
        subprocess.run([*command, str(path)], check=True)


@pytest.mark.parametrize("codec", CODECS)
def test_an_rf64_of_a_pipe_decodes_as_the_same_rf64_of_a_file(
    tmp_path: Path, codec: str
) -> None:
    rf64(tmp_path / "pipe.wav", codec, pipe=True)
    rf64(tmp_path / "file.wav", codec, pipe=False)
    data = (tmp_path / "pipe.wav").read_bytes()
    assert data[:4] == b"RF64"
    assert data[28:36] == bytes(8)  # the data size ffmpeg could not write
    expected = audio.load(tmp_path / "file.wav", PARAMS, resampled=False)
    assert expected.y.shape == (2, 16000)
    got = audio.load(tmp_path / "pipe.wav", PARAMS, resampled=False)
    np.testing.assert_array_equal(got.y, expected.y)
    assert audio.probe(tmp_path / "pipe.wav").frames == 16000


def test_the_command_writes_it_and_info_gives_its_length(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    rf64(src / "pipe.wav", "pcm_s16le", pipe=True)
    rf64(src / "file.wav", "pcm_s16le", pipe=False)
    for jobs in ("1", "2"):
        out = tmp_path / f"out{jobs}"
        result = CliRunner().invoke(
            cli, ["mel", str(src), "-o", str(out), "-j", jobs, "--png"]
        )
        assert result.exit_code == 0, result.stderr
        assert "2 written" in result.stderr
        np.testing.assert_array_equal(
            np.load(out / "pipe.npy"), np.load(out / "file.npy")
        )
    result = CliRunner().invoke(cli, ["info", str(src / "pipe.wav"), "--json"])
    assert result.exit_code == 0, result.stderr
    assert '"frames": 16000' in result.stdout


def test_truncated_keep_reopens_it_sized_too(tmp_path: Path) -> None:
    rf64(tmp_path / "pipe.wav", "pcm_s16le", pipe=True)
    params = MelParams(sr=None, mono=False, truncated="keep").validate()
    got = audio.load(tmp_path / "pipe.wav", params, resampled=False)
    assert got.y.shape == (2, 16000)


def test_an_rf64_that_announces_no_data_still_has_none(tmp_path: Path) -> None:
    rf64(tmp_path / "pipe.wav", "pcm_s16le", pipe=True)
    data = (tmp_path / "pipe.wav").read_bytes()
    at = data.index(b"data") + 4
    empty = data[:at] + (0).to_bytes(4, "little")  # a data chunk of 0 bytes, alone
    (tmp_path / "empty.wav").write_bytes(empty)
    with pytest.raises(audio.AudioError, match="no audio samples"):
        audio.load(tmp_path / "empty.wav", PARAMS)

"""A free-format MP3 cut inside its first frames fails as cut, not as "not audio".

A free-format MPEG stream (``lame --freeformat``) has no bitrate in its
headers: a frame's length is where the next one starts, and libmpg123
decodes nothing of a stream that does not hold a few whole frames. Such a
file cut short said ``not an audio file (no decodable audio found)``, as of
random bytes; its first header is one of an MPEG audio frame, so it is a cut
file, said as every MP3 cut before its audio is. And a whole one without a
Xing/Info frame failed, ``truncated: decoded 2.06 s of 2.07 s``: libmpg123's
length for it is an estimate, not a claim.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from click.testing import CliRunner

from melcli import MelParams, audio
from melcli.cli import cli

pytestmark = pytest.mark.skipif(shutil.which("lame") is None, reason="needs lame")
PARAMS = MelParams(sr=None).validate()
CUT = "truncated: decoded 0.00 s, then the file ends inside its first MPEG frames"


@pytest.fixture(scope="module", params=[[], ["-t"]], ids=["info-tag", "bare"])
def free(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> bytes:
    folder = tmp_path_factory.mktemp("free")
    t = np.arange(22050 * 2) / 22050
    sf.write(folder / "a.wav", 0.5 * np.sin(2 * np.pi * 440 * t), 22050)
    wav, mp3 = str(folder / "a.wav"), str(folder / "a.mp3")
    lame = ["lame", "--quiet", "--freeformat", "-b", "320", *request.param]
    subprocess.run([*lame, wav, mp3], check=True)
    data = (folder / "a.mp3").read_bytes()
    assert data[2] >> 4 == 0  # no bitrate: free format
    return data


@pytest.mark.parametrize("size", [4, 5, 40, 400, 1000])
def test_cut_inside_its_first_frames_is_said_as_cut(
    free: bytes, tmp_path: Path, size: int
) -> None:
    path = tmp_path / "cut.mp3"
    path.write_bytes(free[:size])
    with pytest.raises(audio.AudioError, match=f"^{CUT}"):
        audio.load(path, PARAMS)
    with pytest.raises(audio.AudioError, match=f"^{CUT}"):
        audio.probe(path)


def test_random_bytes_are_still_not_audio(tmp_path: Path) -> None:
    path = tmp_path / "noise.mp3"
    path.write_bytes(np.random.default_rng(1).bytes(3000).replace(b"\xff", b"\x00"))
    with pytest.raises(audio.AudioError, match=r"^not an audio file"):
        audio.load(path, PARAMS)


def test_the_batch_names_it_and_goes_on(free: bytes, tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.mp3").write_bytes(free)
    (src / "b.mp3").write_bytes(free[:700])
    result = CliRunner().invoke(cli, ["mel", str(src), "-o", str(tmp_path / "out")])
    assert result.exit_code == 1, result.stderr
    assert "1 written, 1 failed" in result.stderr
    assert f"b.mp3: {CUT} (free format)" in result.stderr


def test_a_whole_one_is_written_whole(free: bytes, tmp_path: Path) -> None:
    path = tmp_path / "a.mp3"
    path.write_bytes(free)
    y = audio.load(path, PARAMS).y
    assert abs(y.size - 2 * 22050) < 2 * 1152  # the encoder's delay and padding

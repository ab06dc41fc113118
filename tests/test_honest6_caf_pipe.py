"""A CAF written to a pipe (its data size -1, "to the end of the file", as the
CAF specification allows) is valid: libsndfile calls it malformed, so it is
decoded through ffmpeg, to the same array as the same audio written to a file."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from melcli.cli import cli

pytestmark = pytest.mark.skipif(
    shutil.which("ffmpeg") is None or shutil.which("ffprobe") is None,
    reason="ffmpeg is not installed (make tools installs it)",
)


def caf(path: Path, codec: str, *, piped: bool) -> None:
    """Three seconds of a tone as CAF, written to a pipe or to a seekable file."""
    command = [
        "ffmpeg", "-nostdin", "-v", "error", "-f", "lavfi", "-i",
        "sine=frequency=440:duration=3", "-ar", "22050", "-c:a", codec, "-f", "caf",
    ]  # fmt: skip
    if piped:
        with open(path, "wb") as out:
            subprocess.run([*command, "pipe:"], check=True, stdout=out)
    else:
        subprocess.run([*command, "-y", str(path)], check=True)


@pytest.mark.parametrize("codec", ["pcm_s16be", "pcm_f32be", "pcm_s24le"])
def test_a_piped_caf_decodes_as_a_seekable_one(tmp_path: Path, codec: str) -> None:
    src = tmp_path / "src"
    src.mkdir()
    caf(src / "piped.caf", codec, piped=True)
    caf(src / "seekable.caf", codec, piped=False)
    data = (src / "piped.caf").read_bytes()
    assert data[data.index(b"data") + 4 :][:8] == b"\xff" * 8  # size -1
    out = tmp_path / "out"

    result = CliRunner().invoke(cli, ["mel", str(src), "-o", str(out)])

    assert result.exit_code == 0, result.stderr
    assert result.stderr.splitlines()[-1] == "2 written."
    piped, seekable = np.load(out / "piped.npy"), np.load(out / "seekable.npy")
    assert piped.shape == seekable.shape == (128, 130)
    np.testing.assert_allclose(piped, seekable, atol=1e-3)

    info = CliRunner().invoke(cli, ["info", str(src / "piped.caf"), "--json"])
    assert info.exit_code == 0, info.stderr
    assert '"frames": 66150' in info.stdout

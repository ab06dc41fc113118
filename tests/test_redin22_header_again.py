"""A W64, CAF or PVF that repeats its header where its audio begins fails clearly.

sox writes these formats through libsndfile, which cannot seek back in a
pipe to fill in its header: it writes the header again before the audio
(and a W64 and a CAF once more after it). Read from the first header, a
W64's second and third ones were decoded as 52 frames of noise around the
audio and written as whole; a PVF's as 4 frames; a CAF failed as "cut"
inside a chunk named 'caff'. Each now fails as what it is, in ``melcli
info`` and a run alike, and nothing is written for it.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import invoke, mel

from melcli import MelParams, audio

pytestmark = pytest.mark.skipif(shutil.which("sox") is None, reason="no sox")

SAID = "unfinished header: written to a pipe (as by 'sox ... -t {kind} -')"


def sox_to_pipe(path: Path, kind: str, *options: str) -> Path:
    """Half a second of a tone, written by sox to a pipe, as ``kind``."""
    sox = subprocess.Popen(
        ["sox", "-R", "-n", *options, "-t", kind, "-", "synth", "0.5", "sine", "440"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    data, _ = sox.communicate()
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("kind", ["w64", "caf", "pvf"])
@pytest.mark.parametrize("options", [(), ("-c", "2", "-b", "16")])
def test_header_written_again_fails_in_info_and_a_run(
    tmp_path: Path, kind: str, options: tuple[str, ...]
) -> None:
    path = sox_to_pipe(tmp_path / f"piped.{kind}", kind, *options)
    said = SAID.format(kind=kind)
    with pytest.raises(audio.AudioError, match="^" + re.escape(said)):
        audio.probe(path)
    with pytest.raises(audio.AudioError, match="^" + re.escape(said)):
        audio.load(path, MelParams().validate())
    result = mel(path, tmp_path / "out")
    assert result.exit_code != 0
    assert f"piped.{kind}: {said}" in result.stderr
    assert not (tmp_path / "out" / "piped.npy").exists()
    listing = invoke("info", path)
    assert f"piped.{kind}: {said}" in listing.stderr
    # The same, written by sox to a file it can seek in, is read.
    seekable = tmp_path / f"seekable.{kind}"
    subprocess.run(
        ["sox", "-R", "-n", *options, str(seekable), "synth", "0.5", "sine", "440"],
        check=True,
        stderr=subprocess.DEVNULL,
    )
    assert audio.probe(seekable).frames == 24000
    wave = audio.load(seekable, MelParams(sr=None, mono=False).validate())
    assert wave.y.shape[-1] == 24000

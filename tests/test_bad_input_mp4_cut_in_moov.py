"""An MP4 cut inside its ``moov`` box (at its start) fails as cut, not as "not audio".

``ffmpeg -movflags +faststart`` (and most streaming encoders) put the index,
``moov``, before the audio. A download cut inside it left ffprobe with no
audio stream, or one it calls damaged: the file failed as ``not an audio
file (ffprobe found no audio stream)`` or ``ffprobe cannot read it
(contradictionary STSC and STCO ...)``. Its top-level boxes say it was cut:
``truncated: the file ends inside its 'moov' box: no audio decodes``, in
``melcli info`` too.
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

pytestmark = pytest.mark.skipif(
    shutil.which("ffmpeg") is None or shutil.which("ffprobe") is None,
    reason="ffmpeg is not installed (make tools installs it)",
)
SAID = r"^truncated: the file ends inside its 'moov' box[:;] no audio decodes"


def faststart(tmp_path: Path) -> bytes:
    wav, m4a = tmp_path / "src.wav", tmp_path / "src.m4a"
    t = np.arange(3 * 16000) / 16000
    sf.write(wav, 0.3 * np.sin(2 * np.pi * 440 * t), 16000)
    command = [shutil.which("ffmpeg") or "ffmpeg", "-v", "error", "-i", str(wav)]
    command += ["-c:a", "aac", "-movflags", "+faststart", str(m4a)]
    subprocess.run(command, check=True)
    data = m4a.read_bytes()
    assert data[36:40] == b"moov" or b"moov" in data[:64]  # the index first
    return data


def test_an_mp4_cut_inside_its_index_fails_as_cut(tmp_path: Path) -> None:
    data = faststart(tmp_path)
    moov = data.index(b"moov") - 4
    size = int.from_bytes(data[moov : moov + 4], "big")
    path = tmp_path / "cut.m4a"
    for at in (moov + 12, moov + 100, moov + size // 2, moov + size - 1):
        path.write_bytes(data[:at])
        for params in (MelParams(), MelParams(truncated="keep")):
            with pytest.raises(audio.AudioError, match=SAID):
                audio.load(path, params)
        with pytest.raises(audio.AudioError, match=SAID):
            audio.probe(path)
    result = CliRunner().invoke(cli, ["info", str(path)])
    assert result.exit_code == 1
    assert "truncated: the file ends inside its 'moov' box" in result.stderr

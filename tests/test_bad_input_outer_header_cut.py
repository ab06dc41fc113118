"""A WAV, AIFF, RF64 or CAF cut inside its outer header fails as cut.

A download stopped after a few bytes leaves ``RIFF`` and nothing more:
libsndfile does not recognise such a file, and melcli said ``not an audio
file (format not recognised)``, as of an HTML page. Its first four bytes
name its format: it is a cut file, and says so.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from click.testing import CliRunner

from melcli import MelParams, audio
from melcli.cli import cli

PARAMS = MelParams(sr=None).validate()
FORMATS = {
    "WAV": ("x.wav", "RIFF"),
    "AIFF": ("x.aiff", "FORM"),
    "RF64": ("x.rf64", "RF64"),
    "CAF": ("x.caf", "CAF"),
}


def whole(tmp_path: Path, fmt: str) -> tuple[bytes, str]:
    name, said = FORMATS[fmt]
    path = tmp_path / name
    sf.write(path, np.zeros(100, dtype=np.float32), 8000, format=fmt)
    return path.read_bytes(), said


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_a_file_cut_inside_its_outer_header_fails_as_cut(
    tmp_path: Path, fmt: str
) -> None:
    data, said = whole(tmp_path, fmt)
    cut = tmp_path / ("cut" + FORMATS[fmt][0][1:])
    last = 8 if fmt == "CAF" else 12
    for size in range(4, last):
        cut.write_bytes(data[:size])
        expected = f"^truncated: decoded 0.00 s, then the file ends inside its {said}"
        with pytest.raises(audio.AudioError, match=expected):
            audio.load(cut, PARAMS)
        with pytest.raises(audio.AudioError, match=expected):
            audio.probe(cut)


def test_a_caf_of_its_header_alone_fails_as_cut(tmp_path: Path) -> None:
    data, _ = whole(tmp_path, "CAF")
    cut = tmp_path / "cut.caf"
    cut.write_bytes(data[:8])
    with pytest.raises(audio.AudioError, match="ends after its CAF header, before"):
        audio.load(cut, PARAMS)


def test_the_batch_names_each_and_goes_on(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    data, _ = whole(tmp_path, "WAV")
    (src / "a.wav").write_bytes(data)
    (src / "b.wav").write_bytes(data[:4])
    (src / "c.wav").write_bytes(b"<html>\n<body>404</body></html>\n")
    result = CliRunner().invoke(cli, ["mel", str(src), "-o", str(tmp_path / "out")])
    assert result.exit_code == 1, result.stderr
    assert "1 written, 2 failed" in result.stderr
    assert "b.wav: truncated: decoded 0.00 s, then the file ends inside its RIFF " in (
        result.stderr
    )
    assert "c.wav: not an audio file (format not recognised)" in result.stderr
    result = CliRunner().invoke(cli, ["info", str(src / "b.wav")])
    assert "b.wav: truncated: decoded 0.00 s" in result.stderr

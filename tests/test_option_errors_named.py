"""An option's error names the options as the command spells them.

The library's messages name its parameters (``clamp=8.0 applies to scale
'log' or 'log10' only (scale='db'; the dB scale uses top_db)``); the command
printed them as they were, under ``Invalid value for --clamp``. They now say
``--clamp 8.0``, ``--scale db``, ``--top-db``, ``no --hop-length``,
``--center``; the Python API keeps its names.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from click.testing import CliRunner

from melcli import MelParams, ParameterError
from melcli.cli import cli

#: What a Python name looks like in a message: ``name=`` or ``a_name``.
PYTHON_NAME = re.compile(r"\b[a-z][a-z0-9]*=|\b[a-z][a-z0-9]*_[a-z0-9_]+\b")

CASES = {
    "clamp on the dB scale": (
        ["--clamp", "8"],
        "--clamp 8 applies to scale 'log' or 'log10' only "
        "(--scale db; the dB scale uses --top-db)",
    ),
    "a hop of 0": (["--hop-length", "0"], "--hop-length 0 must be a positive"),
    "fmin above fmax": (
        ["--fmin", "9000", "--fmax", "100"],
        "--fmin 9000 must be below --fmax 100",
    ),
    "a window longer than n_fft": (
        ["--win-length", "4096"],
        "--win-length 4096 must be at most --n-fft 2048",
    ),
    "no hop for a tiny n_fft": (
        ["--n-fft", "1"],
        "no --hop-length gives --win-length // 4 = 0 for --win-length 1; "
        "set --hop-length",
    ),
    "padding without centring": (
        ["--no-center", "--pad-length", "10"],
        "--pad-length 10 needs --center",
    ),
    "fbank band upside down": (
        ["--kind", "fbank", "--low-freq", "100", "--high-freq", "50"],
        "--low-freq 100 and --high-freq 50",
    ),
    "segments of fixed-length clips": (
        ["--segment", "1", "--clip-duration", "2"],
        "--segment 1 cannot be combined with --clip-duration 2",
    ),
    "a colormap matplotlib lacks": (
        ["--png", "--cmap", "bogus"],
        "--cmap bogus is not a matplotlib colormap",
    ),
    "a shard past the count": (["--shard", "3/2"], "--shard 3/2 must be I/N"),
    "a shard size in no unit": (
        ["--format", "webdataset", "--shard-size", "1x"],
        "--shard-size 1x must be a size",
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_the_message_names_options_not_parameters(tmp_path: Path, case: str) -> None:
    args, said = CASES[case]
    src = tmp_path / "in"
    src.mkdir()
    sf.write(src / "a.wav", np.full(800, 0.1, np.float32), 8000)
    result = CliRunner().invoke(
        cli, ["mel", str(src), "-o", str(tmp_path / "o"), *args]
    )
    assert result.exit_code == 2, result.output
    error = result.stderr.strip().splitlines()[-1]
    assert said in error, error
    assert not PYTHON_NAME.findall(error.replace(str(tmp_path), "")), error


def test_the_python_api_keeps_its_names() -> None:
    with pytest.raises(ParameterError, match=r"^clamp=8\.0 .* uses top_db\)$"):
        MelParams(clamp=8.0).validate()

"""A run does not write over a kept output of other settings that shares its name.

With one file per segment, ``a.wav``'s segments are ``a.000.npy``,
``a.001.npy``, ...: the name of ``a.001.wav``'s plain array. A run of
one kind over part of SRC (``--include``) wrote over the other kind's
kept output (made with other settings, left out of the run, kept without
``--prune``); its entry still claimed the file, and a run of the other
settings then wrote it back over the first. Such an input now fails,
naming the kept output and its input; with ``--prune`` it is written.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import WriteAudio, mel, noise

pytestmark = pytest.mark.usefixtures("isolated")

FILES = ("--segment", "0.2", "--segment-layout", "files")


@pytest.fixture
def audio(write_audio: WriteAudio, tmp_path: Path) -> Path:
    write_audio("a.wav", noise(seconds=0.7, seed=1))  # 4 segments of 0.2 s
    write_audio("a.001.wav", noise(seconds=0.3, seed=2))
    return tmp_path / "audio"


@pytest.mark.parametrize(
    ("first", "then"),
    [
        (("--include", "a.001.wav"), ("--include", "a.wav", *FILES)),
        (("--include", "a.wav", *FILES), ("--include", "a.001.wav")),
    ],
    ids=["segments over a plain array", "a plain array over a segment"],
)
def test_a_kept_output_of_other_settings_is_not_written_over(
    audio: Path, tmp_path: Path, first: tuple[str, ...], then: tuple[str, ...]
) -> None:
    out = tmp_path / "out"
    assert mel(audio, out, *first).exit_code == 0
    kept = (out / "a.001.npy").read_bytes()

    result = mel(audio, out, *then)

    assert (out / "a.001.npy").read_bytes() == kept
    assert result.exit_code == 1
    said = [line for line in result.stderr.splitlines() if "a.001.npy" in line]
    assert said, result.stderr
    assert "made with other settings and kept" in said[0]
    assert "--prune" in said[0]

    pruned = mel(audio, out, *then, "--prune")
    assert pruned.exit_code == 0, pruned.stderr
    assert (out / "a.001.npy").read_bytes() != kept
    assert np.load(out / "a.001.npy").ndim == 2

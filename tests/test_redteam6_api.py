"""The Python API as the docs call it, with the command's guarantees.

``melcli.merge("features/")``, as the package's docstring and the docs write it.

Every other function of the API takes a path as a string or a path-like;
``merge`` took a :class:`~pathlib.Path` only, and a string failed with
``AttributeError: 'str' object has no attribute 'glob'`` before looking at
anything.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import invoke, short_tones

import melcli

pytestmark = pytest.mark.usefixtures("isolated")


def test_merge_takes_out_as_a_string() -> None:
    short_tones(Path("audio"), n=4)
    for shard in ("0/2", "1/2"):
        ran = invoke("mel", "audio", "-o", "features", "-j", "1", "--shard", shard)
        assert ran.exit_code == 0, ran.stderr

    report = melcli.merge("features/", sources=["audio/"])

    assert report.errors == []
    assert report.exit_code == 0
    assert len(Path("features/manifest.jsonl").read_text().splitlines()) == 4


# ``melcli.mel_spectrogram`` of an array: the command fails a file whose samples
# are none, or not finite, or whose spectrogram overflows float32; the function
# returned librosa's answer instead: a (128, 1) array for an empty signal, one
# of NaN for a signal holding one, and read a (2, 2, n) array as channels.
@pytest.mark.parametrize(
    ("y", "words"),
    [
        (np.zeros(0, np.float32), r"source of shape \(0,\) must hold samples"),
        (np.zeros((2, 0), np.float32), r"source of shape \(2, 0\)"),
        (np.ones((2, 2, 4000), np.float32), r"source of shape \(2, 2, 4000\)"),
        (np.array([0.1, np.nan] * 2000, np.float32), "not finite numbers"),
        (np.array([0.1, np.inf] * 2000, np.float32), "not finite numbers"),
    ],
    ids=["empty", "empty-stereo", "three-axes", "nan", "inf"],
)
def test_mel_spectrogram_refuses_samples_the_command_would_fail(
    y: np.ndarray, words: str
) -> None:
    with pytest.raises(melcli.ParameterError, match=words):
        melcli.mel_spectrogram(y, sr=22050)


def test_mel_spectrogram_of_an_array_too_loud_fails_in_the_commands_words() -> None:
    y = np.full(22050, 3e38, np.float32)  # finite, but its power is not
    with pytest.raises(melcli.MelcliError, match=r"too large.*overflows"):
        melcli.mel_spectrogram(y, sr=22050)
    ok = np.sin(np.arange(22050, dtype=np.float32) / 5)
    assert np.isfinite(melcli.mel_spectrogram(ok, sr=22050)).all()

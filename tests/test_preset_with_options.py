"""A preset plus options it does not pin is still the preset, warning-free.

``melcli mel --preset ast`` is quiet about AST's empty Kaldi filter (the
model's own, docs/presets.md); adding ``--clip-duration``, ``--min-duration``
or ``--dtype`` leaves the filters as they are, so it must stay quiet. A
setting the preset pins, changed, is the filters by hand: that warns.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from conftest import invoke

import melcli
from melcli import fbank
from melcli.pipeline import settings_warnings

pytestmark = pytest.mark.usefixtures("isolated")

EMPTY_FILTER = "1 of 128 Kaldi mel filters holds no FFT bin"
NOT_PINNED = {"clip_duration": 10.0, "min_duration": 0.01, "dtype": "float16"}


@pytest.mark.parametrize(("name", "value"), NOT_PINNED.items())
def test_options_the_preset_leaves_free_raise_no_settings_warning(
    name: str, value: object
) -> None:
    fbank._filters.cache_clear()  # as in a fresh process
    assert settings_warnings(melcli.preset_params("ast", **{name: value})) == []


def test_the_api_with_a_clip_duration_does_not_warn() -> None:
    fbank._filters.cache_clear()
    params = melcli.preset_params("ast", clip_duration=10.0)
    y = np.sin(2 * np.pi * 440 * np.arange(16000) / 16000).astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        S = melcli.mel_spectrogram(y, sr=16000, params=params)
    assert S.shape == (128, 1024)


def test_a_pinned_setting_changed_still_warns() -> None:
    fbank._filters.cache_clear()
    params = melcli.preset_params("ast", num_frames=512)
    (warning,) = settings_warnings(params)
    assert warning.startswith(EMPTY_FILTER)


def test_the_command_with_a_preset_and_a_clip_duration_is_quiet(
    tmp_path: Path,
) -> None:
    sr = 16000
    wav = tmp_path / "a.wav"
    sf.write(wav, np.sin(2 * np.pi * 440 * np.arange(sr) / sr) * 0.5, sr)
    out = tmp_path / "out"
    fbank._filters.cache_clear()  # each as in a fresh process
    result = invoke("mel", wav, "-o", out, "--preset", "ast", "--clip-duration", 10)
    assert result.exit_code == 0, result.stderr
    assert result.stderr.splitlines() == ["1 written."]
    # By hand (the same filters, one pinned setting changed): said once.
    fbank._filters.cache_clear()
    by_hand = invoke(
        "mel", wav, "-o", out, "--preset", "ast", "--num-frames", 512, "--force"
    )
    assert by_hand.exit_code == 0, by_hand.stderr
    assert EMPTY_FILTER in by_hand.stderr

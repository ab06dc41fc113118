"""``melcli.mel_spectrogram`` with a preset's own settings is as quiet as the
command: AST's empty Kaldi filter is the model's own (docs/presets.md), not a
warning a user could act on. The same filters chosen by hand still warn."""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np
import pytest

import melcli
from melcli import fbank


def test_the_ast_preset_does_not_warn() -> None:
    fbank._filters.cache_clear()  # as in a fresh process
    y = np.sin(2 * np.pi * 440 * np.arange(16000) / 16000).astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        S = melcli.mel_spectrogram(y, sr=16000, params=melcli.preset_params("ast"))
    assert S.shape == (128, 1024)


def test_the_same_filters_by_hand_warn() -> None:
    fbank._filters.cache_clear()
    by_hand = dataclasses.replace(melcli.preset_params("ast"), num_frames=512)
    y = np.sin(2 * np.pi * 440 * np.arange(16000) / 16000).astype(np.float32)
    with pytest.warns(UserWarning, match="1 of 128 Kaldi mel filters holds no FFT"):
        melcli.mel_spectrogram(y, sr=16000, params=by_hand)

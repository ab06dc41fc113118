"""The run's settings warnings, told without numpy where they surely are none.

A run asks whether its settings make an empty mel filter before any file is
read. It imported numpy to ask (the filterbank); the usual settings are told
in plain Python (melcli.melscale), so the run's own process need not import
numpy when its workers do.
"""

from __future__ import annotations

import warnings

import pytest

from melcli import transform
from melcli.melscale import no_empty_filter
from melcli.params import MelParams
from melcli.presets import PRESETS


# --------------------------------------------- settings warnings, no numpy
def _warns(params: MelParams, sr: float) -> bool:
    transform._mel_basis.cache_clear()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        transform.mel_basis(sr, params=params)
    return any("Empty filters" in str(w.message) for w in caught)


@pytest.mark.parametrize("sr", [8000, 16000, 22050, 44100])
@pytest.mark.parametrize("n_fft", [256, 400, 512, 2048])
@pytest.mark.parametrize("n_mels", [40, 64, 80, 128, 256])
@pytest.mark.parametrize("htk", [False, True])
@pytest.mark.parametrize("norm", ["slaney", None])
def test_a_basis_said_full_without_numpy_has_no_empty_filter(
    sr: int, n_fft: int, n_mels: int, htk: bool, norm: str | None
) -> None:
    params = MelParams(sr=sr, n_fft=n_fft, n_mels=n_mels, htk=htk, norm=norm)
    if no_empty_filter(params, sr):
        assert not _warns(params, sr)


def test_the_usual_settings_are_told_full_without_numpy() -> None:
    """Else the run imports numpy to ask, and the server gains nothing."""
    assert no_empty_filter(MelParams(), 22050)
    for name, preset in PRESETS.items():
        params = preset.params()
        if params.kind == "mel" and params.sr is not None:
            assert no_empty_filter(params, params.sr), name


def test_too_many_mels_are_left_to_the_filterbank() -> None:
    params = MelParams(sr=8000, n_fft=256, n_mels=256)
    assert _warns(params, 8000)
    assert not no_empty_filter(params, 8000)

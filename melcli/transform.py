"""Spectrogram → mel → decibels: the transform stage of the pipeline.

Each step is a function with librosa's arguments, so that the chain reads like
the librosa one it reproduces::

    S = spectrogram(y, params=params)            # |STFT| ** power
    M = mel_basis(sr, params=params)             # librosa.filters.mel
    S_mel = M @ S
    S_db = power_to_db(S_mel, ref=..., amin=..., top_db=...)
"""

from __future__ import annotations

import functools

import numpy as np

from .params import MelParams


def spectrogram(y: np.ndarray, *, params: MelParams) -> np.ndarray:
    """Return ``|STFT(y)| ** power`` as ``librosa.feature.melspectrogram`` computes it.

    Parameters
    ----------
    y : np.ndarray [shape=(..., n)], float32
        The waveform.
    params : MelParams
        Uses ``n_fft, hop_length, win_length, window, center, pad_mode, power``.

    Returns
    -------
    S : np.ndarray [shape=(..., 1 + n_fft // 2, t)], float32
    """
    import librosa

    D = librosa.stft(
        y,
        n_fft=params.n_fft,
        hop_length=params.effective_hop_length,
        win_length=params.effective_win_length,
        window=params.window,
        center=params.center,
        pad_mode=params.pad_mode,  # type: ignore[arg-type]
    )
    S: np.ndarray = np.abs(D) ** params.power
    return S


@functools.lru_cache(maxsize=16)
def _mel_basis(
    sr: float,
    n_fft: int,
    n_mels: int,
    fmin: float,
    fmax: float,
    htk: bool,
    norm: str | float | None,
) -> np.ndarray:
    import librosa

    M: np.ndarray = librosa.filters.mel(
        sr=sr,
        n_fft=n_fft,
        n_mels=n_mels,
        fmin=fmin,
        fmax=fmax,
        htk=htk,
        norm=norm,  # type: ignore[arg-type]
    )
    M.setflags(write=False)
    return M


def mel_basis(sr: float, *, params: MelParams) -> np.ndarray:
    """Return the mel filterbank for signals at ``sr`` Hz (cached, read-only).

    Returns
    -------
    M : np.ndarray [shape=(n_mels, 1 + n_fft // 2)], float32
        ``librosa.filters.mel`` with the settings' ``n_mels, fmin, fmax, htk, norm``.
    """
    return _mel_basis(
        float(sr),
        params.n_fft,
        params.n_mels,
        float(params.fmin),
        params.effective_fmax(sr),
        params.htk,
        params.norm,
    )


def power_to_db(
    S: np.ndarray,
    *,
    ref: float | str = "max",
    amin: float = 1e-10,
    top_db: float | None = 80.0,
) -> np.ndarray:
    """Convert power to decibels, as ``librosa.power_to_db``, with one reference.

    ``10 * log10(max(S, amin) / max(ref, amin))``, then clamped at ``top_db``
    below the peak. With ``ref="max"`` the reference is the maximum of the whole
    array: for multichannel input all channels share one reference and one
    clamp, so their relative levels are kept. (librosa 0.11 does the same for
    ``ref=np.max``; librosa 1.0 takes it per channel. melcli computes it itself
    so that the result is the same under both.)

    Parameters
    ----------
    S : np.ndarray [shape=(..., n_mels, t)]
        Power (or magnitude) spectrogram.
    ref : float or "max"
        Reference value for 0 dB.
    amin : float
        Floor on ``S`` and ``ref`` before the logarithm.
    top_db : float or None
        Clamp the output at ``max - top_db``; ``None`` disables.

    Returns
    -------
    S_db : np.ndarray [shape=(..., n_mels, t)]
    """
    # The same operations, in the same dtypes, as librosa.power_to_db.
    ref_value = np.max(S) if ref == "max" else np.abs(float(ref))
    S_db: np.ndarray = 10.0 * np.log10(np.maximum(amin, S))
    S_db -= 10.0 * np.log10(np.maximum(amin, ref_value))
    if top_db is not None:
        S_db = np.maximum(S_db, S_db.max() - top_db)
    return S_db


def mel_spectrogram_db(y: np.ndarray, *, sr: int, params: MelParams) -> np.ndarray:
    """Run the whole transform: STFT power → mel → dB, cast to ``params.dtype``.

    Parameters
    ----------
    y : np.ndarray [shape=(n,) or (channels, n)], float32
        Waveform at ``sr``.
    sr : int
        Its sampling rate.
    params : MelParams
        The settings.

    Returns
    -------
    S_db : np.ndarray [shape=(n_mels, t) or (channels, n_mels, t)]
    """
    S = spectrogram(y, params=params)
    S_mel = mel_basis(sr, params=params) @ S
    S_db = power_to_db(S_mel, ref=params.ref, amin=params.amin, top_db=params.top_db)
    out: np.ndarray = S_db.astype(params.dtype, copy=False)
    return out

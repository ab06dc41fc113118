"""Fixed-length clips: every waveform cut or padded to the same number of samples.

With ``clip_duration`` set, the waveform of each file is made exactly
``clip_samples = round(clip_duration * sr)`` samples long after resampling
(``sr`` the rate the spectrogram is computed at) and before the spectrogram,
so every array has the same shape::

    frames = 1 + (clip_samples + 2 * pad_length - n_fft) // hop_length  # center
           = 1 + clip_samples // hop_length     # the same, even n_fft, default pad
    frames = 1 + (clip_samples - n_fft) // hop_length           # --no-center

``pad_length`` is ``n_fft // 2`` unless set; with ``drop_last_frame`` there is
one frame less (Whisper: 3000 frames for 30 s). :func:`clip_frames` computes it.

- A longer waveform is cropped (``crop``): its ``start``, its ``center``
  (starting at ``(n - clip_samples) // 2``), or a ``random`` window.
- A shorter one is completed at its end (``pad``): with ``zeros``, by
  ``repeat``-ing it from its start, or by ``reflect``-ing it (numpy's
  ``reflect`` mode, repeated as needed).

``clip_duration=30, pad="zeros", crop="start"`` is Whisper's ``pad_or_trim``
to 30 s before its STFT.

**Random crops are reproducible.** Each file's window is drawn from its own
generator, ``numpy.random.default_rng(k)`` with ``k`` the first 8 bytes
(little-endian) of ``sha256(f"{seed}:{key}")``, where ``key`` is the file's path
relative to its input folder (POSIX separators; the file name for a file given
directly). The draw is ``rng.integers(0, n - clip_samples + 1)``. It depends
neither on the order of the jobs nor on the number of workers.

**Long files** (over :data:`melcli.stream.STREAM_SECONDS`) are not decoded
whole: the clip's start is known from the header, and only the samples up to
the clip's end are decoded and resampled, block by block (soxr's streaming
resampler gives the one-shot call's samples). Memory is bounded by the clip.
The window's position is computed from the header's frame count. (With a
non-soxr ``res_type`` long files are decoded whole, as without clipping.)
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
import os
from typing import overload

import numpy as np

from . import audio, stream, transform
from .errors import AudioError
from .params import MelParams


def clip_samples(params: MelParams, sr: float) -> int:
    """Return ``round(params.clip_duration * sr)``, the samples of every clip."""
    assert params.clip_duration is not None
    return round(params.clip_duration * sr)


def clip_frames(params: MelParams, sr: float) -> int:
    """Return the number of frames of every clip's spectrogram at ``sr``.

    The module notes' formula: :func:`melcli.transform.n_frames` of
    ``clip_samples`` (``pad_length`` and ``drop_last_frame`` included).
    """
    return transform.n_frames(clip_samples(params, sr), params)


def clip_rng(seed: int, key: str) -> np.random.Generator:
    """Return the random generator of the file ``key`` (see the module notes)."""
    text = f"{seed}:{key}".encode("utf-8", "surrogateescape")
    digest = hashlib.sha256(text).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "little"))


def crop_start(n: int, size: int, *, crop: str, seed: int = 0, key: str = "") -> int:
    """Return where a window of ``size`` samples starts in a signal of ``n``.

    Parameters
    ----------
    n : int
        Samples in the signal.
    size : int
        Samples in the window.
    crop : {"start", "center", "random"}
        The policy; a signal no longer than the window always starts at 0.
    seed, key
        For ``"random"``: see :func:`clip_rng`.
    """
    if n <= size or crop == "start":
        return 0
    if crop == "center":
        return (n - size) // 2
    return int(clip_rng(seed, key).integers(0, n - size + 1))


def pad_to(y: np.ndarray, size: int, *, pad: str) -> np.ndarray:
    """Complete ``y`` [shape=(..., n)] at its end to ``size`` samples.

    ``pad`` is ``"zeros"``, ``"repeat"`` (the signal again from its start) or
    ``"reflect"`` (numpy's ``reflect``: mirrored without repeating the edge
    sample; a one-sample signal repeats). ``y`` longer than ``size`` is an
    error of the caller.
    """
    missing = size - y.shape[-1]
    assert missing >= 0
    if missing == 0:
        return y
    mode = {"zeros": "constant", "repeat": "wrap", "reflect": "reflect"}[pad]
    width = [(0, 0)] * (y.ndim - 1) + [(0, missing)]
    out: np.ndarray = np.pad(y, width, mode=mode)  # type: ignore[call-overload]
    return out


def clip_waveform(
    y: np.ndarray, *, sr: float, params: MelParams, key: str = ""
) -> np.ndarray:
    """Return ``y`` [shape=(..., n)] cut or padded to exactly ``clip_samples``.

    Parameters
    ----------
    y : np.ndarray [shape=(n,) or (channels, n)]
        The resampled waveform.
    sr : float
        Its rate.
    params : MelParams
        Uses ``clip_duration``, ``pad``, ``crop`` and ``seed``.
    key : str
        The file's relative path, for ``crop="random"``.

    Returns
    -------
    y_clip : np.ndarray [shape=(..., round(clip_duration * sr))]
    """
    size = clip_samples(params, sr)
    start = crop_start(y.shape[-1], size, crop=params.crop, seed=params.seed, key=key)
    return pad_to(y[..., start : start + size], size, pad=params.pad)


@overload
def load(
    path: str | os.PathLike[str],
    params: MelParams,
    *,
    key: str,
    timings: dict[str, float] | None = None,
    max_seconds: None = None,
) -> audio.Waveform: ...
@overload
def load(
    path: str | os.PathLike[str],
    params: MelParams,
    *,
    key: str,
    timings: dict[str, float] | None = None,
    max_seconds: float | None,
) -> audio.Waveform | None: ...
def load(
    path: str | os.PathLike[str],
    params: MelParams,
    *,
    key: str,
    timings: dict[str, float] | None = None,
    max_seconds: float | None = None,
) -> audio.Waveform | None:
    """Load ``path`` as :func:`melcli.audio.load` does, then clip it if asked.

    Without ``clip_duration`` this is :func:`melcli.audio.load` itself (and
    returns None for a file over ``max_seconds``: the streaming path). With
    it, the result is the clipped waveform whatever the file's length: a long
    file is read only up to the clip's end, in blocks.
    """
    if params.clip_duration is None:
        return audio.load(path, params, timings=timings, max_seconds=max_seconds)
    limit = stream.STREAM_SECONDS if stream.can_stream_waveform(params) else None
    wave = audio.load(path, params, timings=timings, max_seconds=limit)
    if wave is None:  # too long to decode whole: read up to the clip's end
        return _load_window(path, params, key=key)
    params.check_sr(wave.sr)  # a clip of petabytes (--sr native) is not padded to
    y = clip_waveform(wave.y, sr=wave.sr, params=params, key=key)
    return dataclasses.replace(wave, y=y)


def _load_window(
    path: str | os.PathLike[str], params: MelParams, *, key: str
) -> audio.Waveform:
    """Decode and resample a long file only up to its clip's end."""
    with audio.open_audio(path, params) as (f, info, notes):
        sr = info.samplerate if params.sr is None else params.sr
        params.check_sr(sr)
        wanted = info.frames - audio.frames_in(params.offset, info.samplerate)
        frames = audio.frames_to_read(info, params)
        if frames >= 0:
            wanted = min(wanted, frames)
        # The resampled length, as librosa's fix_length makes it.
        n = wanted
        if sr != info.samplerate:
            n = math.ceil(wanted * sr / info.samplerate)
        size = clip_samples(params, sr)
        start = crop_start(n, size, crop=params.crop, seed=params.seed, key=key)
        stop = min(start + size, n)
        kept = []
        position = 0  # index of the block's first sample in the resampled signal
        for y, _last in stream.resampled_blocks(f, info, params, sr=sr):
            lo, hi = max(start - position, 0), min(stop - position, y.shape[-1])
            if hi > lo:
                kept.append(y[..., lo:hi])
            position += y.shape[-1]
            if position >= stop:
                break
    info = audio.held_info(f, info)
    audio.warn_notes(notes)
    if not kept:  # the header promised more samples than the file holds
        raise AudioError(f"fewer samples than the header says ({info.frames})")
    y_clip = np.concatenate(kept, axis=-1)
    y_clip = pad_to(y_clip[0] if params.mono else y_clip, size, pad=params.pad)
    return audio.Waveform(y=np.ascontiguousarray(y_clip), sr=sr, info=info)


__all__ = [
    "clip_frames",
    "clip_rng",
    "clip_samples",
    "clip_waveform",
    "crop_start",
    "load",
    "pad_to",
]

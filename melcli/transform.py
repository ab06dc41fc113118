"""Spectrogram → mel → log/scale: the transform stage of the pipeline.

Each step is a function with librosa's arguments and librosa's arithmetic, so
that the chain reads like the librosa one it reproduces::

    S = spectrogram(y, params=params)            # |librosa.stft| ** power
    S_mel = mel_power(y, sr=sr, params=params)   # librosa.feature.melspectrogram
    S_db = power_to_db(S_mel, ref=..., amin=..., top_db=...)
    S_log = log_power(S_mel, base=10, amin=..., clamp=...)  # the other scales
    M = mfcc(S_db, n_mfcc=20)                    # librosa.feature.mfcc's DCT

:func:`features` runs the whole chain the settings choose: the kind of
spectrogram (``mel``, ``stft``, ``mfcc``), then the scale step (``db``,
``log``, ``log10``, ``none``) with its floor, clamp and ``(x + shift) /
divisor``, then the DCT for MFCCs.

The STFT is computed block by block of frames and projected onto the mel
filterbank straight away, so the full linear spectrogram (ten times the size of
the mel one) never exists in memory. It uses numpy's FFT on float64 frames, as
``librosa.stft`` does (a float64 window times float32 samples), and neither
librosa nor scipy is imported for the default settings: their import costs
more than a whole file's work.

Two things differ from librosa in the order of work, not in the numbers. The
power spectrum stays frames-first, as the FFT writes it (each block's power is
written straight into the chunk the mel step reads), and the mel products take
the bins of each band straight from those rows; only the mel result, ten times
smaller, is transposed (a transposed copy of the whole power spectrum, bins
first, cost about 10 % of a 10-s file's STFT and mel steps). And the
filterbank is applied by blocks of neighbouring filters (:class:`MelBands`):
each triangular filter is non-zero on a short span of bins, so a few small
products over the spans of a few filters each do the dense product's work
without multiplying most of the zeros (98 % of the matrix at the default
settings). Only the order of float32 additions changes (about 1e-7 of a band's
value). The logarithm of the dB and log10 steps is numpy's vectorised natural
logarithm times ``1 / ln 10`` (:func:`scaled_log10`): within 4 float32 steps
of ``np.log10``, which calls the C library once per element (3x slower).

A float32 FFT was considered and not taken: numpy's float32 ``rfft`` is
no faster than its float64 one, and scipy's pocketfft, twice as fast in
float32 (its compiled module loads in under a millisecond), moves mel bands
that lie 70-100 dB below their frame's energy by up to 1.1e-3 dB even under
the default 80 dB clamp (bench/README.md, "Issue 19, fifth round"); float64
also keeps librosa's noise floor for the unclamped settings (``--top-db
none``).
"""

from __future__ import annotations

import contextlib
import functools
import math
import time
import warnings
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import numpy as np

from .errors import AudioError, number
from .params import MelParams

#: Bytes of float64 windowed frames per FFT block: the block's buffers
#: (:class:`PowerBlocks`) stay in cache. Each block costs a dozen numpy calls
#: beside its arithmetic (and numpy's FFT makes its plan anew at every call):
#: since the buffers are kept from block to block, 512 KB blocks beat 256 KB
#: ones, per ``process_one``, alternating file by file in one process, 4
#: rounds: 0.96-0.99x on 10-s clips, 0.97-0.99x on 5-s Whisper files (1 MB:
#: 0.95-0.99x and 1.00-1.04x). Sized in bytes, not frames, so that a small
#: ``n_fft`` (Whisper's 400) gets as many frames per FFT call as its cache
#: share allows (32 frames at 2048).
BLOCK_BYTES = 1 << 19
#: Frames per FFT block instead of :data:`BLOCK_BYTES` (tests set it, to cross
#: many block boundaries); ``None`` sizes blocks by bytes.
BLOCK_FRAMES: int | None = None
#: Bytes of float32 power spectrum projected on the mel bands at once (per
#: channel): few products per file, one per filter and chunk (a 10-s file at
#: the defaults is one chunk). The streaming path projects its blocks as they
#: come instead, to keep its memory flat: its numbers differ from these by
#: float32 rounding only (a product's rounding depends on its shape).
MEL_CHUNK_BYTES = 1 << 23
#: Frames per chunk instead of :data:`MEL_CHUNK_BYTES` (tests set it);
#: ``None`` sizes chunks by bytes.
MEL_CHUNK_FRAMES: int | None = None
#: Chunks of power spectrum up to this many bytes (float32, per channel) are
#: projected with one dense product instead of by blocks of filters: for a few
#: frames one call costs less than several. Measured (one BLAS thread): n_fft
#: 400, 80 mels, 32 frames (26 KB) dense 11 us, by blocks 17 us; n_fft 2048,
#: 128 mels, 8 frames (33 KB) dense 44 us, by blocks 38 us.
DENSE_MEL_BYTES = 32_000
#: Neighbouring filters share one product while that multiplies at most this
#: many more zero weights (per frame) than their products one by one: a call
#: costs about 2 us, as much as 60-130 weights times a few hundred frames.
#: Measured (one BLAS thread, n_fft 400, 80 mels, 500 frames): one product per
#: filter 225 us, dense 217 us, by blocks 59 us (7 blocks); n_fft 2048, 128
#: mels, 431 frames: per filter 377 us, by blocks 285 us (27 blocks).
BLOCK_ZEROS = 64


# ------------------------------------------------------------------- windows
@functools.lru_cache(maxsize=8)
def stft_window(window: str, win_length: int, n_fft: int) -> np.ndarray:
    """Return the periodic analysis window, zero-padded to ``n_fft`` and centred.

    As ``librosa.filters.get_window(window, win_length, fftbins=True)`` followed
    by ``librosa.util.pad_center(..., size=n_fft)``. The Hann window is computed
    here; others come from :func:`scipy.signal.get_window`.

    Returns
    -------
    w : np.ndarray [shape=(n_fft,)], float64, read-only
    """
    if window == "hann":
        n = np.arange(win_length)
        w = 0.5 - 0.5 * np.cos(2.0 * np.pi * n / win_length)
    else:
        from scipy.signal import get_window

        w = get_window(window, win_length, fftbins=True)
    lpad = (n_fft - win_length) // 2
    out = np.zeros(n_fft)
    out[lpad : lpad + win_length] = w
    out.setflags(write=False)
    return out


# ---------------------------------------------------------------------- STFT
def check_signal_length(n: int, params: MelParams, *, stacklevel: int = 2) -> None:
    """Warn, as librosa does, or fail for a signal of ``n`` < ``n_fft`` samples.

    Centred frames are padded, so a short signal still gives frames: librosa's
    warning is passed on. Uncentred, there is not a single whole frame.
    """
    if params.n_fft <= n:
        return
    if params.center:
        warnings.warn(
            f"n_fft={params.n_fft} is too large for input signal of length={n}",
            stacklevel=stacklevel + 1,
        )
    else:
        raise AudioError(
            f"signal of {n} samples is shorter than n_fft={params.n_fft} "
            "(use --center, or a smaller --n-fft)"
        )


def _frames_source(y: np.ndarray, params: MelParams) -> np.ndarray:
    """Pad ``y`` for centred frames, warning as librosa does on short input."""
    check_signal_length(y.shape[-1], params, stacklevel=3)
    if not params.center:
        return y
    return pad_centred(y, params.effective_pad_length, params.pad_mode)


def pad_centred(y: np.ndarray, half: int, mode: str) -> np.ndarray:
    """Pad the last axis of ``y`` by ``half`` samples each side, as ``np.pad``.

    The usual cases (``reflect`` or ``constant``, a signal longer than the
    padding) are copied here: ``np.pad`` takes twice as long for them (about
    20 us of a 5-s file's 1 ms transform), the same bits either way.
    """
    n = y.shape[-1]
    if mode not in ("reflect", "constant") or not 0 < half < n - 1:
        pad = [(0, 0)] * (y.ndim - 1) + [(half, half)]
        padded: np.ndarray = np.pad(y, pad, mode=mode)  # type: ignore[call-overload]
        return padded
    x = np.empty((*y.shape[:-1], n + 2 * half), dtype=y.dtype)
    x[..., half : half + n] = y
    if mode == "constant":
        x[..., :half] = 0
        x[..., half + n :] = 0
    else:
        x[..., :half] = y[..., half:0:-1]
        x[..., half + n :] = y[..., n - 2 : n - 2 - half : -1]
    return x


def block_frames(n_fft: int) -> int:
    """Return the frames per FFT block for frames of ``n_fft`` samples."""
    return BLOCK_FRAMES or max(1, BLOCK_BYTES // (8 * n_fft))


def n_frames(n_samples: int, params: MelParams) -> int:
    """Return the number of STFT frames for a signal of ``n_samples`` samples.

    ``1 + (n + 2 * pad_length - n_fft) // hop_length`` with ``center``
    (``pad_length`` is ``n_fft // 2`` by default: that is ``1 + n // hop_length``
    for an even ``n_fft``), else ``1 + (n - n_fft) // hop_length``; one less
    with ``drop_last_frame``.
    """
    hop = params.effective_hop_length
    padded = n_samples + 2 * params.effective_pad_length
    if padded < params.n_fft:
        return 0
    return 1 + (padded - params.n_fft) // hop - int(params.drop_last_frame)


def _power_blocks(y: np.ndarray, params: MelParams) -> tuple[PowerBlocks, int]:
    """Return ``(block, t)``, the STFT power by blocks and the number of frames.

    ``block(start, stop, out=None)`` is ``|STFT| ** power`` of frames
    ``start..stop``, shaped ``(..., stop - start, 1 + n_fft // 2)`` (frames
    first), written into ``out`` when given (and returned); see
    :class:`PowerBlocks`.
    """
    n = y.shape[-1]
    # Uncentred and shorter than n_fft: _frames_source says so, as before.
    if n_frames(n, params) < 1 and (params.center or n >= params.n_fft):
        raise AudioError(
            f"signal of {n} samples gives no frame with n_fft="
            f"{params.n_fft} and pad_length={params.effective_pad_length}"
            + (", the last frame dropped" if params.drop_last_frame else "")
        )
    x = _frames_source(y, params)
    hop = params.effective_hop_length
    t = (x.shape[-1] - params.n_fft) // hop + 1 - int(params.drop_last_frame)
    return PowerBlocks(x, params), t


class PowerBlocks:
    """The STFT power of a (padded) signal, block of frames by block of frames.

    As ``librosa.stft`` computes it, the same numbers: float32 samples times
    the float64 window, numpy's float64 FFT, its result rounded to complex64,
    ``re ** 2 + im ** 2`` in float32. A block's work is a few numpy calls, so
    their cost beside the arithmetic matters (a 10-s clip at the defaults is
    14 blocks of 32 frames): every step writes into buffers made once per
    signal, not into new arrays; the samples of a block are cast to float64
    before the window product (exact), so that under :func:`frame_buffers`
    numpy multiplies each frame where it lies instead of copying it into its
    own buffer to cast it; and the FFT is numpy's own ufunc called directly
    (:func:`_rfft`). Figures in bench/README.md ("Issue 19, fourteenth round").

    Parameters
    ----------
    x : np.ndarray [shape=(..., n)], float32
        The padded signal: frame ``k`` is ``x[..., k * hop : k * hop + n_fft]``.
    params : MelParams
        Uses ``n_fft, hop_length, win_length, window, power, stft_eps``.
    """

    def __init__(self, x: np.ndarray, params: MelParams) -> None:
        self.x = x
        self.n_fft = params.n_fft
        self.hop = params.effective_hop_length
        self.power = params.power
        self.eps = params.stft_eps
        self.window = stft_window(
            params.window, params.effective_win_length, self.n_fft
        )
        self.rfft = _rfft(self.n_fft)
        self.frames = 0  # the buffers' capacity, in frames

    def _make_buffers(self, k: int) -> None:
        lead = self.x.shape[:-1]
        n_bins = 1 + self.n_fft // 2
        self.samples = np.empty((*lead, (k - 1) * self.hop + self.n_fft))
        self.windowed = np.empty((*lead, k, self.n_fft))
        self.spectrum = np.empty((*lead, k, n_bins), np.complex128)
        self.spectrum32 = np.empty((*lead, k, n_bins), np.complex64)
        self.squares = np.empty((*lead, k, n_bins), np.float32)
        self.frames = k

    def __call__(
        self, start: int, stop: int, out: np.ndarray | None = None
    ) -> np.ndarray:
        """Return the power of frames ``start..stop``, in ``out`` if given."""
        k = stop - start
        if k > self.frames:
            self._make_buffers(k)
        first = start * self.hop
        m = (k - 1) * self.hop + self.n_fft
        np.copyto(self.samples[..., :m], self.x[..., first : first + m])
        size = self.samples.itemsize
        frames = np.ndarray(  # the frames' view, made directly: cheaper
            (*self.samples.shape[:-1], k, self.n_fft),
            dtype=np.float64,
            buffer=self.samples,
            strides=(*self.samples.strides[:-1], self.hop * size, size),
        )
        windowed = np.multiply(frames, self.window, out=self.windowed[..., :k, :])
        D = self.rfft(windowed, self.spectrum[..., :k, :])
        D32 = self.spectrum32[..., :k, :]
        np.copyto(D32, D, casting="same_kind")  # librosa's STFT dtype
        return _power(D32, self.power, self.eps, out, self.squares[..., :k, :])


@functools.cache
def _rfft(n_fft: int) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    """Return ``rfft(a, out)``: ``np.fft.rfft(a, axis=-1, out=out)``, for ``n_fft``.

    numpy 2's ``rfft`` is a Python function around a compiled ufunc, and its
    checks (the norm, the axis, the output's type and shape) cost a few
    microseconds a call, 14 calls for a 10-s clip. The ufunc is called
    directly where numpy has it and gives ``rfft``'s result on a probe, bit
    for bit; otherwise ``rfft`` itself.
    """

    def checked(a: np.ndarray, out: np.ndarray) -> np.ndarray:
        out[...] = np.fft.rfft(a, axis=-1)
        return out

    try:
        from numpy.fft import _pocketfft_umath  # type: ignore[attr-defined]

        ufunc = getattr(
            _pocketfft_umath, "rfft_n_even" if n_fft % 2 == 0 else "rfft_n_odd"
        )
        axes = [(-1,), (), (-1,)]

        def direct(a: np.ndarray, out: np.ndarray) -> np.ndarray:
            result: np.ndarray = ufunc(a, 1.0, axes=axes, out=out)
            return result

        probe = np.sin(np.arange(2 * n_fft, dtype=np.float64) ** 1.5).reshape(2, -1)
        got = direct(probe, np.empty((2, 1 + n_fft // 2), np.complex128))
        if np.array_equal(got, np.fft.rfft(probe, axis=-1)):
            return direct
    except Exception:  # another numpy: its rfft
        pass
    return checked


@contextlib.contextmanager
def frame_buffers(n_fft: int) -> Iterator[None]:
    """Give numpy's ufuncs buffers of at most one frame, for :class:`PowerBlocks`.

    With its default buffer (8192 elements), numpy's iterator copies frames
    of a few thousand samples into the buffer to run its loop over more
    elements at once, even where no cast is needed: each frame's product is
    read twice and written twice. With a buffer no longer than a frame, each
    frame is multiplied in place. Set once around a loop of blocks (setting it
    costs a few microseconds); restored on leaving.
    """
    size = max(16, min(n_fft, 1 << 20) // 16 * 16)  # numpy: a multiple of 16
    # numpy 2 ties the size to the error state (a context variable: this
    # thread's, this context's); numpy 1 does not, hence the finally.
    with np.errstate():
        old = np.setbufsize(size)
        try:
            yield
        finally:
            np.setbufsize(old)


def frames_power(
    frames: np.ndarray,
    window: np.ndarray,
    power: float,
    *,
    eps: float = 0.0,
    bins_first: bool = False,
) -> np.ndarray:
    """Return ``|rfft(frames * window)| ** power`` as librosa computes it.

    With ``eps``, ``(|X| ** 2 + eps) ** (power / 2)`` (HiFi-GAN's
    ``sqrt(re ** 2 + im ** 2 + 1e-9)``). With ``bins_first``, the result is
    a ``(..., 1 + n_fft // 2, k)`` view of the same numbers, for
    :meth:`MelBands.apply` (copied bins-first into its chunk by the caller).

    Parameters
    ----------
    frames : np.ndarray [shape=(..., k, n_fft)], float32
        Frames of the (padded) signal.
    window : np.ndarray [shape=(n_fft,)], float64
        From :func:`stft_window`.
    power : float
        Exponent of the magnitude.
    eps : float
        Added to ``|X| ** 2`` before the exponent; 0 for librosa's arithmetic.

    Returns
    -------
    S : np.ndarray [shape=(..., k, 1 + n_fft // 2)], float32
        Or ``(..., 1 + n_fft // 2, k)`` with ``bins_first``.
    """
    S = _frames_power(frames * window, power, eps)
    # The FFT runs along each frame's contiguous samples either way: a
    # transposed FFT reads the frames' view across its strides, which is slower.
    return np.swapaxes(S, -1, -2) if bins_first else S


def _frames_power(
    windowed: np.ndarray,
    power: float,
    eps: float,
    out: np.ndarray | None = None,
) -> np.ndarray:
    D = np.fft.rfft(windowed, axis=-1)
    D = D.astype(np.complex64)  # librosa's STFT dtype for float32 input
    return _power(D, power, eps, out)


def _power(
    D: np.ndarray,
    power: float,
    eps: float,
    out: np.ndarray | None = None,
    squares: np.ndarray | None = None,
) -> np.ndarray:
    """Return ``|D| ** power`` of complex64 ``D``, in ``out`` if given.

    ``squares``: a float32 buffer shaped as ``D`` for the default's second
    square (a new array if None).
    """
    if power == 2.0 and not eps:  # the default: the squares summed in ``out``
        S: np.ndarray = np.square(D.real, out=out)
        S += np.square(D.imag, out=squares)
        return S
    if eps:
        S = np.square(D.real)
        S += np.square(D.imag)
        S += np.float32(eps)
        if power != 2.0:
            S = np.sqrt(S) if power == 1.0 else S ** np.float32(power / 2)
    else:
        S = np.abs(D)
        S = S if power == 1.0 else S**power
    if out is None:
        return S
    out[...] = S
    return out


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
    block, t = _power_blocks(y, params)
    S = np.empty((*y.shape[:-1], t, 1 + params.n_fft // 2), np.float32)
    step = block_frames(params.n_fft)
    with frame_buffers(params.n_fft):
        for start in range(0, t, step):
            stop = min(start + step, t)
            block(start, stop, S[..., start:stop, :])
    return np.ascontiguousarray(np.swapaxes(S, -1, -2))


# ----------------------------------------------------------------------- mel
def hz_to_mel(frequencies: np.ndarray | float, *, htk: bool = False) -> np.ndarray:
    """Convert Hz to mels, as ``librosa.hz_to_mel`` (Slaney's formula by default)."""
    f = np.asanyarray(frequencies, dtype=np.float64)
    if htk:
        result: np.ndarray = 2595.0 * np.log10(1.0 + f / 700.0)
        return result
    f_sp = 200.0 / 3
    mels = f / f_sp
    min_log_hz = 1000.0
    min_log_mel = min_log_hz / f_sp
    logstep = np.log(6.4) / 27.0
    log_t = f >= min_log_hz
    mels = np.where(
        log_t,
        min_log_mel + np.log(np.maximum(f, min_log_hz) / min_log_hz) / logstep,
        mels,
    )
    return mels


def mel_to_hz(mels: np.ndarray | float, *, htk: bool = False) -> np.ndarray:
    """Convert mels to Hz, as ``librosa.mel_to_hz``."""
    m = np.asanyarray(mels, dtype=np.float64)
    if htk:
        result: np.ndarray = 700.0 * (10.0 ** (m / 2595.0) - 1.0)
        return result
    f_sp = 200.0 / 3
    freqs = f_sp * m
    min_log_hz = 1000.0
    min_log_mel = min_log_hz / f_sp
    logstep = np.log(6.4) / 27.0
    return np.where(
        m >= min_log_mel, min_log_hz * np.exp(logstep * (m - min_log_mel)), freqs
    )


def mel_frequencies(
    n_mels: int, *, fmin: float, fmax: float, htk: bool = False
) -> np.ndarray:
    """Return ``n_mels`` frequencies evenly spaced in mels, as librosa does."""
    mels = np.linspace(
        float(hz_to_mel(fmin, htk=htk)),
        float(hz_to_mel(fmax, htk=htk)),
        n_mels,
    )
    return mel_to_hz(mels, htk=htk)


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
    if norm is not None and not isinstance(norm, str):
        # A p-norm: librosa.util.normalize has subtleties (inf, thresholds)
        # not worth repeating for a rarely used setting.
        import librosa

        M: np.ndarray = librosa.filters.mel(
            sr=sr, n_fft=n_fft, n_mels=n_mels, fmin=fmin, fmax=fmax, htk=htk, norm=norm
        )
    else:
        fftfreqs = np.fft.rfftfreq(n=n_fft, d=1.0 / sr)
        mel_f = mel_frequencies(n_mels + 2, fmin=fmin, fmax=fmax, htk=htk)
        fdiff = np.diff(mel_f)
        ramps = np.subtract.outer(mel_f, fftfreqs)
        lower = -ramps[:-2] / fdiff[:-1, np.newaxis]
        upper = ramps[2:] / fdiff[1:, np.newaxis]
        M = np.maximum(0, np.minimum(lower, upper)).astype(np.float32)
        if norm == "slaney":
            enorm = 2.0 / (mel_f[2 : n_mels + 2] - mel_f[:n_mels])
            M *= enorm[:, np.newaxis]
        if not np.all((mel_f[:-2] == 0) | (M.max(axis=1) > 0)):
            warnings.warn(
                "Empty filters detected in mel frequency basis. "
                "Some channels will produce empty responses. "
                "Try increasing your sampling rate (and fmax) or "
                "reducing n_mels.",
                stacklevel=4,
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
    return _mel_basis(*_basis_key(sr, params))


def _basis_key(sr: float, params: MelParams) -> tuple[Any, ...]:
    return (
        float(sr),
        params.n_fft,
        params.n_mels,
        float(params.fmin),
        params.effective_fmax(sr),
        params.htk,
        params.norm,
    )


class MelBands:
    """A mel filterbank applied by blocks of neighbouring filters.

    ``apply`` computes ``M @ S`` without most of the dense product's work on
    zeros: a triangular filter covers a few bins, so each block of
    neighbouring filters is multiplied only over the bins where one of them
    is non-zero (from the first filter's first non-zero weight to the last
    one's last). Filters join a block while that adds at most
    :data:`BLOCK_ZEROS` zero weights: fewer, larger products, since a product
    call costs more than that many multiplications. The zeros a block keeps
    add nothing, so any filterbank (a p-norm one from librosa, say) gives the
    dense product's numbers up to the order of float32 additions. A chunk of
    a few frames (:data:`DENSE_MEL_BYTES`) takes the dense product itself.

    Parameters
    ----------
    M : np.ndarray [shape=(n_mels, n_bins)], float32
        The filterbank (:func:`mel_basis`).

    Attributes
    ----------
    blocks : list of (int, int, np.ndarray)
        ``(first_mel, first_bin, W)``: rows ``first_mel ..`` of the output are
        ``W @ S[first_bin : first_bin + W.shape[1]]``.
    """

    def __init__(self, M: np.ndarray) -> None:
        self.n_mels = M.shape[0]
        self.M = np.ascontiguousarray(M, dtype=np.float32)
        spans: list[list[int]] = []  # [mel, stop mel, bin, stop bin, weights]
        for m, row in enumerate(self.M):
            nonzero = np.flatnonzero(row)
            if not nonzero.size:  # an empty filter's row stays zero
                continue
            lo, hi = int(nonzero[0]), int(nonzero[-1]) + 1
            if spans and spans[-1][1] == m:
                m0, _, b0, b1, weights = spans[-1]
                joined = (m + 1 - m0) * (max(b1, hi) - min(b0, lo))
                if joined - weights - (hi - lo) <= BLOCK_ZEROS:
                    spans[-1] = [m0, m + 1, min(b0, lo), max(b1, hi), joined]
                    continue
            spans.append([m, m + 1, lo, hi, hi - lo])
        self.covered = sum(m1 - m0 for m0, m1, *_ in spans)
        self.blocks: list[tuple[int, int, np.ndarray]] = [
            (m0, b0, np.ascontiguousarray(self.M[m0:m1, b0:b1]))
            for m0, m1, b0, b1, _ in spans
        ]
        #: The blocks' weights transposed, for :meth:`apply_frames`.
        self.blocks_t = [(m, lo, np.ascontiguousarray(W.T)) for m, lo, W in self.blocks]
        self.M_t = np.ascontiguousarray(self.M.T)

    def apply(self, S: np.ndarray, out: np.ndarray) -> None:
        """Write ``M @ S`` into ``out``.

        Parameters
        ----------
        S : np.ndarray [shape=(..., n_bins, k)], float32
            Power spectrum, bins first.
        out : np.ndarray [shape=(..., n_mels, k)], float32
            May be a view (a slice of frames of a larger array).
        """
        if S.shape[-1] * S.shape[-2] * 4 <= DENSE_MEL_BYTES:
            np.matmul(self.M, S, out=out)  # a few frames: see DENSE_MEL_BYTES
            return
        if self.covered < self.n_mels:
            out[...] = 0.0
        for m, lo, W in self.blocks:
            np.matmul(
                W, S[..., lo : lo + W.shape[1], :], out=out[..., m : m + W.shape[0], :]
            )

    def apply_frames(self, P: np.ndarray, out: np.ndarray) -> None:
        """Write ``(M @ P^T)^T`` into ``out``: :meth:`apply` on frames-first power.

        Parameters
        ----------
        P : np.ndarray [shape=(..., k, n_bins)], float32
            Power spectrum, frames first (each frame's bins contiguous).
        out : np.ndarray [shape=(..., k, n_mels)], float32
        """
        if P.shape[-1] * P.shape[-2] * 4 <= DENSE_MEL_BYTES:
            np.matmul(P, self.M_t, out=out)  # a few frames: see DENSE_MEL_BYTES
            return
        if self.covered < self.n_mels:
            out[...] = 0.0
        for m, lo, W_t in self.blocks_t:
            np.matmul(
                P[..., lo : lo + W_t.shape[0]],
                W_t,
                out=out[..., m : m + W_t.shape[1]],
            )


@functools.lru_cache(maxsize=16)
def _mel_bands(*key: Any) -> MelBands:
    return MelBands(_mel_basis(*key))


def mel_bands(sr: float, *, params: MelParams) -> MelBands:
    """Return the mel filterbank for signals at ``sr`` Hz as bands (cached)."""
    return _mel_bands(*_basis_key(sr, params))


def mel_chunks(
    blocks: Iterable[np.ndarray],
    bands: MelBands,
    *,
    frames: int | None = None,
    timings: dict[str, float] | None = None,
) -> Iterator[np.ndarray]:
    """Project power blocks on the mel bands, a chunk of frames at a time.

    The blocks are copied into a chunk of frames, and each full chunk (and the
    last, shorter one) is projected at once: few products, each large enough
    to run efficiently.

    Parameters
    ----------
    blocks : iterable of np.ndarray [shape=(..., k, n_bins)], float32
        Consecutive frames of power spectrum, frames first (views are fine).
    bands : MelBands
        The filterbank (:func:`mel_bands`).
    frames : int or None
        The number of frames, if known: a shorter signal gets a smaller buffer.
    timings : dict or None
        If given, seconds spent in the products are added to ``"mel"``.

    Yields
    ------
    S_mel : np.ndarray [shape=(..., n_mels, c)], float32
        A new array per chunk.
    """
    power: np.ndarray | None = None
    size = 0
    filled = 0
    spent = 0.0
    for S in blocks:
        if power is None:
            size = chunk_frames(S.shape[-1], frames=frames)
            power = np.empty((*S.shape[:-2], size, S.shape[-1]), dtype=np.float32)
        done = 0
        while done < S.shape[-2]:
            take = min(size - filled, S.shape[-2] - done)
            power[..., filled : filled + take, :] = S[..., done : done + take, :]
            filled += take
            done += take
            if filled == size:
                t0 = time.perf_counter()
                out = _project(power, bands)
                spent += time.perf_counter() - t0
                filled = 0
                yield out
    if power is not None and filled:
        t0 = time.perf_counter()
        out = _project(power[..., :filled, :], bands)
        spent += time.perf_counter() - t0
        yield out
    if timings is not None:
        timings["mel"] = timings.get("mel", 0.0) + spent


def chunk_frames(n_bins: int, *, frames: int | None = None) -> int:
    """Return the frames per mel chunk for spectra of ``n_bins`` bins.

    :data:`MEL_CHUNK_FRAMES`, or as many as :data:`MEL_CHUNK_BYTES` of float32
    hold; no more than ``frames``, the signal's, when known.
    """
    size = MEL_CHUNK_FRAMES or max(1, MEL_CHUNK_BYTES // (4 * n_bins))
    return size if frames is None else max(1, min(size, frames))


def _project(power: np.ndarray, bands: MelBands) -> np.ndarray:
    """Return the mel bands of frames-first ``power``: ``(..., n_mels, c)``."""
    out = np.empty((*power.shape[:-1], bands.n_mels), np.float32)
    # Overflow shows as inf or NaN, which the callers report in words.
    with np.errstate(over="ignore", invalid="ignore"):
        bands.apply_frames(power, out)
    return np.ascontiguousarray(np.swapaxes(out, -1, -2))


@functools.cache
def _blas_controller() -> Any:
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


def one_blas_thread() -> contextlib.AbstractContextManager[Any]:
    """Run the mel products on one BLAS thread.

    A multi-threaded float32 matrix product rounds differently depending on the
    thread count, so the arrays would depend on the machine and on how many
    workers share it. One thread makes them reproducible, and is faster for
    these small products anyway, especially with N workers on N cores.
    """
    if _ONE_THREAD_FOR_GOOD:
        return contextlib.nullcontext()
    return _blas_controller().limit(limits=1, user_api="blas")  # type: ignore[no-any-return]


def keep_one_blas_thread() -> None:
    """Limit BLAS to one thread for the rest of this process's life.

    For melcli's own pool workers (:mod:`melcli.runners`), where
    :func:`one_blas_thread` then has nothing left to do for each file; never in
    a library's host process.
    """
    global _ONE_THREAD_FOR_GOOD
    # Only those above one: told "one thread" when its thread server is not
    # running (a worker forked from a process that held it at one), OpenBLAS
    # starts the server, whose thread spins for work it never gets, 0.04-0.1 s
    # of CPU taken from the other workers.
    for library in blas_above_one_thread():
        library.set_num_threads(1)  # never restored
    _ONE_THREAD_FOR_GOOD = True


def blas_above_one_thread() -> list[Any]:
    """Return this process's BLAS libraries set to more than one thread.

    threadpoolctl's controllers of them (``num_threads``,
    ``set_num_threads``), from a fresh look, not :func:`_blas_controller`'s:
    a forked worker inherits the one its parent made, which knows only the
    libraries loaded back then.
    """
    from threadpoolctl import ThreadpoolController

    return [
        library
        for library in ThreadpoolController().lib_controllers
        if library.user_api == "blas" and library.num_threads > 1
    ]


#: Set by :func:`keep_one_blas_thread`.
_ONE_THREAD_FOR_GOOD = False


def mel_power(
    y: np.ndarray,
    *,
    sr: float,
    params: MelParams,
    timings: dict[str, float] | None = None,
) -> np.ndarray:
    """Return the mel power spectrogram, as ``librosa.feature.melspectrogram``.

    Parameters
    ----------
    y : np.ndarray [shape=(n,) or (channels, n)], float32
        Waveform at ``sr``.
    sr : float
        Its sampling rate.
    params : MelParams
        The settings.
    timings : dict or None
        If given, seconds spent in ``"stft"`` and ``"mel"`` are added to it.

    Returns
    -------
    S_mel : np.ndarray [shape=(..., n_mels, t)], float32
    """
    mel_basis(sr, params=params)  # its warnings point where they always did
    bands = mel_bands(sr, params=params)
    block, t_total = _power_blocks(y, params)
    step = block_frames(params.n_fft)
    size = chunk_frames(1 + params.n_fft // 2, frames=t_total)
    clock = time.perf_counter
    t0 = clock()
    t_mel = 0.0
    chunks = []
    power = np.empty((*y.shape[:-1], size, 1 + params.n_fft // 2), np.float32)
    with one_blas_thread(), frame_buffers(params.n_fft):
        for first in range(0, t_total, size):
            # Each block's power is written straight into the chunk the mel
            # products read: no copy of the power spectrum (1.8 MB a 10-s clip).
            last = min(first + size, t_total)
            for start in range(first, last, step):
                stop = min(start + step, last)
                block(start, stop, power[..., start - first : stop - first, :])
            t1 = clock()
            chunks.append(_project(power[..., : last - first, :], bands))
            t_mel += clock() - t1
    S_mel = chunks[0] if len(chunks) == 1 else np.concatenate(chunks, axis=-1)
    t_stft = clock() - t0 - t_mel
    if timings is not None:
        timings["stft"] = timings.get("stft", 0.0) + t_stft
        timings["mel"] = timings.get("mel", 0.0) + t_mel
    return S_mel


# ------------------------------------------------------------------------ dB
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
    # librosa.power_to_db's operations in its dtypes, but for the logarithm
    # (scaled_log10: within a few float32 steps of np.log10's).
    S_db = scaled_log10(np.maximum(amin, S), factor=10.0)
    if ref == "max":
        # The reference's dB are the largest dB: the logarithm of the largest
        # power, and the peak comes out at exactly 0 dB (x - x).
        S_db -= S_db.max()
        top = 0.0
    else:
        S_db -= 10.0 * np.log10(np.maximum(amin, np.abs(float(ref))))
        top = S_db.max() if top_db is not None else 0.0
    if top_db is not None:
        np.maximum(S_db, top - top_db, out=S_db)
    return S_db


def scaled_log10(x: np.ndarray, *, factor: float = 1.0) -> np.ndarray:
    """Return ``factor * log10(x)``, computed in ``x`` itself.

    As ``np.log(x) * (factor / ln 10)``: numpy's ``log10`` calls the C
    library once per element, while its ``log`` is vectorised (AVX2 and
    up), three times as fast on a mel spectrogram (bench/README.md, "Figures
    behind the code"). For float32 the two differ by at most 4 of float32's
    steps (about 1e-5 dB at 100 dB, 1e-6 in Whisper's log10 units).

    Parameters
    ----------
    x : np.ndarray, floating point
        Positive values; overwritten (pass a temporary).
    factor : float
        10 for decibels of power, 1 for ``log10``.

    Returns
    -------
    np.ndarray
        ``x``, holding the result.
    """
    np.log(x, out=x)
    x *= x.dtype.type(factor / math.log(10.0))
    return x


def log_power(
    S: np.ndarray,
    *,
    base: float | None = None,
    amin: float = 1e-10,
    clamp: float | None = None,
) -> np.ndarray:
    """Return ``log(max(S, amin))``, clamped at ``clamp`` below its maximum.

    Whisper's ``log10(clamp(S, min=1e-10))`` then ``maximum(x, x.max() - 8)``
    is ``log_power(S, base=10, amin=1e-10, clamp=8.0)``; HiFi-GAN's and
    Tacotron 2's ``log(clamp(S, min=1e-5))`` is ``log_power(S, amin=1e-5)``.

    Parameters
    ----------
    S : np.ndarray [shape=(..., n, t)]
        Power (or magnitude) spectrogram.
    base : {None, 10}
        ``None`` for the natural logarithm, 10 for log10.
    amin : float
        Floor on ``S`` before the logarithm.
    clamp : float or None
        Clamp the output at ``max - clamp`` (the maximum of the whole array,
        all channels together); ``None`` disables.

    Returns
    -------
    S_log : np.ndarray [shape=(..., n, t)]
    """
    floored = np.maximum(S, amin)
    S_log = scaled_log10(floored) if base == 10 else np.log(floored, out=floored)
    if clamp is not None:
        np.maximum(S_log, S_log.max() - clamp, out=S_log)
    return S_log


def scale(S: np.ndarray, *, params: MelParams) -> np.ndarray:
    """Apply the scale step the settings choose, then ``(x + shift) / divisor``.

    ``params.scale`` is ``"db"`` (:func:`power_to_db` with ``ref``, ``amin``,
    ``top_db``), ``"log"`` or ``"log10"`` (:func:`log_power` with ``amin`` and
    ``clamp``), or ``"none"``.

    Returns
    -------
    S_scaled : np.ndarray, same shape as ``S``
    """
    if params.scale == "db":
        out = power_to_db(S, ref=params.ref, amin=params.amin, top_db=params.top_db)
    elif params.scale in ("log", "log10"):
        base = 10 if params.scale == "log10" else None
        out = log_power(S, base=base, amin=params.amin, clamp=params.clamp)
    else:
        out = np.array(S, copy=True)
    return affine(out, shift=params.shift, divisor=params.divisor)


def affine(x: np.ndarray, *, shift: float, divisor: float) -> np.ndarray:
    """Return ``(x + shift) / divisor``, or ``x`` itself for ``(0, 1)``."""
    if shift == 0.0 and divisor == 1.0:
        return x
    out: np.ndarray = (x + np.float32(shift)) / np.float32(divisor)
    return out


@functools.lru_cache(maxsize=8)
def dct_matrix(n_mfcc: int, n: int) -> np.ndarray:
    """Return the first ``n_mfcc`` rows of the orthonormal DCT-II of size ``n``.

    ``scipy.fft.dct(x, type=2, norm="ortho")`` is ``dct_matrix(n, n) @ x``:
    row ``k`` is ``sqrt(2 / n) * cos(pi * k * (2 m + 1) / (2 n))``, and row 0 is
    scaled by ``1 / sqrt(2)``.

    Returns
    -------
    C : np.ndarray [shape=(n_mfcc, n)], float64, read-only
    """
    k = np.arange(n_mfcc)[:, np.newaxis]
    m = np.arange(n)[np.newaxis, :]
    C: np.ndarray = np.sqrt(2.0 / n) * np.cos(np.pi * k * (2 * m + 1) / (2 * n))
    C[0] /= np.sqrt(2.0)
    C.setflags(write=False)
    return C


def mfcc(S_log: np.ndarray, *, n_mfcc: int = 20) -> np.ndarray:
    """Return MFCCs: the orthonormal DCT-II of log mel bands, as librosa.

    ``librosa.feature.mfcc(S=S_log, n_mfcc=n_mfcc)`` with its defaults
    (``dct_type=2, norm="ortho", lifter=0``).

    Parameters
    ----------
    S_log : np.ndarray [shape=(..., n_mels, t)]
        Log-scaled mel spectrogram (dB, as librosa uses).
    n_mfcc : int
        Number of coefficients kept.

    Returns
    -------
    M : np.ndarray [shape=(..., n_mfcc, t)], the dtype of ``S_log``
    """
    C = dct_matrix(n_mfcc, S_log.shape[-2])
    with one_blas_thread():
        M: np.ndarray = np.matmul(C, S_log)
    return M.astype(S_log.dtype, copy=False)


def features(
    y: np.ndarray,
    *,
    sr: int,
    params: MelParams,
    timings: dict[str, float] | None = None,
) -> np.ndarray:
    """Run the whole transform: STFT power → mel → scale (→ DCT), cast to ``dtype``.

    With ``kind="stft"`` there is no mel step; with ``kind="mfcc"`` the DCT
    follows the scale step; ``kind="fbank"`` is Kaldi's filterbank and the
    steps after it (:func:`melcli.fbank.fbank`, :func:`melcli.fbank.finish`).
    With default settings this is the librosa chain
    ``melspectrogram`` → ``power_to_db(ref=np.max)``.

    Parameters
    ----------
    y : np.ndarray [shape=(n,) or (channels, n)], float32
        Waveform at ``sr``.
    sr : int
        Its sampling rate.
    params : MelParams
        The settings.
    timings : dict or None
        If given, seconds per stage (``stft``, ``mel``, ``db``) are added to it.

    Returns
    -------
    S : np.ndarray [shape=(n_bins, t) or (channels, n_bins, t)]
        ``n_bins`` is ``n_mels``, ``1 + n_fft // 2`` or ``n_mfcc``
        (:attr:`MelParams.n_bins`).
    """
    if params.kind == "fbank":
        from . import fbank

        with one_blas_thread():
            F = fbank.fbank(y, sr=sr, params=params, timings=timings)
        t0 = time.perf_counter()
        F = fbank.finish(F, params)
        out_fbank: np.ndarray = F.astype(params.dtype, copy=False)
        if timings is not None:
            timings["db"] = timings.get("db", 0.0) + time.perf_counter() - t0
        return out_fbank
    if params.kind == "stft":
        t0 = time.perf_counter()
        S = spectrogram(y, params=params)
        if timings is not None:
            timings["stft"] = timings.get("stft", 0.0) + time.perf_counter() - t0
    else:
        S = mel_power(y, sr=sr, params=params, timings=timings)
    return finish(S, params=params, timings=timings)


def finish(
    S: np.ndarray,
    *,
    params: MelParams,
    timings: dict[str, float] | None = None,
) -> np.ndarray:
    """Run the steps of :func:`features` after the power spectrogram.

    The scale step (→ DCT), cast to ``dtype``. For a power spectrogram made
    apart (several files' at once: :func:`melcli.pipeline.load_ahead`).

    Parameters
    ----------
    S : np.ndarray [shape=(..., n_bins, t)], float32
        :func:`mel_power`'s (or :func:`spectrogram`'s) output for one file.
    params : MelParams
        The settings.
    timings : dict or None
        If given, seconds spent are added to ``"db"``.
    """
    t0 = time.perf_counter()
    S_scaled = scale(S, params=params)
    if params.kind == "mfcc":
        S_scaled = mfcc(S_scaled, n_mfcc=params.n_mfcc)
    out: np.ndarray = S_scaled.astype(params.dtype, copy=False)
    if timings is not None:
        timings["db"] = timings.get("db", 0.0) + time.perf_counter() - t0
    return out


def out_of_range(dtype: str | np.dtype[Any]) -> str:
    """Say that a spectrogram does not fit ``dtype`` (``--dtype float16``)."""
    name = np.dtype(dtype).name
    return (
        f"spectrogram values beyond the range of {name} "
        f"(largest {np.finfo(name).max:.6g}; --dtype {name})"
    )


def too_loud(
    peak: float | None = None, *, step: str = "the power spectrogram overflows"
) -> str:
    """Say that the power spectrogram overflows float32 (samples near 1e19 and up).

    Or the ``step`` that overflowed: resampling, for samples near float32's
    largest value (3.4e38).
    """
    what = (
        "sample values too large"
        if peak is None
        else f"sample values too large (peak {peak:.3g})"
    )
    return f"{what}: {step}"


def scale_not_finite(params: MelParams) -> str:
    """Say why the scale step gave -inf or NaN from a finite power spectrogram.

    The one way there is a floor ``amin`` that float32, the type the
    spectrogram is computed in, rounds to 0: the logarithm of a zero power
    (silence, or the zero padding of a clip) is then -inf.
    """
    tiny = float(np.finfo(np.float32).smallest_subnormal)
    if np.float32(params.amin) == 0:
        return (
            f"amin={number(params.amin)} is 0 in float32, the type the spectrogram is "
            f"computed in (smallest positive {tiny:.2g}): the logarithm of a zero "
            "power is -inf; use --amin 1e-38 or more"
        )
    return f"the {params.scale} scale step is not finite (amin={number(params.amin)})"


def why_not_finite(y: np.ndarray, *, sr: int, params: MelParams) -> str:
    """Say which step made the features of ``y`` non-finite, in words.

    Called once a result is known not to be finite (a failure: the cost does
    not matter). The steps are run again and checked in turn: the power
    spectrogram overflowing float32 (:func:`too_loud`), the scale step
    (:func:`scale_not_finite`), or only the cast to ``dtype``
    (:func:`out_of_range`).
    """
    if params.kind == "fbank":
        return _why_fbank_not_finite(y, sr=sr, params=params)
    with np.errstate(all="ignore"):
        if not np.isfinite(y).all():  # finite when decoded: resampling overflowed
            finite = np.abs(y[np.isfinite(y)])
            peak = float(finite.max()) if finite.size else None
            return too_loud(peak, step="resampling overflows float32")
        if params.kind == "stft":
            S = spectrogram(y, params=params)
        else:
            S = mel_power(y, sr=sr, params=params)
        if not np.isfinite(S).all():
            return too_loud(float(np.abs(y).max()))
        S_scaled = scale(S, params=params)
        if params.kind == "mfcc":
            S_scaled = mfcc(S_scaled, n_mfcc=params.n_mfcc)
    if not np.isfinite(S_scaled).all():
        return scale_not_finite(params)
    return out_of_range(params.dtype)


def _why_fbank_not_finite(y: np.ndarray, *, sr: int, params: MelParams) -> str:
    """:func:`why_not_finite` for ``kind="fbank"``: the filterbank, or what follows."""
    from . import fbank

    with np.errstate(all="ignore"), one_blas_thread():
        F = fbank.fbank(y, sr=sr, params=params)
        if not np.isfinite(F).all():
            return too_loud(float(np.abs(y).max() * params.waveform_scale))
        F = fbank.finish(F, params)
    if not np.isfinite(F).all():
        return "the steps after the filterbank are not finite (--cmvn, --divisor)"
    return out_of_range(params.dtype)


#: The former name of :func:`features` (mel and dB with default settings).
mel_spectrogram_db = features


__all__ = [
    "MelBands",
    "affine",
    "block_frames",
    "chunk_frames",
    "dct_matrix",
    "features",
    "hz_to_mel",
    "log_power",
    "mel_bands",
    "mel_basis",
    "mel_chunks",
    "mel_frequencies",
    "mel_power",
    "mel_spectrogram_db",
    "mel_to_hz",
    "mfcc",
    "n_frames",
    "power_to_db",
    "scale",
    "scaled_log10",
    "spectrogram",
    "stft_window",
]

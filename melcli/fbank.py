"""Kaldi's filterbank (``kind="fbank"``), and the steps model front ends add to it.

The arithmetic is Kaldi's ``compute-fbank-feats``, as
``torchaudio.compliance.kaldi.fbank`` and kaldi-native-fbank compute it, written
here with numpy from its documented steps. For each frame of
``frame_length`` ms, every ``frame_shift`` ms:

1. take the frame's samples (``snip_edges``: only whole frames; otherwise
   frame ``i`` is centred on ``i * shift + shift / 2``, the signal mirrored at
   its edges), times ``waveform_scale``;
2. add ``dither`` times Gaussian noise (seeded: reproducible);
3. subtract the frame's mean (``remove_dc_offset``); its log energy is taken
   here (``use_energy``);
4. pre-emphasise: ``x[i] -= c * x[i - 1]``, ``x[0] -= c * x[0]``;
5. multiply by the window (``window_type``), zero-pad to a power of two
   (``round_to_power_of_two``), FFT, ``|X| ** 2`` (or ``|X|`` without
   ``use_power``);
6. project on triangular filters evenly spaced on Kaldi's mel scale
   ``1127 ln(1 + f / 700)`` from ``low_freq`` to ``high_freq``;
7. ``log(max(x, eps))`` with float32's epsilon (``use_log_fbank``).

Then, for model front ends (:func:`finish`): pad with zeros or cut to
``num_frames``, normalise each bin over the utterance (``cmvn``), apply
``(x + shift) / divisor``, and stack ``frame_stack`` consecutive frames into one.

Arrays keep melcli's ``(bands, frames)`` orientation: row 0 is the energy
when ``use_energy`` is set, then the mel bins from low to high.
"""

from __future__ import annotations

import functools
import math
import time
import warnings
from collections.abc import Iterable, Iterator

import numpy as np

from .errors import AudioError, number
from .params import MelParams

#: Kaldi's floor before the logarithm: float32's machine epsilon.
EPS = float(np.finfo(np.float32).eps)
#: Frames computed at once: their float64 temporaries stay in cache.
BLOCK_FRAMES = 256


# -------------------------------------------------------------------- framing
def frame_samples(sr: float, params: MelParams) -> tuple[int, int, int]:
    """Return ``(frame_length, frame_shift, fft_length)`` in samples at ``sr``.

    As Kaldi: ``int(sr * 0.001 * ms)`` (truncated), and the FFT length is the
    next power of two with ``round_to_power_of_two``.
    """
    length = int(sr * 0.001 * params.frame_length)
    shift = int(sr * 0.001 * params.frame_shift)
    if length < 1 or shift < 1:
        raise AudioError(
            f"frame_length={number(params.frame_length)} ms and frame_shift="
            f"{number(params.frame_shift)} ms must be at least one sample at sr={sr:g}"
        )
    n_fft = 1 << (length - 1).bit_length() if params.round_to_power_of_two else length
    return length, shift, n_fft


def n_frames(n_samples: int, *, length: int, shift: int, snip_edges: bool) -> int:
    """Return the number of Kaldi frames of a signal of ``n_samples`` samples.

    ``1 + (n - length) // shift`` whole frames with ``snip_edges`` (0 when
    ``n < length``), else ``(n + shift // 2) // shift``.
    """
    if snip_edges:
        return 0 if n_samples < length else 1 + (n_samples - length) // shift
    return (n_samples + shift // 2) // shift


def left_padding(length: int, shift: int, snip_edges: bool) -> int:
    """Return the samples mirrored before the signal (0 with ``snip_edges``).

    Without ``snip_edges`` frame ``i`` starts at ``i * shift + shift // 2 -
    length // 2``: Kaldi's ``FirstSampleOfFrame``.
    """
    return 0 if snip_edges else max(0, length // 2 - shift // 2)


def _mirror(y: np.ndarray, left: int, right: int) -> np.ndarray:
    """Pad the last axis by mirroring, as Kaldi's ``ExtractWindow``.

    Sample ``-s - 1`` is sample ``s`` and ``n + s`` is ``n - 1 - s``: numpy's
    ``symmetric`` mode.
    """
    pad = [(0, 0)] * (y.ndim - 1) + [(left, right)]
    out: np.ndarray = np.pad(y, pad, mode="symmetric")
    return out


def frames_view(y: np.ndarray, *, sr: float, params: MelParams) -> np.ndarray:
    """Return the frames of ``y`` [shape=(..., n)] as a view (..., t, length).

    Raises
    ------
    AudioError
        If ``y`` holds no whole frame.
    """
    length, shift, _ = frame_samples(sr, params)
    n = y.shape[-1]
    t = n_frames(n, length=length, shift=shift, snip_edges=params.snip_edges)
    if t < 1 and params.snip_edges:
        raise AudioError(
            f"signal of {n} samples is shorter than one frame ({length} samples, "
            f"{number(params.frame_length)} ms)"
        )
    if t < 1:  # (n + shift // 2) // shift frames
        raise AudioError(
            f"signal of {n} samples is shorter than half a frame shift "
            f"({shift - shift // 2} samples, {params.frame_shift / 2:g} ms), the "
            "least that makes a frame without snip edges"
        )
    if not params.snip_edges:
        start = shift // 2 - length // 2  # Kaldi's FirstSampleOfFrame(0)
        left = left_padding(length, shift, False)
        right = max(0, (t - 1) * shift + start + length - n)
        y = _mirror(y, left, right)[..., start + left :]
    view = np.lib.stride_tricks.sliding_window_view(y, length, axis=-1)
    return view[..., : (t - 1) * shift + 1 : shift, :]


# ------------------------------------------------------------------- windows
@functools.lru_cache(maxsize=8)
def window(window_type: str, length: int) -> np.ndarray:
    """Return Kaldi's analysis window of ``length`` samples (read-only, float64).

    With ``a = 2 pi / (length - 1)``: ``hanning`` is ``0.5 - 0.5 cos(a n)``
    (symmetric, torchaudio's ``hanning``); ``hann`` the periodic one (``a = 2
    pi / length``, kaldi-native-fbank's ``hann``); ``povey`` is ``hanning **
    0.85``; ``hamming`` is ``0.54 - 0.46 cos(a n)``; ``blackman`` is ``0.42 -
    0.5 cos(a n) + 0.08 cos(2 a n)``; ``rectangular`` is 1.
    """
    n = np.arange(length, dtype=np.float64)
    a = 2.0 * math.pi / (length - 1) if length > 1 else 0.0
    if window_type == "hanning":
        w = 0.5 - 0.5 * np.cos(a * n)
    elif window_type == "hann":
        w = 0.5 - 0.5 * np.cos(2.0 * math.pi * n / length)
    elif window_type == "povey":
        w = (0.5 - 0.5 * np.cos(a * n)) ** 0.85
    elif window_type == "hamming":
        w = 0.54 - 0.46 * np.cos(a * n)
    elif window_type == "blackman":
        w = 0.42 - 0.5 * np.cos(a * n) + 0.08 * np.cos(2.0 * a * n)
    else:  # rectangular
        w = np.ones(length)
    w.setflags(write=False)
    return w


# ------------------------------------------------------------------- filters
def mel_scale(f: np.ndarray | float) -> np.ndarray:
    """Kaldi's (and HTK's) mel scale: ``1127 ln(1 + f / 700)``."""
    return np.asarray(1127.0 * np.log1p(np.asarray(f, dtype=np.float64) / 700.0))


def band_edges(sr: float, params: MelParams) -> tuple[float, float]:
    """Return ``(low_freq, high_freq)`` in Hz: ``high_freq <= 0`` is Nyquist minus."""
    nyquist = 0.5 * sr
    high = params.high_freq if params.high_freq > 0 else nyquist + params.high_freq
    return float(params.low_freq), float(high)


@functools.lru_cache(maxsize=16)
def _filters(
    sr: float, n_fft: int, num_mel_bins: int, low: float, high: float
) -> np.ndarray:
    n_bins = n_fft // 2 + 1
    mel_low, mel_high = float(mel_scale(low)), float(mel_scale(high))
    delta = (mel_high - mel_low) / (num_mel_bins + 1)
    left = mel_low + delta * np.arange(num_mel_bins)[:, np.newaxis]
    center, right = left + delta, left + 2 * delta
    # Kaldi's bins 0 .. n_fft / 2 - 1: the Nyquist bin gets no weight.
    mel = mel_scale(np.arange(n_bins) * (sr / n_fft))[np.newaxis, :]
    up = (mel - left) / (center - left)
    down = (right - mel) / (right - center)
    inside = (mel > left) & (mel < right)
    M = np.where(inside, np.where(mel <= center, up, down), 0.0)
    M[:, -1] = 0.0
    empty = np.flatnonzero(~(M > 0).any(axis=1))
    if len(empty):
        one = len(empty) == 1
        warnings.warn(
            f"{len(empty)} of {num_mel_bins} Kaldi mel filters "
            f"{'holds' if one else 'hold'} no FFT bin ({'bin' if one else 'bins'} "
            f"{', '.join(str(b) for b in empty)}: narrower than {sr / n_fft:g} Hz): "
            f"{'its row is' if one else 'their rows are'} log(eps), as torchaudio "
            "computes it (Kaldi stops: 'You may have set num_mel_bins too large')",
            stacklevel=4,
        )
    M.setflags(write=False)
    return M


def filters(sr: float, *, params: MelParams) -> np.ndarray:
    """Return Kaldi's mel filterbank for signals at ``sr`` (cached, read-only).

    Returns
    -------
    M : np.ndarray [shape=(num_mel_bins, fft_length // 2 + 1)], float64
        Filter ``b`` rises from ``mel_low + b * d`` to ``mel_low + (b + 1) * d``
        and falls to ``mel_low + (b + 2) * d`` (``d`` is the mel range over
        ``num_mel_bins + 1``), weighting FFT bin ``k`` at ``k * sr / fft_length``
        Hz. A filter narrower than the FFT's bin spacing may hold no bin at
        all: see :func:`empty_filters`.
    """
    _, _, n_fft = frame_samples(sr, params)
    low, high = band_edges(sr, params)
    return _filters(float(sr), n_fft, params.num_mel_bins, low, high)


def empty_filters(sr: float, *, params: MelParams) -> list[int]:
    """Return the mel bins whose filter weights no FFT bin at all.

    Kaldi and kaldi-native-fbank stop there ("You may have set num_mel_bins too
    large"); torchaudio computes them, and their output is the floor
    ``log(eps)`` in every frame. melcli computes them as torchaudio does (AST
    was trained so) and says which they are.
    """
    M = filters(sr, params=params)
    return [int(b) for b in np.flatnonzero(~(M > 0).any(axis=1))]


# ---------------------------------------------------------------- the frames
class FrameComputer:
    """The per-frame arithmetic, for frames delivered in order, block by block.

    One instance per signal: its dither noise is drawn in frame order from a
    generator seeded with ``params.seed``, so that the whole signal at once and
    any split into blocks give the same numbers.
    """

    def __init__(self, sr: float, params: MelParams) -> None:
        self.params = params
        self.length, self.shift, self.n_fft = frame_samples(sr, params)
        self.window = window(params.window_type, self.length)
        self.M_T = np.ascontiguousarray(filters(sr, params=params).T)
        self.rng = np.random.default_rng(params.seed) if params.dither else None
        self.n_rows = params.num_mel_bins + int(params.use_energy)

    def __call__(self, frames: np.ndarray) -> np.ndarray:
        """Return the filterbank of ``frames`` [shape=(..., k, length)].

        Returns
        -------
        F : np.ndarray [shape=(..., k, n_rows)], float32, frames first
        """
        out = np.empty((*frames.shape[:-1], self.n_rows), dtype=np.float32)
        k = frames.shape[-2]
        for start in range(0, k, BLOCK_FRAMES):
            stop = min(start + BLOCK_FRAMES, k)
            out[..., start:stop, :] = self._block(frames[..., start:stop, :])
        return out

    def _block(self, frames: np.ndarray) -> np.ndarray:
        p = self.params
        x = frames.astype(np.float64)
        if p.waveform_scale != 1.0:
            x *= p.waveform_scale
        if self.rng is not None:
            # Drawn frame by frame (all channels of frame j, then j + 1), so
            # that any split of the frames into blocks draws the same noise.
            shape = (x.shape[-2], *x.shape[:-2], x.shape[-1])
            noise = self.rng.standard_normal(shape)
            x += p.dither * np.moveaxis(noise, 0, -2)
        if p.remove_dc_offset:
            x -= x.mean(axis=-1, keepdims=True)
        energy = None
        if p.use_energy:
            energy = np.log(np.maximum(np.einsum("...i,...i->...", x, x), EPS))
            if p.energy_floor > 0:
                np.maximum(energy, math.log(p.energy_floor), out=energy)
        c = p.preemphasis_coefficient
        if c:
            x[..., 1:] -= c * x[..., :-1]
            x[..., 0] *= 1.0 - c
        x *= self.window
        X = np.fft.rfft(x, n=self.n_fft, axis=-1)
        S = np.square(X.real)
        S += np.square(X.imag)
        if not p.use_power:
            np.sqrt(S, out=S)
        mel: np.ndarray = S @ self.M_T
        if p.use_log_fbank:
            mel = np.log(np.maximum(mel, EPS))
        if energy is not None:
            mel = np.concatenate([energy[..., np.newaxis], mel], axis=-1)
        return mel


def fbank(
    y: np.ndarray,
    *,
    sr: float,
    params: MelParams,
    timings: dict[str, float] | None = None,
) -> np.ndarray:
    """Return Kaldi's filterbank of ``y``, bands first.

    Parameters
    ----------
    y : np.ndarray [shape=(..., n)], float32
        The waveform at ``sr``.
    sr : float
        Its sampling rate.
    params : MelParams
        The ``kind="fbank"`` settings (``frame_length`` ... ``use_power``,
        ``waveform_scale``, ``dither`` with ``seed``).
    timings : dict or None
        If given, the seconds spent are added to its ``"fbank"`` entry.

    Returns
    -------
    F : np.ndarray [shape=(..., n_rows, t)], float32
        ``n_rows`` is ``num_mel_bins``, plus one (row 0) with ``use_energy``.
    """
    t0 = time.perf_counter()
    frames = frames_view(y, sr=sr, params=params)
    F = FrameComputer(sr, params)(frames)
    out = np.ascontiguousarray(np.swapaxes(F, -1, -2))
    if timings is not None:
        timings["fbank"] = timings.get("fbank", 0.0) + time.perf_counter() - t0
    return out


# ------------------------------------------------------- after the filterbank
def fit_frames(F: np.ndarray, num_frames: int | None) -> np.ndarray:
    """Pad ``F`` [shape=(..., n, t)] with zero frames, or cut it, to ``num_frames``."""
    if num_frames is None or F.shape[-1] == num_frames:
        return F
    if F.shape[-1] > num_frames:
        return np.ascontiguousarray(F[..., :num_frames])
    pad = [(0, 0)] * (F.ndim - 1) + [(0, num_frames - F.shape[-1])]
    out: np.ndarray = np.pad(F, pad)
    return out


def cmvn_stats(
    total: np.ndarray, total_sq: np.ndarray, count: int, params: MelParams
) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(mean, scale)`` per bin from sums over ``count`` frames.

    ``scale`` is ``sqrt(var + cmvn_eps)`` with ``var`` computed with
    ``cmvn_ddof``, or 1 with ``cmvn="mean"``. A bin with no variance (digital
    silence) is left centred, unscaled, where the references divide by 0.
    """
    mean = total / count
    if params.cmvn != "mean-var":
        return mean, np.ones_like(mean)
    dof = count - params.cmvn_ddof
    var = np.maximum(total_sq - count * mean**2, 0.0) / max(dof, 1)
    std = np.sqrt(var + params.cmvn_eps)
    return mean, np.where(std > 0, std, 1.0)


def normalise(F: np.ndarray, params: MelParams) -> np.ndarray:
    """Apply ``cmvn`` over the frames of ``F`` [shape=(..., n, t)], then the affine.

    The statistics are those of the whole utterance (every frame, in float64):
    Speech2Text's ``utterance_cmvn`` (``ddof=0``, no epsilon) and
    SeamlessM4T's per-bin normalisation (``ddof=1``, ``1e-7``).
    """
    if params.cmvn != "none":
        x = F.astype(np.float64)
        count = x.shape[-1]
        mean = x.mean(axis=-1, keepdims=True)
        if params.cmvn == "mean-var":
            centred = x - mean
            ss = np.einsum("...t,...t->...", centred, centred)[..., np.newaxis]
            var = ss / max(count - params.cmvn_ddof, 1)
            std = np.sqrt(var + params.cmvn_eps)
            x = centred / np.where(std > 0, std, 1.0)
        else:
            x = x - mean
        F = x.astype(np.float32)
    if params.shift != 0.0 or params.divisor != 1.0:
        F = (F + np.float32(params.shift)) / np.float32(params.divisor)
    return F


def stack_frames(F: np.ndarray, stack: int) -> np.ndarray:
    """Stack ``stack`` consecutive frames of ``F`` [shape=(..., n, t)] into one.

    The frames are first padded with zeros to a multiple of ``stack`` (as
    SeamlessM4T's ``pad_to_multiple_of``); frame ``j`` of the result holds
    frames ``stack * j`` ... ``stack * j + stack - 1`` one after the other:
    shape ``(..., n * stack, ceil(t / stack))``.
    """
    if stack == 1:
        return F
    n, t = F.shape[-2:]
    t_out = -(-t // stack)
    pad = [(0, 0)] * (F.ndim - 1) + [(0, t_out * stack - t)]
    frames_first = np.swapaxes(np.pad(F, pad), -1, -2)  # (..., t', n)
    stacked = frames_first.reshape(*F.shape[:-2], t_out, n * stack)
    return np.ascontiguousarray(np.swapaxes(stacked, -1, -2))


def finish(F: np.ndarray, params: MelParams) -> np.ndarray:
    """Apply the model front end's steps after the filterbank, in order.

    ``num_frames`` (zero frames, as AST pads its filterbank), then ``cmvn``
    and ``(x + shift) / divisor``, then ``frame_stack``.
    """
    F = fit_frames(F, params.num_frames)
    F = normalise(F, params)
    return stack_frames(F, params.frame_stack)


def output_rows(params: MelParams) -> int:
    """Rows of the array written for ``kind="fbank"``."""
    return (params.num_mel_bins + int(params.use_energy)) * params.frame_stack


def stream_frames(
    blocks: Iterable[tuple[np.ndarray, bool]],
    *,
    sr: float,
    params: MelParams,
    max_frames: int | None = None,
) -> Iterator[np.ndarray]:
    """Compute the filterbank of a signal delivered in blocks, in bounded memory.

    Parameters
    ----------
    blocks : iterable of (np.ndarray [shape=(channels, n)], bool)
        The samples in order, and whether each block is the last.
    sr : float
        Their rate.
    params : MelParams
        The settings.
    max_frames : int or None
        Stop after this many frames (the rest would be cut by ``num_frames``).

    Yields
    ------
    F : np.ndarray [shape=(channels, k, n_rows)], float32, frames first
        Exactly the frames of :func:`fbank` on the whole signal, in order.
    """
    compute = FrameComputer(sr, params)
    length, shift = compute.length, compute.shift
    left = left_padding(length, shift, params.snip_edges)
    # In the mirrored signal P (``left`` samples before y[0]), frame j starts
    # at j * shift + s0; ``buf`` holds P[pos : pos + buf.shape[-1]].
    s0 = 0 if params.snip_edges else shift // 2 - length // 2 + left
    pending: list[np.ndarray] = []
    buf = np.empty((0, 0), dtype=np.float32)
    started = False
    pos = n_seen = k = 0
    for y, last in blocks:
        n_seen += y.shape[-1]
        if not started:
            pending.append(y)
            whole = np.concatenate(pending, axis=-1)
            if last:  # a short signal, whole in memory
                F = compute(
                    frames_view(whole, sr=sr, params=params)[..., :max_frames, :]
                )
                yield F
                return
            if whole.shape[-1] < length + left:
                continue
            buf = np.concatenate([whole[..., :left][..., ::-1], whole], axis=-1)
            started, pending = True, []
        else:
            buf = np.concatenate([buf, y], axis=-1)
        total = None
        if last:
            total = n_frames(
                n_seen, length=length, shift=shift, snip_edges=params.snip_edges
            )
            need = (total - 1) * shift + s0 + length - (pos + buf.shape[-1])
            if need > 0:  # P[left + n + s] is y[n - 1 - s]
                buf = np.concatenate([buf, buf[..., -need:][..., ::-1]], axis=-1)
        end = pos + buf.shape[-1]
        ready = (end - s0 - length) // shift + 1 if end - s0 >= length else 0
        for limit in (total, max_frames):
            if limit is not None:
                ready = min(ready, limit)
        if ready > k:
            a, b = k * shift + s0 - pos, (ready - 1) * shift + s0 + length - pos
            view = np.lib.stride_tricks.sliding_window_view(
                buf[..., a:b], length, axis=-1
            )
            yield compute(view[..., ::shift, :])
            k = ready
        if last or (max_frames is not None and k >= max_frames):
            return
        # Keep the next frame's samples, and at least one frame's worth
        # (the mirrored end is taken from them).
        keep_from = min(k * shift + s0, end - length)
        if keep_from > pos:
            buf = buf[..., keep_from - pos :].copy()
            pos = keep_from

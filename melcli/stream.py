"""The bounded-memory path for long files: the same pipeline, block by block.

A 60-minute stereo 44.1 kHz file is 1.3 GB as float32 samples; decoding it
whole, as ``librosa.load`` does, needs several GB. Here the file is decoded in
blocks, each block is mixed, resampled (soxr's streaming resampler, which gives
the same samples as its one-shot call), framed and projected onto the mel
basis, and only mel power frames are kept, on disk. A second pass turns them
into decibels (which needs the whole file's peak, hence two passes) and writes
the final ``.npy``. Memory stays flat whatever the file's length.

Kaldi filterbanks (``kind="fbank"``) take the same road: their frames go to
the temporary file, with each bin's sums for ``cmvn``, and the second pass
normalises, stacks and writes them (:func:`_stream_fbank`).

The numbers equal the in-memory path's to float32 rounding (tests compare
them): only the order of work differs. The mel products run on each block as
it comes here, on larger chunks of frames in memory, and a product's rounding
depends on its shape (a few 1e-6 dB).
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import soundfile as sf

from . import audio, transform
from .errors import AudioError
from .params import MelParams
from .write import atomic_write, scratch_file

#: Files longer than this (in seconds, after --offset/--duration) are streamed.
STREAM_SECONDS = 600.0
#: Samples decoded per block (about 6 s at 44.1 kHz).
DECODE_BLOCK = 1 << 18
#: Frames converted to dB and written per chunk in the second pass.
DB_CHUNK = 4096


@dataclass(frozen=True)
class Streamed:
    """What streaming a file produced: the array's shape and the source facts."""

    shape: tuple[int, ...]
    sr: int
    info: audio.AudioInfo


def can_stream(params: MelParams) -> bool:
    """Return whether these settings can take the streaming path.

    Only the soxr resamplers stream, and only mel arrays (any scale step)
    without ``drop_last_frame`` and Kaldi filterbanks (``kind="fbank"``, with
    every step after it); otherwise long files run in memory, whole, with the
    same numbers (``kind="stft"`` and ``"mfcc"``, Whisper's dropped last
    frame, or another resampler).
    """
    if not can_stream_waveform(params):
        return False
    return params.kind == "fbank" or (
        params.kind == "mel" and not params.drop_last_frame
    )


def can_stream_waveform(params: MelParams) -> bool:
    """Return whether a long file's waveform can be read block by block.

    True for the soxr resamplers, whatever the rest of the settings: the
    clip (:mod:`melcli.clip`) and segment (:mod:`melcli.segment`) paths only
    need the resampled samples in order, and compute each spectrogram in
    memory, so they stream for every ``kind`` and with ``drop_last_frame``.
    """
    return params.res_type.startswith("soxr")


def stream_to_npy(
    path: str | os.PathLike[str],
    npy: Path,
    *,
    params: MelParams,
    timings: dict[str, float] | None = None,
) -> Streamed:
    """Compute the log-mel spectrogram of ``path`` block by block into ``npy``.

    Parameters
    ----------
    path : path-like
        The audio file.
    npy : Path
        The output, written atomically.
    params : MelParams
        Validated settings.
    timings : dict or None
        If given, seconds per stage are added to it.

    Returns
    -------
    Streamed
        The shape written, the rate it was computed at, and the file's header.

    Raises
    ------
    AudioError
        As :func:`melcli.audio.load`.
    """
    t = timings if timings is not None else {}
    if params.kind == "fbank":
        return _stream_fbank(path, npy, params, t)
    with scratch_file(npy) as power_file:
        info, sr, n_frames_total, peak = _mel_power_to_file(path, power_file, params, t)
        channels = info.channels if not params.mono else 1
        rows = params.n_mels * (1 if params.mono else channels)
        shape: tuple[int, ...] = (params.n_mels, n_frames_total)
        if not params.mono:
            shape = (channels, params.n_mels, n_frames_total)
        t0 = time.perf_counter()
        _write_db(power_file, npy, shape, rows, peak, params)
        t["db_write"] = t.get("db_write", 0.0) + time.perf_counter() - t0
    return Streamed(shape=shape, sr=sr, info=info)


# ------------------------------------------------------------- first pass
def _mel_power_to_file(
    path: str | os.PathLike[str],
    out: BinaryIO,
    params: MelParams,
    t: dict[str, float],
) -> tuple[audio.AudioInfo, int, int, float]:
    """Decode → mix → resample → frame → mel; append frames to ``out``.

    ``out`` receives float32 mel power, frames first: each frame is
    ``channels * n_mels`` values. Returns the header, the rate, the number of
    frames and the peak power.
    """
    write = out.write
    peak = 0.0
    n_frames = 0
    with audio.open_audio(path, params) as (f, info, notes):
        channels_out = 1 if params.mono else info.channels
        sr = info.samplerate if params.sr is None else params.sr
        params.check_sr(sr)
        framer = _Framer(params, channels_out)
        transform.mel_basis(sr, params=params)  # warns as the in-memory path
        bands = transform.mel_bands(sr, params=params)
        for y, done in resampled_blocks(f, info, params, sr=sr, timings=t):
            # Overflow shows as inf or NaN power, reported below in words.
            quiet = np.errstate(over="ignore", invalid="ignore")
            with transform.one_blas_thread(), quiet:
                for S in framer.feed(y, last=done):  # (channels, bins, frames)
                    t4 = time.perf_counter()
                    mel = np.empty((*S.shape[:-2], params.n_mels, S.shape[-1]), S.dtype)
                    bands.apply(S, mel)
                    # (frames, channels, n_mels): each frame's values together.
                    frames_first = np.ascontiguousarray(mel.transpose(2, 0, 1))
                    block_peak = float(frames_first.max(initial=0.0))  # NaN if any
                    if not math.isfinite(block_peak):
                        raise AudioError(transform.too_loud())
                    peak = max(peak, block_peak)
                    write(frames_first.tobytes())
                    n_frames += frames_first.shape[0]
                    t["mel"] = t.get("mel", 0.0) + time.perf_counter() - t4
            t["stft"] = t.get("stft", 0.0) + framer.pop_seconds()
    audio.warn_notes(notes)
    return audio.held_info(f, info), sr, n_frames, peak


def resampled_blocks(
    f: sf.SoundFile,
    info: audio.AudioInfo,
    params: MelParams,
    *,
    sr: int,
    timings: dict[str, float] | None = None,
) -> Iterator[tuple[np.ndarray, bool]]:
    """Decode → check → mix → resample an open file, block by block.

    Yields ``(y, last)``: ``y`` [shape=(channels, n)] float32 at ``sr`` (one
    channel when ``params.mono``), and whether it is the last block. The blocks
    join into exactly the samples :func:`melcli.audio.load` returns, and
    ``len(y)`` is ``ceil(n_in * sr / samplerate)`` in total, as librosa's
    ``fix_length`` makes it. A caller may stop early.

    Raises
    ------
    AudioError
        For non-finite samples, or a file with no samples.
    """
    import soxr

    t = timings if timings is not None else {}
    clock = time.perf_counter
    remaining = audio.frames_to_read(info, params)  # -1: to the end
    channels_out = 1 if params.mono else info.channels
    resampler = None
    if sr != info.samplerate:
        resampler = soxr.ResampleStream(
            info.samplerate, sr, channels_out, dtype="float32", quality=params.res_type
        )
    n_in = n_out = 0
    done = False
    while not done:
        t0 = clock()
        want = DECODE_BLOCK if remaining < 0 else min(DECODE_BLOCK, remaining)
        block = f.read(frames=want, dtype="float32", always_2d=True)
        audio.check_finite(block)
        n_in += len(block)
        if remaining >= 0:
            remaining -= len(block)
        done = len(block) < want or remaining == 0
        if done and n_in == 0:
            raise AudioError("no audio samples (0 frames)")
        t1 = clock()
        y = audio.to_mono(block) if params.mono else block
        t2 = clock()
        if resampler is not None:
            y = resampler.resample_chunk(y, last=done)
            if done:  # librosa's fix_length: exactly ceil(n * sr / sr_native)
                total = math.ceil(n_in * sr / info.samplerate)
                y = _fix_total(y, n_out, total)
        t3 = clock()
        y = y[np.newaxis] if y.ndim == 1 else np.ascontiguousarray(y.T)
        n_out += y.shape[-1]
        t["decode"] = t.get("decode", 0.0) + t1 - t0
        t["mix"] = t.get("mix", 0.0) + t2 - t1
        t["resample"] = t.get("resample", 0.0) + t3 - t2
        yield y, done


def _fix_total(y: np.ndarray, fed: int, total: int) -> np.ndarray:
    """Trim or zero-pad the last resampled chunk so the stream has ``total`` samples."""
    want = total - fed
    if len(y) >= want:
        return y[:want]
    pad = np.zeros((want - len(y), *y.shape[1:]), dtype=y.dtype)
    return np.concatenate([y, pad])


class _Framer:
    """Cuts a stream of samples into STFT frames, padding as ``center`` does.

    Works in padded coordinates: frame ``k`` covers ``P[k*hop : k*hop + n_fft]``
    of the padded signal ``P``. A history of ``n_fft`` samples is kept so that
    the right-hand padding (reflect, edge...) sees the same samples it would
    see on the whole signal.
    """

    def __init__(self, params: MelParams, channels: int) -> None:
        self.params = params
        self.n_fft = params.n_fft
        self.hop = params.effective_hop_length
        self.block = transform.block_frames(params.n_fft)
        self.pad = params.effective_pad_length
        self.window = transform.stft_window(
            params.window, params.effective_win_length, params.n_fft
        )
        self.buf = np.empty((channels, 0), dtype=np.float32)
        self.base = 0  # padded index of buf[..., 0]
        self.next_k = 0
        self.started = False
        self.n_fed = 0  # resampled samples received
        self.seconds = 0.0

    def pop_seconds(self) -> float:
        s, self.seconds = self.seconds, 0.0
        return s

    def feed(self, y: np.ndarray, *, last: bool) -> list[np.ndarray]:
        """Add samples ``y`` [shape=(channels, n)]; return power blocks ready.

        Each block is shaped ``(channels, 1 + n_fft // 2, frames)``.
        """
        t0 = time.perf_counter()
        self.n_fed += y.shape[-1]
        self.buf = np.concatenate([self.buf, y], axis=-1) if self.buf.size else y
        if not self.started and (self.buf.shape[-1] >= self.n_fft or last):
            self._start()
        if last and self.started:
            self._finish()
        blocks = self._frames() if self.started else []
        self.seconds += time.perf_counter() - t0
        return blocks

    def _start(self) -> None:
        self.started = True
        if self.pad:
            n = self.buf.shape[-1]
            if n == 0:
                raise AudioError("no audio samples (0 frames)")
            transform.check_signal_length(n, self.params, stacklevel=4)
            padded = np.pad(
                self.buf,
                [(0, 0), (self.pad, 0)],
                mode=self.params.pad_mode,  # type: ignore[call-overload]
            )
            self.buf = padded

    def _finish(self) -> None:
        if self.pad:
            self.buf = np.pad(
                self.buf,
                [(0, 0), (0, self.pad)],
                mode=self.params.pad_mode,  # type: ignore[call-overload]
            )
        else:
            transform.check_signal_length(self.n_fed, self.params)

    def _frames(self) -> list[np.ndarray]:
        end = self.base + self.buf.shape[-1]
        k_stop = (end - self.n_fft) // self.hop + 1 if end >= self.n_fft else 0
        blocks = []
        while self.next_k < k_stop:
            k1 = min(self.next_k + self.block, k_stop)
            a = self.next_k * self.hop - self.base
            b = (k1 - 1) * self.hop + self.n_fft - self.base
            frames = np.lib.stride_tricks.sliding_window_view(
                self.buf[..., a:b], self.n_fft, axis=-1
            )[..., :: self.hop, :]
            blocks.append(
                transform.frames_power(
                    frames,
                    self.window,
                    self.params.power,
                    eps=self.params.stft_eps,
                    bins_first=True,
                )
            )
            self.next_k = k1
        # Keep n_fft samples of history (or from the next frame, if earlier).
        keep_from = min(self.next_k * self.hop, end - self.n_fft)
        drop = max(0, keep_from - self.base)
        if drop:
            self.buf = self.buf[..., drop:].copy()
            self.base += drop
        return blocks


# ------------------------------------------------------------ Kaldi fbank
def _stream_fbank(
    path: str | os.PathLike[str], npy: Path, params: MelParams, t: dict[str, float]
) -> Streamed:
    """Kaldi's filterbank of a long file, in two passes through a temp file.

    The first pass writes the filterbank frames (frames first) and sums each
    bin for ``cmvn``; the second applies :func:`melcli.fbank.finish`'s steps
    chunk by chunk (``num_frames``, ``cmvn``, the affine step, ``frame_stack``)
    and writes the ``(bands, frames)`` array.
    """
    from . import fbank

    with scratch_file(npy) as frames_file:
        with audio.open_audio(path, params) as (f, info, notes):
            channels = 1 if params.mono else info.channels
            sr = info.samplerate if params.sr is None else params.sr
            params.check_sr(sr)
            blocks = resampled_blocks(f, info, params, sr=sr, timings=t)
            n_rows = params.num_mel_bins + int(params.use_energy)
            total = np.zeros((channels, n_rows))
            total_sq = np.zeros((channels, n_rows))
            n = 0
            t0 = time.perf_counter()
            quiet = np.errstate(over="ignore", invalid="ignore")
            with transform.one_blas_thread(), quiet:
                for F in fbank.stream_frames(
                    blocks, sr=sr, params=params, max_frames=params.num_frames
                ):
                    if not np.isfinite(F).all():
                        raise AudioError(
                            "sample values too large: the filterbank overflows"
                        )
                    frames_first = np.ascontiguousarray(np.swapaxes(F, 0, 1))
                    wide = frames_first.astype(np.float64)
                    total += wide.sum(axis=0)
                    total_sq += np.einsum("kcr,kcr->cr", wide, wide)
                    frames_file.write(frames_first.tobytes())
                    n += frames_first.shape[0]
            for _ in blocks:  # num_frames reached: still check the whole file
                pass
            t["fbank"] = t.get("fbank", 0.0) + time.perf_counter() - t0
        info = audio.held_info(f, info)
        audio.warn_notes(notes)
        t0 = time.perf_counter()
        shape = _write_fbank(frames_file, npy, params, channels, n, total, total_sq)
        t["db_write"] = t.get("db_write", 0.0) + time.perf_counter() - t0
    return Streamed(shape=shape, sr=sr, info=info)


def _write_fbank(
    frames_file: BinaryIO,
    npy: Path,
    params: MelParams,
    channels: int,
    n: int,
    total: np.ndarray,
    total_sq: np.ndarray,
) -> tuple[int, ...]:
    """Second pass of :func:`_stream_fbank`; return the shape written."""
    from . import fbank

    n_rows = total.shape[-1]
    n_fit = n if params.num_frames is None else params.num_frames
    stack = params.frame_stack
    n_out = -(-n_fit // stack)
    shape: tuple[int, ...] = (n_rows * stack, n_out)
    if not params.mono:
        shape = (channels, *shape)
    if params.cmvn != "none":  # padding frames are zeros: they add nothing
        mean, scale = fbank.cmvn_stats(total, total_sq, n_fit, params)
    frames_file.seek(0)
    chunk = DB_CHUNK - DB_CHUNK % stack  # whole stacks in each chunk

    def chunks() -> Iterator[np.ndarray]:
        for start in range(0, n_fit, chunk):
            count = min(chunk, n_fit - start)
            stored = max(0, min(count, n - start))
            raw = frames_file.read(stored * channels * n_rows * 4)
            F: np.ndarray = np.zeros((count, channels, n_rows), dtype=np.float32)
            F[:stored] = np.frombuffer(raw, dtype=np.float32).reshape(
                stored, channels, n_rows
            )
            if params.cmvn != "none":
                F = ((F - mean) / scale).astype(np.float32)
            F = transform.affine(F, shift=params.shift, divisor=params.divisor)
            k = -(-count // stack)
            if k * stack > count:
                F = np.concatenate([F, np.zeros_like(F[: k * stack - count])])
            # (k, stack, channels, rows) -> (k, channels, stack * rows)
            F = F.reshape(k, stack, channels, n_rows).transpose(0, 2, 1, 3)
            yield F.reshape(k, channels * stack * n_rows)

    _write_frames_first(npy, shape, np.dtype(params.dtype), chunks())
    return shape


# ------------------------------------------------------------- second pass
def _write_db(
    power_file: BinaryIO,
    npy: Path,
    shape: tuple[int, ...],
    rows: int,
    peak: float,
    params: MelParams,
) -> None:
    """Turn the frames-first mel power file into the C-order dB ``.npy``.

    dB needs the whole file's peak (``ref="max"`` and ``top_db``), and so does
    the log scales' ``clamp``: the same formulas as
    :func:`melcli.transform.scale`, applied chunk by chunk.
    """
    power_file.seek(0)
    n_frames = shape[-1]
    scale_chunk = _chunk_scaler(params, peak)

    def chunks() -> Iterator[np.ndarray]:
        for start in range(0, n_frames, DB_CHUNK):
            count = min(DB_CHUNK, n_frames - start)
            raw = power_file.read(count * rows * 4)
            S = np.frombuffer(raw, dtype=np.float32).reshape(count, rows)
            with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
                S_db = scale_chunk(S)
            if not np.isfinite(S_db).all():
                raise AudioError(transform.scale_not_finite(params))
            yield S_db

    _write_frames_first(npy, shape, np.dtype(params.dtype), chunks())


def _write_frames_first(
    npy: Path,
    shape: tuple[int, ...],
    dtype: np.dtype[Any],
    chunks: Iterable[np.ndarray],
) -> None:
    """Write frames-first chunks [shape=(k, rows)] as the C-order ``.npy`` ``shape``.

    ``shape`` is ``(..., n_bins, frames)`` with ``rows`` = the product of all
    but its last axis; each chunk's rows are written at their offsets in the
    final file, atomically.
    """
    n_frames = shape[-1]

    def write(f: BinaryIO) -> None:
        header = {
            "descr": np.lib.format.dtype_to_descr(dtype),
            "fortran_order": False,
            "shape": shape,
        }
        np.lib.format.write_array_header_1_0(f, header)
        offset = f.tell()
        f.truncate(offset + math.prod(shape) * dtype.itemsize)
        fd = f.fileno()
        start = 0
        for chunk in chunks:
            with np.errstate(over="ignore"):
                block = np.ascontiguousarray(chunk.T.astype(dtype))
            if not np.isfinite(block).all():
                raise AudioError(transform.out_of_range(dtype))
            for row in range(block.shape[0]):
                os.pwrite(
                    fd,
                    block[row].tobytes(),
                    offset + (row * n_frames + start) * dtype.itemsize,
                )
            start += block.shape[1]
        assert start == n_frames, (start, n_frames)

    atomic_write(npy, write)


def _chunk_scaler(params: MelParams, peak: float) -> Callable[[np.ndarray], np.ndarray]:
    """Return the scale step for chunks of a file whose peak power is ``peak``."""
    amin = params.amin
    step: Callable[[np.ndarray], np.ndarray]
    if params.scale == "db":
        # As transform.power_to_db: its logarithm, the peak's dB as the reference.
        top = transform.scaled_log10(
            np.maximum(amin, np.array([peak], np.float32)), factor=10.0
        )[0]
        if params.ref == "max":
            ref_db = top
        else:
            ref_db = 10.0 * np.log10(np.maximum(amin, np.abs(float(params.ref))))
        floor = None
        if params.top_db is not None:
            floor = top - ref_db - params.top_db

        def db(S: np.ndarray) -> np.ndarray:
            S_db = transform.scaled_log10(np.maximum(amin, S), factor=10.0)
            S_db -= ref_db
            if floor is not None:
                np.maximum(S_db, floor, out=S_db)
            return S_db

        step = db
    elif params.scale in ("log", "log10"):

        def log(x: np.ndarray) -> np.ndarray:  # as transform.log_power
            if params.scale == "log10":
                return transform.scaled_log10(x)
            ln: np.ndarray = np.log(x, out=x)
            return ln

        log_floor = None
        if params.clamp is not None:
            top = log(np.maximum(np.array([peak], np.float32), np.float32(amin)))[0]
            log_floor = top - np.float32(params.clamp)

        def logs(S: np.ndarray) -> np.ndarray:
            S_log = log(np.maximum(S, amin))
            if log_floor is not None:
                np.maximum(S_log, log_floor, out=S_log)
            return S_log

        step = logs
    else:
        step = np.copy

    def scaled(S: np.ndarray) -> np.ndarray:
        return transform.affine(step(S), shift=params.shift, divisor=params.divisor)

    return scaled

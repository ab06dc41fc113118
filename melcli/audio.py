"""Decode → mix to mono → resample: the waveform stage of the pipeline.

Decoding goes through :mod:`soundfile` (libsndfile) for every format, exactly as
``librosa.load`` does first; melcli never falls back to audioread, so a file
decodes the same way, or fails with the same clear message, under librosa 0.11
and 1.0. The arithmetic after decoding is librosa's: float32 samples, channels
averaged for mono, resampled with ``librosa.resample``'s conventions.
"""

from __future__ import annotations

import contextlib
import math
import os
import stat
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import soundfile as sf

from .errors import AudioError
from .params import MelParams


@dataclass(frozen=True)
class AudioInfo:
    """What the file's header says.

    Attributes
    ----------
    format : str
        Container, e.g. ``"WAV"``, ``"FLAC"``, ``"MP3"``.
    subtype : str
        Encoding or bit depth, e.g. ``"PCM_16"``, ``"VORBIS"``.
    samplerate : int
        Native sampling rate in Hz.
    channels : int
        Number of channels.
    frames : int
        Samples per channel.
    """

    format: str
    subtype: str
    samplerate: int
    channels: int
    frames: int

    @property
    def duration(self) -> float:
        """Length in seconds."""
        return self.frames / self.samplerate if self.samplerate else 0.0


@dataclass(frozen=True)
class Waveform:
    """A decoded signal ready for the transform stage.

    Attributes
    ----------
    y : np.ndarray [shape=(n,) or (channels, n)], float32
        Samples, mono if the settings ask for it, at ``sr``.
    sr : int
        Sampling rate of ``y``.
    info : AudioInfo
        The source file's header.
    """

    y: np.ndarray
    sr: int
    info: AudioInfo


def probe(path: str | os.PathLike[str]) -> AudioInfo:
    """Read a file's header without decoding its samples.

    Raises
    ------
    AudioError
        If the file cannot be opened or is not audio; the message says why.
    """
    _check_readable(path)
    try:
        with _native_stderr(), sf.SoundFile(os.fsencode(path)) as f:
            return _info_of(f)
    except sf.SoundFileError as exc:
        raise AudioError(_describe_soundfile_error(exc)) from None


class TooLong(Exception):
    """Raised by :func:`load` with ``max_seconds`` for a file to stream instead."""

    def __init__(self, info: AudioInfo) -> None:
        super().__init__(f"{info.duration:.0f} s")
        self.info = info


@contextlib.contextmanager
def open_audio(
    path: str | os.PathLike[str], params: MelParams
) -> Iterator[tuple[sf.SoundFile, AudioInfo, list[str]]]:
    """Open ``path`` for decoding, positioned at ``params.offset``.

    Yields ``(soundfile, header, notes)``; ``notes`` fills, when the block
    exits, with whatever the C decoder printed on stderr meanwhile.

    Raises
    ------
    AudioError
        For unreadable or non-audio files, impossible headers, or an offset
        past the end; libsndfile's errors while reading are translated too.
    """
    _check_readable(path)
    try:
        with _native_stderr() as notes, sf.SoundFile(os.fsencode(path)) as f:
            info = _info_of(f)
            if info.samplerate <= 0 or info.channels <= 0:
                raise AudioError(
                    f"invalid header: {info.samplerate} Hz, {info.channels} channels"
                )
            start = int(params.offset * info.samplerate)
            if start and start >= info.frames:
                raise AudioError(
                    f"offset={params.offset:g} s is past the end of the file "
                    f"({info.duration:.2f} s)"
                )
            if start:
                f.seek(start)
            yield f, info, notes
    except sf.SoundFileError as exc:
        raise AudioError(_describe_soundfile_error(exc)) from None


def frames_to_read(info: AudioInfo, params: MelParams) -> int:
    """Return how many frames ``params.duration`` asks for (-1: to the end)."""
    if params.duration is None:
        return -1
    return int(params.duration * info.samplerate)


def load(
    path: str | os.PathLike[str],
    params: MelParams,
    *,
    timings: dict[str, float] | None = None,
    max_seconds: float | None = None,
) -> Waveform:
    """Decode ``path``, mix and resample it as ``librosa.load`` would.

    Parameters
    ----------
    path : path-like
        The audio file.
    params : MelParams
        Uses ``sr``, ``mono``, ``offset``, ``duration`` and ``res_type``.
    timings : dict or None
        If given, seconds spent in ``"decode"``, ``"mix"`` and ``"resample"``
        are stored in it.
    max_seconds : float or None
        Raise :class:`TooLong` instead of decoding more than this many seconds.

    Returns
    -------
    Waveform
        ``y`` has shape ``(n,)`` when ``params.mono`` is true, else
        ``(channels, n)`` (also for a one-channel file).

    Raises
    ------
    AudioError
        For unreadable, non-audio, empty or non-finite input.
    """
    clock = time.perf_counter
    t0 = clock()
    with open_audio(path, params) as (f, info, notes):
        frames = frames_to_read(info, params)
        if max_seconds is not None:
            available = info.frames - int(params.offset * info.samplerate)
            wanted = available if frames < 0 else min(frames, available)
            if wanted > max_seconds * info.samplerate:
                raise TooLong(info)
        if info.subtype == "PCM_16":
            data = f.read(frames=frames, dtype="int16", always_2d=True)
        else:
            data = f.read(frames=frames, dtype="float32", always_2d=True)
    warn_notes(notes)
    if data.shape[0] == 0:
        raise AudioError("no audio samples (0 frames)")
    t1 = clock()

    if data.dtype == np.int16:
        y = _pcm16_to_float(data, mono=params.mono)
    else:
        check_finite(data)
        y = to_mono(data) if params.mono else np.ascontiguousarray(data.T)
    t2 = clock()
    y, sr = to_rate(y, info.samplerate, params)
    if timings is not None:
        timings.update(decode=t1 - t0, mix=t2 - t1, resample=clock() - t2)
    return Waveform(y=y, sr=sr, info=info)


def warn_notes(notes: list[str]) -> None:
    """Attach what the decoder printed to the current file, as one warning."""
    if notes:
        more = f" (and {len(notes) - 1} more notes)" if len(notes) > 1 else ""
        warnings.warn(f"decoder: {notes[0]}{more}", stacklevel=3)


def to_mono(data: np.ndarray) -> np.ndarray:
    """Average the channels of interleaved ``data``.

    Parameters
    ----------
    data : np.ndarray [shape=(n, channels)], float32
        Samples as soundfile returns them.

    Returns
    -------
    y : np.ndarray [shape=(n,)], float32
        The same numbers as ``librosa.to_mono(data.T)``: channels are summed in
        order in float32 and divided by their count. Summing column by column
        avoids the slow strided reduction of ``data.mean(axis=1)``.
    """
    channels = data.shape[1]
    if channels == 1:
        return data[:, 0].copy()
    y = data[:, 0].copy()
    for c in range(1, channels):
        y += data[:, c]
    y /= np.float32(channels)
    return y


def _pcm16_to_float(data: np.ndarray, *, mono: bool) -> np.ndarray:
    """Scale (and mix) 16-bit samples to float32, bit-identical to the float path.

    libsndfile's float conversion of 16-bit PCM is ``x / 32768``, exact in
    float32, and so is the sum of up to 512 such channels: summing the
    integers first, then scaling and dividing by the channel count, gives the
    very numbers of :func:`to_mono` on float samples, for half the work.
    """
    scale = np.float32(1.0 / 32768.0)
    if not mono:
        y = data.T.astype(np.float32)
        y *= scale
        return y
    total = data[:, 0].astype(np.int32)
    for c in range(1, data.shape[1]):
        total += data[:, c]
    y = total.astype(np.float32)
    y *= scale
    if data.shape[1] > 1:
        y /= np.float32(data.shape[1])
    return y


def resample(
    y: np.ndarray, *, orig_sr: int, target_sr: int, res_type: str = "soxr_hq"
) -> np.ndarray:
    """Resample along the last axis exactly as ``librosa.resample`` does.

    The soxr resamplers are called directly (the same library and call librosa
    makes), then trimmed or zero-padded to ``ceil(n * target_sr / orig_sr)``
    samples as librosa's ``fix=True`` does. Other ``res_type`` values go through
    ``librosa.resample`` itself.
    """
    if orig_sr == target_sr:
        return y
    n_out = math.ceil(y.shape[-1] * float(target_sr) / orig_sr)
    if res_type.startswith("soxr"):
        import soxr

        # soxr takes (n, channels) and treats channels independently.
        y_hat = soxr.resample(y.T, orig_sr, target_sr, quality=res_type).T
        y_hat = _fix_length(y_hat, n_out)
    else:
        import librosa

        y_hat = librosa.resample(
            y, orig_sr=orig_sr, target_sr=target_sr, res_type=res_type
        )
    return np.ascontiguousarray(y_hat, dtype=np.float32)


def to_rate(y: np.ndarray, sr: int, params: MelParams) -> tuple[np.ndarray, int]:
    """Resample ``y`` from ``sr`` to ``params.sr``, if set; return ``(y, rate)``."""
    if params.sr is None or params.sr == sr:
        return y, sr
    return resample(
        y, orig_sr=sr, target_sr=params.sr, res_type=params.res_type
    ), params.sr


def _fix_length(y: np.ndarray, size: int) -> np.ndarray:
    n = y.shape[-1]
    if n > size:
        return y[..., :size]
    if n < size:
        pad = [(0, 0)] * (y.ndim - 1) + [(0, size - n)]
        return np.pad(y, pad)
    return y


@contextlib.contextmanager
def _native_stderr() -> Iterator[list[str]]:
    """Collect what C decoders print on file descriptor 2 while decoding.

    libmpg123 writes notes such as ``Illegal Audio-MPEG-Header`` straight to
    fd 2, which would break melcli's one-line-per-file output. They are
    captured here and returned, to be attached to the file they came from.
    (fd 2 is process-wide: do not decode from several threads at once.)
    """
    notes: list[str] = []
    sys.stderr.flush()
    try:
        saved = os.dup(2)
    except OSError:  # no fd 2 at all
        yield notes
        return
    with tempfile.TemporaryFile() as capture:
        os.dup2(capture.fileno(), 2)
        try:
            yield notes
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            capture.seek(0)
            text = capture.read().decode("utf-8", "replace")
            notes.extend(" ".join(line.split()) for line in text.splitlines())
            notes[:] = [n for n in notes if n]


def _info_of(f: sf.SoundFile) -> AudioInfo:
    return AudioInfo(
        format=str(f.format),
        subtype=str(f.subtype),
        samplerate=int(f.samplerate),
        channels=int(f.channels),
        frames=int(f.frames),
    )


def _check_readable(path: str | os.PathLike[str]) -> None:
    """Fail early, in words, for what libsndfile would report as 'System error'."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise AudioError("file not found") from None
    except PermissionError:
        raise AudioError("permission denied") from None
    except OSError as exc:
        raise AudioError(_describe_os_error(exc)) from None
    if stat.S_ISDIR(st.st_mode):
        raise AudioError("is a directory, not a file")
    if not stat.S_ISREG(st.st_mode):
        raise AudioError("not a regular file (device, FIFO or socket)")
    if st.st_size == 0:
        raise AudioError("empty file (0 bytes)")
    try:
        with open(path, "rb"):
            pass
    except PermissionError:
        raise AudioError("permission denied") from None
    except OSError as exc:
        raise AudioError(_describe_os_error(exc)) from None


def check_finite(data: np.ndarray) -> None:
    """Raise :class:`AudioError` counting NaN and Inf samples, if there are any."""
    if np.isfinite(data).all():
        return
    n_nan = int(np.isnan(data).sum())
    n_inf = int(np.isinf(data).sum())
    raise AudioError(f"non-finite samples: {n_nan} NaN, {n_inf} Inf")


def _describe_os_error(exc: OSError) -> str:
    return (exc.strerror or type(exc).__name__).lower()


def _describe_soundfile_error(exc: sf.SoundFileError) -> str:
    """Turn libsndfile's message into a cause in words, without the path."""
    text = str(getattr(exc, "error_string", "") or exc).strip().rstrip(".")
    lowered = text.lower()
    if "format not recognised" in lowered or "unknown format" in lowered:
        return "not an audio file (format not recognised)"
    if "is not a regular file" in lowered:
        # libsndfile's message when a decoder (mpg123) found no audio in a file
        # that _check_readable has already shown to be a readable regular file.
        return "not an audio file (no decodable audio found)"
    if not text:
        return f"cannot decode ({type(exc).__name__})"
    return f"cannot decode: {text[0].lower()}{text[1:]}"

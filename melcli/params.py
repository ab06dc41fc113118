"""The settings of the pipeline, with librosa's names and defaults.

:class:`MelParams` is one frozen dataclass passed to every stage and to every
worker. Its field names are the keyword arguments of ``librosa.load``,
``librosa.feature.melspectrogram`` and ``librosa.power_to_db``, and its
defaults are theirs, so that ``MelParams()`` reproduces the plain librosa chain::

    y, sr = librosa.load(path, sr=22050, mono=True)
    S = librosa.feature.melspectrogram(y=y, sr=sr)
    S_db = librosa.power_to_db(S, ref=np.max)
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from .errors import ParameterError, number, one_of

#: Bumped whenever the bytes melcli writes for the same settings change.
OUTPUT_FORMAT_VERSION = 1

#: Resamplers that work with melcli's dependencies (soxr ships with librosa).
RES_TYPES = (
    "soxr_vhq",
    "soxr_hq",
    "soxr_mq",
    "soxr_lq",
    "soxr_qq",
    "polyphase",
    "fft",
    "scipy",
)

#: Windows of ``scipy.signal.get_window`` that take no extra parameter.
WINDOWS = (
    "hann",
    "hamming",
    "blackman",
    "blackmanharris",
    "bartlett",
    "barthann",
    "bohman",
    "boxcar",
    "cosine",
    "flattop",
    "nuttall",
    "parzen",
    "triang",
)

#: ``numpy.pad`` modes that ``librosa.stft`` accepts (and that are deterministic).
PAD_MODES = ("constant", "edge", "linear_ramp", "reflect", "symmetric")

DTYPES = ("float32", "float16")
#: The largest ``n_fft`` and ``n_mels``: past them the mel basis alone takes
#: gigabytes (``n_fft=10**11`` asked numpy for 373 GiB), and no model's front
#: end comes near (65536 samples is 1.5 s at 44.1 kHz; 2048 mel bands).
MAX_N_FFT = 1 << 16
MAX_N_MELS = 2048
#: The most samples a clip or a segment may hold (about 27 hours at 22050 Hz):
#: a length of 1e12 s asked numpy for petabytes, file after file.
MAX_CLIP_SAMPLES = 1 << 31

#: How a waveform shorter than ``clip_duration`` is completed (see melcli.clip).
PADS = ("zeros", "repeat", "reflect")
#: Which part of a waveform longer than ``clip_duration`` is kept.
CROPS = ("start", "center", "random")
#: Whether a file's segments go into one stacked array or one file each.
SEGMENT_LAYOUTS = ("stack", "files")
#: What the array holds: mel bands, linear STFT bins, MFCCs, or Kaldi's filterbank.
KINDS = ("mel", "stft", "mfcc", "fbank")
#: Kaldi's windows (``--window-type``): ``hanning`` is symmetric (Kaldi's and
#: torchaudio's), ``hann`` periodic (kaldi-native-fbank's); see melcli.fbank.
WINDOW_TYPES = ("povey", "hamming", "hanning", "hann", "rectangular", "blackman")
#: Per-bin normalisation over the utterance, after the filterbank.
CMVN_MODES = ("none", "mean", "mean-var")
#: The log/scale step: decibels (``power_to_db``), natural log, log10, or none.
SCALES = ("db", "log", "log10", "none")
#: ``truncated``: fail, or keep what was decoded (with a warning).
TRUNCATED_POLICIES = ("fail", "keep")
#: ``non_finite``: fail, or replace NaN and Inf samples by zeros (with a warning).
NON_FINITE_POLICIES = ("fail", "zero")

Dtype = Literal["float32", "float16"]


@dataclass(frozen=True)
class MelParams:
    """Every setting that changes the numbers melcli writes.

    Parameters
    ----------
    sr : int or None
        Target sampling rate in Hz; ``None`` keeps each file's own rate.
    mono : bool
        Average the channels before anything else.
    offset : float
        Start reading this many seconds into the file.
    duration : float or None
        Read at most this many seconds.
    res_type : str
        Resampler, as in ``librosa.resample``.
    n_fft, hop_length, win_length, window, center, pad_mode, power
        As in ``librosa.stft`` / ``librosa.feature.melspectrogram``.
        ``hop_length=None`` means ``win_length // 4``; ``win_length=None``
        means ``n_fft``.
    n_mels, fmin, fmax, htk, norm
        As in ``librosa.filters.mel``; ``fmax=None`` means ``sr / 2``.
    ref : float or "max"
        Reference power for 0 dB; ``"max"`` is ``np.max`` of the whole file's
        spectrogram (all channels together, see :func:`melcli.transform.power_to_db`).
    amin : float
        Floor applied to the power before the logarithm.
    top_db : float or None
        Clamp at this many dB below the peak; ``None`` disables.
    dtype : {"float32", "float16"}
        Type of the arrays written.
    clip_duration : float or None
        Cut or pad every waveform (after resampling) to exactly
        ``round(clip_duration * sr)`` samples, so that every array has the same
        shape; ``None`` keeps each file's length. See :mod:`melcli.clip`.
    pad : {"zeros", "repeat", "reflect"}
        How a shorter waveform is completed, at its end.
    crop : {"start", "center", "random"}
        Which part of a longer waveform is kept.
    seed : int
        Seed of ``crop="random"``; each file's draw depends only on the seed
        and the file's path relative to its input folder.
    segment : float or None
        Cut each waveform into windows of this many seconds instead.
    segment_hop : float or None
        Seconds between the starts of windows; ``None`` means ``segment``.
    segment_layout : {"stack", "files"}
        One ``(n_segments, n_mels, frames)`` array per file, or one file per
        segment (``name.000.npy``, ``name.001.npy``, ...).
    kind : {"mel", "stft", "mfcc", "fbank"}
        What the array holds: ``(n_mels, t)`` mel bands, ``(1 + n_fft // 2, t)``
        linear STFT bins (``|STFT| ** power``), ``(n_mfcc, t)`` MFCCs (the
        DCT-II, orthonormal, of the scaled mel bands, as ``librosa.feature.mfcc``),
        or Kaldi's filterbank ``(n_bins, t)`` (:mod:`melcli.fbank`), which takes
        its own options below instead of the STFT, mel and scale settings.
    n_mfcc : int
        Number of MFCCs kept with ``kind="mfcc"``; at most ``n_mels``.
    scale : {"db", "log", "log10", "none"}
        The log/scale step. ``"db"`` is ``power_to_db`` with ``ref``, ``amin``
        and ``top_db``; ``"log"`` and ``"log10"`` are ``log(max(S, amin))``
        (natural or base 10) with ``clamp``; ``"none"`` keeps ``S`` as is.
    clamp : float or None
        With ``scale="log"`` or ``"log10"``: clamp at this many units below the
        file's peak (Whisper: 8.0 with log10); ``None`` disables. The dB scale
        uses ``top_db`` instead.
    shift, divisor : float
        Last, ``(x + shift) / divisor`` (Whisper: 4.0 and 4.0); any scale.
    pad_length : int or None
        With ``center``: samples of padding on each side; ``None`` means
        ``n_fft // 2`` (librosa). HiFi-GAN pads ``(n_fft - hop_length) // 2``.
    drop_last_frame : bool
        Drop the last STFT frame before anything else (Whisper does).
    stft_eps : float
        Added to ``|STFT| ** 2`` before the exponent ``power / 2``: HiFi-GAN's
        magnitude is ``sqrt(re ** 2 + im ** 2 + 1e-9)``. 0 is librosa's.
    frame_length, frame_shift : float
        ``kind="fbank"``: Kaldi's frame length and shift, in milliseconds.
    dither : float
        ``kind="fbank"``: standard deviation of Gaussian noise added to each
        frame (Kaldi's ``--dither``), drawn from a generator seeded with
        ``seed``; 0 (the default here) adds none, so outputs are reproducible.
    preemphasis_coefficient, remove_dc_offset, window_type
        ``kind="fbank"``: Kaldi's frame processing options, as named there.
    round_to_power_of_two, snip_edges
        ``kind="fbank"``: likewise.
    num_mel_bins, low_freq, high_freq
        ``kind="fbank"``: Kaldi's mel filters; ``high_freq <= 0`` is an
        offset from the Nyquist frequency (0: Nyquist).
    use_energy, energy_floor, use_log_fbank, use_power
        ``kind="fbank"``: Kaldi's options of the same names; the log energy,
        when used, is row 0.
    waveform_scale : float
        ``kind="fbank"``: samples are multiplied by this first (Speech2Text
        and SeamlessM4T use 32768, Kaldi's 16-bit range).
    num_frames : int or None
        ``kind="fbank"``: pad with zero frames or cut to this many frames,
        right after the filterbank (AST: 1024).
    cmvn : {"none", "mean", "mean-var"}
        ``kind="fbank"``: normalise each bin over the utterance's frames,
        with ``cmvn_ddof`` and ``cmvn_eps`` in the variance
        ``sqrt(var + eps)``.
    frame_stack : int
        ``kind="fbank"``: last, stack this many consecutive frames into one
        (SeamlessM4T: 2), padding with zero frames to a multiple.
    truncated : {"fail", "keep"}
        A stream that ends before its header says (a cut download, a damaged
        frame) fails, or with ``"keep"`` is written with a warning saying how
        much was decoded.
    non_finite : {"fail", "zero"}
        NaN or Inf samples fail the file (naming their counts), or with
        ``"zero"`` are replaced by 0, with a warning.
    min_duration : float or None
        Skip files shorter than this many seconds (their length as the header
        gives it, before ``offset``, ``duration`` and clipping), with the
        reason; ``None`` takes every length. A skipped file is counted and
        recorded but does not make the run fail: it is the user's selection,
        not a fault. Part of the fingerprint, like every setting: changing it
        rebuilds OUT, so that no array it should now exclude stays up to date.
    """

    sr: int | None = 22050
    mono: bool = True
    offset: float = 0.0
    duration: float | None = None
    res_type: str = "soxr_hq"
    n_fft: int = 2048
    hop_length: int | None = None
    win_length: int | None = None
    window: str = "hann"
    center: bool = True
    pad_mode: str = "constant"
    power: float = 2.0
    n_mels: int = 128
    fmin: float = 0.0
    fmax: float | None = None
    htk: bool = False
    norm: str | float | None = "slaney"
    ref: float | str = "max"
    amin: float = 1e-10
    top_db: float | None = 80.0
    dtype: Dtype = "float32"
    clip_duration: float | None = None
    pad: str = "zeros"
    crop: str = "start"
    seed: int = 0
    segment: float | None = None
    segment_hop: float | None = None
    segment_layout: str = "stack"
    # The log/scale step and the kind of spectrogram (issue 6).
    kind: str = "mel"
    n_mfcc: int = 20
    scale: str = "db"
    clamp: float | None = None
    shift: float = 0.0
    divisor: float = 1.0
    pad_length: int | None = None
    drop_last_frame: bool = False
    stft_eps: float = 0.0
    # Kaldi's filterbank, kind="fbank" (issue 18): Kaldi's names and defaults,
    # except dither (0: reproducible).
    frame_length: float = 25.0
    frame_shift: float = 10.0
    dither: float = 0.0
    preemphasis_coefficient: float = 0.97
    remove_dc_offset: bool = True
    window_type: str = "povey"
    round_to_power_of_two: bool = True
    snip_edges: bool = True
    num_mel_bins: int = 23
    low_freq: float = 20.0
    high_freq: float = 0.0
    use_energy: bool = False
    energy_floor: float = 0.0
    use_log_fbank: bool = True
    use_power: bool = True
    waveform_scale: float = 1.0
    num_frames: int | None = None
    cmvn: str = "none"
    cmvn_ddof: int = 0
    cmvn_eps: float = 0.0
    frame_stack: int = 1
    #: What to do with a stream that ends before its header says: "fail", or
    #: "keep" what was decoded, with a warning saying how much.
    truncated: str = "fail"
    #: What to do with NaN or Inf samples: "fail", or "zero" (replace by 0).
    non_finite: str = "fail"
    #: Skip files shorter than this many seconds (None: take every length).
    min_duration: float | None = None

    # ------------------------------------------------------------------ derived
    @property
    def effective_win_length(self) -> int:
        """The window length in samples (``n_fft`` when unset)."""
        return self.n_fft if self.win_length is None else self.win_length

    @property
    def effective_hop_length(self) -> int:
        """The hop in samples (``win_length // 4`` when unset, as librosa does)."""
        if self.hop_length is None:
            return self.effective_win_length // 4
        return self.hop_length

    @property
    def effective_pad_length(self) -> int:
        """Samples padded on each side of the signal (0 without ``center``)."""
        if not self.center:
            return 0
        return self.n_fft // 2 if self.pad_length is None else self.pad_length

    @property
    def n_bins(self) -> int:
        """Rows of the array: ``n_mels``, ``1 + n_fft // 2``, ``n_mfcc``, or fbank's.

        For ``kind="fbank"``: ``num_mel_bins`` (plus one with ``use_energy``),
        times ``frame_stack``.
        """
        if self.kind == "fbank":
            rows = self.num_mel_bins + int(self.use_energy)
            return rows * self.frame_stack
        if self.kind == "stft":
            return 1 + self.n_fft // 2
        return self.n_mfcc if self.kind == "mfcc" else self.n_mels

    def effective_fmax(self, sr: float) -> float:
        """Return the top of the mel filterbank for a signal at ``sr`` Hz."""
        return sr / 2.0 if self.fmax is None else float(self.fmax)

    # --------------------------------------------------------------- validation
    def validate(self) -> MelParams:
        """Check every setting and return ``self``.

        Raises
        ------
        ParameterError
            Naming the first invalid setting and echoing its value.
        """
        self._validate_nones()
        if self.sr is not None:
            meant = None if isinstance(self.sr, int) else rate_meant(self.sr)
            if meant is not None:
                raise ParameterError(
                    f"sr={self.sr!r} must be a positive integer, in Hz: sr={meant}",
                    param="sr",
                )
            _positive_int("sr", self.sr)
        _non_negative("offset", self.offset)
        if self.duration is not None:
            _positive("duration", self.duration)
        _choice("res_type", self.res_type, RES_TYPES)
        _positive_int("n_fft", self.n_fft, at_most=MAX_N_FFT)
        if self.win_length is not None:
            _positive_int("win_length", self.win_length)
            if self.win_length > self.n_fft:
                raise ParameterError(
                    f"win_length={self.win_length} must be at most n_fft={self.n_fft}",
                    param="win_length",
                )
        if self.hop_length is not None:
            _positive_int("hop_length", self.hop_length)
        if self.effective_hop_length < 1:
            raise ParameterError(
                f"hop_length=None gives win_length // 4 = 0 for "
                f"win_length={self.effective_win_length}; set hop_length",
                param="hop_length",
            )
        _choice("window", self.window, WINDOWS)
        _choice("pad_mode", self.pad_mode, PAD_MODES)
        _positive("power", self.power)
        _positive_int("n_mels", self.n_mels, at_most=MAX_N_MELS)
        _non_negative("fmin", self.fmin)
        if self.fmax is not None:
            _positive("fmax", self.fmax)
            if self.fmin >= self.fmax:
                raise ParameterError(
                    f"fmin={number(self.fmin)} must be below fmax={number(self.fmax)}",
                    param="fmin",
                )
        if self.sr is not None:
            self.check_sr(self.sr)
        if isinstance(self.norm, str):
            if self.norm != "slaney":
                raise ParameterError(
                    f"norm={self.norm!r} must be 'slaney', None or a number",
                    param="norm",
                )
        elif self.norm is not None:
            _finite("norm", self.norm)
        if isinstance(self.ref, str):
            if self.ref != "max":
                raise ParameterError(
                    f"ref={self.ref!r} must be 'max' or a positive number",
                    param="ref",
                )
        else:
            _positive("ref", self.ref)
        _positive("amin", self.amin)
        if self.top_db is not None:
            _non_negative("top_db", self.top_db)
        _choice("dtype", self.dtype, DTYPES)
        self._validate_clip_and_segments()
        self._validate_feature()
        self._validate_fbank()
        _choice("truncated", self.truncated, TRUNCATED_POLICIES)
        _choice("non_finite", self.non_finite, NON_FINITE_POLICIES)
        if self.min_duration is not None:
            _non_negative("min_duration", self.min_duration)
        for name in _FLAGS:  # mono='no' was taken as True: a string is truthy
            check_flag(name, getattr(self, name))
        return self

    def _validate_clip_and_segments(self) -> None:
        """Check the fixed-length clip and the segment settings."""
        if self.clip_duration is not None:
            _positive("clip_duration", self.clip_duration)
        _choice("pad", self.pad, PADS)
        _choice("crop", self.crop, CROPS)
        seed = self.seed
        if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
            raise ParameterError(
                f"seed={self.seed!r} must be a non-negative integer", param="seed"
            )
        if self.segment is not None:
            _positive("segment", self.segment)
        if self.segment_hop is not None:
            if self.segment is None:
                raise ParameterError(
                    f"segment_hop={self.segment_hop!r} needs a segment length "
                    "too: segment=None",
                    param="segment_hop",
                )
            _positive("segment_hop", self.segment_hop)
        _choice("segment_layout", self.segment_layout, SEGMENT_LAYOUTS)
        if self.segment is not None and self.clip_duration is not None:
            raise ParameterError(
                f"segment={self.segment!r} cannot be combined with clip_duration="
                f"{self.clip_duration!r}: every segment already has a fixed length",
                param="segment",
            )

    def _validate_feature(self) -> None:
        """Check ``kind``, ``n_mfcc``, the scale step and the framing extras."""
        _choice("kind", self.kind, KINDS)
        _positive_int("n_mfcc", self.n_mfcc)
        if self.kind == "mfcc" and self.n_mfcc > self.n_mels:
            raise ParameterError(
                f"n_mfcc={self.n_mfcc} must be at most n_mels={self.n_mels}",
                param="n_mfcc",
            )
        _choice("scale", self.scale, SCALES)
        if self.kind == "mfcc" and self.scale == "none":
            raise ParameterError(
                "scale='none' cannot be used with kind='mfcc' (MFCCs are the DCT "
                "of log energies)",
                param="scale",
            )
        if self.clamp is not None:
            _non_negative("clamp", self.clamp)
            if self.scale not in ("log", "log10"):
                why = "; the dB scale uses top_db" if self.scale == "db" else ""
                raise ParameterError(
                    f"clamp={self.clamp!r} applies to scale 'log' or 'log10' only "
                    f"(scale={self.scale!r}{why})",
                    param="clamp",
                )
        _non_negative("stft_eps", self.stft_eps)
        _finite("shift", self.shift)
        _finite("divisor", self.divisor)
        if self.divisor == 0:
            raise ParameterError(
                f"divisor={self.divisor!r} must not be zero", param="divisor"
            )
        if self.pad_length is not None:
            if (
                isinstance(self.pad_length, bool)
                or not isinstance(self.pad_length, int)
                or self.pad_length < 0
            ):
                raise ParameterError(
                    f"pad_length={self.pad_length!r} must be a non-negative integer",
                    param="pad_length",
                )
            if not self.center:
                raise ParameterError(
                    f"pad_length={self.pad_length} needs center=True "
                    "(it is the padding --center adds)",
                    param="pad_length",
                )

    def _validate_fbank(self) -> None:
        """Check Kaldi's filterbank options and the steps after it."""
        _positive("frame_length", self.frame_length)
        _positive("frame_shift", self.frame_shift)
        _non_negative("dither", self.dither)
        _non_negative("preemphasis_coefficient", self.preemphasis_coefficient)
        if self.preemphasis_coefficient > 1:
            raise ParameterError(
                f"preemphasis_coefficient={self.preemphasis_coefficient!r} must be "
                "at most 1",
                param="preemphasis_coefficient",
            )
        _choice("window_type", self.window_type, WINDOW_TYPES)
        _positive_int("num_mel_bins", self.num_mel_bins)
        _non_negative("low_freq", self.low_freq)
        _finite("high_freq", self.high_freq)
        if 0 < self.high_freq <= self.low_freq:
            raise ParameterError(
                f"low_freq={number(self.low_freq)} must be below high_freq="
                f"{number(self.high_freq)}",
                param="low_freq",
            )
        _non_negative("energy_floor", self.energy_floor)
        _positive("waveform_scale", self.waveform_scale)
        if self.num_frames is not None:
            _positive_int("num_frames", self.num_frames)
        _choice("cmvn", self.cmvn, CMVN_MODES)
        if self.cmvn_ddof not in (0, 1) or isinstance(self.cmvn_ddof, bool):
            raise ParameterError(
                f"cmvn_ddof={self.cmvn_ddof!r} must be 0 or 1", param="cmvn_ddof"
            )
        _non_negative("cmvn_eps", self.cmvn_eps)
        _positive_int("frame_stack", self.frame_stack)
        if self.kind != "fbank":
            for name, default in (
                ("num_frames", None),
                ("cmvn", "none"),
                ("frame_stack", 1),
            ):
                if getattr(self, name) != default:
                    raise ParameterError(
                        f"{name}={getattr(self, name)!r} needs kind='fbank' "
                        f"(kind={self.kind!r})",
                        param=name,
                    )

    def _validate_nones(self) -> None:
        """Refuse a string for None (``fmax="none"``, as ``--fmax none``).

        It said "must be a finite number" without naming the value to give.
        """
        for name, word in _NONE_WORDS.items():
            value = getattr(self, name)
            if isinstance(value, str) and value.strip().lower() in (word, "none"):
                flag = f"--{name.replace('_', '-')}"
                said = f"None is {flag} {word}" if name in _NONE_OPTIONS else ""
                raise ParameterError(
                    f"{name}={value!r} must be None, not a string ({said})"
                    if said
                    else f"{name}={value!r} must be None, not a string",
                    param=name,
                )

    def _check_fbank_sr(self, sr: float) -> None:
        """Fail if Kaldi's frames or filters do not fit a signal at ``sr``."""
        for name in ("frame_length", "frame_shift"):
            ms = getattr(self, name)
            if _is_number(ms) and int(sr * 0.001 * ms) < 1:
                raise ParameterError(
                    f"{name}={number(ms)} ms is less than one sample at "
                    f"{self._rate(sr)}",
                    param=name,
                )
        nyquist = sr / 2.0
        high = self.high_freq if self.high_freq > 0 else nyquist + self.high_freq
        if not 0 <= self.low_freq < high <= nyquist:
            raise ParameterError(
                f"low_freq={number(self.low_freq)} and "
                f"high_freq={number(self.high_freq)} "
                f"(that is {high:g} Hz) must satisfy 0 <= low_freq < high_freq <= "
                f"the Nyquist frequency {nyquist:g} Hz ({self._rate(sr)}; a negative "
                "high_freq is an offset from Nyquist)",
                param="high_freq" if high > nyquist or high <= 0 else "low_freq",
            )

    def _rate(self, sr: float) -> str:
        """``sr=16000``, or with ``sr`` native, the file's own rate in words."""
        return f"sr={sr:g}" if self.sr is not None else f"the file's rate, {sr:g} Hz"

    def check_sr(self, sr: float) -> None:
        """Check the settings that depend on the signal's rate ``sr``.

        Raises
        ------
        ParameterError
            If ``fmax`` or ``fmin`` lies above the Nyquist frequency ``sr / 2``,
            or a clip, segment or segment hop is under one sample at ``sr``.
        """
        # For every kind: a hop of 0 samples would cut windows forever.
        self._check_clip_samples(sr)
        if self.kind == "fbank":
            self._check_fbank_sr(sr)
            return  # Kaldi's filters, not fmin/fmax
        if self.kind == "stft":
            return  # no filterbank
        nyquist = sr / 2.0
        if self.fmax is not None and self.fmax > nyquist:
            raise ParameterError(
                f"fmax={number(self.fmax)} must be at most the Nyquist frequency "
                f"{nyquist:g} Hz ({self._rate(sr)})",
                param="fmax",
            )
        if self.fmin >= self.effective_fmax(sr):
            raise ParameterError(
                f"fmin={number(self.fmin)} must be below "
                f"fmax={number(self.effective_fmax(sr))} "
                f"({self._rate(sr)})",
                param="fmin",
            )

    def _check_clip_samples(self, sr: float) -> None:
        """Fail if a clip, segment or hop would be under one sample at ``sr``.

        Or if a clip or a segment would hold more than :data:`MAX_CLIP_SAMPLES`
        (a hop may be as long as it likes: it only spaces the segments).
        """
        for name in ("clip_duration", "segment", "segment_hop"):
            seconds = getattr(self, name)
            if not _is_number(seconds) or not 0 < seconds < math.inf:
                continue  # unset, or reported by validate()
            if round(seconds * sr) < 1:
                raise ParameterError(
                    f"{name}={seconds!r} is less than one sample at {self._rate(sr)}",
                    param=name,
                )
            if name != "segment_hop" and seconds * sr > MAX_CLIP_SAMPLES:
                raise ParameterError(
                    f"{name}={number(seconds)} s is more than {MAX_CLIP_SAMPLES} "
                    "samples "
                    f"at {sr:g} Hz (at most {MAX_CLIP_SAMPLES / sr:.0f} s)",
                    param=name,
                )

    # ------------------------------------------------------------ serialisation
    def to_dict(self) -> dict[str, Any]:
        """Return the settings as a JSON-ready dict, in field order."""
        return dataclasses.asdict(self)

    def changed(self) -> dict[str, Any]:
        """Return the settings that differ from the defaults, JSON-ready.

        With melcli's version, this is every effective setting:
        ``MelParams(**p.changed()) == p``. The manifest records it for each
        entry (a few bytes for default settings).
        """
        default = MelParams().to_dict()
        return {k: v for k, v in self.to_dict().items() if v != default[k]}

    def policies(self) -> dict[str, str]:
        """Return the :data:`POLICIES` of these settings, by name."""
        return {name: getattr(self, name) for name in POLICIES}

    def replace(self, **changes: Any) -> MelParams:
        """Return a copy with ``changes`` applied (not validated)."""
        return dataclasses.replace(self, **changes)

    def fingerprint(self) -> str:
        """Return a short hash of everything that changes every input's bytes.

        The :data:`POLICIES` are left out (as their defaults): they change
        the outputs of a few inputs (cut short, non-finite), whose entries
        record them (:func:`policies_applied`), not every one.
        """
        usual = self.replace(**{name: _POLICY_DEFAULTS[name] for name in POLICIES})
        payload = {"format": OUTPUT_FORMAT_VERSION, **usual.to_dict()}
        blob = json.dumps(payload, sort_keys=True).encode()
        return hashlib.sha256(blob).hexdigest()[:16]


#: The settings that decide what becomes of some inputs only: one cut short
#: (``truncated``), one with NaN or Inf samples (``non_finite``). Changing
#: one redoes the inputs whose output it made (recorded in their entries as
#: ``policies``), and the inputs that failed; not every input.
POLICIES = ("truncated", "non_finite")
_POLICY_DEFAULTS = {
    name: MelParams.__dataclass_fields__[name].default for name in POLICIES
}
#: How the warning of an input a policy kept ends or begins (melcli.audio).
KEPT_CUT = "; kept what was decoded"
ZEROED = "non-finite samples replaced by 0"


def policies_applied(warnings: Iterable[str]) -> dict[str, str]:
    """Return the :data:`POLICIES` that made an output, from its warnings.

    ``{"truncated": "keep"}`` for an input cut short and kept, ``{"non_finite":
    "zero"}`` for one whose NaN and Inf samples were replaced: the settings
    that input's output depends on beyond the fingerprint.
    """
    applied = {}
    for warning in warnings:
        if warning.endswith(KEPT_CUT):
            applied["truncated"] = "keep"
        elif warning.startswith(ZEROED):
            applied["non_finite"] = "zero"
    return applied


# ----------------------------------------------------------------- renders
#: The figure's colormap, and the image style's default (16-bit grey).
CMAP, IMAGE_CMAP = "magma", "gray"
#: How PNGs are drawn (``--png-style``): see :mod:`melcli.render`.
STYLES = ("figure", "image")


#: The settings that may be None, and the command's word for it.
_NONE_WORDS = {
    name: "native" if name == "sr" else "none"
    for name, f in MelParams.__dataclass_fields__.items()
    if f.type.endswith("| None")
}

#: The settings whose option takes a word for None (``--sr native``).
_NONE_OPTIONS = ("sr", "fmax", "norm", "top_db", "clamp", "pad_length", "num_frames")

#: The on/off settings (``--mono/--no-mono``...): each must be a bool.
_FLAGS = tuple(
    name for name, f in MelParams.__dataclass_fields__.items() if f.type == "bool"
)


@dataclass(frozen=True)
class RenderParams:
    """How PNGs are drawn; changing these re-renders PNGs, never arrays.

    Parameters
    ----------
    style : {"figure", "image"}
        ``figure``: axes, labels, colorbar, title. ``image``: exactly
        ``frames`` x ``n_bins`` pixels (channels stacked, channel 0 on top),
        low frequencies at the bottom, values mapped by :func:`image_range`.
    waveform : bool
        With ``figure``: a waveform panel above the spectrogram.
    cmap : str or None
        A matplotlib colormap name; ``None`` is magma for figures and 16-bit
        grey for images (any other colormap gives an 8-bit RGB image).
    """

    style: str = "figure"
    waveform: bool = False
    cmap: str | None = None

    def validate(self) -> RenderParams:
        """Check the style and the colormap name; return ``self``."""
        # Named by their keywords here (the command says --png-style).
        if self.style not in STYLES:
            raise ParameterError(one_of("style", self.style, STYLES), param="style")
        check_flag("waveform", self.waveform)
        if self.waveform and self.style != "figure":
            raise ParameterError("waveform=True needs style='figure'", param="waveform")
        if self.cmap is not None:
            from matplotlib import colormaps

            if self.cmap not in colormaps:
                raise ParameterError(
                    f"cmap={self.cmap!r} is not a matplotlib colormap "
                    "(e.g. magma, viridis, gray)",
                    param="cmap",
                )
        return self

    @property
    def effective_cmap(self) -> str:
        """The colormap used: ``cmap``, or the style's default."""
        if self.cmap is not None:
            return self.cmap
        return IMAGE_CMAP if self.style == "image" else CMAP

    def fingerprint(self) -> str:
        """Return a short hash of these settings (recorded with each PNG).

        The leading version changes with the drawing itself (2: the image
        style's range follows the settings, figures label their colorbar), so
        PNGs drawn the old way are drawn again.
        """
        blob = json.dumps({"render": 2, **asdict(self)}, sort_keys=True).encode()
        return hashlib.sha256(blob).hexdigest()[:16]


# ---------------------------------------------------------------------- helpers
def check_flag(name: str, value: object) -> None:
    """Raise :class:`ParameterError` unless ``value`` is True or False.

    An on/off keyword of the API is what a ``--flag/--no-flag`` option of the
    command gives: ``mono="no"`` or ``force="false"`` are strings, truthy,
    and were taken as True without a word.
    """
    if not isinstance(value, bool):
        raise ParameterError(f"{name}={value!r} must be True or False", param=name)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _finite(name: str, value: object) -> None:
    if not _is_number(value) or not math.isfinite(value):  # type: ignore[arg-type]
        raise ParameterError(f"{name}={value!r} must be a finite number", param=name)


def _positive(name: str, value: object) -> None:
    _finite(name, value)
    if value <= 0:  # type: ignore[operator]
        raise ParameterError(f"{name}={value!r} must be positive", param=name)


def _non_negative(name: str, value: object) -> None:
    _finite(name, value)
    if value < 0:  # type: ignore[operator]
        raise ParameterError(f"{name}={value!r} must not be negative", param=name)


#: A rate as people write it: ``16000``, ``16000.0``, ``16k``, ``44.1 kHz``.
_RATE = re.compile(r"\s*(\d+(?:\.\d*)?)\s*(k?)(?:hz)?\s*", re.IGNORECASE)


def rate_meant(value: object) -> int | None:
    """Return the whole number of Hz ``value`` spells, or None.

    ``16000`` for ``"16k"``, ``"16 kHz"``, ``"16000Hz"`` or ``16000.0``: the
    usage error for such a sample rate says the integer to give instead.

    Examples
    --------
    >>> rate_meant("44.1k"), rate_meant("16kHz"), rate_meant(8000.0)
    (44100, 16000, 8000)
    >>> rate_meant("fast") is None, rate_meant("0.5") is None
    (True, True)
    """
    if isinstance(value, float):
        text = repr(value)
    elif isinstance(value, str | int) and not isinstance(value, bool):
        text = str(value)
    else:
        return None
    match = _RATE.fullmatch(text)
    if match is None:
        return None
    try:
        hz = Decimal(match[1]) * (1000 if match[2] else 1)
    except InvalidOperation:
        return None
    if hz < 1 or hz != hz.to_integral_value():
        return None
    return int(hz)


def _positive_int(name: str, value: object, *, at_most: int | None = None) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ParameterError(f"{name}={value!r} must be a positive integer", param=name)
    if at_most is not None and value > at_most:
        raise ParameterError(f"{name}={value!r} must be at most {at_most}", param=name)


def _choice(name: str, value: object, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ParameterError(one_of(name, value, choices), param=name)

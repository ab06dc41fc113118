"""The per-file pipeline: one input in, its outputs written, a result out.

:func:`process_one` is pure with respect to the batch: it takes one
:class:`~melcli.discover.Job` and the settings, writes that job's outputs and
returns a :class:`~melcli.report.Result`; it never raises for a bad file.
:func:`process_task` is its picklable entry point for the runners
(:mod:`melcli.runners`); :mod:`melcli.batch` plans and drives a whole run.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import os
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import audio, clip, segment, stream, transform, waveform
from .discover import Job, Task
from .errors import MelcliError, ParameterError, describe_exception, os_reason
from .outdir import load_npy
from .params import MelParams, RenderParams
from .report import Result, Status
from .runners import task_scope
from .write import save_npy


# ------------------------------------------------------------------ one file
def mel_spectrogram(
    source: str | os.PathLike[str] | np.ndarray,
    *,
    sr: int | None = None,
    params: MelParams | None = None,
) -> np.ndarray:
    """Compute the log-mel spectrogram of a file or a waveform.

    Parameters
    ----------
    source : path-like or np.ndarray [shape=(n,) or (channels, n)]
        An audio file, or samples.
    sr : int or None
        The sampling rate of ``source`` when it is an array (required then).
    params : MelParams or None
        The settings; ``MelParams()`` (librosa's defaults) when omitted.

    Returns
    -------
    S_db : np.ndarray [shape=(n_mels, t), or (channels, n_mels, t) when not mono]
        With ``params.segment`` set, the segments stacked on a first axis
        (see :mod:`melcli.segment`).

    Raises
    ------
    ParameterError
        If the array is not of one of those shapes, holds no sample or more
        channels than samples (``soundfile.read``'s ``(n, channels)``: give
        its ``.T``), or a sample that is not finite; if ``sr`` is missing for
        an array or given with a file (resample with ``params.sr``), or
        ``source`` or ``params`` is of another type (``param`` names it).
    MelcliError
        If the file cannot be read, or the result is not finite (too loud for
        float32): as ``melcli mel`` fails such a file, in the same words, with
        a note naming the file (``exc.__notes__``, printed in a traceback).

    Examples
    --------
    >>> import numpy as np, melcli
    >>> y = np.sin(2 * np.pi * 440 * np.arange(22050) / 22050).astype(np.float32)
    >>> melcli.mel_spectrogram(y, sr=22050).shape
    (128, 44)
    """
    _check_source(source, sr=sr, params=params)
    params = (params or MelParams()).validate()
    if params.sr is not None and _a_presets_own(params):
        settings_warnings(params)  # its documented quirks, cached without a word
    try:
        return _spectrogram(source, sr=sr, params=params)
    except MelcliError as exc:
        if not isinstance(source, np.ndarray):  # the traceback names the file
            exc.add_note(f"while computing {os.fsdecode(source)}")
        raise


def _spectrogram(
    source: str | os.PathLike[str] | np.ndarray, *, sr: int | None, params: MelParams
) -> np.ndarray:
    """Do :func:`mel_spectrogram`'s work, with its settings validated."""
    if isinstance(source, np.ndarray):
        if (
            isinstance(sr, bool)
            or not isinstance(sr, int | float | np.integer | np.floating)
            or not math.isfinite(sr)
            or sr <= 0
        ):
            raise ParameterError(f"sr={sr!r} must be a positive number", param="sr")
        if source.dtype.kind not in "fiub":  # complex, strings, objects
            raise ParameterError(
                f"source of dtype {source.dtype} must hold real numbers (samples)"
            )
        y = np.asarray(source, dtype=np.float32)
        _check_samples(y)
        if params.mono and y.ndim == 2:
            y = audio.to_mono(y.T)
        elif not params.mono and y.ndim == 1:
            y = y[np.newaxis]
        y, sr = audio.to_rate(y, sr, params)
        if params.clip_duration is not None:
            y = clip.clip_waveform(y, sr=sr, params=params)
    else:
        wave = clip.load(source, params, key=os.path.basename(source))
        y, sr = wave.y, wave.sr
    params.check_sr(sr)
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        if params.segment is not None:  # (n_segments, ...), as "stack" lays them
            blocks = [y[np.newaxis] if y.ndim == 1 else y]
            S_db = np.stack(
                [S for _, S in segment.spectrograms(blocks, sr=sr, params=params)]
            )
        else:
            S_db = transform.features(y, sr=sr, params=params)
    if not np.isfinite(S_db).all():  # as process_one fails such a file
        raise MelcliError(transform.why_not_finite(y, sr=sr, params=params))
    return S_db


def _check_source(source: object, *, sr: object, params: object) -> None:
    """Refuse what :func:`mel_spectrogram` is given wrong, naming the keyword.

    ``params={...}`` raised AttributeError, a list of samples TypeError; an
    array without ``sr`` was a MelcliError (a file's fault, not a setting);
    ``sr`` with a file was passed over without a word (the file was
    resampled to ``params.sr``, not to it).
    """
    if params is not None and not isinstance(params, MelParams):
        raise ParameterError(
            f"params must be a melcli.MelParams or None, not {type(params).__name__} "
            "(params=melcli.MelParams(...))",
            param="params",
        )
    if isinstance(source, np.ndarray):
        if sr is None:
            raise ParameterError(
                "sr is required when source is an array: the rate of its samples",
                param="sr",
            )
    elif isinstance(source, str | bytes | os.PathLike):
        if sr is not None:
            raise ParameterError(
                f"sr={sr!r} is the rate of an array source; a file's own is read "
                "from it, and the rate to resample to is params.sr "
                f"(params=melcli.MelParams(sr={sr!r}))",
                param="sr",
            )
    else:
        raise ParameterError(
            f"source must be a path or a numpy array of samples, not "
            f"{type(source).__name__} (np.asarray(samples, dtype=np.float32))",
            param="source",
        )


def _check_samples(y: np.ndarray) -> None:
    """Refuse samples :func:`mel_spectrogram` cannot take, in words.

    librosa makes a spectrogram of zeros of an empty signal and one of NaN of
    a signal holding one: ``melcli mel`` fails such a file, and so does this.
    """
    if y.ndim not in (1, 2) or y.shape[-1] == 0:
        raise ParameterError(
            f"source of shape {y.shape} must hold samples of shape (n,) or "
            "(channels, n), n > 0"
        )
    if y.ndim == 2 and y.shape[0] > y.shape[1]:
        # soundfile.read's layout: a stereo file made 66150 "channels" of 2
        # samples, and a (128, 1) spectrogram of nothing, without a word.
        raise ParameterError(
            f"source of shape {y.shape} holds more channels than samples: samples "
            "are (channels, n), as librosa takes them; soundfile.read gives "
            "(n, channels): pass its transpose, y.T"
        )
    if not np.isfinite(y).all():
        raise ParameterError(
            "source holds samples that are not finite numbers (NaN or infinity, "
            "as float32)"
        )


def process_one(
    job: Job,
    *,
    params: MelParams,
    render: RenderParams | None = None,
    ahead: Ahead | None = None,
) -> Result:
    """Turn one input into its outputs; report failures instead of raising.

    Parameters
    ----------
    job : Job
        The input and its output paths.
    params : MelParams
        Validated settings.
    render : RenderParams or None
        How the PNG (if ``job.png``) is drawn; the default figure when omitted.
    ahead : Ahead or None
        ``job``'s waveform, already loaded by :func:`load_ahead`.

    Returns
    -------
    Result
        ``WRITTEN`` with the array's shape and the source's header facts, or
        ``FAILED`` with the cause in words. Warnings raised while processing
        this file are attached to its result.
    """
    if params.segment is not None:
        return process_segmented(job, params=params)
    timings: dict[str, float] = {} if ahead is None else dict(ahead.timings)
    info = None
    sr = 0
    shape: tuple[int, ...] = ()
    glance = None  # the waveform at a glance, for the gallery
    S_db: np.ndarray | None = None
    with _one_file() as outcome:
        if ahead is not None:
            wave: audio.Waveform | None = ahead.wave
        else:
            limit = stream.STREAM_SECONDS if stream.can_stream(params) else None
            wave = clip.load(
                job.src_name, params, key=job.rel, timings=timings, max_seconds=limit
            )
        if wave is None:  # too long to decode whole: streamed block by block
            streamed = stream.stream_to_npy(
                job.src, job.npy, params=params, timings=timings
            )
            info, shape = streamed.info, streamed.shape
            sr = streamed.sr  # the array read back for the PNG only (below)
        else:
            info, sr = wave.info, wave.sr
            params.check_sr(sr)
            # Overflow shows as a non-finite array, reported below in words.
            with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
                if ahead is not None and ahead.power is not None:
                    for message in ahead.warned:  # as if made now, for this file
                        warnings.warn(message, stacklevel=1)
                    S_db = transform.finish(ahead.power, params=params, timings=timings)
                else:
                    S_db = transform.features(
                        wave.y, sr=sr, params=params, timings=timings
                    )
            shape = S_db.shape
            if not np.isfinite(S_db).all():
                raise MelcliError(
                    transform.why_not_finite(wave.y, sr=sr, params=params)
                )
            t0 = time.perf_counter()
            save_npy(job.npy_name, S_db)
            timings["write"] = time.perf_counter() - t0
            glance = waveform.summarize(wave.y)
        t1 = time.perf_counter()
        if job.png is not None:
            try:
                if S_db is None:  # streamed: read back
                    S_db = _read_back(job.npy)
                y = None if wave is None else wave.y  # not decoded again
                _render(job, S_db, sr=sr, params=params, render=render, y=y)
            except BaseException:
                # A failed file leaves no outputs behind, not half a pair.
                job.npy.unlink(missing_ok=True)
                raise
            timings["render"] = time.perf_counter() - t1
    status = outcome.status
    return Result(
        src=job.src,
        status=status,
        reason=outcome.reason,
        warnings=outcome.warnings,
        silent=outcome.silent and status is Status.WRITTEN,
        outputs=job.outputs if status is Status.WRITTEN else (),
        shape=tuple(shape),
        samplerate=info.samplerate if info else 0,
        channels=info.channels if info else 0,
        duration=info.duration if info else 0.0,
        sr=sr if status is Status.WRITTEN else 0,
        timings=timings,
        wave=glance if status is Status.WRITTEN else None,
    )


def process_segmented(job: Job, *, params: MelParams) -> Result:
    """Cut one input into segments and write them (see :mod:`melcli.segment`)."""
    timings: dict[str, float] = {}
    done = None
    with _one_file() as outcome:
        done = segment.write(job, params=params, timings=timings)
    ok = outcome.status is Status.WRITTEN and done is not None
    info = done.info if done is not None else None
    return Result(
        src=job.src,
        status=outcome.status,
        reason=outcome.reason,
        warnings=outcome.warnings,
        silent=outcome.silent and ok,
        outputs=done.outputs if ok and done else (),
        shape=done.shape if done else (),
        samplerate=info.samplerate if info else 0,
        channels=info.channels if info else 0,
        duration=info.duration if info else 0.0,
        sr=done.sr if ok and done else 0,
        timings=timings,
        segments=done.starts if done else (),
        wave=done.wave if ok and done else None,
    )


@dataclass
class _Outcome:
    status: Status = Status.WRITTEN
    reason: str = ""
    warnings: tuple[str, ...] = ()
    silent: bool = False


@contextlib.contextmanager
def _one_file() -> Iterator[_Outcome]:
    """Attribute one file's warnings to it, and turn its errors into a reason.

    Any ``Exception`` becomes a ``FAILED`` outcome (a bad file must not stop
    the batch), except a file shorter than ``min_duration``: ``SKIPPED``.
    ``KeyboardInterrupt`` and ``SystemExit`` go through.
    """
    outcome = _Outcome()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            yield outcome
        except audio.TooShort as exc:
            outcome.status, outcome.reason = Status.SKIPPED, str(exc)
        except MelcliError as exc:
            outcome.status, outcome.reason = Status.FAILED, str(exc)
        except Exception as exc:
            outcome.status, outcome.reason = Status.FAILED, describe_exception(exc)
    outcome.warnings = tuple(dict.fromkeys(str(w.message) for w in caught))
    outcome.silent = any(issubclass(w.category, audio.SilentInput) for w in caught)


def settings_warnings(params: MelParams) -> list[str]:
    """Return the warnings that the settings raise whatever the file.

    With a fixed ``sr`` every file shares one mel filterbank (Kaldi's, for
    ``kind="fbank"``), so a problem with it (an empty filter: too many mels
    for the rate) belongs to the
    settings, not to whichever file computed it first. Computing it here
    caches it in this process (and in workers forked from it), so that no
    file repeats the warning.
    """
    if params.sr is None or params.kind == "stft":
        return []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            params.check_sr(params.sr)
            if params.kind == "fbank":
                from . import fbank

                fbank.filters(params.sr, params=params)
            else:
                transform.mel_basis(params.sr, params=params)
        except MelcliError:
            return []  # every file fails with the reason
    if not caught or _a_presets_own(params):
        return []  # the filters are cached: no file warns either
    return list(dict.fromkeys(str(w.message) for w in caught))


def _a_presets_own(params: MelParams) -> bool:
    """Whether ``params`` hold every setting of one preset, quirks documented.

    A preset reproduces its model's extractor, which warns about nothing:
    AST's empty Kaldi filter is the model's own, said in its notes
    (``melcli presets ast``), and a warning on every run could not be acted on.
    Settings the preset leaves free (``clip_duration``, ``min_duration``,
    ``dtype``...) do not make it another; one it pins, changed, does.
    """
    from .presets import PRESETS

    for preset in PRESETS.values():
        own = preset.params()
        if all(getattr(params, name) == getattr(own, name) for name in preset.settings):
            return True
    return False


# ---------------------------------------------------------------- one task
def process_task(
    task: Task,
    *,
    params: MelParams,
    render: RenderParams | None = None,
    ahead: Ahead | None = None,
) -> Result:
    """Run ``task`` (picklable entry point for the runners).

    ``ahead`` is its waveform if :func:`load_ahead` loaded it.
    """
    with task_scope():
        if task.render_only:
            return render_one(task.job, params=params, sr=task.sr, render=render)
        return process_one(task.job, params=params, render=render, ahead=ahead)


# ------------------------------------------------------------ several tasks
@dataclass(frozen=True)
class Ahead:
    """A task's waveform, loaded (and resampled) before its turn, and what it took."""

    wave: audio.Waveform
    timings: dict[str, float]
    #: Its mel power spectrogram, if made with those of its shape (see
    #: :func:`_mel_ahead`), and the warnings making it raised: the file's own.
    power: np.ndarray | None = None
    warned: tuple[Warning, ...] = ()


#: Inputs of at most this many bytes, and this many seconds, are loaded
#: ahead by :func:`load_ahead`: above that, designing the resampler's filter
#: is no longer much of a file's cost. (A small compressed file can hold
#: minutes: the length is checked from its header before it is decoded.)
AHEAD_MAX_BYTES = 1 << 20
AHEAD_MAX_SECONDS = 10.0
#: Decoded samples (all channels) held ahead at once, at most: 32 MB of
#: float32, before resampling.
AHEAD_MAX_SAMPLES = 1 << 23
#: A decoded input of more samples than this (all channels, before
#: resampling: 512 KiB of float32, 3 s at 44.1 kHz mono) gains nothing from
#: being loaded with others: its mel spectrogram is too long to be made with
#: theirs, and the resampler's filter (30-260 us) is a small part of its
#: cost; several of them held and resampled as one block cost more than one
#: by one (10-s FLAC clips: 3-7% more CPU a file, and a fresh huge page a
#: file; bench/README.md, issue 19, "twenty-seventh round").
AHEAD_MAX_FILE_SAMPLES = 1 << 17


def load_ahead(
    tasks: Sequence[Task],
    *,
    params: MelParams,
    started: Callable[[int], None] | None = None,
) -> dict[str, Ahead]:
    """Load the waveforms of small inputs, resampling those of one shape together.

    What a worker does with the tasks of one message before it runs them:
    soxr designs one filter for a call, which is most of the cost of
    resampling a short clip, so inputs of one length, channel count and rate
    are resampled as the channels of one signal (:func:`audio.resample_many`:
    the same numbers as one by one).

    Inputs already at ``params.sr`` gain nothing, nor inputs longer than
    :data:`AHEAD_MAX_FILE_SAMPLES`: loading stops at the first one (the others
    are likely alike; that one is kept, resampled alone), and once
    :data:`AHEAD_MAX_SAMPLES` are held. Only what loads exactly as
    :func:`process_one` would load it alone is kept: a task that is not a
    small input's whole array (``stamp`` at most :data:`AHEAD_MAX_BYTES`, and
    at most :data:`AHEAD_MAX_SECONDS` long), an input that fails or warns
    while loading, and every task when ``params`` clip, segment or resample
    otherwise than soxr, are left out, for :func:`process_one` to load (and
    fail, or warn, as the file's own).
    ``started(i)`` is called before ``tasks[i]`` is opened: if a decoder
    crashes the process, that one is to blame.

    Returns
    -------
    dict of str to Ahead
        By ``task.job.src_name``.
    """
    if (
        len(tasks) < 2
        or params.sr is None
        or params.segment is not None
        or params.clip_duration is not None
        or not params.res_type.startswith("soxr")
    ):
        return {}
    loaded: dict[str, Ahead] = {}
    held = 0  # samples
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for i, task in enumerate(tasks):
            stamp = task.job.stamp
            if task.render_only or not stamp or stamp[0] > AHEAD_MAX_BYTES:
                continue
            if held >= AHEAD_MAX_SAMPLES:
                break
            if started is not None:
                started(i)
            timings: dict[str, float] = {}
            before = len(caught)
            try:
                wave = audio.load(
                    task.job.src_name,
                    params,
                    timings=timings,
                    max_seconds=AHEAD_MAX_SECONDS,  # longer: None, not decoded
                    resampled=False,
                )
            except Exception:
                continue
            if wave is not None and len(caught) == before:
                loaded[task.job.src_name] = Ahead(wave, timings)
                held += wave.y.size
                if wave.sr == params.sr or wave.y.size > AHEAD_MAX_FILE_SAMPLES:
                    break  # at the rate asked for, or long: nothing to gain
    return _resampled(loaded, params=params)


def _resampled(loaded: dict[str, Ahead], *, params: MelParams) -> dict[str, Ahead]:
    """Resample the waveforms of each shape and rate in one call."""
    assert params.sr is not None
    groups: dict[tuple[int, tuple[int, ...]], list[str]] = {}
    for name, ahead in loaded.items():
        groups.setdefault((ahead.wave.sr, ahead.wave.y.shape), []).append(name)
    for (rate, _shape), names in groups.items():
        t0 = time.perf_counter()
        ys = audio.resample_many(
            [loaded[name].wave.y for name in names],
            orig_sr=rate,
            target_sr=params.sr,
            res_type=params.res_type,
        )
        share = (time.perf_counter() - t0) / len(names)
        for name, y in zip(names, ys, strict=True):
            ahead = loaded[name]
            ahead.timings["resample"] = share
            loaded[name] = Ahead(
                dataclasses.replace(ahead.wave, y=y, sr=params.sr), ahead.timings
            )
        _mel_ahead(loaded, names, params=params)
    return loaded


#: Bytes of windowed frames (float64: ``8 * n_fft`` a frame) :func:`_mel_ahead`
#: makes in one call, at most: with their FFT (complex128, then complex64)
#: and power, the call's temporaries are about 2.5 times that, 10 MB (256
#: frames at ``n_fft=2048``, 64 at 8192), whatever ``n_fft``.
AHEAD_MEL_BYTES = 1 << 22


def _mel_ahead(
    loaded: dict[str, Ahead], names: list[str], *, params: MelParams
) -> None:
    """Make the mel power spectrograms of waveforms of one shape together.

    A tiny clip's mel spectrogram (3 frames) costs mostly the calls of its
    steps (framing, FFT, power, the mel product: tens of numpy calls), not
    their arithmetic: stacked as the channels of one signal, ``names`` pay
    them once per call of up to :data:`AHEAD_MEL_BYTES` of frames. Each file's
    spectrogram is the same, bit for bit, as made alone (every step works on
    each channel apart: the tests check it). The warnings raised are each
    file's (all have the same length), told again when its turn comes; if
    the call fails, each file is made alone, and fails as its own.
    """
    if params.kind not in ("mel", "mfcc") or params.sr is None or len(names) < 2:
        return
    frames = transform.n_frames(loaded[names[0]].wave.y.shape[-1], params)
    per_call = AHEAD_MEL_BYTES // (8 * params.n_fft * max(frames, 1))
    if frames < 1 or per_call < 2:
        return
    sr = params.sr
    try:
        # The basis warns where it is first made (cached after that): that
        # warning is the first file's, as if made alone, not every file's.
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            transform.mel_basis(sr, params=params)
    except Exception:
        return
    first = _messages(caught)
    for at in range(0, len(names), per_call):
        group = names[at : at + per_call]
        if len(group) < 2:
            continue
        timings: dict[str, float] = {}
        try:
            with (
                warnings.catch_warnings(record=True) as caught,
                np.errstate(over="ignore", divide="ignore", invalid="ignore"),
            ):
                warnings.simplefilter("always")
                ys = np.stack([loaded[name].wave.y for name in group])
                S = transform.mel_power(ys, sr=sr, params=params, timings=timings)
        except Exception:
            continue
        warned = _messages(caught)
        share = {stage: seconds / len(group) for stage, seconds in timings.items()}
        for i, name in enumerate(group):
            ahead = loaded[name]
            loaded[name] = Ahead(
                ahead.wave,
                {**ahead.timings, **share},
                power=S[i],
                warned=first + warned if i == 0 else warned,
            )
        first = ()


def _messages(caught: list[warnings.WarningMessage]) -> tuple[Warning, ...]:
    return tuple(w.message for w in caught if isinstance(w.message, Warning))


def _read_back(npy: Path) -> np.ndarray:
    """Return the array just streamed to ``npy``, read (never memory-mapped).

    OUT's file: another program may have cut it short since it was written,
    and a mapping of it would kill the process (SIGBUS) when it is drawn.

    Raises
    ------
    MelcliError
        Naming the file and why it could not be read back.
    """
    try:
        return load_npy(npy)
    except (OSError, ValueError) as exc:
        reason = os_reason(exc) if isinstance(exc, OSError) else str(exc)
        raise MelcliError(f"{npy}: just written, not read back: {reason}") from None


def _existing_array(npy: Path, *, params: MelParams) -> np.ndarray | None:
    """Return the up-to-date array at ``npy``, or None if it is not one.

    OUT may be stale or crafted, and a size and time can be kept while the
    bytes change: an array whose header does not fit its file, of another
    type or rank than ``params`` make, empty, or not finite is no output of
    this run's settings (see :func:`melcli.outdir.load_npy`).
    """
    try:
        S_db = load_npy(npy)
    except (OSError, ValueError):
        return None
    rank = 2 if params.mono else 3
    if S_db.dtype != np.dtype(params.dtype) or S_db.ndim != rank or not S_db.size:
        return None
    if not np.isfinite(S_db).all():
        return None
    return S_db


def _render(
    job: Job,
    S_db: np.ndarray,
    *,
    sr: int,
    params: MelParams,
    render: RenderParams | None,
    y: np.ndarray | None = None,
) -> None:
    """Draw ``job``'s PNG of ``S_db``, titled with its path under SRC.

    ``y``: the samples ``S_db`` was computed from, for a waveform panel
    (without them, the file is decoded again for it).
    """
    from .render import render_png

    assert job.png is not None
    render_png(
        job.png,
        S_db,
        sr=sr,
        params=params,
        title=job.rel,
        render=render,
        source=job.src,
        key=job.rel,
        y=y,
    )


def render_one(
    job: Job, *, params: MelParams, sr: int, render: RenderParams | None = None
) -> Result:
    """Render the PNG of an array that is already up to date."""
    assert job.png is not None
    S_db = _existing_array(job.npy, params=params)
    if S_db is None:  # not the array this run would write: made again
        return process_one(job, params=params, render=render)
    with _one_file() as outcome:
        _render(job, S_db, sr=sr, params=params, render=render)
    return Result(
        src=job.src,
        status=outcome.status,
        reason=outcome.reason,
        warnings=outcome.warnings,
        outputs=(job.png,) if outcome.status is Status.WRITTEN else (),
        sr=sr,
    )


__all__ = [
    "Ahead",
    "load_ahead",
    "mel_spectrogram",
    "process_one",
    "process_segmented",
    "process_task",
    "render_one",
]

"""Segments: each file cut into fixed windows, one spectrogram per window.

With ``segment`` set, the resampled waveform is cut into windows of
``size = round(segment * sr)`` samples starting every
``hop = round(segment_hop * sr)`` samples (``segment_hop`` defaults to
``segment``: back to back). Each window is a clip of its own: its spectrogram
is computed alone (with ``ref="max"``, 0 dB is the window's own peak), so every
segment has ``1 + size // hop_length`` frames (centred STFT, even ``n_fft``;
see :func:`melcli.clip.clip_frames` for the general formula).

**The last window, and short files.** A window starts at every multiple of
``hop`` before the end of the signal (``n`` samples), as long as it holds
samples the window before it does not; a window that runs past the end is
zero-padded to ``size``. So every sample is in a segment (unless ``hop`` is
larger than ``size``: then the gaps are skipped), and::

    n_segments = 1 + max(0, min(ceil(n / hop) - 1, ceil((n - size) / hop)))
               = 1 + ceil(max(0, n - size) / hop)      when hop <= size

A file shorter than one segment gives one segment, zero-padded.

**Layouts.** ``segment_layout="stack"`` writes one array per file,
``(n_segments, n_mels, frames)`` (``(n_segments, channels, n_mels, frames)``
with ``mono=False``). ``"files"`` writes one array per segment,
``NAME.000.npy``, ``NAME.001.npy``, ... (at least three digits; see
:func:`segment_path`). Segment ``k`` starts ``offset + k * hop / sr`` seconds
into the file; the manifest records these start times.

Long files are cut as they are decoded (block by block): the waveform is never
held whole.
"""

from __future__ import annotations

import dataclasses
import math
import os
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .discover import Job
from .errors import MelcliError, ParameterError
from .params import MelParams
from .write import TEMP_SUFFIX, remove_files, save_npy

if TYPE_CHECKING:
    import numpy as np

    from . import audio

# Naming and planning segments (most of this module) needs neither numpy nor
# the decoders: the functions that cut and compute import them, so that
# planning a run (an up-to-date re-run) never loads them.

#: How segment ``k`` of ``NAME.npy`` is named: ``NAME.000.npy``.
SEGMENT_SUFFIX = ".{index:03d}.npy"


def segment_path(npy: Path, index: int) -> Path:
    """Return where segment ``index`` of the array ``npy`` goes.

    ``OUT/a.npy`` → ``OUT/a.000.npy``, ``OUT/a.001.npy``, ... (``.npy`` is
    replaced; other suffixes are kept: ``take.2.npy`` → ``take.2.000.npy``).
    A staging file keeps its temporary suffix last:
    ``.stage-3.npy.melcli-tmp`` → ``.stage-3.000.npy.melcli-tmp``.
    """
    name, temp = _split_temp(npy.name)
    stem = name[: -len(".npy")] if name.endswith(".npy") else name
    return npy.with_name(stem + SEGMENT_SUFFIX.format(index=index) + temp)


def unsegmented(first: Path) -> Path:
    """Invert ``segment_path(npy, 0)``: ``OUT/a.000.npy`` → ``OUT/a.npy``."""
    suffix = SEGMENT_SUFFIX.format(index=0)
    name, temp = _split_temp(first.name)
    assert name.endswith(suffix), first
    return first.with_name(name[: -len(suffix)] + ".npy" + temp)


def _split_temp(name: str) -> tuple[str, str]:
    """Split a staging file's temporary suffix off its name (see webdataset.py)."""
    if name.startswith(".") and name.endswith(TEMP_SUFFIX):
        return name[: -len(TEMP_SUFFIX)], TEMP_SUFFIX
    return name, ""


def other_layout(npy: Path, *, params: MelParams) -> Path:
    """Return the output the same input has in the other layout.

    ``npy`` is a job's array as :func:`plan_job` lays it out under ``params``:
    ``OUT/a.000.npy`` (one file per segment) ↔ ``OUT/a.npy`` (one array).
    """
    if files_layout(params):
        return unsegmented(npy)
    return segment_path(npy, 0)


def files_layout(params: MelParams) -> bool:
    """Return whether ``params`` write one file per segment."""
    return params.segment is not None and params.segment_layout == "files"


def claimed_by(keys: set[str], *, params: MelParams) -> Callable[[str], bool]:
    """Return a test of whether an output name belongs to one of ``keys``' jobs.

    ``keys`` are a run's manifest keys; with one file per segment, a key
    ``X.000.npy`` also claims ``X.001.npy``, ``X.002.npy``, ...
    """
    files = files_layout(params)
    bases = {k[: -len(".000.npy")] for k in keys if k.endswith(".000.npy")}

    def claimed(name: str) -> bool:
        if name in keys:
            return True
        return files and segment_base(name) in bases

    return claimed


def segment_base(name: str) -> str | None:
    """Return ``NAME`` of a segment file name ``NAME.000.npy``, or None if not one.

    The index has three digits or more (``NAME.1000.npy`` follows
    ``NAME.999.npy``); ``NAME`` is any text, even empty or with newlines.
    """
    match = _SEGMENT_NAME.fullmatch(name)
    return None if match is None else match[1]


_SEGMENT_NAME = re.compile(r"(.*)\.\d{3,}\.npy", re.DOTALL)


def more_segments(npy: Path, *, params: MelParams) -> list[Path]:
    """Return the segments after the first that exist for a job's array ``npy``.

    With one file per segment, ``npy`` is ``NAME.000.npy`` (see
    :func:`plan_job`): this lists ``NAME.001.npy``, ``NAME.002.npy``, ...
    in its folder. Without, there are none.
    """
    if not files_layout(params):
        return []
    base = unsegmented(npy).name[: -len(".npy")]
    try:
        names = os.listdir(npy.parent)
    except OSError:
        return []
    return [
        npy.parent / name
        for name in names
        if name != npy.name and segment_base(name) == base
    ]


def plan_job(job: Job, *, params: MelParams) -> Job:
    """Return ``job`` as the settings lay out its outputs.

    With ``segment_layout="files"`` its ``npy`` is the first segment's path,
    which every input writes: its manifest key. (Collisions, found on
    ``NAME.npy`` when planning, are the same: ``a.wav`` and ``a.flac`` would
    both write ``a.000.npy``, ``a.001.npy``, ...)
    """
    if not files_layout(params):
        return job
    return job.replace(npy=segment_path(job.npy, 0))


def check_png(png: bool, params: MelParams) -> None:
    """Reject PNG renders of segments: there is no single image of a file then."""
    if png and params.segment is not None:
        raise ParameterError(
            f"segment={params.segment!r} cannot be combined with png=True",
            param="segment",
        )


def sizes(params: MelParams, sr: float) -> tuple[int, int]:
    """Return ``(size, hop)`` in samples at ``sr``."""
    assert params.segment is not None
    hop_seconds = params.segment if params.segment_hop is None else params.segment_hop
    return round(params.segment * sr), round(hop_seconds * sr)


def n_segments(n: int, *, size: int, hop: int) -> int:
    """Return how many segments a signal of ``n`` samples gives (module notes)."""
    return 1 + max(0, min(math.ceil(n / hop) - 1, math.ceil((n - size) / hop)))


def windows(
    blocks: Iterable[np.ndarray], *, size: int, hop: int
) -> Iterator[tuple[int, np.ndarray]]:
    """Cut a stream of blocks [shape=(channels, m)] into ``(start, window)`` pairs.

    Windows are ``(channels, size)``; the policy for the end is in the module
    notes. Only about ``size + hop`` samples are held at a time.
    """
    import numpy as np

    buf: np.ndarray | None = None
    base = 0  # sample index of buf[..., 0]
    k = 0
    for block in blocks:
        buf = block if buf is None else np.concatenate([buf, block], axis=-1)
        end = base + buf.shape[-1]
        while k * hop + size <= end:
            a = k * hop - base
            yield k * hop, buf[..., a : a + size]
            k += 1
        drop = min(k * hop, end) - base
        if drop > 0:
            buf = buf[..., drop:]
            base += drop
    if buf is None:
        return
    n = base + buf.shape[-1]
    while k * hop < n and (k == 0 or (k - 1) * hop + size < n):
        a = k * hop - base
        tail = buf[..., a:]
        pad = [(0, 0)] * (tail.ndim - 1) + [(0, size - tail.shape[-1])]
        yield k * hop, np.pad(tail, pad)
        k += 1


def spectrograms(
    blocks: Iterable[np.ndarray],
    *,
    sr: int,
    params: MelParams,
    timings: dict[str, float] | None = None,
) -> Iterator[tuple[int, np.ndarray]]:
    """Yield ``(start sample, S_db)`` for each segment of the waveform ``blocks``.

    ``blocks`` are ``(channels, m)`` pieces of the resampled waveform (one
    channel when ``params.mono``); each ``S_db`` is ``(n_mels, frames)``, or
    ``(channels, n_mels, frames)`` when not ``params.mono``.

    Raises
    ------
    MelcliError
        For a spectrogram that is not finite.
    """
    import numpy as np

    from . import transform

    size, hop = sizes(params, sr)
    for start, y in windows(blocks, size=size, hop=hop):
        y = np.ascontiguousarray(y[0] if params.mono else y)
        # Overflow, or the log of zero, shows as a non-finite array: said in words.
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            S_db = transform.features(y, sr=sr, params=params, timings=timings)
        if not np.isfinite(S_db).all():
            raise MelcliError(transform.why_not_finite(y, sr=sr, params=params))
        yield start, S_db


@dataclass(frozen=True)
class Segmented:
    """What :func:`write` produced."""

    outputs: tuple[Path, ...]
    #: Shape of the stacked array, or of each segment's array.
    shape: tuple[int, ...]
    #: Start of each segment, in seconds from the start of the file.
    starts: tuple[float, ...]
    info: audio.AudioInfo
    sr: int
    #: The whole input's waveform at a glance (:func:`melcli.waveform.summarize`),
    #: when it was held in memory.
    wave: dict[str, object] | None = None


def write(
    job: Job,
    *,
    params: MelParams,
    timings: dict[str, float] | None = None,
) -> Segmented:
    """Decode ``job.src``, cut it into segments and write them.

    Files up to :data:`melcli.stream.STREAM_SECONDS` are decoded whole (as
    :func:`melcli.audio.load` does); longer ones block by block (with the soxr
    resamplers, whatever the kind of spectrogram: each segment is computed in
    memory). Nothing is left under a final name if this raises.

    Raises
    ------
    MelcliError
        As :func:`melcli.audio.load`, or for a non-finite spectrogram.
    """
    import numpy as np

    from . import audio, stream

    limit = stream.STREAM_SECONDS if stream.can_stream_waveform(params) else None
    wave = audio.load(job.src, params, timings=timings, max_seconds=limit)
    if wave is None:  # too long to decode whole: block by block
        done = None
        try:
            with audio.open_audio(job.src, params) as (f, info, notes):
                sr = info.samplerate if params.sr is None else params.sr
                params.check_sr(sr)
                blocks = (y for y, _ in stream.resampled_blocks(f, info, params, sr=sr))
                done = _write_windows(
                    job, blocks, sr=sr, params=params, info=info, timings=timings
                )
        except BaseException:
            # The file is judged when reading ends (cut short, non-finite):
            # segments written before that go.
            if done is not None:
                remove_files(done.outputs)
            raise
        audio.warn_notes(notes)
        return done
    params.check_sr(wave.sr)
    y = wave.y[np.newaxis] if wave.y.ndim == 1 else wave.y
    done = _write_windows(
        job, [y], sr=wave.sr, params=params, info=wave.info, timings=timings
    )
    from .waveform import summarize

    return dataclasses.replace(done, wave=summarize(wave.y))


def _write_windows(
    job: Job,
    blocks: Iterable[np.ndarray],
    *,
    sr: int,
    params: MelParams,
    info: audio.AudioInfo,
    timings: dict[str, float] | None,
) -> Segmented:
    import numpy as np

    files = params.segment_layout == "files"
    base = unsegmented(job.npy) if files else job.npy
    written: list[Path] = []
    stack: list[np.ndarray] = []
    starts: list[float] = []
    shape: tuple[int, ...] = ()
    try:
        for start, S_db in spectrograms(blocks, sr=sr, params=params, timings=timings):
            starts.append(round(params.offset + start / sr, 6))
            shape = S_db.shape
            if files:
                path = segment_path(base, len(written))
                save_npy(path, S_db)
                written.append(path)
            else:
                stack.append(S_db)
        if not files:
            S_stack = np.stack(stack)
            shape = S_stack.shape
            save_npy(job.npy, S_stack)
            written.append(job.npy)
    except BaseException:
        remove_files(written)  # a failed file leaves no segments behind
        raise
    return Segmented(
        outputs=tuple(written),
        shape=tuple(shape),
        starts=tuple(starts),
        info=info,
        sr=sr,
    )


__all__ = [
    "Segmented",
    "check_png",
    "claimed_by",
    "files_layout",
    "more_segments",
    "n_segments",
    "other_layout",
    "plan_job",
    "segment_path",
    "sizes",
    "spectrograms",
    "unsegmented",
    "windows",
    "write",
]

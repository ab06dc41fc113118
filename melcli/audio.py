"""Decode → mix to mono → resample: the waveform stage of the pipeline.

Decoding goes through :mod:`soundfile` (libsndfile) for every format, exactly as
``librosa.load`` does first; melcli never falls back to audioread, so a file
decodes the same way, or fails with the same clear message, under librosa 0.11
and 1.0. The arithmetic after decoding is librosa's: float32 samples, channels
averaged for mono, resampled with ``librosa.resample``'s conventions.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import io
import math
import os
import re
import stat
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, NoReturn, overload

import numpy as np
import soundfile as sf

from . import containers, interrupts
from .containers import Claim
from .errors import AudioError, ParameterError, number, os_reason
from .outdir import file_kind
from .params import KEPT_CUT, ZEROED, MelParams


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
    ParameterError
        If ``path`` is no path (``probe(3)`` read file descriptor 3).
    """
    if not isinstance(path, str | bytes | os.PathLike):
        raise ParameterError(
            f"path must be a path, not {type(path).__name__}", param="path"
        )
    _check_readable(path)
    depth = len(_SWAPS)
    try:
        with _native_stderr(), open_soundfile(path) as f:
            info = _info_of(f)
            # Counted as decoded: ffprobe does not know the length of a FLAC
            # that does not give it, and gives a chained Ogg's first link's.
            what = UNKNOWN_LENGTH_FLAC if _length_unknown(info) else None
            if info.format == "OGG" and containers.ogg_chained(path):
                what = CHAINED_OGG
            # Judged as a run judges the file before and after decoding it,
            # in the same order: a file cut short fails here as it fails there.
            claim = Claim()
            if what is None:
                info, claim = _header_claim(path, f, info)
            check_header(info, path=path)
            if info.frames == 0:  # cut before its audio, as open_audio says
                _check_no_frames(path, info, f)
            if claim.joined and info.format == "MP3":
                what = JOINED_MP3
            elif what is None:
                _check_flac_metadata(path, info)
                if info.format == "OGG" and (damage := containers.ogg_damage(path)):
                    # A run finds it decoding short; its pages say so here.
                    raise AudioError(f"corrupt: {damage}")
                if said := _CheckedFile(f, info, claim)._truncation():
                    raise AudioError(_undecoded(said, claim, info))
                if info.frames == 0 and f.seekable():  # as load says
                    raise AudioError("no audio samples (0 frames)")
        if what is not None:
            from . import ffmpeg

            links = containers.ogg_links(path) if what == CHAINED_OGG else []
            with ffmpeg.decode(path, what=what, links=links) as (raw, _):
                # At ffmpeg's rate, as a run decodes it: Opus at 48 kHz, which
                # libsndfile opens at the rate its header names (24 kHz...).
                info = dataclasses.replace(
                    info, frames=int(raw.frames), samplerate=int(raw.samplerate)
                )
            # ffmpeg decodes a cut chain to its cut without a word; a run
            # then fails it by its last page (see _open_decoder): so here.
            if what == CHAINED_OGG and (cut := _ffmpeg_cut(path, what)):
                raise AudioError(
                    containers.cut_after(info.frames, info.samplerate, cut)
                )
            if what == JOINED_MP3 and claim.cut:  # its frames walked, as a run's
                raise AudioError(
                    containers.cut_after(info.frames, info.samplerate, claim.cut)
                )
    except sf.SoundFileError as exc:
        from . import ffmpeg

        what = _through_ffmpeg(path)
        if what is None:
            raise AudioError(_describe_open_error(path, exc)) from None
        stream = ffmpeg.probe(path, what=what)
        info = AudioInfo(
            format=stream.format,
            subtype=stream.codec,
            samplerate=stream.samplerate,
            channels=stream.channels,
            frames=stream.frames,
        )
        if what == ffmpeg.AMR and not info.frames:  # ffprobe: no length, so short
            info = dataclasses.replace(info, frames=ffmpeg.amr_frames(path))
        if what == ffmpeg.MP4_OR_AAC and stream.format != "MP4":
            info = _adts_info(path, info)
        if cut := _ffmpeg_cut(path, what):
            # As a run says it (ffmpeg decodes such a file without a word),
            # but for how much decodes: ffprobe's length is the header's.
            if " first " in cut or " before its " in cut:
                raise AudioError(containers.cut_of_nothing(cut)) from None
            raise AudioError(f"truncated: {cut}") from None
        if info.frames == 0 and what == ffmpeg.AMR:  # as a run says it
            raise AudioError("no audio samples (0 frames)") from None
        if what == OGG_BEHIND_OTHER:  # ffprobe's length of Opus counts its pre-skip
            with ffmpeg.decode(path, what=what) as (raw, _):
                info = dataclasses.replace(info, frames=int(raw.frames))
    except BaseException:
        _undo_swaps(depth)  # a signal where _native_stderr could not
        raise
    check_header(info)
    return info


def _adts_info(path: str | os.PathLike[str], info: AudioInfo) -> AudioInfo:
    """Return a bare ADTS stream's header facts with the length its frames give.

    ffprobe guesses its length from the bitrate; its frames say what a run
    decodes (at ffmpeg's rate: HE-AAC's twice its frames' rate). One with
    bytes among its frames that are no frame fails, as a run stops there.
    """
    from . import ffmpeg

    adts = ffmpeg.adts_walk(path)
    if adts.junk:
        raise AudioError(adts.junk)
    if adts.samples and adts.samplerate:
        frames = adts.samples * info.samplerate // adts.samplerate
        info = dataclasses.replace(info, frames=frames)
    return info


def _undecoded(said: str, claim: Claim, info: AudioInfo) -> str:
    """Say a cut MP3 found without decoding as such: no "decoded 1.50 s" in it.

    libsndfile's length of an MP3 is its Xing/Info header's count, or an
    estimate from its bitrate, not what the file holds (other formats'
    lengths are what they hold: a WAV's from its size, an Ogg's from its
    last page): what a run decodes of it is not known without decoding.
    """
    if info.format == "MP3" and claim.cut and said.endswith(f", then {claim.cut}"):
        if " first " in claim.cut or " before its " in claim.cut:
            return f"truncated: decoded 0.00 s, then {claim.cut}"
        return f"truncated: {claim.cut}"
    return said


def _header_claim(
    path: str | os.PathLike[str], f: sf.SoundFile, info: AudioInfo
) -> tuple[AudioInfo, Claim]:
    """Return the header facts and what the container claims, as a run reads them.

    For a file libsndfile opened as ``f`` (not a FLAC of unknown length, nor
    a chained Ogg): the frames it holds are ``limit`` when its decoder would
    give more (a GSM 6.10 pad byte, the chunks after a W64's audio data).
    """
    log = _log(f, info)
    check_layout(path, f, info, log=log)
    _check_joined(path, info)
    if info.format in containers.JUDGED:
        claim = containers.claim(
            path, format=info.format, frames=info.frames, samplerate=info.samplerate
        )
    else:
        claim = _claimed_frames(f, info, log=log)
        if info.subtype.startswith("MPEG_LAYER"):
            claim = _mpeg_in_wav_claim(path, f, info, sized=claim.sized)
    if claim.limit is not None:
        info = dataclasses.replace(info, frames=claim.limit)
    if claim.estimated and claim.frames:  # the frames walked, not libmpg123's guess
        info = dataclasses.replace(info, frames=claim.frames)
    return info, _outer_claim(path, f, claim, log=log)


def _check_flac_metadata(path: str | os.PathLike[str], info: AudioInfo) -> None:
    """Fail a FLAC cut inside its metadata or frames, as a run fails it decoding.

    libsndfile opens one whose STREAMINFO is whole, and its first read fails
    (one cut in its frames, when decoding reaches the cut). For ``info``,
    which does not decode: a run finds the cut by decoding.
    """
    if info.format != "FLAC":
        return
    flac = containers.flac_header(path)
    if flac is not None and flac.cut_in_metadata and flac.frames and flac.samplerate:
        total = flac.frames / flac.samplerate
        raise AudioError(_stopped_at(0.0, total, FLAC_CUT_IN_METADATA))
    if said := _flac_tail(path):
        raise AudioError(said)


def _check_joined(path: str | os.PathLike[str], info: AudioInfo) -> None:
    """Fail a file another one follows, which libsndfile opens as its first alone.

    See :func:`containers.joined_file`; for the formats of
    :data:`containers.JOINED_UNSAID` (a WAV or AIFF so joined, libsndfile
    refuses: said when it does).
    """
    if info.format in containers.JOINED_UNSAID and (
        said := containers.joined_file(path)
    ):
        raise AudioError(said)


def _flac_tail(path: str | os.PathLike[str]) -> str:
    """Say how a FLAC was cut inside its frames, from its last frame, or "".

    Cut inside its frames, or shorter than its STREAMINFO says: a decoder
    loses sync there; its last frame tells without decoding (for ``info``,
    and for a run that reads only the start of the file).
    """
    if tail := containers.flac_tail_cut(path):
        decoded = _flac_decodes_to(path, tail)
        if decoded >= tail.total:
            return ""
        # Short of the walk's last frames: damage before them stops decoding.
        before = decoded < tail.decoded - 1
        cause = FLAC_LOST_SYNC if tail.frame_cut or before else FLAC_FRAMES_END
        sr = tail.samplerate
        return _stopped_at(decoded / sr, tail.total / sr, cause)
    return ""


#: Samples of a FLAC decoded in one read to settle what its last frame
#: header leaves open (:func:`_flac_decodes_to`); a longer stream is decoded
#: in blocks of :data:`READ_BLOCK`, as a run reads it.
_FLAC_SETTLE_WHOLE = 1 << 21


def _flac_decodes_to(path: str | os.PathLike[str], tail: containers.FlacTail) -> int:
    """Return the samples a FLAC its last frame headers show cut decodes to.

    The walk back from a file's end (:func:`containers.flac_tail_cut`) takes
    the last frame header it finds for the stream's last frame; after a
    whole stream, bytes that are no frame (junk appended, a copy of the
    file's start) hold frame headers too, or none whose CRC ends the file:
    such a file decodes whole, as a run finds, and is no cut; and a whole
    frame before such bytes decodes, as a run's decoding does. Decoding
    from the stream's start settles it, as a run reads it: never a seek to
    where the walk says the frames end, which libFLAC takes among the
    copied frames after the end (a 60-s stream with its first 100 kB
    appended was said cut at 7.71 s). Only a file the walk shows cut pays
    the decoding; a whole one is never decoded. A frame damaged before the
    walk's last ones stops decoding there, as a run's does: where it stops
    is said, not where the walk's frames end. The walk's figure when the
    file does not open.
    """
    if tail.total <= tail.decoded:
        return tail.decoded
    try:
        with _native_stderr(), open_soundfile(path) as f:
            if f.frames != tail.total:
                return tail.decoded
            got = _flac_decoded(f, tail.total)
    except (sf.SoundFileError, RuntimeError):
        return tail.decoded  # cut, as walked
    # libsndfile gives all but the last sample of a last frame it cannot
    # read past (that is where the walk's frames end), or no position at
    # all after a failed seek past it (0): the walk's figure.
    return tail.decoded if got <= 0 or tail.decoded - 1 <= got <= tail.decoded else got


def _flac_decoded(f: sf.SoundFile, total: int) -> int:
    """Decode ``f`` from its start as a run does: the samples it reaches.

    A stream of up to :data:`_FLAC_SETTLE_WHOLE` samples in one read (a
    run's of such a stream: libsndfile's FLAC reader fails reads in small
    steps where one read goes on, a psf_fseek() it makes); a longer one in
    blocks of :data:`READ_BLOCK`, and where a read fails, the decoder's
    position after it, as a run's :meth:`_CheckedFile._read_block` takes it.
    """
    got = 0
    try:
        if total <= _FLAC_SETTLE_WHOLE:
            return len(f.read(total, "int16"))
        while got < total:
            n = len(f.read(min(READ_BLOCK, total - got), "int16"))
            got += n
            if n == 0:
                break
    except (sf.SoundFileError, RuntimeError):
        with contextlib.suppress(sf.SoundFileError, RuntimeError):
            got = max(got, int(f.tell()))
    return got


def _ffmpeg_cut(path: str | os.PathLike[str], what: str) -> str:
    """Say how a file ffmpeg decodes was cut, from its own bytes, or "".

    The checks a run makes after ffmpeg decoded such a file without a word
    (see :func:`_open_decoder`): boxes, ADTS frames, WavPack blocks, ASF
    and Matroska sizes, Ogg pages, a piped CAF's sample frames, a CAF's
    chunks.
    """
    from . import ffmpeg

    if what == ffmpeg.MP4_OR_AAC:
        return containers.mp4_cut(path) or ffmpeg.adts_cut(path)
    if what in (ffmpeg.WAVPACK, ffmpeg.ASF, ffmpeg.MATROSKA, ffmpeg.AMR):
        return ffmpeg.walked_cut(path, what)
    if what in (OGG_FLAC, OGG_BEHIND_OTHER, CHAINED_OGG):
        return containers.claim(path, format="OGG", frames=0).cut
    if what == UNKNOWN_LENGTH_CAF:
        return containers.caf_to_the_end_cut(path)
    if what == CAF_CODEC:  # its packet table ('pakt') follows its audio
        return containers.cut_before_audio(path)
    return ""


class TooShort(AudioError):
    """The file is shorter than ``params.min_duration``: skipped, not failed."""


#: Native sampling rates outside this range fail before any decoding, in Hz: a
#: header claiming 1 Hz is damage, not audio, and resampling it to 22050 Hz
#: would turn an 8 KB file into gigabytes.
MIN_SAMPLERATE = 1000
MAX_SAMPLERATE = 1_000_000
#: More channels than this fail before decoding (a damaged header, or not audio).
MAX_CHANNELS = 256
#: Files with more samples than this (all channels) take the streaming path
#: even when shorter than its time threshold: 64 Mi samples are 256 MB.
MAX_IN_MEMORY_SAMPLES = 1 << 26
#: Frames decoded per read; a file is read in blocks so that a header that
#: claims more than the file holds cannot allocate more than it decodes.
READ_BLOCK = 1 << 20
#: Frames of a block looked at first for a sample that is not zero.
_HEAD = 1 << 12
#: Frames of 16-bit stereo mixed at a time (:func:`_pcm16_to_float`): 512 KB
#: of float32 pairs, which stay in a core's cache, where a whole 10-s clip's
#: float copy (3.5 MB) went through memory (bench/README.md, issue 19,
#: eleventh round).
MIX_BLOCK_FRAMES = 1 << 16


class SilentInput(UserWarning):
    """Every decoded sample is zero (digital silence); the array is constant."""


class _CheckedFile:
    """A :class:`soundfile.SoundFile` whose reads are checked as they go.

    Reads are done in blocks (non-seekable streams such as GSM 6.10 included);
    a decoding error after some audio marks the stream as cut short instead of
    raising; non-finite samples are replaced by zeros and counted; whether any
    sample was non-zero is tracked. :meth:`finish` then applies the policies.
    """

    def __init__(
        self,
        f: sf.SoundFile,
        info: AudioInfo,
        claim: Claim,
        *,
        reopen: Callable[[], sf.SoundFile] | None = None,
        path: str | os.PathLike[str] | None = None,
        start: int = 0,
    ) -> None:
        self._f = f
        #: The file, to say why a FLAC cut short decodes nothing.
        self.path = path
        #: Opens the file again, to keep what decodes before a decoding error
        #: (``truncated="keep"``); None: keep nothing after an error.
        self.reopen = reopen
        self.stopped_at = 0
        self.info = info
        #: What the container says about its length (see melcli.containers).
        self.claim = claim
        #: Frames the header says the file holds (may differ from ``info.frames``).
        self.claimed = info.frames if claim.frames is None else claim.frames
        #: Frames read at most: what the decoder gives after them is not audio.
        self.limit = claim.limit
        #: Where reading starts: a stream (not seekable) was read up to it.
        self.position = f.tell() if f.seekable() else start
        self.at_end = False
        self.error = ""
        self.n_nan = 0
        self.n_inf = 0
        self.n_read = 0
        self.nonzero = False
        #: Whether a stream cut short was kept, with a warning saying so.
        self.kept_cut = False
        #: Whether the caller leaves the decoding to another open of the file
        #: (a long file, streamed): a cut to keep is then said by that one.
        self.handed_over = False

    def __getattr__(self, name: str) -> object:
        return getattr(self._f, name)

    def read(
        self,
        frames: int = -1,
        dtype: str = "float64",
        always_2d: bool = False,
        **kwargs: object,
    ) -> np.ndarray:
        """Read up to ``frames`` frames (-1: to the end), as ``SoundFile.read``."""
        if kwargs:
            raise TypeError(f"unsupported arguments: {sorted(kwargs)}")
        channels = self.info.channels
        if frames < 0:
            # Fill what the header announces (bounded: it may lie), then read
            # on until the decoder says the stream has ended.
            seekable = self._f.seekable()
            expected = self.info.frames - self.position if seekable else 0
            cap = MAX_IN_MEMORY_SAMPLES // channels
            data = self._read_into(min(max(expected, 0), cap), dtype)
            if seekable and len(data) == expected:
                # soundfile never reads a seekable file past its frame count:
                # another read would return nothing.
                self.at_end = True
            more = []
            while not self.at_end:
                block = self._read_block(READ_BLOCK, dtype)
                if len(block):
                    more.append(block)
            if more:
                data = np.concatenate([data, *more])
        else:
            data = self._read_into(frames, dtype)
        return data if always_2d or channels > 1 else data[:, 0]

    def _read_into(self, frames: int, dtype: str) -> np.ndarray:
        """Read up to ``frames`` frames into one array, block by block.

        The array made first holds what the header says is left, at most: a
        ``duration`` may ask for far more than the file holds (``--duration
        1e9`` asked numpy for terabytes). What decodes beyond it is added.
        """
        if frames <= READ_BLOCK:
            return self._read_block(frames, dtype)
        left = max(self.info.frames - self.position, 0)
        size = min(frames, left, MAX_IN_MEMORY_SAMPLES // self.info.channels)
        out = np.empty((size, self.info.channels), dtype=dtype)
        n = 0
        while n < size and not self.at_end:
            block = self._read_block(min(READ_BLOCK, size - n), dtype)
            out[n : n + len(block)] = block
            n += len(block)
        if n < size or n == frames or self.at_end:
            return out[:n]
        more = [out]
        while n < frames and not self.at_end:
            block = self._read_block(min(READ_BLOCK, frames - n), dtype)
            more.append(block)
            n += len(block)
        return np.concatenate(more)

    def _read_block(self, frames: int, dtype: str) -> np.ndarray:
        if self.limit is not None and self.position + frames >= self.limit:
            frames = self.limit - self.position
            if frames <= 0:
                self.at_end = True
        if self.at_end:
            return np.empty((0, self.info.channels), dtype=dtype)
        try:
            block: np.ndarray = self._f.read(frames=frames, dtype=dtype, always_2d=True)
        except sf.SoundFileError as exc:
            reason = _describe_soundfile_error(exc)
            reached = self._tell(default=self.position)
            if reached <= self.position and self.n_read == 0:
                # The decoder says no position after the error (libsndfile's
                # MP3 reader: 0): decoding again finds where it stops.
                block = self._salvage(frames, dtype, reopen=self._reopener())
                if not len(block):
                    self._nothing_decoded(reason)
                reached = self.position + len(block)
            else:
                block = self._salvage(frames, dtype)
            self.error = self._cause_at(reason, reached)
            self.stopped_at = reached
            self.at_end = True
            if self.reopen is None and self.n_read == 0:
                # Nothing is kept, nor was read before: said now, where it
                # broke (a reader would say the file held no samples).
                raise AudioError(self._truncation()) from None
        if len(block) < frames:
            self.at_end = True
        if block.dtype.kind == "f" and len(block):
            # The extremes say both whether every sample is finite (NaN and
            # Inf carry through) and whether any is not zero: two passes
            # without temporaries, half the time of isfinite().all() and any().
            lo, hi = float(block.min()), float(block.max())
            if math.isfinite(lo) and math.isfinite(hi):
                self.nonzero = self.nonzero or lo != 0.0 or hi != 0.0
            else:
                self.n_nan += int(np.isnan(block).sum())
                self.n_inf += int(np.isinf(block).sum())
                block = np.nan_to_num(block, nan=0.0, posinf=0.0, neginf=0.0)
                self.nonzero = self.nonzero or bool(block.any())
        elif not self.nonzero:
            # Audio is seldom silent for long: its first samples settle it,
            # and the whole block is read only when they are all zero
            # (a 10-s stereo 16-bit clip: about 50 us less).
            self.nonzero = bool(block[:_HEAD].any()) or bool(block.any())
        self.n_read += len(block)
        self.position += len(block)
        return block

    def _cause_at(self, reason: str, reached: int) -> str:
        """Why decoding stopped at frame ``reached``, in libsndfile's words.

        A FLAC cut exactly between two frames: libFLAC finds no next frame
        and libsndfile says ``internal psf_fseek() failed``. Its last frame
        ends there, as ``melcli info`` tells it (:func:`_flac_tail`): said in
        the same words, ``its frames end there``. (libsndfile gives all but
        the last sample of that frame: its read of the last fails.)
        """
        if self.info.format == "FLAC" and self.path is not None:
            tail = containers.flac_tail_cut(self.path)
            last = tail.decoded if tail is not None and not tail.frame_cut else -2
            if last - 1 <= reached <= last:
                return FLAC_FRAMES_END
        return _cause(reason)

    def _nothing_decoded(self, reason: str) -> NoReturn:
        """Raise the error of a stream of which nothing decodes."""
        if self.claimed > self.position:  # said as any cut file is
            sr = self.info.samplerate
            flac = None
            if self.info.format == "FLAC" and self.path is not None:
                flac = containers.flac_header(self.path)
            raise AudioError(
                _stopped_at(self.position / sr, self.claimed / sr, _cause(reason, flac))
            ) from None
        raise AudioError(reason) from None

    def _reopener(self) -> Callable[[], sf.SoundFile] | None:
        """Return what opens the file afresh: :attr:`reopen`, or by its path."""
        if self.reopen is None and self.path is not None:
            return functools.partial(open_soundfile, self.path)
        return self.reopen

    def _tell(self, *, default: int) -> int:
        try:
            return int(self._f.tell()) if self._f.seekable() else default
        except (sf.SoundFileError, RuntimeError):
            return default

    def _salvage(
        self,
        frames: int,
        dtype: str,
        reopen: Callable[[], sf.SoundFile] | None = None,
    ) -> np.ndarray:
        """Re-read, in ever smaller steps, what decodes before the error (``keep``).

        libsndfile's state after a decoding error is unreliable (even seeking
        fails), so the file is opened afresh. A step that fails is tried again
        from where the last good one ended, an eighth as long, down to single
        frames: what is kept reaches where the decoder stopped, the point the
        failure's message names. ``reopen``: instead of :attr:`reopen` (to
        find where decoding stops when nothing is to be kept).
        """
        empty = np.empty((0, self.info.channels), dtype=dtype)
        reopen = reopen or self.reopen
        if reopen is None:
            return empty
        blocks = []
        got = 0
        step = SALVAGE_STEP
        while got < frames and step:
            try:
                with reopen() as f:
                    _seek(f, self.position + got)
                    while got < frames:
                        want = min(step, frames - got)
                        block = f.read(frames=want, dtype=dtype, always_2d=True)
                        blocks.append(block)
                        got += len(block)
                        if len(block) < want:  # the end of what the file holds
                            return np.concatenate(blocks)
            except (sf.SoundFileError, RuntimeError):
                step //= 8
        return np.concatenate(blocks)[:frames] if blocks else empty

    def finish(self, params: MelParams) -> None:
        """Apply the policies once reading is done: raise or warn.

        Raises
        ------
        AudioError
            For non-finite samples (unless ``params.non_finite == "zero"``),
            and for a stream that ended before the header said it would
            (unless ``params.truncated == "keep"``).
        """
        if self.n_nan or self.n_inf:
            counts = f"{self.n_nan} NaN, {self.n_inf} Inf"
            if self.n_inf and self.info.subtype == "DOUBLE":
                # Read as float32: finite values beyond its range become Inf.
                counts += " (or float64 values beyond float32's range, ±3.4e38)"
            if params.non_finite != "zero":
                raise AudioError(f"non-finite samples: {counts}")
            warnings.warn(f"{ZEROED}: {counts}", stacklevel=2)
        what = self._truncation()
        if what and params.truncated == "keep" and self.handed_over:
            return
        if what:
            if params.truncated != "keep" or (self.at_end and not self.n_read):
                # Read to its end, and nothing decoded: nothing to keep, the
                # cut is the reason (not "no audio samples").
                raise AudioError(what)
            warnings.warn(f"{what}{KEPT_CUT}", stacklevel=2)
            self.kept_cut = True
            if self.at_end:  # the file's length is what it holds, not its claim
                self.info = dataclasses.replace(self.info, frames=self.position)
        if self.n_read and not self.nonzero:
            warnings.warn(
                SilentInput("digital silence: every sample is zero"), stacklevel=2
            )

    def _ogg_damage(self) -> str:
        """Say where an Ogg file decoded short is damaged inside, or "".

        libvorbis and libopus skip a page whose checksum fails (or bytes that
        are no page) and decode on: the stream then ends short of its last
        page's granule position, as a cut one does. Its pages say which.
        Read only once the file is known short: nothing for a whole file.
        """
        if self.info.format != "OGG" or self.path is None:
            return ""
        return containers.ogg_damage(self.path)

    def _truncation(self) -> str:
        """Say how the stream was cut short, or return "" if it was not."""
        sr = self.info.samplerate
        total = self.claimed / sr
        if self.claim.stopped:  # ffmpeg's account, with the audio before it kept
            return self.claim.stopped
        if self.error:  # where it broke: the same whether salvaged or not
            decoded = max(self.stopped_at, self.position)
            if self.claim.damage:  # what the decoder met there, in words
                return _stopped_at(decoded / sr, total, self.claim.damage)
            if self.claim.cut and self.error == _MPG123_ANY:
                # libmpg123's words for any error; the walk of its frames
                # says what stopped it, as ``melcli info`` says it.
                return containers.cut_after(decoded, sr, self.claim.cut)
            return _stopped_at(decoded / sr, total, self.error)
        if self.claim.damage:  # skipped by the decoder without a word
            return f"corrupt: {self.claim.damage}"
        # Read to the end, or only the start (a clip, a duration): then a data
        # size's shortfall is still known from the header.
        held = self.position if self.at_end else self.info.frames
        known = self.at_end or self.claim.sized
        if known and held < self.claimed - self.claim.tolerance:
            if not held and self.claim.cut:  # where, not "decoded 0.00 s of 2.00 s"
                return containers.cut_of_nothing(self.claim.cut)
            said = f"truncated: decoded {held / sr:.2f} s of {total:.2f} s"
            if damage := self._ogg_damage():  # a page lost inside, not a cut
                return f"corrupt: {damage}; decoded {held / sr:.2f} s of {total:.2f} s"
            if f"{held / sr:.2f}" == f"{total:.2f}":  # a few samples short
                missing = self.claimed - held
                said += f" ({missing} sample frame{'s' * (missing > 1)} missing)"
            return said
        # Only its start read (--duration, a clip, a long file handed on): a
        # cut a FLAC's decoder would find further on is told by its last frame.
        flac = not self.at_end and self.info.format == "FLAC" and self.path
        if flac and (said := _flac_tail(self.path)):  # type: ignore[arg-type]
            return said
        if self.claim.cut:
            said = containers.cut_after(held, sr, self.claim.cut)
            # Not read to its end (a long file handed to the streaming path, a
            # clip of its start): an MP3's header length is no count of what
            # it holds, so what would decode is not known.
            return said if self.at_end else _undecoded(said, self.claim, self.info)
        return ""


#: What libsndfile says of any error libmpg123 meets decoding an MP3.
_MPG123_ANY = "unspecified internal error"


@contextlib.contextmanager
def open_audio(
    path: str | os.PathLike[str], params: MelParams
) -> Iterator[tuple[sf.SoundFile, AudioInfo, list[str]]]:
    """Open ``path`` for decoding, positioned at ``params.offset``.

    Yields ``(soundfile, header, notes)``; ``notes`` fills, when the block
    exits, with whatever the C decoder printed on stderr meanwhile.

    The soundfile is checked as it is read: it reads in blocks whatever the
    header claims, and when the block exits without an error, non-finite
    samples, a stream cut short and digital silence are dealt with as
    ``params.non_finite`` and ``params.truncated`` say (see
    :meth:`_CheckedFile.finish`).

    Raises
    ------
    AudioError
        For unreadable or non-audio files, impossible headers, or an offset
        past the end; libsndfile's errors while reading are translated too.
        :class:`TooShort` (a subclass) for a file shorter than
        ``params.min_duration``.
    """
    _check_readable(path)
    depth = len(_SWAPS)
    try:
        keep = params.truncated == "keep"
        with (
            _native_stderr() as notes,
            _open_decoder(path, keep=keep) as (f, info, claim),
        ):
            check_header(info, path=path)
            if info.frames == 0:
                _check_no_frames(path, info, f)
            # As its header says: a file cut short that claims more is not
            # skipped as short, it fails as cut (or is kept, with --truncated).
            claimed = info.frames if claim.frames is None else claim.frames
            check_min_duration(info, params, claimed=claimed)
            start = frames_in(params.offset, info.samplerate)
            if start and start >= info.frames:
                if not keep:  # past the end of a cut file: the cut is the reason
                    _fail_if_cut(path, f, info, claim)
                raise AudioError(
                    f"offset={number(params.offset)} s is past the end of the file "
                    f"({info.duration:.2f} s)"
                )
            if start:
                try:
                    _seek(f, start)
                except sf.SoundFileError:
                    if not keep:  # libFLAC cannot seek past a cut: said as cut
                        _fail_if_cut(path, f, info, claim)
                    raise
            checked = _CheckedFile(
                f,
                info,
                claim,
                reopen=functools.partial(open_soundfile, path) if keep else None,
                path=path,
                start=start,
            )
            yield checked, info, notes  # type: ignore[misc]
            checked.finish(params)
        if checked.kept_cut or claim.quiet:
            # The decoder's notes on a cut stream (mpg123: "Xing stream size
            # off by more than 1%") say the cut again, in its own words; or
            # they are of libsndfile's open of a file ffmpeg decoded.
            notes.clear()
        elif start and info.subtype.startswith("MPEG_LAYER"):
            # A seek lands on a frame whose bit reservoir is in the frames
            # before it: libmpg123 says so of a whole file, as an error.
            notes[:] = [n for n in notes if not _RESERVOIR_AFTER_SEEK.search(n)]
    except sf.SoundFileError as exc:
        raise AudioError(_describe_open_error(path, exc)) from None
    except GeneratorExit:
        # Closed while suspended at its yield: its capture's own finally has
        # run. Maybe by the garbage collector, long after a signal, in the
        # middle of another file's capture: whose swaps are not this one's.
        raise
    except BaseException:
        _undo_swaps(depth)  # a signal where _native_stderr could not
        raise


#: libmpg123's note on the first frame decoded after a seek (``--offset``),
#: whose bit reservoir lies in the frames before it, which it skipped.
_RESERVOIR_AFTER_SEEK = re.compile(
    r"part2_3_length \(\d+\) too large for available bit count \(\d+\)"
)


def _fail_if_cut(
    path: str | os.PathLike[str], f: sf.SoundFile, info: AudioInfo, claim: Claim
) -> None:
    """Fail a file its header or its container shows cut, as ``info`` does.

    Before decoding: for an ``offset`` past what a cut file holds, or that
    its decoder cannot seek to, the cut is the reason, in the words
    :func:`probe` says it with.
    """
    said = _CheckedFile(f, info, claim, path=path)._truncation()
    if said:
        raise AudioError(_undecoded(said, claim, info))


def _check_no_frames(
    path: str | os.PathLike[str], info: AudioInfo, f: sf.SoundFile
) -> None:
    """Fail a file libsndfile opens with 0 frames because it was cut.

    A header cut inside its data chunk's own header (or a header of a known
    length cut) has no samples, and not because the file announced none; an
    Ogg stream cut inside its headers ends without its end-of-stream page.
    """
    if info.format != "OGG" and (cut := containers.cut_before_audio(path)):
        raise AudioError(f"truncated: decoded 0.00 s, then {cut}")
    if info.format in ("WAV", "WAVEX") and (left := containers.unsized_data(path)):
        raise AudioError(
            f"unfinished header: its {containers.quoted(b'data')} chunk gives 0 bytes, "
            f"and {left} bytes "
            "follow it (a recording stopped before its sizes were written)"
        )
    if "ended unexpectedly" in str(f.extra_info):
        if info.format == "OGG" and (damage := containers.ogg_damage(path)):
            raise AudioError(f"corrupt: {damage}, and no audio decodes before it")
        raise AudioError(
            "truncated: the stream ends without its end mark, and no "
            "audio could be decoded from it"
        )


#: Why a FLAC cut before its first audio frame decodes nothing.
FLAC_CUT_IN_METADATA = "the file ends inside its metadata, before any audio frame"
#: libFLAC's words for a frame it cannot decode (cut, or damaged): what a
#: run says of a FLAC cut inside its frames, and ``info`` of it.
FLAC_LOST_SYNC = "flac decoder lost sync"
#: What a run and ``info`` say of a FLAC cut between two frames, short of the
#: samples its STREAMINFO announces.
FLAC_FRAMES_END = "its frames end there"


def _describe_open_error(path: str | os.PathLike[str], exc: sf.SoundFileError) -> str:
    """Say why libsndfile cannot open ``path``; for a cut file, as a cut file.

    An Ogg stream or an MP3 cut before its first audio (see
    :func:`containers.cut_before_audio`) is said as any cut file is,
    ``truncated: decoded 0.00 s, then the file ends inside its ID3v2 tag``.

    A FLAC cut short before its first frames decode fails in libsndfile's
    open with ``unknown error in flac decoder`` (or a seek failure): its
    STREAMINFO still says how long it was, so it is said as every cut file
    is, ``corrupt or truncated: decoding stopped at 0.00 s of 3.00 s (...)``.
    """
    reason = _describe_soundfile_error(exc)
    if joined := containers.joined_file(path):
        # libsndfile: "No 'RIFF' chunk marker", of the second; of a CAF of
        # ALAC, which ffmpeg decodes, its own cut 'caff' chunk.
        return joined
    if "Malformed" not in reason and (said := header_fault(path)):
        return said  # libsndfile's words name no field, or another
    if "malformed" in reason and (damage := containers.ogg_damage(path)):
        return f"corrupt: {damage}"  # libsndfile: "file is malformed"
    if (
        reason in _UNSAID_LAYOUT or "malformed" in reason or reason == _INFO_INCOMPLETE
    ) and (said := _ogg_header_fault(path)):
        return said
    if reason == _INFO_INCOMPLETE:
        # libsndfile's rate is a signed int: 4 GHz is as "incomplete" as 0.
        rate = containers.header_fields(path).rate
        if rate is not None and rate != 0:
            if not MIN_SAMPLERATE <= rate <= MAX_SAMPLERATE:
                return _implausible_rate(rate)
            if cut := containers.cut_before_audio(path):  # a CAF cut in 'data'
                return f"truncated: decoded 0.00 s, then {cut}"
            # A rate melcli takes: libsndfile's "incomplete" is of something
            # else (a WAV with two data chunks), not of the rate.
            if order := containers.chunk_order(path):
                return f"invalid header: {order}"
            return _INFO_INCOMPLETE_OTHER
        if said := containers.opus_preskip_past_end(path):
            return said
    flac = containers.flac_header(path)
    if flac is None:
        if cut := containers.cut_before_audio(path):
            return f"truncated: decoded 0.00 s, then {cut}"
        if order := (
            containers.chunk_order(path)
            or containers.caf_layout(path)
            or (containers.stray_chunk(path) if _UNSAID_CHUNKS(reason) else "")
        ):
            return f"invalid header: {order}"
        if reason in _WIDTH_REFUSED and (said := unread_width(path)):
            return said  # libsndfile's words say neither what nor why
        if reason.startswith(_NOT_AUDIO) and (zeros := containers.leading_zeros(path)):
            return zeros
        return reason
    if not flac.frames or not flac.samplerate:  # its length is not known
        if flac.cut_in_metadata:
            return f"corrupt or truncated: {FLAC_CUT_IN_METADATA}"
        return reason
    return _stopped_at(0.0, flac.frames / flac.samplerate, _cause(reason, flac))


#: How libsndfile's words for a file it finds no audio in begin, in melcli's.
_NOT_AUDIO = "not an audio file ("


#: libsndfile's words for a header whose channel count or sample size it
#: cannot take, which name neither.
_UNSAID_LAYOUT = frozenset(
    {
        "cannot decode: unspecified internal error",
        "cannot decode: too many channels specified",
        "cannot decode: bad channel count",
    }
)
#: libsndfile's words of a WAV or AIFF whose chunks lose their way before
#: its audio (:func:`containers.stray_chunk`), which do not say where.
_UNSAID_CHUNKS = re.compile(r"chunk marker|unspecified internal error").search
#: The widest samples of any format libsndfile reads (float64).
_MAX_SAMPLE_BITS = 64


#: WAV format tags whose samples' bits are their size: PCM, float, extensible.
_PCM_TAGS = frozenset({1, 3, 0xFFFE})
#: AIFF-C compression types and CAF format IDs of PCM or float samples.
_PCM_CODECS = frozenset(
    {b"NONE", b"sowt", b"twos", b"raw ", b"in24", b"in32", b"fl32", b"fl64"}
    | {b"FL32", b"FL64", b"lpcm"}
)


def header_fault(path: str | os.PathLike[str]) -> str:
    """Name a rate, channel count or sample size no audio can have, or "".

    One check, worded the same, for every header :func:`containers.
    header_fields` reads (WAV, RF64, W64, AU, AIFF, CAF): libsndfile's words
    for them name another fault or none ("unimplemented format" of a 0-bit
    PCM WAV, "unsupported encoding" of a CAF of 0 channels, "channel count
    is zero"). Bits count where they are the samples' size (PCM or float;
    a compressed format's, GSM's, may be 0); more than 64 nowhere.
    """
    fields = containers.header_fields(path)
    if fields.layout is not None:
        channels, bits = fields.layout
        if channels == 0:
            return "invalid header: 0 channels"
        if channels > MAX_CHANNELS:
            return f"implausible channel count: {channels} (at most {MAX_CHANNELS})"
        pcm = fields.tag in _PCM_TAGS or fields.codec in _PCM_CODECS
        if fields.codec is None and fields.tag is None:
            pcm = bits >= 0  # an AIFF (not AIFF-C): PCM; an AU's: -1, not read
        if bits > _MAX_SAMPLE_BITS or (bits == 0 and pcm):
            return (
                f"invalid header: its samples are {bits}-bit "
                f"(at most {_MAX_SAMPLE_BITS})"
            )
    rate = fields.rate
    if rate is not None and not MIN_SAMPLERATE <= rate <= MAX_SAMPLERATE:
        return _implausible_rate(rate)
    return ""


#: libsndfile's words when it refuses samples of a width it does not read.
_WIDTH_REFUSED = frozenset(
    {
        "cannot decode: file contains data in an unimplemented format",
        "cannot decode: unspecified internal error",
        "cannot decode: supported file format but unsupported encoding",
    }
)
#: The widths of samples libsndfile reads, in bits: integers (a 12-bit or
#: 20-bit sample is stored in 2 or 3 bytes, and read), and floats.
_READ_INT_BITS = range(1, 33)
_READ_FLOAT_BITS = (32, 64)


def unread_width(path: str | os.PathLike[str]) -> str:
    """Say that a header's samples are of a width libsndfile does not read, or "".

    A 64-bit integer PCM WAV (``ffmpeg -c:a pcm_s64le``), a 40- or 48-bit
    one, a 16-bit float one: libsndfile refuses each in words that name
    neither the samples nor a way out ("file contains data in an
    unimplemented format", "unspecified internal error"). Said for every
    header :func:`containers.header_fields` reads (WAV, RF64, W64, AIFF, CAF)
    whose samples are PCM or float, with what to do.
    """
    fields = containers.header_fields(path)
    if fields.layout is None:
        return ""
    bits = fields.layout[1]
    pcm = fields.tag in _PCM_TAGS or fields.codec in _PCM_CODECS
    if fields.codec is None and fields.tag is None:
        pcm = bits >= 0  # an AIFF (not AIFF-C): PCM; an AU's: -1, not read
    if not pcm or not 0 < bits <= _MAX_SAMPLE_BITS:
        return ""
    if fields.floating:
        if bits in _READ_FLOAT_BITS:
            return ""
        what, remedy = "floats", ""
    else:
        if bits in _READ_INT_BITS:
            return ""
        what = "integers"
        # ffmpeg reads 64-bit integers in a WAV, W64 or CAF (not in an AIFF).
        by_ffmpeg = bits == 64 and (fields.tag is not None or fields.codec == b"lpcm")
        remedy = ", e.g. ffmpeg -i IN -c:a pcm_f32le OUT.wav" if by_ffmpeg else ""
    return (
        f"unsupported samples: {bits}-bit {what}, a width libsndfile (melcli's "
        f"decoder for this format) does not read: it reads integers of up to "
        f"32 bits and 32- or 64-bit floats; convert the file to 32-bit float "
        f"samples first{remedy}"
    )


def _ogg_header_fault(path: str | os.PathLike[str]) -> str:
    """Name what a Vorbis or Opus identification header gives that cannot be."""
    header = containers.ogg_id_header(path)
    if header is None:
        return ""
    codec, channels, rate, mapping = header
    if channels == 0:
        return "invalid header: 0 channels"
    if channels > MAX_CHANNELS:
        return f"implausible channel count: {channels} (at most {MAX_CHANNELS})"
    if codec == "Opus" and mapping == 0 and channels > 2:
        return (
            f"invalid header: its Opus header gives {channels} channels for "
            f"channel mapping family 0 (mono or stereo only)"
        )
    if codec == "Vorbis" and not MIN_SAMPLERATE <= rate <= MAX_SAMPLERATE:
        return _implausible_rate(rate)
    return ""


def _stopped_at(decoded: float, total: float, cause: str) -> str:
    """Say where decoding stopped, in seconds, and why."""
    return (
        f"corrupt or truncated: decoding stopped at {decoded:.2f} s of "
        f"{total:.2f} s ({cause})"
    )


def _cause(reason: str, flac: containers.FlacHeader | None = None) -> str:
    """Why decoding stopped, in libsndfile's words, unless the FLAC says more."""
    if flac is not None and flac.cut_in_metadata:
        return FLAC_CUT_IN_METADATA
    return reason.removeprefix("cannot decode: ")


#: libsndfile refuses a path this long or longer ("Supplied filename too
#: long"); such a file is opened by descriptor instead (the kernel takes 4096).
SNDFILE_PATH_MAX = 1024


def open_soundfile(path: str | os.PathLike[str]) -> sf.SoundFile:
    """Open ``path`` for reading with libsndfile, by its content only.

    However long the path is, and whatever its name: a file libsndfile does
    not recognise by its content, it reads as headerless audio when its name
    ends in ``.au`` or ``.snd`` (8 kHz µ-law: an HTML page named ``x.au`` was
    decoded as noise). That guess is refused here, as libsndfile's own
    "format not recognised". soundfile refuses to open a name ending in
    ``.raw`` without a sample rate (a TypeError): such a file is opened by
    descriptor, where no name is looked at.

    Raises
    ------
    soundfile.SoundFileError
        As libsndfile's ``sf_open`` does.
    """
    name = os.fsencode(path)
    if len(name) < SNDFILE_PATH_MAX and name[-4:].lower() != b".raw":
        f = sf.SoundFile(name)
    else:
        fd = interrupts.os_open(name, os.O_RDONLY)
        try:
            f = sf.SoundFile(fd, closefd=True)
        except BaseException:
            with contextlib.suppress(OSError):  # libsndfile may have closed it
                os.close(fd)
            raise
    if f.format == "RAW":  # never asked for: guessed from the name
        f.close()
        raise sf.LibsndfileError(_SF_ERR_UNRECOGNISED_FORMAT)
    if f.format == "MP3" and _is_aac(path):
        # ADTS named .mp3: libmpg123, chosen by the name, finds MPEG frame
        # headers in its AAC data and decodes noise (a 3-s stream failed as
        # cut at 0.10 s of 0.27 s); ffmpeg decodes it (_through_ffmpeg).
        f.close()
        raise sf.LibsndfileError(_SF_ERR_UNRECOGNISED_FORMAT)
    if f.frames == 0 and f.format == "RF64":  # maybe written to a pipe
        return _sized_rf64(name, f)
    if f.frames == 0 and f.format == "AU" and containers.au_oversized_data(path):
        # A size libsndfile reads as negative: read as "unknown", to the end.
        f.close()
        raw = _SizedFile(name, containers.AU_DATA_SIZE_AT, containers.AU_SIZE_UNKNOWN)
        try:
            return _seek_checked(_SoundFileOver(raw))
        except BaseException:
            raw.close()
            raise
    return _seek_checked(f)


def _is_aac(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` holds MP4 or ADTS AAC content (see ffmpeg.is_mp4_or_aac)."""
    from . import ffmpeg

    return ffmpeg.is_mp4_or_aac(path)


def _seek(f: sf.SoundFile, frame: int) -> None:
    """Go to ``frame`` of a file just opened: a seek, or a stream's reads."""
    if f.seekable():
        f.seek(frame)
        return
    while frame > 0:  # read, and drop what is read
        got = len(f.read(frames=min(frame, READ_BLOCK), dtype="float32"))
        if not got:
            return
        frame -= got


def _seek_checked(f: sf.SoundFile) -> sf.SoundFile:
    """Mark ``f`` as a stream when libsndfile calls it seekable but cannot seek.

    libsndfile's DWVW decoder (AIFF) says its files are seekable, and then
    fails every seek but one to the start ("internal psf_fseek() failed"):
    soundfile seeks to the new position after each read, so a whole file
    failed as cut at 0.00 s, while ``melcli info`` listed it. Read as a
    stream, front to back, as GSM 6.10 is, it decodes.
    """
    if f.subtype.startswith("DWVW"):
        f._info.seekable = 0
    return f


class _SizedFile(io.FileIO):
    """A file whose header reads with the data size its writer left out.

    ``patch`` is read in place of the bytes at ``offset``: libsndfile then
    decodes the audio an RF64 written to a pipe holds (its ``ds64`` data size
    of 0), as it decodes a WAV written to a pipe (data size 0xFFFFFFFF).
    """

    def __init__(self, name: bytes, offset: int, patch: bytes) -> None:
        super().__init__(name, "rb")
        self.offset = offset
        self.patch = patch

    def readinto(self, buffer: Any) -> int:
        at = self.tell()
        n = super().readinto(buffer)
        lo = max(at, self.offset)
        hi = min(at + (n or 0), self.offset + len(self.patch))
        if lo < hi:
            view = memoryview(buffer).cast("B")
            view[lo - at : hi - at] = self.patch[lo - self.offset : hi - self.offset]
        return n or 0


class _SoundFileOver(sf.SoundFile):  # type: ignore[misc]
    """A soundfile over a Python file object, which closes it too."""

    def __init__(self, raw: _SizedFile) -> None:
        self._raw = raw
        super().__init__(raw)

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._raw.close()


def _sized_rf64(name: bytes, f: sf.SoundFile) -> sf.SoundFile:
    """Reopen an RF64 written to a pipe with its data size read as to the end.

    ``f`` (libsndfile's open, with 0 frames) is returned as it is for any
    other RF64 with no frames (see :func:`containers.rf64_unsized_data`).
    """
    left = containers.rf64_unsized_data(os.fsdecode(name))
    if not left:
        return f
    f.close()
    raw = _SizedFile(name, containers.RF64_DATA_SIZE_AT, left.to_bytes(8, "little"))
    try:
        return _SoundFileOver(raw)
    except BaseException:
        raw.close()
        raise


#: libsndfile's error number for "Format not recognised".
_SF_ERR_UNRECOGNISED_FORMAT = 1


@contextlib.contextmanager
def _open_decoder(
    path: str | os.PathLike[str], *, keep: bool = False
) -> Iterator[tuple[sf.SoundFile, AudioInfo, Claim]]:
    """Open ``path`` with libsndfile, or through ffmpeg for MP4/AAC content.

    Yields the soundfile, the header, and what the container claims. With
    ``keep``, a stream ffmpeg stops decoding yields what decoded before, and
    the claim says where and why it stopped (``Claim.stopped``).
    """
    refused = False  # by libsndfile: its decoder's notes are of that attempt
    try:
        f = open_soundfile(path)
    except sf.SoundFileError:
        from . import ffmpeg  # only for what libsndfile cannot read

        what = _through_ffmpeg(path)
        if what is None:
            raise
        refused = True
    else:
        with f:
            info = _info_of(f)
            chained = info.format == "OGG" and containers.ogg_chained(path)
            joined = short = False
            if not _length_unknown(info) and not chained:
                log = _log(f, info)
                check_layout(path, f, info, log=log)
                _check_joined(path, info)
                if info.format in containers.JUDGED:
                    claim = containers.claim(
                        path,
                        format=info.format,
                        frames=info.frames,
                        samplerate=info.samplerate,
                    )
                    joined = claim.joined
                    if claim.limit is not None:  # SDS: zeros for missing packets
                        info = dataclasses.replace(info, frames=claim.limit)
                else:
                    claim = _claimed_frames(f, info, log=log)
                    if info.subtype.startswith("MPEG_LAYER"):
                        claim = _mpeg_in_wav_claim(path, f, info, sized=claim.sized)
                    if claim.limit is not None:  # noise after the audio
                        info = dataclasses.replace(info, frames=claim.limit)
                short = _decodes_short(info, claim)
                if claim.estimated and claim.frames:  # not libmpg123's estimate
                    info = dataclasses.replace(info, frames=claim.frames)
                if not joined and not short:
                    yield f, info, _outer_claim(path, f, claim, log=log)
                    return
        what = CHAINED_OGG if chained else UNKNOWN_LENGTH_FLAC
        what = JOINED_MP3 if joined else what
        what = VBR_MP3 if short else what
    from . import ffmpeg

    strict = what != UNKNOWN_LENGTH_CAF  # its last packet is short: "corrupt"
    walked = functools.partial(_ffmpeg_cut, path, what)
    if what == VBR_MP3:  # its frames' walk, or its WAV data chunk's size, says
        walked = functools.partial(str, claim.cut)
    links = containers.ogg_links(path) if what == CHAINED_OGG else []
    with ffmpeg.decode(
        path, what=what, keep=keep, strict=strict, walked=walked, links=links
    ) as (f, stream):
        info = _info_of(f, format=stream.format, subtype=stream.codec)
        # An MP4 says how long it is; for bare ADTS, ffprobe only guesses
        # from the bitrate, and a FLAC of unknown length says nothing (a cut
        # stream fails in ffmpeg, -xerror, unless cut between two frames).
        claimed = stream.frames if stream.format == "MP4" else 0
        claim = Claim(frames=max(claimed, info.frames), stopped=stream.stopped)
        if what == ffmpeg.MP4_OR_AAC and (
            cut := containers.mp4_cut(path) or ffmpeg.adts_cut(path)
        ):  # fragments, ADTS: no length; ffmpeg drops a frame cut in its header
            claim = dataclasses.replace(claim, cut=cut)
        if what in (ffmpeg.WAVPACK, ffmpeg.ASF, ffmpeg.MATROSKA, ffmpeg.AMR) and (
            cut := ffmpeg.walked_cut(path, what)
        ):  # ffmpeg decodes one cut between two blocks or packets as whole
            claim = dataclasses.replace(claim, cut=cut)
        if what in (CHAINED_OGG, OGG_BEHIND_OTHER):  # ffmpeg reads a cut one
            ogg = containers.claim(path, format="OGG", frames=info.frames)
            claim = dataclasses.replace(claim, cut=ogg.cut)
        if what == JOINED_MP3:  # so does it a cut MP3: its frames say
            mp3 = containers.claim(path, format="MP3", frames=info.frames)
            claim = dataclasses.replace(claim, cut=mp3.cut, quiet=True)
        if what == VBR_MP3:
            claim = dataclasses.replace(claim, cut=walked(), quiet=True)
        if what in (UNKNOWN_LENGTH_CAF, CAF_CODEC) and (cut := _ffmpeg_cut(path, what)):
            # Inside a sample frame; inside its packet table, after its audio
            claim = dataclasses.replace(claim, cut=cut)
        if what == OGG_FLAC:  # ffmpeg reads a cut one to where it stops
            claim = dataclasses.replace(
                containers.ogg_flac_claim(path, frames=info.frames),
                stopped=stream.stopped,
            )
        if refused:  # libmpg123's notes on ADTS named .mp3, which it gave up
            claim = dataclasses.replace(claim, quiet=True)
        yield f, info, claim


#: libsndfile's log of an outer size (RIFF, RIFX, FORM; W64's riff, RF64's
#: ds64) that is not the file's length: ``(claimed, what it should be)``.
_OUTER_SIZE = re.compile(
    r"^\s*(?:RIFF|RIFX|riff|FORM|Riff size)\s*:\s*(\d+)\s*\(should be (\d+)\)",
    re.MULTILINE,
)


def _decodes_short(info: AudioInfo, claim: Claim) -> bool:
    """Whether libsndfile would stop short of an MPEG stream's frames.

    It decodes no further than its count, an estimate for a stream without
    a Xing/Info header (``Claim.estimated``): more than a frame short of the
    frames walked (a cut last frame is one), the stream is decoded through
    ffmpeg.
    """
    if not claim.estimated or claim.frames is None:
        return False
    return info.frames < claim.frames - claim.tolerance


#: Formats libsndfile writes to a pipe with its header again before its audio.
_HEADER_AGAIN = frozenset({"W64", "CAF", "PVF"})
#: Formats whose outer header gives the file's length (libsndfile's names).
_OUTER_SIZED = frozenset({"WAV", "WAVEX", "AIFF", "W64", "RF64", "SVX"})
#: Formats whose data size no outer size checks (and libsndfile logs nothing
#: after it): what follows their audio is always looked at.
_NO_OUTER_SIZE = frozenset({"AU", "CAF"})


def _outer_claim(
    path: str | os.PathLike[str], f: sf.SoundFile, claim: Claim, *, log: str = ""
) -> Claim:
    """Add to ``claim`` a cut after the audio data, told by the outer size.

    A WAV or AIFF cut inside a chunk after its audio data (``LIST``, ``id3 ``)
    or on a chunk's end decodes whole in libsndfile: its outer header still
    gives the length it had (see :func:`containers.outer_cut`). The file is
    read only when libsndfile's log says that length is not the file's.
    """
    if f.format in _HEADER_AGAIN and (said := containers.header_again(path)):
        raise AudioError(said)
    if (
        not claim.cut
        and (
            f.format in _NO_OUTER_SIZE
            or (
                f.format in _OUTER_SIZED
                and _after_data_logged(log := log or str(f.extra_info))
            )
        )
        and (after := _audio_after_data(path, f))
    ):
        claim = dataclasses.replace(claim, cut=after)
    if claim.cut or claim.sized:
        return claim
    if cut := _partial_frame(path, f, claim):
        return dataclasses.replace(claim, cut=cut)
    if f.format not in _OUTER_SIZED:
        return claim
    match = _search_sizes(_OUTER_SIZE, log or str(f.extra_info))
    if match is None or int(match.group(1)) <= int(match.group(2)):
        return claim
    cut = containers.outer_cut(path)
    return dataclasses.replace(claim, cut=cut) if cut else claim


def _audio_after_data(path: str | os.PathLike[str], f: sf.SoundFile) -> str:
    """Say why a file's data size may stop short of the audio after it ("" if not).

    See :func:`containers.audio_after_data`: libsndfile decodes what the size
    gives. Bytes after it that are no chunk are most often the rest of a
    recording whose sizes were not written again (a run wrote half a
    recording as the whole), but may be junk appended to a whole file: the
    file is taken as cut short there, so the default fails it and
    ``truncated="keep"`` writes what the size gives.
    """
    if zeros := containers.zeros_after_data(path):
        return zeros
    name, given, left = containers.audio_after_data(path)
    width = _SAMPLE_BYTES.get(f.subtype, 1) * max(f.channels, 1)
    if not given or left < width:
        return ""
    if f.format == "AU":  # no chunks: one data size
        what, sizes, they = (
            "follow the audio its data size gives",
            "size does",
            "it was",
        )
    else:
        what = f"that are no chunk follow its {containers.quoted(name)} chunk"
        sizes, they = "sizes do", "they were"
    return (
        f"{containers.n_bytes(left)} {what}: audio its {sizes} not count "
        f"(a recording stopped after {they} last written), or bytes that are "
        "not audio"
    )


#: libsndfile's log of bytes after the audio data it could not walk as chunks.
_AFTER_DATA_LOGGED = ("Unknown chunk marker", "> file length", "Have 0 marker")


def _after_data_logged(log: str) -> bool:
    """Whether libsndfile's ``log`` tells of bytes after the audio data.

    Substrings, not a regular expression: looked for in every WAV's log, where
    a search of the alternatives took about 4 us a file (bench/README.md,
    issue 19, "twenty-ninth round").
    """
    return any(words in log for words in _AFTER_DATA_LOGGED)


def _search_sizes(pattern: re.Pattern[str], log: str) -> re.Match[str] | None:
    """``pattern.search(log)`` for a size libsndfile found wrong (``should be``).

    Every such line of the log holds "should be"; a log without it (a whole
    file's) is not searched: a search line by line took 8 us a file.
    """
    return pattern.search(log) if "should be" in log else None


def _log(f: sf.SoundFile, info: AudioInfo) -> str:
    """Return libsndfile's log of ``f``, or "" where no check reads it.

    Read once per open (each read costs about 80 000 instructions): by
    :func:`check_layout`, :func:`_claimed_frames` and :func:`_outer_claim`.
    """
    if info.subtype in _WIDTHS or info.format not in containers.JUDGED:
        return str(f.extra_info)
    return ""


#: Bytes per sample of the encodings whose sample frames are all one size.
_SAMPLE_BYTES = {
    "PCM_S8": 1,
    "PCM_U8": 1,
    "ULAW": 1,
    "ALAW": 1,
    "PCM_16": 2,
    "PCM_24": 3,
    "PCM_32": 4,
    "FLOAT": 4,
    "DOUBLE": 8,
}
#: Formats whose audio data may run to the end of the file, its size not
#: given (see :func:`containers.to_the_end_cut`); WAV and AIFF only when
#: libsndfile's log shows a placeholder for it (``Claim.to_end``).
_TO_THE_END = frozenset({"AU", "RF64", "W64", "IRCAM", "PAF", "NIST", "PVF"})
_TO_THE_END_LOGGED = frozenset({"WAV", "WAVEX", "AIFF"})


def _partial_frame(path: str | os.PathLike[str], f: sf.SoundFile, claim: Claim) -> str:
    """Say that a file's audio data, running to its end, ends inside a frame.

    A file written to a pipe (a placeholder for its data size) or of a
    format whose header gives none (IRCAM, PAF) holds no length to check:
    libsndfile reads whole sample frames to the end of the file and drops
    the bytes of a last, partial one without a word. Those bytes are the
    only sign of a cut (one between two frames cannot be told from a whole,
    shorter file), as they are of a CAF written to a pipe. "" if not cut so.
    """
    width = _SAMPLE_BYTES.get(f.subtype)
    if width is None or f.channels <= 0 or f.frames <= 0:
        return ""
    if f.format not in _TO_THE_END and not (
        claim.to_end and f.format in _TO_THE_END_LOGGED
    ):
        return ""
    if f.format == "PAF" and f.subtype == "PCM_24":
        # Packed in blocks of 10 frames, 32 bytes a channel: a whole file
        # of 8000 frames (25 600 bytes) is no whole number of 3-byte ones.
        return containers.to_the_end_cut(path, PAF24_BLOCK * f.channels)
    return containers.to_the_end_cut(path, width * f.channels)


#: Bytes a channel of a 24-bit PAF's block of 10 sample frames takes.
PAF24_BLOCK = 32


#: A CAF written to a pipe: libsndfile calls its data size of -1 malformed.
UNKNOWN_LENGTH_CAF = "CAF of unknown length (its data size is -1)"


def _mpeg_in_wav_claim(
    path: str | os.PathLike[str], f: sf.SoundFile, info: AudioInfo, *, sized: bool
) -> Claim:
    """Judge MP3 in a WAV by its frames, as a bare MP3 is.

    libsndfile's count is an estimate from the data's size, as for a bare
    MP3: the frames walked say what a decoder gives. A data chunk cut short
    (``sized``) is said by its bytes, not by a length scaled from that
    estimate (``of 3.07 s`` for a 3-s file).
    """
    walked = containers.claim(path, format="MP3", frames=info.frames)
    match = _search_sizes(_DATA_CHUNK, str(f.extra_info)) if sized else None
    if match is not None and match.group(1):
        claimed, held = int(match.group(1)), int(match.group(2))
        return dataclasses.replace(walked, cut=containers.data_cut(held, claimed))
    return walked


#: A CAF of a codec libsndfile refuses (ALAC as ffmpeg writes it, with no
#: bit depth in its format flags; AAC, IMA4...): "unsupported encoding".
CAF_CODEC = "CAF audio in an encoding libsndfile does not read"
#: Ogg streams one after another, of which libsndfile decodes the first only.
CHAINED_OGG = "A chained Ogg file (several streams one after another)"
#: MPEG audio streams one after another (files joined with ``cat``), of which
#: libmpg123 decodes as many frames as the first one's Xing/Info header lists.
JOINED_MP3 = "MP3 streams joined one after another"
#: A variable-bitrate MPEG stream (bare, or in a WAV) without a Xing/Info or
#: VBRI header, of which libsndfile decodes as many frames as libmpg123
#: estimates from the first frame's bitrate (see ``Claim.estimated``).
VBR_MP3 = "A variable-bitrate MP3 without a Xing/Info header"
#: FLAC in an Ogg container (``.oga``), which libsndfile 1.2 cannot open.
OGG_FLAC = "FLAC in Ogg"
#: An Ogg file whose first stream is not audio (a Theora video's, a Skeleton
#: index), which libsndfile refuses: its first audio stream is decoded.
OGG_BEHIND_OTHER = "Audio in an Ogg file that begins with another stream (a video)"


def _through_ffmpeg(path: str | os.PathLike[str]) -> str | None:
    """Return what ``path`` is, if libsndfile cannot open it and ffmpeg can.

    MP4/AAC content, WebM or Matroska, a CAF of unknown length or of a codec
    libsndfile refuses (its chunks whole), or FLAC in Ogg; None for anything
    else (libsndfile's own error stands).
    """
    from . import ffmpeg

    if ffmpeg.is_mp4_or_aac(path):
        return ffmpeg.MP4_OR_AAC
    if ffmpeg.is_matroska(path):
        return ffmpeg.MATROSKA
    if containers.caf_size_unknown(path):
        return UNKNOWN_LENGTH_CAF
    if containers.caf_codec(path) not in (None, "lpcm"):
        return CAF_CODEC
    if containers.ogg_flac_header(path) is not None:
        return OGG_FLAC
    if containers.ogg_audio_behind_other(path):
        return OGG_BEHIND_OTHER
    return ffmpeg.walked_codec(path)


#: libsndfile's frame count for a FLAC stream whose header gives no length
#: (total samples 0: a program writing to a pipe cannot seek back to fill it in).
SF_COUNT_MAX = (1 << 63) - 1
#: Such a FLAC is decoded through ffmpeg: soundfile seeks to its position
#: after every read, and libFLAC refuses to seek to the end of a stream of
#: unknown length, so the last read fails ("internal psf_fseek() failed").
UNKNOWN_LENGTH_FLAC = "FLAC of unknown length (its header gives none)"


def _length_unknown(info: AudioInfo) -> bool:
    """Whether ``info`` is a FLAC stream whose header gives no length."""
    return info.format == "FLAC" and info.frames >= SF_COUNT_MAX


#: libsndfile's log of a data size cut down to what the file holds, as
#: ``(claimed bytes, bytes held)``: WAV's ``data``, AIFF's ``SSND``, CAF's
#: ``Data Size``, 8SVX/16SV's ``BODY``; Psion WVE's own wording.
_DATA_CHUNK = re.compile(
    r"^\s*(?:data|SSND|Data Size|BODY)\s*:\s*(\d+)\s*\(should be (\d+)\)"
    r"|^\s*Data length (\d+) should be (\d+)",
    re.MULTILINE,
)
#: The frame count an Akai MPC 2000 header gives (libsndfile reports those held).
_MPC2K_FRAMES = re.compile(r"^\s*Frames\s*:\s*(\d+)", re.MULTILINE)

#: Frames re-read at a time when keeping what decodes before an error (an
#: eighth of that, and so on, near the error: see ``_CheckedFile._salvage``).
SALVAGE_STEP = 4096

#: Data sizes from this many bytes up are placeholders, not claims: a program
#: writing WAV or AIFF to a pipe cannot seek back to fill in the size, and
#: writes 0xFFFFFFFF (ffmpeg), 0x7FFFFF00 (arecord), 0x7FFFF000 (sox's WAV) or
#: 0x7F000008 (sox's AIFF) instead. Such a file holds all its audio; only a
#: cut file that claimed 2 GB or more goes undetected (one cut inside a sample
#: frame is still told: see :func:`_partial_frame`).
UNKNOWN_DATA_SIZE = containers.UNKNOWN_DATA_SIZE


def _claimed_frames(f: sf.SoundFile, info: AudioInfo, *, log: str = "") -> Claim:
    """Return the frames the header claims, which libsndfile may have cut down.

    For a WAV, AIFF or AU whose data chunk claims more bytes than the file
    holds, libsndfile quietly reports the frames that are there; its log
    keeps both sizes (``data : 132300 (should be 66150)``). The claim is
    rounded up: a byte missing is a frame missing. A placeholder size
    (:data:`UNKNOWN_DATA_SIZE`) claims nothing.
    """
    frames = int(f.frames)
    log = log or str(f.extra_info)
    blocks = _gsm_blocks(f, log)
    limit = None
    if blocks is not None and blocks[0] < frames:
        frames = limit = blocks[0]
    match = _search_sizes(_DATA_CHUNK, log)
    to_end = False
    if match:
        claimed, held = match.group(1, 2) if match.group(1) else match.group(3, 4)
        claimed_bytes, held_bytes = int(claimed), int(held)
        if frames <= 0 or held_bytes <= 0:
            # Cut before its first whole frame or block: what libsndfile
            # decodes then is nothing, or noise (GSM 6.10: a block of it).
            containers.check_data_held(held_bytes, claimed_bytes, UNKNOWN_DATA_SIZE)
        elif held_bytes < claimed_bytes < UNKNOWN_DATA_SIZE:
            # Rounded up: any byte missing is a frame missing (one cut inside
            # its last frame rounded back to the frames held, and looked whole).
            claimed_frames = -(-frames * claimed_bytes // held_bytes)
            if blocks is not None:  # the blocks claimed, not the bytes
                claimed_frames = max(blocks[1], frames + 1)
            return Claim(frames=claimed_frames, sized=True, limit=limit)
        else:  # a placeholder (0 too: an AIFF's SSND), not a claim
            to_end = True
    if f.format == "MPC2K" and (match := _MPC2K_FRAMES.search(log)):
        return Claim(frames=max(frames, int(match.group(1))), sized=True)
    return Claim(frames=frames, limit=limit, to_end=to_end)


#: The bytes a sample of the subtypes libsndfile decodes by a WAV's bit width
#: alone (its block align unread).
_WIDTHS = {
    "PCM_U8": 1,
    "PCM_S8": 1,
    "PCM_16": 2,
    "PCM_24": 3,
    "PCM_32": 4,
    "FLOAT": 4,
    "DOUBLE": 8,
}
#: libsndfile's log of a WAV's ``fmt `` chunk: channels, rate, block align,
#: bit width, bytes a second.
_FMT = re.compile(
    r"Channels\s*:\s*(\d+)\s+Sample Rate\s*:\s*(\d+)\s+Block Align\s*:\s*(\d+)"
    r"\s+Bit Width\s*:\s*(\d+)\s+Bytes/sec\s*:\s*(\d+)"
)


def check_layout(
    path: str | os.PathLike[str], f: sf.SoundFile, info: AudioInfo, *, log: str = ""
) -> None:
    """Fail a PCM file whose header's sample layout its other fields contradict.

    libsndfile decodes PCM by the one field that names the sample size (a
    WAV's, W64's or RF64's bit width, an AIFF's sample size) and reads the
    others only to log them: a header at odds with itself decoded as noise,
    or 48 dB too quiet, without a word. Read from libsndfile's log, which
    holds them all; the samples are read only for a WAVE_FORMAT_EXTENSIBLE
    header whose valid bits are fewer than its bit width.

    Raises
    ------
    AudioError
        ``invalid header: ...`` or ``invalid samples: ...``, naming the fields.
    """
    width = _WIDTHS.get(info.subtype, 0)
    if not width:
        return
    if info.format == "CAF" and (said := containers.caf_partial_frame(path)):
        raise AudioError(f"invalid header: {said}")
    log = log or str(f.extra_info)
    if f"Block Align   : {info.channels * width}\n" not in log:
        _check_sample_width(log)  # not as the bit width gives: a closer look
    if "'SSND' chunk" in log:
        _check_aiff_sample_size(log)
    if "Valid Bits" in log and info.subtype.startswith("PCM"):
        _check_valid_bits(path, log)


#: libsndfile's log of an AIFF whose ``COMM`` frame count is not what its
#: ``SSND`` chunk holds at its sample size (then decoded by the second).
_AIFF_FRAMES = re.compile(
    r"Frames\s*:\s*(\d+)\s+Channels\s*:\s*(\d+)\s+Sample Size\s*:\s*(\d+)"
    r".*?SSND\s*:\s*(\d+)(\s*\(should be)?.*?Offset\s*:\s*(\d+)"
    r".*?\*\*\* Frame count read from 'COMM' chunk",
    re.DOTALL,
)


def _check_aiff_sample_size(log: str) -> None:
    """Fail a PCM AIFF whose sample size its frame count and data contradict.

    An AIFF has no block align: its ``COMM`` chunk's frame count is what
    tells. A 16-bit file whose sample size says 24 holds 2 bytes a sample of
    its frames in its ``SSND`` chunk; libsndfile decodes it as 24-bit noise,
    two thirds of its length, and only logs that the counts differ. A
    data chunk cut short (its size larger than the file) is not this: said
    as cut, elsewhere.
    """
    match = _AIFF_FRAMES.search(log)
    if match is None or match.group(5):
        return
    frames, channels, bits, ssnd, offset = (
        int(match.group(i)) for i in (1, 2, 3, 4, 6)
    )
    held = ssnd - 8 - offset
    if frames <= 0 or channels <= 0 or held <= 0 or held % (frames * channels):
        return
    size = held // (frames * channels)
    if size in (1, 2, 3, 4) and size != -(-bits // 8):
        raise AudioError(
            f"invalid header: its frame count ({frames}) and its 'SSND' chunk "
            f"({held} bytes) give {size}-byte samples for {channels} "
            f"channel{'s' * (channels > 1)}, its sample size {bits}-bit ones: "
            "decoded, it would be noise"
        )


#: libsndfile's log of a WAVE_FORMAT_EXTENSIBLE header's bit widths.
_VALID_BITS = re.compile(r"Bit Width\s*:\s*(\d+).*?Valid Bits\s*:\s*(\d+)", re.DOTALL)


def _check_valid_bits(path: str | os.PathLike[str], log: str) -> None:
    """Fail samples stored in the low bits of a wider container, as said above.

    WAVE_FORMAT_EXTENSIBLE puts a sample's valid bits at the top of its
    container, the padding bits below them zero: 24-bit audio in 32-bit
    samples is read as 32-bit, which is right. A writer that put them at the
    bottom (the top byte only a sign) made a file libsndfile and ffmpeg
    decode 2**8 times too quiet (48 dB), at full precision, without a word.
    Its padding bits are not zero, and every sample fits in the low bits:
    that is refused. Padding bits not zero, with samples at full scale (its
    valid bits miscounted), decode right: taken. The samples are read until
    a block that holds audio settles it (for a whole file only when it does
    not: digital silence, or every sample in the low bits).
    """
    match = _VALID_BITS.search(log)
    if match is None:
        return
    bits, valid = int(match.group(1)), int(match.group(2))
    if not 0 < valid < bits <= 32:
        return
    pad = bits - valid
    padding = (1 << (32 - valid)) - 1  # as int32 samples, a bit width's top
    below = 1 << (31 - pad)  # samples with their valid bits at the bottom fit
    low = False
    with open_soundfile(path) as g:
        while len(block := g.read(READ_BLOCK, dtype="int32")):
            if not (low_bits := bool((block & padding).any())) and block.any():
                return  # padding bits zero: as the specification says
            if low_bits and (block.max() >= below or block.min() < -below):
                return  # full scale: decoded right
            low = low or low_bits
    if low:
        raise AudioError(
            f"invalid samples: its header gives {valid} valid bits of {bits}, at "
            f"the top of each sample, but its samples fill the low {valid} bits "
            f"(the top {pad} are sign only): decoded, it would be "
            f"{20 * math.log10(2) * pad:.0f} dB too quiet"
        )


def _check_sample_width(log: str) -> None:
    """Fail a PCM or float WAV whose bit width its other fields contradict.

    libsndfile (and ffmpeg) decode a WAV's samples by its bit width alone. A
    header whose block align and byte rate both give another sample size (a
    16-bit file whose bit width says 24) decoded as noise, at full scale,
    of the wrong length, without a word. Such a header is refused, naming
    the fields. A block align alone at odds (0, or garbage, with a byte rate
    that agrees with the bit width) decodes right, and is taken.
    """
    match = _FMT.search(log) if "Block Align" in log else None  # a WAV's fmt
    if match is None:
        return
    channels, rate, align, bits, per_second = map(int, match.groups())
    width = -(-bits // 8)  # bytes a sample: 12-bit samples take 2
    if channels <= 0 or align == channels * width:
        return
    if align % channels == 0 and per_second == rate * align:
        size = align // channels
        raise AudioError(
            f"invalid header: its block align ({align} bytes a frame) and byte "
            f"rate ({per_second} a second) give {size}-byte samples for "
            f"{channels} channel{'s' * (channels > 1)}, its bit width "
            f"{bits}-bit ones: decoded, it would be noise"
        )


#: libsndfile's log of a WAV's block layout, and of its data chunk's size
#: (and of the bytes held, when fewer).
_BLOCK_LAYOUT = re.compile(
    r"Block Align\s*:\s*(\d+).*?Samples/Block\s*:\s*(\d+)", re.DOTALL
)
_DATA_SIZE = re.compile(r"^\s*data\s*:\s*(\d+)(?:\s*\(should be (\d+)\))?", re.M)


def _gsm_blocks(f: sf.SoundFile, log: str) -> tuple[int, int] | None:
    """Count the frames in the whole blocks of a GSM 6.10 WAV's data chunk.

    Returns ``(held, claimed)``: in the blocks the file holds, and in those
    its data chunk claims; None for another file. libsndfile takes the pad
    byte after a data chunk of an odd size (an odd number of 65-byte
    blocks: every other GSM WAV) for the start of one more block, and
    decodes 320 frames of noise from it, up to full scale; ffmpeg, and the
    WAV's ``fact`` chunk, end where the blocks do.
    """
    if f.format != "WAV" or f.subtype != "GSM610":
        return None
    layout, data = _BLOCK_LAYOUT.search(log), _DATA_SIZE.search(log)
    if layout is None or data is None or int(layout.group(1)) <= 0:
        return None
    align, per = int(layout.group(1)), int(layout.group(2))
    claimed = int(data.group(1))
    held = int(data.group(2) or claimed)
    return held // align * per, claimed // align * per


def check_header(
    info: AudioInfo, *, path: str | os.PathLike[str] | None = None
) -> None:
    """Reject a header whose rate or channel count cannot be real audio.

    ``path``: the file, whose header's own rate is named when libsndfile's
    is not it (an AIFF's rate of 0 Hz, or 1e-30, libsndfile reads as 1).

    Raises
    ------
    AudioError
        ``implausible sample rate: 1 Hz (...)`` and the like.
    """
    if info.channels <= 0 or info.samplerate <= 0:
        raise AudioError(
            f"invalid header: {info.samplerate} Hz, {info.channels} channels"
        )
    if not MIN_SAMPLERATE <= info.samplerate <= MAX_SAMPLERATE:
        rate: float = info.samplerate
        if path is not None and info.format in ("AIFF", "CAF"):  # floats
            own = containers.header_fields(path).rate
            rate = own if own is not None else rate  # NaN: libsndfile reads 2**26
        raise AudioError(_implausible_rate(rate))
    if info.channels > MAX_CHANNELS:
        raise AudioError(
            f"implausible channel count: {info.channels} (at most {MAX_CHANNELS})"
        )


def _implausible_rate(rate: float) -> str:
    if math.isnan(rate):  # an AIFF's or CAF's float
        return "invalid header: its sample rate is not a number (NaN)"
    return (
        f"implausible sample rate: {rate:.15g} Hz (melcli takes "
        f"{MIN_SAMPLERATE} to {MAX_SAMPLERATE} Hz)"
    )


#: libsndfile's "SF_INFO struct incomplete": a rate or channel count it
#: cannot take (0, or beyond its signed 32-bit int), said in words.
_INFO_INCOMPLETE = "invalid header: sample rate or channel count is zero"
#: The same, for a header whose rate is one melcli takes.
_INFO_INCOMPLETE_OTHER = (
    "invalid header: libsndfile cannot make sense of it (SF_INFO struct incomplete)"
)


def check_min_duration(info: AudioInfo, params: MelParams, *, claimed: int = 0) -> None:
    """Raise :class:`TooShort` for a file shorter than ``params.min_duration``.

    ``claimed`` is the frames its header claims, if more than ``info`` holds
    (a file cut short): the file is as long as it claims.
    """
    if params.min_duration is None:
        return
    duration = info.duration
    if claimed > info.frames and info.samplerate > 0:
        duration = claimed / info.samplerate
    if duration < params.min_duration:
        raise TooShort(
            f"shorter than min_duration={number(params.min_duration)} s "
            f"({duration:.3g} s)"
        )


def frames_to_read(info: AudioInfo, params: MelParams) -> int:
    """Return how many frames ``params.duration`` asks for (-1: to the end)."""
    if params.duration is None:
        return -1
    return frames_in(params.duration, info.samplerate)


#: More frames than any file holds (a 1 MHz stream of 146 years): what a
#: longer offset or duration comes to.
MAX_FRAMES = 1 << 52


def frames_in(seconds: float, samplerate: float) -> int:
    """Return the whole frames in ``seconds`` at ``samplerate``, at most MAX_FRAMES.

    ``--offset 1e308`` or ``--duration 1e308`` are finite, and valid, but
    their frames are not (``int(inf)`` raised OverflowError): they come to
    :data:`MAX_FRAMES`, past the end of any file.
    """
    frames = seconds * samplerate
    return int(frames) if frames < MAX_FRAMES else MAX_FRAMES


@overload
def load(
    path: str | os.PathLike[str],
    params: MelParams,
    *,
    timings: dict[str, float] | None = None,
    max_seconds: None = None,
    resampled: bool = True,
) -> Waveform: ...
@overload
def load(
    path: str | os.PathLike[str],
    params: MelParams,
    *,
    timings: dict[str, float] | None = None,
    max_seconds: float | None,
    resampled: bool = True,
) -> Waveform | None: ...
def load(
    path: str | os.PathLike[str],
    params: MelParams,
    *,
    timings: dict[str, float] | None = None,
    max_seconds: float | None = None,
    resampled: bool = True,
) -> Waveform | None:
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
        Decode nothing and return None for a file longer than this many
        seconds (or too large to hold): the caller streams it instead.
    resampled : bool
        False: leave the samples at the file's own rate (``Waveform.sr``),
        for the caller to resample with others (:func:`resample_many`).

    Returns
    -------
    Waveform or None
        ``y`` has shape ``(n,)`` when ``params.mono`` is true, else
        ``(channels, n)`` (also for a one-channel file). None only with
        ``max_seconds``, for a file longer than that.

    Raises
    ------
    AudioError
        For unreadable, non-audio, empty, truncated or non-finite input
        (see :func:`open_audio` for the policies).
    """
    clock = time.perf_counter
    t0 = clock()
    depth = len(_SWAPS)
    try:
        with open_audio(path, params) as (f, info, notes):
            frames = frames_to_read(info, params)
            if max_seconds is not None:
                available = info.frames - frames_in(params.offset, info.samplerate)
                wanted = available if frames < 0 else min(frames, available)
                if (
                    wanted > max_seconds * info.samplerate
                    or wanted * info.channels > MAX_IN_MEMORY_SAMPLES
                ):
                    f.handed_over = True  # type: ignore[attr-defined]
                    return None
            if info.subtype == "PCM_16":
                data = f.read(frames=frames, dtype="int16", always_2d=True)
            else:
                data = f.read(frames=frames, dtype="float32", always_2d=True)
    except BaseException:
        _undo_swaps(depth)  # a signal inside open_audio's __enter__
        raise
    info = held_info(f, info)
    warn_notes(notes)
    if data.shape[0] == 0:
        raise AudioError("no audio samples (0 frames)")
    t1 = clock()

    if data.dtype == np.int16:
        y = _pcm16_to_float(data, mono=params.mono)
    else:
        y = to_mono(data) if params.mono else np.ascontiguousarray(data.T)
    t2 = clock()
    if not resampled:
        if timings is not None:
            timings.update(decode=t1 - t0, mix=t2 - t1)
        return Waveform(y=y, sr=info.samplerate, info=info)
    y, sr = to_rate(y, info.samplerate, params)
    if timings is not None:
        timings.update(decode=t1 - t0, mix=t2 - t1, resample=clock() - t2)
    return Waveform(y=y, sr=sr, info=info)


def held_info(f: sf.SoundFile, info: AudioInfo) -> AudioInfo:
    """Return the header facts of a file :func:`open_audio` has read.

    With ``truncated="keep"``, a stream cut short is as long as what it
    held, not as its header claims.
    """
    return f.info if isinstance(f, _CheckedFile) else info


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
    y: np.ndarray = np.add(data[:, 0], data[:, 1])  # no copy of the first
    for c in range(2, channels):
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
    channels = data.shape[1]
    if channels == 2:
        return _mix_pcm16_stereo(data)
    if channels == 1:
        y = data[:, 0].astype(np.float32)
        y *= scale
        return y
    total = data[:, 0].astype(np.int32)
    for c in range(1, channels):
        total += data[:, c]
    y = total.astype(np.float32)
    y *= scale
    y /= np.float32(channels)
    return y


def _mix_pcm16_stereo(data: np.ndarray) -> np.ndarray:
    """Mix 16-bit stereo ``data`` [shape=(n, 2)] to float32, exactly.

    The sum of two 16-bit samples is exact in float32 (17 bits), and so is
    the scale by 2**-16 (the division by 2 included): each block is cast over
    contiguous memory, then its two columns are added (0.52-0.56 against
    0.65-0.66 ms per 10-s clip for splitting each frame's two samples, read as
    one int32, by shifts). In blocks of :data:`MIX_BLOCK_FRAMES`, through one
    small buffer: cast whole, a clip's float pairs were a temporary twice the
    size of the mix, written to fresh memory at every file, which two workers
    on one shared cache paid for in memory traffic.
    """
    n = data.shape[0]
    mixed = np.empty(n, dtype=np.float32)
    pairs = np.empty((min(n, MIX_BLOCK_FRAMES), 2), dtype=np.float32)
    scale = np.float32(0.5 / 32768.0)
    for start in range(0, n, MIX_BLOCK_FRAMES):
        block = data[start : start + MIX_BLOCK_FRAMES]
        both = pairs[: len(block)]
        np.copyto(both, block)
        out = mixed[start : start + len(block)]
        np.add(both[:, 0], both[:, 1], out=out)
        out *= scale
    return mixed


def resample(
    y: np.ndarray, *, orig_sr: int, target_sr: int, res_type: str = "soxr_hq"
) -> np.ndarray:
    """Resample along the last axis exactly as ``librosa.resample`` does.

    The soxr resamplers are called directly (the same library and call librosa
    makes), then trimmed or zero-padded to ``ceil(n * target_sr / orig_sr)``
    samples as librosa's ``fix=True`` does. Other ``res_type`` values go through
    ``librosa.resample`` itself.

    Designing soxr's filter is most of a short clip's call (a 0.05 s clip:
    about 0.25 ms), and no resampler is kept from one file to the next: a
    ``soxr.ResampleStream`` cleared between files designs it again, for the
    same time (bench/README.md, "Figures behind the code").
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


def resample_many(
    ys: Sequence[np.ndarray], *, orig_sr: int, target_sr: int, res_type: str
) -> list[np.ndarray]:
    """Resample waveforms of one length and shape in one soxr call.

    The same numbers as :func:`resample` on each, bit for bit: soxr treats
    channels independently, with one filter, so the waveforms go in as the
    channels of one signal. Designing that filter is most of the cost for a
    short clip (about 0.25 ms for 0.05 s at 16 kHz), paid here once for all
    of them.

    Parameters
    ----------
    ys : sequence of np.ndarray [shape=(n,) or (channels, n)], float32
        Of one shape.
    orig_sr, target_sr : int
        Their rate, and the rate wanted.
    res_type : str
        A soxr quality (``"soxr_hq"``...); others are resampled one by one.
    """
    if len(ys) < 2 or orig_sr == target_sr or not res_type.startswith("soxr"):
        return [
            resample(y, orig_sr=orig_sr, target_sr=target_sr, res_type=res_type)
            for y in ys
        ]
    import soxr

    shape = ys[0].shape
    n = shape[-1]
    n_out = math.ceil(n * float(target_sr) / orig_sr)
    # (n, every channel of every waveform), as soxr takes them.
    block = np.concatenate([y.reshape(-1, n).T for y in ys], axis=1)
    out = _fix_length(
        soxr.resample(block, orig_sr, target_sr, quality=res_type).T, n_out
    )
    per = out.shape[0] // len(ys)
    return [
        np.ascontiguousarray(out[i * per : (i + 1) * per], dtype=np.float32).reshape(
            (*shape[:-1], n_out)
        )
        for i in range(len(ys))
    ]


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
    fd 2, which would break melcli's one-line-per-file output; libsndfile's
    SDS reader prints ``Error A : 00`` to fd 1, which would break the JSON
    lines of ``melcli info --json``. Both are captured here and returned, to
    be attached to the file they came from. (fds 1 and 2 are process-wide: do
    not decode from several threads at once.)

    The capture goes to one temporary file per process, kept open and emptied
    after each use: creating one per file cost more than decoding a short one.
    """
    notes: list[str] = []
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(AttributeError, OSError, ValueError):
            stream.flush()
    depth = len(_SWAPS)
    try:
        err_copy, out_copy = _copy_slot(depth), _copy_slot(depth + 1)
        os.dup2(2, err_copy, inheritable=False)
    except (OSError, ImportError):  # no fd 2 at all
        yield notes
        return
    # Each swap is listed before it is made, and unlisted once undone: a
    # signal's exception raised at any moment (even where this generator's
    # finally never runs: contextlib's __enter__) leaves a list from which
    # the caller puts fds 1 and 2 back (see _undo_swaps, open_audio); the
    # copies are kept from one swap to the next, so none can leak.
    mine = (2, err_copy)  # a new object: this capture's own place in the list
    _SWAPS.append(mine)
    capture = start = -1
    try:
        capture = _capture_fd()
        start = os.lseek(capture, 0, os.SEEK_END)  # nested: after the outer's notes
        with contextlib.suppress(OSError):  # no fd 1: nothing to swap
            os.dup2(1, out_copy, inheritable=False)
            _SWAPS.append((1, out_copy))
        os.dup2(capture, 2)
        if len(_SWAPS) > depth + 1:
            os.dup2(capture, 1)
        yield notes
    finally:
        # Only while its swaps are listed. Once a caller undid them (a
        # signal), this generator may be closed much later, by the garbage
        # collector, in the middle of another capture: undoing that one's
        # swaps and reading its notes would leave fd 2 on the capture file.
        ours = len(_SWAPS) > depth and _SWAPS[depth] is mine
        if ours:
            _undo_swaps(depth)
        end = os.lseek(capture, 0, os.SEEK_END) if ours and start >= 0 else start
        if end > start:
            text = os.pread(capture, end - start, start).decode("utf-8", "replace")
            os.ftruncate(capture, start)
            os.lseek(capture, start, os.SEEK_SET)
            notes.extend(" ".join(line.split()) for line in text.splitlines())
            notes[:] = [n for n in notes if n]


#: The swaps of fds 1 and 2 that :func:`_native_stderr` made and has not
#: undone yet, innermost last: ``(fd, the descriptor holding what it was)``.
_SWAPS: list[tuple[int, int]] = []
#: The descriptors that hold what fds 2 and 1 were while swapped, by place in
#: :data:`_SWAPS`: opened once (above 2), then reused.
_COPIES: list[int] = []


def _copy_slot(index: int) -> int:
    """Return the descriptor that holds a swapped fd at ``index`` of the swaps."""
    while len(_COPIES) <= index:
        import fcntl  # POSIX only: elsewhere nothing is captured (ImportError)

        _COPIES.append(fcntl.fcntl(2, fcntl.F_DUPFD_CLOEXEC, 3))
    return _COPIES[index]


def _undo_swaps(depth: int) -> None:
    """Put fds 1 and 2 back as they were before all but the first ``depth`` swaps.

    Safe to call again at any point of a call interrupted by a signal's
    exception: a swap is unlisted only once undone.
    """
    while len(_SWAPS) > depth:
        fd, copy = _SWAPS[-1]
        if fd == 1:
            _flush_c_stdio()  # what a decoder printf'd, into the capture
        with contextlib.suppress(OSError):
            os.dup2(copy, fd)
        _SWAPS.pop()


# A stop signal's handler puts them back before it raises, wherever the
# decoding stands (the command's: its summary must reach the terminal).
interrupts.put_back_before_stop(functools.partial(_undo_swaps, 0))


@functools.cache
def _c_fflush() -> Callable[[object], int] | None:
    """Return the C library's ``fflush``, or None where it cannot be had."""
    try:
        import ctypes

        return ctypes.CDLL(None).fflush  # type: ignore[no-any-return]
    except (ImportError, OSError, AttributeError):
        return None


def _flush_c_stdio() -> None:
    """Write out what C code has buffered in its ``stdout`` (``fflush(NULL)``).

    libsndfile's SDS reader ``printf``s to stdout; to a pipe or a file, C
    buffers it and writes it later, to whatever fd 1 is then.
    """
    fflush = _c_fflush()
    if fflush is not None:
        fflush(None)


#: This process's capture file for :func:`_native_stderr`: (pid, descriptor).
#: A forked worker inherits its parent's, whose offset the two would share:
#: it opens its own.
_CAPTURE: tuple[int, int] | None = None


def _capture_fd() -> int:
    global _CAPTURE
    pid = os.getpid()
    if _CAPTURE is None or _CAPTURE[0] != pid:
        if _CAPTURE is not None:  # the parent's copy
            with contextlib.suppress(OSError):
                os.close(_CAPTURE[1])
        with tempfile.TemporaryFile() as f:  # unnamed: nothing to clean up
            fd = os.dup(f.fileno())
        _CAPTURE = (pid, fd)
    return _CAPTURE[1]


def _info_of(
    f: sf.SoundFile, *, format: str | None = None, subtype: str | None = None
) -> AudioInfo:
    return AudioInfo(
        format=format or str(f.format),
        subtype=subtype or str(f.subtype),
        samplerate=int(f.samplerate),
        channels=int(f.channels),
        frames=int(f.frames),
    )


def _check_readable(path: str | os.PathLike[str]) -> None:
    """Fail early, in words, for what libsndfile would report as 'System error'."""
    try:
        st = os.stat(path)
    except ValueError:  # no file can have such a name
        raise AudioError("not a file name: the path holds a NUL byte") from None
    except FileNotFoundError:
        raise AudioError("file not found") from None
    except PermissionError:
        raise AudioError("permission denied") from None
    except OSError as exc:
        raise AudioError(os_reason(exc)) from None
    if stat.S_ISDIR(st.st_mode):
        raise AudioError("is a directory, not a file")
    if not stat.S_ISREG(st.st_mode):
        # Never opened: reading a FIFO would block until someone writes to it.
        raise AudioError(f"not a regular file ({file_kind(st.st_mode)})")
    if st.st_size == 0:
        raise AudioError("empty file (0 bytes)")
    try:
        # A bare descriptor: a Python file object costs more than the check.
        os.close(interrupts.os_open(path, os.O_RDONLY | os.O_NONBLOCK))
    except PermissionError:
        raise AudioError("permission denied") from None
    except OSError as exc:
        raise AudioError(os_reason(exc)) from None


def check_finite(data: np.ndarray) -> None:
    """Raise :class:`AudioError` counting NaN and Inf samples, if there are any."""
    if np.isfinite(data).all():
        return
    n_nan = int(np.isnan(data).sum())
    n_inf = int(np.isinf(data).sum())
    raise AudioError(f"non-finite samples: {n_nan} NaN, {n_inf} Inf")


def _describe_soundfile_error(exc: sf.SoundFileError) -> str:
    """Turn libsndfile's message into a cause in words, without the path."""
    text = str(getattr(exc, "error_string", "") or exc).strip().rstrip(".")
    text = re.sub(r"^error\s*:\s*", "", text, flags=re.IGNORECASE)
    lowered = text.lower()
    if "format not recognised" in lowered or "unknown format" in lowered:
        return "not an audio file (format not recognised)"
    if "is not a regular file" in lowered:
        # libsndfile's message when a decoder (mpg123) found no audio in a file
        # that _check_readable has already shown to be a readable regular file.
        return "not an audio file (no decodable audio found)"
    if "sf_info struct incomplete" in lowered:
        return _INFO_INCOMPLETE
    if not text:
        return f"cannot decode ({type(exc).__name__})"
    return f"cannot decode: {text[0].lower()}{text[1:]}"

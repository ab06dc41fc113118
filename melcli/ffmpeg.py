"""MP4/AAC audio (``.m4a``, ``.aac``) through the ``ffmpeg`` program.

libsndfile does not decode AAC. A file whose *content* is MP4 or ADTS AAC
(whatever its extension) is decoded by running ``ffmpeg``, when it is on PATH,
into an anonymous temporary file of 32-bit float samples that the rest of the
pipeline reads like any other file (so long files still stream in bounded
memory). When ffmpeg is missing the file fails with a message saying what to
install. WebM and Matroska audio goes the same way. Nothing else goes through
ffmpeg but what libsndfile cannot read: two streams written to a pipe (a FLAC
whose header gives no length, a CAF whose data size is -1) and FLAC in Ogg;
a file libsndfile rejects for another reason keeps libsndfile's clear error.
ffmpeg runs with ``-xerror`` (but for the CAF, whose short last packet its
demuxer calls corrupt: any error it prints still fails the file), so a
corrupt or cut stream is a failure, never silently partial audio; with
``keep`` (``--truncated keep``) the audio decoded before the error is kept,
and the stream says where and why decoding stopped.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import re
import shutil
import struct
import subprocess
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import IO, NamedTuple

import soundfile as sf

from .containers import (
    Buffer,
    cut_after,
    file_bytes,
    n_bytes,
    quoted,
    skip_id3v2,
    skip_id3v2_tags,
    zeros_from,
)
from .errors import AudioError

#: Seconds one ffmpeg or ffprobe call may take before it is killed.
FFMPEG_TIMEOUT = 600.0

INSTALL_HINT = (
    "{what} needs ffmpeg, which is not installed "
    "(install it: apt install ffmpeg, brew install ffmpeg, or conda install ffmpeg)"
)
#: What needs ffmpeg, unless the caller says otherwise.
MP4_OR_AAC = "MP4/AAC audio"


@dataclass(frozen=True)
class Stream:
    """The first audio stream of a file, as ffprobe describes it."""

    format: str
    codec: str
    samplerate: int
    channels: int
    #: Frames the container announces (0 if it does not say).
    frames: int
    #: Where and why ffmpeg stopped, when what decoded before an error was
    #: kept (``decode(keep=True)``); "" when it decoded to the end.
    stopped: str = ""


def _container_name(format_name: str) -> str:
    """Return ffprobe's first name for a container, as melcli says formats.

    ``"matroska,webm"`` is ``"MATROSKA"``; no name at all is bare ``"AAC"``.
    """
    return format_name.split(",")[0].upper() or "AAC"


#: What needs ffmpeg, for WebM and Matroska audio (``.webm``, ``.mka``).
MATROSKA = "WebM/Matroska audio"


def is_matroska(path: str | os.PathLike[str]) -> bool:
    """Return whether ``path`` starts like a WebM or Matroska file (EBML)."""
    try:
        with open(path, "rb") as f:
            return f.read(4) == b"\x1a\x45\xdf\xa3"
    except OSError:
        return False


def is_mp4_or_aac(path: str | os.PathLike[str]) -> bool:
    """Return whether ``path`` starts like an MP4 container or an ADTS AAC stream.

    An ADTS stream may follow ID3v2 tags (``ffmpeg -write_id3v2 1``, the
    audio segments of HTTP live streams, recordings of internet radio).
    """
    try:
        with open(path, "rb") as f:
            head = f.read(12)
            if head[4:8] == b"ftyp":
                return True
            if head[:3] == b"ID3":
                f.seek(skip_id3v2_tags(f))
                head = f.read(2)
    except OSError:
        return False
    # ADTS: 12-bit sync word, then layer 00 (MPEG audio layer bits are non-zero).
    return len(head) >= 2 and head[0] == 0xFF and (head[1] & 0xF6) == 0xF0


def probe(
    path: str | os.PathLike[str],
    *,
    timeout: float = FFMPEG_TIMEOUT,
    what: str = MP4_OR_AAC,
) -> Stream:
    """Describe the first audio stream of ``path`` with ffprobe.

    ``what`` names the audio in the message when ffprobe is not installed.

    Raises
    ------
    AudioError
        If ffprobe is missing, fails, times out, or finds no audio stream.
    """
    ffprobe = _tool("ffprobe", what)
    if damage := _settings_damage(path, what):  # ffmpeg's words do not say
        raise Unreadable(f"corrupt: {damage}")
    command = [
        ffprobe,
        "-v",
        "error",
        "-select_streams",
        "a:0",
        "-show_entries",
        "stream=codec_name,codec_tag_string,sample_rate,channels,duration"
        ":format=format_name,duration",
        "-of",
        "json",
        _input(path),
    ]
    try:
        result = _run(command, timeout=timeout, stdout=subprocess.PIPE)
    except _Failed as exc:  # MP4, ADTS, or a FLAC or CAF of a pipe: damaged
        # Cut inside its index (faststart), or inside its audio before its
        # index at the end: ffprobe's "moov atom not found" does not say cut.
        _fail_if_cut(path, only_mp4=True)
        if (cut := _cut_before_audio(path, what)) != "":
            raise Unreadable(f"truncated: decoded 0.00 s, then {cut}") from None
        raise Unreadable(
            f"corrupt or truncated: ffprobe cannot read it ({exc.detail})"
        ) from None
    try:
        data = json.loads(result.stdout)
        stream = data["streams"][0]
        samplerate = int(stream["sample_rate"])
        channels = int(stream["channels"])
    except (ValueError, KeyError, IndexError, TypeError):
        _fail_if_cut(path)
        raise AudioError("not an audio file (ffprobe found no audio stream)") from None
    if samplerate <= 0 or channels <= 0:  # an ADTS header cut: rate 0, 0 channels
        _fail_if_cut(path)
        raise AudioError(
            f"invalid header: ffprobe finds a sample rate of {samplerate} Hz and "
            f"{channels} channels"
        )
    if stream.get("codec_name", "none") == "none":
        # A codec tag ffmpeg has no decoder for (a CAF's format ID damaged,
        # or one of no codec at all): "Decoder (codec none) not found".
        tag = str(stream.get("codec_tag_string", "")) or "none"
        raise AudioError(
            f"cannot decode: its audio is in an encoding neither libsndfile nor "
            f"ffmpeg reads (its codec tag: {quoted(tag)})"
        )
    container = str(data.get("format", {}).get("format_name", ""))
    # Matroska gives its duration for the file, not for the stream.
    duration = stream.get("duration", data.get("format", {}).get("duration", 0))
    try:
        frames = round(float(duration) * samplerate)
    except (TypeError, ValueError):
        frames = 0
    return Stream(
        format="MP4" if "mp4" in container else _container_name(container),
        codec=str(stream.get("codec_name", "")).upper(),
        samplerate=samplerate,
        channels=channels,
        frames=max(frames, 0),
    )


def _cut_before_audio(path: str | os.PathLike[str], what: str) -> str:
    """Say how a file ffprobe cannot read was cut before its first audio, or ""."""
    if what in (WAVPACK, ASF, AMR):
        cut = walked_cut(path, what)
        return cut if " ends inside its " in cut or "before its" in cut else ""
    if what.startswith("CAF "):  # ALAC's packet table, after the audio, cut
        from .containers import cut_before_audio

        return cut_before_audio(path)
    cut = adts_cut(path)
    return cut if cut.endswith("first ADTS frame") else ""


def _settings_damage(path: str | os.PathLike[str], what: str) -> str:
    """Say how the decoder's settings a file holds are damaged, or "".

    An ALAC CAF's magic cookie (:func:`containers.caf_cookie_damage`).
    """
    if not what.startswith("CAF "):
        return ""
    from .containers import caf_cookie_damage

    return caf_cookie_damage(path)


def _fail_if_cut(path: str | os.PathLike[str], *, only_mp4: bool = False) -> None:
    """Fail an MP4 that ffprobe cannot read as cut, if its boxes say it was.

    A file cut inside its ``moov`` box (at its start, as ``-movflags
    +faststart`` puts it) has no audio stream ffprobe can find, or one it
    calls damaged ("contradictionary STSC and STCO"): it is not "not audio";
    nor is one cut inside its audio (``mdat``) before its index at the end
    ("moov atom not found"). ``only_mp4``: not by its ADTS frames.
    """
    from .containers import cut_of_nothing, mp4_cut

    if cut := mp4_cut(path) or ("" if only_mp4 else adts_cut(path)):
        raise Unreadable(cut_of_nothing(cut))


@contextlib.contextmanager
def decode(
    path: str | os.PathLike[str],
    *,
    timeout: float = FFMPEG_TIMEOUT,
    what: str = MP4_OR_AAC,
    keep: bool = False,
    strict: bool = True,
    walked: Callable[[], str] | None = None,
    links: Sequence[tuple[int, int]] = (),
) -> Iterator[tuple[sf.SoundFile, Stream]]:
    """Decode ``path`` with ffmpeg; yield a soundfile over the samples, and the stream.

    The samples are 32-bit float at the stream's own rate and channel count,
    in an anonymous temporary file that vanishes when the block exits (or the
    process dies). With ``keep``, a stream that fails after some audio
    decoded yields that audio, and ``stream.stopped`` says where and why.
    Without ``strict``, ffmpeg runs without ``-xerror``: for a CAF of unknown
    length, whose demuxer flags the short last packet at the end of the file
    as corrupt (its PCM has nothing else to check). ``walked`` says how the
    file's own bytes show it cut (its boxes, frames, blocks or sizes), or "":
    a stream ffmpeg stops decoding is said cut in those words, as one it
    decodes to its cut without a word is, not in ffmpeg's. ``links``: the
    byte ranges of a chained Ogg file's links, each decoded on its own (and
    their samples joined): ffmpeg decoding one link after another carries
    the decoder's state over, and gave 16 ms of noise up to 3x full scale
    where a second Opus link begins.

    Raises
    ------
    AudioError
        If ffmpeg is missing, reports any error (``-xerror``) and ``keep`` is
        false or nothing decoded, or times out.
    """
    try:
        stream = probe(path, timeout=timeout, what=what)
    except Unreadable as exc:
        if keep:  # an MP4 cut before its index ("moov"): no audio can be found
            said = str(exc).removesuffix(": no audio decodes")
            raise AudioError(f"{said}; no audio decodes, so none is kept") from None
        raise
    walk = adts_walk(path) if what == MP4_OR_AAC else AdtsWalk()
    if walk.junk and not keep:  # ffmpeg may fail there, or skip it: failed
        raise AudioError(walk.junk)
    if (walk.padded or walk.junk) and not links:
        links = [(0, walk.end)]  # its whole frames, not what follows them
    with tempfile.TemporaryFile() as raw:
        try:
            suffix = ".aac" if what == MP4_OR_AAC else ".ogg"
            for part in _link_files(path, links, suffix=suffix):
                with part as name:
                    command = _decode_command(name, stream, what, strict=strict)
                    _run(command, timeout=timeout, stdout=raw)
        except _Failed as exc:  # it stopped at the first bad frame (-xerror)
            room = _NO_ROOM.search(exc.detail)
            if room:  # the input is not at fault: nothing of it is kept
                raise AudioError(
                    f"cannot write the decoded audio to a temporary file in "
                    f"{tempfile.gettempdir()}: {room.group(0).lower()} (ffmpeg "
                    f"decodes into it; free some space there, or set TMPDIR)"
                ) from None
            written = os.fstat(raw.fileno()).st_size
            frame = 4 * stream.channels
            if written < frame and (cut := _cut_before_audio(path, what)):
                if cut.endswith("after its audio data"):  # whole, but not to ffmpeg
                    raise AudioError(
                        f"truncated: {cut}; ffmpeg decodes none of such a file "
                        f"({exc.detail})"
                    ) from None
                raise AudioError(f"truncated: decoded 0.00 s, then {cut}") from None
            said = _stopped(stream, written, exc.detail, walked)
            if not keep:
                raise AudioError(said) from None
            if written < frame:
                raise AudioError(f"{said}; no audio decoded, so none is kept") from None
            raw.truncate(written - written % frame)  # whole sample frames only
            stream = dataclasses.replace(stream, stopped=said)
        if walk.junk:  # kept: what its frames decode to before the junk
            stream = dataclasses.replace(stream, stopped=walk.junk)
        raw.seek(0)
        with sf.SoundFile(
            raw,
            format="RAW",
            subtype="FLOAT",
            endian="LITTLE",
            samplerate=stream.samplerate,
            channels=stream.channels,
        ) as f:
            yield f, stream


def _decode_command(
    path: str | os.PathLike[str], stream: Stream, what: str, *, strict: bool
) -> list[str]:
    """Return the ffmpeg command decoding ``path`` to 32-bit floats on stdout."""
    return [
        _tool("ffmpeg", what),
        "-nostdin",
        "-v",
        "error",
        *(["-xerror"] if strict else []),
        "-i",
        _input(path),
        "-map",
        "0:a:0",
        # Time stamps from the sample count: a chained Ogg's next link starts
        # its own again, which the raw muxer called an error ("non
        # monotonically increasing dts").
        "-af",
        "asetpts=N/SR/TB",
        "-ac",
        str(stream.channels),
        "-ar",
        str(stream.samplerate),
        "-f",
        "f32le",
        "-c:a",
        "pcm_f32le",
        "-",
    ]


def _link_files(
    path: str | os.PathLike[str],
    links: Sequence[tuple[int, int]],
    *,
    suffix: str = ".ogg",
) -> Iterator[contextlib.AbstractContextManager[str | os.PathLike[str]]]:
    """Yield what names the file to decode, or each link of it in turn.

    A link is copied to a temporary file (next to ffmpeg's samples), which
    is deleted when its block exits.
    """
    if not links:
        yield contextlib.nullcontext(path)
        return
    for start, end in links:
        yield _link_file(path, start, end, suffix=suffix)


@contextlib.contextmanager
def _link_file(
    path: str | os.PathLike[str], start: int, end: int, *, suffix: str
) -> Iterator[str]:
    """Copy bytes ``start`` to ``end`` of ``path`` to a temporary file; name it."""
    with tempfile.NamedTemporaryFile(suffix=suffix) as part:
        try:
            with open(path, "rb") as f:
                f.seek(start)
                left = end - start
                while left > 0:
                    block = f.read(min(left, 1 << 20))
                    if not block:
                        break
                    part.write(block)
                    left -= len(block)
            part.flush()
        except OSError as exc:
            raise AudioError(
                f"cannot copy the part of the file to decode to a temporary file "
                f"in {tempfile.gettempdir()}: {exc.strerror or exc} (free some "
                f"space there, or set TMPDIR)"
            ) from None
        yield part.name


def _input(path: str | os.PathLike[str]) -> str:
    """Name ``path`` to ffmpeg as a file, whatever its name looks like.

    ffmpeg reads ``pipe:0.m4a`` as standard input, ``concat:a.m4a`` or
    ``12:30.m4a`` as protocols, and ffprobe ``-take.m4a`` as an option: its
    ``file:`` protocol takes the rest of the argument as the path, as it is.
    """
    return "file:" + os.fsdecode(path)


#: ffmpeg's words when it cannot write the decoded samples (ENOSPC, EDQUOT,
#: EFBIG): the temporary file's folder is full, not the input damaged.
_NO_ROOM = re.compile(
    r"No space left on device|Disk quota exceeded|File too large", re.IGNORECASE
)


def _tool(name: str, what: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise AudioError(INSTALL_HINT.format(what=what))
    return found


def _stopped(
    stream: Stream,
    decoded_bytes: int,
    detail: str,
    walked: Callable[[], str] | None = None,
) -> str:
    """Say that a stream was cut short or damaged, where decoding stopped, and why.

    ``decoded_bytes`` of 32-bit float samples came before ffmpeg stopped; an
    MP4 says how long it is (ADTS gives only a guess, a FLAC of unknown
    length nothing), as libsndfile's files do in the same message. A cut
    that ``walked`` finds in the file's own bytes is said in its words.
    """
    decoded = decoded_bytes / (4 * stream.channels) / stream.samplerate
    if walked is not None and (cut := walked()):
        return cut_after(decoded_bytes // (4 * stream.channels), stream.samplerate, cut)
    total = stream.frames / stream.samplerate if stream.format == "MP4" else 0
    of = f" of {total:.2f} s" if total > 0 else ""
    return (
        f"corrupt or truncated: decoding stopped at {decoded:.2f} s{of} "
        f"(ffmpeg: {detail})"
    )


#: An ADTS frame's header (9 bytes with its CRC): sync word, rate, length.
_ADTS_HEADER = 7
#: ADTS frames walked at most (an hour at 48 kHz is about 170 000).
_MAX_ADTS_FRAMES = 1_000_000


def adts_cut(path: str | os.PathLike[str]) -> str:
    """Say how an ADTS AAC stream was cut, from its frames' lengths, or "".

    Each ADTS frame's header gives the frame's length. ffmpeg drops, without
    a word, a last frame cut inside its header (a cut a few bytes past a
    frame's start): the file decodes as a whole, shorter stream. A frame
    running past the end of the file, or a header cut, is a cut. "" for a
    stream that ends on a frame's end, or that stops being ADTS (an ID3v1
    tag after it), or that is not ADTS.
    """
    return adts_walk(path).cut


class AdtsWalk(NamedTuple):
    """What walking an ADTS stream's frames finds (see :func:`adts_walk`)."""

    #: How the stream was cut ("" if not known to be).
    cut: str = ""
    #: Samples a channel its whole frames decode to (1024 a raw data block).
    samples: int = 0
    #: Where its whole frames end, and the file's size.
    end: int = 0
    size: int = 0
    #: Whether only zeros (or an ID3v1 tag) follow its whole frames: no audio.
    padded: bool = False
    #: The sample rate its first frame's header gives (0: none walked).
    samplerate: int = 0

    @property
    def junk(self) -> str:
        """Say that bytes that are no ADTS frame follow its whole frames, or "".

        ffmpeg stops decoding there (``-xerror``), in words that do not say
        where: "Error decoding AAC frame header".
        """
        if self.cut or self.padded or not self.samplerate or self.end >= self.size:
            return ""
        return (
            f"corrupt: decoding stopped at {self.samples / self.samplerate:.2f} s: "
            f"the bytes at byte {self.end} are no ADTS frame"
        )


def adts_walk(path: str | os.PathLike[str]) -> AdtsWalk:
    """Walk the ADTS frames of ``path``: its cut, samples, and where they end.

    ``padded`` when what follows its last whole frame is fewer zeros than
    a block (a writer's padding to one) or an ID3v1 or APEv2 tag (more zeros
    to the end are a cut: a preallocated file never finished): ffmpeg fails
    a stream so padded (``-xerror``: "Input/output error", or "Error
    decoding AAC frame header"), whose every frame is whole.
    """
    try:
        with open(path, "rb") as f:
            data = file_bytes(f)
            walk = _adts_walk(data)
            if walk.cut or not walk.samples or walk.end == walk.size:
                return walk
            rest = data[walk.end : walk.end + _ADTS_PADDING]
            zeros = zeros_from(data)
    except OSError:
        return AdtsWalk()
    if zeros <= walk.end < walk.size and walk.size - zeros >= _ADTS_PADDING:
        # its frames run into them: the last may hold some zeros of them
        return walk._replace(
            cut=f"only zeros from byte {zeros} to the end (a file preallocated "
            f"and never finished?)"
        )
    if walk.end + len(rest) == walk.size and (
        zeros <= walk.end
        or (len(rest) == 128 and rest[:3] == b"TAG")
        or rest[:8] == b"APETAGEX"
    ):
        return walk._replace(padded=True)
    return walk


#: Bytes of zeros after an ADTS stream's frames taken as a writer's padding,
#: less than: one block (a sector is 512 bytes, a page or cluster 4096). A
#: longer run of zeros to the end is the unwritten rest of a file made at its
#: full size before its bytes came (a download, a copy): a cut, however whole
#: the frames before it are.
_ADTS_PADDING = 4096


def _adts_walk(data: Buffer) -> AdtsWalk:
    """Walk the ADTS frames of ``data`` (after its ID3v2 tags); see adts_walk."""
    size = len(data)
    pos = skip_id3v2(data)  # ID3v2 tags before the stream, as HLS segments have
    if pos > size or data[pos : pos + 3] == b"ID3":  # a tag or its header cut
        return AdtsWalk("the file ends inside its ID3v2 tag", 0, 0, size)
    samples = rate = 0
    for frames in range(_MAX_ADTS_FRAMES):
        if pos == size:
            break
        head = data[pos : pos + _ADTS_HEADER]
        if head[0] != 0xFF or (len(head) > 1 and (head[1] & 0xF6) != 0xF0):
            if _header_cut_then_zeros(data, pos):
                return AdtsWalk(_adts_where(frames), samples, pos, size)
            break  # no longer ADTS: not a cut this walk can tell
        if len(head) < _ADTS_HEADER:
            return AdtsWalk(_adts_where(frames), samples, pos, size)
        length = (head[3] & 0x03) << 11 | head[4] << 3 | head[5] >> 5
        if length < _ADTS_HEADER:
            if _header_cut_then_zeros(data, pos):
                return AdtsWalk(_adts_where(frames), samples, pos, size)
            break
        if pos + length > size:
            return AdtsWalk(_adts_where(frames), samples, pos, size)
        if not bytes(data[pos + _ADTS_HEADER : pos + length]).strip(b"\0"):
            # No raw data block is all zeros (each ends with an END element,
            # bits 111): a header cut and zero-filled, or zeros that look
            # like one. A cut if only zeros follow; else no frame.
            if zeros_from(data) <= pos + 5:
                return AdtsWalk(_adts_where(frames), samples, pos, size)
            break
        samples += 1024 * ((head[6] & 0x03) + 1)
        rate = rate or _ADTS_RATES[head[2] >> 2 & 0x0F]
        pos += length
    return AdtsWalk("", samples, pos, size, samplerate=rate)


def _header_cut_then_zeros(data: Buffer, pos: int) -> bool:
    """Whether a frame header cut in its first bytes, then only zeros, is at ``pos``.

    A file made at its full size and filled as its bytes came (a download, a
    copy never finished) ends in zeros where its bytes stopped: one stopped
    1 to 4 bytes into a frame's header has a sync word cut (``FF`` then a
    zero) or a length of zeros, which is no frame; read so, such a file was
    "corrupt" (or, stopped in its first frame, "a sample rate of 0 Hz"),
    where a file cut there without the zeros is cut.
    """
    if data[pos : pos + 1] != b"\xff":
        return False
    end = zeros_from(data)
    if not pos < end <= pos + 4:
        return False
    return end == pos + 1 or (data[pos + 1] & 0xF6) == 0xF0


#: ADTS sample rates by index (ISO 14496-3; 13-15 reserved, 0).
_ADTS_RATES = (
    96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050,
    16000, 12000, 11025, 8000, 7350, 0, 0, 0,
)  # fmt: skip


def _adts_where(whole: int) -> str:
    """Say that the stream ends inside its first ADTS frame, or its last."""
    if whole == 0:
        return "the file ends inside its first ADTS frame"
    return "the last ADTS frame is cut off"


#: What needs ffmpeg, for WavPack (``.wv``) and Windows Media audio (``.wma``).
WAVPACK = "WavPack audio"
ASF = "WMA/ASF audio"
#: What needs ffmpeg, for AMR speech (``.amr``, ``.awb``: phone recordings).
AMR = "AMR audio"
#: An AMR file's magic (RFC 4867, section 5), and its frames' bytes by
#: frame type, its table of contents byte included (0: a type reserved;
#: 1: no data, or a frame lost). Narrowband first, then wideband.
_AMR_MAGICS = {
    b"#!AMR\n": (13, 14, 16, 18, 20, 21, 27, 32, 6, 0, 0, 0, 0, 0, 0, 1),
    b"#!AMR-WB\n": (18, 24, 33, 37, 41, 47, 51, 59, 61, 6, 0, 0, 0, 0, 1, 1),
}
#: Frames walked at most in an AMR file (50 a second: 5.5 hours).
_MAX_AMR_FRAMES = 1_000_000
#: The GUIDs of an ASF file's header object (its first 16 bytes) and data object.
_ASF_HEADER = bytes.fromhex("3026b2758e66cf11a6d900aa0062ce6c")
_ASF_DATA = bytes.fromhex("3626b2758e66cf11a6d900aa0062ce6c")
#: A WavPack block's header: its id, size, version, and where its samples go.
_WAVPACK_BLOCK = struct.Struct("<4sIHBBIII")
#: Blocks walked at most in a WavPack file (each holds up to a second or so).
_MAX_WAVPACK_BLOCKS = 1_000_000


def walked_codec(path: str | os.PathLike[str]) -> str | None:
    """Return what ``path`` is, if it starts as WavPack or ASF (WMA) does."""
    try:
        with open(path, "rb") as f:
            head = f.read(16)
    except OSError:
        return None
    if head[:4] == b"wvpk":
        return WAVPACK
    if any(head.startswith(magic) for magic in _AMR_MAGICS):
        return AMR
    return ASF if head == _ASF_HEADER else None


def walked_cut(path: str | os.PathLike[str], what: str) -> str:
    """Say how a WavPack or ASF file was cut, from its own headers, or "".

    ffmpeg decodes such a file cut between two blocks (WavPack) or packets
    (ASF) without a word, as a whole, shorter one: a WavPack's first block
    gives the stream's length, an ASF's data object its size.
    """
    try:
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            if what == MATROSKA:
                return _matroska_cut(f, size)
            if what == AMR:
                return _amr_cut(file_bytes(f))
            return _wavpack_cut(f, size) if what == WAVPACK else _asf_cut(f, size)
    except (OSError, struct.error):
        return ""


def amr_frames(path: str | os.PathLike[str]) -> int:
    """Return the sample frames of an AMR file's whole frames (walked), or 0.

    ffprobe gives no length for an AMR file of a frame or two: its frames
    say it (160 samples each, narrowband; 320, wideband).
    """
    try:
        with open(path, "rb") as f:
            data = file_bytes(f)
    except OSError:
        return 0
    magic = next((m for m in _AMR_MAGICS if data[: len(m)] == m), b"")
    if not magic:
        return 0
    sizes, pos, n = _AMR_MAGICS[magic], len(magic), 0
    while n < _MAX_AMR_FRAMES and pos < len(data) and sizes[data[pos] >> 3 & 15]:
        pos += sizes[data[pos] >> 3 & 15]
        n += pos <= len(data)
    return n * (160 if magic == b"#!AMR\n" else 320)


def _amr_cut(data: Buffer) -> str:
    """Walk an AMR file's frames: say that its last is cut off, or "".

    Each frame's first byte gives its type, and so its length: ffmpeg drops
    a frame cut short without a word (a whole, shorter file). A frame of a
    reserved type ends the walk: damage, for ffmpeg to judge. Multichannel
    AMR (``#!AMR_MC1.0``) is not walked.
    """
    magic = next((m for m in _AMR_MAGICS if data[: len(m)] == m), b"")
    if not magic:
        return ""
    sizes, pos, size = _AMR_MAGICS[magic], len(magic), len(data)
    for frames in range(_MAX_AMR_FRAMES):
        if pos >= size:
            return ""
        length = sizes[data[pos] >> 3 & 15]
        if not length:
            return ""
        if pos + length > size:
            if frames == 0:
                return "the file ends inside its first AMR frame"
            return "the last AMR frame is cut off"
        pos += length
    return ""


def _vint(f: IO[bytes], *, marker: bool) -> int | None:
    """Read an EBML variable-length integer (an element's ID, or its size).

    None at the end of the file, or for a size of all ones ("unknown": a
    stream written live).
    """
    first = f.read(1)
    if not first or first[0] == 0:
        return None
    length = 9 - first[0].bit_length()
    rest = f.read(length - 1)
    if len(rest) < length - 1:
        return None
    value = int.from_bytes(first + rest, "big")
    if marker:
        return value
    value &= (1 << (7 * length)) - 1
    return None if value == (1 << (7 * length)) - 1 else value


#: The IDs of Matroska's EBML header and Segment elements.
_EBML, _SEGMENT = 0x1A45DFA3, 0x18538067


def _matroska_cut(f: IO[bytes], size: int) -> str:
    """Compare a Matroska file's length with its Segment's size; see walked_cut.

    ffmpeg decodes one cut after its audio (inside its ``Cues``) as whole.
    """
    if _vint(f, marker=True) != _EBML or (header := _vint(f, marker=False)) is None:
        return ""
    f.seek(header, os.SEEK_CUR)
    if _vint(f, marker=True) != _SEGMENT:
        return ""
    length = _vint(f, marker=False)
    if length is None or f.tell() + length <= size:
        return ""
    return (
        f"the file ends inside its Matroska segment, "
        f"{n_bytes(f.tell() + length - size)} short of the length it gives"
    )


def _wavpack_cut(f: IO[bytes], size: int) -> str:
    """Walk a WavPack file's blocks; see :func:`walked_cut`."""
    pos = total = end = 0
    for _ in range(_MAX_WAVPACK_BLOCKS):
        f.seek(pos)
        head = f.read(_WAVPACK_BLOCK.size)
        if head[:4] != b"wvpk":  # the end, an APEv2 or ID3v1 tag, or garbage
            if pos == 0 or (head and len(head) < 4 and b"wvpk".startswith(head)):
                return "the file ends inside its first WavPack block"
            if _ape_tag_cut(f, pos, size):
                return "the file ends inside its APEv2 tag, after its audio data"
            break
        if len(head) < _WAVPACK_BLOCK.size:
            return _wavpack_where(end)
        _, length, _, index_high, total_high, total_low, index, samples = (
            _WAVPACK_BLOCK.unpack(head)
        )
        if pos == 0 and total_low != 0xFFFFFFFF:  # else: not known
            total = total_high << 32 | total_low
        if pos + 8 + length > size:
            return _wavpack_where(end)
        end = max(end, (index_high << 32 | index) + samples)
        pos += 8 + length
    if end < total:
        return (
            f"the file ends after a whole WavPack block, {total - end} sample "
            f"frames short of the {total} its header gives"
        )
    return ""


#: An APEv2 tag's header (or footer): its ID, version, size, items, flags.
_APE_TAG = struct.Struct("<8sIIII8x")
#: The flag of an APEv2 tag that has a header (its size does not count it).
_APE_HAS_HEADER = 1 << 31


def _ape_tag_cut(f: IO[bytes], pos: int, size: int) -> bool:
    """Whether an APEv2 tag starts at ``pos`` and runs past the file's end.

    ffmpeg writes one after a WavPack's blocks, and fails a file cut inside
    it ("Invalid block header"): the audio before it is whole.
    """
    f.seek(pos)
    head = f.read(_APE_TAG.size)
    if not head or not b"APETAGEX".startswith(head[:8]):
        return False
    if len(head) < _APE_TAG.size:
        return True  # the file ends inside the tag's header
    _, _, length, _, flags = _APE_TAG.unpack(head)
    whole = int(length) + (_APE_TAG.size if flags & _APE_HAS_HEADER else 0)
    return pos + whole > size


def _wavpack_where(end: int) -> str:
    """Say that the file ends inside its first WavPack block, or its last."""
    if end == 0:
        return "the file ends inside its first WavPack block"
    return "the last WavPack block is cut off"


def _asf_cut(f: IO[bytes], size: int) -> str:
    """Compare an ASF file's length with its objects' sizes; see :func:`walked_cut`."""
    head = f.read(24)
    if len(head) < 24:
        return "the file ends inside its ASF header object"
    header = int.from_bytes(head[16:24], "little")
    if header > size:
        return "the file ends inside its ASF header object"
    f.seek(header)
    data = f.read(24)
    if len(data) < 24:
        return "the file ends after its ASF header object, before its audio data"
    length = int.from_bytes(data[16:24], "little")
    if data[:16] != _ASF_DATA or length < 50:  # 0: a stream of unknown length
        return ""
    if header + length > size:
        return (
            f"the file ends inside its ASF data object, "
            f"{n_bytes(header + length - size)} short of the length it gives"
        )
    return ""


class Unreadable(AudioError):
    """ffprobe cannot read the file: nothing in it can be decoded."""


class _Failed(AudioError):
    """An ffmpeg tool ran and reported an error about the file (``detail``)."""

    def __init__(self, name: str, detail: str) -> None:
        super().__init__(f"cannot decode ({name}): {detail}")
        self.detail = detail


def _run(
    command: list[str], *, timeout: float, stdout: int | IO[bytes]
) -> subprocess.CompletedProcess[bytes]:
    """Run an ffmpeg tool; turn its failure into one line naming the cause.

    Raises
    ------
    AudioError
        If it cannot run or times out; :class:`_Failed` if it reports an
        error about the file.
    """
    name = os.path.basename(command[0])
    try:
        result = subprocess.run(
            command,
            stdin=subprocess.DEVNULL,
            stdout=stdout,
            stderr=subprocess.PIPE,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise AudioError(f"{name} did not finish within {timeout:g} s") from None
    except OSError as exc:
        raise AudioError(f"cannot run {name}: {exc.strerror or exc}") from None
    errors = [
        line.strip()
        for line in result.stderr.decode("utf-8", "replace").splitlines()
        if line.strip()
    ]
    if result.returncode != 0 or errors:
        # The first line says what went wrong, the last what it led to
        # ("invalid residual; decode_frame() failed").
        # ffmpeg's ALAC decoder stops at damage (-xerror) without a word.
        detail = f"it gives no reason, exit status {result.returncode}"
        if errors:
            said = (_last_words(line) for line in (errors[0], errors[-1]))
            detail = "; ".join(dict.fromkeys(said))
        raise _Failed(name, detail)
    return result


def _last_words(line: str) -> str:
    """Drop what ffmpeg puts in front of its message.

    The path (``x.m4a: Invalid data``) or the decoder and its address
    (``[aac @ 0x55ee9c934a40] Input buffer exhausted``).
    """
    head, sep, tail = line.rpartition(": ")
    if sep and head:
        return tail
    return re.sub(r"^\[[^\]]* @ 0x[0-9a-f]+\]\s*", "", line)

"""Whether a file holds all the audio its container announces, from its own bytes.

libsndfile's frame count is not always a claim to check decoding against:

- **Ogg** (Vorbis, Opus): the count comes from the granule position of the
  last page present, so a cut file announces exactly what it still holds. A
  whole stream ends with a complete page carrying the end-of-stream flag
  (RFC 3533); a cut one does not. The last page is found by reading the
  file's tail (a page is at most 65 307 bytes).
- **W64, RF64**: libsndfile reports the frames present, and the header's
  data size only in a log whose wording varies between versions. The data
  chunk's size is read here (RF64: from the ``ds64`` chunk). libsndfile
  decodes the chunks after a W64's data as audio too: they are not read.
- **CAF**: the same, and for ALAC the frames of whole packets only: the
  packet table (``pakt``) gives the frames of all of them.
- **MP3** (MPEG-1, 2 and 2.5, layers I to III): without a Xing/Info header the
  count is an estimate from the file's size, which can exceed what decodes
  by a frame or more (the padding bit varies from frame to frame), so valid
  files looked cut. The frames are walked here from header to header: a
  last frame running past the end of the file, or fewer frames than the
  Xing/Info header lists, means the file was cut; the frames present (less
  the encoder delay and padding of a LAME tag) are what a correct decoder
  gives, and that is the claim, within one frame. A stream with no such
  header cut exactly between two frames is a whole, shorter stream: nothing
  can tell.

- **NIST SPHERE**: the text header's ``sample_count``, which libsndfile does
  not compare with the data present.
- **AVR**: the header's frame count, which libsndfile cuts down to the frames
  present.
- **VOC, MAT4, MAT5**: the blocks (data elements, matrices) are walked from
  length to length: one running past the end of the file means it was cut.
  libsndfile decodes what is there without a word.

IRCAM, PAF, PVF and XI headers hold no length at all (the data runs to the
end of the file): a file of theirs cut between two sample frames cannot be
told from a shorter one; one cut inside a sample frame can, as can a file
written to a pipe, whose data size is a placeholder (see
:func:`to_the_end_cut`).

Other formats (WAV, AIFF, AU, FLAC) are left to :mod:`melcli.audio`,
which reads the claims libsndfile makes for them; no byte is read here for
them, so the common path costs nothing.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import math
import os
import re
import struct
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import BinaryIO, NamedTuple, Protocol, overload

from .errors import AudioError


@dataclass(frozen=True)
class Claim:
    """What a container says about its length.

    Attributes
    ----------
    frames : int or None
        Frames the container claims (None: take libsndfile's count).
    cut : str
        Why the stream is known to be cut short, in words ("" if not known to
        be): ``the Ogg stream ends without its end-of-stream page``.
    tolerance : int
        Frames a decoder may fall short of ``frames`` on a whole file.
    sized : bool
        Whether libsndfile's count is the frames present and ``frames`` the
        header's data size: then a shortfall is known without decoding to
        the end (a clip or ``duration`` that reads only the start).
    stopped : str
        The decoder's own account of where and why it stopped before the
        end, when what it decoded is kept (ffmpeg's, with ``truncated="keep"``).
    limit : int or None
        Frames of audio the file holds, when the decoder gives more (noise
        decoded from a pad byte: see ``melcli.audio``); None: no limit.
    joined : bool
        Whether the file holds more than its header lists, which the decoder
        stops at: MP3 streams joined one after another, whose first Xing/Info
        header libmpg123 takes for the whole file's.
    quiet : bool
        Whether the decoder's notes are of an attempt given up (libsndfile's
        open of a file then decoded through ffmpeg): not the file's.
    to_end : bool
        Whether libsndfile's log shows a WAV's or AIFF's data size that is a
        placeholder (0, 0xFFFFFFFF...): its audio runs to the end of the file
        (see :func:`to_the_end_cut`).
    estimated : bool
        Whether libsndfile's count of an MPEG stream is an estimate, and
        ``frames`` the frames walked: without a Xing/Info or VBRI header,
        libmpg123 estimates the length from the first frame's bitrate. Of a
        variable-bitrate stream, that is wide of the mark either way, and
        libsndfile decodes no further than its count (a whole file failed as
        cut at a third of its length).
    damage : str
        Where the stream is damaged inside, in words ("" if not known to be):
        an MPEG stream's bytes that are zeros among (or before) its frames.
        The decoder may skip them without a word.
    """

    frames: int | None = None
    cut: str = ""
    tolerance: int = 0
    sized: bool = False
    stopped: str = ""
    limit: int | None = None
    joined: bool = False
    quiet: bool = False
    to_end: bool = False
    estimated: bool = False
    damage: str = ""


def claim(
    path: str | os.PathLike[str], *, format: str, frames: int, samplerate: int = 0
) -> Claim:
    """Return what the container of ``path`` claims (see the module notes).

    Parameters
    ----------
    path : path-like
        The file, already opened by libsndfile as ``format``.
    format : str
        libsndfile's major format (``"OGG"``, ``"W64"``, ``"MP3"``...).
    frames : int
        libsndfile's frame count for it.
    samplerate : int
        libsndfile's sample rate for it (0: not known). An Opus stream counts
        its length at 48 kHz whatever the rate it decodes to.
    """
    judge = _JUDGES.get(format)
    if judge is None:
        return Claim()
    try:
        with open(path, "rb") as f:
            if judge is _ogg:
                return _ogg(f, frames, samplerate)
            return judge(f, frames)
    except (OSError, ValueError, IndexError, struct.error):
        return Claim()  # unreadable here: libsndfile's own checks still apply


# ------------------------------------------------------------------- Ogg
#: The largest Ogg page: a 27-byte header, 255 lacing values, 255 * 255 bytes.
_OGG_MAX_PAGE = 27 + 255 + 255 * 255
_OGG_EOS = 0x04


def _ogg(f: BinaryIO, frames: int, samplerate: int = 0) -> Claim:
    """Judge an Ogg file by its last page (RFC 3533, section 6).

    A stream whose last page is whole and flagged end-of-stream is judged by
    that page's granule position too, its length (Vorbis: in frames; Opus:
    at 48 kHz, after its pre-skip): libsndfile takes the length from the
    last page it reaches in order, so a file damaged inside decoded to that
    page and looked whole.
    """
    size = f.seek(0, os.SEEK_END)
    start = max(0, size - 2 * _OGG_MAX_PAGE)
    f.seek(start)
    tail: bytes = f.read()
    at = len(tail)
    while (at := tail.rfind(b"OggS", 0, at)) >= 0:
        header = tail[at : at + 27]
        if header[4:5] not in (b"", b"\x00") or header[5:6] > b"\x07":
            continue  # not a page header (version 0, three flag bits)
        if len(header) < 27:
            return Claim(cut="the Ogg stream ends in the middle of a page")
        n_segments = header[26]
        lacing = tail[at + 27 : at + 27 + n_segments]
        end = at + 27 + n_segments + sum(lacing)
        if len(lacing) < n_segments or end > len(tail):
            return Claim(cut="the Ogg stream ends in the middle of a page")
        if not header[5] & _OGG_EOS:
            return Claim(cut="the Ogg stream ends without its end-of-stream page")
        granule, serial = struct.unpack_from("<qI", header, 6)
        length, slack = _ogg_length(f, serial, granule, samplerate)
        if frames < length - slack and length < _UNKNOWN_SIZE:
            return Claim(frames=length, tolerance=slack, sized=True)
        if frames < length < _UNKNOWN_SIZE and _ogg_damage(f):
            # Short by less than a stream may start late, and a page lost:
            # libvorbis drops a damaged last page, and libsndfile counts the
            # frames to the page before it (0.3 s lost, written as whole).
            return Claim(frames=length, sized=True)
        return Claim()
    return Claim()  # no page in the tail: junk after the stream, not a cut


#: Each byte's bits in reverse order: the Ogg checksum is zlib's CRC-32 (the
#: same polynomial) on reflected bytes, reflected back, without its inversions.
_REVERSED_BITS = bytes(int(f"{n:08b}"[::-1], 2) for n in range(256))
#: Ogg pages walked at most for :func:`ogg_damage` (hours of audio).
_MAX_OGG_PAGES = 1_000_000


def _ogg_checksum(page: bytes) -> int:
    """Return the CRC-32 of an Ogg page, its checksum field zeroed.

    RFC 3533: polynomial 0x04C11DB7, no reflection, initial value and final
    XOR 0.
    """
    raw = zlib.crc32(page.translate(_REVERSED_BITS), 0xFFFFFFFF) ^ 0xFFFFFFFF
    return int(f"{raw:032b}"[::-1], 2)


class _OggPage(NamedTuple):
    """An Ogg page's place and header fields (RFC 3533, section 6)."""

    #: Where the page begins (its ``OggS``).
    at: int
    #: Its header type flags: 0x02 begins a stream, 0x04 ends one.
    flags: int
    #: Where its body begins, after the segment table its header sizes.
    body: int
    #: Where it ends: past the end of the bytes walked when it is cut.
    end: int


class _OggWalk:
    """Walk Ogg pages from one to the next, by their lengths, from byte 0.

    ``read(at, n)`` gives the bytes at ``at`` (fewer at the end); ``size`` is
    how many there are. Iterating yields each page whose 27-byte header is
    there, the last one maybe cut (its :attr:`_OggPage.end` past ``size``).
    Once it stops, :attr:`stop` says why and :attr:`at` where:

    - ``"end"``: the last page ends exactly at ``size``;
    - ``"junk"``: the bytes at :attr:`at` are no page (no ``OggS``: junk,
      or damage);
    - ``"cut"``: the page at :attr:`at` runs past ``size`` (its header, even
      inside ``OggS``, its segment table or its body); :attr:`at` is its
      start if its header is cut, else its end;
    - ``"limit"``: ``limit`` pages were walked; :attr:`at` is the next one.

    Nothing is mapped: a file shortened meanwhile reads short, where a
    mapping of it would die of SIGBUS.
    """

    def __init__(self, read: Callable[[int, int], bytes], size: int, limit: int):
        self.read = read
        self.size = size
        self.limit = limit
        self.at = 0
        self.stop = ""

    def __iter__(self) -> Iterator[_OggPage]:
        at, size = 0, self.size
        for _ in range(self.limit):
            if at >= size:
                self.at, self.stop = at, "end"
                return
            header = self.read(at, 27)
            if header[:4] != b"OggS":
                # A file cut inside the four bytes: its first bytes, then the end.
                cut = len(header) < 4 and b"OggS".startswith(header)
                self.at, self.stop = at, "cut" if cut else "junk"
                return
            if len(header) < 27:
                self.at, self.stop = at, "cut"
                return
            body = at + 27 + header[26]
            end = body + sum(self.read(at + 27, header[26]))
            yield _OggPage(at, header[5], body, end)
            if body > size or end > size:
                self.at, self.stop = end, "cut"
                return
            at = end
        self.at, self.stop = at, "limit"


def _reader(f: BinaryIO) -> Callable[[int, int], bytes]:
    """Return ``read(at, n)`` of the open file ``f``."""

    def read(at: int, n: int) -> bytes:
        f.seek(at)
        return f.read(n)

    return read


def _ogg_walk(f: BinaryIO, limit: int) -> _OggWalk:
    """Return the walk of the pages of the open file ``f``, from its start."""
    return _OggWalk(_reader(f), f.seek(0, os.SEEK_END), limit)


def ogg_damage(path: str | os.PathLike[str]) -> str:
    """Say where an Ogg file is damaged, from its pages' checksums, or "".

    Every page carries a CRC-32 of itself: a page whose checksum does not
    match, or bytes between two pages that are no page, are damage (a bad
    copy, a disk error), not a cut. libsndfile says only that such a file
    is "malformed", or decodes nothing of it and says its stream "ended
    unexpectedly" (it read no end-of-stream page past the damage). "" when
    every page is whole and sound, or the file ends inside one (a cut,
    said elsewhere).
    """
    try:
        with open(path, "rb") as f:
            return _ogg_damage(f)
    except OSError:
        return ""


def _ogg_damage(f: BinaryIO) -> str:
    """:func:`ogg_damage` of the open file ``f``."""
    flags = 0
    try:
        walk = _ogg_walk(f, _MAX_OGG_PAGES)
        for page in walk:
            flags = page.flags
            if page.end > walk.size:
                return ""  # a cut: said by the last page, elsewhere
            data = bytearray(walk.read(page.at, page.end - page.at))
            if len(data) < page.end - page.at:
                return ""  # shortened meanwhile
            (stored,) = struct.unpack_from("<I", data, 22)
            data[22:26] = bytes(4)
            if _ogg_checksum(bytes(data)) != stored:
                return f"its Ogg page at byte {page.at} is damaged (its checksum fails)"
    except (OSError, ValueError):
        return ""
    if walk.stop == "junk" and walk.at > 0:  # at 0: not an Ogg file
        if flags & _OGG_EOS and not _ogg_page_after(f, walk.at):
            return ""  # bytes after the stream's end (a tag, junk): it decodes whole
        return f"bytes that are no Ogg page at byte {walk.at}"
    return ""


def _ogg_page_after(f: BinaryIO, at: int) -> bool:
    """Whether an ``OggS`` capture pattern is in the open file ``f`` after ``at``."""
    f.seek(at)
    tail = b""
    while block := f.read(1 << 20):
        if b"OggS" in tail[-3:] + block:
            return True
        tail = block
    return False


class OggIdHeader(NamedTuple):
    """What a Vorbis or Opus stream's identification header gives."""

    codec: str  # "Vorbis" or "Opus"
    channels: int
    samplerate: int  # Opus: the input's rate (0: not given), not decoding's
    mapping: int  # Opus: its channel mapping family; Vorbis: 0


def ogg_id_header(path: str | os.PathLike[str]) -> OggIdHeader | None:
    """Read the identification header on an Ogg file's first page, or None.

    For saying what is wrong with one libsndfile refuses in words that do
    not say ("file is malformed", "unspecified internal error").
    """
    try:
        with open(path, "rb") as f:
            page = f.read(_OGG_MAX_PAGE)
    except OSError:
        return None
    if page[:4] != b"OggS" or len(page) < 27:
        return None
    body = page[27 + page[26] :]
    try:
        if body[:7] == b"\x01vorbis":
            channels, rate = struct.unpack_from("<BI", body, 11)
            return OggIdHeader("Vorbis", channels, rate, 0)
        if body[:8] == b"OpusHead":
            channels, _, rate, _, mapping = struct.unpack_from("<BHIhB", body, 9)
            return OggIdHeader("Opus", channels, rate, mapping)
    except struct.error:
        return None
    return None


def ogg_chained(path: str | os.PathLike[str]) -> bool:
    """Whether the Ogg file ``path`` holds another stream after its first.

    A chained Ogg file (streams one after another: an internet radio's
    recording, a song per link, or files joined with ``cat``) has a last page
    whose serial number is not its first page's, or (a file joined to a copy
    of itself, a writer that reuses its serial number) a page that begins a
    stream after the first one's audio has started. libsndfile decodes only
    the first link, and calls that the whole file.
    """
    try:
        with open(path, "rb") as f:
            head = f.read(27)
            size = f.seek(0, os.SEEK_END)
            f.seek(max(0, size - _OGG_MAX_PAGE))
            tail = f.read()
            if head[:4] != b"OggS" or len(head) < 27:
                return False
            at = len(tail)
            while (at := tail.rfind(b"OggS", 0, at)) >= 0:
                header = tail[at : at + 27]
                if len(header) == 27 and header[4] == 0 and header[5] <= 7:
                    if header[14:18] != head[14:18]:
                        return True
                    break
            return _ogg_begins_again(f, size)
    except (OSError, ValueError, IndexError):
        return False


def ogg_links(path: str | os.PathLike[str]) -> list[tuple[int, int]]:
    """Return where each link of a chained Ogg file starts and ends, in bytes.

    A link begins with the pages that begin its streams (only their "beginning
    of stream" flag set), one after another; a beginning page after a page
    of audio starts the next link. An empty list for a file of one link, or
    whose pages cannot be walked from end to end (damage, a cut, junk): it
    is decoded whole.
    """
    try:
        with open(path, "rb") as f:
            walk = _ogg_walk(f, _MAX_OGG_PAGES)
            starts, in_audio = [0], False
            for page in walk:
                begins = bool(page.flags & 0x02)
                if begins and in_audio:
                    starts.append(page.at)
                in_audio = not begins
    except (OSError, ValueError):
        return []
    if walk.stop != "end" or len(starts) < 2:
        return []
    return list(zip(starts, [*starts[1:], walk.size], strict=True))


#: The first bytes of the identification header that begins each stream
#: melcli decodes from Ogg: Vorbis, Opus, FLAC, Speex.
_OGG_IDS = (b"\x01vorbis", b"OpusHead", b"\x7fFLAC", b"Speex   ")


def ogg_audio_behind_other(path: str | os.PathLike[str]) -> bool:
    """Whether the Ogg file ``path`` begins with a stream that is not audio.

    An Ogg video (Theora, and its Vorbis or Opus sound), or an Ogg file whose
    first stream is a Skeleton index, begins with the pages that begin each
    of its streams (RFC 3533, section 4): libsndfile reads only the first
    stream, and refuses a file whose first stream is not audio ("file
    contains data in an unimplemented format"). True when such a first
    stream is followed by a beginning page of audio.
    """
    try:
        with open(path, "rb") as f:
            data = f.read(64 * 1024)  # the beginning pages come first
    except OSError:
        return False
    walk = _OggWalk(lambda at, n: data[at : at + n], len(data), _MAX_BLOCKS)
    for i, page in enumerate(walk):
        if not page.flags & 0x02:  # past the beginning pages
            return False
        if data[page.body : page.body + 8].startswith(_OGG_IDS):
            return i > 0
    return False


#: Bytes read at a time when looking for a page that begins a stream.
_FIND_BLOCK = 1 << 20


def _ogg_begins_again(f: BinaryIO, size: int) -> bool:
    """Whether a page after the first stream's headers begins a stream again.

    A page that begins a stream has only its "beginning of stream" flag set,
    and carries an identification header. The pages that begin the streams
    of the first link (several when multiplexed) come first, one after
    another; one found after them is a new link, whatever its serial number.
    """
    if size < 27:
        return False
    walk, at = _OggWalk(_reader(f), size, _MAX_BLOCKS), 0
    for page in walk:  # past the first link's beginning pages
        if not page.flags & 0x02:
            at = page.at
            break
    else:
        at = walk.at
    read = _reader(f)
    mark = b"OggS\x00\x02"
    while at < size:  # a block at a time, each overlapping the last by a mark
        block = read(at, _FIND_BLOCK + len(mark) - 1)
        found = block.find(mark)
        if found < 0:
            if len(block) < _FIND_BLOCK + len(mark) - 1:
                return False
            at += _FIND_BLOCK
            continue
        at += found
        head = read(at, 27)
        n = head[26] if len(head) == 27 else 0
        if read(at + 27 + n, 8).startswith(_OGG_IDS):
            return True
        at += 4
    return False


def _ogg_length(
    f: BinaryIO, serial: int, granule: int, samplerate: int
) -> tuple[int, int]:
    """Return the frames a last page's ``granule`` gives, at ``samplerate``.

    For the Vorbis or Opus stream ``f`` starts, if that page is of it (its
    ``serial`` number); 0 for another codec (FLAC: libsndfile's length comes
    from its own header), or another stream (chained, or multiplexed). With
    the frames a whole stream may hold less than that (see :func:`_ogg_start`).
    """
    f.seek(0)
    head = f.read(27 + 255 + 30)
    if (
        head[:4] != b"OggS"
        or len(head) < 27
        or head[14:18] != serial.to_bytes(4, "little")
    ):
        return 0, 0
    packet = head[27 + head[26] :]
    if packet[:7] == b"\x01vorbis" and len(packet) >= 29:
        # A packet gives at most half the long block, and (but the first) at
        # least half the short one: 2 ** the high and low nibbles of the
        # identification header's byte 28.
        blocks = (1 << (packet[28] >> 4)) // 2, (1 << (packet[28] & 0x0F)) // 2
        offset, slack = _ogg_start(f, serial, blocks)
        return int(granule - offset), slack
    if packet[:8] == b"OpusHead" and len(packet) >= 12 and samplerate > 0:
        (preskip,) = struct.unpack_from("<H", packet, 10)
        offset, _ = _ogg_start(f, serial, None)
        # Rounded down: never more than libsndfile's count for a whole file.
        return int((granule - offset - preskip) * samplerate // 48000), 0
    return 0, 0


def _ogg_start(
    f: BinaryIO, serial: int, per_packet: tuple[int, int] | None
) -> tuple[int, int]:
    """Return where a stream that does not start at 0 starts, or 0; and a slack.

    A stream recorded from the middle (an internet radio's) keeps the granule
    positions it had: its first audio page's is more than the packets ending
    on it can give (``per_packet``: a Vorbis packet's most and least samples;
    None: Opus, whose packets say their length), and the stream's length is
    then the last page's less (at least) that. libsndfile counts it so.

    A Vorbis stream that may start at 0 may also start a little after (less
    than its first page's samples): the slack is how much, so that a whole
    stream is never judged cut (damage losing less than that is not seen).
    """
    offset = 0
    for _ in range(_MAX_BLOCKS):
        f.seek(offset)
        header = f.read(27)
        if len(header) < 27 or header[:4] != b"OggS":
            return 0, 0
        lacing = f.read(header[26])
        granule, page_serial = struct.unpack_from("<qI", header, 6)
        if page_serial == serial and granule > 0:
            if per_packet is None:
                given = _opus_samples(f.read(sum(lacing)), lacing)
                return (granule - given if granule > given else 0), 0
            most, least = per_packet
            ended = sum(1 for value in lacing if value < 255)
            if granule > ended * most:
                return granule, 0
            return 0, max(0, granule - max(0, ended - 1) * least)
        offset += 27 + len(lacing) + sum(lacing)
    return 0, 0


def opus_preskip_past_end(path: str | os.PathLike[str]) -> str:
    """Say that an Ogg Opus file's pre-skip leaves no audio, or "".

    The pre-skip (samples at 48 kHz its decoder drops at the start) of such a
    file is as long as its stream, or longer: libsndfile then counts no
    frames, and refuses it as "SF_INFO struct incomplete", which melcli said
    as a rate or channel count of zero.
    """
    try:
        with open(path, "rb") as f:
            head = f.read(27 + 255 + 19)
            if head[:4] != b"OggS" or len(head) < 28:
                return ""
            packet = head[27 + head[26] :]
            if packet[:8] != b"OpusHead" or len(packet) < 12:
                return ""
            (preskip,) = struct.unpack_from("<H", packet, 10)
            serial = head[14:18]
            size = f.seek(0, os.SEEK_END)
            f.seek(max(0, size - 2 * _OGG_MAX_PAGE))
            tail = f.read()
    except OSError:
        return ""
    at = len(tail)
    while (at := tail.rfind(b"OggS", 0, at)) >= 0:
        header = tail[at : at + 27]
        if len(header) == 27 and header[14:18] == serial:
            (granule,) = struct.unpack_from("<q", header, 6)
            if 0 <= granule <= preskip:
                return (
                    f"invalid header: its Opus pre-skip of {preskip} samples "
                    f"(at 48 kHz) is not shorter than its whole stream, {granule} "
                    "samples: no audio is left to decode"
                )
            return ""
    return ""


#: An Opus frame's samples at 48 kHz, by its configuration (RFC 6716, 3.1).
_OPUS_FRAME = [480, 960, 1920, 2880] * 3 + [480, 960] * 2 + [120, 240, 480, 960] * 4


def _opus_samples(body: bytes, lacing: bytes) -> int:
    """Count the samples of the Opus packets that end in a page's ``body``."""
    total = at = size = 0
    for value in lacing:
        size += value
        if value == 255:
            continue
        packet, at, size = body[at : at + size], at + size, 0
        if packet:
            code = packet[0] & 3
            count = 1 if code == 0 else 2 if code < 3 else packet[1:2][0] & 0x3F
            total += _OPUS_FRAME[packet[0] >> 3] * count
    return total


# ------------------------------------------------------------ W64, RF64
#: Sizes from this many bytes up are placeholders ("unknown"), not claims.
_UNKNOWN_SIZE = 1 << 62


def check_data_held(held: int, claimed: int, unknown: int) -> None:
    """Fail a file that holds no whole frame of the audio data it claims.

    ``held`` of the ``claimed`` bytes of its data chunk are in the file;
    from ``unknown`` bytes up, a size is a placeholder, not a claim.

    Raises
    ------
    AudioError
        ``truncated: decoded 0.00 s, then the file ends 0 bytes into its
        audio data chunk of 1625 bytes``.
    """
    if 0 <= held < claimed < unknown:
        raise AudioError(f"truncated: decoded 0.00 s, then {data_cut(held, claimed)}")


def data_cut(held: int, claimed: int) -> str:
    """Say where a file ends in its data chunk: ``held`` of ``claimed`` bytes."""
    return (
        f"the file ends {n_bytes(held)} into its audio data chunk of {n_bytes(claimed)}"
    )


def n_bytes(n: int) -> str:
    """Say ``n`` bytes in words: ``1 byte``, ``2 bytes``."""
    return f"{n} byte{'s' * (n != 1)}"


def quoted(name: bytes | str) -> str:
    r"""Quote a chunk's, box's or tag's name from a file as every message does.

    Always in single quotes, ``'LIST'``, ``'fmt '`` (``repr`` switched to
    double quotes for a name holding one); a byte outside printable ASCII,
    or a quote or backslash, is escaped (``'lp\x01m'``), so that a crafted
    name cannot forge a log line.
    """
    raw = name.encode("latin-1", "replace") if isinstance(name, str) else name
    said = "".join(
        chr(c) if 32 <= c < 127 and c not in (39, 92) else f"\\x{c:02x}" for c in raw
    )
    return f"'{said}'"


def _data_claim(frames: int, data_offset: int, claimed_bytes: int, size: int) -> Claim:
    """Scale libsndfile's ``frames`` (the bytes present) to the bytes claimed."""
    held = size - data_offset
    if frames <= 0 or held <= 0:
        check_data_held(held, claimed_bytes, _UNKNOWN_SIZE)
        return Claim()
    if not held < claimed_bytes < _UNKNOWN_SIZE:
        return Claim()
    # Rounded up: any byte missing is a frame missing.
    return Claim(frames=-(-frames * claimed_bytes // held), sized=True)


def _w64(f: BinaryIO, frames: int) -> Claim:
    """Find the ``data`` chunk of a Sony Wave64 file: 16-byte GUIDs, 64-bit sizes."""
    size = os.fstat(f.fileno()).st_size
    offset = 40  # riff GUID, riff size, wave GUID
    for _ in range(64):
        f.seek(offset)
        chunk: bytes = f.read(24)
        if len(chunk) < 24:
            break
        (chunk_size,) = struct.unpack_from("<Q", chunk, 16)
        if chunk[:4] == b"data":
            claimed, held = chunk_size - 24, size - (offset + 24)
            if 0 < claimed < held and frames > 0:
                # libsndfile decodes the chunks after the data (a LIST, Sound
                # Forge's markers) as audio too: the frames of the data only.
                # (Rounded up: libsndfile's count drops a partial frame.)
                return Claim(limit=-(-frames * claimed // held))
            return _data_claim(frames, offset + 24, claimed, size)
        if chunk_size < 24:
            break
        offset += (chunk_size + 7) & ~7
    return Claim()


def _rf64(f: BinaryIO, frames: int) -> Claim:
    """Read an RF64/BW64 file's data size, from its ``ds64`` chunk when 0xFFFFFFFF."""
    size = os.fstat(f.fileno()).st_size
    head: bytes = f.read(1 << 16)
    if head[:4] not in (b"RF64", b"BW64") or head[12:16] != b"ds64":
        return Claim()
    (ds64_data,) = struct.unpack_from("<Q", head, 28)
    offset = 12
    while offset + 8 <= len(head):
        chunk_id = head[offset : offset + 4]
        (chunk_size,) = struct.unpack_from("<I", head, offset + 4)
        if chunk_id == b"data":
            claimed = ds64_data if chunk_size == 0xFFFFFFFF else chunk_size
            return _data_claim(frames, offset + 8, claimed, size)
        offset += 8 + chunk_size + (chunk_size & 1)
    return Claim()


def _caf(f: BinaryIO, frames: int) -> Claim:
    """Read a CAF's data size, and its packet table's frame count (ALAC).

    libsndfile reports the frames of the whole packets present: a file cut
    inside its last ALAC packet (4096 frames), or inside its last PCM frame,
    looked whole. The ``pakt`` chunk gives the frames of all the packets.
    """
    size = os.fstat(f.fileno()).st_size
    valid, data = 0, None
    for offset, chunk, chunk_size in _caf_chunks(f):
        if chunk[:4] == b"pakt" and len(chunk) >= 28:
            (valid,) = struct.unpack_from(">q", chunk, 20)  # after the packets
        elif chunk[:4] == b"data" and chunk_size >= 4:  # -1: to the end
            data = (offset + 16, chunk_size - 4)
    if frames < valid < _UNKNOWN_SIZE:
        return Claim(frames=valid, sized=True)
    claim = Claim() if data is None else _data_claim(frames, *data, size)
    if claim.frames is None and not claim.cut:
        f.seek(0)
        claim = dataclasses.replace(claim, cut=_caf_tail_cut(f))
    return claim


def _caf_tail_cut(f: BinaryIO) -> str:
    """Say how a CAF whose audio data is whole was cut in a chunk after it, or "".

    A CAF has no outer size: a cut exactly between two chunks cannot be told
    from a whole file; one inside a chunk after the data (``info``,
    ``pakt``...) can. libsndfile decodes the first as whole, and calls a cut
    inside the chunk after the data "malformed".
    """
    size = os.fstat(f.fileno()).st_size
    seen_data, end, odd = False, 8, False
    for offset, chunk, chunk_size in _caf_chunks(f):
        if chunk_size < 0 or not _is_fourcc(chunk[:4]):
            return ""  # to the end of the file; or not a chunk
        end, odd = offset + 12 + chunk_size, bool(chunk_size & 1)
        if chunk[:4] == b"data":
            seen_data = True
            if end > size:
                return ""  # the audio itself cut: said by the data size
        elif end > size and seen_data:
            name = chunk[:4].decode("latin-1")
            return (
                f"the file ends inside its {quoted(name)} chunk, after its audio data"
            )
    if seen_data and 0 < size - end < 12 and not (odd and _pad_byte(f, end, size)):
        f.seek(end)
        rest = f.read(12)
        if odd and rest[:1] == b"\0":  # libsndfile's pad byte, then more
            rest = rest[1:]
        # A chunk's header begins with its name: bytes that cannot begin one
        # (zeros, junk) are no cut, and libsndfile decodes the audio whole.
        if all(32 <= c < 127 for c in rest[:4]):
            return "the file ends inside a chunk header, after its audio data"
    return ""


def _pad_byte(f: BinaryIO, end: int, size: int) -> bool:
    """Tell whether the one byte at ``end``, the file's last, is a zero pad byte.

    The CAF specification pads no chunk, but libsndfile ends a file whose
    last chunk (its audio data) has an odd size with one zero byte: that
    file is whole, not cut inside a chunk header.
    """
    if size - end != 1:
        return False
    f.seek(end)
    return f.read(1) == b"\0"


def _caf_without_data(f: BinaryIO) -> str:
    """Say that a CAF of whole chunks ends before its data chunk, or "".

    The CAF specification requires a data chunk: a file whose chunks are all
    whole and none of them audio was cut on a chunk's end (libsndfile calls
    it "malformed").
    """
    size = os.fstat(f.fileno()).st_size
    last, end = "", 8
    f.seek(0)
    for offset, chunk, chunk_size in _caf_chunks(f):
        if chunk[:4] == b"data" or chunk_size < 0 or not _is_fourcc(chunk[:4]):
            return ""
        last, end = chunk[:4].decode("latin-1"), offset + 12 + chunk_size
    if not last or end != size:
        return ""
    return f"the file ends after its {quoted(last)} chunk, before its audio data"


def _caf_chunks(f: BinaryIO) -> Iterator[tuple[int, bytes, int]]:
    """Yield a CAF's chunks: offset, first 28 bytes (header and start), size.

    Nothing if ``f`` is not a CAF. The walk ends at a chunk whose size is
    negative (-1: the data runs to the end of the file), at the end of the
    file, or after :data:`_MAX_BLOCKS` chunks.
    """
    if f.read(8)[:4] != b"caff":
        return
    offset = 8
    for _ in range(_MAX_BLOCKS):
        f.seek(offset)
        chunk = f.read(28)
        if len(chunk) < 12:
            return
        (chunk_size,) = struct.unpack_from(">q", chunk, 4)
        yield offset, chunk, chunk_size
        if chunk_size < 0:
            return
        offset += 12 + chunk_size


def caf_to_the_end_cut(path: str | os.PathLike[str]) -> str:
    """Say how a CAF whose data runs to the end of the file (size -1) was cut, or "".

    Such a file (written to a pipe) holds no length; but its packets of
    constant size (PCM: one sample frame each, its ``desc`` gives their
    bytes) must be whole: a file that ends inside one was cut there (ffmpeg
    stops at it, "Invalid PCM packet"). One cut between two cannot be told
    from a whole, shorter file.
    """
    try:
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            packet = 0
            for offset, chunk, chunk_size in _caf_chunks(f):
                kind = chunk[:4]
                if kind == b"desc":
                    f.seek(offset + 12 + 16)  # its bytes and frames per packet
                    desc = f.read(8)
                    if len(desc) == 8:
                        packet, frames_per_packet = struct.unpack(">II", desc)
                        packet = packet if frames_per_packet == 1 else 0
                elif kind == b"data" and chunk_size == -1:
                    audio = offset + 12 + 4  # after its edit count
                    if size < audio:
                        return (
                            f"the file ends inside its {quoted(b'data')} chunk's "
                            "header, before its audio"
                        )
                    if packet and (size - audio) % packet:
                        return "the file ends inside a sample frame"
                    return ""
    except (OSError, struct.error):
        pass
    return ""


# ------------------------------------------------------------------- MP3
_KBPS = {
    (1, 1): (32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448),
    (1, 2): (32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384),
    (1, 3): (32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
    (2, 1): (32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256),
    (2, 2): (8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
}
_KBPS[(2, 3)] = _KBPS[(2, 2)]
#: Sampling rates by the header's version bits: MPEG-1, MPEG-2, MPEG-2.5.
_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}


@dataclass(frozen=True)
class _Frame:
    """One MPEG audio frame header."""

    stream: int  # version, layer and rate bits: equal on every frame of a stream
    length: int  # bytes, header included
    samples: int  # samples per channel
    side_info: int  # bytes of layer III side information after the header


@functools.lru_cache(maxsize=1024)  # a stream repeats a few headers many times
def _frame(b: bytes) -> _Frame | None:
    """Parse a 4-byte MPEG audio frame header (ISO 11172-3, 13818-3, MPEG-2.5)."""
    if len(b) < 4 or b[0] != 0xFF or b[1] & 0xE0 != 0xE0:
        return None
    version, layer_bits = (b[1] >> 3) & 3, (b[1] >> 1) & 3
    index, rate_index, padding = b[2] >> 4, (b[2] >> 2) & 3, (b[2] >> 1) & 1
    if version == 1 or layer_bits == 0 or index in (0, 15) or rate_index == 3:
        return None  # reserved values, or free format (not walked)
    layer, mpeg1 = 4 - layer_bits, version == 3
    bitrate = _KBPS[(1 if mpeg1 else 2, layer)][index - 1] * 1000
    rate = _RATES[version][rate_index]
    mono = b[3] >> 6 == 3
    if layer == 1:
        length, samples = (12 * bitrate // rate + padding) * 4, 384
    elif layer == 2 or mpeg1:
        length, samples = 144 * bitrate // rate + padding, 1152
    else:
        length, samples = 72 * bitrate // rate + padding, 576
    side_info = (17 if mono else 32) if mpeg1 else (9 if mono else 17)
    return _Frame((b[1] & 0x1E) << 8 | b[2] & 0x0C, length, samples, side_info)


class Buffer(Protocol):
    """Bytes of a file to walk: :class:`bytes`, or a :class:`_FileBytes`."""

    def __len__(self) -> int: ...

    @overload
    def __getitem__(self, key: int) -> int: ...

    @overload
    def __getitem__(self, key: slice) -> bytes: ...

    def find(self, sub: bytes, start: int = 0) -> int:
        """Return where ``sub`` first is from ``start`` on, or -1."""
        ...


#: Files up to this size are read whole to be walked; larger ones a window
#: at a time (an hours-long MP3 is not held in memory).
_WHOLE = 32 << 20
#: Bytes read at a time from a larger file.
_WINDOW = 4 << 20


def file_bytes(f: BinaryIO) -> Buffer:
    """Return the bytes of the open file ``f``, to walk its frames.

    Read, never mapped: a file shortened meanwhile (another program
    rewriting it) reads short, and its walk sees a cut, where a mapping
    of it killed the process with SIGBUS on the first byte past its new
    end. Small files are read whole; larger ones a window at a time.
    """
    size = os.fstat(f.fileno()).st_size
    f.seek(0)
    if size <= _WHOLE:
        return f.read()
    return _FileBytes(f, size)


class _FileBytes:
    """A large file's bytes, read a window at a time (see :func:`file_bytes`).

    ``len`` is the file's size when opened; a read past what it holds now
    gives fewer bytes, as a slice of :class:`bytes` past its end does.
    """

    def __init__(self, f: BinaryIO, size: int) -> None:
        self._f = f
        self._size = size
        self._start = 0
        self._window = b""

    def __len__(self) -> int:
        return self._size

    def _span(self, lo: int, hi: int) -> bytes:
        hi = min(hi, self._size)
        if hi <= lo:
            return b""
        start, window = self._start, self._window
        if lo < start or hi > start + len(window):
            self._f.seek(lo)
            self._start, self._window = lo, self._f.read(max(hi - lo, _WINDOW))
            start, window = self._start, self._window
        return window[lo - start : hi - start]

    @overload
    def __getitem__(self, key: int) -> int: ...

    @overload
    def __getitem__(self, key: slice) -> bytes: ...

    def __getitem__(self, key: int | slice) -> int | bytes:
        if isinstance(key, slice):
            lo, hi, step = key.indices(self._size)
            if step != 1:
                raise ValueError("a step is not supported")
            return self._span(lo, hi)
        at = key + self._size if key < 0 else key
        got = self._span(at, at + 1)
        if not got:
            raise IndexError("index out of range")
        return got[0]

    def find(self, sub: bytes, start: int = 0) -> int:
        """Return where ``sub`` first is from ``start`` on, or -1."""
        at = max(start, 0)
        want = _WINDOW + len(sub) - 1  # each block overlaps the next by that
        while at < self._size:
            block = self._span(at, at + want)
            found = block.find(sub)
            if found >= 0:
                return at + found
            if len(block) < want:
                return -1
            at += _WINDOW
        return -1


def zeros_from(data: Buffer) -> int:
    """Where the zeros that end ``data`` begin (its size: none end it)."""
    end = len(data)
    while end:
        chunk = bytes(data[max(0, end - (1 << 20)) : end])
        kept = len(chunk.rstrip(b"\0"))
        if kept:
            return end - len(chunk) + kept
        end -= len(chunk)
    return 0


def skip_id3v2(data: Buffer) -> int:
    """Return where the audio starts, after any ID3v2 tags.

    A tag's header holds its flags (a footer follows the tag when bit 4 is
    set) and its size. Past the end of the file when the last tag runs past
    it (a cut file, or a size that is not "synchsafe", which libmpg123
    forgives).
    """
    pos = 0
    while data[pos : pos + 3] == b"ID3" and len(data) >= pos + 10:
        flags, s = data[pos + 5], data[pos + 6 : pos + 10]
        pos += 10 + (s[0] << 21 | s[1] << 14 | s[2] << 7 | s[3])
        pos += 10 if flags & 0x10 else 0  # footer present
    return pos


def _sync(data: Buffer, pos: int, stream: int | None) -> tuple[int, _Frame | None]:
    """Find the next frame confirmed by the one after it (or ending the file)."""
    end = len(data)
    while (pos := data.find(b"\xff", pos)) >= 0 and pos + 4 <= end:
        frame = _frame(data[pos : pos + 4])
        if frame is not None and stream in (None, frame.stream):
            after = pos + frame.length
            following = _frame(data[after : after + 4])
            if after == end or (following and following.stream == frame.stream):
                return pos, frame
        pos += 1
    return end, None


def _partial_header(rest: bytes, stream: int) -> bool:
    """Return whether the file's last 1 to 3 bytes start a frame of ``stream``."""
    if not 0 < len(rest) < 4 or rest[0] != 0xFF:
        return False
    return len(rest) < 2 or rest[1] & 0x1E == stream >> 8


def _xing(data: Buffer, pos: int, frame: _Frame) -> tuple[int, int] | None:
    """Return ``(frames, delay + padding)`` from a Xing/Info (and LAME) header.

    Or from a VBRI header (Fraunhofer's encoders), always 32 bytes after the
    frame header: its frame count is as much a claim as a Xing header's, and
    a file cut between two frames holds fewer (libmpg123 takes no length
    from it, so it decoded such a file to its cut as if whole). Its delay is
    not a trim libmpg123 makes.
    """
    vbri = pos + 4 + 32
    if data[vbri : vbri + 4] == b"VBRI" and len(data) >= vbri + 18:
        version, count = struct.unpack(">H8xI", data[vbri + 4 : vbri + 18])
        return (count, 0) if version == 1 and count else None
    at = pos + 4 + frame.side_info
    if data[at : at + 4] not in (b"Xing", b"Info"):
        return None
    (flags,) = struct.unpack(">I", data[at + 4 : at + 8])
    if not flags & 1:
        return None
    (count,) = struct.unpack(">I", data[at + 8 : at + 12])
    lame = at + 8 + 4 * (flags & 1) + 4 * (flags >> 1 & 1) + 100 * (flags >> 2 & 1)
    lame += 4 * (flags >> 3 & 1)
    trim = 0
    if data[lame : lame + 4] in (b"LAME", b"Lavf", b"Lavc", b"L3.9"):
        x = data[lame + 21 : lame + 24]
        trim = (x[0] << 4 | x[1] >> 4) + ((x[1] & 15) << 8 | x[2])
    return count, trim


_LAST_CUT = "the last MPEG frame is cut off"
#: The tags of encoders whose Xing/Info frame ends in a LAME tag with a CRC.
_LAME_TAGS = (b"LAME", b"L3.9")


def _xing_damage(data: Buffer, pos: int, frame: _Frame, end: int) -> str:
    """Say why a Xing/Info header's frame count is wrong, not the file cut, or "".

    Its count is more frames than the file holds (the stream's frames, from
    ``pos``, end at ``end``; -1: frames are lost inside it). The header is
    damaged, not the file cut, when its LAME tag's CRC-16 (of the frame up
    to it) fails, or when its byte count is the size of a stream whose
    frames follow one another to its end: what it lists is all there.
    """
    at = pos + 4 + frame.side_info
    if data[at : at + 4] not in (b"Xing", b"Info"):
        return ""  # VBRI: no checksum, nor a size that says more
    (flags,) = struct.unpack(">I", data[at + 4 : at + 8])
    sized = at + 8 + 4 * (flags & 1)
    lame = sized + 4 * (flags >> 1 & 1) + 100 * (flags >> 2 & 1) + 4 * (flags >> 3 & 1)
    stored = data[lame + 34 : lame + 36]
    if (
        data[lame : lame + 4] in _LAME_TAGS
        and len(stored) == 2
        and _crc16_arc(data[pos : lame + 34]) != int.from_bytes(stored, "big")
    ):
        return "its LAME tag's checksum fails"
    if flags & 2 and end > 0:
        (size,) = struct.unpack(">I", data[sized : sized + 4])
        if size in (end - pos, end, len(data)):
            return f"its byte count, {size}, is the stream's"
    return ""


def _id3v1_ends(data: Buffer, pos: int) -> bool:
    """Whether an ID3v1 tag (128 bytes, ``TAG``) is all that is left from ``pos``."""
    return len(data) - pos == 128 and data[pos : pos + 3] == b"TAG"


def _crc16_arc(data: bytes) -> int:
    """CRC-16/ARC (reflected polynomial 0x8005), as a LAME tag's checksum."""
    crc = 0
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = crc >> 1 ^ 0xA001 if crc & 1 else crc >> 1
    return crc


def _mp3(f: BinaryIO, frames: int) -> Claim:
    """Walk an MPEG audio stream frame by frame (see the module notes)."""
    data = file_bytes(f)
    if not data:
        return Claim()
    end = len(data)
    start = skip_id3v2(data)
    pos, first = _sync(data, start, None)
    if first is None:
        return _free_format_claim(data, frames)
    # After ID3v2 tags its start is there: zeros a tag's size leaves out are
    # its padding (a tagger's slip), unless more than a block of them.
    least = ZERO_PADDING if start else _ZERO_GAP
    lost = _zeros_lost(data, start, pos, "before its first MPEG frame", least=least)
    xing = _xing(data, pos, first)
    pos_first, n, cut, unfinished = pos, 0, "", ""
    whole = True  # its frames one after another to its end: none lost inside
    frame: _Frame | None = first
    while frame is not None:
        after = pos + frame.length
        if after > end:
            cut = _LAST_CUT
            break
        n += 1
        pos = after
        frame = _frame(data[pos : pos + 4])
        if frame is None or frame.stream != first.stream:
            if _partial_header(data[pos : pos + 4], first.stream):
                cut = _LAST_CUT
                break
            whole = whole and (pos == end or _id3v1_ends(data, pos))
            stopped = pos
            pos, frame = _sync(data, pos, first.stream)  # junk, then more?
            if frame is not None:
                lost = lost or _zeros_lost(data, stopped, pos, _AMONG)
            else:
                unfinished = _zeros_to_the_end(data, stopped)
    # A decoder gives every whole frame (a Xing/Info frame carries no audio),
    # less the delay and padding a LAME tag records; one frame of tolerance.
    spf = first.samples
    if xing is None:
        cut = cut or unfinished  # more zeros than a writer pads with
        # libsndfile's count is then an estimate (see Claim.estimated).
        return Claim(
            frames=n * spf, cut=cut, tolerance=spf, estimated=n > 0, damage=lost
        )
    count, trim = xing
    # LAME, ffmpeg and libsndfile count the frames after the Xing/Info frame;
    # one frame of slack for an encoder that counts that frame too.
    if n < count and unfinished and not cut:
        cut = unfinished  # the frames its header lists never all came
    if n < count and not cut:
        if damage := _xing_damage(data, pos_first, first, pos if whole else -1):
            # Not a cut: its frames are all there, its count is not to be believed.
            raise AudioError(
                f"corrupt: its Xing/Info header is damaged ({damage}): it lists "
                f"{count} MPEG frames, the file holds {n - 1}"
            )
        cut = f"the file holds {n - 1} of the {count} MPEG frames its header lists"
    # More than one frame beyond: another stream follows (files joined with
    # cat), and libmpg123 would stop where the first one's header says.
    joined = n > count + 2
    return Claim(
        frames=count * spf - trim, cut=cut, tolerance=spf, joined=joined, damage=lost
    )


#: Zeros after a file's audio that a writer may leave as padding, fewer than:
#: one block (a sector is 512 bytes, a page or cluster 4096). More are the
#: unwritten rest of a file made at its full size (see :func:`zeros_after_data`).
ZERO_PADDING = 4096


#: Zeros among an MPEG stream's frames (or before them) from this many bytes
#: on are audio lost (a sector is 512 bytes), not a writer's padding.
_ZERO_GAP = 512
#: What zeros where a file's bytes should be most likely are.
_UNFINISHED = " (a file preallocated and never finished?)"


def _zeros_lost(
    data: Buffer, start: int, stop: int, where: str, *, least: int = _ZERO_GAP
) -> str:
    """Say that bytes from ``start`` to ``stop`` hold zeros lost from a stream, or "".

    A download or copy written into a file made at its full size, which
    never got some of its bytes, holds zeros there: libmpg123 skips them as
    junk without a word, and a file whose first frames were lost was written
    as a whole, shorter one (or one whose middle was lost failed as "an
    unspecified internal error" in a run while ``melcli info`` listed it).
    Fewer than ``least`` zeros in a row, or other bytes, are left to the
    decoder.
    """
    if data[start : start + 3] == b"ID3":  # another stream's tags (files joined)
        start += skip_id3v2(data[start : start + (1 << 20)])
        least = ZERO_PADDING
    gap = bytes(data[start:stop]) if stop - start >= least else b""
    at = gap.find(bytes(least))
    if at < 0:
        return ""
    run = len(gap) - at - len(gap[at:].lstrip(b"\0"))
    return (
        f"its bytes {start + at} to {start + at + run}, {where}, are all zeros: "
        f"the audio there is lost"
    )


#: Where :func:`_zeros_lost` finds zeros between two frames.
_AMONG = "among its MPEG frames"


#: Zeros read at most at the start of a file (:func:`leading_zeros`).
_LEADING_MAX = 16 << 20


def leading_zeros(path: str | os.PathLike[str]) -> str:
    """Say that a file no format is found in begins with zeros, or "".

    A file made at its full size and filled as its bytes came (a download, a
    copy) holds zeros where they never came: at its start, where its format
    is said (``RIFF``, ``fLaC``, ``OggS``...), libsndfile finds none ("format
    not recognised"). :data:`_ZERO_GAP` zeros or more are said, and whether
    anything follows them.
    """
    try:
        with open(path, "rb") as f:
            lead = 0
            while lead < _LEADING_MAX:
                block = f.read(1 << 20)
                kept = len(block.lstrip(b"\0"))
                lead += len(block) - kept
                if kept or not block:
                    break
            rest = bool(kept)
    except OSError:
        return ""
    if lead < _ZERO_GAP:
        return ""
    if not rest and lead < _LEADING_MAX:
        return (
            f"not an audio file: its {n_bytes(lead)} are all zeros (a file made "
            f"at its full size whose bytes never came?)"
        )
    more = " or more" if not rest else ""
    return (
        f"not an audio file (format not recognised): its first {n_bytes(lead)}{more} "
        f"are zeros, where its format would be said (its start lost?)"
    )


def _zeros_to_the_end(data: Buffer, stopped: int) -> str:
    """Say that only zeros follow a stream's frames from ``stopped`` on, or "".

    :data:`ZERO_PADDING` zeros or more to the end are the unwritten rest of
    a file made at its full size (a download or copy never finished), as
    after an ADTS stream's frames (``melcli.ffmpeg``); fewer, a writer's
    padding to a block.
    """
    if stopped >= len(data) or data[len(data) - 1]:
        return ""
    zeros = zeros_from(data)
    if zeros > stopped + 1 or len(data) - zeros < ZERO_PADDING:
        return ""
    return f"only zeros from byte {zeros} to the end{_UNFINISHED}"


def _free_format_claim(data: Buffer, frames: int) -> Claim:
    """Return the claim of a free-format stream (see :func:`_free_format_cut`).

    A free-format stream's headers give no bitrate, so its frames are not
    walked as others are. With a Xing/Info frame first, libmpg123 counts the
    frames it lists: libsndfile's count is that claim. Without one, its count
    is an estimate (``decoded 2.06 s of 2.07 s`` of a whole file): no length
    is claimed, only a cut that the walk of its frames finds.
    """
    start = skip_id3v2(data)
    if not _free_format(data[start : start + 4]):
        return Claim()
    cut, walked = _free_format_cut(data, start)
    head = data[start : start + 64]
    at = max(head.find(b"Xing"), head.find(b"Info"))
    if at < 0:
        return Claim(cut=cut, tolerance=frames)
    # libsndfile's count is the header's: a cut file looks whole until it
    # decodes, unless its frames, walked, say so (as ``melcli info`` reads).
    listed = struct.unpack_from(">II", head + bytes(12), at + 4)
    count = listed[1] if listed[0] & 1 else 0
    if not cut and walked and walked - 1 < count:
        cut = f"the file holds {walked - 1} of the {count} MPEG frames its header lists"
    return Claim(cut=cut)


#: A free-format frame's shortest length, in bytes: a header and some data.
_FREE_FORMAT_MIN = 24


def _free_format_cut(data: Buffer, start: int) -> tuple[str, int]:
    """Walk a free-format stream's frames: "the last MPEG frame is cut off", or "".

    Returned with the frames walked when the walk met the end of the file
    after a whole frame (0 otherwise: it did not reach the end).

    A free-format stream's bitrate is constant but not in its headers: its
    frames are all one length, plus the padding slot of those whose padding
    bit is set (4 bytes in layer I, 1 otherwise), so the distance from the
    first header to the second gives every frame's length. A frame that runs
    past the end of the file means the file was cut (libmpg123 decodes what
    it holds without a word). A walk that meets bytes that are not a header
    of the stream (a tag, junk, or a length guessed wrong) claims nothing.
    """
    end = len(data)
    head = data[start : start + 4]
    key = head[1], head[2] & 0xFC  # version, layer, protection; rate
    slot = 4 if (head[1] >> 1) & 3 == 3 else 1  # layer I: 4-byte slots

    def padded(at: int) -> int | None:
        """Return the padding of a header of the stream at ``at``, or None."""
        b = data[at : at + 4]
        if len(b) < 4 or b[0] != 0xFF or (b[1], b[2] & 0xFC) != key:
            return None
        return slot if b[2] & 2 else 0

    def cut_header(at: int) -> bool:
        """Whether the file's last 1 to 3 bytes, from ``at``, begin a header."""
        rest = data[at:end]
        return (
            0 < len(rest) < 4
            and rest[:2] == head[: len(rest[:2])]
            and (len(rest) < 3 or rest[2] & 0xFC == key[1])
        )

    # The second header: the first one the header after it confirms (a
    # frame's data may hold the two bytes of a header).
    second, base = start + _FREE_FORMAT_MIN, 0
    while (second := data.find(bytes(head[:2]), second)) >= 0:
        pad = padded(second)
        if pad is not None:
            base = second - start - (padded(start) or 0)
            third = second + base + pad
            if third >= end or padded(third) is not None or cut_header(third):
                break
        second += 1
    if second < 0:
        return "", 0
    pos = start
    for n in range(1, _MAX_FREE_FRAMES + 1):
        pad = padded(pos)
        if pad is None:
            if cut_header(pos):
                return _LAST_CUT, 0  # a header cut (its padding bit not reached)
            return "", 0  # the end, a tag, or not walked right: no claim
        if pos + base + pad > end:
            return _LAST_CUT, 0
        pos += base + pad
        if pos == end:
            return "", n
    return "", 0


#: Frames walked at most in a free-format stream (10 hours at 44.1 kHz).
_MAX_FREE_FRAMES = 1_400_000


def mp3_joined(path: str | os.PathLike[str]) -> bool:
    """Whether the MP3 ``path`` holds more frames than its Xing/Info header lists."""
    return claim(path, format="MP3", frames=0).joined


# ------------------------------------------------------------------ NIST
def _nist(f: BinaryIO, frames: int) -> Claim:
    """Read ``sample_count`` (frames) from a NIST SPHERE text header.

    libsndfile reports the frames the file holds and logs no claim: a cut
    file would look whole.
    """
    head = f.read(1024)
    if not head.startswith(b"NIST_1A"):
        return Claim()
    for line in head.split(b"\n"):
        words = line.split()
        if len(words) == 3 and words[:2] == [b"sample_count", b"-i"]:
            return Claim(frames=max(frames, int(words[2])), sized=True)
    return Claim()


# ------------------------------------------------- AVR, VOC, MAT4, MAT5
#: Blocks or elements walked at most in a VOC or MAT file before giving up
#: (a whole file has a few; a crafted one must not make the walk long).
_MAX_BLOCKS = 10_000


def _avr(f: BinaryIO, frames: int) -> Claim:
    """Read the frame count of an Audio Visual Research header (big-endian).

    libsndfile reports the frames the file holds: a cut file would look whole.
    """
    head = f.read(30)
    if len(head) < 30 or not head.startswith(b"2BIT"):
        return Claim()
    (claimed,) = struct.unpack_from(">I", head, 26)
    return Claim(frames=max(frames, claimed), sized=True)


def _voc(f: BinaryIO, frames: int) -> Claim:
    """Walk the blocks of a Creative Voice file: the last must end in the file.

    Each block but the terminator (type 0) has a 24-bit length; libsndfile
    reports the frames present and only logs that the file "seems truncated".
    It reads the first sound block's samples to the end of the file, less the
    one byte of the terminator, whatever the block lengths say (sox's are 8
    bytes short): so the file must end with that byte, after whole sample
    frames, or what it decodes is not what was written.
    """
    head = f.read(26)
    if len(head) < 26 or not head.startswith(b"Creative Voice File\x1a"):
        return Claim()
    size = os.fstat(f.fileno()).st_size
    (pos,) = struct.unpack_from("<H", head, 20)
    sound: tuple[int, int] | None = None  # first samples' offset, frame size
    channels = 1  # from an extended block (type 8), for a type 1 after it
    for _ in range(_MAX_BLOCKS):
        f.seek(pos)
        block = f.read(16)
        if len(block) < 4 or block[0] not in _VOC_BLOCKS:
            # The end, the terminator, or bytes after a block whose length
            # its writer got wrong (sox's): the file's end tells.
            break
        end = pos + 4 + int.from_bytes(block[1:4], "little")
        if sound is None:
            if block[0] == 8 and len(block) >= 8:
                channels = block[7] + 1
            elif block[0] == 1 and len(block) >= 6:
                # 8-bit unsigned; other codecs (ADPCM) are packed: no frame size
                sound = (pos + 6, channels if block[5] == 0 else 0)
            elif block[0] == 9 and len(block) >= 16:
                sound = (pos + 16, block[8] // 8 * block[9])
        if end > size:
            return Claim(cut=_VOC_CUT)
        if block[0] == 9 and end + _SOX_VOC_SHORT + 1 == size:
            break  # sox's one block, its terminator after it
        pos = end
    if sound is None:
        return Claim()
    start, frame = sound
    f.seek(size - 1)
    if size <= start or f.read(1) != b"\0" or (frame and (size - 1 - start) % frame):
        return Claim(cut=_VOC_CUT)
    held = (size - 1 - start) // frame if frame else None
    # libsndfile decodes an 8-bit type 9 block's terminator as one more sample.
    return Claim(limit=held if held is not None and frames > held else None)


_VOC_CUT = "the last VOC block is cut off"
#: Bytes by which sox's VOC sound block (type 9) lengths fall short.
_SOX_VOC_SHORT = 8


#: The VOC block types that have a length (0 is the terminator).
_VOC_BLOCKS = frozenset(range(1, 10))


#: Bytes per value of a MAT4 matrix, by the precision digit of its type.
_MAT4_SIZES = {0: 8, 1: 4, 2: 4, 3: 2, 4: 2, 5: 1}


def _mat4(f: BinaryIO, frames: int) -> Claim:
    """Walk the matrices of a MATLAB v4 file: the last must end in the file."""
    size = os.fstat(f.fileno()).st_size
    pos = 0
    for _ in range(_MAX_BLOCKS):
        if pos >= size:
            return Claim()
        f.seek(pos)
        header = f.read(20)
        if len(header) < 20:
            return Claim(cut="the last MAT-file matrix is cut off")
        fields = struct.unpack("<5i", header)
        if not 0 <= fields[0] < 5000:  # the type's first digit: 1 = big-endian
            fields = struct.unpack(">5i", header)
        kind, rows, cols, imaginary, name = fields
        width = _MAT4_SIZES.get(kind // 10 % 10)
        if width is None or min(rows, cols, name) < 0:
            return Claim()  # not a matrix header: not a claim either
        pos += 20 + name + rows * cols * width * (2 if imaginary else 1)
        if pos > size:
            return Claim(cut="the last MAT-file matrix is cut off")
    return Claim()


def _mat5(f: BinaryIO, frames: int) -> Claim:
    """Walk the data elements of a MATLAB v5 file: the last must end in the file."""
    head = f.read(128)
    if len(head) < 128:
        return Claim()
    order = {b"IM": "<", b"MI": ">"}.get(head[126:128])
    if order is None:
        return Claim()
    size = os.fstat(f.fileno()).st_size
    pos = 128
    for _ in range(_MAX_BLOCKS):
        if pos >= size:
            return Claim()
        f.seek(pos)
        tag = f.read(8)
        if len(tag) < 8:
            return Claim(cut="the last MAT-file data element is cut off")
        kind, length = struct.unpack(order + "II", tag)
        if kind >> 16:  # a small element: tag and data in 8 bytes
            pos += 8
            continue
        end = pos + 8 + length
        # libsndfile's matrix claims 8 bytes more than its parts hold: the
        # parts of a matrix (the samples are the last) are judged instead.
        inner = (
            _mat5_parts(f, pos + 8, min(end, size), size, order) if kind == 14 else ""
        )
        if inner or end > size + (8 if kind == 14 else 0):
            return Claim(cut="the last MAT-file data element is cut off")
        pos += 8 + -(-length // 8) * 8  # elements are padded to 8 bytes
    return Claim()


def _mat5_parts(f: BinaryIO, pos: int, end: int, size: int, order: str) -> str:
    """Return "cut" if a part of a MAT5 matrix runs past the file's end."""
    for _ in range(_MAX_BLOCKS):
        if pos + 8 > end:
            return ""
        f.seek(pos)
        kind, length = struct.unpack(order + "II", f.read(8))
        if kind >> 16:
            pos += 8
            continue
        if pos + 8 + length > size:
            return "cut"
        pos += 8 + -(-length // 8) * 8
    return ""


# ------------------------------------------------------------------- SDS
#: A MIDI Sample Dump's header message, and each of its data packets: a
#: packet is ``F0 7E cc 02 nn``, 120 bytes of samples, a checksum and ``F7``.
_SDS_HEADER = 21
_SDS_PACKET = 127
_SDS_DATA = 120


def _is_sds(head: bytes) -> bool:
    """Whether ``head`` starts a MIDI Sample Dump: its header message's start."""
    return head[:2] == b"\xf0\x7e" and head[3:4] == b"\x01"


def _sds(f: BinaryIO, frames: int) -> Claim:
    """Count the whole data packets of a MIDI Sample Dump (SDS) file.

    The header gives the length in samples; libsndfile reports it whatever
    the file holds, and decodes a packet cut short, or missing, as zeros.
    Each sample takes ``ceil(bits / 7)`` bytes of a packet's 120 (7-bit MIDI
    data bytes). The claim's limit is the samples in the whole packets.
    """
    head = f.read(_SDS_HEADER)
    if len(head) < _SDS_HEADER or not _is_sds(head):
        return Claim()
    bits = head[6]
    if not 8 <= bits <= 28:
        return Claim()
    per_packet = _SDS_DATA // -(-bits // 7)
    size = os.fstat(f.fileno()).st_size
    packets = max(0, size - _SDS_HEADER) // _SDS_PACKET
    held = packets * per_packet
    if held >= frames:
        return Claim()
    return Claim(frames=frames, sized=True, limit=held)


_JUDGES = {
    "OGG": _ogg,
    "SDS": _sds,
    "W64": _w64,
    "RF64": _rf64,
    "CAF": _caf,
    "MP3": _mp3,
    "NIST": _nist,
    "AVR": _avr,
    "VOC": _voc,
    "MAT4": _mat4,
    "MAT5": _mat5,
}
#: The formats judged here; libsndfile's own claims serve for the others.
JUDGED = frozenset(_JUDGES)


@dataclass(frozen=True)
class FlacHeader:
    """What a FLAC file's own metadata says, read without libsndfile."""

    samplerate: int
    #: Frames STREAMINFO announces (0: not known, a stream written to a pipe).
    frames: int
    #: Whether the file ends before its metadata does: no audio frame at all.
    cut_in_metadata: bool


def flac_header(path: str | os.PathLike[str]) -> FlacHeader | None:
    """Read a FLAC file's STREAMINFO and walk its metadata blocks.

    For saying how much a FLAC that libsndfile cannot open or start to
    decode claimed to hold (a small cut file). None if ``path`` does not
    start like FLAC. A file cut inside its STREAMINFO is cut in its metadata,
    of unknown length (0 frames). At most :data:`_MAX_BLOCKS` blocks are
    walked: a made-up file of millions of empty blocks is not followed to
    its end (its metadata is then taken as whole).
    """
    try:
        with open(path, "rb") as f:
            start = 0
            head = f.read(42)
            if head[:3] == b"ID3":  # some taggers put one before fLaC
                start = skip_id3v2_tags(f)
                f.seek(start)
                head = f.read(42)
            if head[:4] != b"fLaC" or (len(head) > 4 and head[4] & 0x7F != 0):
                return None
            if len(head) < 42:
                return FlacHeader(samplerate=0, frames=0, cut_in_metadata=True)
            bits = int.from_bytes(head[18:26], "big")
            samplerate = bits >> 44
            frames = bits & ((1 << 36) - 1)
            size = os.fstat(f.fileno()).st_size
            pos, last = start + 42, bool(head[4] & 0x80)
            for _ in range(_MAX_BLOCKS):
                if last or pos + 4 > size:
                    break
                f.seek(pos)
                block = f.read(4)
                last = bool(block[0] & 0x80)
                pos += 4 + int.from_bytes(block[1:4], "big")
            else:
                last, pos = True, 0  # too many blocks to be real: not followed
    except OSError:
        return None
    return FlacHeader(
        samplerate=samplerate, frames=frames, cut_in_metadata=not last or pos >= size
    )


def flac_tail_cut(path: str | os.PathLike[str]) -> FlacTail | None:
    """Say where a FLAC's last frame shows it cut or damaged, without decoding.

    Each frame's header gives its first sample (or its number, in a stream
    of fixed block size) and its block size, and its last two bytes are a
    CRC-16 of the whole frame. A whole stream's last frame ends the file
    (or an ID3v1 or APEv2 tag after it) with a CRC that matches, and ends
    on the number of samples STREAMINFO announces. A file cut inside its
    frames ends in a frame whose CRC does not match; one cut between two
    frames, or whose STREAMINFO announces more than it holds, ends before
    that number: libFLAC finds either when it decodes there ("lost sync"),
    and ``melcli info``, which does not decode, here. None when it is not
    known to be cut: whole, its length not announced, or no frame header
    found near its end.
    """
    try:
        with open(path, "rb") as f:
            head = f.read(42)
            start = 0
            if head[:3] == b"ID3":
                start = skip_id3v2_tags(f)
                f.seek(start)
                head = f.read(42)
            if head[:4] != b"fLaC" or len(head) < 42:
                return None
            min_block, max_block = struct.unpack_from(">HH", head, 8)
            max_frame = int.from_bytes(head[15:18], "big")
            bits = int.from_bytes(head[18:26], "big")
            stream = _FlacStream(
                samplerate=bits >> 44,
                channels=(bits >> 41 & 7) + 1,
                bits=(bits >> 36 & 31) + 1,
                fixed=max_block if min_block == max_block else 0,
            )
            total = bits & ((1 << 36) - 1)
            if not total or not stream.samplerate:
                return None
            size = _before_zeros(f)
            # Two of its largest frames: the last whole one is found behind
            # bytes after it that are no frame (junk, or the start of a cut one).
            window = min(size - start - 42, 2 * (max_frame or _FLAC_TAIL) + 16)
            f.seek(size - window)
            tail = f.read(window)
    except OSError:
        return None
    ends = [len(tail)]
    if tail[-128:-125] == b"TAG":  # an ID3v1 tag after the frames
        ends.append(len(tail) - 128)
    if (ape := tail.rfind(b"APETAGEX")) > 0:
        ends.append(ape)
    last = None
    at = len(tail)
    while (at := tail.rfind(b"\xff", 0, at)) >= 0:
        frame = _flac_frame(tail, at, stream)
        if frame is None:
            continue
        first, block = frame
        if any(_flac_crc_ends(tail, at, end) for end in ends):
            if first + block < total:
                return FlacTail(first + block, total, stream.samplerate, False)
            return None
        last = last or frame
    if last is not None and last[0] + last[1] <= total:
        return FlacTail(last[0], total, stream.samplerate, True)
    return None


def _before_zeros(f: BinaryIO) -> int:
    """Return the size of ``f``, or where the zeros that end it start.

    :data:`ZERO_PADDING` zeros or more to the end are the unwritten rest of
    a file made at its full size (a download or copy never finished): a
    FLAC's frames end before them, where libFLAC loses sync in a run, and
    ``melcli info`` listed such a file as whole (no frame header in its
    last bytes). Fewer are a writer's padding, left in the file.
    """
    size = os.fstat(f.fileno()).st_size
    f.seek(max(size - 1, 0))
    if f.read(1) != b"\0":
        return size
    zeros = zeros_from(file_bytes(f))
    return zeros if size - zeros >= ZERO_PADDING else size


class FlacTail(NamedTuple):
    """Where a FLAC's frames end, short of the samples STREAMINFO announces."""

    #: Samples in the whole frames before the end or the cut (decoded).
    decoded: int
    #: Samples STREAMINFO announces.
    total: int
    samplerate: int
    #: Whether the last frame is cut (or damaged), not whole.
    frame_cut: bool


@dataclass(frozen=True)
class _FlacStream:
    samplerate: int
    channels: int
    bits: int
    fixed: int  # the block size of a stream of fixed blocks, else 0


#: Bytes searched for a FLAC's last frame when STREAMINFO gives no frame size.
_FLAC_TAIL = 1 << 20
#: FLAC block sizes by a frame header's code (0: reserved; -1, -2: the size
#: follows the header's number, in 1 or 2 bytes).
_FLAC_BLOCKS = (0, 192, 576, 1152, 2304, 4608, -1, -2, *(256 << n for n in range(8)))
#: Sample rates and sample sizes by a frame header's codes (0: STREAMINFO's).
_FLAC_RATES: tuple[int, ...] = (0, 88200, 176400, 192000, 8000, 16000, 22050)
_FLAC_RATES += (24000, 32000, 44100, 48000, 96000)
_FLAC_BITS = (0, 8, 12, -1, 16, 20, 24, 32)


def _flac_frame(data: bytes, at: int, stream: _FlacStream) -> tuple[int, int] | None:
    """Read the FLAC frame header at ``at``: ``(first sample, block size)``.

    None unless the bytes there are a header of ``stream`` (its rate,
    channels and sample size, where the header gives them) whose CRC-8
    matches: a frame's data holds many a ``0xFF``.
    """
    b = data[at : at + 16]
    if len(b) < 6 or b[1] & 0xFE != 0xF8 or b[3] & 1:
        return None
    code, rate, channels = b[2] >> 4, b[2] & 15, b[3] >> 4
    size = _FLAC_BITS[b[3] >> 1 & 7]
    if code == 0 or rate == 15 or size < 0 or (size and size != stream.bits):
        return None
    if rate < len(_FLAC_RATES) and rate and _FLAC_RATES[rate] != stream.samplerate:
        return None
    if channels > 10 or (channels + 1 if channels < 8 else 2) != stream.channels:
        return None
    # The frame's (or first sample's) number, coded as UTF-8 is: 1 to 7 bytes.
    lead = b[4]
    length = 1 if lead < 0x80 else 8 - (~lead & 0xFF).bit_length()  # leading 1s
    if lead >= 0x80 and not 2 <= length <= 7:
        return None
    number = lead & (0xFF >> (length + 1)) if length > 1 else lead
    for byte in b[5 : 4 + length]:
        if byte & 0xC0 != 0x80:
            return None
        number = number << 6 | byte & 0x3F
    pos = 4 + length
    block = _FLAC_BLOCKS[code]
    if block < 0:
        block = int.from_bytes(b[pos : pos - block], "big") + 1
        pos += -_FLAC_BLOCKS[code]
    pos += {12: 1, 13: 2, 14: 2}.get(rate, 0)
    if pos >= len(b) or _crc8(b[:pos]) != b[pos]:
        return None
    variable = b[1] & 1
    return (number if variable or not stream.fixed else number * stream.fixed), block


def _flac_crc_ends(data: bytes, at: int, end: int) -> bool:
    """Whether a frame from ``at`` ends at ``end`` with its CRC-16."""
    return end - at > 6 and _crc16(data[at : end - 2]) == int.from_bytes(
        data[end - 2 : end], "big"
    )


def _crc_table(poly: int, width: int) -> tuple[int, ...]:
    top, mask = 1 << (width - 1), (1 << width) - 1
    table = []
    for n in range(256):
        crc = n << (width - 8)
        for _ in range(8):
            crc = (crc << 1 ^ poly if crc & top else crc << 1) & mask
        table.append(crc)
    return tuple(table)


_CRC8 = _crc_table(0x07, 8)
_CRC16 = _crc_table(0x8005, 16)


def _crc8(data: bytes) -> int:
    crc = 0
    for byte in data:
        crc = _CRC8[crc ^ byte]
    return crc


def _crc16(data: bytes) -> int:
    crc, table = 0, _CRC16
    for byte in data:
        crc = (crc << 8 & 0xFFFF) ^ table[crc >> 8 ^ byte]
    return crc


def skip_id3v2_tags(f: BinaryIO) -> int:
    """Return where a file starts after the ID3v2 tags at its start (0: none).

    As :func:`skip_id3v2` does, on an open file: for checks that read a few
    bytes of a file (ADTS, FLAC behind tags) rather than map it. Past the
    end of the file when the last tag runs past it.
    """
    start = 0
    for _ in range(16):  # tags one after another: a few at most
        f.seek(start)
        tag = f.read(10)
        if tag[:3] != b"ID3" or len(tag) < 10:
            break
        size = tag[6] << 21 | tag[7] << 14 | tag[8] << 7 | tag[9]
        start += 10 + size + (10 if tag[5] & 0x10 else 0)
    return start


class HeaderFields(NamedTuple):
    """The rate and layout a WAV, RF64, W64, AU, AIFF or CAF header gives.

    Each None where the header is not read that far (or the file is another).
    """

    #: Its sample rate (an AIFF's 80-bit float may be inf or NaN).
    rate: float | None = None
    #: Its channels and bits a sample (an AU's bits: -1, its encoding gives them).
    layout: tuple[int, int] | None = None
    #: A WAV's or W64's format tag (1: PCM, 3: float, 0xFFFE: extensible...).
    tag: int | None = None
    #: An AIFF-C's compression type, a CAF's format ID (b"lpcm"...).
    codec: bytes | None = None
    #: Whether its samples are floating point (a WAV's tag 3, a CAF's flag,
    #: an AIFF-C's ``fl32``/``fl64``); False for integers or not known.
    floating: bool = False


#: Where each header's fields are: its chunk's name and where to look for it
#: (None: at the start of the file), the rate's offset and kind from there
#: (``"e"``: AIFF's 80-bit float), and the channels' and bits' struct and offset.
_HEADER_FIELDS = {
    "WAVE": (b"fmt ", 12, 12, "I", "H10xH", 10),
    "W64": (b"fmt ", 40, 28, "I", "H10xH", 26),
    "AU": (None, 0, 16, "I", "I", 20),
    "AIFF": (b"COMM", 12, 16, "e", "H4xH", 8),
    "CAF": (b"desc", 8, 12, "d", "II", 36),
}


def _header_kind(head: bytes) -> tuple[str, str] | None:
    """Return which of :data:`_HEADER_FIELDS` ``head`` starts, and its byte order."""
    kind, form = head[:4], head[8:12]
    if kind in (b"RIFF", b"RIFX", b"RF64", b"BW64") and form == b"WAVE":
        return "WAVE", ">" if kind == b"RIFX" else "<"
    if kind == b"riff":
        return "W64", "<"
    if kind == b".snd":
        return "AU", ">"
    if kind == b"FORM" and form in (b"AIFF", b"AIFC"):
        return "AIFF", ">"
    if kind == b"caff":
        return "CAF", ">"
    return None


def _extended(head: bytes, at: int) -> float:
    """Read an AIFF's 80-bit float (its rate) at ``at``."""
    exponent, mantissa = struct.unpack_from(">HQ", head, at)
    sign = -1.0 if exponent & 0x8000 else 1.0
    if exponent & 0x7FFF == 0x7FFF:  # infinity, or not a number
        return sign * math.inf if mantissa & ((1 << 63) - 1) == 0 else math.nan
    return float(sign * mantissa * 2.0 ** ((exponent & 0x7FFF) - 16383 - 63))


def header_fields(path: str | os.PathLike[str]) -> HeaderFields:
    """Read the rate, channels and bits a WAV, RF64, W64, AU, AIFF or CAF header gives.

    For saying what is wrong with a header libsndfile refuses in words that
    do not say: a rate of 0, or one that does not fit its signed 32-bit int
    (a WAV of 4 GHz), is "incomplete"; 65281 channels, or 32800-bit samples,
    an ``unspecified internal error``. Fields not read: None.
    """
    try:
        with open(path, "rb") as f:
            head = f.read(1 << 16)
    except OSError:
        return HeaderFields()
    found = _header_kind(head)
    if found is None:
        return HeaderFields()
    kind, order = found
    chunk, after, rate_at, rate_kind, layout_kind, layout_at = _HEADER_FIELDS[kind]
    at = 0 if chunk is None else head.find(chunk, after)
    if at < 0:
        return HeaderFields()
    rate: float | None = None
    layout: tuple[int, int] | None = None
    with contextlib.suppress(struct.error, OverflowError):
        if rate_kind == "e":
            rate = _extended(head, at + rate_at)
        else:
            rate = float(struct.unpack_from(order + rate_kind, head, at + rate_at)[0])
    with contextlib.suppress(struct.error):
        fields = struct.unpack_from(order + layout_kind, head, at + layout_at)
        layout = (fields[0], fields[1]) if len(fields) == 2 else (fields[0], -1)
    tag = None
    if kind in ("WAVE", "W64"):  # its format tag: just before its channels
        with contextlib.suppress(struct.error):
            (tag,) = struct.unpack_from(order + "H", head, at + layout_at - 2)
    codec = None
    if kind == "CAF" or (kind == "AIFF" and head[8:12] == b"AIFC"):
        codec = head[at + 20 : at + 24] if kind == "CAF" else head[at + 26 : at + 30]
    floating = tag == 3 or (codec or b"").lower() in (b"fl32", b"fl64")
    if codec == b"lpcm":  # its format flags: bit 0, floating point
        floating = bool(head[at + 27 : at + 28]) and bool(head[at + 27] & 1)
    return HeaderFields(rate, layout, tag, codec, floating)


def ogg_flac_header(path: str | os.PathLike[str]) -> FlacHeader | None:
    """Read the STREAMINFO of FLAC in Ogg (``.oga``), None if ``path`` is not that.

    libsndfile 1.2 cannot open Ogg FLAC at all ("unknown error in flac
    decoder"): melcli decodes it through ffmpeg, which reads a cut stream to
    where it stops without a word, so the length STREAMINFO announces (0:
    not said) is the claim. The first packet is byte 0x7F and ``FLAC``, two version
    bytes, a header count and ``fLaC`` (FLAC 1.1.1 and later), or ``fLaC``
    itself (the mapping of FLAC 1.1.0); STREAMINFO's block follows.
    """
    try:
        with open(path, "rb") as f:
            head = f.read(27 + 255 + 64)
    except OSError:
        return None
    if head[:4] != b"OggS" or len(head) < 27:
        return None
    packet = head[27 + head[26] :]
    if packet[:5] == b"\x7fFLAC" and packet[9:13] == b"fLaC":
        info = packet[17:51]
    elif packet[:4] == b"fLaC":
        info = packet[8:42]
    else:
        return None
    if len(info) < 18:
        return FlacHeader(samplerate=0, frames=0, cut_in_metadata=True)
    bits = int.from_bytes(info[10:18], "big")
    return FlacHeader(
        samplerate=bits >> 44, frames=bits & ((1 << 36) - 1), cut_in_metadata=False
    )


def ogg_flac_claim(path: str | os.PathLike[str], *, frames: int) -> Claim:
    """Return what an Ogg FLAC stream of which ``frames`` decoded claims.

    STREAMINFO's length (when it gives one), and whether the Ogg stream was
    cut (its last page incomplete, or not flagged end-of-stream).
    """
    header = ogg_flac_header(path)
    cut = claim(path, format="OGG", frames=frames).cut
    announced = header.frames if header is not None else 0
    return Claim(frames=max(announced, frames), cut=cut, sized=announced > 0)


def cut_before_audio(path: str | os.PathLike[str]) -> str:
    """Say how ``path`` was cut before its first audio, if its bytes tell.

    For a file libsndfile cannot open, which calls a cut Ogg stream
    "malformed" and an MP3 cut inside its ID3v2 tag (cover art can take
    megabytes) "not a regular file". Ogg: its last page incomplete, or not
    flagged end-of-stream; MP3: its ID3v2 tags or its first frame running
    past the end of the file; CAF (libsndfile calls every cut one
    "malformed"), WAV, AIFF, RF64, W64 and IFF 8SVX/16SV: a chunk running
    past the end of the file before the audio data is whole; SDS, Psion WVE,
    AVR, AU, VOC and NIST SPHERE: their header, of a known length, cut (a VOC
    also when it does not end as a whole one does: see :func:`_voc`); a file
    of 4 bytes or more of a longer magic (Wave64, ASF...): cut inside it. ""
    when not known to be cut.
    """
    try:
        with open(path, "rb") as f:
            if magic := _cut_in_magic(f.read(_LONGEST_MAGIC)):
                return magic
            f.seek(0)
            head = f.read(12)
            if (cut := _cut_in_outer_header(head)) is not None:
                return cut
            if head[:4] == b"OggS":
                return _ogg(f, 0).cut
            if head[:4] == b"caff":
                f.seek(0)
                cut = _chunks_cut(_caf_chunks(f), f, start=8, header=12, skip=4)
                f.seek(0)
                return cut or _caf_tail_cut(f) or _caf_without_data(f)
            if head[:4] in (b"RIFF", b"RIFX") and head[8:12] == b"WAVE":
                chunks = _iff_chunks(f, "<" if head[0] == ord("R") else ">", b"data")
                return _chunks_cut(chunks, f, start=12, header=8, skip=0)
            if head[:4] == b"FORM" and head[8:12] in (b"AIFF", b"AIFC"):
                chunks = _iff_chunks(f, ">", b"SSND")
                return _chunks_cut(chunks, f, start=12, header=8, skip=0)
            if head[:3] == b"ID3" or _frame(head[:4]) or _free_format(head[:4]):
                return _mp3_cut_before_audio(f)
            if head[:4] in (b"RF64", b"BW64") and head[8:12] == b"WAVE":
                chunks = _rf64_chunks(f)
                return _chunks_cut(chunks, f, start=12, header=8, skip=0)
            if head[:4] == b"FORM" and head[8:12] in (b"8SVX", b"16SV"):
                chunks = _iff_chunks(f, ">", b"BODY")
                return _chunks_cut(chunks, f, start=12, header=8, skip=0)
            if head[:4] == b"Crea":  # libsndfile refuses an 8-bit one cut
                f.seek(0)
                if cut := _voc(f, 0).cut:
                    return cut
            size = os.fstat(f.fileno()).st_size
            if head[:4] == b"riff":
                if size < 40:  # its riff GUID and size, its wave GUID
                    return "the file ends inside its Wave64 header"
                return _chunks_cut(_w64_chunks(f), f, start=40, header=24, skip=0)
            f.seek(0)
            first = f.read(16)
            for starts, length, name in _FIXED_HEADERS:
                if starts(first) and size < length(f):
                    return f"the file ends inside its {name} header"
    except (OSError, ValueError, IndexError, struct.error):
        pass
    return ""


#: The first bytes of the formats whose magic is longer than four bytes, and
#: what a file that holds only some of them ends inside.
_MAGICS = (
    (b"riff\x2e\x91\xcf\x11", "Wave64 header"),
    (b"Creative Voice File\x1a", "VOC header"),
    (b"NIST_1A\n", "NIST SPHERE header"),
    (b"ALawSoundFile**", "Psion WVE header"),
    (bytes.fromhex("3026b2758e66cf11a6d900aa0062ce6c"), "ASF header object"),
)
_LONGEST_MAGIC = max(len(magic) for magic, _ in _MAGICS)


def _cut_in_magic(head: bytes) -> str:
    """Say that a file ends inside a format's first bytes (its magic), or "".

    ``head`` is the file's first bytes: the whole file when shorter than a
    magic. Four bytes or more of one name a format, as ``RIFF`` alone does
    (15 of the 16 of an ASF file's GUID are no chance): the file is a cut
    one, not one of no known format. Fewer (``RI``, ``.s``) do not tell a
    cut file from any other few bytes, and are not called cut.
    """
    if len(head) < 4:
        return ""
    for magic, name in _MAGICS:
        if len(head) < len(magic) and magic.startswith(head):
            return f"the file ends inside its {name}"
    return ""


#: Chunked formats' first four bytes, and the length of their outer header.
_OUTER_HEADERS = {
    b"RIFF": 12,
    b"RIFX": 12,
    b"RF64": 12,
    b"BW64": 12,
    b"FORM": 12,
    b"caff": 9,  # its 8-byte header, and at least a byte of a chunk
}


def _cut_in_outer_header(head: bytes) -> str | None:
    """Say that a file of ``head`` (its first 12 bytes) ends in its outer header.

    ``RIFF`` and nothing more (a download stopped at once) names its
    format: it is a cut file, not one libsndfile does not recognise. None
    when ``head`` holds more, or does not start with one of those names.
    """
    needed = _OUTER_HEADERS.get(head[:4])
    if needed is None or len(head) >= needed:
        return None
    if head[:4] == b"caff":
        return (
            "the file ends inside its CAF header"
            if len(head) < 8
            else ("the file ends after its CAF header, before its first chunk")
        )
    return f"the file ends inside its {head[:4].decode()} header"


def _header_at(offset: int, minimum: int) -> Callable[[BinaryIO], int]:
    """Return what reads a header's length, a big-endian word at ``offset``."""

    def length(f: BinaryIO) -> int:
        f.seek(offset)
        word = f.read(4)
        return max(minimum, int.from_bytes(word, "big")) if len(word) == 4 else 1 << 62

    return length


def _nist_header(f: BinaryIO) -> int:
    """Return a NIST SPHERE header's length, its second line (1024 as a rule)."""
    f.seek(0)
    lines = f.read(16).split(b"\n")
    return int(lines[1]) if len(lines) > 2 and lines[1].strip().isdigit() else 1 << 62


#: Formats whose header has a known length, and whose file cut inside it
#: libsndfile opens with 0 frames (or calls bad): whether the first 16 bytes
#: are of the format, what reads the header's length, and the format's name.
_FIXED_HEADERS: tuple[
    tuple[Callable[[bytes], bool], Callable[[BinaryIO], int], str], ...
] = (
    (_is_sds, lambda f: _SDS_HEADER, "MIDI Sample Dump"),
    (lambda b: b.startswith(b"ALawSoundFile**"), lambda f: 32, "Psion WVE"),
    (lambda b: b.startswith(b"2BIT"), lambda f: 128, "AVR"),
    (lambda b: b.startswith(b".snd"), _header_at(4, 24), "AU"),
    (lambda b: b.startswith(b"NIST_1A\n"), _nist_header, "NIST SPHERE"),
    (lambda b: b.startswith(b"Creative Voice F"), lambda f: 27, "VOC"),
)


def _w64_chunks(f: BinaryIO) -> Iterator[tuple[int, bytes, int]]:
    """Yield a Wave64 file's chunks as :func:`_caf_chunks` does a CAF's.

    Each has a 16-byte GUID (its first four bytes name it: ``data``...) and a
    64-bit size that counts its 24-byte header; chunks are padded to 8 bytes.
    """
    offset = 40
    for _ in range(_MAX_BLOCKS):
        f.seek(offset)
        chunk = f.read(24)
        if len(chunk) < 24:
            return
        (chunk_size,) = struct.unpack_from("<Q", chunk, 16)
        if chunk_size < 24:
            return
        yield offset, chunk[:4], chunk_size - 24
        offset += (chunk_size + 7) & ~7


def _rf64_chunks(f: BinaryIO) -> Iterator[tuple[int, bytes, int]]:
    """Yield an RF64's chunks, its data chunk's size taken from ``ds64``."""
    f.seek(28)
    ds64 = f.read(8)
    for offset, chunk, chunk_size in _iff_chunks(f, "<", b"data"):
        if chunk[:4] == b"data" and chunk_size == 0xFFFFFFFF and len(ds64) == 8:
            chunk_size = int.from_bytes(ds64, "little")
        yield offset, chunk, chunk_size


def _iff_chunks(
    f: BinaryIO, order: str, data: bytes
) -> Iterator[tuple[int, bytes, int]]:
    """Yield a RIFF or AIFF file's chunks as :func:`_caf_chunks` does a CAF's.

    The audio data chunk (``data``, ``SSND``) is yielded as ``b"data"``;
    chunks are padded to an even length.
    """
    offset = 12
    for _ in range(_MAX_BLOCKS):
        f.seek(offset)
        chunk = f.read(8)
        if len(chunk) < 8:
            return
        (chunk_size,) = struct.unpack_from(order + "I", chunk, 4)
        yield offset, b"data" if chunk[:4] == data else chunk, chunk_size
        offset += 8 + chunk_size + (chunk_size & 1)


def _chunks_cut(
    chunks: Iterator[tuple[int, bytes, int]],
    f: BinaryIO,
    *,
    start: int,
    header: int,
    skip: int,
) -> str:
    """Say where a chunked file ends before its audio data is whole, or "".

    ``chunks`` yields each chunk's offset, first bytes and size, from
    ``start``; a chunk's own header is ``header`` bytes, and the data chunk's
    size counts ``skip`` bytes that are not audio (CAF's edit count).
    """
    size = os.fstat(f.fileno()).st_size
    end = start
    seen = False
    for offset, chunk, chunk_size in chunks:
        seen = True
        if chunk_size < 0:  # CAF's -1: the data runs to the end of the file
            return ""
        if header != 24 and not _is_fourcc(chunk[:4]):
            return ""  # not a chunk: the walk lost its way (an odd size unpadded)
        end = offset + header + chunk_size
        if chunk[:4] == b"data":
            held = size - (offset + header + skip)
            claimed = chunk_size - skip
            return data_cut(max(held, 0), claimed) if held < claimed else ""
        if end > size:
            name = chunk[:4].decode("latin-1")
            return (
                f"the file ends inside its {quoted(name)} chunk, before its audio data"
            )
    if end < size:  # less than a chunk header left
        return "the file ends inside a chunk header, before its audio data"
    # Every chunk whole and none of audio: a file without audio data (an empty
    # AIFF is allowed no SSND chunk), or one cut on a chunk's end: the length
    # its outer header gives tells them apart (a placeholder does not, and
    # then libsndfile's reason stands: docs/bad-input.md).
    f.seek(0)
    if (cut := _outer_cut(f)) or seen:
        return cut
    # Its outer header and nothing after it (an RF64's size is in a chunk):
    # every format of these has chunks, audio data among them.
    f.seek(0)
    outer = f.read(4).decode("latin-1")
    return f"the file ends after its {outer} header, before its audio data"


def _is_fourcc(name: bytes) -> bool:
    """Whether ``name`` can be a RIFF, AIFF or CAF chunk's ID: 4 printable bytes.

    (W64 chunks are named by GUIDs, some of which are not.)
    """
    return len(name) == 4 and all(32 <= c < 127 for c in name)


#: Outer sizes from this many bytes up (32-bit fields) are placeholders that a
#: program writing to a pipe puts there: 0xFFFFFFFF (ffmpeg), 0x7F000050 (sox's
#: AIFF), 0x7FFFF000 (sox's WAV)...; so is 0. A cut file that claimed 2 GB or
#: more is not told by its outer size.
_UNKNOWN_OUTER = 0x7F000000
#: Bytes an outer size may claim beyond the end of a whole file: the pad byte
#: of an odd-sized last chunk is often left out, and some writers count the
#: outer header's own 8 bytes. A chunk's header alone is 8.
_OUTER_SLACK = 8


def outer_cut(path: str | os.PathLike[str]) -> str:
    """Say how a WAV, AIFF, RF64, W64 or IFF file was cut, by its outer size.

    The ``RIFF``/``FORM`` header (RF64: its ``ds64`` chunk; W64: its ``riff``
    GUID's size) gives the length of the whole file. A file shorter than
    that, whose audio data chunk is whole, was cut after it: inside a
    trailing chunk (``LIST``, ``id3 ``, ``cue ``...), or on a chunk's end.
    libsndfile decodes such a file as whole. "" when not known to be cut (a
    data chunk cut short is said by its own size, elsewhere).
    """
    try:
        with open(path, "rb") as f:
            return _outer_cut(f)
    except (OSError, ValueError, IndexError, struct.error):
        return ""


def _outer_cut(f: BinaryIO) -> str:
    """:func:`outer_cut` on an open file, read from its start."""
    head = f.read(40)
    size = os.fstat(f.fileno()).st_size
    walk = _outer_walk(f, head)
    if walk is None:
        return ""
    declared, outer, chunks, end, header, align = walk
    short = declared - size
    if short <= 0:
        return ""
    seen_data, last = False, outer
    for offset, chunk, chunk_size in chunks:
        if header == 8 and not _is_fourcc(chunk[:4]):
            return ""  # not a chunk: the walk lost its way (an odd size unpadded)
        is_data = chunk[:4] == b"data"
        name = "audio data" if is_data else quoted(chunk[:4])
        end = offset + header + chunk_size
        if end > size:
            if is_data:
                return ""  # the audio itself cut: said by the data size
            where = "after" if seen_data else "before"
            return f"the file ends inside its {name} chunk, {where} its audio data"
        seen_data = seen_data or is_data
        last = f"{name} chunk"
    where = "after" if seen_data else "before"
    if size > -(-end // align) * align:  # bytes left, fewer than a chunk header
        return f"the file ends inside a chunk header, {where} its audio data"
    if short <= _OUTER_SLACK:
        return ""
    said = f"{n_bytes(short)} short of the length its {outer} gives"
    if seen_data:
        return f"the file ends after its {last}, {said}"
    return f"the file ends after its {last}, before its audio data ({said})"


def _outer_walk(
    f: BinaryIO, head: bytes
) -> tuple[int, str, Iterator[tuple[int, bytes, int]], int, int, int] | None:
    """Return what :func:`_outer_cut` walks, None for another file.

    A chunked file's declared length, its outer header's name, its chunks
    (as :func:`_iff_chunks` yields them, the data chunk as ``b"data"``),
    where the first starts, a chunk header's size, and what chunks are padded
    to. None too for a placeholder length.
    """
    kind, form = head[:4], head[8:12]
    if kind in (b"RIFF", b"RIFX") and form == b"WAVE":
        order = "<" if kind == b"RIFF" else ">"
        (stored,) = struct.unpack_from(order + "I", head, 4)
        if not 0 < stored < _UNKNOWN_OUTER:
            return None
        return (
            8 + stored,
            f"{kind.decode()} header",
            _iff_chunks(f, order, b"data"),
            12,
            8,
            2,
        )
    if kind == b"FORM" and form in (b"AIFF", b"AIFC", b"8SVX", b"16SV"):
        (stored,) = struct.unpack_from(">I", head, 4)
        if not 0 < stored < _UNKNOWN_OUTER:
            return None
        data = b"SSND" if form in (b"AIFF", b"AIFC") else b"BODY"
        return 8 + stored, "FORM header", _iff_chunks(f, ">", data), 12, 8, 2
    if kind in (b"RF64", b"BW64") and form == b"WAVE" and head[12:16] == b"ds64":
        (stored,) = struct.unpack_from("<Q", head, 20)
        if not 0 < stored < _UNKNOWN_SIZE:
            return None
        return 8 + stored, f"{quoted(b'ds64')} chunk", _rf64_chunks(f), 12, 8, 2
    if kind == b"riff" and len(head) >= 40:
        (stored,) = struct.unpack_from("<Q", head, 16)  # counts the whole file
        if not 0 < stored < _UNKNOWN_SIZE or stored == 0xFFFFFFFF:
            return None
        return stored, "Wave64 header", _w64_chunks(f), 40, 24, 8
    return None


#: What begins a file of each kind, and its name, for :func:`joined_file`.
_FILE_MAGICS = (
    (b"RIFF", "WAV"),
    (b"RIFX", "WAV"),
    (b"RF64", "RF64"),
    (b"BW64", "RF64"),
    (b"FORM", "AIFF"),
    (b"riff\x2e\x91\xcf\x11", "Wave64"),
    (b".snd", "AU"),
    (b"caff", "CAF"),
    (b"fLaC", "FLAC"),
    (b"OggS", "Ogg"),
    (b"ID3", "MP3"),
)
_AN = frozenset({"AIFF", "AU", "MP3", "Ogg", "RF64"})
#: Formats libsndfile opens whole when another file follows them: it stops
#: at the length their header gives (a WAV's or AIFF's it refuses instead,
#: in words about its own header: ``No 'RIFF' chunk marker``).
JOINED_UNSAID = frozenset({"W64", "RF64", "AU", "CAF"})


def joined_file(path: str | os.PathLike[str]) -> str:
    """Say that another audio file follows the length a file's header gives, or "".

    Files joined one after another (``cat a.wav b.wav``): libsndfile decodes
    a Wave64's, RF64's or AU's first part as the whole file, and refuses a
    WAV's or AIFF's saying its header is bad. The length comes from the
    outer header (RIFF, FORM, ds64, Wave64's riff), or an AU's data offset
    and size; a file starting there (after a pad byte too) is named.
    """
    try:
        with open(path, "rb") as f:
            head = f.read(40)
            size = os.fstat(f.fileno()).st_size
            end = _declared_end(f, head)
            if end is None or not 0 < end < size:
                return ""
            f.seek(end)
            after = f.read(16)
    except (OSError, ValueError, struct.error):
        return ""
    for skip in (0, 1):
        for magic, kind in _FILE_MAGICS:
            if after[skip : skip + len(magic)] == magic and (
                len(magic) != 4
                or magic in (b"OggS", b"fLaC", b".snd", b"caff")
                or after[skip + 8 : skip + 12] in (b"WAVE", b"AIFF", b"AIFC")
            ):
                what = f"{'an' if kind in _AN else 'a'} {kind} file"
                gives = "its chunks take" if head[:4] == b"caff" else "its header gives"
                return (
                    f"cannot decode: {what} follows the {n_bytes(end)} {gives} "
                    "(files joined one after another: melcli does not split them)"
                )
        if after[:1] != b"\0":
            break
    return ""


def _declared_end(f: BinaryIO, head: bytes) -> int | None:
    """Return where a file ends by its outer header (:func:`joined_file`), or None."""
    walk = _outer_walk(f, head)
    if walk is not None:
        return walk[0]
    if head[:4] == b".snd" and len(head) >= 12:
        offset, data_size = struct.unpack_from(">II", head, 4)
        return offset + data_size if data_size < UNKNOWN_DATA_SIZE else None
    if head[:4] == b"caff":
        return _caf_again(f)
    return None


#: A CAF data chunk's bytes before its audio: its edit count.
_CAF_EDIT_COUNT = 4


def _caf_again(f: BinaryIO) -> int | None:
    """Return where a CAF's chunks run into a CAF's header, after its audio, or None.

    A CAF has no outer size: its chunks, walked, run into the next file's
    ``caff`` header (files joined with ``cat``), or, of a CAF written to a
    pipe, into its header written once more (:func:`header_again`).
    """
    f.seek(0)
    audio = False
    for offset, chunk, size in _caf_chunks(f):
        if chunk[:4] == b"caff":
            return offset if audio else None
        audio = audio or (chunk[:4] == b"data" and size > _CAF_EDIT_COUNT)
    return None


def chunk_order(path: str | os.PathLike[str]) -> str:
    """Say what is wrong with the order of a whole WAV's or AIFF's chunks, or "".

    libsndfile says ``No 'data' chunk marker`` of a WAV whose ``fmt `` chunk
    comes twice, or after its audio data, or not at all (its data chunk
    there, whole); ``SF_INFO struct incomplete`` of one whose audio is in two
    data chunks, and ``channel count is zero`` of an AIFF without ``COMM``.
    Said here naming the chunks. "" when a chunk runs past the end of the
    file (a cut, said elsewhere), or the walk finds bytes that are no chunk.
    """
    try:
        with open(path, "rb") as f:
            head = f.read(12)
            kind, form = head[:4], head[8:12]
            if kind in (b"RIFF", b"RIFX", b"RF64", b"BW64") and form == b"WAVE":
                chunks = _iff_chunks(f, ">" if kind == b"RIFX" else "<", b"data")
                fmt, data = b"fmt ", quoted(b"data")
            elif kind == b"FORM" and form in (b"AIFF", b"AIFC"):
                chunks, fmt, data = (
                    _iff_chunks(f, ">", b"SSND"),
                    b"COMM",
                    quoted(b"SSND"),
                )
            else:
                return ""
            size = os.fstat(f.fileno()).st_size
            names = []
            for offset, chunk, chunk_size in chunks:
                name = chunk[:4]
                if not _is_fourcc(name):
                    return ""
                if offset + 8 + chunk_size > size and not (
                    name == b"data" and kind in (b"RF64", b"BW64")
                ):
                    return ""  # cut (an RF64's data size is in its ds64)
                names.append(name)
    except (OSError, struct.error):
        return ""
    said = quoted(fmt)
    if b"data" not in names:
        return ""
    if names.count(b"data") > 1:
        return f"its audio is in {names.count(b'data')} {data} chunks, not one"
    if fmt not in names:
        return f"it has no {said} chunk"
    if (n := names.count(fmt)) > 1:
        return f"its {said} chunk comes {'twice' if n == 2 else f'{n} times'}"
    if names.index(fmt) > names.index(b"data"):
        return f"its {said} chunk comes after its audio data"
    return ""


def stray_chunk(path: str | os.PathLike[str]) -> str:
    """Say where a WAV's or AIFF's chunks lose their way before its audio, or "".

    Walked from the first, each chunk's size says where the next begins;
    bytes there that are no chunk's name (junk, zeros, or one byte short of
    a chunk: an odd-sized one without its pad byte) end libsndfile's walk,
    which says ``No 'data' chunk marker`` of a file that has one.
    """
    try:
        with open(path, "rb") as f:
            head = f.read(12)
            kind, form = head[:4], head[8:12]
            if kind in (b"RIFF", b"RIFX") and form == b"WAVE":
                order, data = ">" if kind == b"RIFX" else "<", b"data"
            elif kind == b"FORM" and form in (b"AIFF", b"AIFC"):
                order, data = ">", b"SSND"
            else:
                return ""
            previous: tuple[bytes, int] | None = None
            offset = 0
            for at, chunk, chunk_size in _iff_chunks(f, order, data):
                name = chunk[:4]
                if name == b"data":
                    return ""
                if not _is_fourcc(name):
                    offset = at
                    break
                previous = name, chunk_size
            else:
                return ""
            f.seek(offset - 1)
            near = f.read(4 + 1)
            f.seek(0)
            found = file_bytes(f).find(data, offset - 1)
    except (OSError, struct.error):
        return ""
    said = f"the bytes at byte {offset} are no chunk ({quoted(name)}), before its audio"
    if previous is not None and previous[1] & 1 and _is_fourcc(near[:4]):
        said = (
            f"its {quoted(previous[0])} chunk of {n_bytes(previous[1])} lacks the "
            f"pad byte after it (an odd size), so the chunk after it is not found"
        )
    if found > 0:
        said += f" (its {quoted(data)} chunk is at byte {found})"
    return said


#: What a file whose header is written again where its audio begins says.
HEADER_AGAIN = (
    "unfinished header: written to a pipe (as by 'sox ... -t {kind} -'), it "
    "repeats its header where its audio should begin, and its sizes do not "
    "say where the audio is"
)


def header_again(path: str | os.PathLike[str]) -> str:
    """Say that a W64, CAF or PVF repeats its header where its audio begins, or "".

    libsndfile (sox's W64, CAF, PVF) writing to a pipe cannot seek back to
    fill in its header: it writes it once more before the audio, and a W64
    and a CAF once more after it. Read from the first header, the second is
    audio: a W64's, 26 frames of noise before the audio and 26 after it,
    written as whole (a PVF's 4 before it); a CAF's data chunk is empty, and
    the rest of the file a chunk of the header's name ('caff').
    """
    try:
        with open(path, "rb") as f:
            head = f.read(16)
            if head[:4] == b"riff" and len(head) == 16:
                offset = 40
                for _ in range(_MAX_BLOCKS):
                    f.seek(offset)
                    chunk = f.read(24)
                    if len(chunk) < 24:
                        return ""
                    (chunk_size,) = struct.unpack_from("<Q", chunk, 16)
                    if chunk[:4] == b"data":
                        again = f.read(16) == head
                        return HEADER_AGAIN.format(kind="w64") if again else ""
                    if chunk_size < 24:
                        return ""
                    offset += (chunk_size + 7) & ~7
            elif head[:4] == b"caff":
                f.seek(0)
                again = any(chunk[:4] == b"caff" for _, chunk, _size in _caf_chunks(f))
                # Its audio before the header again: another file, joined.
                if again and _caf_again(f) is None:
                    return HEADER_AGAIN.format(kind="caf")
            elif head[:5] == b"PVF1\n":
                f.seek(0)
                text = f.read(64)
                start = text.find(b"\n", 5) + 1
                if start and text[start : start + 5] == head[:5]:
                    return HEADER_AGAIN.format(kind="pvf")
    except (OSError, struct.error):
        return ""
    return ""


def unsized_data(path: str | os.PathLike[str]) -> int:
    """Return the bytes after a WAV's data chunk of size 0, if they are not chunks.

    A recorder writes its sizes once the recording ends: one that stopped
    (killed, out of battery) leaves a data chunk of 0 bytes with the audio
    after it. libsndfile decodes no frame of it; ffmpeg takes 0 as "to the
    end". 0 for another file, or a data chunk of 0 bytes followed by chunks.
    """
    try:
        with open(path, "rb") as f:
            head = f.read(12)
            if head[:4] not in (b"RIFF", b"RIFX") or head[8:12] != b"WAVE":
                return 0
            order = "<" if head[:4] == b"RIFF" else ">"
            size = os.fstat(f.fileno()).st_size
            for offset, chunk, chunk_size in _iff_chunks(f, order, b"data"):
                if chunk[:4] == b"data":
                    if chunk_size:
                        return 0
                    f.seek(offset + 8)
                    after = f.read(8)
                    if len(after) == 8 and _is_fourcc(after[:4]):
                        (next_size,) = struct.unpack_from(order + "I", after, 4)
                        if offset + 16 + next_size <= size:
                            return 0  # a chunk follows: the data is empty
                    return size - (offset + 8)
    except (OSError, struct.error):
        return 0
    return 0


def audio_after_data(path: str | os.PathLike[str]) -> tuple[str, int, int]:
    """Return a file's audio data chunk, its size, and the bytes after it if no chunk.

    A recorder that writes its sizes now and then, and stopped between two
    writes (killed, out of battery), leaves a data size short of the audio
    after it: libsndfile decodes what the size gives (WAV, AIFF, W64, RF64,
    CAF alike), and logs the rest, if at all, as an unknown chunk. Bytes
    after the data that are no chunk (nor one after a pad byte), not all
    zeros, nor an ID3 tag, are such audio; unless its outer size gives more
    than the file holds (a file cut inside a chunk after its audio data).
    An AU has no chunks: any bytes after the audio its data size gives are
    such audio. ``("", 0, 0)`` for another file.
    """
    try:
        with open(path, "rb") as f:
            found = _data_and_after(f)
            if found is None:
                return "", 0, 0
            name, start, given, header = found
            size = os.fstat(f.fileno()).st_size
            end = start + given
            if not 0 < given < _UNKNOWN_SIZE or size - end < header:
                return "", 0, 0  # fewer bytes than a chunk header: a cut
            f.seek(0)
            walk = _outer_walk(f, f.read(40))
            if walk is not None and walk[0] > size:
                return "", 0, 0  # a file cut after its data (said elsewhere)
            f.seek(end)
            after = f.read(_AFTER_DATA)
    except (OSError, struct.error):
        return "", 0, 0
    if not after.strip(b"\0") or after[:3] in (b"ID3", b"TAG"):
        return "", 0, 0
    if not header:  # an AU: no chunk follows its audio
        return name, given, size - end
    if header == 24:  # Wave64: a GUID, and a size that counts its 24 bytes
        pad = -end % 8
        chunk = after[pad : pad + 24]
        length = int.from_bytes(chunk[16:], "little")
        if len(chunk) == 24 and 24 <= length <= size - end - pad:
            return "", 0, 0
    elif _is_fourcc(after[:4]) or _is_fourcc(after[1:5]):
        return "", 0, 0  # a chunk, maybe after a pad byte
    return name, given, size - end


def zeros_after_data(path: str | os.PathLike[str]) -> str:
    """Say that only zeros follow the audio data chunk, where chunks should be, or "".

    A recorder that writes its sizes now and then into a file made at its
    full size (or a copy made so, never finished) leaves a data size short
    of the file, and zeros after it where its audio never came: the outer
    size (``RIFF``, ``FORM``, ``ds64``, Wave64's) counts them as chunks.
    libsndfile decodes what the data size gives without a word: a WAV of
    3 s whose data chunk said 100 bytes was written as 3 ms. Zeros past the
    length the outer size gives (appended to a whole file), or fewer than
    :data:`ZERO_PADDING`, are not a claim. An AU and a CAF have no outer
    size: zeros after an AU's audio (it has no chunks), or where a CAF's
    next chunk should be (no chunk's type is four zeros), are the claim.
    """
    try:
        with open(path, "rb") as f:
            found = _data_and_after(f)
            if found is None:
                return ""
            _, start, given, header = found
            size = os.fstat(f.fileno()).st_size
            end = start + given
            if not 0 < given < _UNKNOWN_SIZE or size - end < ZERO_PADDING:
                return ""
            f.seek(0)
            head = f.read(40)
            walk = _outer_walk(f, head)
            if head[:4] == b".snd":
                counts = "that its header's data size does not count"
            elif head[:4] == b"caff":
                counts = f"where a chunk should follow its {quoted(b'data')} chunk"
            elif walk is None or walk[0] < size - _OUTER_SLACK:
                return ""
            else:
                counts = f"that its {walk[1]} counts as chunks"
            pad = 0 if header in (0, 12) else 1  # a pad byte may end the data
            if zeros_from(file_bytes(f)) > end + pad:
                return ""
    except (OSError, struct.error):
        return ""
    return (
        f"only zeros from byte {end} to the end, {n_bytes(size - end)} {counts} "
        f"(a recording stopped before its sizes were written again, or a file "
        f"preallocated and never finished?)"
    )


def _data_and_after(f: BinaryIO) -> tuple[str, int, int, int] | None:
    """Find the audio data chunk of a RIFF, AIFF, RF64, W64 or CAF file, or an AU's.

    Returns its name, where its audio starts, its bytes of audio, and the
    size of a chunk's header (CAF: 12, RIFF and AIFF: 8, W64: 24, AU: 0, it
    has no chunks); None if none, or an AU's data size is a placeholder.
    """
    head = f.read(16)
    kind, form = head[:4], head[8:12]
    f.seek(0)
    if kind == b".snd" and len(head) >= 12:
        offset, data_size = struct.unpack_from(">II", head, 4)
        if offset < 24 or data_size >= UNKNOWN_DATA_SIZE:
            return None
        return "data", offset, data_size, 0
    if kind in (b"RIFF", b"RIFX") and form == b"WAVE":
        chunks, name = _iff_chunks(f, "<" if kind == b"RIFF" else ">", b"data"), "data"
    elif kind == b"FORM" and form in (b"AIFF", b"AIFC"):
        chunks, name = _iff_chunks(f, ">", b"SSND"), "SSND"
    elif kind in (b"RF64", b"BW64") and form == b"WAVE":
        chunks, name = _rf64_chunks(f), "data"
    elif kind == b"riff" and len(head) == 16:
        for offset, chunk, chunk_size in _w64_chunks(f):
            if chunk[:4] == b"data":
                return "data", offset + 24, chunk_size, 24
        return None
    elif kind == b"caff":
        for offset, chunk, chunk_size in _caf_chunks(f):
            if chunk[:4] == b"data":
                return "data", offset + 16, chunk_size - 4, 12  # its edit count
        return None
    else:
        return None
    for offset, chunk, chunk_size in chunks:
        if chunk[:4] == b"data":
            if name == "SSND":  # its offset and block size, then the audio
                f.seek(offset + 8)
                (skip,) = struct.unpack(">I", f.read(4))
                return name, offset + 16 + skip, chunk_size - 8 - skip, 8
            return name, offset + 8, chunk_size, 8
    return None


#: Bytes after a WAV's data chunk looked at (:func:`audio_after_data`).
_AFTER_DATA = 4096


#: A free-format MPEG stream (no bitrate in its headers) that libmpg123 finds
#: no audio in: its frames' lengths come from where the next ones start, and
#: it decodes once it holds a few whole frames.
_FREE_FORMAT_CUT = "the file ends inside its first MPEG frames (free format)"


def _free_format(b: bytes) -> bool:
    """Whether ``b`` is a free-format MPEG audio frame header (bitrate index 0)."""
    return (
        len(b) >= 4
        and b[0] == 0xFF
        and b[1] & 0xE0 == 0xE0
        and (b[1] >> 3) & 3 != 1  # a version
        and (b[1] >> 1) & 3 != 0  # a layer
        and b[2] >> 4 == 0
        and (b[2] >> 2) & 3 != 3  # a sample rate
    )


def _mp3_cut_before_audio(f: BinaryIO) -> str:
    """Say whether an MPEG audio file ends inside its ID3v2 tags or a frame."""
    data = file_bytes(f)
    size = len(data)
    pos = skip_id3v2(data)
    if pos > size or data[pos : pos + 3] == b"ID3":  # a tag or its header cut
        return "the file ends inside its ID3v2 tag"
    first = _frame(data[pos : pos + 4])
    if first is None:
        return _FREE_FORMAT_CUT if _free_format(data[pos : pos + 4]) else ""
    whole = 0
    for _ in range(_MAX_BLOCKS):  # libsndfile opens a stream of a few frames
        frame = _frame(data[pos : pos + 4])
        if frame is None or frame.stream != first.stream:
            if _partial_header(data[pos : pos + 4], first.stream):
                break
            f.seek(0)
            return _mp3(f, 0).cut  # more after the frames: the full walk says
        pos += frame.length
        if pos > size:
            break
        whole += 1
    else:
        return ""
    return _LAST_CUT if whole else "the file ends inside its first MPEG frame"


#: Top-level boxes walked at most in an MP4 (a fragment is two: moof, mdat).
_MAX_BOXES = 200_000


#: How :func:`mp4_cut` ends a cut before an MP4's index: none of it decodes.
BEFORE_INDEX = ", before its index ('moov')"


def cut_of_nothing(cut: str) -> str:
    """Say a file cut before any of its audio decodes: ``cut`` says where.

    "decoded 0.00 s, then" where a decoder finds a stream and decodes none
    of it; an MP4 cut before its index, or inside it, or before any of its
    samples (its boxes say so: :func:`mp4_cut`), has no stream ffmpeg finds
    or decodes any of: "no audio decodes" (not "decoded 0.00 s").
    """
    if cut.endswith(BEFORE_INDEX) or _MP4_WORDS.search(cut):
        return f"truncated: {cut}: no audio decodes"
    return f"truncated: decoded 0.00 s, then {cut}"


def cut_after(frames: int, samplerate: float, cut: str) -> str:
    """Say a file was cut after ``frames`` decoded: ``cut`` says where.

    ``truncated: decoded 1.50 s, then the last MPEG frame is cut off``; of
    a file of which nothing decoded, as :func:`cut_of_nothing` says it.
    """
    if frames <= 0 or samplerate <= 0:
        return cut_of_nothing(cut)
    return f"truncated: decoded {frames / samplerate:.2f} s, then {cut}"


#: The words of an MP4's cut (:func:`mp4_cut`), which no other format's use.
_MP4_WORDS = re.compile(r" box\b| box's | fragment\b")


def mp4_cut(path: str | os.PathLike[str]) -> str:
    """Say how an MP4 (``ftyp`` first) was cut, from its top-level boxes, or "".

    ffmpeg decodes what a cut fragmented MP4 holds without a word, and
    ffprobe's length is that of the fragments present: a box running past
    the end of the file says it was cut; so does a fragmented MP4 written by
    ffmpeg (``Lavf`` in its ``moov``) that does not end with the ``mfra``
    box ffmpeg ends every one with (to a pipe too). Another writer's
    fragmented MP4 cut between two fragments cannot be told from a whole one.
    """
    try:
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            if f.read(8)[4:8] != b"ftyp":
                return ""
            kinds: set[bytes] = set()  # of the boxes seen
            at, by_ffmpeg = 0, False
            for _ in range(_MAX_BOXES):
                if at >= size:
                    break
                f.seek(at)
                head = f.read(16)
                kind = head[4:8]
                if len(head) < 8 and b"moov" not in kinds:  # no index yet: cut
                    return f"the file ends inside a box's header{BEFORE_INDEX}"
                if len(head) < 8 and b"mvex" in kinds:  # fragments to follow
                    first = "" if b"moof" in kinds else ", before its first fragment"
                    return f"the file ends inside a box's header{first}"
                if len(head) < 8:
                    return ""  # bytes after a whole file's boxes: not a claim
                if not all(32 <= c < 127 or c == 0xA9 for c in kind):
                    return ""  # bytes after the boxes: not a box, not a claim
                name = kind.decode("latin-1")
                box = int.from_bytes(head[:4], "big")
                if box == 1 and len(head) == 16:
                    box = int.from_bytes(head[8:16], "big")
                elif box == 0:  # to the end of the file
                    box = size - at
                if box < 8:
                    return ""  # not a box size: damage, for ffmpeg to judge
                if at + box > size:
                    indexed = b"moov" in kinds or kind == b"moov"
                    before = "" if indexed else BEFORE_INDEX
                    return f"the file ends inside its {quoted(name)} box{before}"
                if kind == b"moov":
                    f.seek(at)
                    moov = f.read(min(box, 1 << 20))
                    by_ffmpeg = b"Lavf" in moov
                    if b"mvex" in moov:  # its samples are in fragments
                        kinds.add(b"mvex")
                kinds.add(kind)
                at += box
    except OSError:
        return ""
    if b"mfra" in kinds or not by_ffmpeg or not kinds & {b"moof", b"mvex"}:
        return ""
    if b"moof" not in kinds:
        return "the file ends before its first fragment"
    return (
        "the file ends after a whole fragment, without the 'mfra' box "
        "ffmpeg ends a fragmented MP4 with"
    )


def caf_codec(path: str | os.PathLike[str]) -> str | None:
    """Return the format ID of a whole CAF's ``desc`` chunk (``"alac"``...).

    None if ``path`` is not a CAF, or is cut before its audio data is whole
    (a cut file is said as cut, not sent to another decoder).
    """
    try:
        with open(path, "rb") as f:
            codec = None
            for _, chunk, _size in _caf_chunks(f):
                if chunk[:4] == b"desc" and len(chunk) >= 24:
                    codec = chunk[20:24].decode("latin-1")
            f.seek(0)
            if _chunks_cut(_caf_chunks(f), f, start=8, header=12, skip=4):
                return None
            if _caf_without_data(f):  # cut: said as cut, not through ffmpeg
                return None
    except (OSError, struct.error):
        return None
    return codec


#: An ALAC magic cookie's settings (ALACSpecificConfig): samples a packet,
#: its version, bits a sample, three Rice parameters, channels, and sizes.
_ALAC_CONFIG = struct.Struct(">IBBBBBBHIII")
#: The bits a sample ALAC takes, and its most channels.
_ALAC_BITS = (16, 20, 24, 32)
_ALAC_CHANNELS = 8


def caf_cookie_damage(path: str | os.PathLike[str]) -> str:
    """Say what is wrong with an ALAC CAF's magic cookie (``kuki``), or "".

    ALAC cannot be decoded without it: the cookie gives the samples a
    packet, bits a sample and channels (ffmpeg refuses a damaged one in
    words that name no part of the file: ``4294967295; set_info failed``).
    Checked against the ``desc`` chunk, which gives the same.
    """
    try:
        with open(path, "rb") as f:
            desc = cookie = None
            for offset, chunk, size in _caf_chunks(f):
                if chunk[:4] == b"desc" and len(chunk) >= 28:
                    f.seek(offset + 12)
                    desc = f.read(32)
                elif chunk[:4] == b"kuki" and 0 <= size < 1 << 16:
                    f.seek(offset + 12)
                    cookie = f.read(size)
    except (OSError, struct.error):
        return ""
    if desc is None or len(desc) < 32 or desc[8:12] != b"alac":
        return ""
    name = f"its ALAC magic cookie ({quoted(b'kuki')} chunk)"
    if cookie is None:
        return (
            f"it has no ALAC magic cookie ({quoted(b'kuki')} chunk), needed to decode"
        )
    for atom in (b"frma", b"alac"):  # as a QuickTime atom: its header first
        if cookie[4:8] == atom:
            cookie = cookie[12:]
    if len(cookie) < _ALAC_CONFIG.size:
        held = n_bytes(len(cookie))
        return f"{name} holds {held}, not the {_ALAC_CONFIG.size} of its settings"
    frames, _, bits, *_, channels, _, _, _, _ = _ALAC_CONFIG.unpack_from(cookie)
    per_packet, desc_channels = struct.unpack_from(">II", desc, 20)
    damaged, desc_says = f"{name} is damaged: it gives", f"its {quoted(b'desc')} chunk"
    if frames == 0 or frames != per_packet:
        return f"{damaged} {frames} samples a packet, {desc_says} {per_packet}"
    if bits not in _ALAC_BITS:
        return f"{damaged} {bits}-bit samples (ALAC's are 16, 20, 24 or 32)"
    if not 0 < channels <= _ALAC_CHANNELS or channels != desc_channels:
        return f"{damaged} {channels} channels, {desc_says} {desc_channels}"
    return ""


def caf_layout(path: str | os.PathLike[str]) -> str:
    """Say how a linear PCM CAF's ``desc`` chunk contradicts itself, or "".

    Its bytes a packet (one sample frame) and its bits a channel must agree:
    libsndfile refuses one where they do not, as "unsupported encoding"
    (the words of a codec it does not read).
    """
    try:
        with open(path, "rb") as f:
            for offset, chunk, _size in _caf_chunks(f):
                if chunk[:4] == b"desc":
                    f.seek(offset + 12)
                    desc = f.read(32)
                    break
            else:
                return ""
    except (OSError, struct.error):
        return ""
    if len(desc) < 32 or desc[8:12] != b"lpcm":
        return ""
    packet, frames, channels, bits = struct.unpack_from(">IIII", desc, 16)
    if frames != 1 or channels == 0 or packet == channels * -(-bits // 8):
        return ""
    return (
        f"its {quoted(b'desc')} chunk gives {n_bytes(packet)} a sample frame for "
        f"{channels} channel{'s' * (channels > 1)} of {bits}-bit samples"
    )


def caf_partial_frame(path: str | os.PathLike[str]) -> str:
    """Say that a linear PCM CAF's data size is no whole number of frames, or "".

    A CAF's ``desc`` chunk gives its bytes a sample frame and its bits a
    channel, and nothing else in the file does: one whose two fields agree
    on another sample size than its audio's (24-bit over 16-bit data) is
    decoded as noise, without a word from libsndfile. Its data chunk, whose
    size counts whole frames of the audio's own size, then holds no whole
    number of the frames its ``desc`` gives (but for one in as many files
    as the two sizes' ratio: 16-bit data read as 24-bit, one in three),
    which libsndfile rounds down without a word. Said of the size the data
    chunk gives, not of what the file holds (a cut file is said as cut).
    """
    try:
        with open(path, "rb") as f:
            desc, size = b"", None
            for offset, chunk, chunk_size in _caf_chunks(f):
                if chunk[:4] == b"desc":
                    f.seek(offset + 12)
                    desc = f.read(32)
                elif chunk[:4] == b"data":
                    size = chunk_size - 4  # its edit count comes first
                    break
    except (OSError, struct.error):
        return ""
    if len(desc) < 32 or desc[8:12] != b"lpcm" or size is None or size < 0:
        return ""
    packet, frames, channels, bits = struct.unpack_from(">IIII", desc, 16)
    if frames != 1 or packet == 0 or size % packet == 0:
        return ""
    return (
        f"its {quoted(b'data')} chunk holds {n_bytes(size)} of audio, not a whole "
        f"number of the {packet}-byte sample frames its {quoted(b'desc')} chunk "
        f"gives ({channels} channel{'s' * (channels != 1)} of {bits}-bit samples): "
        "a header at odds with its audio (samples of another size, decoded as "
        "it gives them, are noise)"
    )


def caf_size_unknown(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is a CAF whose data chunk's size is -1 ("to the end").

    A program writing CAF to a pipe cannot seek back to fill the size in
    (``ffmpeg ... -f caf pipe:``); the CAF specification allows -1 for a last
    data chunk, and libsndfile refuses it ("file is malformed").
    """
    try:
        with open(path, "rb") as f:
            for _, chunk, chunk_size in _caf_chunks(f):
                if chunk[:4] == b"data":
                    return chunk_size == -1
    except OSError:
        return False
    return False


#: Where an RF64's ``ds64`` chunk (first after ``WAVE``) holds the data size.
RF64_DATA_SIZE_AT = 28


def rf64_unsized_data(path: str | os.PathLike[str]) -> int:
    """Return the bytes after an RF64's data chunk whose size was never written.

    A program writing RF64 to a pipe (``ffmpeg -rf64 always ... pipe:``)
    cannot seek back to fill in its sizes: its ``ds64`` chunk gives a data
    size of 0 and its data chunk the placeholder 0xFFFFFFFF ("see ds64"), and
    the audio runs to the end of the file. libsndfile and ffmpeg decode no
    frame of it. 0 for another file.
    """
    try:
        with open(path, "rb") as f:
            head = f.read(RF64_DATA_SIZE_AT + 8)
            if (
                len(head) < RF64_DATA_SIZE_AT + 8
                or head[:4] != b"RF64"
                or head[8:16] != b"WAVEds64"
                or any(head[RF64_DATA_SIZE_AT:])
            ):
                return 0
            size = os.fstat(f.fileno()).st_size
            for offset, chunk, chunk_size in _iff_chunks(f, "<", b"data"):
                if chunk[:4] == b"data":
                    if chunk_size != 0xFFFFFFFF:
                        return 0
                    return max(size - (offset + 8), 0)
    except (OSError, struct.error):
        return 0
    return 0


#: Where an AU (Sun/NeXT) header gives its data size, and its "unknown" value.
AU_DATA_SIZE_AT = 8
AU_SIZE_UNKNOWN = b"\xff\xff\xff\xff"


def au_oversized_data(path: str | os.PathLike[str]) -> int:
    """Return the bytes after an AU header whose data size is 2 GiB or more.

    libsndfile reads the AU data size as a signed number, added to the data
    offset: from 0x7FFFFFFF up (but 0xFFFFFFFF, its "unknown"), and from
    where that sum passes 0x7FFFFFFF, it opens such a file with 0 frames, and
    melcli said ``no audio samples (0 frames)`` of the audio it holds. Such a
    size is as much a placeholder as a WAV's of 2 GiB (a stream's writer that
    could not seek back), and the audio runs to the end of the file. 0 for
    another file. (From :data:`UNKNOWN_DATA_SIZE` up: what libsndfile opens
    with 0 frames is the caller's test.)
    """
    try:
        with open(path, "rb") as f:
            head = f.read(24)
            size = os.fstat(f.fileno()).st_size
    except OSError:
        return 0
    if len(head) < 24 or head[:4] != b".snd":
        return 0
    offset, data_size = struct.unpack_from(">II", head, 4)
    if not UNKNOWN_DATA_SIZE <= data_size < 0xFFFFFFFF or offset < 24:
        return 0
    return max(size - int(offset), 0)


#: What a file whose audio data runs to its end ends inside, when that data
#: is not a whole number of sample frames.
PARTIAL_FRAME = "the file ends inside a sample frame"
#: Data sizes from this many bytes up (32-bit fields) are placeholders a
#: program writing to a pipe puts there, as outer sizes are (see
#: :data:`_UNKNOWN_OUTER`): 0xFFFFFFFF (ffmpeg), 0x7FFFFF00 (arecord),
#: 0x7FFFF000 (sox's WAV), 0x7F000008 (sox's AIFF ``SSND``).
UNKNOWN_DATA_SIZE = _UNKNOWN_OUTER
#: The IRCAM magics libsndfile reads (its ``ircam.c``), as masks and values of
#: the first four bytes read big-endian; the data starts at byte 1024.
_IRCAM_MAGICS = ((0xFFFF00FF, 0x64A30000), (0xFF00FFFF, 0x0000A364))
_IRCAM_DATA_AT = 1024
#: Where a PAF (Ensoniq PARIS) file's audio data starts.
_PAF_DATA_AT = 2048


def to_the_end_cut(path: str | os.PathLike[str], frame_bytes: int) -> str:
    """Say whether a file's audio data, running to its end, ends inside a frame.

    A file whose header gives no size for its audio data (IRCAM, PAF, PVF, a
    NIST SPHERE without ``sample_count``), or a placeholder for it (a WAV, AIFF,
    AU, RF64 or Wave64 written to a pipe: its writer could not seek back to
    fill it in), holds its audio from where its data starts to the end of
    the file, in whole sample frames of ``frame_bytes``. One that ends
    inside one was cut (:data:`PARTIAL_FRAME`); one cut between two cannot
    be told from a whole, shorter file. The zero byte that pads a chunk to
    an even length, which writers add after data of an odd size, is no part
    of a frame. "" for a file not cut so, or whose
    data is sized (its size checked elsewhere).
    """
    try:
        with open(path, "rb") as f:
            head = f.read(40)
            size = os.fstat(f.fileno()).st_size
            found = _data_start_to_the_end(f, head)
            if found is None:
                return ""
            start, align = found
            held = size - start
            if held <= 0 or held % frame_bytes == 0:
                return ""
            for pad in range(1, align):
                audio = held - pad
                if audio % frame_bytes == 0 and -(-audio // align) * align == held:
                    f.seek(start + audio)
                    if f.read(pad) == bytes(pad):
                        return ""
    except (OSError, ValueError, IndexError, struct.error):
        return ""
    return PARTIAL_FRAME


def _data_start_to_the_end(f: BinaryIO, head: bytes) -> tuple[int, int] | None:
    """Return where the audio data of :func:`to_the_end_cut` starts, and its padding.

    What its chunk is padded to: 2 bytes (RIFF, AIFF), else 1 (no pad; one
    after a Wave64's data, to 8 bytes, libsndfile decodes as audio).
    None if the data is sized.
    """
    kind, form = head[:4], head[8:12]
    magic = int.from_bytes(head[:4], "big") if len(head) >= 4 else -1
    if kind in (b"RIFF", b"RIFX") and form == b"WAVE":
        order = "<" if kind == b"RIFF" else ">"
        for offset, chunk, chunk_size in _iff_chunks(f, order, b"data"):
            if chunk[:4] == b"data":
                return (offset + 8, 2) if chunk_size >= UNKNOWN_DATA_SIZE else None
        return None
    if kind == b"FORM" and form in (b"AIFF", b"AIFC"):
        for offset, chunk, chunk_size in _iff_chunks(f, ">", b"SSND"):
            if chunk[:4] == b"data":
                if 0 < chunk_size < UNKNOWN_DATA_SIZE:
                    return None
                f.seek(offset + 8)  # its offset and block size come first
                skip = int.from_bytes(f.read(4), "big")
                return offset + 16 + skip, 2
        return None
    if kind in (b"RF64", b"BW64") and form == b"WAVE" and head[12:16] == b"ds64":
        if any(head[RF64_DATA_SIZE_AT : RF64_DATA_SIZE_AT + 8]):
            return None  # its ds64 chunk gives the size
        for offset, chunk, chunk_size in _iff_chunks(f, "<", b"data"):
            if chunk[:4] == b"data":
                return (offset + 8, 2) if chunk_size == 0xFFFFFFFF else None
        return None
    if kind == b"riff" and len(head) >= 40:
        for offset, chunk, chunk_size in _w64_chunks(f):
            if chunk[:4] == b"data":
                # 0: libsndfile reads it to the end too (libsndfile's own
                # W64 written to a pipe)
                unsized = chunk_size == 0 or chunk_size >= _UNKNOWN_SIZE
                return (offset + 24, 1) if unsized else None
        return None
    if kind == b".snd" and len(head) >= 24:
        offset, data_size = struct.unpack_from(">II", head, 4)
        return (offset, 1) if data_size >= UNKNOWN_DATA_SIZE else None
    if any(magic & mask == value for mask, value in _IRCAM_MAGICS):
        return _IRCAM_DATA_AT, 1
    if kind in (b" paf", b"fap "):
        return _PAF_DATA_AT, 1
    if head[:5] == b"PVF1\n":  # "PVF1\n<channels> <rate> <bits>\n", then the data
        end = head.find(b"\n", 5)
        return (end + 1, 1) if end > 0 else None
    if head.startswith(b"NIST_1A\n"):
        header = _nist_header(f)
        f.seek(0)
        text = f.read(min(header, 1 << 16))
        if any(line.split()[:1] == [b"sample_count"] for line in text.split(b"\n")):
            return None
        return header, 1
    return None

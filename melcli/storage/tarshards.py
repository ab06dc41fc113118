"""Size-bounded POSIX tar shards, written atomically, one sample at a time.

A *sample* is a key and a few members (``KEY.npy``, ``KEY.json``, ...) stored
next to each other, as the WebDataset convention wants: a reader groups
consecutive members by the part of the name before the first dot of the
basename. :class:`ShardWriter` appends samples to ``OUT/shard-NNNNNN.tar``
until the next one would make the file larger than the bound, then closes it
(renaming the hidden temporary file into place) and opens the next. A killed
writer leaves at most a hidden ``.shard-NNNNNN.tar.*.melcli-tmp`` file.

Members are copied from files in blocks, so memory stays flat whatever their
size. The writer returns where each member's bytes start and how long they
are, so a reader can ``seek`` straight to one sample.

The tar format is POSIX.1-2001 (pax), which GNU/BSD tar, Python's
:mod:`tarfile` and the ``webdataset`` library read; names longer than 100
bytes or not ASCII get a pax header, as the standard provides.
"""

from __future__ import annotations

import os
import re
import stat
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from io import RawIOBase
from pathlib import Path
from typing import BinaryIO

from .. import interrupts
from ..errors import ParameterError
from ..write import AtomicFile

#: Tar block size (bytes); every header and member is padded to whole blocks.
BLOCK = 512  # tarfile.BLOCKSIZE (tarfile is imported where tars are made)
#: An archive ends with two zero blocks. It is not padded further to a whole
#: 10 KiB record: readers do not need it, and without it a shard's size tells
#: exactly where its last sample ends (see ``dead_bytes`` in webdataset.py).
END_OF_ARCHIVE = 2 * BLOCK
#: Members up to this size are read whole and written with their header in
#: one call; larger ones are copied in blocks (memory stays flat).
_INLINE = 1 << 20
#: The smallest ``--shard-size``: 10 KiB (tar's traditional record size).
MIN_SHARD_BYTES = 20 * BLOCK  # tarfile.RECORDSIZE

#: Members of this size and more have theirs in a pax header only.
_USTAR_SIZE_LIMIT = 8**11

SHARD_PREFIX = "shard-"
_SHARD_NAME = re.compile(r"shard-(\d{6,})\.tar")

_UNITS = {
    "": 1,
    "b": 1,
    "k": 1000,
    "kb": 1000,
    "m": 1000**2,
    "mb": 1000**2,
    "g": 1000**3,
    "gb": 1000**3,
    "t": 1000**4,
    "tb": 1000**4,
    "kib": 1024,
    "mib": 1024**2,
    "gib": 1024**3,
    "tib": 1024**4,
}


def parse_size(text: str | int) -> int:
    """Return the number of bytes in ``text``: ``"1GB"``, ``"512MiB"``, ``"20000"``.

    Decimal units (kB, MB, GB, TB: powers of 1000) and binary ones (KiB, MiB,
    GiB, TiB: powers of 1024) are accepted, case-insensitively; a bare number
    is bytes.

    Raises
    ------
    ParameterError
        If ``text`` is not a size, or smaller than :data:`MIN_SHARD_BYTES`.
    """
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*", str(text))
    unit = match.group(2).lower() if match else ""
    if match is None or unit not in _UNITS:
        raise ParameterError(
            f"shard_size={text!r} must be a size such as 1GB, 500MB or 64MiB",
            param="shard_size",
        )
    size = int(float(match.group(1)) * _UNITS[unit])
    if size < MIN_SHARD_BYTES:
        raise ParameterError(
            f"shard_size={text!r} must be at least {MIN_SHARD_BYTES} bytes "
            "(one tar record): it is a size in bytes, such as 500MB, not a "
            "number of files",
            param="shard_size",
        )
    return size


def shard_name(index: int, *, prefix: str = SHARD_PREFIX) -> str:
    """Return the file name of shard ``index``: ``shard-000042.tar``."""
    return f"{prefix}{index:06d}.tar"


def list_shards(out: Path) -> list[str]:
    """Return the names of the shards directly in ``out``, sorted."""
    try:
        names = os.listdir(out)
    except FileNotFoundError:
        return []
    return sorted(n for n in names if _SHARD_NAME.fullmatch(n))


def shard_index(name: str) -> int | None:
    """Return the index in a shard's name, or None if it is not a shard name."""
    match = _SHARD_NAME.fullmatch(name)
    return int(match.group(1)) if match else None


@dataclass(frozen=True)
class Slice:
    """``size`` bytes of the file ``path`` from ``offset`` (a member of a shard).

    ``name``, if given, is the member's name in the shard (for messages).
    """

    path: Path
    offset: int
    size: int
    name: str = ""

    def __str__(self) -> str:
        return os.fspath(self.path / self.name) if self.name else os.fspath(self.path)


#: What a member's bytes come from: bytes, a whole file, or part of one.
Data = bytes | Path | Slice


@dataclass(frozen=True)
class Placement:
    """Where one sample landed.

    Attributes
    ----------
    shard : str
        The shard's file name (relative to OUT).
    start, end : int
        The byte range of the sample in the shard, tar headers included (of
        all the samples, for a group written by :meth:`ShardWriter.add_group`).
    members : dict
        ``{suffix: [offset, size]}``: where each member's bytes are (of the
        group's first sample).
    group : dict
        For a group: ``{key: members}`` of each of its samples, in order;
        empty for a single sample.
    """

    shard: str
    start: int
    end: int
    members: dict[str, list[int]]
    group: dict[str, dict[str, list[int]]] = field(default_factory=dict)


@dataclass
class ClosedShard:
    """A shard that was closed and renamed into place, with what it holds."""

    name: str
    path: Path
    samples: list[tuple[str, Placement]] = field(default_factory=list)


class ShardLost(OSError):
    """A shard could not be written, and the samples it held with it.

    ``shard`` is the shard that was being written (not in OUT); the error
    number and message are those of the cause (``ENOSPC``...).
    """

    def __init__(self, shard: ClosedShard, cause: OSError) -> None:
        super().__init__(cause.errno, cause.strerror or str(cause))
        self.shard = shard


class ShardWriter:
    """Append samples to size-bounded tar shards in ``out``.

    Parameters
    ----------
    out : Path
        The folder the shards go into.
    max_bytes : int
        No shard is larger than this, unless a single sample is: such a
        sample gets a shard of its own.
    first_index : int
        Index of the first shard this writer opens; later ones count up.
    prefix : str
        Shard names are ``{prefix}{index:06d}.tar``.

    Notes
    -----
    Nothing is created until the first sample arrives. :meth:`add` and
    :meth:`close` return the shards they closed, each under its final name.
    :meth:`abort` deletes the open shard's temporary file.
    """

    def __init__(
        self,
        out: Path,
        *,
        max_bytes: int,
        first_index: int = 0,
        prefix: str = SHARD_PREFIX,
    ) -> None:
        self.out = out
        self.max_bytes = max_bytes
        self.prefix = prefix
        self.next_index = first_index
        self.mtime = int(time.time())
        self._file: AtomicFile | None = None
        self._open: ClosedShard | None = None
        self._offset = 0

    def add(self, key: str, members: Sequence[tuple[str, Data]]) -> list[ClosedShard]:
        """Append the sample ``key`` with ``members`` as ``(suffix, data)`` pairs.

        Returns the shard closed to make room for it, if any. The sample's
        :class:`Placement` is in the returned (or, later, closing) shard's
        ``samples``.
        """
        return self.add_group([(key, members)])

    def add_group(
        self, samples: Sequence[tuple[str, Sequence[tuple[str, Data]]]]
    ) -> list[ClosedShard]:
        """Append several samples back to back in one shard, as one unit.

        ``samples`` are ``(key, members)`` pairs, as :meth:`add` takes them
        (the segments of one input, each a sample of its own). They land in
        the same shard, or not at all; their :class:`Placement` is listed
        under the first key, with every sample's members in ``group``.
        """
        named = [
            (key, suffix, data) for key, members in samples for suffix, data in members
        ]
        headers = [
            _header(f"{key}.{suffix}", _size(data), self.mtime)
            for key, suffix, data in named
        ]
        sample_bytes = sum(
            len(h) + _padded(_size(data))
            for h, (_, _, data) in zip(headers, named, strict=True)
        )
        closed = []
        if (
            self._open is not None
            and self._open.samples
            and _archive_size(self._offset + sample_bytes) > self.max_bytes
        ):
            closed.append(self._close())
        f, shard = self._current()
        start = self._offset
        placed: dict[str, dict[str, list[int]]] = {key: {} for key, _ in samples}
        assert len(placed) == len(samples), "a group's keys must differ"
        try:
            pieces: list[bytes] = []  # small members go out in one write
            for header, (key, suffix, data) in zip(headers, named, strict=True):
                size = _size(data)
                placed[key][suffix] = [self._offset + len(header), size]
                pieces.append(header)
                if size <= _INLINE:
                    pieces.append(_bytes_of(data, size))
                else:
                    _write_all(f, b"".join(pieces))
                    pieces.clear()
                    _copy(data, f, size)
                pieces.append(b"\0" * (_padded(size) - size))
                self._offset += len(header) + _padded(size)
            # The end of the archive follows each sample on disk: a sample is
            # whole in the file before it counts, and closing the shard writes
            # nothing (a full disk cannot fail it). The next sample overwrites it.
            pieces.append(b"\0" * END_OF_ARCHIVE)
            _write_all(f, b"".join(pieces))
            f.seek(self._offset)
        except BaseException as exc:
            self._offset = start  # drop the torn sample, keep the earlier ones
            try:  # over blocks the file holds already: no new space needed
                f.seek(start)
                _write_all(f, b"\0" * END_OF_ARCHIVE)
                f.truncate()
                f.seek(start)
            except OSError:  # the earlier samples go too
                lost = shard
                self.abort()
                if isinstance(exc, OSError):
                    raise ShardLost(lost, exc) from None
            raise
        first = samples[0][0]
        group = placed if len(samples) > 1 else {}
        placement = Placement(shard.name, start, self._offset, placed[first], group)
        shard.samples.append((first, placement))
        return closed

    @property
    def open_shard(self) -> ClosedShard | None:
        """The shard being written (not yet under its final name), if any."""
        return self._open

    def close(self) -> list[ClosedShard]:
        """Close the open shard, if any; return it."""
        if self._open is None:
            return []
        return [self._close()]

    def abort(self) -> None:
        """Drop the open shard (its temporary file); closed shards stay."""
        if self._file is not None:
            self._file.discard()
        self._file = self._open = None

    def _current(self) -> tuple[RawIOBase, ClosedShard]:
        """Return the open shard, opening one if none is; unbuffered.

        Unbuffered, so that a write that failed (a full disk) is not retried
        by a later flush: what :meth:`add_group` wrote is on disk or failed.
        """
        if self._file is None or self._open is None:
            name = shard_name(self.next_index, prefix=self.prefix)
            self.next_index += 1
            # Made and kept whole, as atomic_write makes its file: a signal as
            # the class call returned left the temporary file behind.
            with interrupts.deferred():
                self._file = AtomicFile(self.out / name)
            self._open = ClosedShard(name=name, path=self.out / name)
            self._offset = 0
        raw: RawIOBase = self._file.file.raw  # type: ignore[attr-defined]
        return raw, self._open

    def _close(self) -> ClosedShard:
        """Finish the open shard and rename it into place.

        Raises
        ------
        ShardLost
            If it cannot be written (a full disk): its temporary file is
            deleted, and the writer is ready to open the next shard.
        """
        file, closed = self._file, self._open
        assert file is not None
        assert closed is not None
        self._file = self._open = None  # whatever happens, this one is done
        try:  # the end of the archive is written already (see add_group)
            file.commit()
        except OSError as exc:
            file.discard()
            raise ShardLost(closed, exc) from None
        except BaseException:
            file.discard()
            raise
        return closed


def read_member(path: Path, offset: int, size: int) -> bytes:
    """Return ``size`` bytes of the shard ``path`` from ``offset``.

    ``offset`` and ``size`` may come from OUT's manifest (untrusted): a
    member past the end of the file raises ``ValueError`` before anything
    is allocated for it.
    """
    with open(path, "rb") as f:
        end = os.fstat(f.fileno()).st_size
        if offset < 0 or size < 0 or offset + size > end:
            raise ValueError(
                f"{path}: no member of {size} bytes at byte {offset} (the file "
                f"has {end})"
            )
        f.seek(offset)
        return f.read(size)


def member_header_ok(block: bytes, name: str, size: int) -> bool:
    """Return whether ``block`` is the header :class:`ShardWriter` wrote for a member.

    ``block`` is the 512 bytes just before the member's data: a regular
    file's header naming ``name`` (as ASCII, cut to 100 bytes when a pax
    header holds the whole name), of ``size`` bytes. Compared as the bytes
    :mod:`tarfile` writes, in about a microsecond (parsing every field costs
    thirty; the checksum, summing the block, five).
    """
    return (
        len(block) == BLOCK
        and block[156] == 0x30  # "0": a regular file
        and block[:100] == name.encode("ascii", "replace")[:100].ljust(100, b"\0")
        and (size >= _USTAR_SIZE_LIMIT or block[124:136] == b"%011o\0" % size)
    )


class _Bounded:
    """A shard as :mod:`tarfile` reads it: ``read(n)`` asks for at most the bytes left.

    :mod:`tarfile` reads the data of a pax (``x``, ``g``) or GNU long-name
    (``L``, ``K``) header whole, at the size the header claims, inside
    ``for info in tar``; a buffered ``read(n)`` allocates ``n`` bytes
    first. A crafted 10-KB shard claiming 2**40 bytes was a ``MemoryError``.
    Bounded by the file's size, every such read (of any header type, or a
    member's data) comes back short, and :mod:`tarfile` raises ``ReadError``.
    """

    def __init__(self, f: BinaryIO, size: int) -> None:
        self._f = f
        self._size = size

    def read(self, n: int | None = -1) -> bytes:
        left = max(0, self._size - self._f.tell())
        return self._f.read(left if n is None or n < 0 else min(n, left))

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        return self._f.seek(offset, whence)

    def tell(self) -> int:
        return self._f.tell()

    def write(self, data: bytes) -> int:
        raise OSError("a shard is read here, not written")

    def close(self) -> None:
        """Leave the file to its owner (``iter_members``'s ``with``)."""


def iter_members(path: Path) -> Iterator[tuple[str, bytes]]:
    """Yield ``(name, bytes)`` of each file in the tar ``path``, in order.

    The shard may be crafted (OUT is untrusted): a header of any type whose
    claim runs past the end of the file, or a shard tarfile cannot read,
    raises ``ValueError`` and nothing is allocated for the claim (tarfile
    reads through :class:`_Bounded`).
    """
    import tarfile  # here: a run that makes no tar (a no-op) does not import it

    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        try:
            with tarfile.open(fileobj=_Bounded(f, size), mode="r:") as tar:
                for info in tar:
                    if info.isfile() and info.offset_data + info.size > size:
                        raise ValueError(
                            f"{path}: member {info.name!r} claims {info.size} "
                            f"bytes, past the end of the file ({size} bytes)"
                        )
                    extracted = tar.extractfile(info) if info.isfile() else None
                    if extracted is not None:
                        yield info.name, extracted.read()
        except tarfile.TarError as error:
            raise ValueError(
                f"{path}: not a tar melcli can read ({error}; the file has "
                f"{size} bytes)"
            ) from None


def _header(name: str, size: int, mtime: int) -> bytes:
    import tarfile  # see iter_members

    info = tarfile.TarInfo(name)
    info.size = size
    info.mtime = mtime
    info.mode = 0o644
    info.type = tarfile.REGTYPE
    return info.tobuf(tarfile.PAX_FORMAT, "utf-8", "surrogateescape")


def _size(data: Data) -> int:
    if isinstance(data, bytes):
        return len(data)
    if isinstance(data, Slice):
        return data.size
    return os.stat(data).st_size


def _write_all(f: RawIOBase, data: bytes) -> None:
    """Write all of ``data`` to the unbuffered ``f`` (which may write less)."""
    view = memoryview(data)
    while view:
        written = f.write(view)
        if not written:  # None: would block (not on a regular file)
            raise OSError(f"cannot write to {getattr(f, 'name', 'a shard')}")
        view = view[written:]


def _bytes_of(data: Data, size: int) -> bytes:
    """Return the ``size`` bytes of a member (the size its tar header says)."""
    if isinstance(data, bytes):
        return data
    path, offset = (data.path, data.offset) if isinstance(data, Slice) else (data, 0)
    with _open_source(data, path) as src:
        src.seek(offset)
        block = src.read(size)
    if len(block) < size:
        raise OSError(f"{path}: ends {size - len(block)} bytes early")
    return block


def _copy(data: Data, f: RawIOBase, size: int) -> None:
    """Copy the ``size`` bytes of a large member to ``f`` in blocks."""
    if isinstance(data, bytes):
        _write_all(f, data)
        return
    path, offset = (data.path, data.offset) if isinstance(data, Slice) else (data, 0)
    with _open_source(data, path) as src:
        src.seek(offset)
        _copy_exact(src, f, size)


def _open_source(data: Data, path: str | os.PathLike[str]) -> BinaryIO:
    """Open the file a member is copied from.

    Only from a regular file, not followed if a link, not waited on if a
    FIFO: a member of a shard (a :class:`Slice`: compaction copies the live
    samples of OUT's shards), checked before, may have been swapped since for
    a link to a file outside OUT, whose bytes would be copied in; so may a
    file a worker staged in OUT (in a shared folder, by another user).
    """
    fd = interrupts.os_open(
        path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
    )
    src = os.fdopen(fd, "rb")
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        src.close()
        raise OSError(f"{path}: not a regular file")
    return src


def _copy_exact(src: BinaryIO, dst: RawIOBase, size: int) -> None:
    while size > 0:
        block = src.read(min(size, 1 << 20))
        if not block:
            raise OSError(f"{src.name}: ends {size} bytes early")
        _write_all(dst, block)
        size -= len(block)


def _padded(size: int) -> int:
    return -(-size // BLOCK) * BLOCK


def _archive_size(content: int) -> int:
    """Return the file size of an archive with ``content`` bytes of members."""
    return content + END_OF_ARCHIVE


__all__ = [
    "END_OF_ARCHIVE",
    "MIN_SHARD_BYTES",
    "ClosedShard",
    "Data",
    "Placement",
    "ShardLost",
    "ShardWriter",
    "Slice",
    "iter_members",
    "list_shards",
    "member_header_ok",
    "parse_size",
    "read_member",
    "shard_index",
    "shard_name",
]

"""``OUT/manifest.jsonl`` as the store's view: written whole, or changed in place.

The view holds one JSON line per entry, sorted as the store sorts its keys
(:func:`melcli.manifest_db.db_key`, byte order). Each line ends with a few
spaces before its newline (JSON allows them; ``json.loads``, ``jq`` and
pandas read them as any line): room for the entry to change a little, its
status from ``written`` to ``up-to-date`` for one. A run that changed a few
entries already in the view, each still fitting its line, writes those lines
over the old ones (:func:`patch`), found by a binary search of the sorted
file: the view is written in O(changes), as the store is. Anything else (an
entry added or removed, one grown out of its room, many changed, a view the
store did not write) rewrites it whole (:func:`write_whole`), atomically.

A line written in place is one ``pwrite``: a run killed meanwhile leaves each
line whole, old or new. The store records the view it knows (its size, mtime
and inode), after the lines are written, in the same transaction: a run
killed between the two leaves a view the store does not know, which the next
run reads as the truth (as for a view rewritten whole).
"""

from __future__ import annotations

import itertools
import json
import os
import stat
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import BinaryIO

from . import interrupts
from .manifest_db import db_key, same_view, stat_id
from .write import atomic_write

#: The least room a line is given (spaces before its newline), in bytes.
ROOM = 8
#: Lines are padded up to a multiple of this (with at least :data:`ROOM`).
_ALIGN = 16
#: How far a probe of the binary search reads at once.
_PROBE = 4096


#: What ends a line, by its length modulo :data:`_ALIGN`: its room and newline.
_ENDS = tuple(b" " * (ROOM + (-(n + ROOM + 1)) % _ALIGN) + b"\n" for n in range(_ALIGN))
#: Lines written to the file at once.
_WRITE_EVERY = 256


def padded(line: bytes) -> bytes:
    """Return the JSON ``line`` as the view holds it: with its room and newline."""
    return line + _ENDS[len(line) % _ALIGN]


def write_whole(path: Path, lines: Iterable[bytes]) -> None:
    """Write the JSON ``lines`` (sorted by key) to ``path``, atomically."""

    def write(f: BinaryIO) -> None:
        ends, align, it = _ENDS, _ALIGN, iter(lines)
        while chunk := list(itertools.islice(it, _WRITE_EVERY)):
            f.write(b"".join([line + ends[len(line) % align] for line in chunk]))

    atomic_write(path, write)


def worth_patching(changes: int, entries: int) -> bool:
    """Return whether ``changes`` of ``entries`` lines are fewer written in place.

    Each costs a binary search (some 20 reads of the file); past a few
    hundredths of the lines, writing all of them again is as cheap.
    """
    return changes <= max(64, entries // 256)


def patch(path: Path, lines: Sequence[tuple[str, bytes]], view_id: str) -> str | None:
    """Write each ``(key, JSON line)`` over ``key``'s line of the view, in place.

    Only when the file at ``path`` is still the view ``view_id`` names, or a
    copy of it (:func:`~melcli.manifest_db.same_view`), a regular file (not
    followed if a link) with no other name (a hard link's may be outside
    OUT), and every key has a line there with room for its new one; else
    nothing is written and None returned (write it whole). Returns the
    view's new id.
    """
    try:
        fd = interrupts.os_open(path, os.O_RDWR | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or not same_view(stat_id(st), view_id):
            return None
        if st.st_nlink != 1:  # a hard link: its other names may be outside OUT
            return None
        places = []
        for key, line in lines:
            found = _find_line(fd, st.st_size, db_key(key))
            if found is None or len(line) > found[1] - found[0] - 1:
                return None  # not there, or no room: written whole
            places.append((found, line))
        for (start, end), line in places:
            slot = line + b" " * (end - start - 1 - len(line)) + b"\n"
            if os.pwrite(fd, slot, start) != len(slot):
                raise OSError(f"short write to {path}")
        return stat_id(os.fstat(fd))
    finally:
        os.close(fd)


def _find_line(fd: int, size: int, target: str) -> tuple[int, int] | None:
    """Return ``(start, end)`` of the line of key ``target`` (end: past its newline).

    A binary search of the lines between ``lo`` and ``hi`` (the target's
    line, if any, starts in ``[lo, hi)``); None if no line has that key, or
    a line met is not an entry.
    """
    lo, hi = 0, size
    while lo < hi:
        mid = (lo + hi) // 2
        start = _line_start(fd, mid, size)
        if start is None or start >= hi:
            hi = mid  # no line starts in [mid, hi)
            continue
        line = _line_at(fd, start, size)
        if line is None:
            return None
        key = _key_of(line)
        if key is None:
            return None
        end = start + len(line)
        if key < target:
            lo = end
        elif key > target:
            hi = mid
        else:
            return start, end
    return None


def _line_start(fd: int, at: int, size: int) -> int | None:
    """Return where the first line starting at or after ``at`` starts."""
    if at == 0:
        return 0
    pos = at - 1  # a newline just before ``at`` starts a line at ``at``
    while pos < size:
        chunk = os.pread(fd, _PROBE, pos)
        if not chunk:
            return None
        newline = chunk.find(b"\n")
        if newline >= 0:
            return pos + newline + 1
        pos += len(chunk)
    return None


def _line_at(fd: int, start: int, size: int) -> bytes | None:
    """Return the line at ``start``, its newline included; None if it has none."""
    parts = []
    pos = start
    while pos < size:
        chunk = os.pread(fd, _PROBE, pos)
        if not chunk:
            break
        newline = chunk.find(b"\n")
        if newline >= 0:
            parts.append(chunk[: newline + 1])
            return b"".join(parts)
        parts.append(chunk)
        pos += len(chunk)
    return None


def _key_of(line: bytes) -> str | None:
    """Return the key of the entry ``line``, as the store spells it; or None."""
    try:
        entry = json.loads(line)
    except (ValueError, RecursionError):
        return None
    key = entry.get("key") if isinstance(entry, dict) else None
    return db_key(key) if isinstance(key, str) else None

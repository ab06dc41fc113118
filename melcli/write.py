"""Atomic output: a final name only ever holds a complete file.

Every output is written to a temporary file in its target folder and renamed
over the final name with :func:`os.replace`, which is atomic on POSIX and
Windows. A crash leaves at most a hidden ``.NAME.*.melcli-tmp`` file behind,
never a truncated ``NAME``.
"""

from __future__ import annotations

import contextlib
import errno
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

if TYPE_CHECKING:  # imported by save_npy: planning a run never loads numpy
    import numpy as np

#: Suffix of the temporary files melcli writes (and may clean up).
TEMP_SUFFIX = ".melcli-tmp"


def atomic_write(path: Path, write: Callable[[BinaryIO], None]) -> None:
    """Create ``path`` atomically with the bytes ``write(fileobj)`` produces.

    Parent folders are created as needed. If ``write`` raises, the temporary
    file is removed and the exception propagates; ``path`` is untouched.
    """
    target = AtomicFile(path)
    try:
        write(target.file)
    except BaseException as exc:
        # numpy reports a short write as "N requested and M written": say why
        # (before removing the temp file, which frees the space it took).
        short = isinstance(exc, OSError) and exc.errno is None
        explained = _short_write(path, exc) if short else None  # type: ignore[arg-type]
        target.discard()
        if explained is not None:
            raise explained from None
        raise
    target.commit()


class AtomicFile:
    """A file written under a temporary name and renamed to ``path`` when done.

    For outputs written piece by piece over a long time (a tar shard): until
    :meth:`commit`, ``path`` is untouched and the bytes live in a hidden
    ``.NAME.*.melcli-tmp`` file in the same folder.

    Parameters
    ----------
    path : Path
        The final name. Parent folders are created as needed.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        folder = path.parent
        prefix = temp_prefix(path)
        # Cheaper than tempfile.mkstemp (a third of a small output's cost), and
        # the folder is made only when the file cannot be created without it.
        made = False
        while True:
            random_part = os.urandom(_RANDOM_PART // 2).hex()
            self.tmp = folder / f"{prefix}{random_part}{TEMP_SUFFIX}"
            try:
                # With the usual permissions (0o666 less the umask), as the
                # final file should have: nothing to change at commit.
                fd = os.open(self.tmp, _CREATE, 0o666)
            except FileExistsError:  # 1 in 4 billion: draw another name
                continue
            except FileNotFoundError:  # the first output in its folder
                if made:
                    raise
                folder.mkdir(parents=True, exist_ok=True)
                made = True
                continue
            break
        self.file: BinaryIO = os.fdopen(fd, "wb")

    def commit(self) -> None:
        """Close the file and rename it to its final name."""
        try:
            self.file.close()
            if _commit_check is not None:
                _commit_check()
            os.replace(self.tmp, self.path)
        except BaseException:
            self.discard()
            raise

    def discard(self) -> None:
        """Close and delete the temporary file; the final name is untouched."""
        with contextlib.suppress(OSError):  # flushing a full disk fails again
            self.file.close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.tmp)


def set_commit_check(check: Callable[[], None] | None) -> None:
    """Call ``check`` just before each output of this process takes its final name.

    If it raises, the temporary file is deleted and the exception propagates:
    a pool worker whose run is gone does not leave an output behind it
    (:mod:`melcli.runners`).
    """
    global _commit_check
    _commit_check = check


_commit_check: Callable[[], None] | None = None


#: Longest file name most file systems take, in bytes.
NAME_MAX = 255
#: Characters of the random part between the prefix and the suffix (hex digits:
#: no dot, see :func:`melcli.outdir.final_name`).
_RANDOM_PART = 8
#: How a temporary file is opened, as :func:`tempfile.mkstemp` opens one: a new
#: file or an error, never an existing one (nor a symbolic link's target).
_CREATE = (
    os.O_WRONLY
    | os.O_CREAT
    | os.O_EXCL
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_BINARY", 0)
)


def temp_prefix(path: Path) -> str:
    """Return the hidden prefix of ``path``'s temporary files: ``.NAME.``.

    A long ``NAME`` is cut (at a character boundary) so that the temporary
    name still fits in :data:`NAME_MAX` bytes: an output whose own name fits
    can always be written.
    """
    budget = NAME_MAX - len(TEMP_SUFFIX) - _RANDOM_PART - 2
    name = os.fsencode(path.name)
    if len(name) > budget:
        name = name[:budget]
        while name:  # do not end inside a multi-byte character
            try:
                name.decode("utf-8")
                break
            except UnicodeDecodeError as exc:
                if exc.start < len(name) - 4:
                    break  # not UTF-8 anyway: any cut will do
                name = name[:-1]
    return f".{os.fsdecode(name)}."


def remove_temp_files(paths: Iterable[Path]) -> list[Path]:
    """Delete the temporary files of ``paths`` (a worker killed while writing them)."""
    found: list[Path] = []
    for path in paths:
        prefix = temp_prefix(path)
        with contextlib.suppress(OSError):
            found.extend(
                path.parent / name
                for name in os.listdir(path.parent)
                if name.startswith(prefix) and name.endswith(TEMP_SUFFIX)
            )
    return remove_files(found)


def _short_write(path: Path, exc: OSError) -> OSError:
    """Say why a write came up short: most often, the disk is full."""
    try:
        full = os.statvfs(path.parent).f_bavail == 0
    except OSError:
        full = False
    if full:
        return OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    return OSError(errno.EIO, f"incomplete write ({exc})")


def save_npy(path: Path, array: np.ndarray) -> None:
    """Write ``array`` to ``path`` in ``.npy`` format, atomically.

    Writing through a file object keeps :func:`numpy.save` from appending
    ``.npy`` to the temporary name.
    """
    import numpy as np

    atomic_write(path, lambda f: np.save(f, array, allow_pickle=False))


def remove_files(paths: Iterable[Path]) -> list[Path]:
    """Delete ``paths``; return those that existed (and are now gone)."""
    removed = []
    for path in paths:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
            removed.append(path)
    return removed

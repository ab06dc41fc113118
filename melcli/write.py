"""Atomic output: a final name only ever holds a complete file.

Every output is written to a temporary file in its target folder and renamed
over the final name with :func:`os.replace`, which is atomic on POSIX and
Windows. A crash leaves at most a hidden ``.NAME.*.melcli-tmp`` file behind,
never a truncated ``NAME``.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import BinaryIO

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
    except BaseException:
        target.discard()
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
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(
            dir=path.parent, prefix=f".{path.name}.", suffix=TEMP_SUFFIX
        )
        self.tmp = Path(tmp)
        self.file: BinaryIO = os.fdopen(fd, "wb")

    def commit(self) -> None:
        """Close the file and rename it to its final name."""
        try:
            self.file.close()
            os.chmod(self.tmp, 0o666 & ~_UMASK)
            os.replace(self.tmp, self.path)
        except BaseException:
            self.discard()
            raise

    def discard(self) -> None:
        """Close and delete the temporary file; the final name is untouched."""
        self.file.close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.tmp)


def save_npy(path: Path, array: np.ndarray) -> None:
    """Write ``array`` to ``path`` in ``.npy`` format, atomically.

    Writing through a file object keeps :func:`numpy.save` from appending
    ``.npy`` to the temporary name.
    """
    atomic_write(path, lambda f: np.save(f, array, allow_pickle=False))


def remove_files(paths: Iterable[Path]) -> list[Path]:
    """Delete ``paths``; return those that existed (and are now gone)."""
    removed = []
    for path in paths:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
            removed.append(path)
    return removed


def _read_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# mkstemp creates files readable only by their owner; outputs get the usual
# permissions instead. Read once: umask is process-wide state.
_UMASK = _read_umask()

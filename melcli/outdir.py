"""The output folder as shared state: one writer at a time, no leftovers.

A run holds an exclusive lock on ``OUT/.melcli.lock`` while it writes; a second
run on the same OUT fails at once instead of interleaving with it. A run that
was killed (even with SIGKILL) can leave hidden ``.NAME.*.melcli-tmp`` files;
the next run removes them before it starts.

OUT is also untrusted input: a CI cache or a shared folder may hold a stale,
corrupt or crafted manifest, and symbolic links. :class:`OutDir` confines
every path read from OUT's state to OUT: a name is used only if it is
relative, has no ``..`` (nor ``.`` or empty) component, and its folder
resolves inside OUT; a file is read only if it is a regular file (a link
in its place is not followed). Names at the top of OUT that melcli keeps for
its own files are :func:`reserved`.
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
import weakref
from collections.abc import Callable, Container, Iterable, Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, BinaryIO, Literal

from . import interrupts
from .errors import UsageError, os_reason
from .report import display_path
from .write import (
    TEMP_SUFFIX,
    LeadsOutside,
    confine,
    is_temp_of,
    make_folders,
    open_file,
    open_folder,
    remove_files,
    temp_prefix,
)

if TYPE_CHECKING:
    import numpy as np

LOCK_NAME = ".melcli.lock"

#: Names at the top of OUT that melcli keeps for its own files: the manifest,
#: the statistics, the gallery, tar shards, the ``--shard`` runs' manifest
#: parts, and (hidden) the journals and locks. ``manifest.py``, ``stats.py``
#: and ``storage/tarshards.py`` name them; ``tests/test_untrusted_out.py``
#: checks the two lists agree.
_RESERVED = re.compile(
    r"manifest\.jsonl|stats\.npz|gallery|shard-\d{6,}\.tar"
    r"|manifest\.shard-\d+-of-\d+\.jsonl|\.melcli.*",
    re.DOTALL,
)


def reserved(name: str, *, fold_case: bool = False) -> bool:
    """Return whether ``name``, at the top of OUT, is one of melcli's own files.

    With ``fold_case`` (OUT ignores case), ``Manifest.JSONL`` is reserved too.
    """
    if fold_case:
        return _RESERVED.fullmatch(name.casefold()) is not None
    return _RESERVED.fullmatch(name) is not None


def safe_name(name: object) -> bool:
    """Return whether ``name`` is a path that stays inside the folder it is under.

    A non-empty ``str``, relative, with ``/`` separators, and no component
    that is empty, ``.`` or ``..``, and no NUL: ``dogs/bark1.npy`` is safe,
    ``../victim``, ``/etc/passwd``, ``a//b`` and ``a/./b`` are not. (Symbolic
    links are :class:`OutDir`'s business.)
    """
    if type(name) is not str or not name or name[0] == "/" or name[-1] == "/":
        return False  # absolute, or an empty last component
    if "//" in name or "\0" in name:
        return False
    if name[0] != "." and "/." not in name:
        return True  # no component starts with a dot: the common case
    return all(part not in (".", "..") for part in name.split("/"))


class OutDir:
    """OUT as the root that every name read from its state must stay under.

    Folder checks are cached (a run checks each folder once); create one per
    run. Every method takes a name relative to OUT, as the manifest records
    it, and refuses one that is not :func:`safe_name` or whose folder
    resolves (through symbolic links) outside OUT.
    """

    def __init__(self, out: Path) -> None:
        self.out = out
        self._prefix = os.path.join(os.fspath(out), "")
        self._real: str | None = None
        self._folders: dict[str, str | None] = {}
        #: Files :meth:`remove` could not delete, said as
        #: :func:`melcli.write.remove_files` says them (for the run to say).
        self.failures: list[str] = []
        #: Files :meth:`removable` left alone, their folder leading out of OUT,
        #: and why (for the run, or the dry run, to say).
        self.refused: dict[str, str] = {}
        #: Gives the outputs (manifest keys) of the run's own inputs, asked
        #: only of a folder linked to another folder of OUT: none of them is
        #: deleted by another name (:meth:`live_alias`).
        self.live: Callable[[], Container[str]] | None = None
        self._aliases: dict[str, str | None] = {}
        #: The folder of OUT held open to look its files up in (by name, not
        #: by path: a folder swapped for a link since it was checked leads
        #: nowhere), and its descriptor (-1: none there): one at a time,
        #: closed with this object (or :meth:`close`).
        #: (Its name, its descriptor, and where it was found (a
        #: :data:`Place`): :func:`in_place` before each look-up in it; None:
        #: too deep to tell.)
        self._held: list[Any] = [None, -1, ""]
        #: OUT's inode and device (:func:`folder_place`), once a folder is held.
        self._top: tuple[int, int] | None = None
        #: Whether the caller checks where the folder held is, once it is
        #: done with it (:meth:`checked_by_folder`), not each look-up; whether
        #: one was found moved since it last asked; whether one was looked in
        #: since it was last checked.
        self._later = self._moved = self._looked = False
        self._release = weakref.finalize(self, _let_go, self._held)

    def close(self) -> None:
        """Close the folder of OUT held open, if one is (reopened when needed)."""
        _let_go(self._held)

    @contextlib.contextmanager
    def checked_by_folder(self) -> Iterator[Callable[[], bool]]:
        """Check where a folder held is once the look-ups in it are done, not each.

        Gives ``moved()``: whether a folder looked in since it was last asked
        was found moved meanwhile (out of OUT, or renamed: no longer the one
        its name leads to), checked as it was let go for another and, when
        asked, the one held. For a loop over many inputs (a run deciding on
        a table's rows or PNG jobs, folder by folder), which asks it as it
        goes on to another folder and at the end, and decides again on what
        it found up to date meanwhile (a ``stat`` before each look-up cost a
        no-op re-run of 1800 table rows one ``stat`` an input, 3% more CPU).
        """
        self._later, self._moved, self._looked = True, False, False
        try:
            yield self._moved_since
        finally:
            self._later = self._looked = False

    def _moved_since(self) -> bool:
        self._check_held()
        moved, self._moved = self._moved, False
        return moved

    def _check_held(self) -> None:
        """Note (and let go of) the folder held if it moved since it was opened."""
        held = self._held
        if (
            self._looked
            and held[1] >= 0
            and held[2]
            and not in_place(held[1], held[2], self._top, self._prefix + held[0])
        ):
            self._moved = True
            _let_go(held)
        self._looked = False

    def folder_problem(self, folder: str) -> str | None:
        """Say why ``folder`` is not inside OUT, or return None if it is.

        ``folder`` is relative to OUT (``""`` for OUT itself). Only a symbolic
        link (in ``folder`` or above it) can lead outside, since names are
        checked with :func:`safe_name` first.
        """
        try:
            return self._folders[folder]
        except KeyError:
            pass
        problem = None
        if folder:
            # Walked down from OUT, a link judged by its text: what is outside
            # OUT is not looked at, not even to resolve a path.
            try:
                os.close(open_folder(os.fspath(self.out), folder))
            except LeadsOutside as exc:
                problem = str(exc)
            except OSError:  # not there (yet), or a file: said when written
                pass
        self._folders[folder] = problem
        return problem

    def path(self, name: object) -> Path | None:
        """Return ``OUT/name``, or None if ``name`` does not stay inside OUT."""
        if not safe_name(name):
            return None
        assert isinstance(name, str)
        if self.folder_problem(name.rpartition("/")[0]) is not None:
            return None
        return self.out / name

    def holds_any(self, names: Iterable[object]) -> bool:
        """Return whether any of ``names`` is still in OUT (links not followed).

        A name whose folder leads outside OUT counts (a prune says why it is
        not deleted); one that is not a safe name does not.
        """
        for name in names:
            path = self.path(name)
            if path is None:
                if safe_name(name):
                    return True
            elif self._lstat(str(name)) is not None or self.path(name) is None:
                return True  # (the second: its folder found leading out by now)
        return False

    def stamp(self, name: object) -> list[int] | None:
        """Return ``[size, mtime_ns]`` of the regular file ``OUT/name``, or None.

        None also when ``name`` is not inside OUT, or is not a regular file (a
        link in its place is not followed).
        """
        if not safe_name(name):
            return None
        assert isinstance(name, str)
        if self.folder_problem(name.rpartition("/")[0]) is not None:
            return None
        st = self._lstat(name)
        if st is None or not stat.S_ISREG(st.st_mode):
            return None
        if self.live is not None and self.live_alias(name) is not None:
            # Another input's output by this name (a folder linked to its
            # folder): not this entry's file, however alike their stamps.
            return None
        return [st.st_size, st.st_mtime_ns]

    def _lstat(self, name: str) -> os.stat_result | None:
        """Return the status of ``OUT/name`` (a link's own), or None if none.

        ``name`` is safe and its folder found inside OUT (by
        :meth:`folder_problem`). It is looked up by its name in its folder,
        opened from OUT down (:func:`melcli.write.open_folder`), not by its
        path: a folder swapped for a link out of OUT since it was checked
        (or a link above it) is not followed to a file outside. Held open
        for the next name of the same folder (a manifest's keys come folder
        by folder). By path where the system looks up no name in a folder.
        """
        folder, _, base = name.rpartition("/")
        held = self._held
        fresh = held[0] != folder or held[2] is None  # (None: opened each time)
        if fresh:
            self._hold(folder)
        while True:
            try:
                if held[1] >= 0:
                    # Held since an earlier name: a folder moved out of OUT
                    # meanwhile (its descriptor follows it) is not looked in.
                    if self._later:  # (or checked once it is done with)
                        self._looked = True
                    elif not (
                        fresh
                        or in_place(held[1], held[2], self._top, self._prefix + folder)
                    ):
                        raise FileNotFoundError
                    return os.stat(base, dir_fd=held[1], follow_symlinks=False)
                if held[1] == _BY_PATH:  # too long a path is not found by it
                    return os.lstat(self._prefix + name)  # a string: no Path
            except (OSError, ValueError):
                pass
            if fresh:
                return None
            # Not in the folder held since an earlier name: it may have been
            # deleted and made again (a prune, then a write) since: opened anew.
            fresh = True
            self._hold(folder)

    def _hold(self, folder: str) -> None:
        """Hold ``folder`` of OUT open (opened from OUT down), or none if it is not."""
        held = self._held
        if self._later:
            self._check_held()
        _let_go(held)
        held[0] = folder
        if not _LOOKUP_IN_FOLDER or not _short_enough(self._prefix + folder):
            held[1] = _BY_PATH
            return
        try:
            if self._top is None:
                self._top = folder_id(self.out)
            fd = open_folder(os.fspath(self.out), folder)
        except LeadsOutside as exc:  # swapped for a link since it was checked
            self._folders[folder] = str(exc)
            return
        except OSError:  # missing, or a file in its place
            return
        # None: too deep to tell where it is later; opened anew for each name.
        held[1], held[2] = fd, folder_place(fd, self._top)

    def aliased(self, folder: str) -> bool:
        """Return whether ``folder`` of OUT is reached through a link to another of OUT.

        Its files are then looked up by :meth:`stamp`, which knows them for
        another input's outputs (:meth:`live_alias`), not by folder.
        """
        return bool(folder) and self._alias(folder) is not None

    def file(self, name: object) -> Path | None:
        """Return ``OUT/name`` if it is a regular file inside OUT, else None."""
        if self.stamp(name) is None:
            return None
        assert isinstance(name, str)
        return self.out / name

    def remove(self, names: Iterable[object]) -> list[Path]:
        """Delete the files ``OUT/name`` of ``names``; return those removed.

        Names not inside OUT, and folders, are left alone; a symbolic link is
        removed itself (its target is not touched). :meth:`removable` says
        which, deleting nothing. A file that cannot be deleted (a folder of
        OUT not writable) is noted in :attr:`failures`, and the rest go on.
        """
        return remove_files(self.removable(names), failures=self.failures)

    def remove_emptied_folders(self, removed: Iterable[Path]) -> None:
        """Delete the folders of OUT that removing ``removed`` left empty.

        Each removed file's folder, and the folders above it, up to (not
        including) OUT, while they are empty: a format change leaves no
        empty class folders behind. A folder that holds anything, or a link
        in a folder's place, is left where it is (``rmdir`` deletes neither).
        Each folder is deleted by its name in the folder above it, opened
        from OUT down (:func:`melcli.write.open_folder`): one swapped for a
        link out of OUT meanwhile leads nowhere, and nothing outside OUT is
        deleted (by path, ``rmdir`` followed it to an empty folder there).
        """
        root = os.fspath(self.out)
        for path in removed:
            name = os.fspath(path)
            if not name.startswith(self._prefix):
                continue
            folder = os.path.dirname(name[len(self._prefix) :]).replace(os.sep, "/")
            while folder:
                above, _, base = folder.rpartition("/")
                try:
                    fd = open_folder(root, above)
                except OSError:  # gone, or leading out of OUT
                    break
                try:
                    os.rmdir(base, dir_fd=fd)
                except OSError:  # not empty, not a folder, not ours to delete
                    break
                finally:
                    os.close(fd)
                folder = above

    def removable(self, names: Iterable[object]) -> list[Path]:
        """Return the files :meth:`remove` would delete of ``names`` (``--dry-run``).

        Those that exist, inside OUT, and are not folders; those whose folder
        leads out of OUT are noted in :attr:`refused`.
        """
        paths = []
        for name in names:
            path = self.path(name)
            if path is None:
                if safe_name(name):  # its folder leads outside: say so
                    assert isinstance(name, str)
                    folder = name.rpartition("/")[0]
                    self.refused[name] = self.folder_problem(folder) or ""
                continue
            assert isinstance(name, str)
            st = self._lstat(name)
            if st is None and self.path(name) is None:  # leading out by now
                self.refused[name] = self.folder_problem(name.rpartition("/")[0]) or ""
            if st is None or stat.S_ISDIR(st.st_mode):
                continue
            if (other := self.live_alias(name)) is not None:
                # Not deleted: said, as a folder leading out of OUT is.
                self.refused[name] = other
                continue
            paths.append(path)
        return paths

    def live_alias(self, name: str) -> str | None:
        """Say why ``name`` is one of the run's outputs by another name, or None.

        A folder of OUT may be a symbolic link to another folder of OUT
        (followed: it stays inside). Then ``sub/a.npy`` is ``other/a.npy``,
        which one of the run's inputs may write (:attr:`live`, asked only for
        such a folder): the entry of ``sub/a.npy`` (an input gone, a crafted
        entry) must not delete it, nor the input ``sub/a.wav`` write over it.
        """
        folder, _, base = name.rpartition("/")
        if not folder or self.live is None:
            return None
        real = self._alias(folder)
        if real is None:
            return None
        other = base if real == "." else f"{real}/{base}"
        stem = other.removesuffix(".png").removesuffix(".npy")
        segment = re.fullmatch(r"(.*)\.\d{3,}", stem, re.DOTALL)
        claims = [stem + ".npy"] + ([segment[1] + ".000.npy"] if segment else [])
        keys = self.live()
        if not any(claim in keys for claim in claims):
            return None
        return (
            f"{os.path.join(os.fspath(self.out), folder)} is a symbolic link to "
            f"{os.path.join(os.fspath(self.out), real)}: {other} is the output of "
            "an input of this run"
        )

    def _alias(self, folder: str) -> str | None:
        """Return where ``folder`` of OUT leads in OUT, if a link leads elsewhere."""
        try:
            real = self._aliases[folder]
        except KeyError:
            if self._real is None:
                self._real = os.path.realpath(self.out)
            found = os.path.realpath(os.path.join(self.out, folder))
            real = None
            if found != os.path.join(self._real, folder):
                real = os.path.relpath(found, self._real).replace(os.sep, "/")
            self._aliases[folder] = real
        return real


def _let_go(held: list[Any]) -> None:
    """Close the folder :class:`OutDir` holds open, forgetting it first.

    Forgotten before it is closed: a signal as ``os.close`` returns leaves
    no closed number behind to be closed again (another file's, by then).
    """
    fd, held[0], held[1], held[2] = held[1], None, -1, ""
    if fd >= 0:
        os.close(fd)


#: :class:`OutDir`'s mark of a folder whose files are looked up by path.
_BY_PATH = -2


#: Where a folder held open was found (:func:`folder_place`): the ``../..``
#: from it up to OUT, and its own (device, inode).
Place = tuple[str, tuple[int, int]]


def folder_place(fd: int, top: tuple[int, int] | None) -> Place | None:
    """Return where the folder ``fd`` is: the ``../..`` up to OUT, and its own id.

    ``top``: OUT's (device, inode) (:func:`folder_id`). None when OUT is not
    found within :data:`_PLACE_MOST` levels up (or ``top`` is None). Asked
    once, as the folder is opened from OUT down; then :func:`in_place`.
    """
    if top is None:
        return None
    own = None
    for depth in range(_PLACE_MOST):
        up = "/".join([".."] * depth) or "."
        try:
            st = os.stat(up, dir_fd=fd)
        except (OSError, ValueError):
            return None
        if own is None:
            own = (st.st_dev, st.st_ino)
        if (st.st_dev, st.st_ino) == top:
            return up, own
    return None


def in_place(fd: int, place: Place, top: tuple[int, int] | None, path: str) -> bool:
    """Return whether the folder ``fd`` is still where :func:`folder_place` found it.

    A descriptor follows its folder where it is moved: one moved out of OUT
    since it was opened has no longer OUT ``up`` (its ``../..``) from it; one
    renamed inside OUT (``OUT/dogs`` to ``OUT/cats``, or ``OUT/x/dogs``) is
    no longer the folder its name ``path`` (``OUT/dogs``) leads to. Two
    ``stat``: the kernel walking up, and down by the name.
    """
    up, own = place
    try:
        st = os.stat(up, dir_fd=fd)
        named = os.stat(path, follow_symlinks=False)
    except (OSError, ValueError):
        return False
    return (
        top is not None
        and (st.st_dev, st.st_ino) == top
        and (named.st_dev, named.st_ino) == own
    )


#: The most levels below OUT a folder is held open at (:func:`folder_place`).
_PLACE_MOST = 256


def _short_enough(folder: str) -> bool:
    """Whether every file of ``folder`` is found by its path too (as discover's)."""
    return len(os.fsencode(folder)) + 1 + 255 < _PATH_MAX


def _path_max() -> int:
    try:
        return os.pathconf("/", "PC_PATH_MAX")
    except (OSError, ValueError, AttributeError):
        return 1024


_PATH_MAX = _path_max()

#: Whether a name can be looked up in an open folder, links not followed.
_LOOKUP_IN_FOLDER = (
    os.stat in os.supports_dir_fd
    and os.open in os.supports_dir_fd
    and os.stat in os.supports_follow_symlinks
)


def file_kind(mode: int) -> str:
    """Name what a file that is not a regular file or folder is: ``a FIFO``."""
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "a special file"


def folder_id(path: Path) -> tuple[int, int] | None:
    """Return the device and inode of the folder ``path``; None if there is none.

    A run notes OUT's once it made it: another one at the end means OUT was
    deleted (or replaced) during the run, with what had been written into it.
    """
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return None
    return (st.st_dev, st.st_ino) if stat.S_ISDIR(st.st_mode) else None


def require_folder(out: Path) -> None:
    """Raise UsageError, as a run does, if ``out`` is there and is no folder.

    For what only says what a run would do (``--dry-run``): a file, a FIFO,
    a link to no folder in OUT's place fails the run before anything.
    """
    if os.path.lexists(out) and not os.path.isdir(out):
        raise UsageError(f"cannot write to {display_path(out)}: {not_a_folder(out)}")


def not_a_folder(path: Path) -> str:
    """Say what ``path``, which exists and is no folder, is instead."""
    try:
        mode = os.lstat(path).st_mode
    except OSError as exc:
        return os_reason(exc)
    if stat.S_ISLNK(mode):
        target = os.readlink(path)
        return f"a symbolic link to {display_path(target)}, which is not a folder"
    if stat.S_ISREG(mode):
        return "a file, not a folder"
    return f"not a folder ({file_kind(mode)})"


def read_regular(path: Path, *, max_size: int | None = None) -> bytes | None:
    """Return the bytes of the regular file ``path``; None if there is none.

    A symbolic link, folder, FIFO or device in its place is not read (nor
    followed, nor waited on): it raises ``OSError`` saying what it is. So
    is a file with holes: melcli writes every byte of its files, and a sparse
    one can claim terabytes that take no room on disk, then all in memory.
    So is a file of more than ``max_size`` bytes, if given (none is read).
    """
    f = open_regular(path)
    if f is None:
        return None
    with f:
        size = os.fstat(f.fileno()).st_size
        if max_size is not None and size > max_size:
            raise OSError(f"{size:,} bytes, more than the {max_size:,} read")
        return f.read(max_size if max_size is not None else -1)


def open_regular(path: Path) -> BinaryIO | None:
    """Open the regular file ``path`` to read it; None if there is none.

    Raises ``OSError`` for what :func:`read_regular` does not read.
    """
    try:
        fd = open_file(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except FileNotFoundError:
        return None
    except OSError as exc:
        if os.path.islink(path):
            raise OSError("a symbolic link, not a file") from None
        raise exc
    # Kept by C code as it is made (open(), then list.extend: no moment
    # between): a signal as os.fdopen returned, or at its start, lost it.
    kept: list[BinaryIO] = []
    try:
        kept.extend(map(open, (fd,), ("rb",)))  # type: ignore[arg-type]
    except BaseException:
        if not kept:
            os.close(fd)
        raise
    f = kept[0]
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise OSError("not a regular file")
        if _has_hole(fd, st.st_size):
            raise OSError("a sparse file (with holes), not one melcli wrote")
    except BaseException:
        f.close()
        raise
    return f


def _has_hole(fd: int, size: int, start: int = 0) -> bool:
    """Whether the file ``fd`` has a hole between ``start`` and ``size``.

    False where unknown. The file's position is left where it was.
    """
    if size <= start or not hasattr(os, "SEEK_HOLE"):
        return False
    at = os.lseek(fd, 0, os.SEEK_CUR)
    try:
        return os.lseek(fd, start, os.SEEK_HOLE) < size
    except OSError:  # not supported here: no hole known
        return False
    finally:
        os.lseek(fd, at, os.SEEK_SET)


def check_not_sparse(fd: int, nbytes: int, start: int) -> None:
    """Refuse ``nbytes`` of array data at ``start`` in ``fd`` that hold a hole.

    An array read from OUT is untrusted: a crafted header can claim
    terabytes that a sparse file holds in no block on disk, and reading them
    would take hours. melcli writes every byte of its arrays, so one of more
    than :data:`_READ_WHOLE` bytes (read in parts where it can be) with a
    hole is not read. (A smaller one is read whole, as any: a file system
    that makes holes of zeros, such as ZFS with compression, may hold a
    silent input's array so.)

    Raises
    ------
    ValueError
        Saying that the file is sparse and how much it claims, or
        :class:`CutShort` if it ends before ``start + nbytes`` (cut short
        since its size was checked: its end would look like a hole).
    """
    if nbytes > _READ_WHOLE and os.fstat(fd).st_size < start + nbytes:
        # Its size was checked: cut short since (an end is a hole to SEEK_HOLE)
        raise cut_short(os.fstat(fd).st_size - start, nbytes)
    if sparse(fd, start, nbytes):
        raise ValueError(
            f"a sparse file (with holes) claiming an array of {_size(nbytes)}: "
            "not read (melcli writes every byte of its arrays)"
        )


def sparse(fd: int, start: int, nbytes: int) -> bool:
    """Whether ``nbytes`` at ``start`` in ``fd``, more than are read whole, hold a hole.

    The rule of :func:`check_not_sparse`, for what is copied rather than read.
    """
    return nbytes > _READ_WHOLE and _has_hole(fd, start + nbytes, start)


def _size(nbytes: int) -> str:
    """``4.3 GB``, ``17 MB``: a size for a message."""
    if nbytes >= 10**9:
        return f"{nbytes / 1e9:.1f} GB"
    return f"{nbytes / 1e6:.0f} MB"


def npy_header(f: BinaryIO) -> tuple[tuple[int, ...], bool, np.dtype[Any], int]:
    """Read the ``.npy`` header at ``f``'s position, leaving ``f`` at the data.

    Returns ``(shape, fortran_order, dtype, nbytes)``; ``nbytes``, the size
    of the data the header announces, is computed exactly (a crafted shape
    cannot wrap it round to a plausible size).

    Raises
    ------
    ValueError
        If there is no ``.npy`` header, or the array holds Python objects.
    """
    import numpy as np

    fmt = np.lib.format
    try:
        version = fmt.read_magic(f)
        if version == (1, 0):
            shape, fortran, dtype = fmt.read_array_header_1_0(f)
        elif version == (2, 0):
            shape, fortran, dtype = fmt.read_array_header_2_0(f)
        else:
            raise ValueError(f"unsupported .npy version {version}")
    except (ValueError, SyntaxError, EOFError) as exc:
        raise ValueError(f"not a readable .npy file ({exc})") from None
    if dtype.hasobject:
        raise ValueError("the array holds Python objects")
    nbytes = dtype.itemsize
    for n in shape:
        nbytes *= n
    return tuple(shape), bool(fortran), dtype, nbytes


def load_npy(path: str | os.PathLike[str]) -> np.ndarray:
    """Read the ``.npy`` array in the regular file ``path``, whole.

    The file may be stale, corrupt or crafted: its header is checked against
    its size before anything is read (a header claiming terabytes is not
    allocated), an array of Python objects is refused, and a link, FIFO or
    folder in its place is not followed nor waited on. It is read, never
    memory-mapped (see :class:`NpyFile`): another program cutting it short
    meanwhile makes a :class:`CutShort` error, not a crash.

    Raises
    ------
    OSError
        If the file cannot be opened or read, or is not a regular file.
    ValueError
        If it is not an ``.npy`` file, holds Python objects, its size
        disagrees with its header, it is large and sparse
        (:func:`check_not_sparse`), or it was cut short while read
        (:class:`CutShort`); the message says which.
    """
    with open_npy(path) as array:
        return array.read()


def load_npy_at(fd: int | Owned) -> np.ndarray:
    """:func:`load_npy` of the file open on ``fd`` (closed here, whatever happens).

    For a reader that opened the file itself, from its folder's descriptor
    (the data loader's): best handed over in an :class:`Owned` it was opened
    into, so that no moment between its open and this call leaves it open.
    """
    with open_npy_at(fd) as array:
        return array.read()


def open_npy(path: str | os.PathLike[str]) -> NpyFile:
    """Open the ``.npy`` array in the file ``path``, checked as by :func:`load_npy`.

    Nothing of the array is read yet: a reader of part of it (a thumbnail,
    statistics in chunks) reads just that part, in memory bounded by it.
    """
    owned = Owned()  # before the open: the descriptor is never without an owner
    owned.held[0] = open_file(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    return open_npy_at(owned)


def open_npy_at(fd: int | Owned) -> NpyFile:
    """:func:`open_npy` of the file open on ``fd``, which the result then owns.

    ``fd`` is closed here if the array is refused (whatever is raised, a
    signal's exception too). An :class:`Owned` the file was opened into is
    closed when collected even if this call never starts; a bare descriptor
    is owned from this call's first line.

    Raises
    ------
    OSError, ValueError
        As :func:`load_npy`.
    """
    owned = fd if isinstance(fd, Owned) else Owned(fd)
    try:
        fd = owned.fd
        # Read through the descriptor itself (closefd=False), not a copy of
        # it: a copy made by os.dup was lost to a signal as dup returned.
        with os.fdopen(fd, "rb", closefd=False) as f:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):
                raise OSError(f"not a regular file ({file_kind(st.st_mode)})")
            shape, fortran, dtype, nbytes = npy_header(f)
            data = f.tell()
            if data + nbytes != st.st_size:
                raise ValueError(
                    f"a file of {st.st_size} bytes cannot hold the "
                    f"{tuple(shape)} {dtype} array its header announces"
                )
            check_not_sparse(fd, nbytes, data)
        return NpyFile(owned, shape=shape, fortran=fortran, dtype=dtype, at=data)
    except BaseException:
        owned.close()
        raise


class Owned:
    """A file descriptor with one owner: closed once (:meth:`close`, or collected).

    Made before the file is opened, the descriptor stored in it straight
    from the call that opened it (``owned.held[0] = open_file(...)``: no
    moment between, Python running a signal's handler only at a call's
    start or a C call's return), then handed on as an object: an exception
    at any moment after (a signal's, as the next function starts) leaves
    it to be closed with the object, never open and unowned. Closing it
    again, or after it was collected, does nothing.
    """

    __slots__ = ("__weakref__", "_finalizer", "held")

    def __init__(self, fd: int = -1) -> None:
        #: ``[fd]``, -1 when none is held (closed, or not opened yet).
        self.held = [fd]
        self._finalizer = weakref.finalize(self, _close_held, self.held)

    @property
    def fd(self) -> int:
        """The descriptor, or -1 if it is closed (or was never opened)."""
        return self.held[0]

    def close(self) -> None:
        """Close the descriptor, if it is still open."""
        _close_held(self.held)


def _close_held(held: list[int]) -> None:
    """Close ``held[0]`` once: forgotten first, then closed."""
    fd, held[0] = held[0], -1
    if fd >= 0:
        os.close(fd)


class CutShort(ValueError):
    """An array's file held fewer bytes when read than when it was checked.

    Another program cut it short (truncated it in place) meanwhile: what was
    read is not the array, and is not returned.
    """


def cut_short(left: int, nbytes: int) -> CutShort:
    """Return the error of an array of ``nbytes`` read when ``left`` were left."""
    return CutShort(
        f"cut short while read: {max(0, left)} of the {nbytes} bytes of its "
        "array are left (truncated by another program since its header was "
        "checked?)"
    )


class NpyFile:
    """An ``.npy`` array in a file of OUT, its header checked, read on demand.

    Read with ``pread``, never memory-mapped: a file of OUT is untrusted, and
    another program may truncate it in place while melcli reads it. Through a
    mapping, the pages past the new end are gone and touching them kills the
    process with SIGBUS, a signal Python cannot turn into an exception. Read,
    a file cut short gives fewer bytes than its header announced:
    :class:`CutShort`, naming the cause, and nothing is taken as whole.

    Parameters
    ----------
    fd : int or Owned
        The file, open to read; owned (closed by :meth:`close`, or when this
        object is collected). Given as an :class:`Owned`, it is that one's
        (closed once, whatever happens as this object is made).
    shape, fortran, dtype
        What the file's header announces.
    at : int
        Where the array's bytes begin in the file.
    """

    def __init__(
        self,
        fd: int | Owned,
        *,
        shape: tuple[int, ...],
        fortran: bool,
        dtype: np.dtype[Any],
        at: int,
    ) -> None:
        owned = fd if isinstance(fd, Owned) else Owned(fd)
        self.shape = shape
        self.fortran = fortran
        self.dtype = dtype
        self.ndim = len(shape)
        self.at = at
        self.nbytes = dtype.itemsize
        for n in shape:
            self.nbytes *= n
        self._owned = owned

    @property
    def large(self) -> bool:
        """Whether the array is large: a reader of parts reads it in parts.

        Of more than :data:`_READ_WHOLE` bytes; a smaller one is read whole
        at once (one read costs less than a read per band).
        """
        return self.nbytes > _READ_WHOLE

    def close(self) -> None:
        """Close the file (reading after that raises ValueError)."""
        self._owned.close()

    def __enter__(self) -> NpyFile:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def read(self) -> np.ndarray:
        """Return the whole array, read into memory of its size."""
        buffer = self._read(self.at, self.nbytes)
        order: Literal["C", "F"] = "F" if self.fortran else "C"
        return buffer.view(self.dtype).reshape(self.shape, order=order)

    def part(
        self, lead: int, start: int, stop: int, bands: Sequence[int] | None = None
    ) -> np.ndarray:
        """Return ``S.reshape(-1, n_bands, n_frames)[lead, bands, start:stop]``.

        ``S`` being this array: frames ``start`` to ``stop`` of the ``bands``
        (all by default) of its ``lead``-th ``(n_bands, n_frames)`` matrix,
        as a new ``(len(bands), stop - start)`` array. Only those bytes are
        read (C order: a read per band; Fortran order: the frames' bytes of
        every band), so memory is bounded by the part, whatever the array's
        size.
        """
        import numpy as np

        if self.ndim < 2:
            raise ValueError(f"an array of shape {self.shape} has no (bands, frames)")
        *outer, n_bands, n_frames = self.shape
        picked = list(range(n_bands)) if bands is None else [int(b) for b in bands]
        count = 1
        for n in outer:
            count *= n
        start, stop = max(0, start), min(n_frames, stop)
        width = max(0, stop - start)
        if not 0 <= lead < count or any(not 0 <= b < n_bands for b in picked):
            raise IndexError(f"no ({lead}, {bands}) in an array of {self.shape}")
        size = self.dtype.itemsize
        if not self.fortran:
            first = (lead * n_bands * n_frames + start) * size
            if bands is None and width == n_frames:  # the whole matrix, at once
                out = self._read(self.at + first, n_bands * width * size)
            else:
                out = np.empty(len(picked) * width * size, np.uint8)
                row = width * size
                for i, b in enumerate(picked):
                    at = self.at + first + b * n_frames * size
                    self._read(at, row, out[i * row : (i + 1) * row])
            return out.view(self.dtype).reshape(len(picked), width)
        # Fortran order: frame t of every band and matrix lies together.
        matrices = count * n_bands
        block = self._read(self.at + start * matrices * size, width * matrices * size)
        frames = block.view(self.dtype).reshape(matrices, width, order="F")
        index = np.unravel_index(lead, tuple(outer)) if outer else ()
        rows = [
            int(np.ravel_multi_index((*index, b), (*outer, n_bands), order="F"))
            for b in picked
        ]
        return frames[rows]

    def _read(self, at: int, nbytes: int, into: np.ndarray | None = None) -> np.ndarray:
        """Read ``nbytes`` at byte ``at`` into ``into`` (or new bytes); return them.

        In pieces of at most :data:`_PIECE` bytes (an interrupt is seen
        between them). Fewer bytes than asked: :class:`CutShort`.
        """
        import numpy as np

        fd = self._owned.fd
        if fd < 0:
            raise ValueError("read of a closed array file")
        buffer = np.empty(nbytes, np.uint8) if into is None else into
        view = memoryview(buffer).cast("B")  # type: ignore[arg-type]
        done = 0
        while done < nbytes:
            n = _pread_into(fd, view[done : done + _PIECE], at + done)
            if n == 0:
                raise cut_short(at - self.at + done, self.nbytes)
            done += n
        return buffer


def _pread_into(fd: int, view: memoryview, at: int) -> int:
    """Read into ``view`` from byte ``at`` of ``fd``; return how many bytes came."""
    if _PREADV is not None:
        got: int = _PREADV(fd, [view], at)
        return got
    os.lseek(fd, at, os.SEEK_SET)  # the file is this reader's own descriptor
    return os.readv(fd, [view])


_PREADV = getattr(os, "preadv", None)

#: Bytes read by one call at most (an interrupt waits for one piece at most).
_PIECE = 1 << 24


def read_if_small(array: NpyFile) -> np.ndarray | NpyFile:
    """Return ``array`` read whole if it is small, else ``array`` itself.

    For a reader of parts (:meth:`NpyFile.part`): one read of a small array
    costs less than a read per band.
    """
    return array if array.large else array.read()


#: Arrays of more bytes than this are read in parts by the readers that can
#: (statistics, thumbnails), and are checked for holes before they are read.
_READ_WHOLE = 1 << 24


#: What a manifest entry records of its one array: its shape, and its dtype
#: (None where the entry does not say).
Recorded = tuple[tuple[int, ...], str | None]


def recorded_array(entry: dict[str, Any]) -> Recorded | None:
    """Return the shape and dtype ``entry`` records of its one array, if it does.

    The dtype is a setting (``--dtype``), recorded in ``params`` when it is
    not the default; an entry without ``params`` (an older melcli) says none.
    Use it only for an entry of one array (segments as files are several).
    """
    import numpy as np

    shape = entry.get("shape")
    if not isinstance(shape, list) or not all(type(n) is int and n >= 0 for n in shape):
        return None
    params = entry.get("params")
    dtype = None
    if isinstance(params, dict):
        try:  # OUT's: a name numpy does not know says nothing
            dtype = np.dtype(str(params.get("dtype", "float32"))).name
        except (TypeError, ValueError):
            dtype = None
    return tuple(shape), dtype


#: What rebuilds an array of OUT that a reader cannot use while its manifest
#: entry says it is there: a run judges by size and time, and finds it up to
#: date as long as they are kept.
REBUILD = "delete it and run 'melcli mel' again to rebuild it"


def with_remedy(problem: str) -> str:
    """Say ``problem`` of an array OUT's manifest records with what rebuilds it.

    Unless it says already (:func:`check_recorded`'s words do).
    """
    return problem if "'melcli mel'" in problem else f"{problem}; {REBUILD}"


def check_recorded(array: np.ndarray | NpyFile, recorded: Recorded) -> None:
    """Raise ValueError if ``array`` is not of the shape and dtype its entry records.

    A size and a time can be kept while the bytes change (a crafted file, a
    header rewritten): the run, which judges by size and time, does not see
    it; every reader that reads the array (the data loader, ``melcli stats``,
    the gallery) does.
    """
    import numpy as np

    shape, dtype = recorded
    if array.shape == shape and (dtype is None or array.dtype == np.dtype(dtype)):
        return
    expected = f"{shape} {dtype}" if dtype is not None else f"{shape}"
    raise ValueError(
        f"holds a {array.shape} {array.dtype} array, not the {expected} array its "
        "manifest entry records: changed since melcli wrote it (delete it and run "
        "'melcli mel' again)"
    )


def array_differs(path: str, recorded: Recorded) -> bool:
    """Return whether the array file ``path`` is not the one its entry records.

    True when ``path`` is a regular file whose ``.npy`` header announces
    another shape or dtype than ``recorded``, or that is no whole ``.npy``
    file (its size is not the header's): what every reader refuses
    (:func:`check_recorded`, :func:`load_npy`). False when it agrees, and
    when there is no regular file there (a run's stamps tell that).

    For a run that cannot trust its entries (a store another program wrote,
    a ``manifest.jsonl`` or journal read as the truth): a crafted ``shape``
    or ``params`` is otherwise trusted by every run, and refused by every
    reader, for good. The header melcli writes is compared as text, one
    read; any other is parsed.
    """
    import numpy as np

    shape, dtype = recorded
    try:
        flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
        fd = open_file(path, flags)
    except OSError:
        return False
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            return False
        head = os.read(fd, 256)
        if dtype is not None and head[:8] == b"\x93NUMPY\x01\x00" and len(head) > 10:
            start = 10 + int.from_bytes(head[8:10], "little")
            descr = np.dtype(dtype).str
            text = (
                f"{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape!r}, }}"
            )
            header = head[10:start]
            if (
                len(head) >= start
                and header.endswith(b"\n")
                and header[:-1].rstrip(b" ") == text.encode()
            ):
                nbytes = np.dtype(dtype).itemsize
                for n in shape:
                    nbytes *= n
                return start + nbytes != st.st_size
        # Not as melcli writes it: parsed (a header of another numpy, version 2).
        with os.fdopen(os.dup(fd), "rb") as f:
            f.seek(0)
            try:
                found, _, found_dtype, nbytes = npy_header(f)
            except ValueError:
                return True
            data = f.tell()
    except OSError:
        return False
    finally:
        os.close(fd)
    if data + nbytes != st.st_size or found != shape:
        return True
    return dtype is not None and found_dtype != np.dtype(dtype)


def open_append(path: Path) -> int:
    """Open the regular file ``path`` to append (created if missing); return the fd.

    Open to read too (what is there may be checked). A symbolic link in its
    place is not followed, a FIFO is not waited on, and a hard link is not
    written through: ``OSError`` instead.
    """
    flags = os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK
    fd = interrupts.os_open(path, flags, 0o644)
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        os.close(fd)
        raise OSError("not a regular file")
    if st.st_nlink > 1:  # appending writes to every name, maybe outside OUT
        os.close(fd)
        raise OSError("a hard link, whose other names may be outside OUT")
    return fd


#: Seconds to wait, one after the other, for a lock held a moment.
_LOCK_RETRIES = (0.005, 0.01, 0.02, 0.05)


def _flock_soon(fd: int, mode: int) -> None:
    """Lock ``fd`` now, or within a tenth of a second; else BlockingIOError.

    A reader (the data loader, the gallery) asking whether a run writes OUT
    (:func:`writer_of`) holds a shared lock for microseconds: a run starting
    in that instant was refused as "another melcli run". A run holds it for
    as long as it runs.
    """
    import fcntl
    import time

    for pause in (*_LOCK_RETRIES, None):
        try:
            fcntl.flock(fd, mode | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if pause is None:
                raise
            time.sleep(pause)


class OutputLock:
    """Exclusive, non-blocking lock on an output folder (a context manager).

    With ``shared``, the lock is shared: any number of shared holders (the
    ``--shard`` runs, each also holding its own exclusive ``name``) exclude an
    exclusive holder (a whole run, ``melcli merge``), and the other way round.

    Raises
    ------
    UsageError
        On entry, if another process holds the lock.
    """

    def __init__(
        self, out: Path, *, name: str = LOCK_NAME, shared: bool = False
    ) -> None:
        self.path = out / name
        self.shared = shared
        self._fd: int | None = None
        #: While held, outputs under OUT are written through its folders'
        #: descriptors (:func:`melcli.write.confine`).
        self._confined = confine(out)
        self._confining = False

    def __enter__(self) -> OutputLock:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - not POSIX: no locking
            return self
        if self._fd is not None:
            # Entered again, it opened the file anew, was refused by its own
            # lock, and its cleanup closed the confinement and forgot the
            # descriptor that held it: OUT stayed locked for as long as the
            # process lived.
            raise UsageError(
                f"the lock on {display_path(self.path.parent)} is held already "
                "by this very call; it is not taken twice"
            )
        try:
            # Taken whole, the stop signals held (a wait of 85 ms at most): a
            # Ctrl-C once the lock was taken, before this returned, left it
            # held by an open descriptor no one would close, and a Python
            # caller's next run on OUT was refused as "another melcli run"
            # for as long as its process lived (a notebook's kernel).
            with interrupts.deferred():
                self._fd = self._open()
                self._lock(self._fd, fcntl.LOCK_SH if self.shared else fcntl.LOCK_EX)
                self._confined.__enter__()
                self._confining = True
                # Let go as an API call ends, if not by then (see __exit__).
                interrupts.undo_when_the_call_ends(self._let_go)
        except BaseException:  # refused, or a stop signal: nothing left open
            with interrupts.deferred():
                self.__exit__(None, None, None)
            raise
        return self

    def _lock(self, fd: int, mode: int) -> None:
        try:
            _flock_soon(fd, mode)
        except BlockingIOError:
            holder = _holder(fd, shared=self.shared)
            raise UsageError(
                f"another melcli run ({holder}) is writing to {self.path.parent}; "
                "wait for it to finish"
            ) from None
        # Shared holders leave the last exclusive one's pid. A hard link's
        # other names may be outside OUT: the pid is not written over them.
        if not self.shared and os.fstat(fd).st_nlink == 1:
            # Only for the message another run shows: a full disk (ENOSPC,
            # EDQUOT) leaves the file empty, "another melcli run" alone.
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 0)
                os.write(fd, str(os.getpid()).encode())
        _HELD.add(fd)

    def _open(self) -> int:
        """Open the lock file: a regular file, never a link, FIFO or folder."""
        # Not through a symbolic link (the pid is written into the file), and
        # not waiting on a FIFO put in its place.
        flags = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK
        reason = None
        folder = self.path.parent
        try:
            make_folders(folder)
        except FileExistsError:  # OUT is there, and no folder
            raise UsageError(
                f"cannot write to {display_path(folder)}: {not_a_folder(folder)}"
            ) from None
        except OSError:
            pass  # said by the open below
        try:
            fd = interrupts.os_open(self.path, flags, 0o644)
        except OSError as exc:
            reason = os_reason(exc)
            try:
                mode: int | None = os.lstat(self.path).st_mode
            except OSError:
                mode = None
        else:
            mode = os.fstat(fd).st_mode
            if stat.S_ISREG(mode):
                return fd
            os.close(fd)
        if mode is not None and stat.S_ISLNK(mode):
            reason = f"{self.path.name} is a symbolic link (remove it)"
        elif mode is not None and stat.S_ISDIR(mode):
            reason = f"{self.path.name} is a folder, not a file (remove it)"
        elif mode is not None and not stat.S_ISREG(mode):
            what = file_kind(mode)
            reason = f"{self.path.name} is not a regular file ({what}; remove it)"
        raise UsageError(
            f"cannot write to {display_path(self.path.parent)}: {reason}"
        ) from None

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._let_go()

    def _let_go(self) -> None:
        """End the confinement and release the lock, if not done yet.

        Whole, the stop signals held: a Ctrl-C as the confinement ended
        skipped closing the lock's descriptor, and OUT stayed locked for as
        long as the caller's process lived. One at ``__exit__``'s first line
        stops it before this: an API call lets go as it ends
        (:func:`melcli.interrupts.undo_when_the_call_ends`).
        """
        with interrupts.deferred():
            if self._confining:
                self._confining = False
                self._confined.__exit__(None, None, None)
            if self._fd is not None:
                _HELD.discard(self._fd)
                os.close(self._fd)  # closing releases the lock
                self._fd = None


#: The descriptors of the locks this process holds.
_HELD: set[int] = set()


def _release_in_child() -> None:
    """Close the locks' descriptors in a process forked from this one.

    A lock belongs to the open file, which a forked child shares: a worker
    left running after its run was killed would hold OUT's lock for as long
    as it lives. (A child started with exec does not get them at all.)
    """
    for fd in _HELD:
        with contextlib.suppress(OSError):
            os.close(fd)
    _HELD.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_release_in_child)


def writer_of(out: Path) -> str | None:
    """Say which melcli run holds ``out``'s lock to write it (``pid N``), or None.

    Without taking the lock, nor creating or writing anything: for a reader
    (the data loader) telling a run still writing OUT from one that stopped.
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX: no locking
        return None
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = interrupts.os_open(out / LOCK_NAME, flags)
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:  # a whole run, or melcli merge
            return _holder(fd, shared=True)
        except OSError:
            return None
        return None
    finally:
        os.close(fd)  # (and so the shared lock, if taken)


def _holder(fd: int, *, shared: bool) -> str:
    """Say who holds the lock on ``fd``: ``pid N``, or ``--shard runs``.

    The pid in the file is the last exclusive holder's; shared holders (the
    ``--shard`` runs) do not write theirs, so when only they hold the lock the
    pid in the file is stale.
    """
    import fcntl

    if not shared:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            pass
        else:  # only shared holders: shards
            fcntl.flock(fd, fcntl.LOCK_UN)
            return "--shard runs"
    # Who holds it, as the system says: the pid in the file is only the one
    # the last exclusive holder wrote (if it could: not over a hard link,
    # nor on a full disk), and OUT's, which may be crafted or stale -- a
    # killed run's (its lock died with it: no longer held), or a process of
    # another machine or container sharing OUT.
    holders = _flock_holders(fd)
    if holders:
        return f"pid {', '.join(map(str, holders))}"
    # Not told (not Linux; a holder in another container): the file's, if
    # such a process runs here. Only a number is said, so that a crafted
    # file cannot forge a line of the message ("9\nerror: ...").
    pid = os.read(fd, 32).strip()
    if not pid.isdigit() or len(pid) > 10:
        return "pid ?"
    if not _running(int(pid)):
        return (
            f"pid ?; {LOCK_NAME} names pid {int(pid)}, which is not running "
            "here: perhaps a run on another machine or container sharing it"
        )
    return f"pid {int(pid)}"


def _flock_holders(fd: int) -> list[int]:
    """Return the pids the system says hold a ``flock`` on ``fd``'s file.

    But this process (another "run" in it, holding the lock by another
    descriptor: said by the file). From ``/proc/locks`` (Linux), by the
    file's device and inode; [] where it cannot tell. The exclusive holders
    if any (those a run waits for), else the shared ones.
    """
    try:
        st = os.fstat(fd)
        with open("/proc/locks", "rb") as f:
            text = f.read(1 << 22)
    except OSError:
        return []
    where = f"{os.major(st.st_dev):02x}:{os.minor(st.st_dev):02x}:{st.st_ino}"
    found: dict[int, bool] = {}
    for line in text.decode("ascii", "replace").splitlines():
        words = line.split()
        # "1: FLOCK  ADVISORY  WRITE 17417 fe:00:12156930 0 EOF"; a waiter's
        # line has "->" after the number.
        if len(words) < 6 or words[1] != "FLOCK" or words[5] != where:
            continue
        if words[4].isdigit() and int(words[4]) not in (0, os.getpid()):
            found[int(words[4])] = words[3] == "WRITE"
    exclusive = sorted(pid for pid, writes in found.items() if writes)
    return exclusive or sorted(found)


def _running(pid: int) -> bool:
    """Whether a process ``pid`` runs here (one of another user's counts)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, OverflowError):  # none, or past any pid
        return False
    except OSError:  # EPERM: there, another user's
        return True
    return True


def walk(
    top: str | os.PathLike[str], *, hidden: bool = True
) -> Iterator[tuple[str, list[str]]]:
    """Yield ``(folder, names of its entries but folders)`` for ``top`` and below.

    As ``os.walk`` goes (top down; links to folders are not followed; a
    folder that cannot be read is passed over), but without recursion:
    Python 3.11's ``os.walk`` recurses once per level, so an OUT nested a
    thousand folders deep (crafted, or a runaway script) ended the command in
    a RecursionError. With ``hidden=False``, folders named ``.*`` are not
    walked.

    Each folder below ``top`` is opened from the descriptor of the one above
    it, never through a link (as ``os.fwalk``): a folder swapped for a link
    to elsewhere between its listing and its turn is passed over, not
    listed (by path, the walk went on outside OUT). A descriptor follows its
    folder where it is moved: before a folder is listed, it is checked to
    be still below ``top`` (:func:`_in_place`); one moved out of OUT
    meanwhile is passed over, its folders too. ``top`` itself may be reached
    through links (the user named it). One descriptor is held per level
    below ``top``; a level past the process's limit is passed over.
    """
    root = os.fspath(top)
    try:
        fd = interrupts.os_open(root, _FOLDER)
    except OSError:
        return
    # Each frame: a folder's descriptor, its path, its folders yet to walk
    # (names, last first), its inode and device. Every descriptor held is
    # in fd or a frame.
    frames: list[tuple[int, str, list[str], tuple[int, int]]] = []
    try:
        while fd >= 0:
            listed = _list_folder(fd) if _in_place(frames, fd) else None
            if listed is None or not _in_place(frames, fd):
                fd, held = -1, fd
                os.close(held)
            else:
                names, folders = listed
                yield root, names
                below = [n for n in folders if hidden or n[0] != "."]
                st = os.fstat(fd)
                ident = (st.st_ino, st.st_dev)
                frames.append((fd, root, sorted(below, reverse=True), ident))
                fd = -1
            while fd < 0 and frames:  # the next folder that opens
                parent, folder, below, _ = frames[-1]
                if not below:
                    frames.pop()
                    os.close(parent)
                    continue
                name = below.pop()
                root = os.path.join(folder, name)
                with contextlib.suppress(OSError):  # a link, a file, gone
                    fd = interrupts.os_open(name, _FOLDER | _NOFOLLOW, dir_fd=parent)
    finally:
        for held, _, _, _ in frames:
            os.close(held)
        if fd >= 0:
            os.close(fd)


def _in_place(
    frames: Sequence[tuple[int, str, list[str], tuple[int, int]]], fd: int
) -> bool:
    """Return whether the folder open on ``fd`` is still where :func:`walk` found it.

    Its ``..``, as many levels up as it is below ``top`` (``frames``, one
    per level), must still be ``top`` (one ``stat``, the kernel walking up):
    a folder renamed out of OUT, its descriptor following it, is not below
    it any more. (Past :data:`_UP_MOST` levels, the folder that many levels
    up, itself checked so when it was listed.)
    """
    if not frames:
        return True
    up = min(len(frames), _UP_MOST)
    _, _, _, above = frames[len(frames) - up]
    try:
        st = os.stat("/".join([".."] * up), dir_fd=fd)
    except (OSError, ValueError):
        return False
    return (st.st_ino, st.st_dev) == above


#: The most levels :func:`_in_place` looks up at once (``../`` each: a path
#: of PATH_MAX bytes holds some 1 300).
_UP_MOST = 1000


_FOLDER = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0)
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


def _list_folder(fd: int) -> tuple[list[str], list[str]] | None:
    """Return the names in the folder open on ``fd``: (not folders, folders)."""
    names: list[str] = []
    folders: list[str] = []
    try:
        with os.scandir(fd) as entries:
            for entry in entries:
                try:
                    below = entry.is_dir(follow_symlinks=False)
                except OSError:
                    below = False
                (folders if below else names).append(entry.name)
    except OSError:
        return None
    return names, folders


def remove_leftovers(
    out: Path,
    *,
    owned: Container[Path] | None = None,
    failures: list[str] | None = None,
) -> list[Path]:
    """Delete temporary files a killed run left under ``out``; return them.

    With ``owned``, only the temporary files of those final paths (a shard's
    outputs: other shards may be writing theirs at the same time), each
    known by its exact form (:func:`melcli.write.is_temp_of`), not by a
    name's start: ``a.npy``'s are not ``a.npy.x.npy``'s. One of a long name
    (cut, with a hash of the whole) is matched by its prefix, when
    ``owned`` can be gone through (a set). ``failures``: as
    :func:`melcli.write.remove_files`.
    """
    cut: dict[str, set[str]] | None = None

    def ours(folder: str, name: str) -> bool:
        nonlocal cut
        if not (name.startswith(".") and name.endswith(TEMP_SUFFIX)):
            return False
        if owned is None:
            return True
        if Path(folder) / final_name(name) in owned and is_temp_of(
            name, f".{final_name(name)}."
        ):
            return True
        if not isinstance(owned, Iterable):
            return False
        if cut is None:  # long outputs' prefixes, by folder, made once
            cut = {}
            for path in owned:
                prefix = temp_prefix(path)
                if prefix != f".{path.name}.":
                    cut.setdefault(os.fspath(path.parent), set()).add(prefix)
        return any(is_temp_of(name, p) for p in cut.get(folder, ()))

    return remove_files(
        (
            Path(folder) / name
            for folder, files in walk(out)
            for name in files
            if ours(os.fspath(Path(folder)), name)
        ),
        failures=failures,
    )


def final_name(temp_name: str) -> str:
    """Return the name a temporary file was to become: ``.a.npy.x1y2.melcli-tmp``."""
    # atomic_write names it "." + name + "." + random letters (no dot) + suffix.
    return temp_name[1 : -len(TEMP_SUFFIX)].rpartition(".")[0]

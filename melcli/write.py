"""Atomic output: a final name only ever holds a complete file.

Every output is written to a temporary file in its target folder and renamed
over the final name with :func:`os.replace`, which is atomic on POSIX and
Windows. A crash leaves at most a hidden ``.NAME.*.melcli-tmp`` file behind,
never a truncated ``NAME``.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import io
import os
import threading
import warnings
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Literal

from . import interrupts
from .errors import MelcliError, os_reason

if TYPE_CHECKING:  # imported by save_npy: planning a run never loads numpy
    import numpy as np

#: Suffix of the temporary files melcli writes (and may clean up).
TEMP_SUFFIX = ".melcli-tmp"


def atomic_write(path: Path, write: Callable[[BinaryIO], None]) -> None:
    """Create ``path`` atomically with the bytes ``write(fileobj)`` produces.

    Parent folders are created as needed. If ``write`` raises, the temporary
    file is removed and the exception propagates; ``path`` is untouched.
    """
    target: AtomicFile | None = None
    try:
        # Made and kept whole: a signal's handler runs as a call of a class
        # returns, before its result is kept (the temporary file was left).
        with interrupts.deferred():
            target = AtomicFile(path)
        write(target.file)
        # In the try: a signal at commit's first line (before its own try)
        # left the temporary file behind.
        target.commit()
    except BaseException as exc:
        # numpy reports a short write as "N requested and M written": say why
        # (before removing the temp file, which frees the space it took).
        short = isinstance(exc, OSError) and exc.errno is None
        explained = _short_write(path, exc) if short else None  # type: ignore[arg-type]
        if target is not None:
            target.discard()
        if explained is not None:
            raise explained from None
        raise


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
        self._open(path)

    def _open(self, path: Path) -> None:
        self.path = path
        try:
            # Whole or not at all: a stop signal as the file object was made
            # (after os.fdopen returned, before it was kept) left the
            # temporary file behind, and its descriptor open.
            with interrupts.deferred():
                self._temp = _Temp(path)
                self.tmp = Path(self._temp.name)
                self.file: BinaryIO = os.fdopen(self._temp.fd, "wb")
        except BaseException:  # the signal held meanwhile, or a real error
            if hasattr(self, "file"):
                self.discard()
            elif hasattr(self, "_temp"):
                os.close(self._temp.fd)
                self._temp.discard()
            raise

    def commit(self) -> None:
        """Close the file and rename it to its final name."""
        try:
            self.file.close()
            if _commit_check is not None:
                _commit_check()
            self._temp.commit()
        except BaseException:
            self.discard()
            raise

    def discard(self) -> None:
        """Close and delete the temporary file; the final name is untouched."""
        with contextlib.suppress(OSError):  # flushing a full disk fails again
            self.file.close()
        self._temp.discard()


class _Temp:
    """The hidden temporary file of ``path``, created in its folder (made as needed).

    Under a folder melcli writes into (:func:`confine`), the file is created,
    and later renamed, relative to a descriptor of its folder, opened from
    that folder down without following a symbolic link that leads out of it
    (:func:`open_folder`): a folder of OUT swapped for a link to elsewhere
    while a run writes (a shared OUT) takes no output outside OUT. ``fd`` is
    the file's descriptor, which the caller writes and closes.
    """

    __slots__ = ("base", "done", "fd", "folder_fd", "name", "path", "temp")

    def __init__(self, path: str | os.PathLike[str], *, read: bool = False) -> None:
        self._make(path, read=read)

    @classmethod
    def made(cls, path: str | os.PathLike[str], *, read: bool = False) -> _Temp:
        """Return ``_Temp(path)``, kept by the caller whatever signal comes.

        Python runs a signal's handler as a call of a class returns (a C
        call), before its result is kept: ``_Temp(path)`` then left the file
        it had made behind. This method is a Python function, whose return
        Python does not interrupt; the caller keeps its result with no call
        between, then removes the file on any exception.
        """
        temp = cls.__new__(cls)  # nothing made yet
        temp._make(path, read=read)
        return temp

    def _make(self, path: str | os.PathLike[str], *, read: bool) -> None:
        self.path = path
        self.folder_fd: int | None = None
        self.done = False
        found = _folder_of(path, create=True)
        if found is None:
            self.fd, self.name = _create_temp(path, read=read)
            return
        self.folder_fd, self.base = found
        try:
            self.fd, self.temp = _create_temp(
                self.base, dir_fd=self.folder_fd, read=read
            )
        except BaseException:
            os.close(self.folder_fd)
            raise
        try:
            self.name = os.path.join(os.path.dirname(path), self.temp)
        except BaseException:  # a stop signal: the caller never got the file
            os.close(self.fd)
            self.discard()
            raise

    def commit(self) -> None:
        """Give the (closed) file its final name."""
        fd = self.folder_fd
        if fd is None:
            os.replace(self.name, self.path)
        else:
            # The folder's descriptor kept until the file has its name: a
            # failed rename's temporary file is deleted through it, not by a
            # path a swapped folder could lead elsewhere.
            os.replace(self.temp, self.base, src_dir_fd=fd, dst_dir_fd=fd)
            self.folder_fd = None
            os.close(fd)
        self.done = True

    def discard(self) -> None:
        """Delete the (closed) file, if it is there (not once committed)."""
        if self.done:
            return
        fd = self.folder_fd
        try:
            with contextlib.suppress(FileNotFoundError):
                if fd is None:
                    os.unlink(self.name)
                else:
                    os.unlink(self.temp, dir_fd=fd)
        finally:
            if fd is not None:
                self.folder_fd = None
                os.close(fd)


def scratch_file(path: str | os.PathLike[str]) -> BinaryIO:
    """Return a file to write and read back, in the folder of the output ``path``.

    Made as an output's temporary file is (its folder made as needed, and
    inside OUT under :func:`confine`), and deleted at once: it has no name,
    and its space is freed when it is closed.
    """
    temp = _Temp.made(path, read=True)
    try:
        temp.discard()
    except BaseException:
        os.close(temp.fd)
        raise
    return os.fdopen(temp.fd, "w+b")


def _create_temp(
    path: str | os.PathLike[str], *, dir_fd: int | None = None, read: bool = False
) -> tuple[int, str]:
    """Create the hidden temporary file of ``path`` in its folder; return (fd, name).

    Parent folders are created as needed (not with ``dir_fd``, where ``path``
    is a name in that open folder). With ``read``, open to read it back too.
    """
    folder = os.path.dirname(path)
    prefix = os.path.join(folder, temp_prefix(path))
    # Cheaper than tempfile.mkstemp (a third of a small output's cost), and
    # the folder is made only when the file cannot be created without it.
    made = dir_fd is not None
    flags = (_CREATE ^ os.O_WRONLY) | os.O_RDWR if read else _CREATE
    while True:
        tmp = f"{prefix}{os.urandom(_RANDOM_PART // 2).hex()}{TEMP_SUFFIX}"
        try:
            # With the usual permissions (0o666 less the umask), as the
            # final file should have: nothing to change at commit.
            return interrupts.os_open(tmp, flags, 0o666, dir_fd=dir_fd), tmp
        except FileExistsError:  # 1 in 4 billion: draw another name
            continue
        except FileNotFoundError:  # the first output in its folder
            if made:
                raise
            make_folders(folder)
            made = True
        except BaseException as exc:
            # A stop signal's handler runs as os.open returns, before its
            # descriptor is kept: the file exists, and no one would delete
            # it. (Its descriptor is closed by interrupts.os_open.)
            if not isinstance(exc, Exception):
                with contextlib.suppress(OSError):
                    os.unlink(tmp, dir_fd=dir_fd)
            raise


class LeadsOutside(MelcliError, OSError):
    """A folder on an output's way is a symbolic link that leads out of OUT.

    ``filename`` is that link, ``target`` where it leads (by its text: what
    is there is not looked at); ``strerror`` says why in words without them.
    """

    def __init__(self, link: str, target: str) -> None:
        why = "a folder on its way is a symbolic link out of the output folder"
        super().__init__(errno.EXDEV, why, link)
        self.target = target

    def __str__(self) -> str:
        return (
            f"{self.filename} leads outside the output folder (a symbolic link, "
            f"to {self.target}); melcli writes only inside OUT"
        )


@contextlib.contextmanager
def confine(root: str | os.PathLike[str]) -> Iterator[None]:
    """Write every output under ``root`` through :func:`open_folder`, meanwhile.

    ``root`` (OUT) itself may be reached through symbolic links (the user
    named it); the folders below it are trusted only as far as they stay
    below it. Outputs elsewhere (a user's own :func:`save_npy`) are written
    by path, as before. For this process (a run, and each of its workers).
    """
    try:
        key = os.path.abspath(root)
    except OSError:  # a relative root, the working folder deleted: as before
        yield
        return
    with _ROOTS_LOCK:  # threads of one process (a loader's) share the roots
        _ROOTS[key] = _ROOTS.get(key, 0) + 1
    try:
        yield
    finally:
        with _ROOTS_LOCK:
            left = _ROOTS.pop(key) - 1
            if left:
                _ROOTS[key] = left


#: The folders :func:`confine` keeps outputs under, and how many times each.
_ROOTS: dict[str, int] = {}
_ROOTS_LOCK = threading.Lock()


def _new_roots_lock() -> None:
    """Make :data:`_ROOTS_LOCK` anew in a process forked from this one.

    A child is forked with the lock as it was: held, if another thread of
    the parent was in :func:`confine` at that instant (a loader's thread
    while a DataLoader forks its workers). No thread of the child would ever
    release it, and the child's first :func:`confine` waited forever.
    """
    global _ROOTS_LOCK
    _ROOTS_LOCK = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_new_roots_lock)


def _confining(path: str | os.PathLike[str]) -> tuple[str, str] | None:
    """Return ``(root, name under it)`` if ``path`` is under a :func:`confine` root."""
    if not _ROOTS or os.open not in os.supports_dir_fd:
        return None
    try:
        full = os.path.abspath(path)
    except OSError:  # the working folder deleted: a relative path leads nowhere
        return None
    best = None
    for root in tuple(_ROOTS):  # another thread may add one meanwhile
        top = root.rstrip(os.sep) + os.sep
        if full.startswith(top) and (best is None or len(root) > len(best)):
            best = root
    if best is None:
        return None
    return best, full[len(best.rstrip(os.sep)) + 1 :].replace(os.sep, "/")


def open_folder(root: str, folder: str, *, create: bool = False) -> int:
    """Open the folder ``root/folder`` without leaving ``root``; return its descriptor.

    Each part of ``folder`` is opened from the one above it, never following
    a symbolic link blindly: a link is followed only where it leads, by its
    own text, to a folder under ``root`` (walked the same way), as
    ``openat2(RESOLVE_IN_ROOT)`` would. So what a run checked before it
    started cannot be swapped under it: a folder replaced meanwhile by a link
    to elsewhere raises :class:`LeadsOutside`, a file in a folder's place
    ``NotADirectoryError``. With ``create``, missing folders are made.
    """
    pending = [part for part in reversed(folder.split("/")) if part]
    where: list[str] = []  # the folders below root down to fd's
    links = 0
    # interrupts.os_open: a signal as os.open returned lost the descriptor.
    try:
        fd = interrupts.os_open(root, _FOLDER)
    except FileNotFoundError:
        if not create:
            raise
        make_folders(root)  # OUT deleted during the run: made again, as by path
        fd = interrupts.os_open(root, _FOLDER)
    # Every descriptor this holds is in fd or new (-1: none), and each is
    # handed from one to the other by assignments alone, no call between:
    # Python runs a signal's handler only at a call or a loop's turn, so a
    # KeyboardInterrupt at any moment finds each open one there, closed
    # once below (an API caller's Ctrl-C leaked the next folder's).
    new = -1
    try:
        while pending:
            part = pending.pop()
            if part == ".":
                continue
            if part == "..":  # from folder's own text (a link's is resolved)
                if not where:
                    raise LeadsOutside(os.path.join(root, folder), "..")
                # Walked down from root again, by name: the folder open on
                # fd may have been moved out of OUT since it was opened (a
                # descriptor follows its folder), and its ".." with it.
                fd, old = -1, fd
                os.close(old)
                fd = interrupts.os_open(root, _FOLDER)
                pending.extend(reversed(where[:-1]))
                where = []
                continue
            else:
                try:
                    new = _open_part(part, fd, create=create)
                except OSError as exc:
                    if exc.errno not in (errno.ELOOP, errno.ENOTDIR):
                        raise
                    try:
                        text = os.readlink(part, dir_fd=fd)
                    except OSError:
                        raise exc from None  # a file in a folder's place
                    link = os.path.join(root, *where, part)
                    links += 1
                    if links > _MAX_LINKS:
                        raise OSError(
                            errno.ELOOP, os.strerror(errno.ELOOP), link
                        ) from None
                    # Where it leads, as its text says, from root again: the
                    # folders walked so far are real ones (links resolved), so
                    # the text's ".." are taken by name (out/a -> ../out/b).
                    inside = _led_to(root, where, text)
                    if inside is None:
                        target = os.path.normpath(os.path.join(root, *where, text))
                        raise LeadsOutside(link, target) from None
                    fd, old = -1, fd
                    os.close(old)
                    fd = interrupts.os_open(root, _FOLDER)
                    where = []
                    pending.extend(p for p in reversed(inside.split("/")) if p)
                    continue
                where.append(part)
            fd, new, old = new, -1, fd
            os.close(old)
    except BaseException:
        for held in (fd, new):
            if held >= 0:
                os.close(held)
        raise
    return fd


def open_file(path: str | os.PathLike[str], flags: int, mode: int = 0o666) -> int:
    """``os.open(path, flags, mode)``; under a :func:`confine` root, without leaving it.

    For a file of OUT, read or written in place: its folder is opened by
    :func:`open_folder` (a link out of OUT on the way raises
    :class:`LeadsOutside`), the file relative to it, never through a link
    (``O_NOFOLLOW``: a link in its place raises ``ELOOP``, as before).
    """
    found = _folder_of(path)
    if found is None:
        return interrupts.os_open(path, flags, mode)
    folder, base = found
    opened = -1
    try:
        opened = interrupts.os_open(base or ".", flags | _NOFOLLOW, mode, dir_fd=folder)
        # Handed over by assignment, then closed: a signal as os.close
        # returned (a return value waiting while a finally block ran) lost
        # the file's descriptor.
        folder, old = -1, folder
        os.close(old)
    except BaseException:
        for held in (folder, opened):
            if held >= 0:
                os.close(held)
        raise
    return opened


def _folder_of(
    path: str | os.PathLike[str], *, create: bool = False
) -> tuple[int, str] | None:
    """Return ``path``'s folder, opened by :func:`open_folder`, and its name.

    Under a :func:`confine` root only: None elsewhere (``path`` is then used
    as it is). The caller closes the descriptor.
    """
    found = _confining(path)
    if found is None:
        return None
    root, rel = found
    folder, _, base = rel.rpartition("/")
    return open_folder(root, folder, create=create), base


def _open_part(part: str, fd: int, *, create: bool) -> int:
    """Open the folder ``part`` of the folder ``fd`` (not a link); make it if asked."""
    try:
        return interrupts.os_open(part, _FOLDER | _NOFOLLOW, dir_fd=fd)
    except FileNotFoundError:
        if not create:
            raise
    with contextlib.suppress(FileExistsError):  # made meanwhile: opened below
        os.mkdir(part, dir_fd=fd)
    return interrupts.os_open(part, _FOLDER | _NOFOLLOW, dir_fd=fd)


def _led_to(root: str, where: list[str], text: str) -> str | None:
    """Where a link in ``root/where`` with ``text`` leads, relative to ``root``.

    None if not under ``root``, as named or as it really is (OUT reached
    through a link): the text read by name, nothing outside looked at.
    """
    for top in dict.fromkeys((root, os.path.realpath(root))):
        top = top.rstrip(os.sep) or os.sep
        target = os.path.normpath(os.path.join(top, *where, text))
        if target == top:
            return "."
        if target.startswith(top.rstrip(os.sep) + os.sep):
            return target[len(top.rstrip(os.sep)) + 1 :]
    return None


_FOLDER = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0)
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
#: Symbolic links followed on one folder's way, as Linux's own limit.
_MAX_LINKS = 40


def make_folders(folder: str | os.PathLike[str]) -> None:
    """Create ``folder`` and its missing parents, as ``os.makedirs(exist_ok=True)``.

    Without recursion: ``os.makedirs`` and ``Path.mkdir(parents=True)`` call
    themselves once per missing parent, and a path a thousand folders deep
    (a ``--files-from`` line) ends in a RecursionError instead of the folders.

    Raises
    ------
    OSError
        As ``os.mkdir``: ``FileExistsError`` if a part is a file, not a folder.
    """
    path = name = os.fsdecode(folder)
    missing = []
    while path and not os.path.exists(path):
        missing.append(path)
        parent = os.path.dirname(path)
        if parent == path:
            break
        path = parent
    if not missing and not os.path.isdir(name):
        raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), name)
    for path in reversed(missing):
        try:
            os.mkdir(path)
        except FileExistsError:
            if not os.path.isdir(path):  # "a/." and "a/" exist once "a" is made
                raise


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
#: Hex digits of the hash after a cut name (:func:`temp_prefix`).
_HASH_PART = 8
#: The random part's characters (hex digits; older melclis' ``tempfile``'s too).
_HEX = frozenset("0123456789abcdefghijklmnopqrstuvwxyz_")
#: How a temporary file is opened, as :func:`tempfile.mkstemp` opens one: a new
#: file or an error, never an existing one (nor a symbolic link's target).
_CREATE = (
    os.O_WRONLY
    | os.O_CREAT
    | os.O_EXCL
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_BINARY", 0)
)


def temp_prefix(path: str | os.PathLike[str]) -> str:
    """Return the hidden prefix of ``path``'s temporary files: ``.NAME.``.

    A long ``NAME`` is cut (at a character boundary) so that the temporary
    name still fits in :data:`NAME_MAX` bytes: an output whose own name fits
    can always be written. The cut name is followed by a hash of the whole
    one (``.NAME-CUT.HASH.``): two names alike in their first 225 bytes
    have prefixes of their own, and one's temporary files are never taken
    for the other's (:func:`is_temp_of`).
    """
    budget = NAME_MAX - len(TEMP_SUFFIX) - _RANDOM_PART - 2
    name = whole = os.fsencode(os.path.basename(path))
    if len(name) > budget:
        name = name[: budget - 1 - _HASH_PART]
        while name:  # do not end inside a multi-byte character
            try:
                name.decode("utf-8")
                break
            except UnicodeDecodeError as exc:
                if exc.start < len(name) - 4:
                    break  # not UTF-8 anyway: any cut will do
                name = name[:-1]
        import hashlib  # here: a long name is rare, the import is not free

        tag = hashlib.blake2b(whole, digest_size=_HASH_PART // 2).hexdigest()
        return f".{os.fsdecode(name)}.{tag}."
    return f".{os.fsdecode(name)}."


def is_temp_of(name: str, prefix: str) -> bool:
    """Return whether ``name`` is a temporary file of the output of ``prefix``.

    ``prefix`` is :func:`temp_prefix`'s; the name must be it, the random
    part and :data:`TEMP_SUFFIX`, exactly: ``.a.npy.x.npy.1f2e3d4c.melcli-tmp``
    (of ``a.npy.x.npy``) starts with ``.a.npy.`` but is not ``a.npy``'s.
    """
    rest = name[len(prefix) :]
    return (
        name.startswith(prefix)
        and len(rest) == _RANDOM_PART + len(TEMP_SUFFIX)
        and rest.endswith(TEMP_SUFFIX)
        and all(c in _HEX for c in rest[:_RANDOM_PART])
    )


def remove_temp_files(
    paths: Iterable[Path], *, failures: list[str] | None = None
) -> list[Path]:
    """Delete the temporary files of ``paths`` (a worker killed while writing them).

    ``failures``: as :func:`remove_files`. Under a :func:`confine` root, each
    folder is listed through its descriptor opened from OUT down
    (:func:`open_folder`), and its files deleted as :func:`remove_files`
    deletes (each from OUT down): a folder swapped for a link out of OUT is
    neither listed nor emptied.
    """
    found: list[Path] = []
    for path in paths:
        prefix = temp_prefix(path)
        try:
            where = _folder_of(path)
        except OSError:  # gone, or leading out of OUT: none of OUT's there
            continue
        listed: Path | int = path.parent if where is None else where[0]
        try:
            found.extend(
                path.parent / name
                for name in os.listdir(listed)
                if is_temp_of(name, prefix)
            )
        except OSError:  # the folder not readable: nothing to delete
            pass
        finally:
            if where is not None:
                os.close(where[0])
    return remove_files(found, failures=failures)


def _short_write(path: Path, exc: OSError) -> OSError:
    """Say why a write came up short: most often, the disk is full."""
    try:
        full = os.statvfs(path.parent).f_bavail == 0
    except OSError:
        full = False
    if full:
        return OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    return OSError(errno.EIO, f"incomplete write ({exc})")


def save_npy(path: str | os.PathLike[str], array: np.ndarray) -> None:
    """Write ``array`` to ``path`` in ``.npy`` format, atomically.

    The bytes are those of :func:`numpy.save` (``allow_pickle=False``). An
    array of numbers is written by one system call on a bare descriptor, its
    header and its own memory gathered by ``os.writev`` (no copy of the
    array): a spectrogram of a short clip is a few kilobytes, and going
    through a file object and ``ndarray.tofile`` cost several times the write
    itself. Any other array goes through :func:`numpy.save` on a file object,
    which also keeps it from appending ``.npy`` to the temporary name.
    """
    import numpy as np

    if array.dtype.kind not in _NUMBERS:  # objects (refused), text, records
        atomic_write(Path(path), lambda f: np.save(f, array, allow_pickle=False))
        return
    # numpy's rule: Fortran order only for an array that is not C-ordered too.
    fortran = array.flags.f_contiguous and not array.flags.c_contiguous
    order: Literal["C", "F"] = "F" if fortran else "C"
    header = _npy_header(array.dtype, array.shape, fortran)
    body: bytes | memoryview
    if array.flags.c_contiguous or fortran:  # the array's memory as it is
        body = array.reshape(-1, order=order).view(np.uint8).data
    else:
        body = array.tobytes(order=order)
    temp = _Temp.made(path)
    try:
        try:
            _write_all(temp.fd, header, body)
        finally:
            os.close(temp.fd)
        if _commit_check is not None:
            _commit_check()
        temp.commit()
    except BaseException:
        temp.discard()
        raise


#: The kinds of dtype whose ``.npy`` bytes :func:`save_npy` writes itself:
#: booleans and numbers.
_NUMBERS = "biufc"


@functools.lru_cache(maxsize=256)
def _npy_header(dtype: np.dtype[Any], shape: tuple[int, ...], fortran: bool) -> bytes:
    """Return the ``.npy`` header :func:`numpy.save` writes for such an array."""
    import numpy as np

    fmt = np.lib.format
    header = {
        "descr": fmt.dtype_to_descr(dtype),
        "fortran_order": fortran,
        "shape": shape,
    }
    buffer = io.BytesIO()
    try:
        fmt.write_array_header_1_0(buffer, header)
    except ValueError:  # a header of over 64 KiB: numpy's version 2.0
        buffer = io.BytesIO()
        fmt.write_array_header_2_0(buffer, header)
    return buffer.getvalue()


def _write_all(fd: int, *parts: bytes | memoryview) -> None:
    """Write all of ``parts``, in order, to ``fd``.

    One ``os.writev`` gathers them, so that a header and an array's memory
    need not be joined (a copy of the array) to go in one system call. A
    write may take only part of them: the rest is written after it.
    """
    views = [memoryview(part).cast("B") for part in parts]
    while views:
        written = os.writev(fd, views)
        while views and written >= len(views[0]):
            written -= len(views.pop(0))
        if views:
            views[0] = views[0][written:]


def remove_files(
    paths: Iterable[Path], *, failures: list[str] | None = None
) -> list[Path]:
    """Delete ``paths``; return those that existed (and are now gone).

    A file that cannot be deleted (its folder in OUT made read-only) is left
    and the others go on: ``cannot delete PATH: permission denied`` is
    appended to ``failures``, or, without it, warned (a worker's warnings
    are its file's). Nothing is raised: a cleanup must not turn into the
    file's failure, nor stop the batch.
    """
    removed = []
    for path in paths:
        try:
            _unlink(path)
        except FileNotFoundError:
            continue
        except OSError as exc:
            reason = str(exc) if isinstance(exc, LeadsOutside) else os_reason(exc)
            said = f"cannot delete {os.fsdecode(path)}: {reason}"
            if failures is None:
                warnings.warn(said, stacklevel=2)
            else:
                failures.append(said)
            continue
        removed.append(path)
    return removed


def _unlink(path: Path) -> None:
    """Delete ``path``; under a :func:`confine` root, without leaving it.

    A folder on its way swapped for a link to elsewhere since the file was
    chosen raises :class:`LeadsOutside`: nothing outside OUT is deleted.
    """
    found = _folder_of(path)
    if found is None:
        path.unlink()
        return
    fd, base = found
    try:
        os.unlink(base, dir_fd=fd)
    finally:
        os.close(fd)

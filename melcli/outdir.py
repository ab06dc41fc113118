"""The output folder as shared state: one writer at a time, no leftovers.

A run holds an exclusive lock on ``OUT/.melcli.lock`` while it writes; a second
run on the same OUT fails at once instead of interleaving with it. A run that
was killed (even with SIGKILL) can leave hidden ``.NAME.*.melcli-tmp`` files;
the next run removes them before it starts.
"""

from __future__ import annotations

import os
from collections.abc import Container
from pathlib import Path
from types import TracebackType

from .errors import UsageError, os_reason
from .report import display_path
from .write import TEMP_SUFFIX, remove_files

LOCK_NAME = ".melcli.lock"


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

    def __enter__(self) -> OutputLock:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - not POSIX: no locking
            return self
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            reason = os_reason(exc)
            raise UsageError(
                f"cannot write to {display_path(self.path.parent)}: {reason}"
            ) from None
        try:
            mode = fcntl.LOCK_SH if self.shared else fcntl.LOCK_EX
            fcntl.flock(fd, mode | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(fd, shared=self.shared)
            os.close(fd)
            raise UsageError(
                f"another melcli run ({holder}) is writing to {self.path.parent}; "
                "wait for it to finish"
            ) from None
        if not self.shared:  # shared holders leave the last exclusive one's pid
            os.ftruncate(fd, 0)
            os.write(fd, str(os.getpid()).encode())
        self._fd = fd
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing releases the lock
            self._fd = None


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
    pid = os.read(fd, 32).decode(errors="replace").strip() or "?"
    return f"pid {pid}"


def remove_leftovers(out: Path, *, owned: Container[Path] | None = None) -> list[Path]:
    """Delete temporary files a killed run left under ``out``; return them.

    With ``owned``, only the temporary files of those final paths (a shard's
    outputs: other shards may be writing theirs at the same time).
    """
    return remove_files(
        Path(folder) / name
        for folder, _dirs, files in os.walk(out)
        for name in files
        if name.startswith(".")
        and name.endswith(TEMP_SUFFIX)
        and (owned is None or Path(folder) / final_name(name) in owned)
    )


def final_name(temp_name: str) -> str:
    """Return the name a temporary file was to become: ``.a.npy.x1y2.melcli-tmp``."""
    # atomic_write names it "." + name + "." + random letters (no dot) + suffix.
    return temp_name[1 : -len(TEMP_SUFFIX)].rpartition(".")[0]

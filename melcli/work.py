"""What a run's workers run: one task (decode, transform, write one file).

:class:`TaskWork` is the callable :func:`melcli.batch.run_plan` hands its
runner: picklable, it travels to every pool worker. It lives apart from
:mod:`melcli.batch` (the run around the tasks: the manifest, the journal,
the storage formats) so that a worker, and the fork server the workers come
from (:mod:`melcli._zygote`), import what a task needs and nothing of the run
around it (SQLite, the manifest's code): the server's imports are on the
way to a pool's first file.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from . import interrupts

if TYPE_CHECKING:
    from .discover import Task
    from .params import MelParams, RenderParams
    from .report import Result


class TaskWork:
    """Runs a task: :func:`melcli.pipeline.process_task`, imported on first use.

    The pipeline imports numpy, soundfile and soxr, about half of an
    up-to-date re-run's time; a run with nothing to build never needs them.

    A pool worker given several tasks at once first calls :meth:`prepare`
    (see :class:`melcli.runners.ProcessRunner`): small inputs are loaded
    ahead, together (:func:`melcli.pipeline.load_ahead`).

    Inputs not in the page cache: once a task has read from the disk (the
    process's ``ru_inblock`` grew), the inputs of the next :data:`READ_AHEAD`
    tasks are read by the kernel (``posix_fadvise(WILLNEED)``) while they
    wait their turn: those of the worker's message, or with :meth:`expect`
    those of the whole run (``-j 1``); and on, as long as that reads from the
    disk. A 5-s file read cold waited for the disk twice, 1.4-1.8 ms each,
    more than its work, and this machine drops cached pages within seconds
    (bench/README.md, issue 19, "twenty-second round"). Any read from the
    disk counts, the run's own first imports too (their pages leave the cache
    as well): a run over cached inputs may read ahead a few tasks' inputs
    after its first, at an open and a look at the pages (about 12 us) each.
    """

    def __init__(
        self,
        params: MelParams,
        render: RenderParams | None,
        out: str | os.PathLike[str] | None = None,
    ) -> None:
        self.params = params
        self.render = render
        #: OUT: the task's outputs are written without leaving it
        #: (:func:`melcli.write.confine`), in whichever process runs it.
        self.out = None if out is None else os.fspath(out)
        self.ahead: dict[str, Any] = {}
        #: The tasks to come, in order (:meth:`expect`, :meth:`prepare`); the
        #: next one to run, the end of those read ahead, and of those to read
        #: ahead (the inputs are cold), by index.
        self._coming: Sequence[Task] = ()
        self._next = self._read_to = self._cold_to = 0
        #: This process's reads from the disk so far (:func:`_disk_reads`).
        self._reads = 0

    def __getstate__(self) -> dict[str, Any]:
        return {
            "params": self.params,
            "render": self.render,
            "out": self.out,
            "ahead": {},
            "_coming": (),
            "_next": 0,
            "_read_to": 0,
            "_cold_to": 0,
            "_reads": 0,
        }

    def __call__(self, task: Task) -> Result:
        """Run ``task``, with its input if :meth:`prepare` loaded it ahead."""
        from .pipeline import process_task
        from .write import confine

        self._passed(task.job.src_name)
        # Before the task, not after it: a stop signal that comes meanwhile
        # finds nothing written and not yet recorded.
        reads = _disk_reads()
        if reads > self._reads:  # the task before read its input from the disk
            self._cold_to = self._next + READ_AHEAD
        self._reads = reads
        if self._next < self._cold_to:
            self._read_ahead()
        ahead = self.ahead.pop(task.job.src_name, None) if self.ahead else None
        with contextlib.nullcontext() if self.out is None else confine(self.out):
            return process_task(
                task, params=self.params, render=self.render, ahead=ahead
            )

    def prepare(self, tasks: Sequence[Task], started: Callable[[int], None]) -> None:
        """Load the small inputs of ``tasks`` ahead; ``started(i)``: on ``tasks[i]``."""
        from .pipeline import load_ahead

        self.expect(tasks)
        if self._next < self._cold_to:
            self._read_ahead()
        self.ahead = load_ahead(tasks, params=self.params, started=started)

    def expect(self, tasks: Sequence[Task]) -> None:
        """Note the tasks that come next, in the order they run (kept, not copied)."""
        cold = self._cold_to - self._next  # (a worker's next message)
        self._coming, self._next, self._read_to = tasks, 0, 0
        self._cold_to = max(0, cold)
        self._reads = _disk_reads()

    def _passed(self, name: str) -> None:
        """Move past the task of input ``name`` among those expected (if there)."""
        coming, at = self._coming, self._next
        for i in range(at, min(at + READ_AHEAD, len(coming))):
            if coming[i].job.src_name == name:
                self._next = i + 1
                return

    def _read_ahead(self) -> None:
        """Have the kernel read the inputs of the next :data:`READ_AHEAD` tasks.

        Where that read any from the disk, they are cold: the tasks after them
        are read ahead too, as they come.
        """
        coming = self._coming
        end = min(self._next + READ_AHEAD, len(coming))
        for i in range(max(self._read_to, self._next), end):
            job = coming[i].job
            # (Size 0: a FIFO or a device, as discovery saw it, or an empty
            # file: never opened here.)
            if not coming[i].render_only and job.stamp and 0 < job.stamp[0] <= READ_MAX:
                read_ahead(job.src_name)
        self._read_to = max(self._read_to, end)
        reads = _disk_reads()
        if reads > self._reads:
            self._cold_to = end + READ_AHEAD
        self._reads = reads


def _disk_reads() -> int:
    """Blocks this process has read from the disk (not from the cache); 0 if unknown."""
    try:
        import resource  # (imported already: a look in sys.modules)

        return resource.getrusage(resource.RUSAGE_SELF).ru_inblock
    except (ImportError, OSError):  # not POSIX
        return 0


#: Tasks whose inputs are read ahead of the one running, once inputs come
#: from the disk: at a few ms a file, tens of ms of work to cover a read.
READ_AHEAD = 16
#: Inputs larger than this are not read ahead (they are read in a stream).
READ_MAX = 1 << 23


def read_ahead(path: str) -> None:
    """Ask the kernel to read the regular file ``path`` into its cache, not waiting.

    A hint: any error (gone, a folder, no such call) is left to the task.
    Anything but a regular file is left unopened (a FIFO's writer would be
    woken, a terminal could become this process's); one swapped in since is
    opened without blocking nor taking a terminal, and left at once.
    """
    if not hasattr(os, "posix_fadvise"):  # (not on macOS)
        return
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return
        flags = os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC
        fd = interrupts.os_open(path, flags)
    except OSError:
        return
    try:
        if stat.S_ISREG(os.fstat(fd).st_mode):
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_WILLNEED)
    except OSError:
        pass
    finally:
        os.close(fd)

"""Runners: apply a picklable function to a batch, in process or in a pool.

A runner knows nothing of audio. It takes ``fn`` and items, and yields
``(item, outcome)`` as each finishes. :class:`SerialRunner` runs in this
process (``-j 1``); :class:`ProcessRunner` runs in a local pool of worker
processes. Another engine (a cluster) fits in by implementing :class:`Runner`.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import itertools
import os
import signal
import sys
import time
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Protocol, TypeVar

from . import transform
from .errors import MelcliError
from .params import MelParams

if TYPE_CHECKING:  # imported when a pool is used: a no-op re-run does without
    import concurrent.futures as cf

T = TypeVar("T")
R = TypeVar("R")


class Runner(Protocol):
    """Applies a picklable function to items and yields outcomes as they finish."""

    def run(
        self, fn: Callable[[T], R], items: Iterable[T]
    ) -> Iterator[tuple[T, R | BaseException]]:
        """Yield ``(item, fn(item))``, or ``(item, exception)`` if running it failed."""
        ...


class SerialRunner:
    """Runs everything in this process, in order (``-j 1``)."""

    def run(
        self, fn: Callable[[T], R], items: Iterable[T]
    ) -> Iterator[tuple[T, R | BaseException]]:
        """Yield ``(item, fn(item))`` one by one."""
        for item in items:
            try:
                yield item, fn(item)
            except Exception as exc:
                yield item, exc


class ProcessRunner:
    """Runs items in a pool of ``jobs`` worker processes.

    Workers start with the pipeline's modules already imported (forked from
    this process, or from a fork server that preloads them), so imports are
    paid once, not once per worker. At most a few items per worker are in
    flight, which keeps memory flat on huge batches. If a worker dies (killed,
    out of memory), the items it held fail and the pool is replaced.

    When the consumer stops early (an interrupt, ``--fail-fast``), the
    workers are terminated rather than awaited (see :func:`_exit_on_sigterm`:
    a worker in the middle of a file removes its temp file on the way out),
    and killed if still alive a second later. Workers ignore SIGINT; the
    parent decides.
    """

    def __init__(
        self,
        jobs: int,
        *,
        preload: Sequence[str] = ("melcli._preload",),
        warm_up: Callable[[], None] | None = None,
    ) -> None:
        self.jobs = max(1, jobs)
        self.preload = list(preload)
        self.warm_up = warm_up

    def run(
        self, fn: Callable[[T], R], items: Iterable[T]
    ) -> Iterator[tuple[T, R | BaseException]]:
        """Yield ``(item, outcome)`` in completion order."""
        pending = iter(items)
        first = next(pending, _NOTHING)
        if first is _NOTHING:  # nothing to do (an up-to-date re-run): no pool at all
            return
        pending = itertools.chain([first], pending)  # type: ignore[list-item]
        broken = True
        while broken:
            executor = self._executor()
            try:
                broken = yield from self._drain(executor, fn, pending)
            except BaseException:  # interrupted, or the consumer stopped
                _terminate_workers(executor)
                raise
            finally:
                executor.shutdown(wait=True, cancel_futures=True)

    def _drain(
        self, executor: cf.Executor, fn: Callable[[T], R], pending: Iterator[T]
    ) -> Generator[tuple[T, R | BaseException], None, bool]:
        """Run ``pending`` on ``executor``; return True if the pool broke."""
        import concurrent.futures as cf
        from concurrent.futures.process import BrokenProcessPool

        window = 4 * self.jobs
        in_flight: dict[cf.Future[R], T] = {}
        broken = False
        while True:
            if not broken:
                for item in itertools.islice(pending, window - len(in_flight)):
                    in_flight[executor.submit(fn, item)] = item
            if not in_flight:
                return broken
            done, _ = cf.wait(in_flight, return_when=cf.FIRST_COMPLETED)
            for future in done:
                item = in_flight.pop(future)
                try:
                    yield item, future.result()
                except BrokenProcessPool:
                    broken = True
                    yield (
                        item,
                        MelcliError("worker process died (killed or out of memory)"),
                    )
                except Exception as exc:
                    yield item, exc

    def _executor(self) -> cf.ProcessPoolExecutor:
        import concurrent.futures as cf
        import multiprocessing

        context = multiprocessing.get_context(_start_method())
        if isinstance(context, multiprocessing.context.ForkServerContext):
            context.set_forkserver_preload(self.preload)
        else:  # forked workers inherit what this process has imported...
            for module in self.preload:
                importlib.import_module(module)
            if self.warm_up is not None:  # ... and computed
                self.warm_up()
        return cf.ProcessPoolExecutor(
            max_workers=self.jobs, mp_context=context, initializer=_init_worker
        )


_NOTHING = object()


def _init_worker() -> None:
    global _IN_WORKER
    _IN_WORKER = True
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _exit_on_sigterm)


def _exit_on_sigterm(signum: int, frame: object) -> None:
    """Stop a worker: unwind a task (removing its temp file), else leave at once.

    Only inside a task is it safe to raise: between tasks the worker may be
    inside multiprocessing's queue code, where an exception would leave a lock
    held and the parent waiting forever. Later SIGTERMs are ignored, so that
    the unwinding itself is not interrupted.
    """
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    if _IN_TASK:
        raise SystemExit(128 + signum)
    os._exit(128 + signum)


def _terminate_workers(executor: cf.ProcessPoolExecutor, grace: float = 1.0) -> None:
    """SIGTERM every worker, and SIGKILL those still alive after ``grace`` s."""
    # concurrent.futures has no public way to stop running tasks; its process
    # table is private, hence getattr with a fallback.
    processes = list((getattr(executor, "_processes", None) or {}).values())
    for process in processes:
        if process.is_alive():
            process.terminate()
    deadline = time.monotonic() + grace
    for process in processes:
        process.join(max(0.0, deadline - time.monotonic()))
        if process.is_alive():
            process.kill()


def _start_method() -> str:
    """Fork on Linux before Python 3.12, else a fork server (or spawn).

    Forking from this process, which has already imported numpy, soundfile and
    melcli, starts a worker in milliseconds; a fork server first starts a new
    interpreter and imports them again (about 0.1 s more per run, measured
    side by side). Python 3.12 deprecates fork() in a process with threads
    (numpy's BLAS pool counts), so from 3.12 on the fork server is used.
    """
    if sys.platform == "linux" and sys.version_info < (3, 12):
        return "fork"
    import multiprocessing

    methods = multiprocessing.get_all_start_methods()
    return "forkserver" if "forkserver" in methods else "spawn"


def default_jobs() -> int:
    """Return the number of CPUs this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def make_runner(
    jobs: int | None,
    n_items: int,
    *,
    png: bool = False,
    params: MelParams | None = None,
) -> Runner:
    """Choose a runner: a pool only when there is more than one file and job.

    With ``png``, the workers also start with matplotlib imported, so that
    each does not import it again. With ``params``, forked workers start with
    the mel basis and the window already computed.
    """
    jobs = default_jobs() if jobs is None else jobs
    if jobs <= 1 or n_items <= 1:
        return SerialRunner()
    preload = [
        "melcli._preload",
        *(["melcli.render", "matplotlib.backends.backend_agg"] * png),
    ]
    warm_up = functools.partial(_warm_up, params) if params is not None else None
    return ProcessRunner(min(jobs, n_items), preload=preload, warm_up=warm_up)


def _warm_up(params: MelParams) -> None:
    """Compute once, before forking, what every worker would compute first."""
    transform.stft_window(params.window, params.effective_win_length, params.n_fft)
    if params.sr is not None:
        transform.mel_basis(params.sr, params=params)
    with transform.one_blas_thread():
        pass


@contextlib.contextmanager
def task_scope() -> Iterator[None]:
    """Mark a task as running, so that a SIGTERM unwinds it (removing temp files).

    Wrap the body of the function a pool runs with this.
    """
    global _IN_TASK
    _IN_TASK = True
    try:
        yield
    except SystemExit:
        if _IN_WORKER:
            # SIGTERM from the parent: the task's temporary output was removed
            # on the way here. Leave now, or concurrent.futures' worker loop
            # would catch this and start the next queued item.
            os._exit(128 + signal.SIGTERM)
        raise
    finally:
        _IN_TASK = False


#: True in pool workers (set by their initializer), and while one runs a task.
_IN_WORKER = False
_IN_TASK = False


__all__ = [
    "ProcessRunner",
    "Runner",
    "SerialRunner",
    "default_jobs",
    "make_runner",
    "task_scope",
]

"""Run the per-file work on a ``dask.distributed`` cluster (``--scheduler``).

:class:`DaskRunner` is a :class:`~melcli.runners.Runner`: the parent process
still plans the run, owns the manifest and prints the progress, exactly as
with the local pool; only the calls ``fn(item)`` run on the cluster's workers.
Workers read the inputs and write the outputs themselves, at the paths the
parent planned, made absolute: every worker must see SRC and OUT at the same
paths as the parent (a shared file system).

A worker that dies (killed, out of memory, its machine gone) takes its tasks
with it; the scheduler runs them again elsewhere, up to its
``distributed.scheduler.allowed-failures`` setting (3 by default), after which
the file fails with a clear reason. Outputs are written atomically (a temp file
renamed over the final name), so a task cut short leaves no partial output
under a final name; the run learns from :attr:`DaskRunner.lost_workers` that
such a worker may have left temporary files to sweep up.

Dask is an optional dependency (``pip install 'melcli[dask]'``): it is imported
only when a run uses it.
"""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import functools
import itertools
import logging
import math
import os
import statistics
import time
import uuid
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from . import interrupts
from .discover import Task
from .errors import MelcliError, UsageError
from .params import MelParams
from .pipeline import settings_warnings
from .report import Result
from .runners import _NOTHING, launch_fork_server

if TYPE_CHECKING:  # pragma: no cover - only for type checkers
    from distributed import Client

T = TypeVar("T")
R = TypeVar("R")

#: ``--scheduler`` value that starts a cluster on this machine.
LOCAL = "local"
#: Seconds to wait for the scheduler to answer when connecting.
CONNECT_TIMEOUT = 30.0
#: Tasks in flight per worker thread: enough to keep every worker busy while
#: results travel back, few enough that millions of files are not all
#: submitted (and held by the scheduler) at once.
TASKS_PER_THREAD = 4
#: A task carries several items when they are quick: Dask spends a few
#: milliseconds on each task (scheduling, messages, bookkeeping), as much as a
#: short file takes. Items go in batches of about this many seconds of work...
BATCH_SECONDS = 0.25
#: ... and at most this many (a lost worker's batch is computed again).
MAX_BATCH = 64
#: How often (seconds) the window follows a cluster that grows or shrinks.
RESIZE_EVERY = 2.0

INSTALL_HINT = "pip install 'melcli[dask]'"


def require_dask() -> None:
    """Raise :class:`UsageError` saying what to install if Dask is missing."""
    try:
        import distributed  # noqa: F401
    except ImportError:
        raise UsageError(
            "--scheduler needs dask.distributed, which is not installed: "
            + INSTALL_HINT
        ) from None


class DaskRunner:
    """Runs items on a ``dask.distributed`` cluster, a bounded window at a time.

    The first tasks carry one item each; then items are batched so that a task
    holds about :data:`BATCH_SECONDS` of work (measured on the workers), which
    keeps Dask's per-task cost small beside the work. Outcomes are still
    yielded item by item.

    Parameters
    ----------
    scheduler : str
        ``"local"`` to start a ``LocalCluster`` on 127.0.0.1 for this run, the
        address of a running scheduler (``tcp://HOST:PORT``), or the path of
        a scheduler file (``dask scheduler --scheduler-file``).
    jobs : int
        Worker processes of a local cluster (one thread each); the size of a
        remote cluster is its own.
    prepare : callable or None
        Applied to each item in this process before it is sent to a worker.
    restore : callable or None
        ``restore(item, outcome)`` turns a worker's result back into this
        process's terms.
    shared_paths : sequence of Path
        Folders every worker must see at the same path (checked when the run
        starts, with the workers' melcli and librosa versions).
    warm_up : callable or None
        Run on the worker before each task's items, its warnings ignored: what
        every item would compute first (cached after the first call), and whose
        warnings belong to the run, not to the item that happens to come first.

    Attributes
    ----------
    lost_workers : bool
        Set at the end of a run during which a worker left the cluster while
        it was running tasks (its temporary files may be left).
    """

    def __init__(
        self,
        scheduler: str,
        *,
        jobs: int = 1,
        prepare: Callable[[Any], Any] | None = None,
        restore: Callable[[Any, Any], Any] | None = None,
        shared_paths: Sequence[Path] = (),
        warm_up: Callable[[], object] | None = None,
    ) -> None:
        self.scheduler = scheduler
        self.jobs = max(1, jobs)
        self.prepare = prepare
        self.restore = restore
        self.shared_paths = [os.path.abspath(p) for p in shared_paths]
        self.warm_up = warm_up
        self.lost_workers = False
        #: Outcomes of batches that had finished when the run stopped early.
        self.late: list[tuple[Any, Any]] = []
        self.notes: list[str] = []

    def run(
        self, fn: Callable[[T], R], items: Iterable[T]
    ) -> Iterator[tuple[T, R | BaseException]]:
        """Yield ``(item, outcome)`` in completion order."""
        pending = iter(items)
        first = next(pending, _NOTHING)
        if first is _NOTHING:  # nothing to do: no cluster at all
            return
        pending = itertools.chain([first], pending)  # type: ignore[list-item]
        self.late = []
        with self._client() as client:
            mark = _event_mark(client)
            _check_workers(client, self.shared_paths)
            yield from self._drain(client, fn, pending)
            self.lost_workers = _workers_lost(client, mark)

    def _drain(
        self, client: Client, fn: Callable[[T], R], pending: Iterator[T]
    ) -> Generator[tuple[T, R | BaseException], None, None]:
        from distributed import as_completed

        done = as_completed(loop=client.loop)
        # A local cluster's workers see this process: they write nothing
        # more once it is gone (killed: nobody would record their files).
        run = os.getpid() if self.scheduler == LOCAL else None
        in_flight: dict[Any, tuple[Any, list[T]]] = {}
        prefix = f"melcli-{uuid.uuid4().hex[:12]}"
        counter = itertools.count()
        window, resized = _window(client), time.monotonic()
        pace = _BatchSize()
        # A finished batch's outcomes, not yet taken; the one handed on stays
        # until the consumer asks for the next (see melcli.runners.Runner.late).
        came: collections.deque[tuple[T, R | BaseException]] = collections.deque()
        try:
            while True:
                if time.monotonic() - resized > RESIZE_EVERY:
                    window, resized = _window(client), time.monotonic()
                while len(in_flight) < window:
                    batch = list(itertools.islice(pending, pace.batch))
                    if not batch:
                        break
                    sent = [self.prepare(i) for i in batch] if self.prepare else batch
                    future = client.submit(
                        _run_batch,
                        fn,
                        sent,
                        self.warm_up,
                        run,
                        key=f"{prefix}-{next(counter)}",
                    )
                    in_flight[future.key] = (future, batch)
                    done.add(future)
                if not in_flight:
                    return
                future = next(done)
                # A finished batch is in `in_flight` or in `came`, never in
                # neither (a signal in between would lose its files).
                with interrupts.deferred():
                    _, batch = in_flight.pop(future.key)
                    outcomes = _outcomes(future, len(batch))
                    future.release()
                    pace.update(seconds for _, seconds in outcomes)
                    for item, (outcome, _) in zip(batch, outcomes, strict=True):
                        if self.restore is not None and not isinstance(
                            outcome, BaseException
                        ):
                            outcome = self.restore(item, outcome)
                        came.append((item, outcome))
                while came:
                    yield came[0]
                    came.popleft()
        except BaseException:  # interrupted, or the consumer stopped
            self.late = [*came, *self._finished(in_flight.values())]
            futures = [future for future, _ in in_flight.values()]
            with contextlib.suppress(Exception):
                client.cancel(futures, force=True)
            raise

    def _finished(
        self, in_flight: Iterable[tuple[Any, list[T]]]
    ) -> list[tuple[T, Any]]:
        """Return the outcomes of the batches that had finished, not yet taken.

        Their files are written: the run records them rather than deleting
        them (see :func:`melcli.batch.run_plan`).
        """
        late: list[tuple[T, Any]] = []
        deadline = time.monotonic() + LATE_WITHIN
        for future, batch in in_flight:
            if future.status != "finished":
                continue
            try:
                timeout = max(0.1, deadline - time.monotonic())
                outcomes = list(future.result(timeout=timeout))
            except Exception:
                continue
            for item, (outcome, _) in zip(batch, outcomes, strict=False):
                if self.restore is not None and not isinstance(outcome, BaseException):
                    outcome = self.restore(item, outcome)
                late.append((item, outcome))
        return late

    @contextlib.contextmanager
    def _client(self) -> Iterator[Client]:
        """Connect to the scheduler (or start a local cluster); close on exit."""
        from distributed import Client

        cluster = None
        try:
            if self.scheduler == LOCAL:
                # Started whole, the stop signals held: interrupted while its
                # workers start, Dask printed tracebacks (from its own exit
                # handler closing workers not yet started, from workers whose
                # semaphores were gone). One that came meanwhile acts on
                # leaving this block, with a cluster that can be closed.
                with interrupts.deferred():
                    cluster = _local_cluster(self.jobs)
                    client = Client(cluster, set_as_default=False)
            elif self.scheduler.endswith(".json"):
                if not os.path.isfile(self.scheduler):
                    raise UsageError(
                        f"--scheduler {self.scheduler}: no such scheduler file "
                        "(give 'local', tcp://HOST:PORT or a Dask scheduler file)"
                    )
                client = Client(
                    scheduler_file=self.scheduler,
                    timeout=CONNECT_TIMEOUT,
                    set_as_default=False,
                )
            else:
                client = Client(
                    self.scheduler, timeout=CONNECT_TIMEOUT, set_as_default=False
                )
        except (OSError, TimeoutError, ValueError) as exc:
            if cluster is not None:
                cluster.close()
            raise UsageError(
                f"cannot reach the Dask scheduler at {self.scheduler}: {exc}"
            ) from None
        except BaseException:  # a stop signal, once the cluster started
            if cluster is not None:
                with interrupts.deferred():
                    cluster.close()
            raise
        try:
            yield client
        finally:
            client.close()
            if cluster is not None:
                cluster.close()


#: Seconds a stopped run waits for the outcomes of batches already finished.
LATE_WITHIN = 5.0


#: What the local cluster's worker processes start with (see
#: :func:`start_fork_server`): Dask, the pipeline, and melcli's command line,
#: which a worker would otherwise import again as its parent's main module.
WORKER_PRELOAD = (
    "distributed",
    "melcli._preload",
    "melcli.cli",
    "melcli._dask_worker",
)


def start_fork_server() -> bool:
    """Start the process the local cluster's workers will be forked from.

    Dask starts each worker of a ``LocalCluster`` as a fresh interpreter
    ("spawn"), which imports Dask and then melcli's pipeline again. Workers
    forked from a fork server that has imported them already start at once;
    and the server, started before this process imports Dask, imports them on
    another core meanwhile: a shorter run, measured side by side with
    ``make bench`` (k) (figures: bench/README.md, "Figures behind the code").

    Returns whether there is a fork server (not on Windows, nor without
    Dask). Starting it again does nothing: a server already running keeps its
    preload list.
    """
    import importlib.util
    import multiprocessing

    methods = multiprocessing.get_all_start_methods()
    if "forkserver" not in methods or importlib.util.find_spec("distributed") is None:
        return False
    launch_fork_server(WORKER_PRELOAD)
    return True


def _local_cluster(workers: int) -> Any:
    """Start a ``LocalCluster`` of ``workers`` one-thread processes on 127.0.0.1."""
    import dask
    from distributed import LocalCluster

    # Dask sets MALLOC_TRIM_THRESHOLD_=65536 in the workers it spawns, to hand
    # memory back to the OS sooner; every large numpy buffer then costs fresh
    # pages, and melcli's STFT took much longer (measured side by side; the
    # figure is in bench/README.md, "Figures behind the code"). An
    # explicit MALLOC_TRIM_THRESHOLD_ in the environment still wins. (Workers
    # forked from the fork server have the environment it started with.)
    settings: dict[str, Any] = {
        "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,
        # Each worker's statistical profiler samples its stack every 10 ms,
        # holding the GIL, for a dashboard this cluster does not have.
        "distributed.worker.profile.enabled": False,
    }
    if start_fork_server():
        settings["distributed.worker.multiprocessing-method"] = "forkserver"
    with dask.config.set(settings):
        return LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
            # No dashboard; its HTTP server (health checks) on a free port.
            scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
            # Only melcli speaks to the user: a file that fails is one line of
            # its own. Dask's errors would add tracebacks, such as a heartbeat
            # that meets the scheduler closing at the end of a run
            # (dask/distributed#7105), though nothing went wrong.
            silence_logs=logging.CRITICAL,
            preload=["melcli._dask_worker"],
        )


def _run_batch(
    fn: Callable[[T], R],
    items: list[T],
    warm_up: Callable[[], object] | None = None,
    run: int | None = None,
) -> list[tuple[R | Exception, float]]:
    """On a worker: ``(fn(item) or its exception, seconds)`` for each item.

    ``run``: the pid of the run, on this machine (a local cluster). Once that
    process has ended, no output takes its final name (:func:`_watch_run`).
    """
    if warm_up is not None:
        warm_up()  # settings_warnings: its warnings are recorded, not shown
    if run is not None:
        _watch_run(run)
    outcomes: list[tuple[R | Exception, float]] = []
    for item in items:
        started = time.perf_counter()
        try:
            outcome: R | Exception = fn(item)
        except Exception as exc:
            outcome = exc
        outcomes.append((outcome, time.perf_counter() - started))
    return outcomes


class RunGone(MelcliError):
    """The run that gave a local cluster's worker its task has ended."""


#: The run this worker process checks before each output's final name.
_watched: int | None = None


def _watch_run(run: int) -> None:
    """Refuse, from now on in this worker, to commit an output once ``run`` ended.

    A local cluster's workers outlive a run killed with SIGKILL for a moment
    (until Dask notices); a file finished meanwhile would appear in OUT with
    no manifest entry. The pool's workers do the same check
    (:func:`melcli.runners._die_with_parent`).
    """
    global _watched
    if _watched == run:
        return
    from . import write
    from .runners import _watch_process

    ended = _watch_process(run)
    if ended is None:  # no pidfd here: the run cannot be watched
        return

    def check() -> None:
        if ended():
            raise RunGone(f"the run (pid {run}) has ended")

    write.set_commit_check(check)
    _watched = run


def _outcomes(future: Any, n: int) -> list[tuple[Any, float]]:
    """Return a batch's outcomes, or the exception that stands for each."""
    from distributed import KilledWorker

    try:
        return list(future.result())
    except KilledWorker:
        error: Exception = MelcliError(
            "every Dask worker that ran it died (killed or out of memory)"
        )
    except Exception as exc:
        if type(exc).__name__ == "CancelledError":
            error = MelcliError("cancelled by the Dask scheduler")
        else:
            error = exc
    return [(error, 0.0)] * n


class _BatchSize:
    """How many items a task carries: about BATCH_SECONDS of recent work.

    (The local pool paces its workers differently: :class:`melcli.runners._Pace`.)

    The time per item is the median of the last items measured, so that the
    first items (which pay a worker's imports) do not weigh for long.
    """

    def __init__(self) -> None:
        self.batch = 1
        self._recent: collections.deque[float] = collections.deque(maxlen=256)

    def update(self, seconds: Iterable[float]) -> None:
        self._recent.extend(seconds)
        if self._recent:
            typical = statistics.median(self._recent)
            wanted = int(BATCH_SECONDS / typical) if typical > 0 else MAX_BATCH
            self.batch = max(1, min(MAX_BATCH, wanted))


def _window(client: Client) -> int:
    """Tasks to keep in flight: a few per worker thread the cluster has now."""
    threads = int(sum(client.nthreads().values()))
    return TASKS_PER_THREAD * max(1, threads)


def _event_mark(client: Client) -> float:
    """Return the scheduler's time of its latest event (``-inf`` if none).

    A time, not a count: the scheduler keeps only its last events (1000 by
    default, ``distributed.admin.low-level-log-length``), so on a cluster that
    has run for a while the count stays the same as events come and go.
    """
    events = client.get_events("all")
    return float(events[-1][0]) if events else -math.inf


def _workers_lost(client: Client, mark: float) -> bool:
    """Return whether a worker running tasks left the cluster after ``mark``."""
    return any(
        msg.get("action") == "remove-worker" and msg.get("processing-tasks")
        for when, msg in client.get_events("all")
        if when > mark and isinstance(msg, dict)
    )


def _check_workers(client: Client, paths: Sequence[str]) -> None:
    """Fail early if a worker lacks melcli, runs another version, or lacks a path."""
    from .manifest import versions

    try:
        facts = client.run(_worker_facts, list(paths))
    except Exception as exc:
        raise UsageError(
            f"a Dask worker cannot run melcli ({type(exc).__name__}: {exc}); "
            "install the same melcli on every worker"
        ) from None
    here = versions()
    for worker, (theirs, missing) in sorted(facts.items()):
        if theirs != here:
            raise UsageError(
                f"Dask worker {worker} runs melcli {theirs['melcli']} with librosa "
                f"{theirs['librosa']}, this process melcli {here['melcli']} with "
                f"librosa {here['librosa']}: install the same versions everywhere"
            )
        if missing:
            raise UsageError(
                f"Dask worker {worker} does not see {missing[0]}: workers must "
                "share the file system with this process, at the same paths"
            )


def _worker_facts(paths: list[str]) -> tuple[dict[str, str], list[str]]:
    """On a worker: its melcli/librosa versions and which ``paths`` it lacks."""
    from .manifest import versions

    return versions(), [p for p in paths if not os.path.isdir(p)]


# ---------------------------------------------------------- melcli's tasks
def absolute_task(task: Task) -> Task:
    """Return ``task`` with absolute paths, as a worker elsewhere needs them."""
    job = task.job
    absolute = job.replace(
        src=Path(os.path.abspath(job.src)),
        npy=Path(os.path.abspath(job.npy)),
        png=Path(os.path.abspath(job.png)) if job.png is not None else None,
    )
    return dataclasses.replace(task, job=absolute)


def local_result(task: Task, result: Result) -> Result:
    """Give a worker's result the paths of ``task`` as this process planned them.

    Outputs the plan does not name (segments ``NAME.001.npy``, ... next to
    ``NAME.000.npy``) are put in their planned folder too: the run compares
    them with the names of its earlier outputs.
    """
    job = task.job
    planned = {Path(os.path.abspath(p)): p for p in (job.src, *job.outputs)}
    folders = {p.parent: planned_path.parent for p, planned_path in planned.items()}

    def planned_as(path: Path) -> Path:
        if path in planned:
            return planned[path]
        if path.parent in folders:
            return folders[path.parent] / path.name
        return path

    return dataclasses.replace(
        result,
        src=job.src,
        outputs=tuple(planned_as(p) for p in result.outputs),
    )


def make_dask_runner(
    scheduler: str,
    *,
    jobs: int,
    out: Path,
    params: MelParams | None = None,
) -> DaskRunner:
    """Return the runner of ``melcli mel --scheduler``, for tasks writing into ``out``.

    Raises
    ------
    UsageError
        If Dask is not installed.
    """
    require_dask()
    return DaskRunner(
        scheduler,
        jobs=jobs,
        prepare=absolute_task,
        restore=local_result,
        shared_paths=[out],
        # The run reports the settings' warnings once (batch.run_plan).
        warm_up=functools.partial(settings_warnings, params) if params else None,
    )


__all__ = [
    "LOCAL",
    "DaskRunner",
    "absolute_task",
    "local_result",
    "make_dask_runner",
    "require_dask",
    "start_fork_server",
]

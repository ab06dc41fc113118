"""Runners: apply a picklable function to a batch, in process or in a pool.

A runner knows nothing of audio. It takes ``fn`` and items, and yields
``(item, outcome)`` as each finishes. :class:`SerialRunner` runs in this
process (``-j 1``); :class:`ProcessRunner` runs in a local pool of worker
processes. Another engine (a cluster) fits in by implementing :class:`Runner`.
"""

from __future__ import annotations

import collections
import contextlib
import errno
import functools
import importlib
import itertools
import math
import operator
import os
import select
import signal
import sys
import threading
import time
import warnings
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from typing import Any, Generic, Protocol, TypeVar

from . import _zygote, interrupts, write
from .errors import MelcliError, number
from .params import MelParams

T = TypeVar("T")
R = TypeVar("R")


class Runner(Protocol):
    """Applies a picklable function to items and yields outcomes as they finish.

    Besides :meth:`run`, a runner tells the run three things, read when the
    run ends (a runner with only :meth:`run` has none of them to tell):

    Attributes
    ----------
    notes : list of str
        What the run should be told about the runner (fewer workers than
        asked, because of the open-file limit).
    late : list of (item, outcome)
        Set when :meth:`run` ends early (an interrupt, or the consumer
        stopped): the outcomes the workers finished that the consumer may not
        have recorded. Those that had come in and were not yet taken, and the
        last one handed on, which stays here until the consumer asks for the
        next: a signal may come after the consumer got it and before it
        recorded it. The consumer takes those it has not recorded.
    lost_workers : bool
        A worker was lost while it ran an item: its temporary files may be
        left (a Dask worker that left its cluster).
    """

    notes: list[str]
    late: list[tuple[Any, Any]]
    lost_workers: bool

    def run(
        self, fn: Callable[[T], R], items: Iterable[T]
    ) -> Iterator[tuple[T, R | BaseException]]:
        """Yield ``(item, fn(item))``, or ``(item, exception)`` if running it failed."""
        ...


def run_batches(
    runner: Runner, fn: Callable[[T], R], items: Iterable[T]
) -> Generator[list[tuple[T, R | BaseException]], None, None]:
    """Yield ``runner``'s outcomes in lists: as they were collected, or one by one.

    A runner with a ``run_batches`` method (:class:`ProcessRunner`) gives the
    outcomes that came together as one list; any other runner's come one to
    a list. Closing this closes the runner's iterator (its workers stop).
    """
    own = getattr(runner, "run_batches", None)
    if own is not None:
        yield from own(fn, items)
        return
    outcomes = runner.run(fn, items)
    try:
        for outcome in outcomes:
            yield [outcome]
    finally:
        close = getattr(outcomes, "close", None)
        if close is not None:
            close()


class SerialRunner:
    """Runs everything in this process, in order (``-j 1``)."""

    def __init__(
        self, *, notes: Sequence[str] = (), preload: Sequence[str] = ()
    ) -> None:
        #: What the run should be told (a pool that did not fit, see make_runner).
        self.notes = list(notes)
        #: Modules imported before the first item, with Ctrl-C held (below).
        self.preload = list(preload)
        self.late: list[tuple[Any, Any]] = []  # nothing runs elsewhere
        self.lost_workers = False

    def run(
        self, fn: Callable[[T], R], items: Iterable[T]
    ) -> Iterator[tuple[T, R | BaseException]]:
        """Yield ``(item, fn(item))`` one by one."""
        self.late = []
        preload = self.preload
        for item in items:
            # The first item would import these (soxr's module set-up among
            # them) with signals live: a signal's exception raised inside a C++
            # extension's set-up aborts the process (nanobind: status -6). So
            # they are imported first, with Ctrl-C held until they are done;
            # only once there is an item (an up-to-date run needs none).
            with interrupts.deferred():
                for module in preload:
                    importlib.import_module(module)
            preload = []
            outcome: R | BaseException
            try:
                outcome = fn(item)
            except Exception as exc:
                outcome = exc
            self.late = [(item, outcome)]  # until the consumer asks for the next
            yield item, outcome
            self.late = []


class ProcessRunner:
    """Runs items in a pool of ``jobs`` worker processes, one item at a time each.

    Workers start with the pipeline's modules already imported (forked from
    this process, or from a fork server that preloads them), so imports are
    paid once, not once per worker. A worker holds a few items (see
    :class:`_Pace`; several short ones travel in one message), which it runs
    in order, sending each outcome as it finishes (those of short items a few
    milliseconds' worth at a time), and the parent always knows which item a
    worker is working on (the first it holds, or the one it has marked: see
    :func:`_worker_main`):

    - a worker that dies (killed, out of memory, crashed in C) fails only the
      item it was working on, with the cause; a fresh worker takes its place,
      and the items it held but had not started run elsewhere;
    - with ``timeout``, a worker still on one item after that many seconds is
      stopped (SIGTERM, and SIGKILL a second later: a decoder stuck in C code
      cannot be interrupted from inside) and replaced; the item fails with
      ``timed out after N s``;
    - a worker found dead when it is given an item (killed between two
      looks) is settled like one that died: the item goes elsewhere.

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
        timeout: float | None = None,
        setup: Callable[[], None] | None = None,
    ) -> None:
        self.jobs = max(1, jobs)
        self.preload = list(preload)
        self.warm_up = warm_up
        #: What every worker runs first, in its own process (never in this one).
        self.setup = setup
        self.timeout = timeout if timeout else None
        #: What the run should be told about the pool (fewer workers than asked).
        self.notes: list[str] = []
        #: What the workers finished that the consumer may not have recorded,
        #: when :meth:`run` ends early (see :class:`Runner`).
        self.late: list[tuple[Any, Any]] = []
        #: A dead worker's temp files are removed by the pool itself.
        self.lost_workers = False
        #: How its workers start (multiprocessing's name), once it has any.
        self._method = _start_method()

    def run(
        self, fn: Callable[[T], R], items: Iterable[T]
    ) -> Iterator[tuple[T, R | BaseException]]:
        """Yield ``(item, outcome)`` in completion order."""
        batches = self.run_batches(fn, items)
        try:
            for batch in batches:
                yield from batch
        finally:
            batches.close()  # its workers are stopped now, not when collected

    def run_batches(
        self, fn: Callable[[T], R], items: Iterable[T]
    ) -> Generator[list[tuple[T, R | BaseException]], None, None]:
        """Yield the ``(item, outcome)`` pairs in the lists they were collected in.

        With short items, the outcomes of a nap come together (see
        :class:`_Pace`): a consumer records them as one, not one by one. The
        list handed on stays in :attr:`late` until the consumer asks for the
        next.
        """
        total = operator.length_hint(items, -1)  # -1: not known
        pending = iter(items)
        first = next(pending, _NOTHING)
        if first is _NOTHING:  # nothing to do (an up-to-date re-run): no pool at all
            return
        pending = itertools.chain([first], pending)  # type: ignore[list-item]
        context = self._context()
        workers: list[_Worker[T, R]] = []
        came: collections.deque[tuple[T, R | BaseException]] = collections.deque()
        self.late = []
        with _blas_held_for_forks(context.get_start_method()):
            try:
                supply = _Supply(pending, total if total >= 0 else None)
                yield from self._drain(context, fn, supply, workers, came)
            except BaseException:  # interrupted, or the consumer stopped
                with interrupts.deferred():  # a second Ctrl-C must not leave some
                    self.late.extend(came)
                    self.late.extend(_terminate(workers))
                raise
            _stop_all(workers)

    def _drain(
        self,
        context: Any,
        fn: Callable[[T], R],
        supply: _Supply[T],
        workers: list[_Worker[T, R]],
        came: collections.deque[tuple[T, R | BaseException]],
    ) -> Iterator[list[tuple[T, R | BaseException]]]:
        pace = _Pace()
        while True:
            # The workers get their next items before the outcomes that came
            # are handed on: while the consumer records them, they work.
            if self._hand_out(context, fn, supply, workers, pace):
                continue  # a worker was lost: give its items to the others
            # What came is late until the consumer asks for more: if the run
            # stops, the consumer takes those it has not recorded.
            if came:
                yield list(came)
                came.clear()
            busy = [w for w in workers if w.items]
            if not busy:
                return
            ready = _ready(busy, 0.0 if supply.exhausted else pace.nap())
            pace.collected()
            for worker in busy:
                timed_out = False
                if worker.conn in ready or worker.process.sentinel in ready:
                    pass
                elif worker.deadline <= time.monotonic():
                    timed_out = True
                else:
                    continue
                # An outcome read from its pipe is kept in `came`, or not read
                # at all: a signal in between would lose it (and the run would
                # delete its file as never heard of).
                outcomes: list[tuple[T, R | BaseException]]
                with interrupts.deferred():
                    if timed_out:
                        outcomes = [self._time_out(worker)]
                    else:
                        outcomes = worker.collect_all()
                    if not worker.alive:
                        workers.remove(worker)
                        supply.retry.extend(worker.items)  # not started: not its fault
                        worker.items.clear()
                    came.extend(outcomes)

    def _new_worker(
        self, context: Any, fn: Callable[[T], R], pace: _Pace
    ) -> _Worker[T, R]:
        """Start a worker; once more if its fork server ended before answering.

        A fork server killed while a start waits for it (by the OOM killer,
        by hand, or in its imports) hangs up: an ``EOFError`` (or a
        refused connection) that ended the run as ``Aborted!``, nothing said.
        Once it has exited, multiprocessing starts a new one at the next
        start; a second hang-up fails the run with the reason.
        """
        for attempt in (1, 2):
            try:
                return _Worker(context, fn, self._worker_warm_up, self.timeout, pace)
            except (EOFError, ConnectionError) as exc:
                if attempt == 1 and _fork_server_ended(context):
                    continue
                if isinstance(exc, OSError):
                    raise
                raise MelcliError(
                    "cannot start a worker process: its fork server ended "
                    "before starting it"
                ) from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _hand_out(
        self,
        context: Any,
        fn: Callable[[T], R],
        supply: _Supply[T],
        workers: list[_Worker[T, R]],
        pace: _Pace,
    ) -> bool:
        """Give each worker up to ``pace.depth()`` items and send them.

        Returns whether a worker was lost (its items go to the others).

        Each worker holds the item it works on and the next ones, already in
        its pipe, so that it never waits for this process. What a worker is
        given goes in one message: with short items, several at once.
        """
        low = pace.low()
        depth = _even_depth(pace.depth(), supply.left(), workers, self.jobs)
        lost = False
        while True:
            # A worker is given more once it is down to ``low`` items not
            # started (or is being given some now), and then up to ``depth``:
            # with short items, a message of half its depth at least, not the
            # few it finished.
            hungry = [w for w in workers if w.alive and (w.unsent or w.left() <= low)]
            free = min(hungry, key=_Worker.left, default=None)
            live = [w for w in workers if w.alive]
            full = free is None or free.left() >= depth
            if full and len(workers) >= self.jobs:
                break
            item = supply.next()
            if item is _NOTHING:
                break
            fresh = free is None or (free.items and len(workers) < self.jobs)
            if fresh:
                # The workers there are start on what they were given while
                # the next one starts (a fork and a hand-over: milliseconds).
                lost = self._send(supply, workers) or lost
                try:
                    free = self._new_worker(context, fn, pace)
                except OSError as exc:
                    if exc.errno not in _NO_MORE_FILES or not live:
                        raise _cannot_start(exc) from None
                    # Out of file descriptors: go on with the workers there are.
                    self.notes.append(_fewer_workers(self.jobs, len(live), exc))
                    self.jobs = len(live)
                    supply.retry.appendleft(item)  # type: ignore[arg-type]
                    break
                workers.append(free)
            assert free is not None
            free.give(item)  # type: ignore[arg-type]
        return self._send(supply, workers) or lost

    def _send(self, supply: _Supply[T], workers: list[_Worker[T, R]]) -> bool:
        """Send each worker what it was given; return whether a worker was lost."""
        lost = False
        for worker in [w for w in workers if w.unsent]:
            items = list(worker.unsent)
            try:
                worker.send()
            except OSError:  # its pipe is broken: killed since last seen
                if not worker.started:  # a worker that cannot even start
                    raise
                supply.retry.extendleft(reversed(items))
                lost = True
                worker.alive = False  # what it holds is settled below
                if not worker.items:
                    workers.remove(worker)
                    worker.stop()
        return lost

    def _time_out(self, worker: _Worker[T, R]) -> tuple[T, BaseException]:
        """Stop ``worker``, still on its first item after ``timeout``; fail the item."""
        return worker.abandon(
            f"timed out after {number(self.timeout)} s (--timeout); its worker process "
            "was stopped",
            grace=_GRACE,
        )

    def start_server(self) -> None:
        """Start the fork server the workers will come from, if they come from one.

        Started at the first worker otherwise, by when this process has
        imported numpy and has other threads: then a Ctrl-C during the
        server's start-up cannot be kept from it (see
        :func:`melcli.interrupts.ctrl_c_ignored_by_new_programs`). Started
        early, its imports also overlap this process's planning.
        """
        if _start_method() == "forkserver" and not _zygote.running():
            launch_fork_server(self.preload)

    def _context(self) -> Any:
        import multiprocessing

        method = _start_method()
        # Forked from this process, unless a fork server was forked as the
        # command started, with the pool's imports (see melcli._zygote).
        if method == "fork" and _zygote.adopt(self.preload):
            method = "forkserver"
        else:
            _zygote.stop()
        self._method = method
        context = multiprocessing.get_context(method)
        if isinstance(context, multiprocessing.context.ForkServerContext):
            context.set_forkserver_preload(_server_preload(self.preload))
        else:  # forked workers inherit what this process has imported...
            # ... with Ctrl-C held: a signal's exception raised inside a C++
            # extension's module set-up (soxr's, nanobind) aborts the process
            # (seen: status -6, "terminate called ... python_error").
            with interrupts.deferred():
                for module in self.preload:
                    importlib.import_module(module)
                if self.warm_up is not None:  # ... and computed
                    self.warm_up()
        return context

    @property
    def _worker_warm_up(self) -> Callable[[], None] | None:
        """What a worker runs first: the warm-up, unless forked, and the setup."""
        warm_up = None if self._method == "fork" else self.warm_up
        if warm_up is None or self.setup is None:
            return warm_up or self.setup
        return functools.partial(_in_turn, (warm_up, self.setup))


@contextlib.contextmanager
def _blas_held_for_forks(method: str) -> Iterator[None]:
    """Hold this process's BLAS at one thread while it forks workers.

    A worker runs BLAS on one thread (:func:`_keep_one_blas_thread`). Told so
    in the worker, OpenBLAS starts its thread server there (a fork stops it),
    and the server's thread spins for work it never gets: 0.04-0.1 s of CPU
    per worker, taken from the workers while they start (bench/README.md,
    "Figures behind the code"). A worker forked with the limit already set
    starts no thread. The limit is this process's own again once the pool is
    done. (A fork server starts with one BLAS thread: melcli._quiet_server.)
    """
    if method != "fork":
        yield
        return
    from . import transform

    held = [
        (library, library.num_threads) for library in transform.blas_above_one_thread()
    ]
    try:
        for library, _threads in held:
            library.set_num_threads(1)
        yield
    finally:
        for library, threads in held:
            library.set_num_threads(threads)


def _in_turn(calls: Sequence[Callable[[], None]]) -> None:
    for call in calls:
        call()


class _Worker(Generic[T, R]):
    """One worker process, its pipe, and the items it holds, in order.

    The worker runs its items one after the other, so the first is the one
    it is working on: if the worker dies or times out, that item is the one
    to blame; the others have not started. (While it works ahead on several,
    :attr:`mark` says which: see :meth:`_blamed`.)
    """

    def __init__(
        self,
        context: Any,
        fn: Callable[[T], R],
        warm_up: Callable[[], None] | None = None,
        timeout: float | None = None,
        pace: _Pace | None = None,
    ) -> None:
        _room_to_start()
        self.conn, child = context.Pipe(duplex=True)
        forked = context.get_start_method() == "fork"
        # A worker checks that the process that started it is its parent: this
        # one (fork, spawn), or the fork server, which is gone once this is.
        parent = os.getpid() if context.get_start_method() != "forkserver" else None
        # The kernel kills it when its parent *thread* ends: only where that
        # thread lasts as long as the process (a fork server has one thread).
        on_death = not forked or threading.current_thread() is threading.main_thread()
        #: Which item the worker is on, counted from its first (see _worker_main).
        self.mark = context.RawValue("q", -1)
        #: Outcomes taken from it so far: its first held item is this one.
        self.taken = 0
        self.process = context.Process(
            target=_worker_main,
            args=(child, fn, warm_up, parent, on_death, os.getpid(), self.mark),
            daemon=True,
        )
        try:
            # Forked with Ctrl-C and SIGTERM blocked: it takes them once it
            # has its own handlers (a KeyboardInterrupt before that would
            # print a traceback from multiprocessing's start-up code).
            # A fork server started now ignores Ctrl-C from the start (it
            # would print a traceback if one came while it imports).
            server = context.get_start_method() == "forkserver"
            if server:
                _start_resource_tracker()
            quiet = interrupts.ctrl_c_ignored_by_new_programs
            with interrupts.signals_blocked(), quiet() if server else _NO_CHANGE:
                self.process.start()
        except BaseException:
            self.conn.close()
            raise
        finally:
            child.close()
        # Connection.poll() builds a selector at every call; a result is
        # looked for twice, so a poll object is kept (where there is one).
        self._incoming = select.poll() if hasattr(select, "poll") else None
        if self._incoming is not None:
            self._incoming.register(self.conn.fileno(), select.POLLIN)
        self.items: collections.deque[T] = collections.deque()
        #: Outcomes read from the pipe and not collected yet (a message holds
        #: the outcomes of several items: see :func:`_worker_main`).
        self._came: collections.deque[tuple[bool, Any, float]] = collections.deque()
        #: Items given, not yet sent (see :meth:`send`).
        self.unsent: list[T] = []
        #: Whether a message has reached the worker's pipe.
        self.started = False
        self.timeout = timeout
        self.pace = pace
        #: When the first item's time is up.
        self.deadline = math.inf
        self.alive = True

    def left(self) -> int:
        """How many of its items the worker has not started (the current one counts).

        Told by its mark, not by the outcomes collected: those of short items
        come a few milliseconds' worth at a time (see :func:`_worker_main`).
        """
        on: int = self.mark.value
        return len(self.items) - max(0, on - self.taken)

    def give(self, item: T) -> None:
        """Hold ``item``: it goes to the worker with the others at :meth:`send`."""
        self.items.append(item)
        self.unsent.append(item)
        if len(self.items) == 1:
            self._start_clock()

    def send(self) -> None:
        """Send the items given since the last call, in one message.

        Raises
        ------
        OSError
            The pipe is broken (the worker is gone); the items are no longer
            held.
        """
        items, self.unsent = self.unsent, []
        try:
            self.conn.send(items)
        except OSError:
            for _ in items:
                self.items.pop()
            self._start_clock()
            raise
        self.started = True

    def _start_clock(self) -> None:
        """Start the first item's clock: it starts now, as far as can be told."""
        if self.items and self.timeout:
            self.deadline = time.monotonic() + self.timeout
        else:
            self.deadline = math.inf

    def has_message(self) -> bool:
        """Whether a result (or the end of the pipe) is waiting to be read."""
        if self._came:
            return True
        if self._incoming is None:
            return bool(self.conn.poll())
        return bool(self._incoming.poll(0))

    def _next(self) -> tuple[bool, Any, float]:
        """Return the next ``(ok, outcome, seconds)`` the worker sent.

        Raises
        ------
        EOFError, OSError
            The pipe is closed (the worker is gone) or broken.
        """
        if not self._came:
            self._came.extend(self.conn.recv())
        return self._came.popleft()

    def _take(self) -> T:
        item = self.items.popleft()
        self.taken += 1
        self._start_clock()
        return item

    def _blamed(self) -> T:
        """Remove and return the item the worker was on when it died or timed out.

        Its first item, unless it was loading later ones ahead or had
        finished some whose outcomes it had not sent yet (see
        :func:`_worker_main`): then the one it was on. Those before it stay
        held, to run elsewhere (one that was finished is written again: its
        outcome was never recorded).
        """
        k = self.mark.value - self.taken
        if 0 < k < len(self.items):
            item = self.items[k]
            del self.items[k]
            return item
        return self._take()

    def collect(self) -> tuple[T, R | BaseException]:
        """Return the item and its outcome, or why the worker died holding it."""
        try:
            if self.has_message():
                _ok, value, seconds = self._next()
                if self.pace is not None:
                    self.pace.add(seconds)
                return self._take(), value
        except (EOFError, OSError):
            pass
        self.process.join(1.0)
        return self.abandon(_death_reason(self.process.exitcode))

    def collect_all(self) -> list[tuple[T, R | BaseException]]:
        """Collect every outcome the worker has sent (at least one: it is ready)."""
        outcomes = [self.collect()]
        came, items = self._came, self.items
        while self.alive and items and self.has_message():
            if not came:  # a message not read yet, or the end of the pipe
                outcomes.append(self.collect())
                continue
            # The rest of a message already read: the outcomes of short
            # items come dozens at a time, and each costs this process
            # (on a CPU its workers need) a few calls less taken so.
            count = min(len(came), len(items))
            seconds = [0.0] * count
            for i in range(count):
                _ok, value, seconds[i] = came.popleft()
                outcomes.append((items.popleft(), value))
            self.taken += count
            self._start_clock()
            if self.pace is not None:
                self.pace.add_all(seconds)
        return outcomes

    def abandon(self, reason: str, *, grace: float = 0.0) -> tuple[T, BaseException]:
        """Stop the worker (if still alive); fail its first item with ``reason``.

        The items it held but had not started stay in :attr:`items`. With
        ``grace``, the worker is first sent SIGTERM, so that a task waiting in
        Python unwinds (killing a program it runs, such as ffmpeg, which
        SIGKILL would leave running), and is killed only if still alive
        ``grace`` seconds later (stuck in C code).
        """
        self.alive = False
        if grace and self.process.is_alive():
            self.process.terminate()
            self.process.join(grace)
        if self.process.is_alive():
            self.process.kill()
        self.process.join(1.0)
        self.conn.close()
        return self._blamed(), MelcliError(reason)

    def stop(self) -> None:
        """Ask an idle worker to leave, and make sure it has."""
        self.ask_to_stop()
        self.reap()

    def ask_to_stop(self) -> None:
        """Tell an idle worker to leave (:meth:`reap` waits for it)."""
        with contextlib.suppress(OSError):
            self.conn.send(_STOP)

    def reap(self) -> None:
        """Wait for a worker told to leave (killed if still there a second on)."""
        self.process.join(1.0)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(1.0)
        self.conn.close()


def _stop_all(workers: Sequence[_Worker[Any, Any]]) -> None:
    """Stop idle workers together: all are told to leave, then each is waited for.

    A worker's exit (its memory given back) takes milliseconds; one after the
    other, a run's end waited for each in turn.
    """
    for worker in workers:
        worker.ask_to_stop()
    for worker in workers:
        worker.reap()


_NO_CHANGE = contextlib.nullcontext()


def launch_fork_server(preload: Sequence[str]) -> None:
    """Start the fork server workers come from, importing ``preload``.

    With Ctrl-C ignored from its start where this process allows it (see
    :func:`melcli.interrupts.ctrl_c_ignored_by_new_programs`), and from its
    first import on in any case (melcli._quiet_server). A server already
    running is left as it is, with its own preload list.
    """
    import multiprocessing
    from multiprocessing import forkserver

    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(_server_preload(preload))
    _start_resource_tracker()
    with interrupts.signals_blocked(), interrupts.ctrl_c_ignored_by_new_programs():
        forkserver.ensure_running()


def _fork_server_ended(context: Any, wait: float = 5.0) -> bool:
    """Return whether the pool's fork server has ended, waiting up to ``wait`` s.

    It hung up: it is ending, and is taken for gone once it has exited (not
    reaped here: multiprocessing reaps it, and starts another). False for
    another start method, or a server that is not this process's child.
    """
    if context.get_start_method() != "forkserver" or not hasattr(os, "waitid"):
        return False  # (no waitid on macOS)
    from multiprocessing import forkserver

    pid = getattr(getattr(forkserver, "_forkserver", None), "_forkserver_pid", None)
    if pid is None:
        return False
    deadline = time.monotonic() + wait
    while True:
        try:
            flags = os.WEXITED | os.WNOHANG | os.WNOWAIT
            if os.waitid(os.P_PID, pid, flags) is not None:
                return True
        except ChildProcessError:
            return False
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)


def _start_resource_tracker() -> None:
    """Start multiprocessing's resource tracker, if it is not running.

    A fork server starts it first, and that start unblocks SIGINT and SIGTERM
    on its way out (it puts back no earlier mask): inside the moment a fork
    server is started with them blocked and Ctrl-C ignored, a Ctrl-C would
    then come in while ignored, and be lost. Started before, it is left
    running (a look costs microseconds).
    """
    from multiprocessing import resource_tracker

    # It ignores SIGINT and SIGTERM itself, not a closed terminal's SIGHUP:
    # started with it ignored, it is not killed with the run's group. Ctrl-C
    # is not ignored here: its start unblocks SIGINT on the way out, which
    # would discard one that came meanwhile (seen: a run went on to its end).
    with (
        interrupts.signals_blocked(),
        interrupts.ctrl_c_ignored_by_new_programs(keep_ctrl_c=True),
    ):
        resource_tracker.ensure_running()


def _server_preload(preload: Sequence[str]) -> list[str]:
    """Return a fork server's imports: melcli._quiet_server first, then ``preload``."""
    return ["melcli._quiet_server", *preload]


#: What running out of file descriptors looks like (the process's, the system's).
_NO_MORE_FILES = (errno.EMFILE, errno.ENFILE)
#: File descriptors this process keeps per worker: its pipe, and the two ends
#: of the pipe that tells it the worker has ended.
FDS_PER_WORKER = 3
#: File descriptors left free besides: a forked worker starts with all of this
#: process's, then opens its own (its input, a temporary output, a PNG's font,
#: an ffmpeg pipe or two); this process opens the journal, the manifest, a shard.
FDS_SPARE = 16


#: File descriptors a worker's start has open at once, at most: its pipe, and
#: (with a fork server) the socket and the two pipes of the hand-over.
FDS_TO_START = 12


def _room_to_start() -> None:
    """Raise ``OSError(EMFILE)`` unless a worker's start has the descriptors it needs.

    A start that runs out half-way is not a clean failure everywhere: the fork
    server (Python 3.12's default) dies when a client hangs up during its
    hand-over, and every worker it started dies with it. So the room is taken
    before the start begins, and given back.
    """
    held: list[int] = []
    try:
        for _ in range(FDS_TO_START):
            held.append(interrupts.os_open(os.devnull, os.O_RDONLY))
    finally:
        for fd in held:
            os.close(fd)


def workers_for_open_files(jobs: int) -> int:
    """Return how many workers (at most ``jobs``) fit under the open-file limit.

    The soft ``RLIMIT_NOFILE`` (``ulimit -n``) less what is open now and
    :data:`FDS_SPARE`, over :data:`FDS_PER_WORKER`; 0 when not even one fits.
    """
    try:
        import resource
    except ImportError:  # pragma: no cover - not POSIX
        return jobs
    soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    in_use = _open_files()
    if soft == resource.RLIM_INFINITY or in_use is None:
        return jobs
    return max(0, min(jobs, (soft - in_use - FDS_SPARE) // FDS_PER_WORKER))


def _open_files() -> int | None:
    """Count this process's open file descriptors (None where it cannot tell)."""
    for folder in ("/proc/self/fd", "/dev/fd"):
        try:
            return len(os.listdir(folder)) - 1  # less the one listing it
        except OSError as exc:
            if exc.errno in _NO_MORE_FILES:
                return sys.maxsize // 2  # none left at all
    return None


def _fewer_workers(asked: int, jobs: int, exc: OSError | None = None) -> str:
    """Say that ``jobs`` workers run, not ``asked``, for lack of file descriptors."""
    how = f"{jobs} worker process{'es' * (jobs != 1)}" if jobs else "this process"
    if exc is not None:
        why = f"out of file descriptors ({os.strerror(exc.errno or 0)})"
    else:
        try:
            import resource

            limit = f" ({resource.getrlimit(resource.RLIMIT_NOFILE)[0]})"
        except ImportError:  # pragma: no cover - not POSIX
            limit = ""
        why = f"the limit on open files{limit} leaves no room for more (ulimit -n)"
    return f"-j {asked}: running in {how}: {why}"


def _cannot_start(exc: OSError) -> MelcliError:
    reason = os.strerror(exc.errno) if exc.errno else str(exc)
    if exc.errno in _NO_MORE_FILES:
        reason += " (the limit on open files, ulimit -n: run with fewer -j)"
    return MelcliError(f"cannot start a worker process: {reason}")


def _death_reason(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        if -exitcode == signal.SIGKILL:
            return f"worker process died (killed by {name}: out of memory, or killed)"
        return f"worker process died (killed by {name})"
    if exitcode is not None and exitcode > 128:
        # A worker sent SIGTERM (by hand, a system stopping processes) deletes
        # its temp file and exits with 128 + the signal: say which.
        with contextlib.suppress(ValueError):
            name = signal.Signals(exitcode - 128).name
            return f"worker process died (exit status {exitcode}: stopped by {name})"
    return f"worker process died (exit status {exitcode})"


def _worker_main(
    conn: Any,
    fn: Callable[[Any], Any],
    warm_up: Callable[[], None] | None = None,
    parent: int | None = None,
    on_death: bool = True,
    run: int | None = None,
    mark: Any = None,
) -> None:
    """Run the items of each message in order; send their outcomes back.

    An outcome is ``(ok, result or exception, seconds)``. A message holds a
    list of them: those finished in :data:`SEND_EVERY` seconds (one, for an
    item that takes longer), and the last of a message's items with those
    before it. A worker stopped by SIGTERM sends those it finished first.
    The worker leaves when told to, when its pipe closes, or when its parent
    is gone (see :func:`_die_with_parent`; ``parent`` is the
    pid it expects as its parent, None for whatever it has now; ``run`` the
    pid of the run that started it).

    A ``fn`` with a ``prepare(items, started)`` method is first given a
    message's items together, to work ahead on them (several small files
    resampled in one call); it calls ``started(i)`` as it opens ``items[i]``.
    ``mark`` (shared with the parent) holds the number of the item the worker
    is on, counted from its first: if it dies or hangs while working ahead,
    the parent blames that item, not the first it holds (which has written
    nothing yet: it runs elsewhere).
    """
    global _COMMITTED, _RESULTS
    init_worker()
    _RESULTS = conn
    orphaned = _die_with_parent(parent, kernel=on_death, run=run)
    if warm_up is not None:
        warm_up()
    prepare = getattr(fn, "prepare", None)
    received = 0  # items in the messages before this one

    def started(i: int) -> None:
        if mark is not None:
            mark.value = base + i

    while True:
        while not conn.poll(1.0):
            if orphaned():  # the run was killed
                return
        try:
            items = conn.recv()
        except (EOFError, OSError):
            return
        if isinstance(items, str) and items == _STOP:
            return
        base, received = received, received + len(items)
        sent_at = time.perf_counter()
        ahead = 0.0  # seconds spent ahead, shared among the items
        if prepare is not None and len(items) > 1:
            began = time.perf_counter()
            with contextlib.suppress(Exception):  # then each item loads alone
                prepare(items, started)
            ahead = (time.perf_counter() - began) / len(items)
        last = len(items) - 1
        for i, item in enumerate(items):
            started(i)
            began = time.perf_counter()
            try:
                outcome: tuple[bool, Any] = (True, fn(item))
            except Exception as exc:
                outcome = (False, exc)
            done = time.perf_counter()
            _UNSENT.append((*outcome, done - began + ahead))
            # From here a SIGTERM waits until what is unsent is sent (see
            # _exit_on_sigterm), then stops this worker.
            _COMMITTED = False
            if i == last or _STOP_AFTER_SEND or done - sent_at >= SEND_EVERY:
                if not _send_unsent(conn):
                    return
                sent_at = done
            if _STOP_AFTER_SEND:  # SIGTERM came once an output was in place
                os._exit(128 + signal.SIGTERM)


def _send_unsent(conn: Any) -> bool:
    """Send the outcomes in :data:`_UNSENT` in one message; False if the pipe is gone.

    An outcome that cannot be pickled is sent as the error that says so.
    """
    outcomes = list(_UNSENT)
    try:
        try:
            conn.send(outcomes)
        except (EOFError, OSError):
            raise
        except Exception:  # one cannot be pickled: each alone, that one as why
            for ok, value, seconds in outcomes:
                try:
                    conn.send([(ok, value, seconds)])
                except (EOFError, OSError):
                    raise
                except Exception as exc:
                    error = MelcliError(f"{type(exc).__name__}: {exc}")
                    conn.send([(False, error, seconds)])
    except (EOFError, OSError):
        return False
    del _UNSENT[: len(outcomes)]
    return True


def _ready(busy: Sequence[_Worker[Any, Any]], nap: float) -> set[Any]:
    """Wait for the busy workers' results (or deaths, or the first deadline).

    With a ``nap`` (short items), sleep that long unless a worker dies, then
    take every result that came meanwhile.
    """
    deadline = min(w.deadline for w in busy)
    timeout = None if deadline == math.inf else max(0.0, deadline - time.monotonic())
    sentinels = [w.process.sentinel for w in busy]
    if nap:
        ready = _wait(sentinels, nap if timeout is None else min(nap, timeout))
        ready.update(w.conn for w in busy if w.has_message())
        return ready
    return _wait([w.conn for w in busy] + sentinels, timeout)


def _wait(objects: list[Any], timeout: float | None) -> set[Any]:
    """Return those of ``objects`` ready to read (or closed), within ``timeout`` s.

    As :func:`multiprocessing.connection.wait` (connections and sentinels),
    with one ``poll()`` object made for the call: that function builds a
    :mod:`selectors` selector each time, tens of microseconds of Python,
    and this process waits once per file or nap, its CPU taken from the
    workers.
    """
    if not hasattr(select, "poll"):  # not on Linux: as multiprocessing waits
        from multiprocessing.connection import wait

        return set(wait(objects, timeout=timeout))
    poller = select.poll()
    by_fd = {}
    for obj in objects:
        fd = obj if isinstance(obj, int) else obj.fileno()
        by_fd[fd] = obj
        poller.register(fd, select.POLLIN)
    # Rounded up, as the selector does: a deadline is never woken for early.
    ms = None if timeout is None else math.ceil(timeout * 1000)
    return {by_fd[fd] for fd, _events in poller.poll(ms)}


#: Seconds a worker sent SIGTERM has to leave before it is sent SIGKILL.
_GRACE = 1.0


def _terminate(
    workers: Sequence[_Worker[T, R]], grace: float = _GRACE
) -> list[tuple[T, R | BaseException]]:
    """SIGTERM every worker, and SIGKILL those still alive after ``grace`` s.

    Returns the outcomes they had sent and that were not read yet: a file a
    worker finished just before it was stopped.
    """
    processes = [w.process for w in workers]
    for process in processes:
        if process.is_alive():
            process.terminate()
    deadline = time.monotonic() + grace
    for process in processes:
        process.join(max(0.0, deadline - time.monotonic()))
        if process.is_alive():
            process.kill()
            process.join(1.0)
    sent: list[tuple[T, R | BaseException]] = []
    for worker in workers:
        with contextlib.suppress(Exception):  # the end of a message cut short
            while worker.items and worker.has_message():
                _ok, value, _seconds = worker._next()
                sent.append((worker.items.popleft(), value))
        worker.conn.close()
    return sent


_STOP = "melcli-worker-stop"
#: Items a worker holds at once (see :class:`_Worker`): with 2, the next is
#: already in its pipe when it finishes one (measured side by side: see
#: bench/README.md, "Figures behind the code").
DEPTH = 2
#: Items shorter than this many seconds are collected in naps (see
#: :class:`_Pace`); longer ones one by one, as each is done.
SHORT_ITEM = 0.02
#: Seconds between two collections of outcomes when items are short (see
#: :class:`_Pace`). Each collection wakes this process on a CPU its workers
#: need, its caches filled with theirs. 50 ms naps (with 25-ms sends and up
#: to 256 items) took less of this process's CPU with 5-s Whisper files, but
#: no whole run's, and made 10-s FLAC clips (19 ms each) 3-5% slower at
#: ``-j 2`` (bench/README.md, "Figures behind the code").
COLLECT_EVERY = 0.02
#: Seconds a worker keeps the outcomes of its finished items before it sends
#: them, together (all of them, at the latest, when the items of a message
#: are done): a message and a wake-up each, both sides, cost more than a tiny
#: file's bookkeeping. Half a nap (:data:`COLLECT_EVERY`), so that a nap
#: finds what was done before it; an item longer than this is sent alone,
#: as soon as it is done.
SEND_EVERY = 0.01
#: The most items a worker holds when items are short: :data:`AHEAD_NAPS`
#: naps' worth of items down to 0.6 ms each.
MAX_DEPTH = 128
#: Naps' worth of items a worker holds when items are short, once topped
#: up; it is topped up when down to half of that (:meth:`_Pace.low`): what a
#: nap takes, and as long again for this process to record what came
#: meanwhile and hand out more. With one nap's worth, a worker on tiny files
#: ran dry every nap (bench/README.md, "Figures behind the code").
AHEAD_NAPS = 4
_NOTHING = object()


class _Supply(Generic[T]):
    """The items still to give: those given back (a lost worker's), then the rest."""

    def __init__(self, pending: Iterator[T], count: int | None = None) -> None:
        self.pending = pending
        #: Items to give again first (a lost worker's, not started).
        self.retry: collections.deque[T] = collections.deque()
        #: Whether ``pending`` has no more items.
        self.exhausted = False
        #: How many items ``pending`` has left, if known.
        self._count = count

    def next(self) -> T | object:
        """Return the next item to give, or ``_NOTHING``."""
        if self.retry:
            return self.retry.popleft()
        if not self.exhausted:
            item = next(self.pending, _NOTHING)
            if item is not _NOTHING:
                if self._count is not None:
                    self._count = max(0, self._count - 1)
                return item
        self.exhausted = True
        return _NOTHING

    def left(self) -> int | None:
        """How many items are still to give; None if not known."""
        if self.exhausted:
            return len(self.retry)
        if self._count is None:
            return None
        return len(self.retry) + self._count


def _even_depth(
    depth: int, left: int | None, workers: Sequence[_Worker[Any, Any]], jobs: int
) -> int:
    """How many items a worker may hold: ``depth``, or its share of the last ones.

    Once the items left to give and those the workers hold would not give
    every worker ``depth``, each holds its share (at least one), so that the
    workers finish together: given a whole ``depth`` of the last items, one
    worker went on alone for as long as half a depth of items took, its
    CPU's neighbour idle. ``left`` None (not known): ``depth``.
    """
    if left is None:
        return depth
    held = sum(w.left() for w in workers if w.alive)
    return max(1, min(depth, math.ceil((left + held) / max(1, jobs))))


class CountedItems(Generic[T]):
    """An iterator over ``items`` that tells how many it has left.

    As :func:`operator.length_hint` reads it: a :class:`ProcessRunner` given
    one shares the last items out evenly among its workers (a generator
    cannot tell).
    """

    def __init__(self, items: Iterable[T], count: int) -> None:
        self._items = iter(items)
        self._count = count

    def __iter__(self) -> CountedItems[T]:
        return self

    def __next__(self) -> T:
        item = next(self._items)
        self._count = max(0, self._count - 1)
        return item

    def __length_hint__(self) -> int:
        return self._count


class _Pace:
    """How long items take, and so how often to collect them and how many to give.

    Every outcome wakes this process, and with every CPU busy running
    workers, each wake-up takes a CPU from one of them, with caches that the
    worker has just filled with its own data: a cost that matters when items
    are short (figures: bench/README.md, "Figures behind the code"). So when
    items take less than :data:`SHORT_ITEM` (a moving average of what
    workers report), this process sleeps :data:`COLLECT_EVERY` (waking at
    once if a worker dies), then takes every outcome that has come, and each worker
    holds enough items to last :data:`AHEAD_NAPS` naps. Longer items are
    collected one by one, as they finish, with :data:`DEPTH` items per worker.
    """

    def __init__(self) -> None:
        #: Seconds an item takes: a moving average, None before the first.
        self.seconds: float | None = None
        #: When outcomes were last collected (time.monotonic()).
        self.last = -math.inf

    def collected(self) -> None:
        """Note that the outcomes that came were collected now."""
        self.last = time.monotonic()

    def add(self, seconds: float) -> None:
        """Take one item's time into the average."""
        if self.seconds is None:
            self.seconds = seconds
        else:
            self.seconds += 0.2 * (seconds - self.seconds)

    def add_all(self, seconds: Iterable[float]) -> None:
        """Take several items' times into the average, in order (as :meth:`add`)."""
        average = self.seconds
        for value in seconds:
            average = value if average is None else average + 0.2 * (value - average)
        self.seconds = average

    def short(self) -> bool:
        """Whether items take less than :data:`SHORT_ITEM`."""
        return self.seconds is not None and self.seconds < SHORT_ITEM

    def nap(self) -> float:
        """Seconds to wait before collecting outcomes (0: as each comes).

        A nap ends :data:`COLLECT_EVERY` after the last collection: the time
        this process took to record what it collected is part of it. (A nap
        that began only then left the workers idle once recording took
        longer than the items they held: bench/README.md, "Figures behind
        the code".)
        """
        if not self.short():
            return 0.0
        left = self.last + COLLECT_EVERY - time.monotonic()
        return max(0.0, min(COLLECT_EVERY, left))

    def depth(self) -> int:
        """How many items a worker holds: the one it runs and enough to last naps."""
        if not self.short():
            return DEPTH
        assert self.seconds is not None
        naps = AHEAD_NAPS * COLLECT_EVERY / max(self.seconds, 1e-6)
        return min(MAX_DEPTH, 2 + math.ceil(naps))

    def low(self) -> int:
        """How few items a worker holds before it is given more (up to :meth:`depth`).

        Half its depth with short items: at that point it still holds
        ``AHEAD_NAPS / 2`` naps' worth, and what it is given comes in one
        message of at least as many. Topped up at every collection instead,
        a worker got the few items it had finished since the last one (a
        third of the messages held 1 to 8 tiny files, each loaded and
        resampled alone or nearly: bench/README.md, "Figures behind the
        code"). Longer items: as soon as one is done.
        """
        depth = self.depth()
        return depth // 2 if self.short() else depth - 1


def init_worker() -> None:
    """Set up a worker process: stop signals are its parent's to act on."""
    global _IN_WORKER
    _IN_WORKER = True
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if signal.SIGHUP in interrupts.STOP_SIGNALS:  # a closed terminal: as Ctrl-C
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    if hasattr(signal, "pthread_sigmask"):  # started with them blocked
        signal.pthread_sigmask(signal.SIG_UNBLOCK, interrupts.STOP_SIGNALS)


def _die_with_parent(
    parent: int | None, *, kernel: bool = True, run: int | None = None
) -> Callable[[], bool]:
    """Make this worker end when its parent does; return whether it has.

    A run killed with SIGKILL cannot stop its workers: one left running would
    go on with its file for as long as it takes (forever if it hangs: only the
    parent enforces ``--timeout``) and write it after the run is gone. With
    ``kernel`` (on Linux), the kernel sends this worker SIGKILL when its
    parent ends (``PR_SET_PDEATHSIG``); a temporary file it leaves is removed
    by the next run. Elsewhere a thread checks every
    :data:`PARENT_CHECK_EVERY` s that the parent is still there, and else
    stops the task as SIGTERM does (removing its temporary file). Either way,
    an output is never renamed into place once the parent is gone.

    A worker forked by a fork server (``parent`` None) has that server as its
    parent, which outlives the run by as long as it takes to shut down: it
    also watches the run itself (``run``), where Linux gives a pidfd for it.
    """
    run_ended = None
    if parent is None:
        _release_fork_server()
        run_ended = _watch_process(run)
    expected = os.getppid() if parent is None else parent
    watched = kernel and _set_parent_death_signal(signal.SIGKILL)

    def orphaned() -> bool:
        return os.getppid() != expected or (run_ended is not None and run_ended())

    if orphaned():  # it died before the kernel was told to watch it
        os._exit(128 + signal.SIGKILL)
    write.set_commit_check(_leave_if(orphaned))
    if not watched:
        threading.Thread(
            target=_watch_parent, args=(orphaned,), daemon=True, name="melcli-parent"
        ).start()
    return orphaned


def _watch_process(pid: int | None) -> Callable[[], bool] | None:
    """Return whether process ``pid`` has ended, or None where that cannot be told.

    Through a pidfd (Linux 5.3 on): readable once the process has ended,
    reaped or not, and never mistaken for a new process with the same pid.
    """
    if pid is None or not hasattr(os, "pidfd_open"):
        return None
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return lambda: True  # gone already
    except OSError:  # an older kernel
        return None
    ended = select.poll()
    ended.register(fd, select.POLLIN)
    return lambda: bool(ended.poll(0))


def _release_fork_server() -> None:
    """Let the fork server this worker came from end when the run does.

    A fork server leaves when the last holder of its "alive" pipe is gone;
    multiprocessing hands that pipe to every process it forks, so that they
    may start processes too. Pool workers start none: holding it, they would
    keep the server (their parent) alive after the run was killed, and with
    it themselves.
    """
    from multiprocessing import forkserver

    server: Any = getattr(forkserver, "_forkserver", None)
    fd = getattr(server, "_forkserver_alive_fd", None)
    if fd is not None:
        with contextlib.suppress(OSError):
            os.close(fd)
        server._forkserver_alive_fd = None


def end_with_parent(parent: int) -> None:
    """Make this worker process end (SIGKILL) when ``parent`` does (Linux).

    For pools other than a run's (the gallery's): one whose parent is killed
    with SIGKILL would otherwise wait for work forever. A temporary file it
    leaves is its command's to remove.
    """
    _set_parent_death_signal(signal.SIGKILL)
    if os.getppid() != parent:  # gone already, before it was asked
        os._exit(128 + signal.SIGKILL)


def _set_parent_death_signal(signum: int) -> bool:
    """Ask Linux to send this process ``signum`` when its parent ends."""
    if not sys.platform.startswith("linux"):
        return False
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return bool(libc.prctl(_PR_SET_PDEATHSIG, signum, 0, 0, 0) == 0)
    except (OSError, AttributeError):
        return False


_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
#: Seconds between two checks that a worker's parent is alive (where the
#: kernel cannot be asked to do it).
PARENT_CHECK_EVERY = 0.5


def _leave_if(orphaned: Callable[[], bool]) -> Callable[[], None]:
    def check() -> None:
        global _COMMITTED
        if orphaned():
            raise SystemExit(128 + signal.SIGTERM)  # unwinds; see task_scope
        _COMMITTED = True  # an output of this task takes its final name now

    return check


def _watch_parent(orphaned: Callable[[], bool]) -> None:
    while not orphaned():
        time.sleep(PARENT_CHECK_EVERY)
    os.kill(os.getpid(), signal.SIGTERM)  # unwind the task, as the parent would
    time.sleep(_GRACE)
    os._exit(128 + signal.SIGKILL)  # stuck in C code


def _exit_on_sigterm(signum: int, frame: object) -> None:
    """Stop a worker: unwind a task (removing its temp file), else leave at once.

    Only inside a task is it safe to raise: between tasks the worker may be
    inside multiprocessing's queue code, where an exception would leave a lock
    held and the parent waiting forever. Later SIGTERMs are ignored, so that
    the unwinding itself is not interrupted.

    Once the task has put an output in place, it is finished and its result
    sent before the worker leaves (see :func:`_worker_main`): the parent
    records what it finished instead of deleting it as unsettled. A task that
    takes longer than the parent's grace period is killed all the same.
    """
    global _STOP_AFTER_SEND
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    if _COMMITTED or (_UNSENT and not _IN_TASK):
        _STOP_AFTER_SEND = True
        return
    if _IN_TASK:
        raise SystemExit(128 + signum)
    os._exit(128 + signum)


def _start_method() -> str:
    """Fork on Linux before Python 3.12, else a fork server (or spawn).

    Forking from this process, which has already imported numpy, soundfile and
    melcli, starts a worker in milliseconds; a fork server first starts a new
    interpreter and imports them again (a cost per run: bench/README.md,
    "Figures behind the code"). Python 3.12 deprecates fork() in a process
    with threads (numpy's BLAS pool counts), so from 3.12 on the fork server
    is used. (The command forks one of its own as it starts, where this says
    "fork": a pool takes its workers from it, see melcli._zygote.)
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


#: glibc malloc settings for melcli's processes: big temporaries (the STFT
#: works on blocks of a few MB) come from the heap and stay there for the
#: next file, instead of being mapped fresh from the kernel, zero-filled page
#: by page, and returned, once per block: less system time and a faster run
#: at the same peak RSS (measured side by side: bench/README.md, "Figures
#: behind the code"). Arrays larger than the threshold are still mapped
#: and returned at once, so memory stays bounded (see bench workload (d)).
MALLOC_SETTINGS = {
    "MALLOC_MMAP_THRESHOLD_": 64 << 20,
    "MALLOC_TRIM_THRESHOLD_": 256 << 20,
}
_MALLOPT = {"MALLOC_MMAP_THRESHOLD_": -3, "MALLOC_TRIM_THRESHOLD_": -1}


def tune_allocator() -> bool:
    """Apply :data:`MALLOC_SETTINGS` to this process and the ones it starts.

    For the command line only: a library does not change its host's
    allocator. Workers forked from this process inherit the settings; a fork
    server or spawned workers read them from the environment. Does nothing
    (and returns False) off glibc, or where the user set them already.
    """
    if sys.platform != "linux" or not _glibc():
        return False
    if any(name in os.environ for name in MALLOC_SETTINGS):
        return False  # the user's choice wins (Dask sets one, for instance)
    import ctypes  # only where it is used: not off glibc

    try:
        libc = ctypes.CDLL(None)
        for name, value in MALLOC_SETTINGS.items():
            if libc.mallopt(_MALLOPT[name], value) != 1:
                return False
    except (OSError, AttributeError):
        return False
    for name, value in MALLOC_SETTINGS.items():
        os.environ[name] = str(value)
    return True


def _glibc() -> bool:
    """Return whether this process runs on glibc.

    Asked of the C library itself (``confstr``), as ``platform.libc_ver``
    would find by reading the whole Python executable, on every command.
    """
    try:
        version = os.confstr("CS_GNU_LIBC_VERSION")
    except (ValueError, OSError, AttributeError):  # not known here: not glibc
        return False
    return version is not None and version.startswith("glibc ")


#: Seconds a file may take in a pool worker before the worker is killed and
#: the file fails (``--timeout``). Generous: an hour of audio takes seconds.
DEFAULT_TIMEOUT = 600.0


def make_runner(
    jobs: int | None,
    n_items: int,
    *,
    png: bool = False,
    params: MelParams | None = None,
    timeout: float | None = None,
) -> Runner:
    """Choose a runner: a pool only when there is more than one file and job.

    With ``png``, the workers also start with matplotlib imported, so that
    each does not import it again. With ``params``, forked workers start with
    the mel basis and the window already computed.

    ``timeout`` is per item, in seconds: ``None`` means :data:`DEFAULT_TIMEOUT`
    in a pool and none in this process; ``0`` means none anywhere. A timeout
    given explicitly also applies to ``-j 1`` and to a single file: they then
    run in one worker process, since only a separate process can be stopped
    in the middle of a decoder's C code.
    """
    jobs = default_jobs() if jobs is None else jobs
    preload = [
        "melcli._preload",
        *(["melcli.render", "matplotlib.backends.backend_agg"] * png),
    ]
    if n_items < 1:
        return SerialRunner()
    if (jobs <= 1 or n_items <= 1) and not timeout:
        return SerialRunner(preload=preload)
    asked = max(1, min(jobs, n_items))
    fit = workers_for_open_files(asked)
    note = _fewer_workers(asked, fit) if fit < asked else None
    if fit == 0:
        return SerialRunner(notes=[note] if note else [], preload=preload)
    warm_up = functools.partial(_warm_up, params) if params is not None else None
    runner = ProcessRunner(
        fit,
        preload=preload,
        warm_up=warm_up,
        timeout=DEFAULT_TIMEOUT if timeout is None else timeout,
        setup=_keep_one_blas_thread,
    )
    if note:
        runner.notes.append(note)
    return runner


def _warm_up(params: MelParams) -> None:
    """Compute once, before forking, what every worker would compute first.

    Quietly: a warning about the settings (an empty mel filter) is the run's
    to report, once (:func:`melcli.pipeline.settings_warnings`).
    """
    from . import transform

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        transform.stft_window(params.window, params.effective_win_length, params.n_fft)
        if params.sr is not None and params.kind == "fbank":
            from . import fbank  # Kaldi's filters: its empty one is the run's too

            with contextlib.suppress(MelcliError):  # each file fails, saying why
                fbank.filters(params.sr, params=params)
        elif params.sr is not None:
            transform.mel_basis(params.sr, params=params)
    with transform.one_blas_thread():
        pass


#: What a worker imports as it starts, where it comes from a fork server:
#: its hand-over (the shared value it marks its item in), and the FFT, at its
#: first file.
WORKER_IMPORTS = (
    "multiprocessing.popen_forkserver",
    "multiprocessing.sharedctypes",
    "numpy.fft",
)


def warm_fork_server(params: MelParams | None) -> None:
    """Do in a fork server, once, what each worker forked from it would do first.

    Import :data:`WORKER_IMPORTS`, hold BLAS at one thread for good (each
    worker's :func:`_keep_one_blas_thread` then has nothing to do), and with
    ``params`` (a guess at the run's settings) :func:`_warm_up` and the mel
    filterbank's bands. A wrong guess costs its computing and nothing else:
    each result is cached by all the settings it depends on (the window, the
    filterbank, its bands), and a worker computes those it is given.
    """
    global _BLAS_HELD
    for module in WORKER_IMPORTS:
        importlib.import_module(module)
    from . import transform

    transform.keep_one_blas_thread()
    _BLAS_HELD = True
    if params is not None and (params.norm is None or isinstance(params.norm, str)):
        # (A p-norm's filterbank is librosa's: its import is 1-2 s.)
        with contextlib.suppress(Exception):  # a guess: the run checks its own
            _warm_up(params)
            if params.sr is not None and params.kind in ("mel", "mfcc"):
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    transform.mel_bands(params.sr, params=params)


#: True in a fork server that holds BLAS at one thread, and in its workers.
_BLAS_HELD = False


def _keep_one_blas_thread() -> None:
    """Run BLAS on one thread for the rest of this worker's life.

    As every file would (:func:`melcli.transform.one_blas_thread`), at once:
    setting and restoring the limit around each file cost ~0.1 ms. Nothing
    to do in a worker forked from a server that did it (:func:`warm_fork_server`):
    no library was loaded since.
    """
    from . import transform

    if not _BLAS_HELD:
        transform.keep_one_blas_thread()


@contextlib.contextmanager
def task_scope() -> Iterator[None]:
    """Mark a task as running, so that a SIGTERM unwinds it (removing temp files).

    Wrap the body of the function a pool runs with this.
    """
    global _IN_TASK
    try:
        _IN_TASK = True
        if _STOP_AFTER_SEND:
            # SIGTERM came between two tasks, while the outcomes before this
            # one waited to be sent: leave before starting it, not after.
            raise SystemExit(128 + signal.SIGTERM)
        yield
    except SystemExit:
        if _IN_WORKER:
            # SIGTERM from the parent: the task's temporary output was removed
            # on the way here. Leave now, or the worker loop would catch this
            # and wait for the next item; with the outcomes of the tasks
            # before it, finished and not sent yet.
            if _UNSENT and _RESULTS is not None:
                _send_unsent(_RESULTS)
            os._exit(128 + signal.SIGTERM)
        raise
    finally:
        _IN_TASK = False


#: True in pool workers (set by their initializer), and while one runs a task.
_IN_WORKER = False
_IN_TASK = False
#: In a worker: the current task has put an output in its final place, so a
#: SIGTERM waits until its result is sent (:func:`_exit_on_sigterm`).
_COMMITTED = False
_STOP_AFTER_SEND = False
#: In a worker: the outcomes of the tasks it finished and has not sent yet,
#: as ``(ok, result or exception, seconds)``, and the pipe they go to.
_UNSENT: list[tuple[bool, Any, float]] = []
_RESULTS: Any = None


__all__ = [
    "DEFAULT_TIMEOUT",
    "CountedItems",
    "ProcessRunner",
    "Runner",
    "SerialRunner",
    "default_jobs",
    "make_runner",
    "run_batches",
    "task_scope",
    "tune_allocator",
]

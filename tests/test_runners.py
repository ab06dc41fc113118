"""Process-level settings of the runners (the pool itself is tested through the CLI)."""

from __future__ import annotations

import os
import platform
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from melcli.runners import (
    COLLECT_EVERY,
    DEPTH,
    MALLOC_SETTINGS,
    MAX_DEPTH,
    ProcessRunner,
    SerialRunner,
    _Pace,
    make_runner,
    run_batches,
)

PROBE = (
    "import os; from melcli.runners import tune_allocator; "
    "print(tune_allocator(), os.environ.get('MALLOC_MMAP_THRESHOLD_'))"
)

glibc_only = pytest.mark.skipif(
    sys.platform != "linux" or platform.libc_ver()[0] != "glibc",
    reason="the allocator settings are glibc's",
)


def probe(**extra: str) -> list[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    done = subprocess.run(
        [sys.executable, "-c", PROBE],
        env={**env, **extra},
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.split()


@glibc_only
def test_tune_allocator_applies_and_passes_settings_to_new_processes() -> None:
    # The environment is what a fork server or a spawned worker reads at start.
    assert probe() == ["True", str(MALLOC_SETTINGS["MALLOC_MMAP_THRESHOLD_"])]


@glibc_only
def test_tune_allocator_leaves_the_users_settings_alone() -> None:
    assert probe(MALLOC_MMAP_THRESHOLD_="131072") == ["False", "131072"]
    assert probe(MALLOC_TRIM_THRESHOLD_="65536") == ["False", "None"]


def _work(x: int) -> int:
    if x == 2:
        os.kill(os.getpid(), signal.SIGKILL)
    if x == 4:
        time.sleep(60)
    return x * 10


@pytest.mark.parametrize("poll", ["select.poll", "no select.poll"])
@pytest.mark.slow
def test_pool_fails_only_the_item_a_worker_dies_or_hangs_on(
    poll: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # One worker, which holds the next items in its pipe while it works:
    # they have not started when the worker dies, so they run on a fresh one.
    # The items are short, so their outcomes are collected in batches. Where
    # select has no poll() (Windows), the pipes' own poll() is used instead.
    if poll == "no select.poll":
        import select

        monkeypatch.delattr(select, "poll")
    runner = ProcessRunner(1, preload=[], timeout=1.0)
    got = dict(runner.run(_work, range(7)))

    assert sorted(got) == list(range(7))
    ok = {k: v for k, v in got.items() if not isinstance(v, BaseException)}
    assert ok == {0: 0, 1: 10, 3: 30, 5: 50, 6: 60}
    assert str(got[2]).startswith("worker process died (killed by SIGKILL")
    assert str(got[4]).startswith("timed out after 1 s")


def _return_then_die(item: str) -> str:
    """Return ``item``; for ``"dies-idle"``, SIGKILL this worker soon after."""
    if item == "dies-idle":
        threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGKILL)).start()
    return item


def _with_a_pause(items: list[str], seconds: float) -> Iterator[str]:
    for item in items:
        yield item
        time.sleep(seconds)  # the next item comes after the worker has died


@pytest.mark.slow
def test_a_worker_found_dead_when_given_an_item_is_replaced() -> None:
    runner = ProcessRunner(1, preload=())
    items = _with_a_pause(["dies-idle", "next", "last"], 1.0)
    outcomes = dict(runner.run(_return_then_die, items))
    assert outcomes == {"dies-idle": "dies-idle", "next": "next", "last": "last"}


def _same(x: int) -> int:
    return x


def _blas_threads(_: int) -> list[int]:
    from threadpoolctl import threadpool_info

    from melcli import transform

    with transform.one_blas_thread():  # nothing to do in a worker: set for good
        inside = [
            i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"
        ]
    return [int(transform._ONE_THREAD_FOR_GOOD), *inside]


def test_pool_workers_keep_blas_on_one_thread_and_this_process_does_not() -> None:
    from melcli import transform
    from melcli.params import MelParams

    # This process looked at its BLAS libraries before another one was loaded
    # (scipy's own OpenBLAS): a forked worker must still find and limit it.
    transform._blas_controller()
    import scipy.linalg  # noqa: F401

    runner = make_runner(2, 4, params=MelParams(), timeout=60)
    assert isinstance(runner, ProcessRunner)
    outcomes = [outcome for _, outcome in runner.run(_blas_threads, range(4))]
    assert len(outcomes) == 4
    assert all(o[0] == 1 for o in outcomes), outcomes  # set in each worker
    assert all(o[1:] and set(o[1:]) == {1} for o in outcomes), outcomes
    assert not transform._ONE_THREAD_FOR_GOOD  # the host's BLAS is its own


def _threads_after_a_product(_: int) -> int:
    import numpy as np

    a = np.ones((80, 201), np.float32)
    np.matmul(a, a.T)  # on BLAS, as the mel product
    return len(os.listdir("/proc/self/task"))


def _host_blas_threads() -> list[int]:
    from threadpoolctl import threadpool_info

    return [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]


@pytest.mark.skipif(not os.path.isdir("/proc/self/task"), reason="needs /proc (Linux)")
def test_pool_workers_start_no_blas_thread() -> None:
    # A worker told "one BLAS thread" at its start used to start OpenBLAS's
    # thread server for it (a second thread, spinning for 0.04-0.1 s of CPU).
    from melcli.params import MelParams

    host = _host_blas_threads()
    runner = make_runner(2, 4, params=MelParams(), timeout=60)
    assert isinstance(runner, ProcessRunner)
    outcomes = [
        outcome for _, outcome in runner.run(_threads_after_a_product, range(4))
    ]
    assert outcomes == [1, 1, 1, 1]  # only the worker's own thread
    assert _host_blas_threads() == host  # held for the forks only


def _record_with_a_signal(
    runner: ProcessRunner, handed: list[int], recorded: list[int]
) -> None:
    """Consume ``runner``'s outcomes; Ctrl-C comes as the first is handed on."""
    for item, _outcome in runner.run(_same, range(6)):
        handed.append(item)
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.05)  # the handler runs now, unless held
        recorded.append(item)


def test_an_outcome_handed_on_is_not_lost_to_a_signal() -> None:
    # The consumer records each outcome as it gets it. A Ctrl-C that comes
    # just then must not lose the outcome (its finished file would be
    # deleted as never heard of): the runner gives it back as late, and the
    # consumer, which knows what it recorded, takes it then. Every other
    # late outcome is one the consumer never got.
    runner = ProcessRunner(2, preload=())
    handed: list[int] = []
    recorded: list[int] = []
    with pytest.raises(KeyboardInterrupt):
        _record_with_a_signal(runner, handed, recorded)
    late = [item for item, _ in runner.late]
    assert len(late) == len(set(late))
    assert not set(recorded) & set(late)
    assert handed[0] in recorded or handed[0] in late


def test_a_signal_as_an_outcome_is_read_from_the_pipe_loses_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Ctrl-C comes after an outcome was read from its worker's pipe and before
    # the runner kept it: it must still be handed on, or given back as late.
    from melcli import runners

    real_take = runners._Worker._take
    fired: list[bool] = []

    def take(self: runners._Worker[int, int]) -> int:
        if not fired:
            fired.append(True)
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.05)  # the handler runs now, unless held
        return real_take(self)

    monkeypatch.setattr(runners._Worker, "_take", take)
    runner = ProcessRunner(1, preload=())
    handed: list[tuple[int, int]] = []
    with pytest.raises(KeyboardInterrupt):
        handed.extend(runner.run(_same, range(4)))
    assert fired
    got = handed + runner.late
    assert 0 in [item for item, _ in got]
    assert all(outcome == item for item, outcome in got), got  # each its own


def test_short_items_are_collected_in_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    # Items far shorter than COLLECT_EVERY: this process sleeps between
    # collections instead of waking for each outcome, and each worker holds
    # enough items to last the nap. One by one, 2 workers holding 2 items
    # each would take at least 300 / 4 waits.
    import multiprocessing.connection

    waits = []  # the runner's waits: on its workers' sentinels (and pipes)
    real_wait = multiprocessing.connection.wait

    def counted_wait(objects: list[object], timeout: float | None = None) -> object:
        if any(isinstance(o, int) for o in objects):
            waits.append(timeout)
        return real_wait(objects, timeout)  # type: ignore[arg-type]

    monkeypatch.setattr(multiprocessing.connection, "wait", counted_wait)
    outcomes = list(ProcessRunner(2, preload=()).run(_same, range(300)))
    assert sorted(outcomes) == [(i, i) for i in range(300)]
    assert len(waits) < 300 / 8


def test_a_pool_gives_the_outcomes_that_came_together_in_one_list() -> None:
    # So that the run records a nap's outcomes as one (one signal hold, one
    # journal write); other runners' outcomes come one to a list.
    batches = list(run_batches(ProcessRunner(2, preload=()), _same, range(300)))
    assert sorted(o for batch in batches for o in batch) == [(i, i) for i in range(300)]
    assert len(batches) < 300 / 8
    serial = list(run_batches(SerialRunner(), _same, range(5)))
    assert serial == [[(i, i)] for i in range(5)]


def test_closing_the_lists_of_another_runner_closes_its_run() -> None:
    closed = []

    class OneByOne:
        def __init__(self) -> None:
            self.notes: list[str] = []
            self.late: list[object] = []
            self.lost_workers = False

        def run(self, fn: Callable[[int], int], items: range) -> Iterator[object]:
            try:
                for item in items:
                    yield item, fn(item)
            finally:
                closed.append(True)

    batches = run_batches(OneByOne(), _same, range(5))  # type: ignore[arg-type]
    assert next(batches) == [(0, 0)]
    batches.close()
    assert closed == [True]


def _dies_on_30(x: int) -> int:
    if x == 30:
        os.kill(os.getpid(), signal.SIGKILL)
    return x


def test_short_items_travel_several_to_a_message_and_a_death_fails_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Short items are given to a worker several at once; it still reports
    # each as it finishes, so when it dies, only the item it was on fails and
    # the ones that came with it run on a fresh worker.
    from melcli import runners

    sent: list[list[int]] = []
    real_send = runners._Worker.send

    def send(self: runners._Worker[int, int]) -> None:
        sent.append(list(self.unsent))
        real_send(self)

    monkeypatch.setattr(runners._Worker, "send", send)
    got = dict(ProcessRunner(1, preload=()).run(_dies_on_30, range(200)))

    assert sorted(got) == list(range(200))
    assert str(got.pop(30)).startswith("worker process died (killed by SIGKILL")
    assert got == {i: i for i in range(200) if i != 30}
    assert len(sent) < 200 / 4  # several items a message
    # Those that came with 30 (if any did: timing decides) were sent again.
    at = next(i for i, batch in enumerate(sent) if 30 in batch)
    came_after = sent[at][sent[at].index(30) + 1 :]
    assert set(came_after) <= {x for batch in sent[at + 1 :] for x in batch}


def test_pace_batches_only_short_items() -> None:
    pace = _Pace()
    assert (pace.nap(), pace.depth()) == (0.0, DEPTH)  # nothing known yet
    for _ in range(10):
        pace.add(0.005)
    pace.collected()
    assert 0.0 < pace.nap() <= COLLECT_EVERY
    # Besides the item it runs, a worker holds at least a nap's worth.
    assert (pace.depth() - 1) * 0.005 >= COLLECT_EVERY
    pace.add(5.0)  # a long item: one by one again, as each finishes
    assert (pace.nap(), pace.depth()) == (0.0, DEPTH)
    for _ in range(50):
        pace.add(1e-6)
    assert 0.0 < pace.nap() <= COLLECT_EVERY
    assert pace.depth() == MAX_DEPTH


def test_a_worker_on_short_items_is_topped_up_at_half_its_depth() -> None:
    # Topped up at every collection, a worker on tiny files got the few it
    # had finished since the last one: messages of 1 to 8 items, each loaded
    # (and resampled) nearly alone. Now it waits until half its depth is left.
    pace = _Pace()
    assert pace.low() == DEPTH - 1  # nothing known: given one as soon as one is done
    for _ in range(10):
        pace.add(0.001)
    assert pace.low() == pace.depth() // 2
    # What is left at that point still lasts at least a nap and a half.
    assert pace.low() * 0.001 >= 1.5 * COLLECT_EVERY
    pace.add(5.0)
    assert pace.low() == DEPTH - 1


def _busy_half_a_millisecond(x: int) -> int:
    end = time.perf_counter() + 0.0005
    while time.perf_counter() < end:
        pass
    return x


def test_short_items_are_not_handed_out_a_few_at_a_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A consumer that takes a while to record what came (as a run does: the
    # manifest, the report) used to top the workers up with the one or two
    # items each had finished meanwhile. A worker is now sent more only once
    # it is down to half its depth.
    from melcli import runners

    held_then: list[tuple[int, int]] = []  # (items it still held, its low mark)
    real_send = runners._Worker.send

    def send(self: runners._Worker[int, int]) -> None:
        assert self.pace is not None
        held_then.append((self.left() - len(self.unsent), self.pace.low()))
        real_send(self)

    monkeypatch.setattr(runners._Worker, "send", send)
    got: dict[int, int] = {}
    runner = ProcessRunner(2, preload=())
    for batch in run_batches(runner, _busy_half_a_millisecond, range(1500)):
        got.update(batch)  # type: ignore[arg-type]
        time.sleep(0.0008 * len(batch))  # recording them: slower than the workers
    assert got == {i: i for i in range(1500)}
    assert all(held <= low for held, low in held_then), held_then
    assert max(low for _, low in held_then) > 1  # short items were seen as short


def test_a_nap_counts_the_time_taken_recording_since_the_last_collection() -> None:
    # The nap ends COLLECT_EVERY after the last collection, not after the
    # consumer recorded what came: recording a batch of tiny files can take
    # longer than the items the workers hold (they would sit idle).
    pace = _Pace()
    for _ in range(10):
        pace.add(0.001)
    pace.collected()
    assert pace.nap() > COLLECT_EVERY / 2  # just collected: a nap, nearly whole
    pace.last -= COLLECT_EVERY / 2  # half a nap spent recording
    assert pace.nap() <= COLLECT_EVERY / 2
    pace.last -= COLLECT_EVERY  # recording took longer than a nap
    assert pace.nap() == 0.0  # collect at once


def _finish_then_get_sigterm(path: str) -> str:
    """A task that puts its output in place, then is sent SIGTERM (a Ctrl-C's)."""
    from pathlib import Path

    from melcli.runners import task_scope
    from melcli.write import atomic_write

    with task_scope():
        atomic_write(Path(path), lambda f: f.write(b"done"))
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(0.2)  # the signal is handled by now
        return path


def test_a_worker_stopped_after_its_output_is_in_place_sends_its_result(
    tmp_path: object,
) -> None:
    # Stopping a run sends its workers SIGTERM. One that has already renamed
    # its output into place must still report it, or the run deletes a
    # finished file as one it never heard of.
    from pathlib import Path

    target = Path(str(tmp_path)) / "a.npy"
    outcomes = list(
        ProcessRunner(1, preload=[]).run(_finish_then_get_sigterm, [str(target)])
    )
    assert outcomes == [(str(target), str(target))]
    assert target.read_bytes() == b"done"


def _stopped_between_tasks(conn: object, marker: str) -> None:
    """A worker that SIGTERM reached after one task, before the next began."""
    from pathlib import Path

    from melcli import runners

    runners._IN_WORKER = True
    runners._RESULTS = conn
    runners._UNSENT.append((True, "the task before", 0.0))  # finished, unsent
    runners._STOP_AFTER_SEND = True  # what _exit_on_sigterm sets there
    with runners.task_scope():
        Path(marker).write_text("the next task ran")


def test_a_worker_stopped_between_two_tasks_leaves_before_the_next(
    tmp_path: Path,
) -> None:
    # A SIGTERM between two items of one message only sets a flag (the worker
    # may be in multiprocessing's code): the next task must not run whole
    # (a long file would hold the stop for the grace period, then lose both
    # to SIGKILL); the outcome waiting is sent, and the worker leaves.
    import multiprocessing

    ctx = multiprocessing.get_context("spawn")
    parent_end, child_end = ctx.Pipe()
    marker = tmp_path / "marker"
    proc = ctx.Process(target=_stopped_between_tasks, args=(child_end, str(marker)))
    proc.start()
    child_end.close()
    assert parent_end.poll(120), "the worker sent nothing"
    assert parent_end.recv() == [(True, "the task before", 0.0)]
    proc.join(120)
    assert proc.exitcode == 128 + signal.SIGTERM
    assert not marker.exists()


def test_a_serial_run_imports_its_preload_with_ctrl_c_held(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A Ctrl-C inside a C++ extension's module set-up (soxr's) aborts the
    # process, so -j 1 imports what the first file would, with it held. Here a
    # module sends itself SIGINT mid-import: the import must end, then stop.
    (tmp_path / "melcli_test_slow_import.py").write_text(
        "import os, signal\n"
        "os.kill(os.getpid(), signal.SIGINT)\n"
        "for _ in range(1000):\n"
        "    pass\n"
        "FINISHED = True\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "melcli_test_slow_import", raising=False)
    runner = SerialRunner(preload=["melcli_test_slow_import"])
    with pytest.raises(KeyboardInterrupt):
        list(runner.run(lambda x: x, [1, 2]))
    assert sys.modules["melcli_test_slow_import"].FINISHED is True


class _DiesAhead:
    """Works ahead on a message's items, and dies while on item 2."""

    def prepare(self, items: list[int], started: Callable[[int], None]) -> None:
        for i, item in enumerate(items):
            started(i)
            if item == 2:
                os.kill(os.getpid(), signal.SIGKILL)

    def __call__(self, item: int) -> int:
        return item


def test_a_worker_that_dies_working_ahead_blames_the_item_it_was_on() -> None:
    # Items 0 and 1 were loaded ahead and had written nothing: they stay
    # held, to run elsewhere; only 2 fails, and 3 had not started.
    import multiprocessing

    from melcli import runners

    context = multiprocessing.get_context(runners._start_method())
    worker = runners._Worker(context, _DiesAhead())
    for item in range(4):
        worker.give(item)
    worker.send()
    worker.process.join(60)

    item, outcome = worker.collect()

    assert item == 2
    assert str(outcome).startswith("worker process died (killed by SIGKILL")
    assert list(worker.items) == [0, 1, 3]
    assert not worker.alive


def test_a_worker_sends_the_outcomes_of_short_items_together() -> None:
    # One message (and one wake-up of this process) for what a worker did in
    # a few milliseconds, not one per item. (A busy machine may stop the
    # worker for longer than that in the middle: then it sends what it has.)
    worker = _worker_given(_same_int, range(50))
    try:
        values: list[int] = []
        messages = 0
        while len(values) < 50 and worker.conn.poll(60):
            values += [value for _ok, value, _seconds in worker.conn.recv()]
            messages += 1
        assert values == list(range(50))
        assert messages <= 10
    finally:
        worker.stop()


def _same_int(x: int) -> int:
    return x


def _worker_given(fn: Callable[[int], int], items: range) -> Any:
    """A pool worker (this process's side) sent ``items`` in one message."""
    import multiprocessing

    from melcli import runners

    context = multiprocessing.get_context(runners._start_method())
    worker = runners._Worker(context, fn)
    for item in items:
        worker.give(item)
    worker.send()
    return worker


def _stuck_on_3(x: int) -> int:
    from melcli.runners import task_scope

    with task_scope():
        if x == 3:
            time.sleep(60)
        return x


def test_a_stopped_worker_sends_what_it_finished_before_the_item_it_was_on() -> None:
    # Items 0 to 2 were done (their outputs in place) and their outcomes not
    # sent yet when item 3 was stopped: they are sent before the worker
    # leaves, and recorded, not deleted as never heard of.
    from melcli import runners

    worker = _worker_given(_stuck_on_3, range(5))
    deadline = time.monotonic() + 60
    while worker.mark.value < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.1)  # inside item 3's sleep

    sent = runners._terminate([worker])

    assert sent == [(0, 0), (1, 1), (2, 2)]
    assert list(worker.items) == [3, 4]
    assert worker.process.exitcode == 128 + signal.SIGTERM

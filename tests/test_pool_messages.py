"""What a pool's messages carry: tasks to the workers, results back.

A pool pickles every task it hands out and every result a worker sends back,
and this process does its share of that on a CPU the workers need: tasks and
results travel as their plain fields, rebuilt without Python code where
possible. These tests check that nothing is lost on the way, and count the
Python calls the way takes (not its time).
"""

from __future__ import annotations

import gc
import pickle
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from melcli.discover import Job, Task
from melcli.report import Result, Status
from melcli.runners import (
    COLLECT_EVERY,
    DEPTH,
    SEND_EVERY,
    ProcessRunner,
    _Pace,
    run_batches,
)


def _job(i: int, *, png: bool = False, meta: bool = False, stamp: bool = True) -> Job:
    return Job(
        f"/in/dogs/bark{i}.wav",
        f"dogs/bark{i}.wav",
        f"/out/dogs/bark{i}.npy",
        f"/out/dogs/bark{i}.png" if png else None,
        (("label", f"dog {i}"), ("split", "train")) if meta else (),
        stamp=[1000 + i, 1_700_000_000_000_000_000 + i] if stamp else None,
    )


def _python_calls(action: Callable[[], Any]) -> list[str]:
    """Run ``action``; return the Python functions it called (not C ones).

    With the cyclic collector paused: a collection during ``action`` runs
    ``gc.callbacks`` (hypothesis registers one in every process that ran one
    of its tests), which would count as calls of the pickling.
    """
    called: list[str] = []

    def profile(frame: Any, event: str, arg: Any) -> None:
        if event == "call":
            called.append(frame.f_code.co_qualname)

    enabled = gc.isenabled()
    gc.disable()
    sys.setprofile(profile)
    try:
        action()
    finally:
        sys.setprofile(None)
        if enabled:
            gc.enable()
    return called


def _round_trip(obj: Any) -> Any:
    return pickle.loads(pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL))


@pytest.mark.parametrize("png", [False, True])
@pytest.mark.parametrize("meta", [False, True])
@pytest.mark.parametrize("stamp", [False, True])
def test_a_job_comes_back_whole(png: bool, meta: bool, stamp: bool) -> None:
    job = _job(3, png=png, meta=meta, stamp=stamp)
    back = _round_trip(job)
    assert type(back) is Job
    assert back == job
    assert tuple(back) == tuple(job)  # its input stamp too
    assert back.stamp == job.stamp
    assert (back.src_name, back.npy_name, back.png_name) == (
        job.src_name,
        job.npy_name,
        job.png_name,
    )
    assert back.src == Path(job.src_name)
    assert back.outputs == job.outputs
    assert back.meta == job.meta


@pytest.mark.parametrize(
    "task",
    [
        Task(_job(1)),
        Task(_job(2, png=True), render_only=True, sr=22050),
        Task(_job(3, meta=True), sr=16000),
        Task(_job(4, stamp=False), render_only=True),
    ],
)
def test_a_task_comes_back_whole(task: Task) -> None:
    back = _round_trip(task)
    assert type(back) is Task
    assert back == task
    assert (back.render_only, back.sr) == (task.render_only, task.sr)
    assert tuple(back.job) == tuple(task.job)


def test_tasks_travel_with_one_python_call_each_way() -> None:
    # Unpickled, a job is made by tuple.__new__ (C), a task by its __init__;
    # pickled, each says what it is made of. (A slotted dataclass went
    # through dataclasses.fields() on both sides, and a job through a
    # Python function that rebuilt it field by field.)
    tasks = [Task(_job(i, meta=bool(i % 2))) for i in range(20)]
    data = b""

    def dump() -> None:
        nonlocal data
        data = pickle.dumps(tasks, protocol=pickle.HIGHEST_PROTOCOL)

    dumped = _python_calls(dump)[1:]  # (the first is dump itself)
    assert len(dumped) <= 2 * len(tasks), sorted(set(dumped))
    back: list[Task] = []
    loaded = _python_calls(lambda: back.extend(pickle.loads(data)))[1:]
    assert len(loaded) <= len(tasks), sorted(set(loaded))
    assert back == tasks


@pytest.mark.parametrize("status", list(Status))
def test_a_result_comes_back_whole(status: Status) -> None:
    result = Result(
        src=Path("/in/dogs/bark1.wav"),
        status=status,
        reason="" if status is Status.WRITTEN else "why",
        warnings=("short",),
        outputs=(Path("/out/dogs/bark1.npy"), Path("/out/dogs/bark1.png")),
        shape=(80, 3000),
        samplerate=44100,
        channels=2,
        sr=16000,
        duration=30.0,
        timings={"decode": 0.001, "write": 0.002},
        segments=(0.0, 10.0),
        silent=True,
        wave={"env": "gg", "peak": 0.5},
        png_only=True,
    )
    back = _round_trip(result)
    assert back == result
    assert back.status is status
    assert type(back.src) is type(result.src)
    assert all(type(p) is type(result.src) for p in back.outputs)


def test_several_times_averaged_at_once_as_one_by_one() -> None:
    times = [0.004, 0.001, 0.05, 0.002, 0.003]
    one, together = _Pace(), _Pace()
    for seconds in times:
        one.add(seconds)
    together.add_all(times)
    assert together.seconds == one.seconds
    together.add_all([])
    assert together.seconds == one.seconds
    late = _Pace()
    late.add(0.01)
    late.add_all(times)
    one_late = _Pace()
    for seconds in [0.01, *times]:
        one_late.add(seconds)
    assert late.seconds == one_late.seconds


def _same(x: int) -> int:
    return x


def _batches(items: list[int]) -> Iterator[list[tuple[int, Any]]]:
    return run_batches(ProcessRunner(2, preload=()), _same, items)


def test_the_outcomes_of_a_message_each_go_with_their_own_item() -> None:
    # Many outcomes of one message are taken at once: each must stay with the
    # item it is the outcome of, and none may be taken twice or lost.
    got = [pair for batch in _batches(list(range(500))) for pair in batch]
    assert sorted(got) == [(i, i) for i in range(500)]
    assert all(item == outcome for item, outcome in got)


def test_a_pool_runs_tasks_with_their_fields_intact() -> None:
    tasks = [Task(_job(i, png=bool(i % 3), meta=bool(i % 2)), sr=i) for i in range(60)]
    got = [pair for batch in _batches(tasks) for pair in batch]  # type: ignore[arg-type]
    assert sorted(got, key=lambda pair: pair[0].sr) == [(t, t) for t in tasks]
    assert all(tuple(a.job) == tuple(b.job) for a, b in got)  # stamps too
    assert all((a.render_only, a.sr) == (b.render_only, b.sr) for a, b in got)


def test_a_nap_finds_what_was_done_before_it() -> None:
    # Every collection wakes this process on a CPU its workers need; each
    # worker sends what it finished about twice a nap.
    pace = _Pace()
    pace.add(0.0024)
    pace.last = time.monotonic() + 1.0  # just collected, whatever the clock says
    assert pace.nap() == COLLECT_EVERY
    assert pace.nap() / 2 >= SEND_EVERY
    # Enough held to last until the nap after next, even at the shortest
    # items the depth's cap allows for.
    assert pace.low() * pace.seconds >= 2 * pace.nap()
    tiny = _Pace()
    tiny.add(0.0008)
    assert tiny.low() * 0.0008 >= 2 * COLLECT_EVERY


@pytest.mark.parametrize(
    ("seconds", "short"), [(0.001, True), (0.012, True), (0.03, False)]
)
def test_items_under_20_ms_are_collected_in_naps(seconds: float, short: bool) -> None:
    # Longer items are collected one by one, as each is done (2 held each).
    pace = _Pace()
    pace.add(seconds)
    pace.last = time.monotonic() + 1.0
    assert pace.short() is short
    assert (pace.nap() == COLLECT_EVERY) is short
    assert (pace.depth() > DEPTH) is short


def test_the_first_worker_is_sent_its_items_before_the_second_starts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A worker's start (a fork and multiprocessing's hand-over) takes
    # milliseconds: the first worker works meanwhile, instead of waiting for
    # the second to be there before anything is sent.
    from melcli import runners

    events: list[str] = []
    real_send, real_new = runners._Worker.send, runners.ProcessRunner._new_worker

    def send(self: Any) -> None:
        events.append("send")
        real_send(self)

    def new_worker(self: Any, *args: Any) -> Any:
        events.append("start")
        return real_new(self, *args)

    monkeypatch.setattr(runners._Worker, "send", send)
    monkeypatch.setattr(runners.ProcessRunner, "_new_worker", new_worker)
    got = dict(ProcessRunner(2, preload=()).run(_same, range(10)))
    assert got == {i: i for i in range(10)}
    starts = [i for i, event in enumerate(events) if event == "start"]
    assert len(starts) == 2, events
    assert "send" in events[starts[0] : starts[1]], events

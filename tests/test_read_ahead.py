"""Inputs read ahead once they come from the disk (melcli.work.TaskWork).

A task whose input was not in the page cache waits for the disk (a 5-s file:
twice, 1.4-1.8 ms each, more than its work). Once a task has read from the disk,
the worker asks the kernel to read the inputs of the next tasks while they
wait their turn; with the inputs cached it asks nothing (each ask costs an
open and a look at the file's pages).
"""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

import pytest

from melcli import pipeline, work
from melcli.discover import Job, Task
from melcli.params import MelParams


def _tasks(tmp_path: Path, count: int, size: int = 1000) -> list[Task]:
    tasks = []
    for i in range(count):
        src = tmp_path / f"in{i:03d}.wav"
        src.write_bytes(b"\0" * size)
        job = Job(src, src.name, tmp_path / "out" / f"in{i:03d}.npy", stamp=[size, 1])
        tasks.append(Task(job))
    return tasks


@pytest.fixture
def runs(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    """Stub the task itself; count the disk reads by hand; note what is read ahead."""
    seen: dict[str, list[str]] = {"ran": [], "ahead": []}
    disk = {"reads": 0}

    def process_task(task: Task, **_kwargs: object) -> str:
        seen["ran"].append(task.job.src_name)
        if task.job.src_name.endswith(tuple(seen.get("cold", []))):
            disk["reads"] += 8
        return "done"

    monkeypatch.setattr(pipeline, "process_task", process_task)
    monkeypatch.setattr(work, "_disk_reads", lambda: disk["reads"])
    monkeypatch.setattr(work, "read_ahead", seen["ahead"].append)
    return seen


def test_a_task_read_from_the_disk_has_the_next_inputs_read_ahead(
    tmp_path: Path, runs: dict[str, list[str]]
) -> None:
    tasks = _tasks(tmp_path, 60)
    names = [t.job.src_name for t in tasks]
    runs["cold"] = ["in003.wav"]
    fn = work.TaskWork(MelParams(), None)
    fn.expect(tasks)
    for task in tasks[:4]:
        fn(task)
    assert runs["ahead"] == []
    fn(tasks[4])  # (seen as it starts: before it, nothing to stop half-way)
    ahead = work.READ_AHEAD
    assert runs["ahead"] == names[5 : 5 + ahead]  # the next ones, in order
    for task in tasks[5:]:
        fn(task)
    # Up to READ_AHEAD tasks on, each keeps READ_AHEAD read ahead (once each);
    # their inputs were cached (nothing came from the disk): no more after.
    assert runs["ahead"] == names[5 : 4 + 2 * ahead]


def test_inputs_in_the_cache_are_not_read_ahead(
    tmp_path: Path, runs: dict[str, list[str]]
) -> None:
    tasks = _tasks(tmp_path, 30)
    fn = work.TaskWork(MelParams(), None)
    fn.expect(tasks)
    for task in tasks:
        assert fn(task) == "done"
    assert runs["ran"] == [t.job.src_name for t in tasks]
    assert runs["ahead"] == []


def test_a_worker_reads_ahead_its_next_message_while_inputs_are_cold(
    tmp_path: Path, runs: dict[str, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pipeline, "load_ahead", lambda *a, **k: {})
    tasks = _tasks(tmp_path, 8)
    runs["cold"] = ["in000.wav"]
    fn = work.TaskWork(MelParams(), None)
    first, second = tasks[:3], tasks[3:]
    fn.prepare(first, lambda i: None)
    fn(first[0])  # read from the disk
    fn(first[1])
    assert runs["ahead"] == [first[2].job.src_name]
    fn(first[2])
    fn.prepare(second, lambda i: None)  # the next message: read ahead at once
    assert runs["ahead"][1:] == [t.job.src_name for t in second]


def test_large_inputs_are_not_read_ahead(
    tmp_path: Path, runs: dict[str, list[str]]
) -> None:
    (tmp_path / "big").mkdir()
    (tmp_path / "small").mkdir()
    tasks = _tasks(tmp_path / "small", 3)
    big = tmp_path / "big" / "long.wav"
    big.write_bytes(b"\0" * 10)
    tasks.insert(
        2,
        Task(Job(big, big.name, tmp_path / "o.npy", stamp=[work.READ_MAX + 1, 1])),
    )
    runs["cold"] = ["in000.wav"]
    fn = work.TaskWork(MelParams(), None)
    fn.expect(tasks)
    fn(tasks[0])
    fn(tasks[1])
    assert str(big) not in runs["ahead"]
    assert runs["ahead"] == [tasks[3].job.src_name]


def test_work_sent_to_a_worker_starts_afresh(tmp_path: Path) -> None:
    import pickle

    fn = work.TaskWork(MelParams(), None)
    fn.expect(_tasks(tmp_path, 3))
    copy = pickle.loads(pickle.dumps(fn))
    assert copy._coming == ()
    assert copy._cold_to == 0


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_reading_ahead_a_fifo_neither_blocks_nor_fails(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.wav"
    os.mkfifo(fifo)
    done = threading.Event()

    def ask() -> None:
        work.read_ahead(str(fifo))
        work.read_ahead(str(tmp_path / "gone.wav"))
        work.read_ahead(str(tmp_path))
        done.set()

    threading.Thread(target=ask, daemon=True).start()
    assert done.wait(30)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="posix_fadvise: Linux")
def test_reading_ahead_a_file_asks_the_kernel(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = tmp_path / "a.wav"
    src.write_bytes(b"\0" * 4096)
    asked: list[int] = []
    real = os.posix_fadvise

    def fadvise(fd: int, offset: int, length: int, advice: int) -> None:
        asked.append(advice)
        real(fd, offset, length, advice)

    monkeypatch.setattr(os, "posix_fadvise", fadvise)
    work.read_ahead(str(src))
    assert asked == [os.POSIX_FADV_WILLNEED]


def test_inputs_of_size_0_are_never_read_ahead(
    tmp_path: Path, runs: dict[str, list[str]]
) -> None:
    # Discovery gives a FIFO (or a device) the size 0: opened, a FIFO would
    # wake a writer waiting on it (hit by EPIPE as it is closed).
    tasks = _tasks(tmp_path, 3)
    fifo = tmp_path / "pipe.wav"
    tasks.insert(2, Task(Job(fifo, fifo.name, tmp_path / "p.npy", stamp=[0, 1])))
    runs["cold"] = ["in000.wav"]
    fn = work.TaskWork(MelParams(), None)
    fn.expect(tasks)
    fn(tasks[0])
    fn(tasks[1])
    assert runs["ahead"] == [tasks[3].job.src_name]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_is_not_opened_to_be_read_ahead(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fifo = tmp_path / "pipe.wav"
    os.mkfifo(fifo)
    opened: list[str] = []
    real = os.open

    def spy(path: str, *args: int, **kwargs: object) -> int:
        opened.append(os.fspath(path))
        return real(path, *args, **kwargs)  # type: ignore[arg-type]

    work.read_ahead(str(tmp_path / "gone.wav"))  # (the function exists)
    monkeypatch.setattr(os, "open", spy)
    work.read_ahead(str(fifo))
    work.read_ahead(str(tmp_path))
    assert opened == []

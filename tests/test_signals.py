"""Signals and callbacks that stop a run or a gallery build: OUT stays consistent.

SIGHUP (a closed terminal), Ctrl-C and SIGKILL while the gallery's workers
draw, an ``on_result`` callback that raises.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from conftest import RUN_LIMIT, STOP_LIMIT, WriteAudio, children, short_tones, wait_for
from test_batch import AllAtOnce  # its lists, its attributes
from test_interrupt import (  # the fixtures and checks of SIGINT and SIGTERM
    N_FILES,
    SLOW,
    Runs,
    check_consistent,
    data,
    journal_written,
    reference,
    resume_and_compare,
    runs,
    stderr_at_exit,
)

import melcli
from melcli import gallery
from melcli.batch import run_plan
from melcli.discover import plan
from melcli.manifest import Manifest
from melcli.params import MelParams
from melcli.report import Result
from melcli.storage import storage_for

__all__ = ["data", "reference", "runs"]  # fixtures, used by name


# -----------------------------------------------------------------------------
# SIGHUP: a closed terminal (ssh dropped, tmux window killed) stops a run cleanly.
#
# Python leaves SIGHUP at its default, which killed melcli where it stood, as
# kill -9 does: no summary, temporary files and the journal left in OUT for the
# next run, arrays on disk that manifest.jsonl did not list. It is now a stop
# signal as SIGTERM is (status 129); the workers ignore it, as they ignore
# Ctrl-C, and the run stops them; so do the programs the run starts (the fork
# server, multiprocessing's resource tracker). Under nohup it stays ignored.


@pytest.mark.slow
@pytest.mark.parametrize("to_group", [True, False], ids=["terminal", "pid"])
def test_sighup_stops_cleanly_and_next_run_finishes(
    data: Path, reference: dict[str, bytes], runs: Runs, tmp_path: Path, to_group: bool
) -> None:
    out = tmp_path / "out"
    proc = runs.start("mel", data, "-o", out, "-j", "2", *SLOW)
    wait_for(lambda: journal_written(out) >= 1 or proc.poll() is not None)
    assert proc.poll() is None, "the run ended before it could be interrupted"

    if to_group:  # as a terminal hanging up: every process of the group
        os.killpg(proc.pid, signal.SIGHUP)
    else:
        proc.send_signal(signal.SIGHUP)
    err = stderr_at_exit(proc)

    assert proc.returncode == 128 + signal.SIGHUP, err
    last = err.splitlines()[-1]
    assert "Traceback" not in err
    done = check_consistent(out, reference)
    assert last.startswith(f"interrupted: {done} written"), (last, done)
    assert done < N_FILES
    resume_and_compare(runs, data, out, reference, done)


@pytest.mark.slow
def test_sighup_stops_a_run_on_a_local_dask_cluster_cleanly(
    data: Path, reference: dict[str, bytes], runs: Runs, tmp_path: Path
) -> None:
    """multiprocessing's resource tracker ignores SIGINT and SIGTERM, not SIGHUP:
    killed with the group, the one started again printed a KeyError traceback
    for each semaphore it had not seen."""
    pytest.importorskip("distributed")
    out = tmp_path / "out"
    proc = runs.start("mel", data, "-o", out, "-j", "2", "--scheduler", "local", *SLOW)
    wait_for(lambda: journal_written(out) >= 1 or proc.poll() is not None)
    assert proc.poll() is None, "the run ended before it could be interrupted"

    os.killpg(proc.pid, signal.SIGHUP)
    err = stderr_at_exit(proc)

    assert proc.returncode == 128 + signal.SIGHUP, err
    assert "Traceback" not in err, err
    done = check_consistent(out, reference)
    assert err.splitlines()[-1].startswith(f"interrupted: {done} written"), err


@pytest.mark.slow
def test_under_nohup_sighup_is_ignored(
    data: Path, reference: dict[str, bytes], runs: Runs, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    proc = runs.start(
        "mel",
        data,
        "-o",
        out,
        "-j",
        "2",
        *SLOW,
        preexec_fn=lambda: signal.signal(signal.SIGHUP, signal.SIG_IGN),
    )
    wait_for(lambda: journal_written(out) >= 1 or proc.poll() is not None)
    assert proc.poll() is None, "the run ended before the signal"

    os.killpg(proc.pid, signal.SIGHUP)
    err = stderr_at_exit(proc)

    assert proc.returncode == 0, err
    assert err.splitlines()[-1] == f"{N_FILES} written."
    assert check_consistent(out, reference) == N_FILES


API_RUN = """
import os, signal, sys
import melcli

def on_result(result):
    if result.status == melcli.Status.WRITTEN:
        os.kill(os.getpid(), signal.SIGHUP)

try:
    melcli.run([sys.argv[1]], sys.argv[2], jobs=1, on_result=on_result)
except melcli.RunInterrupted as exc:
    assert signal.getsignal(signal.SIGHUP) == signal.SIG_DFL  # put back
    print(exc.report.interrupted_by, exc.report.summary())
"""


@pytest.mark.slow
def test_a_python_run_stops_on_sighup_as_the_command_does(tmp_path: Path) -> None:
    src = short_tones(tmp_path / "src", n=4)
    out = tmp_path / "out"

    done = subprocess.run(
        [sys.executable, "-c", API_RUN, src, out],
        capture_output=True,
        text=True,
        timeout=RUN_LIMIT,
    )

    assert done.returncode == 0, done.stderr  # not killed by the signal
    signum, _, summary = done.stdout.strip().partition(" ")
    assert int(signum) == signal.SIGHUP
    assert summary.startswith("interrupted: 1 written")
    assert [p.name for p in out.glob("*.npy")] == ["0.npy"]


# -----------------------------------------------------------------------------
# Ctrl-C while ``melcli gallery`` draws its pages in worker processes.
#
# The gallery's workers were forked with the command's own signal handlers: a
# Ctrl-C (which a terminal sends to every process of the group) raised
# ``Interrupted`` in each. One waiting for its next page printed a
# multiprocessing traceback, and the run could hang for good (the command and
# both workers asleep on a lock, a second Ctrl-C only noted). A worker drawing
# a page sent the exception back as the page's result. Now the workers ignore
# Ctrl-C and SIGHUP as a run's workers do; the command stops them when it stops
# (SIGTERM: a worker removes the picture it was writing), without waiting for
# the pages they were given.
#
# Killed with SIGKILL, the command left its workers waiting for pages for
# ever (each holding a copy of the entries), and the pictures they were
# writing under temporary names in ``OUT/gallery`` for good. The workers now
# end with the command (Linux), and a build removes what a killed one left.


@dataclass
class _Done:
    records: list[object] = field(default_factory=list)


class _SignalsSeen:
    """A page maker that returns, for each page, how the worker treats signals."""

    def page(self, entries: list[int], groups: list[str]) -> _Done:
        seen = [signal.getsignal(s) for s in (signal.SIGINT, signal.SIGHUP)]
        return _Done([(os.getpid(), seen)])


def test_the_gallery_workers_leave_ctrl_c_to_the_command() -> None:
    chunks = [[k] for k in range(8)]
    pages = gallery._make_pages(
        _SignalsSeen(),  # type: ignore[arg-type]
        chunks,  # type: ignore[arg-type]
        [["g"]] * len(chunks),
        jobs=2,
        progress=None,
    )
    seen = [page.records[0] for page in pages]

    assert {pid for pid, _ in seen} - {os.getpid()}, "no worker process drew a page"
    for _, handlers in seen:
        assert handlers == [signal.SIG_IGN, signal.SIG_IGN]


class _SlowAfterFirst:
    """The first page comes at once; the others after a long wait, then a mark."""

    def __init__(self, marks: Path) -> None:
        self.marks = marks

    def page(self, entries: list[int], groups: list[str]) -> _Done:
        if entries[0]:
            time.sleep(30.0)
            (self.marks / f"{entries[0]}").touch()
        return _Done([entries[0]])


@pytest.mark.slow
def test_leaving_the_pages_early_stops_the_workers_at_once(tmp_path: Path) -> None:
    """An interrupted gallery does not wait for the pages the workers were given."""
    chunks = [[k] for k in range(6)]
    pages = gallery._make_pages(
        _SlowAfterFirst(tmp_path),  # type: ignore[arg-type]
        chunks,  # type: ignore[arg-type]
        [["g"]] * len(chunks),
        jobs=2,
        progress=None,
    )
    assert next(pages).records == [0]
    pages.close()  # as an Interrupted raised while the command takes a page

    assert multiprocessing.active_children() == []
    assert list(tmp_path.iterdir()) == [], "a worker went on drawing its pages"


def _group_gone(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return True
    return False


#: The tests that find a command's workers as its children, in /proc.
needs_children = pytest.mark.skipif(
    not Path(f"/proc/{os.getpid()}/task/{os.getpid()}/children").exists(),
    reason="needs Linux's /proc/PID/task/TID/children",
)


def drawing(runs: Runs, tmp_path: Path) -> tuple[subprocess.Popen[str], Path]:
    """Start ``melcli gallery -j 2`` on a new OUT; return it once its pool runs."""
    src = short_tones(tmp_path / "audio", n=4 * gallery.PAGE_SIZE)
    out = tmp_path / "out"
    code, _, err = runs.run("mel", src, "-o", out, "-j", "2", "-q")
    assert code == 0, err
    proc = runs.start("gallery", out, "-j", "2")
    wait_for(lambda: len(children(proc.pid)) >= 2 or proc.poll() is not None)
    assert proc.poll() is None, "the gallery ended before its workers started"
    return proc, out


@pytest.mark.slow
@needs_children
def test_ctrl_c_in_the_gallery_stops_it_cleanly(runs: Runs, tmp_path: Path) -> None:
    proc, out = drawing(runs, tmp_path)
    # Hold the command while its workers run out of pages: Ctrl-C then finds
    # them waiting for more (where the traceback came from), or drawing.
    os.kill(proc.pid, signal.SIGSTOP)
    time.sleep(0.5)
    os.killpg(proc.pid, signal.SIGINT)  # as a terminal's Ctrl-C: the whole group
    os.kill(proc.pid, signal.SIGCONT)
    err = stderr_at_exit(proc)

    assert proc.returncode == 128 + signal.SIGINT, err
    assert "Traceback" not in err, err
    assert err.splitlines()[-1] == "interrupted", err
    wait_for(lambda: _group_gone(proc.pid), timeout=STOP_LIMIT)
    left = [p.name for p in (out / "gallery").rglob("*") if "melcli-tmp" in p.name]
    assert left == []

    code, _, err = runs.run("gallery", out, "-j", "2")
    assert code == 0, err
    assert f"{4 * gallery.PAGE_SIZE} inputs" in err


@pytest.mark.slow
@needs_children
def test_the_workers_of_a_gallery_killed_with_sigkill_end_too(
    runs: Runs, tmp_path: Path
) -> None:
    proc, _ = drawing(runs, tmp_path)
    workers = children(proc.pid)
    proc.kill()
    proc.wait()  # not its pipes: workers left running hold them open

    try:
        wait_for(lambda: all(_gone(pid) for pid in workers), timeout=STOP_LIMIT)
    finally:
        for pid in workers:  # those left waiting for pages for ever
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def _gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return True
    return state == "Z"  # a zombie: ended, not yet reaped by init


def test_a_build_removes_the_pictures_a_killed_one_left(tmp_path: Path) -> None:
    src = short_tones(tmp_path / "audio", n=2)
    out = tmp_path / "out"
    melcli.run(src, out)
    melcli.build_gallery(out, jobs=1)
    left = [
        out / "gallery" / "thumbs" / ".p-0123456789abcdef01234567.png.x1y2.melcli-tmp",
        out / "gallery" / "data" / ".page-00000.js.x1y2.melcli-tmp",
    ]
    for path in left:
        path.write_bytes(b"half")

    melcli.build_gallery(out, jobs=1)

    assert [p for p in left if p.exists()] == []


# -----------------------------------------------------------------------------
# A callback that raises must not leave OUT as a kill -9 would.
#
# ``on_result`` raises when the command's stderr is closed (``melcli mel ... -v
# 2>&1 | head -1``: BrokenPipeError) or when a Python caller's callback fails.
# The run then stops and settles what its workers had finished; settling told
# ``on_result`` of each of those again, which raised again, and the run ended
# there: no manifest committed (a journal left), and with ``--format
# webdataset`` the shard being written and the staged arrays left as temporary
# files in OUT. About half of such ``| head`` runs with two workers ended so.


class OneThenStopped(AllAtOnce):
    """A pool whose first outcome comes alone; the others were finished by its
    workers when the run stopped (they are ``late``, as a pool's are)."""

    def run_batches(
        self, fn: Callable[[Any], Any], items: Iterable[Any]
    ) -> Iterator[list[tuple[Any, Any]]]:
        done = [(item, fn(item)) for item in items]
        try:
            yield done[:1]
            yield done[1:]
        finally:
            self.late = done  # as a pool gives back what came


def _stopped_run(
    tmp_path: Path, on_result: Callable[[Result], None], storage_format: str = "npy"
) -> Path:
    """Run over ``tmp_path/audio`` into ``tmp_path/out``, stopped as above."""
    out = tmp_path / "out"
    run_plan(
        plan([tmp_path / "audio"], out),
        params=MelParams(),
        runner=OneThenStopped(),
        manifest=Manifest.load(out),
        on_result=on_result,
        storage=storage_for(storage_format),
    )
    return out


def _closed_stderr(result: Result) -> None:
    raise BrokenPipeError(32, "Broken pipe")


@pytest.mark.parametrize("storage_format", ["npy", "webdataset"])
def test_a_callback_that_raises_still_leaves_out_committed(
    write_audio: WriteAudio, tmp_path: Path, storage_format: str
) -> None:
    for name in ("a", "b", "c"):
        write_audio(f"{name}.wav")
    out = tmp_path / "out"

    with pytest.raises(BrokenPipeError):
        _stopped_run(tmp_path, _closed_stderr, storage_format)

    left = sorted(p.name for p in out.iterdir() if p.name.startswith("."))
    assert left == [".melcli-manifest.db"]  # no journal, no temporary file
    entries = Manifest.load(out).entries
    assert len(entries) == 3  # every finished file recorded
    assert {entry["status"] for entry in entries.values()} == {"written"}
    if storage_format == "npy":
        assert sorted(p.name for p in out.glob("*.npy")) == ["a.npy", "b.npy", "c.npy"]
    else:
        assert [p.name for p in out.glob("*.tar")] == ["shard-000000.tar"]


def test_the_results_settled_at_the_end_are_still_told(
    write_audio: WriteAudio, tmp_path: Path
) -> None:
    # Once OUT is committed: the caller hears of every file, as before.
    for name in ("a", "b", "c"):
        write_audio(f"{name}.wav")
    told: list[str] = []

    def on_result(result: Result) -> None:
        told.append(result.src.name)
        if len(told) == 1:  # the first: the run stops
            raise ValueError("a caller's callback failed")

    with pytest.raises(ValueError, match="callback failed"):
        _stopped_run(tmp_path, on_result)
    assert told == ["a.wav", "b.wav", "c.wav"]
    assert not Manifest.load(tmp_path / "out").journal_path.exists()

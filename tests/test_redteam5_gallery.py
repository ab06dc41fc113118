"""Ctrl-C while ``melcli gallery`` draws its pages in worker processes.

The gallery's workers were forked with the command's own signal handlers: a
Ctrl-C (which a terminal sends to every process of the group) raised
``Interrupted`` in each. One waiting for its next page printed a
multiprocessing traceback, and the run could hang for good (the command and
both workers asleep on a lock, a second Ctrl-C only noted). A worker drawing
a page sent the exception back as the page's result. Now the workers ignore
Ctrl-C and SIGHUP as a run's workers do; the command stops them when it stops
(SIGTERM: a worker removes the picture it was writing), without waiting for
the pages they were given.

Killed with SIGKILL, the command left its workers waiting for pages for
ever (each holding a copy of the entries), and the pictures they were
writing under temporary names in ``OUT/gallery`` for good. The workers now
end with the command (Linux), and a build removes what a killed one left.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from conftest import STOP_LIMIT, short_tones, wait_for
from test_interrupt import Runs, runs, stderr_at_exit

import melcli
from melcli import gallery

__all__ = ["runs"]  # a fixture, used by name


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


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


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
    wait_for(lambda: len(_children(proc.pid)) >= 2 or proc.poll() is not None)
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
    workers = _children(proc.pid)
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

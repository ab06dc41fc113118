"""Signals during ``melcli.run`` (the Python API): stopped as the command stops.

The command takes its stop signals in hand for its whole life
(:func:`melcli.interrupts.stop_on_signals`); a run started from Python left
them at Python's defaults, and so:

- a Ctrl-C (or SIGTERM) whose KeyboardInterrupt was raised while the garbage
  collector ran a finaliser was printed ("Exception ignored in ...") and lost:
  the run went on to its end and returned as if never interrupted;
- a second Ctrl-C during the run's clean-up ended it with a bare
  KeyboardInterrupt instead of ``RunInterrupted`` and its report;
- SIGTERM while the run planned (SIGTERM's default) killed the caller's
  process;
- the store's connection (``OUT/.melcli-manifest.db``) stayed open after an
  interrupted run for as long as the caller kept the exception.

Each case runs in a process of its own: the signals are sent to it.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import RUN_LIMIT, clean_env, noise_clips

#: What every script starts with: ``SRC``, ``OUT``, the case's argument, and
#: ``show``, which prints how ``melcli.run`` ended and what it put back.
PRELUDE = """
import gc, os, signal, sys, time, weakref
import melcli
from melcli import pipeline, session

SRC, OUT, ARG = sys.argv[1], sys.argv[2], sys.argv[3]
real_task = pipeline.process_task
calls = []
before = (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM),
          signal.getsignal(signal.SIGALRM), sys.unraisablehook)

def on_file(n, then):
    def process_task(*args, **kwargs):
        calls.append(1)
        if len(calls) == n:
            then()
        return real_task(*args, **kwargs)
    pipeline.process_task = process_task

def show(**kwargs):
    try:
        report = melcli.run([SRC], OUT, jobs=1, **kwargs)
        print("returned", report.summary())
    except melcli.RunInterrupted as exc:
        print("interrupted", exc.report.interrupted_by, exc.report.summary())
        kept.append(exc)
    except BaseException as exc:
        print("raised", type(exc).__name__)
    after = (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM),
             signal.getsignal(signal.SIGALRM), sys.unraisablehook)
    print("put back" if after == before else f"changed {before} {after}")

kept = []
"""

#: A finaliser (a weakref callback) that sends the signal and runs while it
#: is taken: Python prints its exception and drops it.
DROPPED = """
class Token:
    pass

def send_and_wait(ref):
    os.kill(os.getpid(), int(ARG))
    for _ in range(2_000_000):
        pass

def drop():
    token = Token()
    drop.ref = weakref.ref(token, send_and_wait)
    del token

on_file(2, drop)
show()
"""

#: As DROPPED, the caller's own use of SIGALRM (a handler, a timer running).
DROPPED_ALARM_TAKEN = (
    """
signal.signal(signal.SIGALRM, lambda n, f: None)
signal.setitimer(signal.ITIMER_REAL, 3600)
before = (before[0], before[1], signal.getsignal(signal.SIGALRM), before[3])
"""
    + DROPPED
)

#: A Ctrl-C during the run, then another as it removes what it left.
TWICE = """
def sweep(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGINT)
    time.sleep(0.05)  # the handler runs here, unless held
    return real_sweep(*args, **kwargs)

real_sweep = session.remove_leftovers
session.remove_leftovers = sweep
on_file(2, lambda: os.kill(os.getpid(), signal.SIGINT))
show()
"""

#: A signal while the run plans, before any work.
WHILE_PLANNING = """
def plan(*args, **kwargs):
    os.kill(os.getpid(), int(ARG))
    time.sleep(0.05)
    return real_plan(*args, **kwargs)

real_plan = session.plan
session.plan = plan
show()
"""

#: A second run, stopped by Ctrl-C; the exception is kept by the caller.
STORE_KEPT = """
show()
calls.clear()
on_file(2, lambda: os.kill(os.getpid(), signal.SIGINT))
show(force=True)
store = os.path.realpath(os.path.join(OUT, ".melcli-manifest.db"))
held = []
for fd in os.listdir("/proc/self/fd"):
    try:
        if os.readlink(f"/proc/self/fd/{fd}").startswith(store):
            held.append(fd)
    except OSError:
        pass
print("store open" if held else "store closed", len(kept))
"""


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """6 one-second WAVs: -j 1 runs take them one at a time."""
    root = tmp_path_factory.mktemp("api_signals") / "clips"
    return noise_clips(root, n=6, frames=44100, folders=1, seed=23)


def _run(tmp_path: Path, clips: Path, body: str, arg: object = 0) -> list[str]:
    """Run PRELUDE + ``body`` on ``clips``; return its lines (stderr must be empty)."""
    script = tmp_path / "script.py"
    script.write_text(PRELUDE + body)
    done = subprocess.run(
        [sys.executable, script, clips, tmp_path / "out", str(arg)],
        capture_output=True,
        text=True,
        env=clean_env(),
        timeout=RUN_LIMIT,
        check=False,
    )
    assert done.returncode == 0, (done.returncode, done.stdout, done.stderr)
    assert done.stderr == "", done.stderr  # no "Exception ignored in ..."
    return done.stdout.splitlines()


@pytest.mark.parametrize("body", [DROPPED, DROPPED_ALARM_TAKEN], ids=["", "alarm"])
@pytest.mark.parametrize(
    "signum", [signal.SIGINT, signal.SIGTERM], ids=lambda s: s.name
)
def test_a_signal_python_drops_still_stops_an_api_run(
    tmp_path: Path, clips: Path, signum: signal.Signals, body: str
) -> None:
    lines = _run(tmp_path, clips, body, int(signum))
    # Stopped at once (by a timer), or with SIGALRM the caller's, as the
    # second file is recorded; not after the whole run.
    assert lines[0] in (
        f"interrupted {int(signum)} interrupted: 1 written. Run again to finish.",
        f"interrupted {int(signum)} interrupted: 2 written. Run again to finish.",
    ), lines
    assert lines[1] == "put back", lines


def test_a_second_ctrl_c_in_the_clean_up_still_gives_the_report(
    tmp_path: Path, clips: Path
) -> None:
    lines = _run(tmp_path, clips, TWICE)
    assert lines[0] == "interrupted 2 interrupted: 1 written. Run again to finish."
    assert lines[1] == "put back", lines


@pytest.mark.parametrize(
    "signum", [signal.SIGINT, signal.SIGTERM], ids=lambda s: s.name
)
def test_a_signal_while_an_api_run_plans_raises_run_interrupted(
    tmp_path: Path, clips: Path, signum: signal.Signals
) -> None:
    lines = _run(tmp_path, clips, WHILE_PLANNING, int(signum))
    assert lines[0] == (
        f"interrupted {int(signum)} interrupted: 0 written. Run again to finish."
    ), lines
    assert lines[1] == "put back", lines
    assert not list((tmp_path / "out").glob("**/*.npy"))


def test_an_interrupted_api_run_closes_the_store(tmp_path: Path, clips: Path) -> None:
    lines = _run(tmp_path, clips, STORE_KEPT)
    assert lines[0] == "returned 6 written.", lines
    assert lines[2].startswith("interrupted 2 interrupted: 1 written"), lines
    assert lines[-1] == "store closed 1", lines  # the exception still kept

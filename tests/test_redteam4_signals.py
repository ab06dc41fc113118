"""SIGHUP: a closed terminal (ssh dropped, tmux window killed) stops a run cleanly.

Python leaves SIGHUP at its default, which killed melcli where it stood, as
kill -9 does: no summary, temporary files and the journal left in OUT for the
next run, arrays on disk that manifest.jsonl did not list. It is now a stop
signal as SIGTERM is (status 129); the workers ignore it, as they ignore
Ctrl-C, and the run stops them; so do the programs the run starts (the fork
server, multiprocessing's resource tracker). Under nohup it stays ignored.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import RUN_LIMIT, short_tones, wait_for
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

__all__ = ["data", "reference", "runs"]  # fixtures, used by name

pytestmark = pytest.mark.slow


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

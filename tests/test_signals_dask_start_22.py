"""A stop signal while the local Dask cluster starts: status 128+n, no traceback.

Stopped while the cluster's worker processes started, the run still stopped
and exited 130, but Dask printed tracebacks over its summary: its own exit
handler closing workers not started yet (``AssertionError: Status.init``),
workers whose semaphores were gone (``FileNotFoundError`` in
``SemLock._rebuild``), nannies that failed to start ("Task exception was
never retrieved"). The cluster is now started with the stop signals held; one
that came meanwhile acts once it is up, and it is closed as usual.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
from conftest import children, short_tones, wait_for
from test_interrupt import Runs, stderr_at_exit

pytest.importorskip("distributed")


def _a_worker_starting(pid: int) -> bool:
    """Whether a process started by ``pid`` (the fork server) has started one."""
    return any(children(child) for child in children(pid))


@pytest.mark.slow
@pytest.mark.parametrize(
    "signum", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP], ids=lambda s: s.name
)
def test_a_signal_while_the_cluster_starts_stops_cleanly(
    tmp_path: Path, signum: signal.Signals
) -> None:
    src = short_tones(tmp_path / "src", n=4)
    out = tmp_path / "out"
    runs = Runs(tmp_path)
    try:
        proc = runs.start("mel", src, "-o", out, "-j", "2", "--scheduler", "local")
        wait_for(lambda: _a_worker_starting(proc.pid) or proc.poll() is not None)
        assert proc.poll() is None, "the run ended before its cluster started"
        os.killpg(proc.pid, signum)  # as a terminal's Ctrl-C, to the whole group
        err = stderr_at_exit(proc)
    finally:
        runs.reap()

    assert "Traceback" not in err, err
    assert "Exception" not in err, err
    assert proc.returncode == 128 + signum, err
    assert err.splitlines()[-1].startswith("interrupted"), err
    # Nothing was written, and nothing of the run is left to clean up.
    assert not [p for p in out.rglob("*") if "melcli-tmp" in p.name]

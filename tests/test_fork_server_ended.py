"""A pool whose fork server ends before it starts a worker: no bare ``EOFError``.

A fork server killed while a worker's start waits for it (the OOM killer, a
``kill`` by hand, a crash in its imports) hangs up on the run: the run ended
with ``Aborted!`` and status 1, nothing written and nothing said. The pool now
starts a new server once the old one has exited, and says why when that one
ends too.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import RUN_LIMIT

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="a fork server, /proc: Linux"
)

#: Imported by the fork server: once the run's first start request waits in
#: its socket's backlog (the server's listening socket is readable), it dies,
#: once (``MARK`` is made) or always.
PRELOAD = """
import os, re, select
MARK = {mark!r}
if {always!r} or not os.path.exists(MARK):
    open(MARK, "w").close()
    with open("/proc/self/cmdline", "rb") as cmdline:
        listener = int(re.search(rb"main\\((\\d+), ", cmdline.read())[1])
    select.select([listener], [], [], 60)
    os._exit(3)
"""

#: A pool of fork-server workers (as Python 3.12's, and the command's from a
#: server forked at its start) runs ``abs`` over three numbers.
SCRIPT = """
import sys
from melcli import runners

if __name__ == "__main__":
    runners._start_method = lambda: "forkserver"
    runner = runners.ProcessRunner(2, preload=["dying_preload"])
    runner.start_server()
    try:
        print(sorted(str(outcome) for _, outcome in runner.run(abs, [1, -2, 3])))
    except Exception as exc:
        print("raised", type(exc).__name__, exc)
"""


def _run(tmp_path: Path, *, always: bool) -> str:
    mark = tmp_path / "died"
    (tmp_path / "dying_preload.py").write_text(
        PRELOAD.format(mark=str(mark), always=always)
    )
    script = tmp_path / "pool.py"
    script.write_text(SCRIPT)
    paths = [
        str(tmp_path),
        str(Path(__file__).parents[1]),
        os.environ.get("PYTHONPATH", ""),
    ]
    done = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        timeout=RUN_LIMIT,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(p for p in paths if p)},
    )
    assert mark.exists(), done.stderr  # the server did die under the run
    return done.stdout.strip()


def test_a_fork_server_that_ended_is_started_again(tmp_path: Path) -> None:
    assert _run(tmp_path, always=False) == str(["1", "2", "3"])


def test_a_fork_server_that_ends_again_is_said_so(tmp_path: Path) -> None:
    assert _run(tmp_path, always=True) == (
        "raised MelcliError cannot start a worker process: its fork server "
        "ended before starting it"
    )

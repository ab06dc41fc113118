"""The command ends without Python's teardown, once everything that matters is done."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from conftest import RUN_LIMIT

#: Runs the command's entry point (as the ``melcli`` script does) with
#: ``argv[2:]``, after registering an atexit function and leaving text in
#: stdout's buffer; with ``argv[1] == "thread"``, while a thread that is not a
#: daemon runs until the main thread ends.
SCRIPT = """
import atexit, os, sys, threading, time
atexit.register(lambda: os.write(2, b"atexit ran\\n"))
sys.stdout.write("buffered ")
if sys.argv[1] == "thread":
    def late():  # until the main thread has ended: Python's shutdown has begun
        while threading.main_thread().is_alive():
            time.sleep(0.01)
        os.write(2, b"thread done\\n")
    threading.Thread(target=late).start()
sys.argv = ["melcli", *sys.argv[2:]]
from melcli.__main__ import main
main()
"""

#: What ``python -v`` prints while the interpreter tears itself down.
TEARDOWN = ("# cleanup", "# destroy")


def run(tmp_path: Path, mode: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-v", "-c", SCRIPT, mode, *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=RUN_LIMIT,
        check=False,
    )


def teardown_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith(TEARDOWN)]


def test_the_command_leaves_without_tearing_the_interpreter_down(
    tmp_path: Path,
) -> None:
    done = run(tmp_path, "-", "--version")
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.startswith("buffered melcli ")  # every buffer flushed
    assert "atexit ran" in done.stderr
    assert teardown_lines(done.stderr) == []


def test_the_exit_status_is_kept(tmp_path: Path) -> None:
    done = run(tmp_path, "-", "mel", str(tmp_path / "missing"), "-o", "out")
    assert done.returncode == 2
    assert "does not exist" in done.stderr
    assert "atexit ran" in done.stderr
    assert teardown_lines(done.stderr) == []


def test_a_thread_still_running_is_waited_for(tmp_path: Path) -> None:
    # As Python does: the usual shutdown, which waits for it.
    done = run(tmp_path, "thread", "--version")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "thread done" in done.stderr
    assert "atexit ran" in done.stderr
    assert teardown_lines(done.stderr) != []

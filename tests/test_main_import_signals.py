"""Importing ``melcli.__main__`` without running the command blocks no signal.

The command holds the stop signals from the first statement of
``melcli.__main__`` until ``main()`` takes them in hand (see
tests/test_signals_at_start_12.py). A program that only imported the module
(for :func:`melcli.__main__.leave_now`, a documentation tool, a test) kept
SIGINT, SIGTERM and SIGHUP blocked for good: Ctrl-C did nothing, and every
program it started inherited the mask (a ``sleep`` it sent SIGTERM to went
on).
"""

from __future__ import annotations

import signal
import subprocess
import sys

import pytest
from conftest import RUN_LIMIT

pytestmark = pytest.mark.skipif(
    not hasattr(signal, "pthread_sigmask"), reason="signal masks: POSIX"
)

#: Imports the module as a program that is not melcli would, then prints the
#: signals blocked in itself and in a program it starts.
SCRIPT = """
import signal, subprocess, sys
import melcli.__main__
print(sorted(int(s) for s in signal.pthread_sigmask(signal.SIG_BLOCK, [])))
child = subprocess.run(
    [sys.executable, "-c", "import signal; "
     "print(sorted(int(s) for s in signal.pthread_sigmask(signal.SIG_BLOCK, [])))"],
    capture_output=True, text=True,
)
print(child.stdout.strip())
"""


def test_importing_the_entry_point_blocks_no_stop_signal() -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        capture_output=True,
        text=True,
        timeout=RUN_LIMIT,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[:2] == ["[]", "[]"]

"""``interrupts.deferred`` under a caller's own handlers, a signal at every moment.

Outside a call of the API (a caller's own handlers in place), the block
swaps the handlers for ones that only note a signal, and puts them back as
it ends. It put them back one by one in a loop of Python: a signal as the
first was put back ran that handler (a caller's that raises) from the loop,
and the others were left noting signals for the process's life (a later
SIGTERM ignored). The script tries a SIGINT at every moment of the block
(tests/signal_moments.py) and prints the handlers left otherwise.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import RUN_LIMIT, clean_env

TESTS = Path(__file__).resolve().parent

SCRIPT = """
import signal, sys
sys.path.insert(0, sys.argv[1])
from melcli import interrupts
from signal_moments import moments, stop_at

class Stop(KeyboardInterrupt):
    pass

def own(signum, frame):
    raise Stop(signum)

SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
for s in SIGNALS:
    signal.signal(s, own)

def block():
    with interrupts.deferred():
        pass

block()
tried = 0
for at in range(1, len(moments(block)) + 1):
    ended = stop_at(block, at)
    if ended in ("not reached", "outside"):
        continue
    tried += 1
    left = [s.name for s in SIGNALS if signal.getsignal(s) is not own]
    if left:
        print(at, ended, "not put back:", *left)
    for s in SIGNALS:
        signal.signal(s, own)
print("tried", tried)
"""


@pytest.mark.skipif(
    sys.implementation.name != "cpython", reason="the moments are CPython's"
)
def test_the_handlers_are_put_back_whatever_moment_a_signal_lands() -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, TESTS],
        capture_output=True,
        text=True,
        env=clean_env(),
        timeout=RUN_LIMIT,
        check=False,
    )
    assert done.returncode == 0, (done.stdout, done.stderr[-3000:])
    lines = done.stdout.splitlines()
    assert lines, done
    assert lines[-1].startswith("tried "), lines
    assert int(lines[-1].split()[1]) >= 5, lines  # the moments were found
    assert lines[:-1] == [], "\n".join(lines)

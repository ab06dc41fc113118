"""A Ctrl-C at every moment of an output's write, and of a file of OUT opened to read.

Inside a call of the API (its signals taken in hand), a stop signal that
landed:

- as ``os.open`` returned the temporary file's descriptor (or a file of
  OUT's, opened to read), lost it: open for the caller's whole life;
- at the start of ``AtomicFile.commit`` (a function's start is a moment
  too), left the temporary file in OUT (atomic_write called it outside its
  ``try``).

Each case is a script (tests/signal_moments.py numbers the moments of the
call, then runs it once per moment with a SIGINT there) that prints one
line per problem, then ``tried N``.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import RUN_LIMIT, clean_env

TESTS = Path(__file__).resolve().parent

SCRIPT = """
import os, signal, sys
sys.path.insert(0, sys.argv[2])
import numpy as np
from pathlib import Path
from melcli import interrupts, outdir, write
from signal_moments import chosen, moments, stop_at

OUT = sys.argv[1]
KIND = sys.argv[3]
array = np.arange(12, dtype=np.float32).reshape(3, 4)
target = os.path.join(OUT, "a", "b.npy")
if KIND == "read":
    write.save_npy(target, array)


def fds():
    return sorted(os.listdir("/proc/self/fd"))


def temps():
    return sorted(
        os.path.join(d, f) for d, _, files in os.walk(OUT) for f in files
        if f.endswith(write.TEMP_SUFFIX)
    )


@interrupts.stops_on_signals  # as an API function: its signals taken in hand
def the_call():
    with write.confine(OUT):
        if KIND == "atomic":
            write.atomic_write(Path(target), lambda f: f.write(b"x" * 100))
        elif KIND == "npy":
            write.save_npy(target, array)
        else:
            outdir.read_regular(Path(target))


def restore():
    if KIND != "read" and os.path.exists(target):
        os.unlink(target)


the_call()
restore()
before = fds()
files = moments(the_call)
restore()
near = tuple(
    f"melcli/{name}" for name in (
        "write.py:atomic_write", "write.py:__init__", "write.py:_open",
        "write.py:_make", "write.py:made", "write.py:_create_temp",
        "write.py:commit", "write.py:discard", "write.py:save_npy",
        "write.py:open_file", "interrupts.py:os_open",
        "outdir.py:read_regular", "outdir.py:open_regular",
    )
)
tried = 0
for at in chosen(files, near=near, others=30, seed=25):
    ended = stop_at(the_call, at)
    if ended in ("not reached", "outside"):
        restore()
        continue
    tried += 1
    problems = []
    if ended != "Interrupted 2":
        problems.append(ended)
    if temps():
        problems.append(f"left {temps()}")
    if fds() != before:
        problems.append(f"descriptors {before} -> {fds()}")
    if problems:
        print(at, files[at - 1], *problems)
    for name in temps():
        os.unlink(name)
    restore()
print("tried", tried)
"""


@pytest.mark.skipif(
    sys.implementation.name != "cpython" or not Path("/proc/self/fd").is_dir(),
    reason="the moments are CPython's; descriptors counted in /proc",
)
@pytest.mark.parametrize("kind", ["atomic", "npy", "read"])
def test_a_write_or_read_stopped_at_any_moment_leaves_nothing_open(
    tmp_path: Path, kind: str
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, out, TESTS, kind],
        capture_output=True,
        text=True,
        env=clean_env(),
        timeout=RUN_LIMIT,
        check=False,
    )
    assert done.returncode == 0, (done.stdout, done.stderr[-3000:])
    assert done.stderr == "", done.stderr[-3000:]
    lines = done.stdout.splitlines()
    assert lines, done
    assert lines[-1].startswith("tried "), lines
    assert int(lines[-1].split()[1]) > 10, lines  # the moments were found
    assert lines[:-1] == [], "\n".join(lines)

"""An array of OUT opened to read: a Ctrl-C at any moment leaves no descriptor open.

A descriptor handed from the call that opened it to the one that owns it
(``open_npy_at(open_file(...))``) was open and nobody's at the owner's
start, a moment a signal's handler runs; ``open_npy_at`` read the header
through ``os.dup(fd)``, whose copy was lost as ``dup`` returned; the shard
reader did the same, and the statistics reader opened ``stats.npz`` then
handed it to ``os.fdopen``. Each is now opened into its owner
(:class:`melcli.outdir.Owned`) and read through the descriptor itself.

As tests/test_signals_25_writes.py does: a script numbers the moments of
the call (tests/signal_moments.py), then runs it once per moment with a
SIGINT there, and prints one line per moment that left a descriptor open.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import RUN_LIMIT, clean_env

TESTS = Path(__file__).resolve().parent

SCRIPT = """
import io, os, sys, tarfile
sys.path.insert(0, sys.argv[2])
import numpy as np
from pathlib import Path
from melcli import data, interrupts, outdir, write
from melcli.storage import tarshards, webdataset
from signal_moments import chosen, moments, stop_at

OUT = sys.argv[1]
KIND = sys.argv[3]
array = np.arange(12, dtype=np.float32).reshape(3, 4)
target = os.path.join(OUT, "a", "b.npy")
write.save_npy(target, array)
shard = os.path.join(OUT, "shard-000000.tar")
buffer = io.BytesIO()
np.save(buffer, array)
member = buffer.getvalue()
with tarfile.open(shard, "w", format=tarfile.GNU_FORMAT) as tar:
    info = tarfile.TarInfo("b.npy")
    info.size = len(member)
    tar.addfile(info, io.BytesIO(member))
stats = os.path.join(OUT, "stats.npz")
with open(stats, "wb") as f:
    np.savez(f, mean=np.zeros(3, np.float32), std=np.ones(3, np.float32))


def fds():
    return sorted(os.listdir("/proc/self/fd"))


@interrupts.stops_on_signals  # as an API function: its signals taken in hand
def the_call():
    with write.confine(OUT):
        if KIND == "load":
            outdir.load_npy(target)
        elif KIND == "open":
            outdir.open_npy(target).close()
        elif KIND == "shard":
            webdataset.open_npy(tarshards.Slice(Path(shard), 512, len(member))).close()
        else:
            data._load_stats(Path(stats), follow=False)


the_call()
before = fds()
files = moments(the_call)
near = tuple(
    f"melcli/{name}" for name in (
        "outdir.py:load_npy", "outdir.py:load_npy_at", "outdir.py:open_npy",
        "outdir.py:open_npy_at", "outdir.py:__init__", "outdir.py:close",
        "outdir.py:_close_held", "outdir.py:fd", "write.py:open_file",
        "interrupts.py:os_open", "webdataset.py:open_npy", "data.py:_load_stats",
    )
)
tried = 0
for at in chosen(files, near=near, others=30, seed=34):
    ended = stop_at(the_call, at)
    if ended in ("not reached", "outside"):
        continue
    tried += 1
    problems = []
    if ended != "Interrupted 2":
        problems.append(ended)
    if fds() != before:
        problems.append(f"descriptors {before} -> {fds()}")
        for fd in set(fds()) - set(before):
            try:
                os.close(int(fd))
            except OSError:  # listdir's own, closed by now
                pass
    if problems:
        print(at, files[at - 1], *problems)
print("tried", tried)
"""


@pytest.mark.skipif(
    sys.implementation.name != "cpython" or not Path("/proc/self/fd").is_dir(),
    reason="the moments are CPython's; descriptors counted in /proc",
)
@pytest.mark.parametrize("kind", ["load", "open", "shard", "stats"])
def test_an_array_read_stopped_at_any_moment_leaves_nothing_open(
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

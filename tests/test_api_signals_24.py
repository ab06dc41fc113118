"""A Ctrl-C at any moment of ``write_stats``, ``merge``, ``build_gallery``, ``info``.

``melcli.run`` took the stop signals in hand for its length; the other
functions of the API that read or write OUT did not, and a Ctrl-C there:

- raised a bare ``KeyboardInterrupt`` (SIGTERM and SIGHUP killed the caller);
- as a temporary file was made (``os.open`` or ``os.fdopen`` returned, the
  handler ran before the result was kept), left it in OUT for good;
- a second one during the clean-up cut that short (a temporary file left);
- as OUT's lock was let go, kept it locked for the process's life;
- in a gallery build, left the old ``index.html`` with the new build's data
  pages (of another page size, other inputs);
- inside numpy's zip writer (``stats.npz``), printed "Exception ignored in
  ZipFile.__del__";
- where Python dropped it (a finaliser), was lost: the call went on.

Each case is a script of its own (tests/signal_moments.py traces it): it
runs the call once to number its bytecodes, then once per moment chosen
(every one where temporary files are made and renamed and OUT's lock is
taken and let go, and some of the rest), a Ctrl-C landing there, and checks
what is left.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import RUN_LIMIT, clean_env, noise_clips

TESTS = Path(__file__).resolve().parent

#: The sweeps number the moments CPython checks for a signal (its eval
#: breaker: a function's start, after a call returns, a loop's turn): on
#: 3.11 by tracing opcodes, on 3.12 and later with sys.monitoring
#: (signal_moments). Other interpreters check elsewhere.
sweeps_need_cpython = pytest.mark.skipif(
    sys.implementation.name != "cpython" or sys.version_info < (3, 11),
    reason="the moment sweep follows CPython's bytecode (signal_moments)",
)

#: What every script starts with: ``OUT``, and ``sweep``, which tries the
#: moments and prints one line per problem, then ``tried N``.
PRELUDE = """
import os, signal, sys
sys.path.insert(0, sys.argv[2])
import numpy as np
import melcli
from pathlib import Path
from melcli.outdir import OutputLock
from signal_moments import chosen, moments, stop_at

OUT = sys.argv[1]
SECOND = int(sys.argv[3])  # bytecodes from the first Ctrl-C to a second; 0: none
NAME = "melcli-tmp"

def temps():
    return sorted(
        os.path.relpath(os.path.join(d, f), OUT)
        for d, _, files in os.walk(OUT) for f in files if NAME in f
    )

#: Where temporary files are made, written, renamed and deleted, and OUT's
#: lock taken and let go.
WRITES = (
    *(
        f"melcli/write.py:{name}"
        for name in ("atomic_write", "__init__", "_create_temp", "commit", "discard")
    ),
    "melcli/write.py:confine",
    "melcli/outdir.py:__enter__",
    "melcli/outdir.py:__exit__",
)

def sweep(call, restore, check, *, near=WRITES, others=40):
    call()  # its first call imports what it needs: not numbered
    restore()
    files = moments(call)
    restore()
    # Not the caller's own lines (this script's lambda before the call starts
    # or after it returned): a Ctrl-C there is Python's KeyboardInterrupt.
    tried = [
        at
        for at in chosen(files, near=near, others=others, seed=24)
        if not files[at - 1].startswith("<string>")
    ]
    fired = 0
    for at in tried:
        again = at + SECOND if SECOND else None
        ended = stop_at(call, at, again)
        if ended in ("not reached", "outside"):
            restore()
            continue
        fired += 1
        problems = []
        if ended != "Interrupted 2":
            problems.append(ended)
        if temps():
            problems.append(f"left {temps()}")
        if signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
            problems.append("handler not put back")
        try:
            with OutputLock(Path(OUT)):
                pass
        except melcli.UsageError:
            problems.append("OUT still locked")
        if melcli.interrupts._call is not None:
            problems.append("the call not ended")  # later calls took no signal
        problems += check()
        if problems:
            print(at, files[at - 1], *problems)
        for name in temps():
            os.unlink(os.path.join(OUT, name))
        restore()
    print("tried", fired)
"""

#: write_stats over an OUT holding an older stats.npz (of one array).
STATS = """
one = sorted(str(p) for p in Path(OUT).rglob("*.npy"))[:1]
melcli.write_stats(OUT, paths=one)
with np.load(os.path.join(OUT, "stats.npz")) as z:
    old = {k: z[k] for k in z.files}
with open(os.path.join(OUT, "stats.npz"), "rb") as f:
    old_bytes = f.read()
new = melcli.write_stats(OUT)

def restore():
    with open(os.path.join(OUT, "stats.npz"), "wb") as f:
        f.write(old_bytes)

def check():
    with np.load(os.path.join(OUT, "stats.npz")) as z:
        got = {k: z[k] for k in z.files}
    if got.keys() == old.keys() and all(np.array_equal(got[k], old[k]) for k in old):
        return []
    if np.array_equal(got["mean"], new.mean) and int(got["count"]) == new.count:
        return []
    return ["stats.npz neither the old one nor the new"]

restore()
sweep(lambda: melcli.write_stats(OUT), restore, check)
"""

#: merge of two shards' parts, over no manifest.jsonl yet.
MERGE = """
manifest = os.path.join(OUT, "manifest.jsonl")
melcli.merge(OUT)
with open(manifest, "rb") as f:
    whole = f.read()

def restore():
    if os.path.exists(manifest):
        os.unlink(manifest)

def check():
    if not os.path.exists(manifest):
        return []
    with open(manifest, "rb") as f:
        return [] if f.read() == whole else ["manifest.jsonl cut short"]

restore()
sweep(lambda: melcli.merge(OUT), restore, check)
"""

#: build_gallery (2 pages) over the gallery of an earlier build (1 page).
GALLERY = """
import json, re, shutil
gallery = os.path.join(OUT, "gallery")
melcli.build_gallery(OUT, jobs=1)
shutil.copytree(gallery, OUT + ".gallery")

def restore():
    shutil.rmtree(gallery)
    shutil.copytree(OUT + ".gallery", gallery)

def check():
    with open(os.path.join(gallery, "index.html"), encoding="utf-8") as f:
        html = f.read()
    said = re.search(r'id="melcli-data" type="application/json">(.*?)</script>', html)
    summary = json.loads(said.group(1))
    problems = []
    for number in range(summary["pages"]):  # its own, not another build's
        tag = f"-{summary['data']}" if "data" in summary else ""  # older: none
        page = os.path.join(gallery, "data", f"page-{number:05d}{tag}.js")
        if not os.path.exists(page):
            problems.append(f"no {page}")
            continue
        with open(page, encoding="utf-8") as f:
            text = f.read()
        for sprite in set(re.findall(r'thumbs/(p-[0-9a-f]+[.]png)', text)):
            if not os.path.exists(os.path.join(gallery, "thumbs", sprite)):
                problems.append(f"no {sprite}")
        items = json.loads(text[text.index("[") : text.rindex("]") + 1])
        size = summary["pageSize"]
        if len(items) != min(size, summary["inputs"] - number * size):
            problems.append(f"{page}: {len(items)} inputs, not the index's")
    return problems

build = lambda: melcli.build_gallery(OUT, jobs=1, page_size=2)
sweep(build, restore, check, others=60)
"""

#: info reads only: the interruption is all there is to check.
INFO = """
sweep(lambda: melcli.info([sys.argv[4]]), lambda: None, lambda: [], others=80)
"""


#: A real signal (ARG) sent while the call works, from inside it (``hooked``
#: in ``module``); in a finaliser (Python drops what its handler raises) with
#: DROP. Prints how the call ended, and whether the handlers are put back.
REAL = """
import gc, os, signal, sys, weakref
import melcli
from melcli import gallery, shard, stats

OUT, KIND, SIGNUM, DROP = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
module, name, call = {
    "stats": (stats, "compute", lambda: melcli.write_stats(OUT)),
    "merge": (shard, "read_valid", lambda: melcli.merge(OUT)),
    "gallery": (gallery, "_write_pages", lambda: melcli.build_gallery(OUT, jobs=1)),
}[KIND]
real = getattr(module, name)
before = [signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)]

class Token:
    pass

def hooked(*args, **kwargs):
    if DROP == "drop":
        token = Token()
        hooked.ref = weakref.ref(token, lambda ref: os.kill(os.getpid(), SIGNUM))
        del token
    else:
        os.kill(os.getpid(), SIGNUM)
    return real(*args, **kwargs)

setattr(module, name, hooked)
try:
    call()
    print("returned")
except KeyboardInterrupt as exc:
    print(type(exc).__name__, getattr(exc, "signum", None), exc)
after = [signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)]
print("put back" if after == before else "changed")
"""


@pytest.fixture(scope="module")
def outs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """An OUT of 4 short clips, and one of 2 shards' runs (not merged)."""
    root = tmp_path_factory.mktemp("api_signals_24")
    src = noise_clips(root / "src", n=4, frames=11025, folders=2, seed=24)
    import melcli

    melcli.run([src], root / "out", jobs=1)
    for i in range(2):
        melcli.run([src], root / "shards", jobs=1, shard=f"{i}/2")
    return {"src": src, "out": root / "out", "shards": root / "shards"}


def _sweep(body: str, out: Path, *extra: object, second: int = 0) -> list[str]:
    """Run PRELUDE + ``body`` on ``out``; return its lines (stderr must be empty)."""
    done = subprocess.run(
        [sys.executable, "-c", PRELUDE + body, out, TESTS, str(second), *extra],
        capture_output=True,
        text=True,
        env=clean_env(),
        timeout=RUN_LIMIT * 2,
        check=False,
    )
    assert done.returncode == 0, (done.returncode, done.stdout, done.stderr[-3000:])
    assert done.stderr == "", done.stderr[-3000:]  # no "Exception ignored in ..."
    lines = done.stdout.splitlines()
    assert lines, done
    assert lines[-1].startswith("tried "), lines
    assert int(lines[-1].split()[1]) > 40, lines  # the moments were found
    return lines[:-1]


@sweeps_need_cpython
@pytest.mark.parametrize("second", [0, 3, 40], ids=["once", "twice-soon", "twice"])
def test_write_stats_stopped_at_any_moment(
    outs: dict[str, Path], tmp_path: Path, second: int
) -> None:
    import shutil

    out = Path(shutil.copytree(outs["out"], tmp_path / "out", symlinks=True))
    lines = _sweep(STATS, out, second=second)
    assert lines == [], "\n".join(lines)


@sweeps_need_cpython
@pytest.mark.parametrize("second", [0, 3], ids=["once", "twice"])
def test_merge_stopped_at_any_moment(
    outs: dict[str, Path], tmp_path: Path, second: int
) -> None:
    import shutil

    out = Path(shutil.copytree(outs["shards"], tmp_path / "shards", symlinks=True))
    assert _sweep(MERGE, out, second=second) == []


@sweeps_need_cpython
@pytest.mark.parametrize("second", [0, 3], ids=["once", "twice"])
def test_build_gallery_stopped_at_any_moment(
    outs: dict[str, Path], tmp_path: Path, second: int
) -> None:
    import shutil

    out = Path(shutil.copytree(outs["out"], tmp_path / "out", symlinks=True))
    lines = _sweep(GALLERY, out, second=second)
    assert lines == [], "\n".join(lines)


@pytest.mark.parametrize("drop", ["", "drop"])
@pytest.mark.parametrize("kind", ["stats", "merge", "gallery"])
@pytest.mark.parametrize(
    "signum", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP], ids=lambda s: s.name
)
def test_a_real_signal_stops_the_call(
    outs: dict[str, Path], tmp_path: Path, kind: str, signum: int, drop: str
) -> None:
    """SIGTERM and SIGHUP killed the caller; a Ctrl-C Python dropped was lost."""
    import shutil

    out = shutil.copytree(outs["shards" if kind == "merge" else "out"], tmp_path / "o")
    done = subprocess.run(
        [sys.executable, "-c", REAL, out, kind, str(int(signum)), drop],
        capture_output=True,
        text=True,
        env=clean_env(),
        timeout=RUN_LIMIT,
        check=False,
    )
    assert (done.returncode, done.stderr) == (0, ""), done
    name = {"stats": "write_stats", "merge": "merge", "gallery": "build_gallery"}
    said = f"melcli.{name[kind]} interrupted by {signal.Signals(signum).name}"
    assert done.stdout.splitlines() == [
        f"Interrupted {int(signum)} {said}",
        "put back",
    ]
    assert not [p for p in Path(out).rglob("*") if "melcli-tmp" in p.name]


@sweeps_need_cpython
def test_info_stopped_at_any_moment(outs: dict[str, Path]) -> None:
    assert _sweep(INFO, outs["out"], outs["src"]) == []

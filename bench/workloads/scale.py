"""(s) Scale: tiny WAVs by the ten thousand, a no-op re-run against the walk.

What a Makefile or CI job pays on every run is the no-op re-run, so it is
measured against the least any tool could pay: a Python ``os.walk`` of the
input tree with one ``os.stat`` per file (the floor), both whole processes,
alternating in one run. Per size (10 000 and 100 000 by default): the first
run (``-j 2``) with its peak RSS, the first re-run after it (once), the no-op
re-run with its peak RSS, a re-run after touching one file, and the floor.

The first re-run after a build is not one of the no-op's rounds: it is the
one run that changes every entry's status (``written`` by the build, now
``up-to-date``: the store and ``manifest.jsonl`` rewritten), a cost of the
build paid once, not what a Makefile pays on every run. Among the rounds, it
would make the median the slower of the other two; it is shown on its own
(its peak RSS counts as the no-op's). The fit between the two sizes gives the
cost per file of the no-op in time and memory, and of the first run in
memory: neither may grow by more than 1 kB a file.

The inputs are hard links of one tiny WAV template (at most 50 000 links per
template: ext4 allows 65 000) in 100 folders, made in a temporary folder and
deleted afterwards. ``--scale-vs DIR`` runs the same workload side by side with
the melcli of another checkout (``python -m melcli`` with ``PYTHONPATH=DIR``),
each into its own output folder.

"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import harness as h
import numpy as np
import soundfile as sf
from data import Dataset

#: Targets of issue 20, at the largest size.
TARGET_FLOOR_RATIO = 3.0  # no-op / os.walk + stat, at most
TARGET_NOOP_RSS_MB = 250.0  # no-op peak RSS, MB, at most
TARGET_KB_PER_FILE = 1.0  # growth of the no-op's peak RSS per file, kB, at most
TARGET_FIRST_MS = 0.6  # first run, -j 2, ms per file, at most
#: The first run's memory, as the no-op's: "memory that does not grow with
#: the dataset" (its peak RSS at the largest size, and its growth per file).
TARGET_FIRST_RSS_MB = 250.0
TARGET_FIRST_KB_PER_FILE = 1.0
#: Touching one file costs at most the no-op plus that file's work: a whole
#: run of that one file alone (start-up, a worker, the file), measured beside.
TARGET_TOUCH_RATIO = 1.1

FOLDERS = 100
LINKS_PER_TEMPLATE = 50_000
TEMPLATE_SECONDS = 0.05
TEMPLATE_SR = 16_000

#: What the floor process runs: the walk and a stat per file, as melcli must.
FLOOR_SCRIPT = """
import os, sys
n = 0
for folder, _, names in os.walk(sys.argv[1]):
    for name in names:
        os.stat(os.path.join(folder, name))
        n += 1
print(n)
"""


@dataclass
class Side:
    """One melcli (this checkout's, or another's) and what it measured."""

    name: str
    pythonpath: str | None
    first: dict[int, h.Timings] = field(default_factory=dict)
    #: The first re-run after the first run: every status flipped, once.
    after_build: dict[int, h.Timings] = field(default_factory=dict)
    noop: dict[int, h.Timings] = field(default_factory=dict)
    touch: dict[int, h.Timings] = field(default_factory=dict)
    #: Per size: the touch-1 runs that kept manifest.jsonl's inode (lines
    #: written in place, not the whole file).
    in_place: dict[int, int] = field(default_factory=dict)

    def command(self, src: Path, out: Path) -> list[str]:
        env = ["env", f"PYTHONPATH={self.pythonpath}"] if self.pythonpath else []
        # -P: "-m" would put the current folder first on sys.path, and a bench
        # run from a checkout would import its melcli on both sides.
        argv = [sys.executable, "-P", "-m", "melcli", "mel", str(src), "-o", str(out)]
        return [*env, *argv, "-j", "2"]


def make_tree(root: Path, n: int) -> Path:
    """Write ``n`` hard links of tiny WAV templates into 100 folders under ``root``."""
    src = root / f"src{n}"
    src.mkdir(parents=True)
    rng = np.random.default_rng(20)
    frames = int(TEMPLATE_SECONDS * TEMPLATE_SR)
    templates = []
    for t in range((n + LINKS_PER_TEMPLATE - 1) // LINKS_PER_TEMPLATE):
        path = root / f"template{t}.wav"
        if not path.exists():
            tone = 0.1 * rng.standard_normal(frames).astype(np.float32)
            sf.write(path, tone, TEMPLATE_SR, subtype="PCM_16")
        templates.append(path)
    for d in range(FOLDERS):
        (src / f"d{d:02d}").mkdir()
    for i in range(n):
        os.link(templates[i // LINKS_PER_TEMPLATE], _input(src, i))
    # The one that is touched is a copy: a link's mtime is all its links'.
    shutil.copyfile(templates[0], _input(src, n // 2).with_suffix(".tmp"))
    os.replace(_input(src, n // 2).with_suffix(".tmp"), _input(src, n // 2))
    return src


def settle_inodes(root: Path) -> None:
    """Wait until inodes freed before this workload no longer slow its first runs.

    ext4 without a journal (this machine's root file system) passes over
    every free inode that was freed less than 60 s ago (300 s while its inode
    table block is not yet written back) each time it allocates one, and the
    allocating process holds its folder's lock meanwhile: with the outputs of
    the workloads before this one (or any other process's) just deleted, a
    first run of tiny files spent a quarter of its time there, a cost of the
    machine's recent past, not of melcli. A user's run pays it only on such a
    file system, within minutes of deleting many files. Everything written
    back, and a minute later, those inodes count as free again. Nothing in
    this workload frees inodes before its end (see the outputs kept below).
    """
    if not _ext4_without_journal(root):
        return
    h.log(f"  (s) ext4 without a journal: waiting {SETTLE_SECONDS} s for freed inodes")
    os.sync()
    time.sleep(SETTLE_SECONDS)


#: Seconds after which ext4 reuses an inode freed and written back (its
#: ``RECENTCY_MIN``, fs/ext4/ialloc.c), and a margin.
SETTLE_SECONDS = 65


def _ext4_without_journal(path: Path) -> bool:
    """Whether ``path`` is on an ext4 file system that has no journal (Linux)."""
    try:
        mounts = Path("/proc/self/mounts").read_text().splitlines()
    except OSError:
        return False
    target = os.path.realpath(path)
    best: tuple[str, str, str] | None = None
    for line in mounts:
        fields = line.split()
        if len(fields) < 3:
            continue
        device, point, kind = fields[0], fields[1].replace("\\040", " "), fields[2]
        inside = target == point or target.startswith(point.rstrip("/") + "/")
        if inside and (best is None or len(point) >= len(best[1])):
            best = (device, point, kind)
    if best is None or best[2] != "ext4":
        return False
    # A journal shows in /proc/fs/jbd2 as "<device>-8" while mounted.
    name = os.path.basename(os.path.realpath(best[0]))
    return os.path.isdir("/proc/fs/jbd2") and not os.path.exists(
        f"/proc/fs/jbd2/{name}-8"
    )


def _input(src: Path, i: int) -> Path:
    return src / f"d{i % FOLDERS:02d}/f{i:07d}.wav"


def floor_command(src: Path) -> list[str]:
    return [sys.executable, "-c", FLOOR_SCRIPT, str(src)]


def touch_one(src: Path, n: int, k: int) -> None:
    """Give one input (a copy, not a link) a new mtime."""
    path = _input(src, n // 2)
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000 * (k + 1)))


def scale(cfg: h.Config, dataset: Dataset) -> h.Outcome:
    """(s) First run, no-op, touch-1 and the walk floor at each size."""
    del dataset  # its own tiny files, made and deleted here
    sides = [Side("melcli", None)]
    if cfg.scale_vs is not None:
        sides.append(Side(f"vs {cfg.scale_vs}", str(cfg.scale_vs)))
    floor: dict[int, h.Timings] = {}
    alone = h.Timings()  # one file, alone: what touch-1 adds to the no-op
    root = Path(tempfile.mkdtemp(prefix="melcli-bench-scale-"))
    try:
        one = make_tree(root, 1)
        if not cfg.quick:  # a smoke test measures nothing
            settle_inodes(root)
        for n in cfg.scale_sizes:
            h.log(f"  (s) {n} files ...")
            src = make_tree(root, n)
            floor[n] = h.Timings()
            outs = {s.name: root / f"out{n}-{i}" for i, s in enumerate(sides)}
            for s in sides:  # one first run each: they are long
                s.first[n] = h.Timings([h.run_process(s.command(src, outs[s.name]))])
                s.noop[n], s.touch[n] = h.Timings(), h.Timings()
            for s in sides:  # then the re-run that flips what the build wrote
                again = h.run_process(s.command(src, outs[s.name]))
                s.after_build[n] = h.Timings([again])
            for k in range(cfg.rounds):
                floor[n].runs.append(h.run_process(floor_command(src)))
                for s in sides:
                    s.noop[n].runs.append(h.run_process(s.command(src, outs[s.name])))
                touch_one(src, n, k)
                if n == cfg.scale_sizes[-1]:
                    alone.runs.append(h.run_process(sides[0].command(one, root / "1")))
                    shutil.rmtree(root / "1")
                for s in sides:
                    view = outs[s.name] / "manifest.jsonl"
                    before = view.stat().st_ino
                    s.touch[n].runs.append(h.run_process(s.command(src, outs[s.name])))
                    s.in_place[n] = s.in_place.get(n, 0) + (
                        view.stat().st_ino == before
                    )
            for s in sides:
                size = sum(f.stat().st_size for f in outs[s.name].glob("manifest*"))
                h.log(f"  (s) {s.name}: manifest {size / 1e6:.1f} MB")
            shutil.rmtree(src)  # links: it frees no inode but the touched copy
            # The outputs stay until the end: tens of thousands of inodes
            # freed just before the next size's first run would make ext4 skip
            # them, one by one, in every file it creates for a while after.
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return _outcome(cfg, sides, floor, alone)


def _outcome(
    cfg: h.Config, sides: list[Side], floor: dict[int, h.Timings], alone: h.Timings
) -> h.Outcome:
    sizes = list(cfg.scale_sizes)
    small, large = sizes[0], sizes[-1]
    lines = [
        f"(s) scale: tiny WAVs ({TEMPLATE_SECONDS} s, hard links) in {FOLDERS} "
        f"folders, -j 2; no-op, touch-1 and the floor (os.walk + stat) medians of "
        f"{h.plural(cfg.rounds, 'round')}, alternating; the first run, and the "
        "re-run after it (every status flipped), once",
    ]
    rows, fits = [], []
    data: dict[str, Any] = {"sizes": sizes, "rounds": cfg.rounds, "sides": {}}
    checks: list[h.Check] = []
    for s in sides:
        side: dict[str, Any] = {}
        for n in sizes:
            ratio = s.noop[n].median / floor[n].median
            rows.append(
                [
                    s.name,
                    str(n),
                    f"{s.first[n].median:.2f}",
                    f"{s.first[n].median / n * 1e3:.3f}",
                    f"{_cpu(s.first[n]) / n * 1e3:.3f}",
                    f"{s.first[n].peak_rss_mb:.0f}",
                    f"{s.after_build[n].median:.3f}",
                    f"{s.noop[n].median:.3f}",
                    f"{_noop_rss(s, n):.0f}",
                    f"{s.touch[n].median:.3f}",
                    f"{floor[n].median:.3f}",
                    f"{ratio:.1f}x",
                ]
            )
            side[str(n)] = {
                "first_run": s.first[n].as_json(files=n, audio_seconds=0.0),
                "first_run_cpu_ms_per_file": _cpu(s.first[n]) / n * 1e3,
                "after_build": s.after_build[n].as_json(files=n, audio_seconds=0.0),
                "after_build_over_floor": s.after_build[n].median / floor[n].median,
                "noop": s.noop[n].as_json(files=n, audio_seconds=0.0),
                "noop_peak_rss_mb": _noop_rss(s, n),
                "touch_one": s.touch[n].as_json(files=n, audio_seconds=0.0),
                "noop_over_floor": ratio,
                "touch_one_view_in_place": s.in_place.get(n, 0),
            }
        if large > small:
            span = large - small
            slope_us = (s.noop[large].median - s.noop[small].median) / span * 1e6
            rss_slope = (_noop_rss(s, large) - _noop_rss(s, small)) / span
            first_slope = (
                s.first[large].peak_rss_mb - s.first[small].peak_rss_mb
            ) / span
            side["noop_us_per_file"] = slope_us
            side["noop_kb_per_file"] = rss_slope * 1e3
            side["first_run_kb_per_file"] = first_slope * 1e3
            fits.append(
                f"{s.name}: no-op fit {slope_us:.1f} us and "
                f"{rss_slope * 1e3:.2f} kB per file; first run "
                f"{first_slope * 1e3:.2f} kB per file (from {small} to {large} files)"
            )
        else:
            rss_slope = first_slope = float("nan")
            fits.append(f"{s.name}: one size only, no fit")
        data["sides"][s.name] = side
        if s is sides[0]:
            checks += _checks(s, floor, large, rss_slope, alone, first_slope)
    floor_fit = (floor[large].median - floor[small].median) / max(large - small, 1)
    data["floor"] = {
        str(n): t.as_json(files=n, audio_seconds=0.0) for n, t in floor.items()
    }
    data["floor_us_per_file"] = floor_fit * 1e6
    header = [
        "melcli",
        "files",
        "first s",
        "first ms/file",
        "first CPU ms/file",
        "first MB",
        "after build s",
        "no-op s",
        "no-op MB",
        "touch-1 s",
        "floor s",
        "no-op/floor",
    ]
    lines += h.table(header, rows)
    lines += [f"  {fit}" for fit in fits]
    lines.append(f"  the floor: {floor_fit * 1e6:.1f} us per file")
    lines.append(f"  one file alone, a whole run: {alone.median:.3f} s")
    lines += [
        f"  {s.name}: touch-1 wrote manifest.jsonl in place (inode kept) in "
        f"{s.in_place.get(large, 0)} of {cfg.rounds} rounds at {large}"
        for s in sides
    ]
    data["one_file_run"] = alone.as_json(files=1, audio_seconds=0.0)
    timings = {f"floor {n}": floor[n] for n in sizes}
    for s in sides:
        timings |= {f"{s.name} no-op {n}": s.noop[n] for n in sizes}
    notes = h.spread_notes(timings)
    return h.Outcome(data=data, checks=checks, lines=lines, notes=notes)


def _noop_rss(s: Side, n: int) -> float:
    """Peak RSS of the re-runs at ``n``: the no-ops', and the one after the build."""
    return max(s.noop[n].peak_rss_mb, s.after_build[n].peak_rss_mb)


def _cpu(timings: h.Timings) -> float:
    """CPU seconds (user + system) of the median run, its reaped workers included.

    Beside the wall time on a shared machine: the work done, whatever else
    ran. Workers started by a fork server (Python 3.12) are not its children,
    and not counted.
    """
    runs = sorted(timings.runs, key=lambda run: run.seconds)
    return runs[len(runs) // 2].cpu_seconds


def _checks(
    s: Side,
    floor: dict[int, h.Timings],
    n: int,
    rss_slope: float,
    alone: h.Timings,
    first_slope: float,
) -> list[h.Check]:
    ratio = s.noop[n].median / floor[n].median
    rss = _noop_rss(s, n)
    touch = s.touch[n].median / (s.noop[n].median + alone.median)
    first_ms = s.first[n].median / n * 1e3
    kb = rss_slope * 1e3
    return [
        _at_most(f"no-op / floor at {n}", ratio, TARGET_FLOOR_RATIO, "x"),
        _at_most(f"no-op peak RSS at {n}, MB", rss, TARGET_NOOP_RSS_MB, ""),
        _at_most("no-op RSS per file, kB", kb, TARGET_KB_PER_FILE, ""),
        _at_most(
            f"touch-1 / (no-op + 1 file alone) at {n}", touch, TARGET_TOUCH_RATIO, "x"
        ),
        _at_most(f"first run at {n}, ms/file", first_ms, TARGET_FIRST_MS, ""),
        _at_most(
            f"first run peak RSS at {n}, MB",
            s.first[n].peak_rss_mb,
            TARGET_FIRST_RSS_MB,
            "",
        ),
        _at_most(
            "first run RSS per file, kB",
            first_slope * 1e3,
            TARGET_FIRST_KB_PER_FILE,
            "",
        ),
    ]


def _at_most(measure: str, value: float, target: float, unit: str) -> h.Check:
    known = not np.isnan(value)
    return h.Check(
        "s",
        measure,
        value,
        f"{value:.2f}{unit}" if known else "n/a",
        f"<= {target:g}{unit}",
        value <= target if known else None,
    )


__all__ = ["scale"]

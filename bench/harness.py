r"""The benchmark's harness: whole-process runs, races, sanity checks, targets.

Every contender runs as a whole process into a fresh output folder;
:func:`race` alternates the contenders round by round; :func:`comparer`
checks that two contenders wrote the same arrays; a workload returns an
:class:`Outcome` of JSON data, :class:`Check`\ s against its targets and the
lines of its table.
"""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
import json
import math
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
BASELINE_SCRIPT = BENCH_DIR / "baseline.py"
FBANK_BASELINE_SCRIPT = BENCH_DIR / "fbank_baseline.py"
#: Arrays agree when no value differs by more (dB).
TOLERANCE_DB = 1e-3
#: (d) and (h): melcli -j 1 peak RSS on the long file, MB = 10**6 bytes.
TARGET_RSS_MB = 400.0


@dataclass(frozen=True)
class Config:
    """What to run, from the command line."""

    data: Path
    files: int
    scale_files: int
    png_files: int
    profile_files: int
    rounds: int
    startup_rounds: int
    long_minutes: float
    floor_files: int
    short_files: int
    gallery_files: int
    workloads: tuple[str, ...]
    skip_long: bool
    skip_reference: bool
    json_path: Path | None
    quick: bool
    #: (s): tiny files per size, and another checkout's melcli to run beside.
    scale_sizes: tuple[int, ...] = (10_000, 100_000)
    scale_vs: Path | None = None
    #: (f)'s rounds (bench.py always gives it; the default is for tests).
    floor_rounds: int = 1
    #: (f)'s WAV clips (bench.py always gives it; the default is for tests).
    floor_wav_files: int = 2
    #: (f)'s workloads to run, by name (empty: all of them).
    floor_only: tuple[str, ...] = ()
    #: (a)'s rounds (bench.py always gives it; the default is for tests).
    throughput_rounds: int = 1


#: What the spawner reads around each run, in ticks (USER_HZ): /proc/stat's
#: first line's first eight columns, and the CPU time of the kernel's threads
#: (kthreadd and its children: utime + stime from each /proc/PID/stat).
STAT_COLUMNS = (
    "user",
    "nice",
    "system",
    "idle",
    "iowait",
    "irq",
    "softirq",
    "steal",
    "kernel_threads",
)


@dataclass(frozen=True)
class Machine:
    """What the whole machine did while one run ran (``/proc/stat``, every CPU).

    CPU seconds summed over the CPUs, from the tick counts read just before the
    run started and just after it was reaped: ``busy`` (user, nice, system,
    irq, softirq: guest time is in user), ``iowait`` (idle with I/O pending)
    and ``steal`` (a CPU of this VM runnable while the host ran something
    else); and ``kernel_threads``, the part of ``busy`` the kernel's own
    threads took (write-back, reclaim, soft interrupts deferred to a thread:
    some of it may be the run's own files' doing). The counts are ticks (10
    ms at USER_HZ 100) charged where the tick falls, so each figure is good
    to a few ticks.
    """

    busy: float
    iowait: float
    steal: float
    kernel_threads: float = 0.0

    @classmethod
    def between(cls, before: Sequence[int], after: Sequence[int]) -> Machine:
        """From two readings of :data:`STAT_COLUMNS` (ticks)."""
        deltas = (b - a for a, b in zip(before, after, strict=True))
        d = dict(zip(STAT_COLUMNS, deltas, strict=True))
        tick = 1 / _user_hz()
        busy = d["user"] + d["nice"] + d["system"] + d["irq"] + d["softirq"]
        return cls(
            busy * tick,
            d["iowait"] * tick,
            d["steal"] * tick,
            d["kernel_threads"] * tick,
        )


def _user_hz() -> int:
    try:
        return os.sysconf("SC_CLK_TCK")
    except (AttributeError, ValueError, OSError):
        return 100


#: The share of a run's outputs left out at each end of its steady window.
STEADY_TAIL = 0.10


@dataclass(frozen=True)
class Completions:
    """When a run's outputs were completed, read from their mtimes after it ended.

    ``times``: each output's mtime (the moment its last byte was written; an
    atomic write's rename keeps it), in seconds after the run was started
    (``start_ns``, the wall clock just before it), sorted; ``end``: when it
    was reaped, likewise. The file system stamps them from a coarse clock
    (a few ms), read once, after the run: nothing inside the run is timed.
    """

    start_ns: int
    end: float
    times: tuple[float, ...]

    def window(self, tail: float = STEADY_TAIL) -> tuple[int, float] | None:
        """Outputs completed in the steady part of the run, and over how long.

        With ``n`` outputs and ``k = floor(n * tail)``: the (k+1)-th completion
        to the (n-k)-th, that is ``n - 2k - 1`` completions after the first of
        them, over the time between the two. The first ``k`` (the start-up, the
        first imports, a pool's start) and the last ``k`` (the end: one worker
        idle while the other finishes, the run's last bookkeeping) are left
        out, as a run on N files less a run on N/2 leaves out what both pay
        once. None with fewer than two completions in the window or none of
        its time.
        """
        n = len(self.times)
        k = int(n * tail)
        first, last = k, n - 1 - k
        if last - first < 2:
            return None
        seconds = self.times[last] - self.times[first]
        return (last - first, seconds) if seconds > 0 else None

    @property
    def edges(self) -> float:
        """The run's time outside its outputs: start to the first, last to the end.

        Start-up, discovery and planning before the first output; the run's
        closing work (its manifest, the pool's end) after the last.
        """
        return self.times[0] + (self.end - self.times[-1]) if self.times else self.end

    def as_json(self) -> dict[str, Any]:
        steady = self.window()
        n = len(self.times)
        deciles = [self.times[min(n - 1, n * i // 10)] for i in range(11)] if n else []
        return {
            "outputs": n,
            "steady_outputs": steady[0] if steady else None,
            "steady_seconds": steady[1] if steady else None,
            "steady_per_second": steady[0] / steady[1] if steady else None,
            # Seconds after the start: the first output, every tenth, the last.
            "deciles_seconds": deciles,
            "end_seconds": self.end,
        }


def completions(out: Path, suffix: str, start_ns: int, end_ns: int) -> Completions:
    """Every ``suffix`` file under ``out``'s completion time (its mtime)."""
    stamps = []
    for folder, _, names in os.walk(out):
        for name in names:
            if name.endswith(suffix):
                with contextlib.suppress(OSError):
                    stamps.append(os.stat(os.path.join(folder, name)).st_mtime_ns)
    return Completions(
        start_ns,
        (end_ns - start_ns) / 1e9,
        tuple(sorted((t - start_ns) / 1e9 for t in stamps)),
    )


@dataclass(frozen=True)
class ProcessRun:
    """One whole-process run: wall time and peak resident memory."""

    seconds: float
    peak_rss_bytes: int
    #: user + system CPU time of the process and the children it waited for.
    cpu_seconds: float = 0.0
    #: What the machine did meanwhile (None where /proc/stat is not read).
    machine: Machine | None = None
    #: Of ``cpu_seconds``, the system time; and the minor page faults (both
    #: of the process and the children it waited for; None: not measured).
    system_seconds: float | None = None
    minor_faults: int | None = None
    #: A fixed CPU loop's CPU seconds, timed by the spawner just before the
    #: run and just after it (the machine's speed then; None: not measured).
    probe: tuple[float, float] | None = None
    #: When the run's outputs were completed (None: not read).
    outputs: Completions | None = None

    @property
    def others_cpu_seconds(self) -> float | None:
        """CPU seconds the machine was busy with anything but this run.

        The machine's busy time less the run's own CPU time (its process and
        the children it reaped): other processes, kernel threads (the write-
        back of the run's own files among them), interrupts. Can come out a
        little below zero (ticks against exact rusage). None without a reading.
        """
        if self.machine is None:
            return None
        return self.machine.busy - self.cpu_seconds

    @property
    def others_share(self) -> float | None:
        """:attr:`others_cpu_seconds` as a share of one CPU over the run's wall time."""
        others = self.others_cpu_seconds
        if others is None or self.seconds <= 0:
            return None
        return others / self.seconds


class BenchError(Exception):
    """A contender failed or the benchmark could not run a workload."""


def _subprocess_env() -> dict[str, str]:
    # The same non-interactive matplotlib backend for everyone, display or not.
    return {**os.environ, "MPLBACKEND": "Agg"}


def run_process(argv: Sequence[str]) -> ProcessRun:
    """Run ``argv`` to completion and measure its wall time and peak RSS.

    Peak RSS comes from ``os.wait4``, which returns the resource usage of that
    one child: its ``ru_maxrss`` is the largest resident set of the child and of
    any descendants it waited for (a maximum over processes, not a sum). This
    is exact for single-process runs such as ``melcli -j 1`` and the sequential
    baseline. With a worker pool it is at most the largest single process, not
    the pool's total: workers that the measured process does not reap itself
    (a forkserver's, say) are not counted.

    The child is started by a small process of its own (:data:`_SPAWNER`), not
    by this one: Linux gives a child's ``ru_maxrss`` at least the peak of the
    memory it was started from (vfork, then exec), and this process grows to
    GBs (the in-process references of (d) and (h)), which every later child
    then reported as its own peak.
    """
    spawner = _spawner()
    assert spawner.stdin is not None
    assert spawner.stdout is not None
    try:
        spawner.stdin.write(json.dumps([list(argv), _subprocess_env()]) + "\n")
        spawner.stdin.flush()
        answer = spawner.stdout.readline()
    except BaseException:
        _stop_spawner()
        raise
    if not answer:
        _stop_spawner()
        raise BenchError(f"the spawner ended: {' '.join(argv)}")
    seconds, code, maxrss, cpu, tail, stat, (system, faults), probe = json.loads(answer)
    if code != 0:
        raise BenchError(f"exit status {code}: {' '.join(argv)}\n{tail}")
    # ru_maxrss is in KiB on Linux, in bytes on macOS.
    scale = 1 if sys.platform == "darwin" else 1024
    return ProcessRun(
        seconds=seconds,
        peak_rss_bytes=maxrss * scale,
        cpu_seconds=cpu,
        machine=Machine.between(*stat) if stat else None,
        system_seconds=system,
        minor_faults=faults,
        probe=tuple(probe) if probe else None,
    )


#: The program that starts each measured command for :func:`run_process`: it
#: reads ``[argv, env]`` lines, runs each to completion, and answers with
#: ``[seconds, exit status, ru_maxrss, cpu seconds, stderr's tail, stat,
#: [system seconds, minor faults], probe]``, ``stat`` the machine's CPU ticks
#: (:data:`STAT_COLUMNS`) read just before the start and just after the end
#: (null where /proc/stat cannot be read), ``probe`` the CPU seconds a fixed
#: loop (:data:`PROBE_LOOPS` steps, about 10 ms) took just before the start
#: and just after the end: the machine's speed at those moments.
_SPAWNER = """
import json, os, subprocess, sys, tempfile, time
def kernel_threads():
    ticks = 0
    for pid in os.listdir("/proc"):
        try:
            with open(f"/proc/{pid}/stat", "rb") as f:
                line = f.read()
            rest = line[line.rindex(b")") + 2 :].split()
            if pid == "2" or rest[1] == b"2":
                ticks += int(rest[11]) + int(rest[12])
        except (OSError, ValueError, IndexError):
            pass
    return ticks
def stat(before):
    # The walk over /proc (about 2 ms) outside the window /proc/stat spans.
    try:
        threads = kernel_threads() if before else 0
        with open("/proc/stat", "rb") as f:
            ticks = [int(x) for x in f.readline().split()[1:9]]
        return ticks + [threads if before else kernel_threads()]
    except (OSError, ValueError):
        return None
def probe():
    start = time.thread_time()
    total = 0
    for i in range(PROBE_LOOPS):
        total += i * i
    return time.thread_time() - start
for line in sys.stdin:
    argv, env = json.loads(line)
    with tempfile.TemporaryFile() as err:
        speed = [probe()]
        before = stat(True)
        start = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=err, env=env)
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        except BaseException:
            proc.kill()
            proc.wait()
            raise
        seconds = time.perf_counter() - start
        after = stat(False)
        speed.append(probe())
        code = os.waitstatus_to_exitcode(status)
        err.seek(0)
        tail = err.read().decode(errors="replace").strip()[-2000:] if code else ""
    cpu = usage.ru_utime + usage.ru_stime
    ticks = [before, after] if before and after and len(before) == 9 else None
    own = [usage.ru_stime, usage.ru_minflt]
    answer = [seconds, code, usage.ru_maxrss, cpu, tail, ticks, own, speed]
    print(json.dumps(answer), flush=True)
"""

#: The spawner's speed probe: steps of a fixed pure-Python loop (about 10 ms).
PROBE_LOOPS = 150_000

_spawners: list[subprocess.Popen[str]] = []


def _spawner() -> subprocess.Popen[str]:
    """Return the running spawner, started on first use."""
    if not _spawners or _spawners[0].poll() is not None:
        _spawners[:] = [
            subprocess.Popen(
                [
                    sys.executable,
                    "-S",
                    "-c",
                    f"PROBE_LOOPS = {PROBE_LOOPS}\n{_SPAWNER}",
                ],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
        ]
    return _spawners[0]


def _stop_spawner() -> None:
    """Stop the spawner and what it runs (an interrupted or broken run)."""
    for spawner in _spawners:
        spawner.kill()
        spawner.wait()
    _spawners.clear()


def melcli_command() -> list[str]:
    """The ``melcli`` console script next to this Python, else ``python -m``."""
    script = Path(sys.executable).with_name("melcli")
    return [str(script)] if script.exists() else [sys.executable, "-m", "melcli"]


Command = Callable[[Path], list[str]]


def melcli_mel(src: Path, *options: str) -> Command:
    """``melcli mel SRC -o OUT [options]``, given OUT."""
    return lambda out: [*melcli_command(), "mel", str(src), "-o", str(out), *options]


def at_once(commands: Sequence[Command]) -> Command:
    """Run ``commands`` together, each into its own folder under OUT.

    Through ``sh`` (its start-up is about a millisecond); the exit status is
    non-zero if any of them failed.
    """

    def command(out: Path) -> list[str]:
        starts = [
            f"{shlex.join(make(out / f'part{i}'))} & p{i}=$!"
            for i, make in enumerate(commands)
        ]
        waits = [f"wait $p{i} || s=1" for i in range(len(commands))]
        return ["sh", "-c", "; ".join([*starts, "s=0", *waits, "exit $s"])]

    return command


def baseline(src: Path, *options: str) -> Command:
    """``python bench/baseline.py SRC OUT [options]``, given OUT."""
    return lambda out: [
        sys.executable,
        str(BASELINE_SCRIPT),
        str(src),
        str(out),
        *options,
    ]


@dataclass(frozen=True)
class Contender:
    """A named command, run into a fresh output folder each time."""

    name: str
    command: Command
    #: Read the completion times of its output files of this suffix after
    #: each run (:class:`Completions`; None: not read).
    outputs: str | None = None


@dataclass
class Timings:
    """Every run of one contender."""

    runs: list[ProcessRun] = field(default_factory=list)

    @property
    def seconds(self) -> list[float]:
        return [run.seconds for run in self.runs]

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def peak_rss_mb(self) -> float:
        return max(run.peak_rss_bytes for run in self.runs) / 1e6

    def as_json(self, *, files: int, audio_seconds: float) -> dict[str, Any]:
        return {
            "seconds": self.seconds,
            # Run by run, as "seconds": the run's own CPU and what else the
            # machine did meanwhile (null where not measured).
            "cpu_seconds": [run.cpu_seconds for run in self.runs],
            "system_seconds": [run.system_seconds for run in self.runs],
            "minor_faults": [run.minor_faults for run in self.runs],
            "machine": [machine_json(run) for run in self.runs],
            # The spawner's fixed loop just before and after each run.
            "probe_cpu_seconds": [run.probe for run in self.runs],
            # When each run's outputs were completed (where read).
            "outputs": [
                run.outputs.as_json() if run.outputs else None for run in self.runs
            ],
            "median_seconds": self.median,
            "min_seconds": min(self.seconds),
            "max_seconds": max(self.seconds),
            "peak_rss_mb": self.peak_rss_mb,
            "files_per_second": files / self.median,
            "realtime_factor": audio_seconds / self.median,
        }


def machine_json(run: ProcessRun) -> dict[str, float | None] | None:
    """What else the machine did during ``run``, for the JSON (None: not measured).

    CPU seconds summed over the CPUs: ``others_cpu_seconds`` (busy less the
    run's own), of which ``kernel_threads_seconds``; ``steal_seconds``,
    ``iowait_seconds``; and ``interference``, others' CPU and steal as a share
    of one CPU over the run's wall time (what :class:`OverlapRule` reads).
    """
    m = run.machine
    if m is None:
        return None
    return {
        "busy_seconds": m.busy,
        "others_cpu_seconds": run.others_cpu_seconds,
        "kernel_threads_seconds": m.kernel_threads,
        "steal_seconds": m.steal,
        "iowait_seconds": m.iowait,
        "interference": interference(run),
    }


def interference(run: ProcessRun) -> float | None:
    """Others' CPU time and steal during ``run``, as a share of one CPU.

    The machine's busy time less the run's own (other processes, kernel
    threads, interrupts), plus the time the host took from this VM's CPUs
    (steal), over the run's wall time: 0.25 is a quarter of a CPU taken from
    the run's moments on average. None where not measured.
    """
    others = run.others_cpu_seconds
    if others is None or run.machine is None or run.seconds <= 0:
        return None
    return (max(0.0, others) + run.machine.steal) / run.seconds


@dataclass(frozen=True)
class OverlapRule:
    """A pre-declared rule: a round whose runs overlapped other work is run again.

    After each round of a :func:`race`, if any run's :func:`interference`
    exceeded ``share`` (of one CPU), the whole round is run again, every
    contender in the same order, up to ``retries`` times a round and ``budget``
    times a race (None: half the rounds, rounded up); the last attempt stands,
    overlapped or not. Every contender and both sides of every ratio alike; the
    rule reads only what other work did, never a contender's own time. The
    replaced attempts are kept (:class:`Attempt`), to be counted and shown.
    """

    share: float = 0.10
    retries: int = 2
    budget: int | None = None

    def overlapped(self, runs: dict[str, ProcessRun]) -> list[tuple[str, float]]:
        """The runs of a round over the threshold, and their interference."""
        return [
            (name, share)
            for name, run in runs.items()
            if (share := interference(run)) is not None and share > self.share
        ]

    def allowed(self, rounds: int) -> int:
        """Re-runs a race of ``rounds`` rounds may make in all."""
        return self.budget if self.budget is not None else (rounds + 1) // 2


@dataclass(frozen=True)
class Attempt:
    """A round's attempt replaced under an :class:`OverlapRule`."""

    round: int  # 0-based
    attempt: int  # 1: the round's first
    runs: dict[str, ProcessRun]
    overlapped: tuple[tuple[str, float], ...]

    def as_json(self) -> dict[str, Any]:
        return {
            "round": self.round + 1,
            "attempt": self.attempt,
            "overlapped": [{"run": n, "interference": s} for n, s in self.overlapped],
            "seconds": {name: run.seconds for name, run in self.runs.items()},
            "cpu_seconds": {name: run.cpu_seconds for name, run in self.runs.items()},
            "machine": {name: machine_json(run) for name, run in self.runs.items()},
            "probe_cpu_seconds": {name: run.probe for name, run in self.runs.items()},
            "outputs": {
                name: run.outputs.as_json() if run.outputs else None
                for name, run in self.runs.items()
            },
        }


def first_attempts(
    timings: dict[str, Timings], replaced: Sequence[Attempt]
) -> dict[str, Timings]:
    """Each round's first attempt: the runs as they would be without the rule."""
    first = {a.round: a.runs for a in replaced if a.attempt == 1}
    return {
        name: Timings(
            [first[i][name] if i in first else run for i, run in enumerate(t.runs)]
        )
        for name, t in timings.items()
    }


def rule_record(
    timings: dict[str, Timings], replaced: Sequence[Attempt], rule: OverlapRule
) -> dict[str, Any]:
    """What other work did in a race's rounds, and what ``rule`` did about it.

    Per round (the attempt that stands) the highest :func:`interference` of its
    runs (null where not measured), the rounds run again, every attempt
    replaced (each kept), and the rounds still over the threshold (the rule's
    re-runs used up): the same record for every race run under a rule.
    """
    rounds = len(next(iter(timings.values())).runs) if timings else 0
    worst: list[float | None] = []
    for r in range(rounds):
        shares = [interference(t.runs[r]) for t in timings.values()]
        known = [x for x in shares if x is not None]
        worst.append(max(known) if known else None)
    return {
        "overlap_rule": {
            "share": rule.share,
            "retries": rule.retries,
            "budget": rule.allowed(rounds),
        },
        "interference_rounds": worst,
        "rounds_rerun": sorted({a.round + 1 for a in replaced}),
        "attempts_replaced": [a.as_json() for a in replaced],
        "rounds_overlapped": [
            r + 1 for r, x in enumerate(worst) if x is not None and x > rule.share
        ],
    }


#: The ext2/3/4 attribute that spreads a folder's subfolders over the disk's
#: block groups (``chattr +T``, the Orlov allocator's "top of a hierarchy").
SPREAD_ATTRIBUTE = "+T"


@contextlib.contextmanager
def scratch_root(data: Path) -> Iterator[tuple[Path, str]]:
    """Make ``data/scratch`` the temporary directory for the bench's outputs.

    Every run's OUT (and the floor program's) is a new folder there, removed
    when the run ends. Under ``/tmp`` they all landed in one block group of
    the disk, beside everything else the machine creates and deletes there;
    on an ext4 without a journal (this VM's), creating a file in a group where
    many files were deleted within the last minute costs 0.1-0.7 ms of system
    time more (``ext4``'s check of recently deleted inodes), so each run paid
    for the one before it and for other processes. With ``chattr +T`` on the
    scratch folder each new OUT starts in a block group of its own. Yields the
    folder and a line saying whether the attribute took; the temporary
    directory is put back afterwards, the folder's contents removed.
    """
    root = data / "scratch"
    shutil.rmtree(root, ignore_errors=True)  # a killed run's leftovers
    root.mkdir(parents=True, exist_ok=True)
    try:
        done = subprocess.run(
            ["chattr", SPREAD_ATTRIBUTE, str(root)],
            capture_output=True,
            text=True,
            check=False,
        )
        spread = done.returncode == 0
        why = done.stderr.strip().splitlines()[-1:] if not spread else []
    except OSError as exc:
        spread, why = False, [str(exc)]
    line = f"outputs under {root}" + (
        " (chattr +T: each OUT in a block group of its own)"
        if spread
        else f" (chattr +T not taken: {why[0] if why else 'unknown'})"
    )
    before = tempfile.tempdir
    tempfile.tempdir = str(root)
    try:
        yield root, line
    finally:
        tempfile.tempdir = before
        shutil.rmtree(root, ignore_errors=True)


def new_output(name: str) -> Path:
    """A new empty output folder in the temporary directory."""
    return Path(tempfile.mkdtemp(prefix=f"melcli-bench-{name}-"))


def remove(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)


@contextlib.contextmanager
def fresh_output(name: str) -> Iterator[Path]:
    """A new empty output folder, removed afterwards."""
    out = new_output(name)
    try:
        yield out
    finally:
        remove(out)


def race(
    contenders: Sequence[Contender],
    rounds: int,
    *,
    verify: Callable[[dict[str, Path]], Sanity] | None = None,
    order: Callable[[int], Sequence[Contender]] | None = None,
    rule: OverlapRule | None = None,
    replaced: list[Attempt] | None = None,
) -> tuple[dict[str, Timings], Sanity | None]:
    """Run every contender ``rounds`` times, alternating, each into a fresh folder.

    The order rotates from round to round, so no contender always runs first
    (or right after the heaviest one); ``order``, given the round's index,
    may set it instead (every contender once a round). ``verify`` is called
    once, with the first round's output folders, before they are removed;
    later rounds remove each output folder as soon as its run ends. Each
    contender's ``runs[i]`` is its run of round ``i``. With ``rule``, a round
    whose runs overlapped other work is run again (:class:`OverlapRule`), and
    each attempt it replaced is appended to ``replaced``. A contender with
    ``outputs`` (a suffix) has its output files of that suffix looked at after
    each run, before its folder is removed: their completion times are the
    run's ``outputs`` (:class:`Completions`).
    """
    timings = {c.name: Timings() for c in contenders}
    sanity = None
    left = rule.allowed(rounds) if rule is not None else 0
    for round_index in range(rounds):
        shift = round_index % len(contenders)
        ordered = (
            order(round_index)
            if order is not None
            else [*contenders[shift:], *contenders[:shift]]
        )
        if sorted(c.name for c in ordered) != sorted(timings):
            raise BenchError(f"round {round_index + 1}: not every contender once")
        for attempt in itertools.count(1):
            keep = verify is not None and sanity is None
            folders: dict[str, Path] = {}
            try:
                runs = _one_round(ordered, f"{round_index + 1}/{rounds}", folders, keep)
                if verify is not None and keep:
                    sanity = verify(folders)
            finally:
                for out in folders.values():
                    remove(out)
            over = rule.overlapped(runs) if rule is not None else []
            if not over or rule is None or attempt > rule.retries or left <= 0:
                break
            left -= 1
            if replaced is not None:
                replaced.append(Attempt(round_index, attempt, runs, tuple(over)))
            named = ", ".join(f"{n} {s:.0%}" for n, s in over)
            log(
                f"  round {round_index + 1}: others' CPU over the rule ({named}): again"
            )
        for name, run in runs.items():
            timings[name].runs.append(run)
    return timings, sanity


def _one_round(
    ordered: Sequence[Contender],
    label: str,
    folders: dict[str, Path],
    keep: bool,
) -> dict[str, ProcessRun]:
    """Run each contender once, in order, each into a new folder in ``folders``.

    Without ``keep`` each folder is removed (and dropped from ``folders``) as
    soon as its run ends; with it, the caller removes them after verifying.
    A contender's :class:`Completions` are read first, if it asks.
    """
    runs: dict[str, ProcessRun] = {}
    for contender in ordered:
        out = folders[contender.name] = new_output(contender.name)
        start = time.time_ns()
        run = run_process(contender.command(out))
        if contender.outputs is not None:
            done = completions(out, contender.outputs, start, time.time_ns())
            run = dataclasses.replace(run, outputs=done)
        runs[contender.name] = run
        log(f"  round {label} {contender.name}: {run.seconds:.2f} s")
        if not keep:
            remove(folders.pop(contender.name))
    return runs


@dataclass(frozen=True)
class Sanity:
    """Whether two contenders wrote the same arrays (a few files compared)."""

    label: str
    compared: int
    max_abs_diff_db: float
    counts: dict[str, int]
    expected: int
    #: The largest difference allowed, in ``unit`` (log filterbanks: none).
    limit: float = TOLERANCE_DB
    unit: str = "dB"

    @property
    def agree(self) -> bool:
        complete = all(n == self.expected for n in self.counts.values())
        return complete and self.compared > 0 and self.max_abs_diff_db <= self.limit

    def line(self) -> str:
        if all(n == self.expected for n in self.counts.values()):
            counts = f"each wrote all {self.expected} outputs"
        else:
            written = ", ".join(f"{name} {n}" for name, n in self.counts.items())
            counts = f"outputs written: {written} (expected {self.expected} each)"
        verdict = "OK" if self.agree else "MISMATCH"
        unit = f" {self.unit}" if self.unit else ""
        return (
            f"sanity: {self.label} on {plural(self.compared, 'file')}: max |diff| "
            f"{self.max_abs_diff_db:.1e}{unit} (limit {self.limit:g}{unit}); "
            f"{counts}: {verdict}"
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "compared": self.compared,
            "max_abs_diff_db": self.max_abs_diff_db,
            "counts": self.counts,
            "expected": self.expected,
            "limit": self.limit,
            "unit": self.unit,
            "agree": self.agree,
        }


def comparer(
    first: str,
    second: str,
    *,
    expected: int,
    suffixes: Sequence[str] = (".npy",),
    label: str | None = None,
    limit: float = TOLERANCE_DB,
    unit: str = "dB",
) -> Callable[[dict[str, Path]], Sanity]:
    """Compare ``first``'s and ``second``'s arrays on up to 3 files, spread out."""

    def verify(folders: dict[str, Path]) -> Sanity:
        a, b = folders[first], folders[second]
        counts = {
            f"{name} {suffix}": _count(folders[name], suffix)
            for name in (first, second)
            for suffix in suffixes
        }
        common = sorted(
            {p.relative_to(a) for p in a.rglob("*.npy")}
            & {p.relative_to(b) for p in b.rglob("*.npy")}
        )
        picked = common[:: max(1, len(common) // 3)][:3]
        diff = max((max_abs_diff(a / rel, b / rel) for rel in picked), default=0.0)
        return Sanity(
            label=label or f"{first} vs {second}",
            compared=len(picked),
            max_abs_diff_db=diff,
            counts=counts,
            expected=expected,
            limit=limit,
            unit=unit,
        )

    return verify


def _count(folder: Path, suffix: str) -> int:
    return sum(1 for _ in folder.rglob(f"*{suffix}"))


def max_abs_diff(a: Path | np.ndarray, b: Path | np.ndarray) -> float:
    """Largest absolute difference in dB; infinite when the shapes differ."""
    x = np.load(a) if isinstance(a, Path) else a
    y = np.load(b) if isinstance(b, Path) else b
    if x.shape != y.shape:
        return math.inf
    return float(np.max(np.abs(x.astype(np.float64) - y), initial=0.0))


@dataclass(frozen=True)
class Check:
    """One measure against its target."""

    workload: str
    measure: str
    value: float
    shown: str
    target: str
    passed: bool | None  # None: not applicable here

    @property
    def verdict(self) -> str:
        return {True: "PASS", False: "FAIL", None: "n/a"}[self.passed]


@dataclass
class Outcome:
    """What one workload measured: JSON data, the checks and the printed lines."""

    data: dict[str, Any]
    checks: list[Check]
    lines: list[str]
    sanity: Sanity | None = None
    notes: list[str] = field(default_factory=list)


def spread_notes(timings: dict[str, Timings], limit: float = 0.25) -> list[str]:
    """Warn about contenders whose runs varied a lot: something else was running."""
    notes = []
    for name, t in timings.items():
        spread = (max(t.seconds) - min(t.seconds)) / t.median
        if spread > limit:
            notes.append(
                f"warning: {name}: runs varied by {spread:.0%} of the median "
                "(a busy machine?); trust the ratios less"
            )
    return notes


def ratio_check(workload: str, measure: str, value: float, *, at_least: float) -> Check:
    return Check(
        workload,
        measure,
        value,
        f"{value:.2f}x",
        f">= {at_least:g}x",
        value >= at_least,
    )


def available_cpus() -> int:
    """CPUs this process may use (melcli's default -j)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def plural(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def table(
    header: Sequence[str], rows: Sequence[Sequence[str]], *, left: int = 1
) -> list[str]:
    """Align columns: the first ``left`` to the left, the rest to the right."""
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]

    def fmt(row: Sequence[str]) -> str:
        cells = [
            cell.ljust(width) if i < left else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        ]
        return "  " + "   ".join(cells).rstrip()

    rule = "  " + "-" * (sum(widths) + 3 * (len(widths) - 1))
    return [fmt(header), rule, *(fmt(row) for row in rows)]

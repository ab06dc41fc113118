"""melcli's benchmark: melcli against the hand-written librosa loop, side by side.

    python bench/bench.py [--quick] [--only a,b,c,d,e,p,r,k,f,g] [--json PATH] ...

Workloads (see bench/README.md):

    a  throughput: N 10-second stereo 44.1 kHz WAV files in class folders
    b  the same with PNG renders, on a subset
    c  start-up: one 1-second file, start to finish
    d  one long file (60 minutes): peak memory and accuracy
    e  scaling: -j 1 against every CPU, and N/2 against N files; the workload ceiling
    p  melcli's per-stage profile, in process
    r  incremental: an up-to-date re-run against the first run
    k  cluster: --scheduler local (Dask, 1 and 2 workers) against the local pool
    f  the floor: melcli -j 1 per file against each stage alone (bench/floor.py)
    h  --kind fbank on the long file: peak memory, accuracy, and time against
       kaldi-native-fbank streaming the same file
    i  --preset ast throughput against a loop over AST's extractor (numpy path)
    g  gallery: `melcli gallery` on a large output (20 000 clips) against the run

Every contender is a whole process (imports included, as a user pays them),
run into a fresh temporary output folder; contenders alternate within each
round and the report gives medians and ratios. The test audio is generated
deterministically into a cache folder (``bench/.data/``) on first use.

The report (machine facts, tables, target checks) goes to stdout; progress goes
to stderr. Exit status: 0 when every selected workload ran and melcli's arrays
agree with the baseline's, 1 otherwise. Missed performance targets are shown
as FAIL in the table but do not change the exit status.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.metadata
import json
import math
import os
import platform
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
import soundfile as sf

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
BASELINE_SCRIPT = BENCH_DIR / "baseline.py"
FBANK_BASELINE_SCRIPT = BENCH_DIR / "fbank_baseline.py"
DEFAULT_DATA = BENCH_DIR / ".data"

# ------------------------------------------------------------------ test audio
#: Bump when the generated signals change: the cache is then rebuilt beside the old.
DATA_VERSION = 1
SEED = 20_240_501
SR = 44_100
CHANNELS = 2
CLIP_SECONDS = 10
CLASSES = ("birds", "dogs", "engines", "music", "rain", "speech")
LONG_BLOCK_SECONDS = 10

# --------------------------------------------------------------------- targets
TOLERANCE_DB = 1e-3
TARGET_SEQUENTIAL = 4.0  # (a) baseline / melcli
TARGET_JOBLIB = 3.0  # (a) baseline-joblib / melcli
TARGET_PNG = 5.0  # (b) baseline-png / melcli-png
TARGET_STARTUP = 0.40  # (c) melcli / baseline, at most
TARGET_RSS_MB = 400.0  # (d) melcli -j 1 peak RSS, MB = 10**6 bytes
TARGET_PARALLEL_EFFICIENCY = 0.9  # (e) -j all / -j 1 >= 0.9 x CPUs (1.8 on 2)
TARGET_LINEARITY = (0.9, 1.1)  # (e) t(N) / t(N/2), relative to the ideal 2.0
TARGET_CLUSTER = 0.8  # (k) Dask throughput / local pool throughput, at least
TARGET_FBANK_SPEED = 1.0  # (h) knf-stream time / melcli time, at least
TARGET_AST = 3.0  # (i) ast-loop time / melcli --preset ast time, at least
#: (h) kaldi-native-fbank computes in float32: bins under a millionth of their
#: frame's peak hold its rounding noise (tests/test_fbank.py), and are left out.
FLOAT32_RESOLUTION = math.log(1e6)
#: (h) Above that, its float32 FFT still differs from the float64 arithmetic
#: (melcli's and transformers', which agree within 1e-6) by up to 3.7e-4 on
#: tonal frames of the bench clips (measured): the limit against knf.
KNF_TOLERANCE = 1e-3
#: (i) melcli against the float64 AST reference, in AST's normalised units.
FBANK_TOLERANCE = 1e-4

TARGET_GALLERY = 0.1  # (g) gallery build / the run it shows, at most
TARGET_FIRST_PAGE_MB = 2.0  # (g) index.html + first data page + its pictures, MB
#: (g) Distinct clips, hard-linked under many names.
GALLERY_DISTINCT = 120

WORKLOADS = ("a", "b", "c", "d", "e", "p", "r", "k", "f", "g", "h", "i")

#: Sizes by default, and with --quick (options given explicitly win over both).
FULL: dict[str, Any] = {
    "files": 300,
    "scale_files": 600,
    "png_files": 100,
    "profile_files": 30,
    "rounds": 3,
    "startup_rounds": 7,
    "long_minutes": 60.0,
    "floor_files": 120,
    "short_files": 600,
    "floor_reps": 3,
    "gallery_files": 20_000,
}
QUICK: dict[str, Any] = {
    "files": 6,
    "scale_files": 6,
    "png_files": 3,
    "profile_files": 3,
    "rounds": 1,
    "startup_rounds": 1,
    "long_minutes": 1.0,
    "floor_files": 4,
    "short_files": 6,
    "floor_reps": 1,
    "gallery_files": 60,
}


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
    floor_reps: int
    gallery_files: int
    workloads: tuple[str, ...]
    skip_long: bool
    skip_reference: bool
    json_path: Path | None
    quick: bool


# ================================================================== test audio
def synthesize(rng: np.random.Generator, n: int) -> np.ndarray:
    """Return ``n`` frames of stereo test audio, float32, shape ``(n, 2)``.

    A quiet pink-ish background with tones (harmonics and vibrato), chirps and
    band-limited noise bursts scattered over it, each panned somewhere in the
    stereo field, scaled to a random peak between -20 and -3 dBFS.
    """
    mix = _background(rng, n)
    seconds = n / SR
    for make, per_10s in ((_tone, 4), (_chirp, 2), (_noise_burst, 7)):
        for _ in range(rng.poisson(per_10s * seconds / 10) + 1):
            _place(mix, rng, make(rng))
    peak = float(np.max(np.abs(mix))) or 1.0
    gain = 10 ** (rng.uniform(-20, -3) / 20) / peak
    return (mix * gain).astype(np.float32)


def _background(rng: np.random.Generator, n: int) -> np.ndarray:
    spectrum = np.fft.rfft(rng.standard_normal((CHANNELS, n)), axis=-1)
    spectrum /= np.sqrt(np.arange(spectrum.shape[-1]) + 1.0)
    noise = np.fft.irfft(spectrum, n=n, axis=-1).T
    return 0.02 * noise / (np.max(np.abs(noise)) or 1.0)


def _place(mix: np.ndarray, rng: np.random.Generator, event: np.ndarray) -> None:
    """Add a mono ``event`` at a random start and pan, cut at the end of ``mix``."""
    start = int(rng.integers(0, mix.shape[0]))
    stop = min(mix.shape[0], start + event.shape[0])
    angle = rng.uniform(0, np.pi / 2)
    gains = np.array([np.cos(angle), np.sin(angle)]) * rng.uniform(0.2, 1.0)
    mix[start:stop] += event[: stop - start, np.newaxis] * gains


def _tone(rng: np.random.Generator) -> np.ndarray:
    t = np.arange(int(rng.uniform(0.3, 4.0) * SR)) / SR
    f0 = math.exp(rng.uniform(math.log(80), math.log(2000)))
    vibrato = 1 + 0.01 * np.sin(2 * np.pi * rng.uniform(3, 7) * t)
    phase = 2 * np.pi * f0 * np.cumsum(vibrato) / SR
    y = sum(np.sin(k * phase) / k for k in range(1, int(rng.integers(1, 6)) + 1))
    attack = np.minimum(1.0, t / rng.uniform(0.01, 0.1))
    return np.asarray(y * attack * np.exp(-t * rng.uniform(0.2, 3.0)))


def _chirp(rng: np.random.Generator) -> np.ndarray:
    duration = rng.uniform(0.2, 2.0)
    t = np.arange(int(duration * SR)) / SR
    f0, f1 = np.exp(rng.uniform(math.log(200), math.log(8000), size=2))
    rate = math.log(f1 / f0) / duration
    if abs(rate) < 1e-6:
        phase = 2 * np.pi * f0 * t
    else:
        phase = 2 * np.pi * f0 * np.expm1(rate * t) / rate
    return np.asarray(np.sin(phase) * np.hanning(t.size))


def _noise_burst(rng: np.random.Generator) -> np.ndarray:
    n = int(rng.uniform(0.02, 0.6) * SR)
    spectrum = np.fft.rfft(rng.standard_normal(n))
    freqs = np.fft.rfftfreq(n, 1 / SR)
    low = math.exp(rng.uniform(math.log(100), math.log(6000)))
    spectrum[(freqs < low) | (freqs > low * rng.uniform(1.5, 8.0))] = 0
    y = np.fft.irfft(spectrum, n=n)
    y /= np.max(np.abs(y)) or 1.0
    return y * np.exp(-np.arange(n) / (n * rng.uniform(0.1, 0.5)))


def _rng(stream: int, index: int) -> np.random.Generator:
    """A generator that depends only on (stream, index): files are reproducible."""
    return np.random.default_rng([SEED, stream, index])


class Dataset:
    """The generated test audio under ``root``, made on first use and then reused.

    Every file is written under a hidden temporary name and renamed into place,
    so a file that exists is complete; one with the wrong length is remade.
    ``clip_set(n)`` is a folder holding the first ``n`` clips (hard links into
    a shared pool), so the same clips serve every workload and size.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self.base = root / f"v{DATA_VERSION}"

    def clip_set(self, n: int, *, start: int = 0) -> Path:
        """A folder with ``n`` clips (the first, or from ``start``) in class folders."""
        self._mark_ignored()
        self._make_clips(start + n)
        view = self.base / "sets" / (f"n{n}" if start == 0 else f"n{n}-from{start}")
        for index in range(start, start + n):
            clip = self.base / "clips" / _clip_rel(index)
            linked = view / _clip_rel(index)
            if not (linked.exists() and os.path.samefile(clip, linked)):
                linked.parent.mkdir(parents=True, exist_ok=True)
                linked.unlink(missing_ok=True)
                _link_or_copy(clip, linked)
        return view

    def one_second(self) -> Path:
        """One 1-second stereo 44.1 kHz WAV."""
        self._mark_ignored()
        path = self.base / "single" / "one_second.wav"
        if not _is_complete(path, SR):
            _write_wav(path, synthesize(_rng(1, 0), SR))
            _flush_to_disk()
        return path

    def long_file(self, minutes: float) -> Path:
        """One ``minutes``-long stereo 44.1 kHz WAV, written block by block."""
        self._mark_ignored()
        frames = round(minutes * 60 * SR)
        path = self.base / "long" / f"long_{minutes:g}min.wav"
        if not _is_complete(path, frames):
            log(f"generating a {minutes:g}-minute file: {path}")
            _write_long_wav(path, frames)
            _flush_to_disk()
        return path

    def linked_set(self, n: int) -> Path:
        """A folder of ``n`` clips in class folders: hard links to a few distinct.

        :data:`GALLERY_DISTINCT` clips (the first of the pool), each under many
        names: a large output without gigabytes of audio (each name is still
        decoded and written by the run, and read by the gallery).
        """
        self._mark_ignored()
        self._make_clips(GALLERY_DISTINCT)
        view = self.base / "sets" / f"linked{n}"
        for index in range(n):
            clip = self.base / "clips" / _clip_rel(index % GALLERY_DISTINCT)
            linked = view / _clip_rel(index).parent / f"clip_{index:05d}.wav"
            if not (linked.exists() and os.path.samefile(clip, linked)):
                linked.parent.mkdir(parents=True, exist_ok=True)
                linked.unlink(missing_ok=True)
                _link_or_copy(clip, linked)
        return view

    def _make_clips(self, n: int) -> None:
        """Make whichever of the first ``n`` clips are missing or incomplete."""
        frames = CLIP_SECONDS * SR
        pool = self.base / "clips"
        missing = [i for i in range(n) if not _is_complete(pool / _clip_rel(i), frames)]
        if missing:
            log(f"generating {len(missing)} clips in {pool}")
        for index in missing:
            _write_wav(pool / _clip_rel(index), synthesize(_rng(0, index), frames))
        if missing:
            _flush_to_disk()

    def _mark_ignored(self) -> None:
        """Keep the cache out of git wherever it lives (as .pytest_cache does)."""
        self.root.mkdir(parents=True, exist_ok=True)
        marker = self.root / ".gitignore"
        if not marker.exists():
            marker.write_text("# generated by bench/bench.py\n*\n")


def _clip_rel(index: int) -> Path:
    return Path(CLASSES[index % len(CLASSES)]) / f"clip_{index:04d}.wav"


def _is_complete(path: Path, frames: int) -> bool:
    try:
        info = sf.info(str(path))
    except (OSError, RuntimeError):  # missing or unreadable: remake it
        return False
    return (info.frames, info.channels, info.samplerate) == (frames, CHANNELS, SR)


def _temp_name(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    return path.with_name(f".{path.name}.tmp")


def _write_wav(path: Path, data: np.ndarray) -> None:
    temp = _temp_name(path)
    sf.write(str(temp), data, SR, format="WAV", subtype="PCM_16")
    os.replace(temp, path)


def _write_long_wav(path: Path, frames: int) -> None:
    """Write block by block, so generating even an hour takes little memory."""
    temp = _temp_name(path)
    block = LONG_BLOCK_SECONDS * SR
    with sf.SoundFile(
        str(temp), "w", SR, CHANNELS, format="WAV", subtype="PCM_16"
    ) as f:
        for index, start in enumerate(range(0, frames, block)):
            f.write(synthesize(_rng(2, index), min(block, frames - start)))
    os.replace(temp, path)


def _flush_to_disk() -> None:
    """Finish writing new data now, so the write-back does not slow a measurement."""
    if hasattr(os, "sync"):
        os.sync()


def _link_or_copy(src: Path, dst: Path) -> None:
    try:
        os.link(src, dst)
    except OSError:  # no hard links on this file system
        shutil.copyfile(src, dst)


def warm_page_cache(src: Path) -> None:
    """Read the inputs once, so no contender pays for the first disk read."""
    paths = [src] if src.is_file() else sorted(p for p in src.rglob("*") if p.is_file())
    for path in paths:
        with path.open("rb") as f:
            while f.read(1 << 22):
                pass


# ============================================================ running processes
@dataclass(frozen=True)
class ProcessRun:
    """One whole-process run: wall time and peak resident memory."""

    seconds: float
    peak_rss_bytes: int
    #: user + system CPU time of the process and the children it waited for.
    cpu_seconds: float = 0.0


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
    baseline, and, unlike ``getrusage(RUSAGE_CHILDREN)`` in this process, it is
    not polluted by earlier children. With a worker pool it is at most the
    largest single process, not the pool's total: workers that the measured
    process does not reap itself (a forkserver's, say) are not counted.
    """
    with tempfile.TemporaryFile() as stderr:
        start = time.perf_counter()
        proc = subprocess.Popen(
            list(argv),
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            env=_subprocess_env(),
        )
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        except BaseException:
            proc.kill()
            proc.wait()
            raise
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            stderr.seek(0)
            tail = stderr.read().decode(errors="replace").strip()[-2000:]
            raise BenchError(f"exit status {proc.returncode}: {' '.join(argv)}\n{tail}")
    # ru_maxrss is in KiB on Linux, in bytes on macOS.
    scale = 1 if sys.platform == "darwin" else 1024
    return ProcessRun(
        seconds=seconds,
        peak_rss_bytes=usage.ru_maxrss * scale,
        cpu_seconds=usage.ru_utime + usage.ru_stime,
    )


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
            "median_seconds": self.median,
            "min_seconds": min(self.seconds),
            "max_seconds": max(self.seconds),
            "peak_rss_mb": self.peak_rss_mb,
            "files_per_second": files / self.median,
            "realtime_factor": audio_seconds / self.median,
        }


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
) -> tuple[dict[str, Timings], Sanity | None]:
    """Run every contender ``rounds`` times, alternating, each into a fresh folder.

    The order rotates from round to round, so no contender always runs first
    (or right after the heaviest one). ``verify`` is called once, with the
    first round's output folders, before they are removed; later rounds remove
    each output folder as soon as its run ends.
    """
    timings = {c.name: Timings() for c in contenders}
    sanity = None
    for round_index in range(rounds):
        shift = round_index % len(contenders)
        keep = verify is not None and sanity is None
        folders: dict[str, Path] = {}
        try:
            for contender in [*contenders[shift:], *contenders[:shift]]:
                out = folders[contender.name] = new_output(contender.name)
                run = run_process(contender.command(out))
                timings[contender.name].runs.append(run)
                log(
                    f"  round {round_index + 1}/{rounds} {contender.name}: "
                    f"{run.seconds:.2f} s"
                )
                if not keep:
                    remove(folders.pop(contender.name))
            if verify is not None and keep:
                sanity = verify(folders)
        finally:
            for out in folders.values():
                remove(out)
    return timings, sanity


# ===================================================================== sanity
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


# ================================================================== workloads
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


def throughput(cfg: Config, dataset: Dataset) -> Outcome:
    """(a) N clips: melcli against the sequential and the joblib baseline."""
    src = dataset.clip_set(cfg.files)
    warm_page_cache(src)
    contenders = [
        Contender("baseline", baseline(src)),
        Contender("baseline-joblib", baseline(src, "--joblib")),
        Contender("melcli", melcli_mel(src)),
    ]
    timings, sanity = race(
        contenders,
        cfg.rounds,
        verify=comparer("melcli", "baseline", expected=cfg.files),
    )
    title = (
        f"(a) throughput: {cfg.files} files x {CLIP_SECONDS} s stereo 44.1 kHz "
        f"16-bit WAV, {len(CLASSES)} class folders, {plural(cfg.rounds, 'round')}"
    )
    outcome = batch_outcome(title, timings, files=cfg.files, sanity=sanity)
    ratios = outcome.data["ratios"]
    outcome.checks = [
        ratio_check(
            "a", "baseline / melcli", ratios["baseline"], at_least=TARGET_SEQUENTIAL
        ),
        ratio_check(
            "a",
            "baseline-joblib / melcli",
            ratios["baseline-joblib"],
            at_least=TARGET_JOBLIB,
        ),
    ]
    return outcome


def with_png(cfg: Config, dataset: Dataset) -> Outcome:
    """(b) A subset of the clips, arrays and PNG renders."""
    src = dataset.clip_set(cfg.png_files)
    warm_page_cache(src)
    contenders = [
        Contender("baseline-png", baseline(src, "--png")),
        Contender("melcli-png", melcli_mel(src, "--png")),
    ]
    timings, sanity = race(
        contenders,
        cfg.rounds,
        verify=comparer(
            "melcli-png",
            "baseline-png",
            expected=cfg.png_files,
            suffixes=(".npy", ".png"),
        ),
    )
    title = (
        f"(b) with --png: the first {cfg.png_files} of the (a) files, "
        f"{plural(cfg.rounds, 'round')}"
    )
    outcome = batch_outcome(
        title, timings, files=cfg.png_files, sanity=sanity, reference="melcli-png"
    )
    value = outcome.data["ratios"]["baseline-png"]
    outcome.checks = [
        ratio_check("b", "baseline-png / melcli-png", value, at_least=TARGET_PNG)
    ]
    return outcome


def batch_outcome(
    title: str,
    timings: dict[str, Timings],
    *,
    files: int,
    sanity: Sanity | None,
    reference: str = "melcli",
) -> Outcome:
    """Tabulate a race over ``files`` clips: medians, files/s, x real time, ratios."""
    audio_seconds = files * CLIP_SECONDS
    melcli_median = timings[reference].median
    rows = [
        [
            name,
            f"{t.median:.2f}",
            f"{min(t.seconds):.2f}-{max(t.seconds):.2f}",
            f"{files / t.median:.1f}",
            f"{audio_seconds / t.median:.0f}",
            f"{t.median / melcli_median:.2f}x",
        ]
        for name, t in timings.items()
    ]
    header = ["contender", "median s", "min-max s", "files/s", "x real time"]
    lines = [title, *table([*header, f"time / {reference}"], rows)]
    ratios = {
        name: t.median / melcli_median
        for name, t in timings.items()
        if name != reference
    }
    data = {
        "files": files,
        "audio_seconds": audio_seconds,
        "rounds": len(timings[reference].runs),
        "contenders": {
            name: t.as_json(files=files, audio_seconds=audio_seconds)
            for name, t in timings.items()
        },
        "ratios": ratios,
        "sanity": sanity.as_json() if sanity else None,
    }
    notes = spread_notes(timings)
    return Outcome(data=data, checks=[], lines=lines, sanity=sanity, notes=notes)


def startup(cfg: Config, dataset: Dataset) -> Outcome:
    """(c) One 1-second file, whole process start to finish."""
    src = dataset.one_second()
    warm_page_cache(src)
    contenders = [
        Contender("baseline", baseline(src)),
        Contender("melcli", melcli_mel(src)),
    ]
    timings, sanity = race(
        contenders,
        cfg.startup_rounds,
        verify=comparer("melcli", "baseline", expected=1),
    )
    share = timings["melcli"].median / timings["baseline"].median
    rows = [
        [name, f"{t.median:.3f}", f"{min(t.seconds):.3f}-{max(t.seconds):.3f}"]
        for name, t in timings.items()
    ]
    lines = [
        "(c) one 1-second stereo 44.1 kHz file, whole process start to finish, "
        f"{plural(cfg.startup_rounds, 'round')}",
        *table(["contender", "median s", "min-max s"], rows),
        f"melcli takes {share:.0%} of the baseline's time "
        f"(baseline / melcli = {1 / share:.2f}x)",
    ]
    data = {
        "audio_seconds": 1.0,
        "rounds": cfg.startup_rounds,
        "contenders": {
            name: t.as_json(files=1, audio_seconds=1.0) for name, t in timings.items()
        },
        "melcli_share_of_baseline": share,
        "ratios": {"baseline": 1 / share},
        "sanity": sanity.as_json() if sanity else None,
    }
    check = Check(
        "c",
        "melcli time / baseline time",
        share,
        f"{share:.0%}",
        f"<= {TARGET_STARTUP:.0%}",
        share <= TARGET_STARTUP,
    )
    notes = spread_notes(timings)
    return Outcome(data=data, checks=[check], lines=lines, sanity=sanity, notes=notes)


def long_file(cfg: Config, dataset: Dataset) -> Outcome:
    """(d) One long file: peak RSS of melcli -j 1 and the baseline, and accuracy."""
    src = dataset.long_file(cfg.long_minutes)
    warm_page_cache(src)
    audio_seconds = cfg.long_minutes * 60
    array = f"{src.stem}.npy"
    with fresh_output("melcli") as melcli_out, fresh_output("baseline") as base_out:
        log("  melcli -j 1 ...")
        melcli_run = run_process(melcli_mel(src, "-j", "1")(melcli_out))
        log(f"  melcli -j 1: {melcli_run.seconds:.1f} s")
        log("  baseline ...")
        base_run = run_process(baseline(src)(base_out))
        log(f"  baseline: {base_run.seconds:.1f} s")
        melcli_array = np.load(melcli_out / array)
        vs_baseline = max_abs_diff(melcli_array, base_out / array)
        vs_reference = None
        if not cfg.skip_reference:
            log("  whole-file reference in process (several GB) ...")
            vs_reference = max_abs_diff(melcli_array, whole_file_reference(src))
    runs = {"melcli -j 1": melcli_run, "baseline": base_run}
    rows = [
        [
            name,
            f"{run.seconds:.1f}",
            f"{run.peak_rss_bytes / 1e6:.0f}",
            f"{audio_seconds / run.seconds:.0f}",
        ]
        for name, run in runs.items()
    ]
    lines = [
        f"(d) one {cfg.long_minutes:g}-minute stereo 44.1 kHz 16-bit WAV "
        f"({src.stat().st_size / 1e6:.0f} MB), 1 run each",
        *table(["contender", "wall s", "peak RSS MB", "x real time"], rows),
    ]
    if vs_reference is not None:
        lines.append(f"max |melcli - whole-file reference| = {vs_reference:.2e} dB")
    melcli_mb = melcli_run.peak_rss_bytes / 1e6
    checks = [
        Check(
            "d",
            "melcli -j 1 peak RSS",
            melcli_mb,
            f"{melcli_mb:.0f} MB",
            f"<= {TARGET_RSS_MB:g} MB",
            melcli_mb <= TARGET_RSS_MB,
        ),
        diff_check("max |melcli - reference|", vs_reference),
        diff_check("max |melcli - baseline|", vs_baseline),
    ]
    data = {
        "minutes": cfg.long_minutes,
        "file_mb": src.stat().st_size / 1e6,
        "contenders": {
            name: {
                "seconds": run.seconds,
                "peak_rss_mb": run.peak_rss_bytes / 1e6,
                "realtime_factor": audio_seconds / run.seconds,
            }
            for name, run in runs.items()
        },
        "max_abs_diff_db_vs_reference": vs_reference,
        "max_abs_diff_db_vs_baseline": vs_baseline,
    }
    sanity = Sanity(
        label="melcli vs baseline",
        compared=1,
        max_abs_diff_db=vs_baseline,
        counts={"melcli": 1, "baseline": 1},  # both arrays were loaded above
        expected=1,
    )
    return Outcome(data=data, checks=checks, lines=lines, sanity=sanity)


def diff_check(measure: str, value: float | None) -> Check:
    if value is None:
        return Check("d", measure, math.nan, "skipped", f"<= {TOLERANCE_DB:g} dB", None)
    return Check(
        "d",
        measure,
        value,
        f"{value:.1e} dB",
        f"<= {TOLERANCE_DB:g} dB",
        value <= TOLERANCE_DB,
    )


def whole_file_reference(path: Path) -> np.ndarray:
    """melcli's arithmetic on the whole decoded signal at once, in this process."""
    import melcli

    y, sr = sf.read(str(path), dtype="float32", always_2d=True)
    return np.asarray(melcli.mel_spectrogram(y.T, sr=sr))


def _busy_loop(n: int) -> None:
    total = 0
    for i in range(n):
        total += i


def parallel_ceiling(cpus: int, rounds: int = 3) -> float:
    """How much faster ``cpus`` processes finish ``cpus`` busy loops than one does.

    A trivially parallel pure-Python loop, no I/O, no shared memory: what the
    machine gives at best. On a machine whose CPUs are shared with others (or
    are hyperthreads of one core) it is well below ``cpus``, and no program's
    speedup can exceed it.
    """
    import multiprocessing

    def elapsed(n: int) -> float:
        start = time.perf_counter()
        procs = [
            multiprocessing.Process(target=_busy_loop, args=(5_000_000,))
            for _ in range(n)
        ]
        for proc in procs:
            proc.start()
        for proc in procs:
            proc.join()
        return time.perf_counter() - start

    ratios = [cpus * elapsed(1) / elapsed(cpus) for _ in range(rounds)]
    return statistics.median(ratios)


def scaling(cfg: Config, dataset: Dataset) -> Outcome:
    """(e) -j 1 against every CPU on N files; N/2 against N files.

    Also against one independent ``-j 1`` run per CPU on 1/CPUs of the files
    each, started together: the speedup this workload can reach on the machine.
    """
    cpus = available_cpus()
    n_files = cfg.scale_files
    half = n_files // 2
    src, src_half = dataset.clip_set(n_files), dataset.clip_set(half)
    warm_page_cache(src)
    one, every, fewer = (
        f"melcli -j 1, {n_files} files",
        f"melcli -j {cpus}, {n_files} files",
        f"melcli -j {cpus}, {half} files",
    )
    contenders = [
        Contender(one, melcli_mel(src, "-j", "1")),
        Contender(every, melcli_mel(src)),
        Contender(fewer, melcli_mel(src_half)),
    ]
    # This workload's own ceiling: one independent -j 1 run per CPU, each on
    # its share of the files, started together. They share nothing but the
    # machine (caches, memory bandwidth), so no pool can beat them.
    share = n_files // cpus
    apart = f"{cpus} x melcli -j 1 at once, {share} files each"
    if cpus > 1 and share > 0:
        # Views of src's clips (hard links): warming src warmed them too.
        parts = [dataset.clip_set(share, start=i * share) for i in range(cpus)]
        runs = [melcli_mel(part, "-j", "1") for part in parts]
        contenders.append(Contender(apart, at_once(runs)))
    label = f"melcli -j {cpus} vs -j 1"
    timings, sanity = race(
        contenders,
        cfg.rounds,
        verify=comparer(every, one, expected=n_files, label=label),
    )
    speedup = timings[one].median / timings[every].median
    growth = timings[every].median / timings[fewer].median
    ideal = n_files / half
    # Two points of t(n) = fixed + n * per_file: the run's start-up cost and
    # the marginal cost of a file, reported beside the raw ratio.
    per_file = (timings[every].median - timings[fewer].median) / (n_files - half)
    fixed = timings[every].median - n_files * per_file
    ceiling = parallel_ceiling(cpus) if cpus > 1 else 1.0
    # -j 1's time for the files the independent runs did, over theirs.
    apart_speedup = (
        timings[one].median * (share * cpus / n_files) / timings[apart].median
        if apart in timings
        else None
    )
    rows = [
        [name, f"{t.median:.2f}", f"{min(t.seconds):.2f}-{max(t.seconds):.2f}"]
        for name, t in timings.items()
    ]
    lines = [
        f"(e) scaling on the first {n_files} clips "
        f"(-j {cpus} = every CPU, the default), "
        f"{plural(cfg.rounds, 'round')}",
        *table(["contender", "median s", "min-max s"], rows),
        f"-j {cpus} / -j 1 speedup = {speedup:.2f}x (ideal {cpus}x); "
        f"time({n_files}) / time({half}) = {growth:.2f} (ideal {ideal:.2f})",
        f"fit t = fixed + n x per-file (-j {cpus}): fixed {fixed:.2f} s, "
        f"per file {per_file * 1000:.2f} ms",
        f"machine ceiling: {cpus} busy pure-Python processes run {ceiling:.2f}x as "
        f"fast as one (ideal {cpus}x); no speedup can exceed it",
    ]
    if apart_speedup is not None:
        lines.append(
            f"workload ceiling: {cpus} independent -j 1 runs at once did -j 1's work "
            f"{apart_speedup:.2f}x as fast; -j {cpus} reaches "
            f"{speedup / apart_speedup:.0%} of that"
        )
    low, high = (bound * ideal for bound in TARGET_LINEARITY)
    need = TARGET_PARALLEL_EFFICIENCY * cpus
    checks = [
        Check(
            "e",
            f"-j {cpus} / -j 1 speedup",
            speedup,
            f"{speedup:.2f}x",
            f">= {need:.1f}x",
            speedup >= need if cpus > 1 else None,
        ),
        Check(
            "e",
            f"time({n_files} files) / time({half})",
            growth,
            f"{growth:.2f}",
            f"in [{low:.1f}, {high:.1f}]",
            low <= growth <= high,
        ),
    ]
    data = {
        "cpus": cpus,
        "files": n_files,
        "half_files": half,
        "rounds": cfg.rounds,
        "contenders": {  # stable keys, whatever N and the CPU count
            key: timings[name].as_json(files=n, audio_seconds=n * CLIP_SECONDS)
            | {"label": name}
            for key, name, n in (
                ("j1", one, n_files),
                ("all_cpus", every, n_files),
                ("all_cpus_half", fewer, half),
                ("independent_j1", apart, share * cpus),
            )
            if name in timings
        },
        "speedup": speedup,
        "fixed_seconds": fixed,
        "parallel_ceiling": ceiling,
        "independent_runs_speedup": apart_speedup,
        "per_file_seconds": per_file,
        "time_ratio": growth,
        "ideal_time_ratio": ideal,
        "sanity": sanity.as_json() if sanity else None,
    }
    notes = spread_notes(timings)
    return Outcome(data=data, checks=checks, lines=lines, sanity=sanity, notes=notes)


def profile(cfg: Config, dataset: Dataset) -> Outcome:
    """(p) Mean time per file per stage, from ``melcli.run(..., jobs=1)``."""
    import melcli

    src = dataset.clip_set(cfg.profile_files)
    warm_page_cache(src)
    with fresh_output("warmup") as out:  # pay the lazy imports outside the profile
        melcli.run([dataset.clip_set(1)], out, jobs=1)
    with fresh_output("profile") as out:
        report = melcli.run([src], out, jobs=1)
    timed = [r.timings for r in report.results if r.timings]
    if not timed:
        raise BenchError("melcli.run reported no timings")
    stages = list(dict.fromkeys(key for t in timed for key in t))
    mean_ms = {s: 1000 * sum(t.get(s, 0.0) for t in timed) / len(timed) for s in stages}
    total = sum(mean_ms.values())
    rows = [[s, f"{ms:.1f}", f"{ms / total:.0%}"] for s, ms in mean_ms.items()]
    rows.append(["total", f"{total:.1f}", "100%"])
    lines = [
        f"(p) melcli per-stage profile: melcli.run(jobs=1) on {len(timed)} files "
        f"of (a), in process, after a warm-up file",
        *table(["stage", "mean ms/file", "share"], rows),
    ]
    data = {"files": len(timed), "mean_ms_per_file": mean_ms, "total_ms": total}
    return Outcome(data=data, checks=[], lines=lines)


def available_cpus() -> int:
    """CPUs this process may use (melcli's default -j)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


# ====================================================================== report
def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def plural(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def say(*lines: str) -> None:
    print(*lines, sep="\n", flush=True)


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


def machine_facts() -> dict[str, Any]:
    versions = {}
    for package in ("melcli", "librosa", "numpy", "scipy", "soundfile", "soxr"):
        try:
            versions[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            versions[package] = "not installed"
    for package in ("numba", "joblib", "matplotlib"):
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            versions[package] = importlib.metadata.version(package)
    return {
        "cpus": available_cpus(),
        "cpu_count": os.cpu_count(),
        "cpu_model": _cpu_model(),
        "memory_gib": _memory_gib(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "versions": versions,
        "melcli_commit": _git_commit(),
        "cpu_busy_at_start": (busy := _cpu_busy()),
        "warnings": _environment_warnings(busy),
    }


def _cpu_busy(seconds: float = 1.0) -> float | None:
    """The fraction of CPU time other processes used over ``seconds`` (Linux)."""

    def sample() -> tuple[int, int]:
        fields = [int(x) for x in Path("/proc/stat").read_text().split()[1:9]]
        return sum(fields), fields[3] + fields[4]  # total, idle + iowait

    try:
        total0, idle0 = sample()
        time.sleep(seconds)
        total1, idle1 = sample()
    except (OSError, ValueError):  # not Linux
        return None
    return 1 - (idle1 - idle0) / max(1, total1 - total0)


def _environment_warnings(busy: float | None) -> list[str]:
    """What about this machine makes the numbers less trustworthy."""
    warnings = []
    if busy is not None and busy > 0.1:
        warnings.append(
            f"the CPUs were {busy:.0%} busy with other work just before starting: "
            "times will be noisy (compare the min-max ranges)"
        )
    if os.environ.get("PYTHONDONTWRITEBYTECODE"):
        warnings.append(
            "PYTHONDONTWRITEBYTECODE is set: packages without cached bytecode "
            "(an editable melcli) are compiled at every start, which adds to (c)"
        )
    return warnings


def _cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _memory_gib() -> float | None:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (ValueError, OSError, AttributeError):
        return None


def _git_commit() -> str:
    try:
        commit = subprocess.run(
            ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(REPO), "status", "--porcelain", "--", "melcli"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{commit}+local changes" if dirty else commit


def facts_lines(facts: dict[str, Any]) -> list[str]:
    memory = facts["memory_gib"]
    versions = ", ".join(f"{k} {v}" for k, v in facts["versions"].items())
    return [
        "melcli benchmark",
        f"  machine: {facts['cpus']} CPUs usable ({facts['cpu_count']} online), "
        f"{facts['cpu_model']}, "
        + (f"{memory:.1f} GiB RAM" if memory else "RAM unknown"),
        f"  {facts['platform']}, Python {facts['python']}",
        f"  {versions}",
        f"  melcli commit: {facts['melcli_commit']}",
        *(f"  warning: {warning}" for warning in facts["warnings"]),
    ]


def checks_lines(checks: Sequence[Check]) -> list[str]:
    rows = [
        [f"({c.workload})", c.measure, c.shown, c.target, c.verdict] for c in checks
    ]
    return [
        "targets (ratios are baseline time / melcli time: higher = melcli faster)",
        *table(["", "measure", "value", "target", "result"], rows, left=2),
    ]


def rerun(cfg: Config, dataset: Dataset) -> Outcome:
    """(r) An up-to-date re-run against the first run, into the same output."""
    src = dataset.clip_set(cfg.files)
    warm_page_cache(src)
    first, again = Timings(), Timings()
    for _ in range(cfg.rounds):
        with fresh_output("rerun") as out:
            first.runs.append(run_process(melcli_mel(src)(out)))
            before = {p: p.stat().st_mtime_ns for p in out.rglob("*.npy")}
            again.runs.append(run_process(melcli_mel(src)(out)))
            after = {p: p.stat().st_mtime_ns for p in out.rglob("*.npy")}
            if len(before) != cfg.files or after != before:
                raise BenchError(
                    "the re-run rewrote outputs, or the first run missed some"
                )
    ratio = first.median / again.median
    timings = {"first run": first, "re-run, up to date": again}
    rows = [
        [name, f"{t.median:.3f}", f"{min(t.seconds):.3f}-{max(t.seconds):.3f}"]
        for name, t in timings.items()
    ]
    lines = [
        f"(r) incremental: melcli on {cfg.files} files, then again with nothing "
        f"changed, {plural(cfg.rounds, 'round')}",
        *table(["run", "median s", "min-max s"], rows),
        f"the re-run wrote nothing (every .npy mtime unchanged) and took "
        f"1/{ratio:.1f} of the first run's time",
    ]
    checks = [
        Check("r", "first run / re-run", ratio, f"{ratio:.1f}x", ">= 10x", ratio >= 10)
    ]
    data = {
        "files": cfg.files,
        "first_run": first.as_json(files=cfg.files, audio_seconds=0.0),
        "rerun": again.as_json(files=cfg.files, audio_seconds=0.0),
        "ratio": ratio,
    }
    return Outcome(data=data, checks=checks, lines=lines, notes=spread_notes(timings))


def cluster(cfg: Config, dataset: Dataset) -> Outcome:
    """(k) ``--scheduler local``: a Dask LocalCluster against the local pool.

    Both on N and N/2 files, so that each run's time splits into a fixed part
    (start-up: the pool's fork, the cluster's scheduler and worker processes)
    and a cost per file, whose difference is Dask's overhead per file.
    """
    try:
        import distributed  # noqa: F401
    except ImportError as exc:
        raise BenchError("(k) needs Dask: pip install 'melcli[dask]'") from exc
    workers = 2
    n_files = cfg.scale_files
    half = n_files // 2
    src, src_half = dataset.clip_set(n_files), dataset.clip_set(half)
    warm_page_cache(src)
    dask = ("--scheduler", "local")
    names = {
        "pool": f"pool -j {workers}, {n_files} files",
        "pool_half": f"pool -j {workers}, {half} files",
        "dask1": f"dask 1 worker, {n_files} files",
        "dask": f"dask {workers} workers, {n_files} files",
        "dask_half": f"dask {workers} workers, {half} files",
    }
    contenders = [
        Contender(names["pool"], melcli_mel(src, "-j", str(workers))),
        Contender(names["pool_half"], melcli_mel(src_half, "-j", str(workers))),
        Contender(names["dask1"], melcli_mel(src, *dask, "-j", "1")),
        Contender(names["dask"], melcli_mel(src, *dask, "-j", str(workers))),
        Contender(names["dask_half"], melcli_mel(src_half, *dask, "-j", str(workers))),
    ]
    timings, sanity = race(
        contenders,
        cfg.rounds,
        verify=comparer(
            names["dask"], names["pool"], expected=n_files, label="dask vs pool"
        ),
    )
    t = {key: timings[name].median for key, name in names.items()}
    whole = t["pool"] / t["dask"]  # files/s of the Dask run / files/s of the pool's
    pool_per_file = (t["pool"] - t["pool_half"]) / (n_files - half)
    dask_per_file = (t["dask"] - t["dask_half"]) / (n_files - half)
    pool_fixed = t["pool"] - n_files * pool_per_file
    dask_fixed = t["dask"] - n_files * dask_per_file
    marginal = pool_per_file / dask_per_file if dask_per_file > 0 else math.nan
    workers_speedup = t["dask1"] / t["dask"]
    # On a busy machine the fastest run of each is the least disturbed one.
    fastest = min(timings[names["pool"]].seconds) / min(timings[names["dask"]].seconds)
    rows = [
        [
            name,
            f"{timings[name].median:.2f}",
            f"{min(timings[name].seconds):.2f}-{max(timings[name].seconds):.2f}",
            f"{(n_files if 'half' not in key else half) / timings[name].median:.1f}",
        ]
        for key, name in names.items()
    ]
    lines = [
        f"(k) cluster: melcli --scheduler local (a Dask LocalCluster started by the "
        f"run) against the local pool, {n_files} and {half} clips, "
        f"{plural(cfg.rounds, 'round')}",
        *table(["contender", "median s", "min-max s", "files/s"], rows),
        f"fit t = fixed + n x per-file: pool fixed {pool_fixed:.2f} s, "
        f"{pool_per_file * 1000:.2f} ms/file; dask fixed {dask_fixed:.2f} s, "
        f"{dask_per_file * 1000:.2f} ms/file",
        f"Dask's overhead: {(dask_fixed - pool_fixed):.2f} s per run (cluster "
        f"start-up), {(dask_per_file - pool_per_file) * 1000:.2f} ms per file",
        f"throughput, dask / pool: whole run of {n_files} files {whole:.0%} "
        f"(fastest runs: {fastest:.0%}); per file, start-up aside {marginal:.0%}",
        f"dask {workers} workers / 1 worker speedup = {workers_speedup:.2f}x "
        f"(ideal {workers}x)",
    ]
    checks = [
        Check(
            "k",
            f"dask / pool throughput, {n_files} files",
            whole,
            f"{whole:.0%}",
            f">= {TARGET_CLUSTER:.0%}",
            whole >= TARGET_CLUSTER,
        ),
        Check(
            "k",
            "dask / pool throughput per file",
            marginal,
            f"{marginal:.0%}",
            f">= {TARGET_CLUSTER:.0%}",
            marginal >= TARGET_CLUSTER if not math.isnan(marginal) else None,
        ),
    ]
    data = {
        "workers": workers,
        "files": n_files,
        "half_files": half,
        "rounds": cfg.rounds,
        "contenders": {
            key: timings[name].as_json(
                files=n_files if "half" not in key else half,
                audio_seconds=(n_files if "half" not in key else half) * CLIP_SECONDS,
            )
            | {"label": name}
            for key, name in names.items()
        },
        "throughput_ratio": whole,
        "throughput_ratio_fastest_runs": fastest,
        "per_file_throughput_ratio": None if math.isnan(marginal) else marginal,
        "pool_fixed_seconds": pool_fixed,
        "pool_per_file_seconds": pool_per_file,
        "dask_fixed_seconds": dask_fixed,
        "dask_per_file_seconds": dask_per_file,
        "overhead_per_file_seconds": dask_per_file - pool_per_file,
        "overhead_per_run_seconds": dask_fixed - pool_fixed,
        "workers_speedup": workers_speedup,
        "sanity": sanity.as_json() if sanity else None,
    }
    notes = spread_notes(timings)
    return Outcome(data=data, checks=checks, lines=lines, sanity=sanity, notes=notes)


def _floor(cfg: Config, dataset: Dataset) -> Outcome:
    """(f) the floor, in bench/floor.py (which imports this file as ``bench``)."""
    import floor

    return floor.floor(cfg, dataset)


# ======================================================================== main
# ============================================================ Kaldi fbank
def fbank_baseline(mode: str, src: Path, dest: Callable[[Path], Path]) -> Command:
    """``python bench/fbank_baseline.py MODE SRC DEST``, given OUT."""
    return lambda out: [
        sys.executable,
        str(FBANK_BASELINE_SCRIPT),
        mode,
        str(src),
        str(dest(out)),
    ]


def resolved_diff(a_path: Path, b_path: Path, chunk: int = 8192) -> float:
    """Largest |a - b| over the log-filterbank bins float32 resolves in ``b``.

    Memory-mapped, a chunk of frames at a time: this process stays small,
    and every later child starts with its peak RSS as its own.
    """
    a = np.load(a_path, mmap_mode="r")
    b = np.load(b_path, mmap_mode="r")
    if a.shape != b.shape:
        return math.inf
    worst = 0.0
    for start in range(0, a.shape[-1], chunk):
        x = np.asarray(a[..., start : start + chunk], dtype=np.float64)
        y = np.asarray(b[..., start : start + chunk], dtype=np.float64)
        resolved = y >= y.max(axis=-2, keepdims=True) - FLOAT32_RESOLUTION
        worst = max(worst, float(np.max(np.abs(x - y)[resolved], initial=0.0)))
    return worst


def fbank_long_file(cfg: Config, dataset: Dataset) -> Outcome:
    """(h) --kind fbank on the long file: peak RSS, accuracy, time against knf."""
    src = dataset.long_file(cfg.long_minutes)
    warm_page_cache(src)
    audio_seconds = cfg.long_minutes * 60
    array = f"{src.stem}.npy"
    options = ("--kind", "fbank", "--sr", "16000", "-j", "1")
    contenders = [
        Contender("melcli --kind fbank -j 1", melcli_mel(src, *options)),
        Contender("knf-stream", fbank_baseline("knf-stream", src, lambda o: o / array)),
    ]
    diffs: dict[str, float] = {}
    kept = new_output("fbank-kept")  # melcli's array, for the reference at the end

    def verify(folders: dict[str, Path]) -> Sanity:
        ours = folders[contenders[0].name] / array
        diffs["knf"] = resolved_diff(ours, folders["knf-stream"] / array)
        shutil.copy(ours, kept / array)
        return Sanity(
            label="melcli vs knf-stream, on the bins float32 resolves",
            compared=1,
            max_abs_diff_db=diffs["knf"],
            counts={"melcli": 1, "knf-stream": 1},
            expected=1,
            limit=KNF_TOLERANCE,
            unit="",
        )

    try:
        timings, sanity = race(contenders, cfg.rounds, verify=verify)
        # Last: a child starts with this process's peak RSS as its own (both
        # contenders showed 600 MB once, when the reference came first).
        if not cfg.skip_reference:
            log("  whole-file reference in process (several GB) ...")
            reference = whole_fbank_reference(src)
            diffs["reference"] = max_abs_diff(kept / array, reference)
    finally:
        remove(kept)
    ours = timings[contenders[0].name]
    speed = timings["knf-stream"].median / ours.median
    rows = [
        [
            name,
            f"{t.median:.1f}",
            f"{t.peak_rss_mb:.0f}",
            f"{audio_seconds / t.median:.0f}",
        ]
        for name, t in timings.items()
    ]
    lines = [
        f"(h) --kind fbank --sr 16000 on one {cfg.long_minutes:g}-minute stereo "
        f"44.1 kHz WAV, {plural(cfg.rounds, 'round')}",
        *table(["contender", "median s", "peak RSS MB", "x real time"], rows),
        f"knf-stream / melcli = {speed:.2f}x; max |melcli - knf| = "
        f"{diffs.get('knf', math.nan):.1e} on the bins float32 resolves",
    ]
    if "reference" in diffs:
        lines.append(f"max |melcli - whole-file reference| = {diffs['reference']:.1e}")
    mb = ours.peak_rss_mb
    checks = [
        Check(
            "h",
            "melcli fbank peak RSS",
            mb,
            f"{mb:.0f} MB",
            f"<= {TARGET_RSS_MB:g} MB",
            mb <= TARGET_RSS_MB,
        ),
        ratio_check("h", "knf-stream / melcli", speed, at_least=TARGET_FBANK_SPEED),
    ]
    data = {
        "minutes": cfg.long_minutes,
        "contenders": {
            name: t.as_json(files=1, audio_seconds=audio_seconds)
            for name, t in timings.items()
        },
        "ratios": {"knf-stream": speed},
        "max_abs_diff_vs_knf_resolved": diffs.get("knf"),
        "max_abs_diff_vs_reference": diffs.get("reference"),
        "sanity": sanity.as_json() if sanity else None,
    }
    notes = spread_notes(timings)
    return Outcome(data=data, checks=checks, lines=lines, sanity=sanity, notes=notes)


def whole_fbank_reference(path: Path) -> np.ndarray:
    """melcli's fbank arithmetic on the whole decoded signal, in this process."""
    import melcli

    y, sr = sf.read(str(path), dtype="float32", always_2d=True)
    params = melcli.MelParams(kind="fbank", sr=16000)
    return np.asarray(melcli.mel_spectrogram(y.T, sr=sr, params=params))


def ast_throughput(cfg: Config, dataset: Dataset) -> Outcome:
    """(i) --preset ast against a loop over AST's extractor, numpy path."""
    src = dataset.clip_set(cfg.files)
    warm_page_cache(src)
    contenders = [
        Contender("ast-loop", fbank_baseline("ast-loop", src, lambda out: out)),
        Contender("melcli-ast", melcli_mel(src, "--preset", "ast")),
        Contender("melcli-ast -j 1", melcli_mel(src, "--preset", "ast", "-j", "1")),
    ]
    timings, sanity = race(
        contenders,
        cfg.rounds,
        verify=comparer(
            "melcli-ast",
            "ast-loop",
            expected=cfg.files,
            label="melcli --preset ast vs ast-loop",
            limit=FBANK_TOLERANCE,
            unit="",
        ),
    )
    title = (
        f"(i) --preset ast: {cfg.files} files x {CLIP_SECONDS} s stereo 44.1 kHz, "
        f"{plural(cfg.rounds, 'round')}; ast-loop is ASTFeatureExtractor's numpy "
        "path step by step (the class needs torch in transformers 5)"
    )
    outcome = batch_outcome(
        title, timings, files=cfg.files, sanity=sanity, reference="melcli-ast"
    )
    ratios = outcome.data["ratios"]
    outcome.checks = [
        ratio_check(
            "i", "ast-loop / melcli-ast", ratios["ast-loop"], at_least=TARGET_AST
        )
    ]
    return outcome


def gallery(cfg: Config, dataset: Dataset) -> Outcome:
    """(g) ``melcli gallery`` on a large output, against the run that made it."""
    src = dataset.linked_set(cfg.gallery_files)
    warm_page_cache(src)
    with fresh_output("gallery") as out:
        log(f"(g) melcli mel on {cfg.gallery_files} files")
        the_run = run_process(melcli_mel(src)(out))
        gallery_command = [*melcli_command(), "gallery", str(out), "-q"]
        log("(g) melcli gallery --no-waveforms; with them; then again, unchanged")
        bare = run_process([*gallery_command, "--no-waveforms"])
        remove(out / "gallery")
        first = run_process(gallery_command)
        again = run_process(gallery_command)
        weight = first_page_bytes(out / "gallery")
        pages = len(list((out / "gallery" / "data").glob("page-*.js")))
    ratio = first.seconds / the_run.seconds
    rows = [
        ["melcli mel (the run)", f"{the_run.seconds:.1f}", "1"],
        [
            "melcli gallery --no-waveforms",
            f"{bare.seconds:.1f}",
            f"{bare.seconds / the_run.seconds:.3f}",
        ],
        ["melcli gallery", f"{first.seconds:.1f}", f"{ratio:.3f}"],
        [
            "melcli gallery, up to date",
            f"{again.seconds:.1f}",
            f"{again.seconds / the_run.seconds:.3f}",
        ],
    ]
    mb = weight / 1e6
    lines = [
        f"(g) gallery: {cfg.gallery_files} inputs (the {CLIP_SECONDS}-second "
        f"clips of (a), {GALLERY_DISTINCT} distinct), one round",
        *table(["command", "seconds", "/ run"], rows),
        f"first page: {mb:.2f} MB (index.html, the first of {pages} data pages, "
        "and every picture that page shows)",
    ]
    checks = [
        Check(
            "g",
            "gallery / run",
            ratio,
            f"{ratio:.3f}",
            f"<= {TARGET_GALLERY:g}",
            ratio <= TARGET_GALLERY,
        ),
        Check(
            "g",
            "first page MB",
            mb,
            f"{mb:.2f}",
            f"<= {TARGET_FIRST_PAGE_MB:g}",
            mb <= TARGET_FIRST_PAGE_MB,
        ),
    ]
    data = {
        "files": cfg.gallery_files,
        "run_seconds": the_run.seconds,
        "gallery_seconds": first.seconds,
        "gallery_no_waveforms_seconds": bare.seconds,
        "gallery_again_seconds": again.seconds,
        "ratio": ratio,
        "first_page_bytes": weight,
        "pages": pages,
    }
    return Outcome(data=data, checks=checks, lines=lines)


def first_page_bytes(gallery_dir: Path) -> int:
    """Bytes a browser loads for the gallery's first page, if it loads every picture.

    index.html, the first data page of inputs and of failures, and each picture
    the first page links to (lazy loading would load fewer).
    """
    import re

    data = gallery_dir / "data"
    files = [gallery_dir / "index.html"]
    files += [
        p for p in (data / "page-00000.js", data / "problems-00000.js") if p.exists()
    ]
    page = (data / "page-00000.js").read_text()
    for url in sorted(set(re.findall(r'"i":"([^"]+)"', page))):
        files.append(gallery_dir / url)  # waveforms are data in the page itself
    return sum(p.stat().st_size for p in files)


RUNNERS: dict[str, Callable[[Config, Dataset], Outcome]] = {
    "a": throughput,
    "b": with_png,
    "c": startup,
    "d": long_file,
    "e": scaling,
    "p": profile,
    "r": rerun,
    "k": cluster,
    "f": _floor,
    "h": fbank_long_file,
    "i": ast_throughput,
    "g": gallery,
}


def run_all(cfg: Config) -> int:
    """Run the selected workloads, print the report, write the JSON; exit status."""
    facts = machine_facts()
    say(*facts_lines(facts), "")
    dataset = Dataset(cfg.data)
    results: dict[str, Any] = {}
    errors: dict[str, str] = {}
    checks: list[Check] = []
    sane = True
    for key in cfg.workloads:
        if key in ("d", "h") and cfg.skip_long:
            log(f"({key}) skipped: --skip-long")
            continue
        log(f"running ({key}) ...")
        try:
            outcome = RUNNERS[key](cfg, dataset)
        except Exception as exc:  # report it, and go on with the other workloads
            errors[key] = f"{type(exc).__name__}: {exc}"
            say(f"({key}) FAILED TO RUN: {errors[key]}", "")
            continue
        results[key] = outcome.data | {"notes": outcome.notes}
        checks.extend(outcome.checks)
        say(*outcome.lines)
        if outcome.sanity is not None:
            sane = sane and outcome.sanity.agree
            say(outcome.sanity.line())
        say(*outcome.notes, "")
    if checks:
        say(*checks_lines(checks))
    if cfg.json_path is not None:
        write_json(cfg.json_path, cfg, facts, results, checks, errors)
    return 0 if sane and not errors else 1


def write_json(
    path: Path,
    cfg: Config,
    facts: dict[str, Any],
    results: dict[str, Any],
    checks: Sequence[Check],
    errors: dict[str, str],
) -> None:
    document = {
        "machine": facts,
        "config": {
            "files": cfg.files,
            "png_files": cfg.png_files,
            "profile_files": cfg.profile_files,
            "rounds": cfg.rounds,
            "startup_rounds": cfg.startup_rounds,
            "long_minutes": cfg.long_minutes,
            "floor_files": cfg.floor_files,
            "short_files": cfg.short_files,
            "gallery_files": cfg.gallery_files,
            "workloads": list(cfg.workloads),
            "skip_long": cfg.skip_long,
            "skip_reference": cfg.skip_reference,
            "quick": cfg.quick,
            "data": str(cfg.data),
        },
        "workloads": {k: v for k, v in results.items() if k != "p"},
        "profile": results.get("p"),
        "checks": [
            {
                "workload": c.workload,
                "measure": c.measure,
                "value": None if math.isnan(c.value) else c.value,
                "target": c.target,
                "passed": c.passed,
            }
            for c in checks
        ],
        "errors": errors,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2) + "\n")
    log(f"wrote {path}")


def parse_args(argv: Sequence[str] | None = None) -> Config:
    parser = argparse.ArgumentParser(
        description="melcli against the hand-written librosa loop, side by side.",
        epilog="Workloads: a throughput, b with --png, c one 1-second file, "
        "d one long file (memory, accuracy), e scaling, p per-stage profile, r re-run, "
        "k Dask cluster against the local pool, f the floor (bench/floor.py), "
        "g gallery of a large output, h --kind fbank on the long file, "
        "i --preset ast against AST's extractor loop.",
    )
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="cache dir")
    parser.add_argument("--files", type=int, help="clips for (a) [300]")
    parser.add_argument(
        "--scale-files",
        type=int,
        help="clips for (e) and (k), N against N/2 [600: large enough that a "
        "run's fixed start-up cost does not hide how the per-file cost grows]",
    )
    parser.add_argument("--png-files", type=int, help="clips for (b) [100]")
    parser.add_argument("--profile-files", type=int, help="clips for (p) [30]")
    parser.add_argument(
        "--rounds", type=int, help="rounds for (a), (b), (e), (f), (h), (i) [3]"
    )
    parser.add_argument("--startup-rounds", type=int, help="rounds for (c) [7]")
    parser.add_argument("--long-minutes", type=float, help="length for (d) [60]")
    parser.add_argument("--floor-files", type=int, help="10-s clips for (f) [120]")
    parser.add_argument("--gallery-files", type=int, help="clips for (g) [20000]")
    parser.add_argument(
        "--short-files", type=int, help="5-s 16 kHz files for (f) [600]"
    )
    parser.add_argument(
        "--floor-reps", type=int, help="repetitions of each stage in (f) [3]"
    )
    parser.add_argument(
        "--only", default=",".join(WORKLOADS), help="e.g. a,c [a,b,c,d,e,p,r,k,f,g,h,i]"
    )
    parser.add_argument("--skip-long", action="store_true", help="skip (d) and (h)")
    parser.add_argument(
        "--skip-reference",
        action="store_true",
        help="in (d) and (h), skip the in-process whole-file reference (several GB)",
    )
    parser.add_argument("--json", type=Path, help="also write every measure here")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a tiny version of everything (smoke test); explicit options win",
    )
    args = parser.parse_args(argv)
    values: dict[str, Any] = {
        key: default if getattr(args, key) is None else getattr(args, key)
        for key, default in (QUICK if args.quick else FULL).items()
    }
    workloads = tuple(
        w for w in dict.fromkeys(args.only.replace(" ", "").split(",")) if w
    )
    unknown = [w for w in workloads if w not in WORKLOADS]
    if unknown:
        parser.error(f"--only: unknown workload {', '.join(unknown)}")
    for key in ("files", "scale_files", "floor_files", "short_files"):
        if values[key] < 2:
            parser.error(f"--{key.replace('_', '-')}={values[key]} must be at least 2")
    for key in (
        "png_files",
        "profile_files",
        "rounds",
        "startup_rounds",
        "floor_reps",
        "gallery_files",
    ):
        if values[key] < 1:
            parser.error(f"--{key.replace('_', '-')}={values[key]} must be at least 1")
    if values["long_minutes"] <= 0:
        parser.error(f"--long-minutes={values['long_minutes']} must be positive")
    return Config(
        data=args.data.resolve(),
        workloads=workloads,
        skip_long=args.skip_long,
        skip_reference=args.skip_reference,
        json_path=args.json,
        quick=args.quick,
        **values,
    )


def main(argv: Sequence[str] | None = None) -> int:
    return run_all(parse_args(argv))


if __name__ == "__main__":
    # bench/floor.py imports this file as ``bench``: one module, not two.
    sys.modules.setdefault("bench", sys.modules[__name__])
    sys.exit(main())

"""(f) The floor: melcli's per-file cost against the least work each stage needs.

The floor is the default chain's stages and nothing else: decode (soundfile),
mix, soxr resample, STFT, mel, scale (dB, or Whisper's log10), save, each
written with plain numpy, soxr and soundfile as librosa computes it (float64
FFT frames, a dense mel product): ``bench/floor_baseline.py``, what a program
doing nothing but that arithmetic pays. It runs as a whole process beside
melcli's ``-j 1`` runs, in the same rounds, on the same N and N/2 files, and
both costs per file are taken the same way: the difference over N/2, with
start-up and imports set aside. Both are CPU time (user + system, of the
process and its children): on a shared machine, other work delays a run far
more than it slows the run's own work. Their ratio says how much melcli spends
on anything else (decode checks, bookkeeping, atomic writes).

Measured side by side, the two sides see the same machine: a floor timed once
beforehand, each stage the least of a few repetitions, while melcli's runs
took the median of whole runs later, moved the ratio with the load between
those moments and with the asymmetry of the two statistics (one noisy run
gave Whisper 2.07x, a quieter one 1.22x). Those per-stage least times are
still measured, in this process (``stages ms``): where the time goes, and the
decoder alone, the compressed formats' other yardstick. Their sum is the
issue's floor (the least each stage needs) and melcli's ratio to it
(``/ stages``) is what is checked; the floor program does librosa's float64
arithmetic, which melcli beats on WAV, so ``/ floor`` is shown, not checked.

The two yardsticks are not measured alike, and ``floor / stages`` shows by
how much: the floor program, the stages' own work as a process, measured as
melcli is, cost 1.04-1.41x their sum in two runs (bench/README.md, issue 19,
seventh round). That share of ``/ stages`` is the way of measuring (least of
a few in-process repetitions against the median of whole runs, cold caches,
the kernel's work for new files), not melcli's. The floor's work, for its
part, leaves out what melcli must do (the temporary file and rename of an
atomic write, the truncation checks, the waveform summary, the manifest)
and overstates one stage: its mel product is librosa's dense one, 2.6x the
banded product melcli uses, which would lower the floor 6-8%.

The workloads: the 10-s stereo 44.1 kHz WAV clips of (a) with default
settings; the same clips as FLAC, Ogg Vorbis and MP3 (there, the decoder
alone is the other yardstick); and many 5-s mono 16 kHz WAV files with
``--preset whisper``. Each also runs ``-j 2`` on the N and N/2 files, against ``-j 1``.

``-j 2`` / ``-j 1`` is a ratio of two differences of about half a second of
wall time each, and the machine's speed drifts in episodes of seconds (a
fixed FFT loop's CPU time moved by 30% between back-to-back runs): a median
of each contender's runs over a few rounds, taken apart, moved the ratio by
0.2-0.4 between quiet runs of the same code. So melcli's four runs of a
round (``-j 1`` and ``-j 2`` on N and N/2 files) run back to back, in an
order that rotates from round to round, each round gives its own ratio
(the same machine state on both sides of it, a slower moment slowing both
differences alike), and the figure is the median of every round's ratio
over ``--floor-rounds`` rounds, shown with the lowest and highest round's
(bench/README.md, issue 19, sixteenth round).

It uses the benchmark's harness (``bench/harness.py``) and data (``bench/data.py``).
"""

from __future__ import annotations

import functools
import math
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf
from data import (
    CLIP_SECONDS,
    Dataset,
    _clip_rel,
    _rng,
    _temp_name,
    synthesize,
    warm_page_cache,
)
from floor_baseline import Stages, settings_of
from harness import (
    BENCH_DIR,
    Check,
    Command,
    Config,
    Contender,
    Outcome,
    ProcessRun,
    Timings,
    available_cpus,
    log,
    melcli_mel,
    plural,
    race,
    ratio_check,
    spread_notes,
    table,
)

#: Targets of issue 19: melcli -j 1 per file over the floor, at most.
TARGET_WAV = 1.15
TARGET_SHORT = 1.5
#: Compressed formats: melcli -j 1 per file over their floor, at most. Issue
#: 19 says "within 1.1x of the decoder alone", and gives these workloads'
#: floor as "decode-bound" with melcli at 1.11x it: the floor is the decoder
#: plus the least the rest of the chain costs (1.4-1.9x the decoder alone on
#: these clips, see bench/README.md), so it is the yardstick no program that
#: computes the spectrogram can beat. The decoder alone is shown beside it.
TARGET_DECODER = 1.1
#: -j 2 over -j 1 per file (start-up set aside), at least.
TARGET_TWO_WORKERS = 1.8

SHORT_SR = 16_000
SHORT_SECONDS = 5
#: The compressed copies of the clips: folder name, soundfile format, subtype.
COMPRESSED = (
    ("flac", "FLAC", "PCM_16"),
    ("ogg", "OGG", "VORBIS"),
    ("mp3", "MP3", "MPEG_LAYER_III"),
)


@dataclass(frozen=True)
class Workload:
    """One row of (f): a folder of N files, its first N/2, melcli's options."""

    name: str
    title: str
    src: Path
    half: Path
    files: int
    options: tuple[str, ...]
    compressed: bool
    seconds: float = CLIP_SECONDS


# ================================================================== test audio
def compressed_set(dataset: Dataset, n: int, fmt: str, subtype: str) -> Path:
    """The first ``n`` clips of (a), encoded as ``fmt``, in their class folders."""
    wav = dataset.clip_set(n)
    ext = fmt.lower()
    root = dataset.base / "compressed" / ext / f"n{n}"
    for path in sorted(wav.rglob("*.wav")):
        target = root / path.relative_to(wav).with_suffix(f".{ext}")
        if target.exists():  # written under a temporary name: complete
            continue
        data, sr = sf.read(str(path), dtype="float32")
        temp = _temp_name(target).with_suffix(f".tmp.{ext}")
        sf.write(str(temp), data, sr, format=fmt, subtype=subtype)
        os.replace(temp, target)
    return root


def short_set(dataset: Dataset, n: int) -> Path:
    """``n`` 5-s mono 16 kHz 16-bit WAV files (signals as :func:`data.synthesize`)."""
    root = dataset.base / "short" / f"n{n}"
    frames = SHORT_SECONDS * SHORT_SR
    for index in range(n):
        path = root / _clip_rel(index)
        try:
            complete = sf.info(str(path)).frames == frames
        except (OSError, RuntimeError):
            complete = False
        if not complete:
            mono = synthesize(_rng(3, index), frames).mean(axis=1)
            temp = _temp_name(path)
            sf.write(str(temp), mono, SHORT_SR, format="WAV", subtype="PCM_16")
            os.replace(temp, path)
    return root


def workloads(cfg: Config, dataset: Dataset) -> list[Workload]:
    n, short = cfg.floor_files, cfg.short_files
    wav = Workload(
        "wav",
        f"{n} x 10-s stereo 44.1 kHz WAV, defaults",
        dataset.clip_set(n),
        dataset.clip_set(n // 2),
        n,
        (),
        False,
    )
    rows = [wav]
    for ext, fmt, subtype in COMPRESSED:
        rows.append(
            Workload(
                ext,
                f"the same clips as {fmt} ({subtype}), defaults",
                compressed_set(dataset, n, fmt, subtype),
                compressed_set(dataset, n // 2, fmt, subtype),
                n,
                (),
                True,
            )
        )
    rows.append(
        Workload(
            "whisper",
            f"{short} x 5-s mono 16 kHz WAV, --preset whisper",
            short_set(dataset, short),
            short_set(dataset, short // 2),
            short,
            ("--preset", "whisper"),
            False,
            SHORT_SECONDS,
        )
    )
    return rows


# ======================================================================= floor
#: The floor as a program, run beside melcli (see its notes).
FLOOR_SCRIPT = BENCH_DIR / "floor_baseline.py"


def floor_baseline(src: Path, options: tuple[str, ...], filters: Path) -> Command:
    """``python bench/floor_baseline.py SRC OUT [--preset NAME] --filters NPZ``."""
    preset = list(options[options.index("--preset") :][:2]) if options else []
    return lambda out: [
        sys.executable,
        str(FLOOR_SCRIPT),
        str(src),
        str(out),
        *preset,
        "--filters",
        str(filters),
    ]


def save_filters(stages: Stages, path: Path) -> Path:
    """Write ``stages``' window and mel filterbank for :func:`floor_baseline`."""
    np.savez(path, window=stages.window, M=stages.M)
    return path


def floor_per_file(files: list[Path], stages: Stages, *, reps: int) -> dict[str, float]:
    """Mean over files of each stage's least CPU time (of ``reps``), in seconds."""
    from threadpoolctl import threadpool_limits

    totals: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="melcli-floor-") as tmp:
        out = Path(tmp) / "x.npy"
        with threadpool_limits(1, "blas"):
            # The first pass, on the first file, is a warm-up and not counted.
            for index, path in enumerate([files[0], *files]):
                steps: list[tuple[str, Callable[[Any], Any]]] = [
                    ("decode", stages.decode),
                    ("mix", stages.mix),
                    ("resample", stages.resample),
                    ("stft", stages.stft),
                    ("mel", stages.mel),
                    ("scale", stages.scale),
                    ("save", lambda S: stages.save(S, out)),
                ]
                value: Any = path
                for name, step in steps:
                    best = float("inf")
                    for _ in range(reps):
                        t0 = time.process_time()
                        result = step(value)
                        best = min(best, time.process_time() - t0)
                    if index:
                        totals[name] = totals.get(name, 0.0) + best
                    value = result
    return {name: total / len(files) for name, total in totals.items()}


# ==================================================================== workload
def floor(cfg: Config, dataset: Dataset) -> Outcome:
    """(f) Per workload: the floor, melcli -j 1's cost per file, and -j 2."""
    cpus = available_cpus()
    lines = [
        "(f) the floor: the chain's stages alone (librosa's arithmetic), run as "
        "bench/floor_baseline.py beside melcli -j 1, both per file (whole runs on "
        f"N and N/2 files: start-up set aside), {plural(cfg.floor_rounds, 'round')}; "
        "CPU time for both (a busy machine delays a run more than it slows its "
        "work); 'stages ms': each stage timed alone in process, the least of "
        f"{cfg.floor_reps}; 'floor / stages': the floor program measured as melcli "
        "is, over the stages' sum (what the way of measuring adds, which no "
        "program escapes: the checked '/ stages' carries it); -j 2 / -j 1 per "
        "file in wall time: melcli's four runs of a round (-j 1 and -j 2 on N "
        "and N/2 files) back to back, in an order rotating from round to round, "
        "the ratio of what N/2 more files add to each, round by round: the "
        "median over rounds, and ('rounds') the lowest and highest round's; and "
        "-j 2's CPU time per file over -j 1's, medians of runs (what the pool "
        "and two busy workers add; steady when other work takes the second "
        "CPU, which the wall-time ratio is not)"
    ]
    rows, checks, notes = [], [], []
    data: dict[str, Any] = {
        "cpus": cpus,
        "rounds": cfg.floor_rounds,
        "workloads": {},
    }
    rows_of = workloads(cfg, dataset)
    for w in rows_of:
        log(f"  (f) {w.name} ...")
        warm_page_cache(w.src)
        files = sorted(p for p in w.src.rglob("*") if p.is_file())
        stages = Stages(settings_of(w.options), sf.info(str(files[0])).samplerate)
        stage_s = floor_per_file(files, stages, reps=cfg.floor_reps)
        floor_s = sum(stage_s.values())
        half = w.files // 2
        folder = tempfile.TemporaryDirectory(prefix="melcli-floor-")
        filters = save_filters(stages, Path(folder.name) / "filters.npz")
        contenders = [
            Contender("floor", floor_baseline(w.src, w.options, filters)),
            Contender("floor-half", floor_baseline(w.half, w.options, filters)),
            Contender("j1", melcli_mel(w.src, "-j", "1", *w.options)),
            Contender("j1-half", melcli_mel(w.half, "-j", "1", *w.options)),
        ]
        if cpus > 1:
            contenders += [
                Contender("j2", melcli_mel(w.src, "-j", "2", *w.options)),
                Contender("j2-half", melcli_mel(w.half, "-j", "2", *w.options)),
            ]
        with folder:
            timings, _ = race(
                contenders,
                cfg.floor_rounds,
                order=functools.partial(round_order, contenders),
            )
        per_file = _per_file(timings, "j1", w.files - half)
        floor_run = _per_file(timings, "floor", w.files - half)
        fitted = per_file > 0
        ratio = per_file / floor_run if fitted and floor_run > 0 else float("nan")
        stages_ratio = per_file / floor_s if fitted else float("nan")
        decoder_ratio = per_file / stage_s["decode"] if fitted else float("nan")
        # -j 2 over -j 1, wall time, round by round (the module's notes).
        rounds = round_ratios(timings, "j1", "j2", wall) if cpus > 1 else []
        speedup = median_ratio(rounds)
        # CPU time per file at -j 2 over -j 1: what the pool adds (its parent,
        # pipes, forks) and what two workers sharing caches cost each other.
        # Unlike the wall-time speedup, other work on the machine barely moves
        # it: near 1.0 with a low speedup says the second CPU was busy.
        pool_cpu = None
        if speedup is not None and fitted:
            j2_cpu = _per_file(timings, "j2", w.files - half)
            pool_cpu = j2_cpu / per_file if j2_cpu > 0 else None
        rows.append(
            [
                w.name,
                f"{stage_s['decode'] * 1e3:.2f}",
                f"{(floor_s - stage_s['decode']) * 1e3:.2f}",
                f"{floor_s * 1e3:.2f}",
                f"{floor_run * 1e3:.2f}" if floor_run > 0 else "n/a",
                f"{per_file * 1e3:.2f}" if fitted else "n/a",
                f"{ratio:.2f}x" if not np.isnan(ratio) else "n/a",
                f"{stages_ratio:.2f}x" if fitted else "n/a",
                f"{floor_run / floor_s:.2f}x" if floor_run > 0 else "n/a",
                f"{decoder_ratio:.2f}x" if fitted else "n/a",
                f"{speedup:.2f}x" if speedup is not None else "n/a",
                f"{min(rounds):.2f}-{max(rounds):.2f}"
                if speedup is not None
                else "n/a",
                f"{pool_cpu:.2f}x" if pool_cpu is not None else "n/a",
            ]
        )
        if cpus > 1 and speedup is None:
            notes.append(
                f"note: (f) {w.name}: in some round neither -j 1 nor -j 2 took "
                "longer on N files than on N/2: too few files to fit -j 2 / -j 1"
            )
        if not fitted or floor_run <= 0:
            notes.append(
                f"note: (f) {w.name}: N and N/2 files took the same time; "
                "too few files to fit a per-file cost"
            )
        if w.compressed:
            target = TARGET_DECODER
        else:
            target = TARGET_SHORT if w.name == "whisper" else TARGET_WAV
        # The floor: the least each stage needs (the per-stage least
        # times); the floor program raced beside is shown, not checked: on WAV
        # it does librosa's float64 arithmetic, which melcli beats.
        checks.append(_at_most(f"{w.name}: -j 1 / floor", stages_ratio, target))
        if speedup is not None:
            checks.append(
                ratio_check(
                    "f", f"{w.name}: -j 2 / -j 1", speedup, at_least=TARGET_TWO_WORKERS
                )
            )
        notes.extend(spread_notes({f"{w.name} {k}": t for k, t in timings.items()}))
        data["workloads"][w.name] = {
            "title": w.title,
            "files": w.files,
            "floor_ms_per_file": {k: v * 1e3 for k, v in stage_s.items()},
            "floor_ms": floor_s * 1e3,
            "floor_run_ms_per_file": floor_run * 1e3 if floor_run > 0 else None,
            "melcli_j1_ms_per_file": per_file * 1e3 if fitted else None,
            "melcli_over_floor": None if np.isnan(ratio) else ratio,
            "melcli_over_stages": stages_ratio if fitted else None,
            "floor_over_stages": floor_run / floor_s if floor_run > 0 else None,
            "melcli_over_decoder": decoder_ratio if fitted else None,
            "j2_speedup": speedup,
            # Each round's -j 2 / -j 1 (the median of which is j2_speedup),
            # and the earlier figure from the same runs: each side's median
            # of runs on N less its median on N/2, then their ratio.
            "j2_speedup_rounds": _finite(rounds),
            "j2_speedup_low": _finite([min(rounds)])[0]
            if speedup is not None
            else None,
            "j2_speedup_high": _finite([max(rounds)])[0]
            if speedup is not None
            else None,
            "j2_speedup_of_medians": _speedup(timings) if cpus > 1 else None,
            "j2_cpu_over_j1": pool_cpu,
            "j2_cpu_over_j1_rounds": _finite(
                round_ratios(timings, "j2", "j1", cpu) if cpus > 1 else []
            ),
            "contenders": {
                k: t.as_json(files=n, audio_seconds=n * w.seconds)
                for k, t in timings.items()
                for n in [half if k.endswith("-half") else w.files]
            },
        }
    header = [
        "workload",
        "decode ms",
        "rest ms",
        "stages ms",
        "floor ms",
        "melcli -j 1 ms",
        "/ floor",
        "/ stages",
        "floor / stages",
        "/ decode",
        "-j 2 / -j 1",
        "rounds",
        "CPU -j 2 / -j 1",
    ]
    lines += [*table(header, rows)]
    lines += [f"  {w.name}: {w.title}" for w in rows_of]
    return Outcome(data=data, checks=checks, lines=lines, notes=notes)


#: melcli's runs a -j 2 / -j 1 ratio is taken from, back to back in a round.
QUAD = ("j1", "j1-half", "j2", "j2-half")


def round_order(contenders: Sequence[Contender], index: int) -> list[Contender]:
    """Round ``index``'s order: melcli's :data:`QUAD` back to back, then the rest.

    The four rotate from round to round (each takes each place once in four
    rounds); the others (the floor program's two runs) swap from round to round.
    """
    quad = [c for c in contenders if c.name in QUAD]
    rest = [c for c in contenders if c.name not in QUAD]
    shift = index % len(quad) if quad else 0
    return [*quad[shift:], *quad[:shift], *(rest[::-1] if index % 2 else rest)]


def wall(run: ProcessRun) -> float:
    return run.seconds


def cpu(run: ProcessRun) -> float:
    return run.cpu_seconds


def round_ratios(
    timings: dict[str, Timings],
    top: str,
    bottom: str,
    clock: Callable[[ProcessRun], float],
) -> list[float]:
    """Per round: what N/2 more files add to ``top`` over what they add to ``bottom``.

    "What they add" is the run on N files less the run on N/2 (``name`` and
    ``name-half``) of the same round, by ``clock``: the start-up, in both,
    cancels. Every round gives its ratio; where ``bottom`` gained nothing it
    is infinite if ``top`` did, and NaN if neither did (nothing to fit).
    """
    added = {
        name: [
            clock(whole) - clock(half)
            for whole, half in zip(
                timings[name].runs, timings[f"{name}-half"].runs, strict=True
            )
        ]
        for name in (top, bottom)
    }
    return [_ratio(t, b) for t, b in zip(added[top], added[bottom], strict=True)]


def _ratio(top: float, bottom: float) -> float:
    if bottom > 0:
        return top / bottom
    return math.inf if top > 0 else math.nan


def median_ratio(ratios: Sequence[float]) -> float | None:
    """The median of every round's ratio; None if none, or if a round had none."""
    if not ratios or any(math.isnan(r) for r in ratios):
        return None
    return float(statistics.median(ratios))


def _finite(ratios: Sequence[float]) -> list[float | None]:
    """``ratios`` for JSON: an infinite or NaN ratio as null (the runs are there)."""
    return [r if math.isfinite(r) else None for r in ratios]


def _speedup(timings: dict[str, Timings]) -> float | None:
    """-j 2 over -j 1 per file as before the sixteenth round: medians of runs apart.

    The wall time N/2 more files add to each (a whole run's start-up, about
    0.2 s, the pool's too, would hide how fast the files go), each the median
    of the runs on N less the median of the runs on N/2. Kept in the JSON
    beside :func:`round_ratios`' median, from the same runs.
    """
    j1 = timings["j1"].median - timings["j1-half"].median
    j2 = timings["j2"].median - timings["j2-half"].median
    return j1 / j2 if j1 > 0 and j2 > 0 else None


def _per_file(timings: dict[str, Timings], name: str, more: int) -> float:
    """CPU seconds per file of contender ``name``: what ``more`` files add."""
    return (_cpu(timings[name]) - _cpu(timings[f"{name}-half"])) / more


def _cpu(t: Timings) -> float:
    """The median CPU time of a contender's runs (user + system), in seconds."""
    return float(np.median([run.cpu_seconds for run in t.runs]))


def _at_most(measure: str, value: float, target: float) -> Check:
    known = not np.isnan(value)
    return Check(
        "f",
        measure,
        value,
        f"{value:.2f}x" if known else "n/a",
        f"<= {target:g}x",
        value <= target if known else None,
    )

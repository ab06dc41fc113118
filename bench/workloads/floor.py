"""(f) The floor: melcli's per-file cost against the least work each stage needs.

The floor is the default chain's stages and nothing else: decode (soundfile),
mix, soxr resample, STFT, mel, scale (dB, or Whisper's log10), save, each
written with plain numpy, soxr and soundfile as librosa computes it (float64
FFT frames, a dense mel product): ``bench/floor_baseline.py``, what a program
doing nothing but that arithmetic pays. It runs as a whole process beside
melcli's ``-j 1`` runs, in the same rounds, on the same N and N/2 files, and
both costs per file are taken the same way: each round's run on N files
less the same round's run on N/2 (start-up and imports set aside), the
median over the rounds. Both are CPU time (user + system, of the
process and its children): on a shared machine, other work delays a run far
more than it slows the run's own work. Their ratio says how much melcli spends
on anything else (decode checks, bookkeeping, atomic writes).

The stages are timed where the floor program runs them (``--times``: each
stage's CPU time, file by file, in the chain), in every round's run on the
N files; per file and stage the least over the rounds, summed over the
stages, is the floor (``stages ms``): the least each stage needs, as the
issue defines it, and melcli's ratio to it (``/ stages``) is what is
checked, with each round's (``rounds``: the lowest and highest). Until the
seventeenth round (bench/README.md, issue 19) the stages were timed in this
process, before the race: each stage three times back to back on the same
file (its input, its code and its buffers hot from the repetition before),
every output written over one file, at one moment of the machine's. That
came out 5-10% under the same stages' least as a chain runs them (Whisper
1.39 against 1.52 ms), and away from the moments melcli's runs saw.

The checked ratio sets a median (melcli's rounds) against a least (the
stages'), and a busy machine raises the first more than the second: each
round's -j 1 over that round's own stages as run is shown beside it (a
note under the table, and the JSON), and ``floor / stages`` (the floor
program's whole cost per file, as melcli's is taken, over the floor) says
how far a round's run is from the least. The floor program does librosa's
float64 arithmetic, which melcli beats on WAV, so ``/ floor`` is shown, not
checked. The floor's work, for its part, leaves out what melcli must do
(the temporary file and rename of an atomic write, the truncation checks,
the waveform summary, the manifest) and overstates one stage: its mel
product is librosa's dense one, 2.6x the banded product melcli uses, which
would lower the floor 6-8%.

The workloads: the 10-s stereo 44.1 kHz WAV clips of (a) with default
settings (``--floor-wav-files``, 600); the same clips as FLAC, Ogg Vorbis
and MP3 (``--floor-files``, 240; there, the decoder alone is the other
yardstick); and many 5-s mono 16 kHz WAV files with ``--preset whisper``
(``--short-files``, 4800). Sized so that N/2 more files add about a second
to a ``-j 2`` run (Whisper's about two: its 1800 files added 0.7-0.9 s,
against episodes of 1-1.5 s that quiet runs of every contender showed; the
twenty-first round), against start-up jitter of tens of ms. Each also runs
``-j 2`` on the N and N/2 files, against ``-j 1``.

``-j 2`` / ``-j 1`` is a ratio of two differences of wall time (half a
second each before the seventeenth round, about a second and two now), and
the machine's speed drifts in episodes of seconds (a fixed FFT loop's CPU
time moved by 30% between back-to-back runs): a median of each contender's
runs over a few rounds, taken apart, moved the ratio by 0.2-0.4 between
quiet runs of the same code. So melcli's four runs of a
round (``-j 1`` and ``-j 2`` on N and N/2 files) run back to back, in an
order that rotates from round to round, each round gives its own ratio
(the same machine state on both sides of it, a slower moment slowing both
differences alike), and the figure is the median of every round's ratio
over ``--floor-rounds`` rounds, shown with the lowest and highest round's
(bench/README.md, issue 19, sixteenth round).

Since the twenty-fifth round (bench/README.md, issue 19) each round's
ratio is taken from when the runs' outputs were completed, not from the
runs' whole times alone: after each melcli run, before its OUT is removed,
the harness reads every output's mtime (when its last byte was written;
melcli's rename keeps it). A contender's wall time per file in a round
(:func:`steady_per_file`) is its pace (a run's steady window is its outputs
from the (k+1)-th completion to the (n-k)-th, k a tenth of its n outputs,
:meth:`harness.Completions.window`; the N and N/2 runs' windows pooled,
their time over their outputs) plus its edges (what the N/2 more files add
to the time outside the outputs, start to the first and the last to the
end, per file more: discovery, planning, the manifest at the end count, as
in a difference; the start-up, a pool's start and end cancel). The round's
ratio is ``-j 1``'s over ``-j 2``'s; the figure checked is the median of
the rounds' ratios, as before. Every melcli contender is taken alike (the
control's two processes' outputs together, one OUT). Why: a difference of
two whole runs carries each run's every episode (a second in any of the
four runs moves a Whisper round's ratio by half); the pace carries an
episode by its share of the windows' time, the edges (a second or two of a
run) only the episodes that land in them. The tenth left out at each end
is fixed, not fitted. ``wall_ms_per_file`` in the JSON and a line under
the table give each contender's time per file as checked, its pace alone,
and by differences. The figure by differences is printed beside the one
checked (the table's last column, a line under it:
``j2_speedup_by_differences``), from the same runs; where the outputs'
times cannot be read the figure checked is that one, and the line says so.
What a user's clock shows is a third line, not checked: each round's whole
``-j 1`` run on N files over its whole ``-j 2`` run (start-up, the pool's
start and the last worker's tail included; ``j2_speedup_whole_command``).
The spawner also times a fixed loop (about 10 ms of CPU) just before and
just after each run (``probe_cpu_seconds`` in the JSON, every run; a line
under the table): the machine's speed at each run's edges. No rule reads
it.

Beside it, a control (``pair / -j 1``, shown, not checked): two independent
``melcli -j 1`` runs started together, each on half of the files (on N: its
two halves; on N/2: its two halves, quarters of N), each into its own OUT,
raced in the same rounds (beside the four, which stay back to back) and
taken the same way, round by round: the speed any two processes at once get
on that workload on this machine, against which ``-j 2`` is shown as a share
(``-j 2 / pair``; bench/README.md, issue 19, nineteenth round).

What else the machine did (bench/README.md, issue 19, twenty-first round):
around every run the harness reads ``/proc/stat`` (and the kernel threads'
CPU time), so each run in the JSON carries the machine's busy time less
the run's own CPU (others' CPU: other processes, kernel threads,
interrupts), steal and iowait, and the run's own system time and page
faults. A ``-j 1`` run leaves a CPU idle and ``-j 2`` needs both, so other
work lowers ``-j 2`` / ``-j 1`` more than any other figure here. A rule
declared before the runs (:data:`RULE`): a round in which any run's
others' CPU and steal came to more than a tenth of one CPU over that run
is run again, whole (every contender, in the same order), at most twice a
round and half the rounds a workload; the last attempt stands, overlapped
or not. It reads only what other work did, never a contender's own time,
and applies to every workload and contender alike. The figures checked are
taken from the rounds that stood; beside them, under the table, the
rounds run again, those still over the threshold, and ``-j 2`` / ``-j 1``
on each round's first attempt (the figure without the rule); every
replaced attempt is in the JSON (``attempts_replaced``). What the rule
cannot see: episodes in a run's own CPU time (quiet runs showed them in
every contender), which the larger sets and the median over rounds are
left to absorb.

Since the twenty-sixth round a line under the table gives, for each melcli
contender, each end's excess per extra file: the time before the steady
window (start to its first output) and after it (its last output to the
end), less the round's pace times the outputs there, the N run's less the
N/2 run's, over the N/2 more files (:func:`end_excess`); and a warning where
-j 2's, as a share of its pace, exceeds -j 1's by more than 2% (shown, not
checked: it says where per-file time outside the windows grows with N).

Since the twenty-eighth round (bench/README.md, issue 19) the figures
checked take each melcli contender as the stages are taken, at its least
(:func:`least_per_file`): each run's steady window cut into :data:`PIECES`
pieces of equal counts of outputs, a tenth of the run each, the same
outputs at the same place in every round; at each place the least time per
output over the rounds; the N and N/2 runs pooled; plus the median of the
rounds' edges. ``/ stages`` is ``-j 1``'s over the stages' least, ``-j 2 /
-j 1`` the two contenders' ratio, the control likewise. Why: on Whisper the
host slowed runs in spells of seconds (system time, up to doubling a file)
that fell in a different part of each run, and nothing in a round moved
together, so a median over rounds of melcli against the stages' least
carried the spells on one side only. The figures checked before (CPU time
by differences for ``/ stages``, the median of the rounds' ratios for
``-j 2 / -j 1``) are printed beside them and kept in the JSON; where the
outputs' times were not read they are the figures checked.

It uses the benchmark's harness (``bench/harness.py``) and data (``bench/data.py``).
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import math
import os
import statistics
import sys
import tempfile
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
    held_in_cache,
    synthesize,
)
from floor_baseline import STAGES, Stages, settings_of
from harness import (
    BENCH_DIR,
    STEADY_TAIL,
    Attempt,
    Check,
    Command,
    Completions,
    Config,
    Contender,
    Outcome,
    OverlapRule,
    ProcessRun,
    Timings,
    at_once,
    available_cpus,
    first_attempts,
    log,
    melcli_mel,
    plural,
    race,
    ratio_check,
    rule_record,
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

#: The rule for rounds whose runs overlapped other work (bench/README.md, issue
#: 19, twenty-first round): a round in which any run's others' CPU and steal
#: came to more than a tenth of a CPU is run again, at most twice, at most
#: half the rounds in a workload; the last attempt stands.
RULE = OverlapRule(share=0.10, retries=2)

#: (f)'s workloads, by name, in the order they run (``--floor-only``).
FLOOR_WORKLOADS = ("wav", "flac", "ogg", "mp3", "whisper")

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
    """One row of (f): a folder of N files, its first N/2, melcli's options.

    ``pair`` holds the N files in two folders (the first N/2, the rest) and
    ``pair_half`` the N/2 files likewise, for the control: two independent
    ``-j 1`` runs at once, one on each (none where either is empty).
    """

    name: str
    title: str
    src: Path
    half: Path
    files: int
    options: tuple[str, ...]
    compressed: bool
    seconds: float = CLIP_SECONDS
    pair: tuple[Path, ...] = ()
    pair_half: tuple[Path, ...] = ()


# ================================================================== test audio
def compressed_set(
    dataset: Dataset, n: int, fmt: str, subtype: str, *, start: int = 0
) -> Path:
    """The first ``n`` clips of (a) (or from ``start``), encoded as ``fmt``.

    Encoded once into a pool (``compressed/EXT/clips``); each size is a folder
    of hard links to its first files (an MP3 takes 0.3 s of CPU to encode).
    """
    wav = dataset.clip_set(start + n)
    ext = fmt.lower()

    def make(index: int, target: Path) -> bool:
        if target.exists():  # written under a temporary name: complete
            return False
        data, sr = sf.read(str(wav / _clip_rel(index)), dtype="float32")
        temp = _temp_name(target).with_suffix(f".tmp.{ext}")
        sf.write(str(temp), data, sr, format=fmt, subtype=subtype)
        os.replace(temp, target)
        return True

    return dataset.pooled_set(
        f"compressed/{ext}", n, make, suffix=f".{ext}", start=start
    )


def short_set(dataset: Dataset, n: int, *, start: int = 0) -> Path:
    """``n`` 5-s mono 16 kHz 16-bit WAV files (signals as :func:`data.synthesize`).

    Made once into a pool (``short/clips``); each size is a folder of hard
    links to its first files (or to those from ``start``).
    """
    frames = SHORT_SECONDS * SHORT_SR

    def make(index: int, path: Path) -> bool:
        try:
            if sf.info(str(path)).frames == frames:
                return False
        except (OSError, RuntimeError):
            pass
        mono = synthesize(_rng(3, index), frames).mean(axis=1)
        temp = _temp_name(path)
        sf.write(str(temp), mono, SHORT_SR, format="WAV", subtype="PCM_16")
        os.replace(temp, path)
        return True

    return dataset.pooled_set("short", n, make, suffix=".wav", start=start)


def halves(view: Callable[[int, int], Path], n: int) -> tuple[Path, ...]:
    """The first ``n`` files of a set in two folders: the first ``n // 2``, the rest.

    ``view(count, start)`` gives the folder of ``count`` files from ``start``;
    nothing where a half would be empty.
    """
    first = n // 2
    return (view(first, 0), view(n - first, first)) if first > 0 else ()


def pairs(
    view: Callable[[int, int], Path], n: int
) -> tuple[tuple[Path, ...], tuple[Path, ...]]:
    """The control's folders: N files in two halves, N/2 in two (quarters of N)."""
    if n // 2 // 2 == 0:
        return (), ()
    return halves(view, n), halves(view, n // 2)


def workloads(cfg: Config, dataset: Dataset) -> list[Workload]:
    n, wav_n, short = cfg.floor_files, cfg.floor_wav_files, cfg.short_files

    def clips(count: int, start: int) -> Path:
        return dataset.clip_set(count, start=start)

    wav = Workload(
        "wav",
        f"{wav_n} x 10-s stereo 44.1 kHz WAV, defaults",
        dataset.clip_set(wav_n),
        dataset.clip_set(wav_n // 2),
        wav_n,
        (),
        False,
        CLIP_SECONDS,
        *pairs(clips, wav_n),
    )
    rows = [wav]
    for ext, fmt, subtype in COMPRESSED:
        encoded = functools.partial(_encoded, dataset, fmt, subtype)
        rows.append(
            Workload(
                ext,
                f"{n} of the same clips as {fmt} ({subtype}), defaults",
                compressed_set(dataset, n, fmt, subtype),
                compressed_set(dataset, n // 2, fmt, subtype),
                n,
                (),
                True,
                CLIP_SECONDS,
                *pairs(encoded, n),
            )
        )

    def shorts(count: int, start: int) -> Path:
        return short_set(dataset, count, start=start)

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
            *pairs(shorts, short),
        )
    )
    return rows


def _encoded(dataset: Dataset, fmt: str, subtype: str, count: int, start: int) -> Path:
    return compressed_set(dataset, count, fmt, subtype, start=start)


# ======================================================================= floor
#: The floor as a program, run beside melcli (see its notes).
FLOOR_SCRIPT = BENCH_DIR / "floor_baseline.py"


def floor_baseline(
    src: Path,
    options: tuple[str, ...],
    filters: Path,
    times: Callable[[], Path] | None = None,
) -> Command:
    """``python bench/floor_baseline.py SRC OUT [--preset NAME] --filters NPZ``.

    With ``times``, each run also writes its stages' CPU times per file
    (``--times``) to the path ``times()`` gives it.
    """
    preset = list(options[options.index("--preset") :][:2]) if options else []
    return lambda out: [
        sys.executable,
        str(FLOOR_SCRIPT),
        str(src),
        str(out),
        *preset,
        "--filters",
        str(filters),
        *(["--times", str(times())] if times is not None else []),
    ]


def save_filters(stages: Stages, path: Path) -> Path:
    """Write ``stages``' window and mel filterbank for :func:`floor_baseline`."""
    np.savez(path, window=stages.window, M=stages.M)
    return path


def stage_floor(times: Sequence[np.ndarray]) -> dict[str, float]:
    """Each stage's least CPU seconds per file: the per-stage floor.

    ``times`` holds one ``(files, stages)`` array per round, the floor
    program's ``--times`` of its run on the N files. Per file and stage the
    least over the rounds, then the mean over the files. The first file is
    left out (where there are others): every run pays each stage's first
    call there (its plans, its buffers), which no round escapes.
    """
    stacked = np.stack([np.asarray(t, dtype=float) for t in times])
    if stacked.shape[1] > 1:
        stacked = stacked[:, 1:]
    least = stacked.min(axis=0).mean(axis=0)
    return {name: float(s) for name, s in zip(STAGES, least, strict=True)}


def stage_rounds(times: Sequence[np.ndarray]) -> list[float]:
    """Each round's stages per file, summed (the mean over the files, the first
    left out as in :func:`stage_floor`): what one run paid, not the least."""
    rounds = []
    for t in times:
        t = np.asarray(t, dtype=float)
        rounds.append(float(t[1:].sum(axis=1).mean() if len(t) > 1 else t.sum()))
    return rounds


def per_file_rounds(
    timings: dict[str, Timings],
    name: str,
    more: int,
    clock: Callable[[ProcessRun], float] | None = None,
) -> list[float]:
    """Per round: ``name``'s run on N files less its run on N/2, per file more.

    CPU time by default (user + system, children included). The two runs of
    a round are the same round's, as in :func:`round_ratios`.
    """
    clock = clock or cpu
    return [
        (clock(whole) - clock(half)) / more
        for whole, half in zip(
            timings[name].runs, timings[f"{name}-half"].runs, strict=True
        )
    ]


# ==================================================================== workload
def floor(cfg: Config, dataset: Dataset) -> Outcome:
    """(f) Per workload: the floor, melcli -j 1's cost per file, and -j 2."""
    cpus = available_cpus()
    lines = [
        "(f) the floor: the chain's stages alone (librosa's arithmetic), run as "
        "bench/floor_baseline.py beside melcli -j 1, both per file (whole runs on "
        f"N and N/2 files: start-up set aside), {plural(cfg.floor_rounds, 'round')}; "
        "CPU time for both (a busy machine delays a run more than it slows its "
        "work), the median over rounds of each round's N run less its N/2; "
        "'stages ms': each stage's CPU time as the floor program runs it (once "
        "per file, in the chain), per file the least over the rounds; '/ stages' "
        "(checked) and its 'rounds', the lowest and highest round's; 'floor / "
        "stages': the floor program's whole cost per file over the stages' least "
        "(its loop, and the rounds' noise against their least); since the "
        "twenty-eighth round '/ stages' and -j 2 / -j 1 take each melcli "
        "contender at its least, as the stages (each tenth of its runs' "
        "outputs, the least over the rounds, N and N/2 pooled, wall time, plus "
        "the median edges; 'melcli -j 1 ms'), 'rounds' each round's, and the "
        "figures checked until then beside ('/ stages, CPU N - N/2'; '-j 2 / "
        "-j 1 median of rounds'); -j 2 / -j 1 per "
        "file in wall time: melcli's four runs of a round (-j 1 and -j 2 on N "
        "and N/2 files) back to back, in an order rotating from round to round, "
        "each contender's time per file from its outputs' completion times (its "
        "pace in the runs' steady windows, the first and last tenth of outputs "
        "left out, N and N/2 pooled, plus what N/2 more files add before the "
        "first output and after the last), the ratio round by round: the median "
        "over rounds, and ('rounds') the "
        "lowest and highest round's ('by N - N/2', shown: the ratio of what N/2 "
        "more files add to each, as checked until the twenty-fifth round); and "
        "-j 2's CPU time per file over -j 1's, medians of runs (what the pool "
        "and two busy workers add; steady when other work takes the second "
        "CPU, which the wall-time ratio is not); 'pair / -j 1' (the control, "
        "not checked): two independent melcli -j 1 runs started together, each "
        "on half of the files (on N: halves; on N/2: quarters), in the same "
        "rounds and taken the same way, the speed two processes at once get on "
        "this machine and workload, and '-j 2 / pair', -j 2's speed as a share "
        "of theirs (round by round, medians, steady windows); a round in which "
        "any run's others' CPU and steal (the machine's busy time less the "
        "run's own) came "
        f"to more than {RULE.share:.0%} of a CPU is run again, at most "
        f"{RULE.retries} times, the last attempt standing (a line under the "
        "table per workload; every run's in the JSON)"
    ]
    rows, checks, notes = [], [], []
    data: dict[str, Any] = {
        "cpus": cpus,
        "rounds": cfg.floor_rounds,
        "workloads": {},
    }
    only = getattr(cfg, "floor_only", ())
    rows_of = [w for w in workloads(cfg, dataset) if not only or w.name in only]
    for w in rows_of:
        log(f"  (f) {w.name} ...")
        with held_in_cache(w.src) as held:
            row, check, note, data["workloads"][w.name] = _measure(cfg, w, cpus)
        data["workloads"][w.name]["inputs"] = held
        note.append(f"(f) {w.name}: {held}")
        rows.append(row)
        checks.extend(check)
        notes.extend(note)
    header = [
        "workload",
        "decode ms",
        "rest ms",
        "stages ms",
        "floor ms",
        "melcli -j 1 ms",
        "/ floor",
        "/ stages",
        "rounds",
        "/ stages, CPU N - N/2",
        "floor / stages",
        "/ decode",
        "-j 2 / -j 1",
        "rounds",
        "pair / -j 1",
        "-j 2 / pair",
        "CPU -j 2 / -j 1",
        "-j 2 / -j 1 median of rounds",
        "-j 2 / -j 1 by N - N/2",
    ]
    lines += [*table(header, rows)]
    lines += [f"  {w.name}: {w.title}" for w in rows_of]
    return Outcome(data=data, checks=checks, lines=lines, notes=notes)


def _measure(
    cfg: Config, w: Workload, cpus: int
) -> tuple[list[str], list[Check], list[str], dict[str, Any]]:
    """Race one workload's contenders; its table row, checks, notes and JSON."""
    files = sorted(p for p in w.src.rglob("*") if p.is_file())
    stages = Stages(settings_of(w.options), sf.info(str(files[0])).samplerate)
    half = w.files // 2
    more = w.files - half
    folder = tempfile.TemporaryDirectory(prefix="melcli-floor-")
    scratch = Path(folder.name)
    filters = save_filters(stages, scratch / "filters.npz")
    made = {"floor": itertools.count(), "floor-half": itertools.count()}

    def times(name: str) -> Callable[[], Path]:
        # One file per run, attempts the rule replaced included.
        return lambda: scratch / f"{name}-{next(made[name])}.npy"

    contenders = [
        Contender("floor", floor_baseline(w.src, w.options, filters, times("floor"))),
        Contender(
            "floor-half",
            floor_baseline(w.half, w.options, filters, times("floor-half")),
        ),
        Contender("j1", melcli_mel(w.src, "-j", "1", *w.options)),
        Contender("j1-half", melcli_mel(w.half, "-j", "1", *w.options)),
    ]
    if cpus > 1:
        contenders += [
            Contender("j2", melcli_mel(w.src, "-j", "2", *w.options)),
            Contender("j2-half", melcli_mel(w.half, "-j", "2", *w.options)),
        ]
    if cpus > 1 and w.pair and w.pair_half:
        # The control: what two processes at once get here (see pair_control).
        contenders += [
            Contender(name, at_once([melcli_mel(p, "-j", "1", *w.options) for p in ps]))
            for name, ps in (("pair", w.pair), ("pair-half", w.pair_half))
        ]
    # melcli's runs: their outputs' completion times (steady_ratios).
    contenders = [
        c if c.name.startswith("floor") else dataclasses.replace(c, outputs=".npy")
        for c in contenders
    ]
    replaced: list[Attempt] = []
    with folder:
        timings, _ = race(
            contenders,
            cfg.floor_rounds,
            order=functools.partial(round_order, contenders),
            rule=RULE,
            replaced=replaced,
        )
        stage_times = [
            np.load(scratch / f"floor-{i}.npy")
            for i in final_attempts(cfg.floor_rounds, replaced)
        ]
        first_stage_times = [
            np.load(scratch / f"floor-{i}.npy")
            for i in first_attempt_indices(cfg.floor_rounds, replaced)
        ]
    stage_s = stage_floor(stage_times)
    floor_s = sum(stage_s.values())
    j1_rounds = per_file_rounds(timings, "j1", more)
    floor_rounds = per_file_rounds(timings, "floor", more)
    per_file = float(statistics.median(j1_rounds))
    floor_run = float(statistics.median(floor_rounds))
    fitted = per_file > 0
    ratio = per_file / floor_run if fitted and floor_run > 0 else float("nan")
    # -j 1 per file as checked (the twenty-eighth round): its least, as the
    # stages' (least_per_file: wall time from the outputs, each tenth of
    # the outputs its least over the rounds). Where the outputs were not
    # read, and beside it always, the CPU time N/2 more files add, the
    # median over the rounds (checked until the twenty-seventh round).
    by_differences = per_file / floor_s if fitted else float("nan")
    diff_rounds = [c / floor_s for c in j1_rounds]
    j1_least = least_per_file(timings, "j1")
    j1_steady = [
        steady_per_file(whole, half)
        for whole, half in zip(timings["j1"].runs, timings["j1-half"].runs, strict=True)
    ]
    if j1_least is not None and all(x is not None for x in j1_steady):
        checked_j1 = j1_least
        over_stages = [x / floor_s for x in j1_steady if x is not None]
    else:
        checked_j1, over_stages = per_file, diff_rounds
    fitted = checked_j1 > 0
    stages_ratio = checked_j1 / floor_s if fitted else float("nan")
    # Each round's -j 1 over the same round's stages as run (not their
    # least): both sides one pass, at one moment. Shown, not checked.
    as_run = stage_rounds(stage_times)
    paired = [c / s for c, s in zip(j1_rounds, as_run, strict=True) if s > 0]
    decoder_ratio = checked_j1 / stage_s["decode"] if fitted else float("nan")
    # -j 2 over -j 1, wall time, round by round (the module's notes): in the
    # runs' steady parts (from their outputs' times) where they were read,
    # else (and beside it, always) by differences of whole runs.
    old_rounds = round_ratios(timings, "j1", "j2", wall) if cpus > 1 else []
    steady = steady_ratios(timings, "j1", "j2") if cpus > 1 else None
    rounds = steady if steady is not None else old_rounds
    # Checked (the twenty-eighth round): each side's least (least_ratio);
    # the median of the rounds' ratios (checked from the twenty-fifth round
    # to the twenty-seventh) beside it, and where the outputs were not read.
    by_rounds = median_ratio(rounds)
    least = least_ratio(timings, "j1", "j2") if cpus > 1 else None
    speedup = least if least is not None and by_rounds is not None else by_rounds
    old_speedup = median_ratio(old_rounds)
    # CPU time per file at -j 2 over -j 1: what the pool adds (its parent,
    # pipes, forks) and what two workers sharing caches cost each other.
    # Unlike the wall-time speedup, other work on the machine barely moves
    # it: near 1.0 with a low speedup says the second CPU was busy.
    pool_cpu = None
    if speedup is not None and fitted:
        j2_cpu = _per_file(timings, "j2", more)
        pool_cpu = j2_cpu / _per_file(timings, "j1", more) if j2_cpu > 0 else None
    overlap = overlap_summary(timings, replaced, RULE, cpus)
    first_steady = (
        steady_ratios(first_attempts(timings, replaced), "j1", "j2")
        if steady is not None
        else None
    )
    overlap["j2_speedup_steady_first_attempts"] = (
        median_ratio(first_steady) if first_steady is not None else None
    )
    overlap["j2_speedup_steady_first_attempts_rounds"] = (
        _finite(first_steady) if first_steady is not None else []
    )
    # The figures as checked, on each round's first attempt.
    first = first_attempts(timings, replaced)
    overlap["j2_speedup_least_first_attempts"] = (
        least_ratio(first, "j1", "j2") if cpus > 1 else None
    )
    first_least = least_per_file(first, "j1")
    # '/ stages' as it would be without the rule: both of its sides (melcli's
    # -j 1 rounds and the stages' least) from each round's first attempt.
    first_j1 = per_file_rounds(first_attempts(timings, replaced), "j1", more)
    first_floor = sum(stage_floor(first_stage_times).values())
    overlap["melcli_over_stages_first_attempts"] = (
        (first_least if first_least is not None else float(statistics.median(first_j1)))
        / first_floor
        if first_floor > 0
        else None
    )
    control = pair_control(timings, more)
    pair_speedup, j2_of_pair = control["pair_speedup"], control["j2_of_pair"]
    row = [
        w.name,
        f"{stage_s['decode'] * 1e3:.2f}",
        f"{(floor_s - stage_s['decode']) * 1e3:.2f}",
        f"{floor_s * 1e3:.2f}",
        f"{floor_run * 1e3:.2f}" if floor_run > 0 else "n/a",
        f"{checked_j1 * 1e3:.2f}" if fitted else "n/a",
        f"{ratio:.2f}x" if not np.isnan(ratio) else "n/a",
        f"{stages_ratio:.2f}x" if fitted else "n/a",
        f"{min(over_stages):.2f}-{max(over_stages):.2f}" if fitted else "n/a",
        f"{by_differences:.2f}x" if not np.isnan(by_differences) else "n/a",
        f"{floor_run / floor_s:.2f}x" if floor_run > 0 else "n/a",
        f"{decoder_ratio:.2f}x" if fitted else "n/a",
        f"{speedup:.2f}x" if speedup is not None else "n/a",
        f"{min(rounds):.2f}-{max(rounds):.2f}" if speedup is not None else "n/a",
        f"{pair_speedup:.2f}x" if pair_speedup is not None else "n/a",
        f"{j2_of_pair:.0%}" if j2_of_pair is not None else "n/a",
        f"{pool_cpu:.2f}x" if pool_cpu is not None else "n/a",
        f"{by_rounds:.2f}x" if by_rounds is not None else "n/a",
        f"{old_speedup:.2f}x" if old_speedup is not None else "n/a",
    ]
    notes = []
    if paired and fitted:
        notes.append(
            f"(f) {w.name}: -j 1 over each round's stages as run (not their "
            f"least): median {statistics.median(paired):.2f}x "
            f"({min(paired):.2f}-{max(paired):.2f}); stages as run "
            f"{min(as_run) * 1e3:.2f}-{max(as_run) * 1e3:.2f} ms, "
            f"their least {floor_s * 1e3:.2f} ms"
        )
    notes.extend(
        least_notes(
            w.name, checked_j1 is j1_least, by_differences, diff_rounds, by_rounds
        )
    )
    notes.extend(speedup_notes(w.name, steady, old_rounds, speeds(timings, more)))
    excess = end_excess(timings, more)
    notes.extend(excess_notes(w.name, excess))
    whole = whole_command_ratios(timings, "j1", "j2") if cpus > 1 else []
    notes.extend(whole_command_notes(w.name, whole, w.files))
    notes.extend(probe_notes(w.name, timings))
    notes.extend(control_notes(w.name, control))
    notes.extend(overlap_notes(w.name, overlap, RULE))
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
    # The floor: the least each stage needs (each stage's least over
    # the rounds); the floor program's whole cost is shown, not checked: on
    # WAV it does librosa's float64 arithmetic, which melcli beats.
    checks = [_at_most(f"{w.name}: -j 1 / floor", stages_ratio, target)]
    if speedup is not None:
        checks.append(
            ratio_check(
                "f", f"{w.name}: -j 2 / -j 1", speedup, at_least=TARGET_TWO_WORKERS
            )
        )
    notes.extend(spread_notes({f"{w.name} {k}": t for k, t in timings.items()}))
    data = {
        "title": w.title,
        "files": w.files,
        "floor_ms_per_file": {k: v * 1e3 for k, v in stage_s.items()},
        "floor_ms": floor_s * 1e3,
        # Each round's stages per file as run (not the least): their spread.
        "stages_ms_rounds": [s * 1e3 for s in as_run],
        "floor_run_ms_per_file": floor_run * 1e3 if floor_run > 0 else None,
        "floor_run_ms_per_file_rounds": [c * 1e3 for c in floor_rounds],
        "melcli_j1_ms_per_file": per_file * 1e3 if fitted else None,
        "melcli_j1_ms_per_file_rounds": [c * 1e3 for c in j1_rounds],
        # Before the seventeenth round: each side's median CPU apart.
        "melcli_j1_ms_per_file_of_medians": _per_file(timings, "j1", more) * 1e3,
        "melcli_over_floor": None if np.isnan(ratio) else ratio,
        # Checked: -j 1 at its least (the twenty-eighth round), each round's
        # pace and edges beside it ("least"); by CPU differences, the median
        # over rounds, where the outputs were not read ("differences").
        "melcli_over_stages": stages_ratio if fitted else None,
        "melcli_over_stages_method": "least"
        if checked_j1 is j1_least
        else "differences",
        "melcli_j1_ms_per_file_least": None if j1_least is None else j1_least * 1e3,
        "melcli_over_stages_rounds": over_stages,
        # Checked until the twenty-seventh round, from the same runs, always.
        "melcli_over_stages_by_differences": None
        if np.isnan(by_differences)
        else by_differences,
        "melcli_over_stages_by_differences_rounds": diff_rounds,
        "melcli_over_stages_as_run_rounds": paired,
        "melcli_over_stages_as_run": float(statistics.median(paired))
        if paired
        else None,
        "floor_over_stages": floor_run / floor_s if floor_run > 0 else None,
        "melcli_over_decoder": decoder_ratio if fitted else None,
        # The figure checked: each side's least (least_ratio; "least", the
        # twenty-eighth round), else the median of each round's -j 2 / -j 1
        # from the outputs' completion times ("steady": steady_per_file), or
        # by differences of whole runs ("differences") where they were not
        # read. The rounds (and their lowest and highest) are each round's.
        "j2_speedup": speedup,
        "j2_speedup_method": "least"
        if least is not None and speedup is least
        else "steady"
        if steady is not None
        else "differences",
        # Checked from the twenty-fifth round to the twenty-seventh.
        "j2_speedup_median_of_rounds": by_rounds,
        # Each melcli contender's least wall ms per file (least_per_file).
        "least_ms_per_file": {
            k: x * 1e3
            for k in ("j1", "j2", "pair")
            for x in [least_per_file(timings, k)]
            if x is not None
        },
        "j2_speedup_rounds": _finite(rounds),
        "j2_speedup_low": _finite([min(rounds)])[0] if speedup is not None else None,
        "j2_speedup_high": _finite([max(rounds)])[0] if speedup is not None else None,
        # By differences (N run less N/2 run, round by round; checked until
        # the twenty-fifth round), from the same runs, always.
        "j2_speedup_by_differences": old_speedup,
        "j2_speedup_by_differences_rounds": _finite(old_rounds),
        # What a user's clock shows: the whole -j 1 run on N files over the
        # whole -j 2 run on them, start-up and tail included (shown only).
        "j2_speedup_whole_command": median_ratio(whole) if whole else None,
        "j2_speedup_whole_command_rounds": _finite(whole),
        # Wall ms per file, medians over rounds: as checked (pace + edges),
        # the pace alone, and the N run less the N/2 run.
        "wall_ms_per_file": speeds(timings, more),
        # Each end's excess over the pace per extra file (shown, not checked).
        "excess_ms_per_extra_file": excess,
        # Each side's median of runs on N less its median on N/2.
        "j2_speedup_of_medians": _speedup(timings) if cpus > 1 else None,
        "j2_cpu_over_j1": pool_cpu,
        "j2_cpu_over_j1_rounds": _finite(
            round_ratios(timings, "j2", "j1", cpu) if cpus > 1 else []
        ),
        **control,
        **overlap,
        "contenders": {
            k: t.as_json(files=n, audio_seconds=n * w.seconds)
            for k, t in timings.items()
            for n in [half if k.endswith("-half") else w.files]
        },
    }
    return row, checks, notes, data


def final_attempts(rounds: int, replaced: Sequence[Attempt]) -> list[int]:
    """Each round's last attempt, counted over every attempt of the race.

    Attempts run in order (a round's, then the next round's); a round has one
    more than the rule replaced in it. The index of the round's last is the
    index of the floor program's ``--times`` file of the run that stands.
    """
    attempts = (1 + sum(a.round == r for a in replaced) for r in range(rounds))
    return [end - 1 for end in itertools.accumulate(attempts)]


def first_attempt_indices(rounds: int, replaced: Sequence[Attempt]) -> list[int]:
    """Each round's first attempt, counted over every attempt of the race.

    As :func:`final_attempts`: the index of the floor program's ``--times``
    file of the round's first run, the one the rule may have replaced.
    """
    ends = final_attempts(rounds, replaced)
    return [0, *(end + 1 for end in ends[:-1])] if ends else []


def overlap_summary(
    timings: dict[str, Timings],
    replaced: Sequence[Attempt],
    rule: OverlapRule,
    cpus: int,
) -> dict[str, Any]:
    """What other work did during the runs, and what the rule did about it.

    Per round (the attempt that stands) the highest interference of its runs
    (others' CPU and steal, a share of one CPU; null where not measured); the
    rounds the rule ran again and how many attempts it replaced, each kept;
    the rounds still over the threshold (the rule's re-runs used up); and
    ``-j 2`` / ``-j 1`` on each round's first attempt, the figure without the
    rule, beside the checked one.
    """
    first = first_attempts(timings, replaced)
    raw = round_ratios(first, "j1", "j2", wall) if cpus > 1 and "j2" in first else []
    return {
        **rule_record(timings, replaced, rule),
        "j2_speedup_first_attempts": median_ratio(raw),
        "j2_speedup_first_attempts_rounds": _finite(raw),
    }


def overlap_notes(name: str, overlap: dict[str, Any], rule: OverlapRule) -> list[str]:
    """A line under the table: other work during the runs, and the rule's re-runs."""
    worst = [x for x in overlap["interference_rounds"] if x is not None]
    if not worst:
        return [f"(f) {name}: other work during the runs: not measured (no /proc/stat)"]
    rerun, left = overlap["rounds_rerun"], overlap["rounds_overlapped"]
    # The figure as checked (steady where read), on the first attempts.
    steady = overlap.get("j2_speedup_steady_first_attempts")
    key = "j2_speedup_first_attempts"
    if steady is not None:
        key = "j2_speedup_steady_first_attempts"
    raw = overlap[key]
    # null: an infinite round (as in j2_speedup_rounds)
    known = [math.inf if r is None else r for r in overlap[f"{key}_rounds"]]
    attempts = plural(len(overlap["attempts_replaced"]), "attempt")
    return [
        f"(f) {name}: others' CPU and steal, the most in any run of a round, "
        f"as a share of one CPU: median {statistics.median(worst):.0%}, highest "
        f"{max(worst):.0%}; rounds run again (a run over {rule.share:.0%}): "
        + (f"{', '.join(map(str, rerun))} ({attempts} replaced)" if rerun else "none")
        + "; still over it: "
        + (", ".join(map(str, left)) if left else "none")
        + (
            f"; -j 2 / -j 1 on the first attempts {raw:.2f}x "
            f"({min(known):.2f}-{max(known):.2f})"
            if raw is not None and known and rerun
            else ""
        )
        + (
            f"; -j 1 / stages on the first attempts {stages:.2f}x"
            if (stages := overlap.get("melcli_over_stages_first_attempts")) is not None
            and rerun
            else ""
        )
    ]


#: melcli's runs a -j 2 / -j 1 ratio is taken from, back to back in a round.
QUAD = ("j1", "j1-half", "j2", "j2-half")
#: The control's runs: two independent -j 1 at once, on N and on N/2 files.
PAIR = ("pair", "pair-half")


def round_order(contenders: Sequence[Contender], index: int) -> list[Contender]:
    """Round ``index``'s order: melcli's :data:`QUAD` back to back, then the rest.

    The four rotate from round to round (each takes each place once in four
    rounds); the others (the floor program's two runs) swap from round to round.
    The control's two runs (:data:`PAIR`, where there are) sit beside the four,
    which they leave back to back: after them in even rounds, before them in
    odd ones, their own order swapped every second round (each of the two takes
    each of its four places once in four rounds).
    """
    quad = [c for c in contenders if c.name in QUAD]
    pair = [c for c in contenders if c.name in PAIR]
    rest = [c for c in contenders if c.name not in QUAD + PAIR]
    shift = index % len(quad) if quad else 0
    quad = [*quad[shift:], *quad[:shift]]
    pair = pair[::-1] if index // 2 % 2 else pair
    melcli = [*pair, *quad] if index % 2 else [*quad, *pair]
    return [*melcli, *(rest[::-1] if index % 2 else rest)]


def pair_control(timings: dict[str, Timings], more: int) -> dict[str, Any]:
    """The control: two independent ``-j 1`` runs at once against ``-j 1`` and ``-j 2``.

    ``pair`` runs ``melcli -j 1`` on each half of the N files at once (each
    into its own OUT, no pool, nothing shared but the machine), ``pair-half``
    on each half of the N/2 files; both pay two start-ups side by side, which
    cancel in their difference as one start-up does in ``-j 1``'s. Round by
    round, as :func:`round_ratios`: ``pair_speedup`` is what N/2 more files
    add to ``-j 1`` over what they add to the pair (the speed two processes at
    once get on this workload here, the machine's own ratio), ``j2_of_pair``
    what they add to the pair over what they add to ``-j 2`` (``-j 2``'s speed
    as a share of the pair's; ``-j 1`` is not in it). Medians over the rounds,
    each round's in ``*_rounds``; and the pair's CPU time per file over
    ``-j 1``'s, taken as ``j2_cpu_over_j1`` is. A reading aid, not a target.
    All None (lists empty) without the pair's runs.
    """
    if "pair" not in timings or "j2" not in timings:
        return {
            "pair_speedup_by_differences": None,
            "pair_speedup_by_differences_rounds": [],
            "j2_of_pair_by_differences": None,
            "pair_speedup": None,
            "pair_speedup_median_of_rounds": None,
            "pair_speedup_rounds": [],
            "pair_speedup_low": None,
            "pair_speedup_high": None,
            "j2_of_pair": None,
            "j2_of_pair_median_of_rounds": None,
            "j2_of_pair_rounds": [],
            "pair_cpu_over_j1": None,
            "pair_cpu_over_j1_rounds": [],
        }
    old_ceiling = round_ratios(timings, "j1", "pair", wall)
    old_share = round_ratios(timings, "pair", "j2", wall)
    steady_ceiling = steady_ratios(timings, "j1", "pair")
    steady_share = steady_ratios(timings, "pair", "j2")
    # Taken as -j 2 / -j 1 is: in the steady parts where they were read.
    ceiling = old_ceiling if steady_ceiling is None else steady_ceiling
    share = old_share if steady_share is None else steady_share
    fitted = median_ratio(ceiling) is not None
    j1_cpu, pair_cpu = (_per_file(timings, n, more) for n in ("j1", "pair"))
    # As -j 2 / -j 1 is checked (the twenty-eighth round): each side's least.
    least_ceiling = least_ratio(timings, "j1", "pair")
    least_share = least_ratio(timings, "pair", "j2")
    return {
        "pair_speedup_by_differences": median_ratio(old_ceiling),
        "pair_speedup_by_differences_rounds": _finite(old_ceiling),
        "j2_of_pair_by_differences": median_ratio(old_share),
        "pair_speedup": least_ceiling
        if least_ceiling is not None and fitted
        else median_ratio(ceiling),
        "pair_speedup_median_of_rounds": median_ratio(ceiling),
        "pair_speedup_rounds": _finite(ceiling),
        # As j2_speedup_low and _high: null where infinite.
        "pair_speedup_low": _finite([min(ceiling)])[0] if fitted else None,
        "pair_speedup_high": _finite([max(ceiling)])[0] if fitted else None,
        "j2_of_pair": least_share
        if least_share is not None and median_ratio(share) is not None
        else median_ratio(share),
        "j2_of_pair_median_of_rounds": median_ratio(share),
        "j2_of_pair_rounds": _finite(share),
        "pair_cpu_over_j1": pair_cpu / j1_cpu if j1_cpu > 0 and pair_cpu > 0 else None,
        "pair_cpu_over_j1_rounds": _finite(round_ratios(timings, "pair", "j1", cpu)),
    }


def control_notes(name: str, control: dict[str, Any]) -> list[str]:
    """A line under the table: the control's lowest and highest rounds."""
    if control["pair_speedup"] is None:
        return []
    low, high = (
        math.inf if x is None else x  # null: infinite (an undefined round: no figure)
        for x in (control["pair_speedup_low"], control["pair_speedup_high"])
    )
    share = [r for r in control["j2_of_pair_rounds"] if r is not None]
    cpu = control["pair_cpu_over_j1"]
    return [
        f"(f) {name}: pair / -j 1 (two -j 1 at once; shown, not checked) "
        f"rounds {low:.2f}-{high:.2f}; -j 2 / pair rounds "
        + (f"{min(share):.0%}-{max(share):.0%}" if share else "n/a")
        + "; CPU pair / -j 1 "
        + (f"{cpu:.2f}x" if cpu is not None else "n/a")
    ]


def speeds(timings: dict[str, Timings], more: int) -> dict[str, dict[str, float]]:
    """Wall ms per file of each melcli contender, each way, medians over rounds.

    ``steady``: as checked (:func:`steady_per_file`); ``window``: its pace
    alone (the steady windows, N and N/2 pooled, without the edges);
    ``differences``: the run on N files less the run on N/2, over the N/2
    more. ``steady`` less ``window`` is the per-file work outside the
    outputs. Empty where the outputs were not read.
    """
    out: dict[str, dict[str, float]] = {}
    for name in ("j1", "j2", "pair"):
        if name not in timings or f"{name}-half" not in timings:
            continue
        runs = list(zip(timings[name].runs, timings[f"{name}-half"].runs, strict=True))
        steady = [steady_per_file(whole, half) for whole, half in runs]
        paces = [
            (ws[0][1] + ws[1][1]) / (ws[0][0] + ws[1][0])
            for whole, half in runs
            if whole.outputs and half.outputs
            for ws in [(whole.outputs.window(), half.outputs.window())]
            if ws[0] and ws[1]
        ]
        known = [x for x in steady if x is not None]
        if known and len(known) == len(runs) == len(paces):
            diffs = per_file_rounds(timings, name, more, wall)
            out[name] = {
                "steady": float(statistics.median(known)) * 1e3,
                "window": float(statistics.median(paces)) * 1e3,
                "differences": float(statistics.median(diffs)) * 1e3,
            }
    return out


def least_notes(
    name: str,
    j1_least: bool,
    by_differences: float,
    diff_rounds: Sequence[float],
    by_rounds: float | None,
) -> list[str]:
    """A line under the table: the figures checked until the twenty-seventh round.

    ``j1_least``: whether ``/ stages`` is taken at melcli's least (its
    outputs were read); ``by_differences`` and its rounds: ``/ stages`` from
    -j 1's CPU time, N run less N/2 run, the median over rounds;
    ``by_rounds``: -j 2 / -j 1 as the median of the rounds' ratios.
    """
    if not j1_least:
        return [
            f"(f) {name}: the outputs' times were not read, or too few to cut "
            "in tenths: '/ stages' and -j 2 / -j 1 are taken as before the "
            "twenty-eighth round (medians over rounds)"
        ]
    diff = "n/a" if math.isnan(by_differences) else f"{by_differences:.2f}x"
    spread = (
        f" (rounds {min(diff_rounds):.2f}-{max(diff_rounds):.2f})"
        if diff_rounds
        else ""
    )
    rounds = "n/a" if by_rounds is None else f"{by_rounds:.2f}x"
    return [
        f"(f) {name}: checked since the twenty-eighth round: each melcli "
        "contender at its least (each tenth of its runs' outputs, the least "
        "over the rounds, as the stages' least; plus the median edges), wall "
        "time; as checked until then: -j 1 / stages by CPU, N run less N/2, "
        f"median over rounds {diff}{spread}; -j 2 / -j 1 median of the "
        f"rounds' ratios {rounds}"
    ]


def speedup_notes(
    name: str,
    steady: Sequence[float] | None,
    old: Sequence[float],
    ms: dict[str, dict[str, float]],
) -> list[str]:
    """Lines under the table: -j 2 / -j 1 both ways, and ms per file both ways."""
    if not old:
        return []
    lines = []
    by_diff = median_ratio(old)
    shown = f"{by_diff:.2f}x" if by_diff is not None else "n/a"
    line = (
        f"(f) {name}: -j 2 / -j 1 by differences (N run less N/2 run, round "
        f"by round; checked until the twenty-fifth round): {shown} (rounds "
        f"{min(old):.2f}-{max(old):.2f})"
    )
    if steady is None:
        line += "; the outputs' times were not read: it is the figure checked"
    lines.append(line)
    if ms:
        lines.append(
            f"(f) {name}: wall ms per file as checked / its steady windows alone / "
            "N run less N/2 run (medians over rounds): "
            + ", ".join(
                f"{k} {v['steady']:.3f} / {v['window']:.3f} / {v['differences']:.3f}"
                for k, v in ms.items()
            )
        )
    return lines


#: The line under (f)'s table warns where -j 2's excess per extra file at
#: either end, as a share of its pace, is over -j 1's by more than this.
EXCESS_WARNING = 0.02


def run_excess(run: ProcessRun, pace: float) -> tuple[float, float] | None:
    """A run's time at each end of its steady window beyond ``pace`` per output.

    With ``n`` outputs and ``k`` a tenth of them (as
    :meth:`harness.Completions.window`): the head is the start to the
    (k+1)-th completion, less ``pace`` times those k+1 outputs; the tail is
    the (n-k)-th completion to the run's end, less ``pace`` times the k
    outputs after it. The two and the window's time make up the run's. None
    where the outputs were not read or the window is empty.
    """
    done = run.outputs
    if done is None or done.window() is None:
        return None
    n = len(done.times)
    k = int(n * STEADY_TAIL)
    head = done.times[k] - pace * (k + 1)
    tail = done.end - done.times[n - 1 - k] - pace * k
    return head, tail


def end_excess(timings: dict[str, Timings], more: int) -> dict[str, dict[str, Any]]:
    """Each melcli contender's head and tail excess per extra file, ms.

    Per round, with the round's pace (its N and N/2 runs' windows pooled, as
    :func:`steady_per_file` takes it): each end's excess (:func:`run_excess`)
    in the run on N files less the run on N/2, over the N/2 more files; the
    medians over the rounds (``head``, ``tail``), every round's, and the
    pace's median. Where both ends cost a run no more than its pace, the two
    are zero; per-file work at an end (the edges
    :func:`steady_per_file` counts, and any slower first or last tenth of the
    outputs) shows here. Shown, not checked (the twenty-sixth round). Empty
    where the outputs were not read.
    """
    out: dict[str, dict[str, Any]] = {}
    for name in ("j1", "j2", "pair"):
        if name not in timings or f"{name}-half" not in timings:
            continue
        heads, tails, paces = [], [], []
        for whole, half in zip(
            timings[name].runs, timings[f"{name}-half"].runs, strict=True
        ):
            windows = [r.outputs.window() if r.outputs else None for r in (whole, half)]
            if windows[0] is None or windows[1] is None:
                break
            pace = (windows[0][1] + windows[1][1]) / (windows[0][0] + windows[1][0])
            ends = [run_excess(whole, pace), run_excess(half, pace)]
            if ends[0] is None or ends[1] is None:
                break
            heads.append((ends[0][0] - ends[1][0]) / more * 1e3)
            tails.append((ends[0][1] - ends[1][1]) / more * 1e3)
            paces.append(pace * 1e3)
        else:
            if heads:
                out[name] = {
                    "head": float(statistics.median(heads)),
                    "tail": float(statistics.median(tails)),
                    "pace": float(statistics.median(paces)),
                    "head_rounds": heads,
                    "tail_rounds": tails,
                }
    return out


def excess_notes(name: str, excess: dict[str, dict[str, Any]]) -> list[str]:
    """Lines under the table: each end's excess per extra file; -j 2's warning."""
    if not excess:
        return []
    lines = [
        f"(f) {name}: each end's excess per extra file (the time before the "
        "steady window and after it, less the pace times their outputs, N run "
        "less N/2 run over the N/2 more files; medians over rounds; shown, not "
        "checked): "
        + ", ".join(
            f"{k} head {v['head']:.3f} ms, tail {v['tail']:.3f} ms "
            f"(pace {v['pace']:.3f} ms)"
            for k, v in excess.items()
        )
    ]
    if "j1" in excess and "j2" in excess:
        j1, j2 = excess["j1"], excess["j2"]
        for end in ("head", "tail"):
            over = j2[end] / j2["pace"] - j1[end] / j1["pace"]
            if over > EXCESS_WARNING:
                lines.append(
                    f"warning: (f) {name}: -j 2's {end} excess per extra file, "
                    f"{j2[end]:.3f} ms ({j2[end] / j2['pace']:.1%} of its pace), "
                    f"exceeds -j 1's, {j1[end]:.3f} ms "
                    f"({j1[end] / j1['pace']:.1%}), by {over:.1%} of the pace "
                    f"(more than {EXCESS_WARNING:.0%}): N/2 more files add "
                    "more at that end of -j 2's runs than at -j 1's, beyond "
                    "their paces (shown, not checked)"
                )
    return lines


def whole_command_ratios(
    timings: dict[str, Timings], top: str, bottom: str
) -> list[float]:
    """Per round: ``top``'s whole run on N files over ``bottom``'s, wall time.

    What ``time melcli mel ...`` shows a user: start-up, the pool's start and
    the last worker's tail all in, where the checked figure (per file) sets
    them aside. Shown, never checked.
    """
    return [
        _ratio(t.seconds, b.seconds)
        for t, b in zip(timings[top].runs, timings[bottom].runs, strict=True)
    ]


def whole_command_notes(name: str, whole: Sequence[float], files: int) -> list[str]:
    """A line under the table: -j 2 / -j 1 as whole commands on the N files."""
    ratio = median_ratio(whole) if whole else None
    if ratio is None:
        return []
    return [
        f"(f) {name}: -j 2 / -j 1 as whole commands on its {files} files "
        f"(start-up and tail included, what `time` shows; not checked): "
        f"{ratio:.2f}x (rounds {min(whole):.2f}-{max(whole):.2f})"
    ]


def probe_notes(name: str, timings: dict[str, Timings]) -> list[str]:
    """A line under the table: the speed probe around melcli's runs (not used)."""
    probes = [
        ms * 1e3
        for key in QUAD + PAIR
        if key in timings
        for run in timings[key].runs
        if run.probe is not None
        for ms in run.probe
    ]
    if not probes:
        return []
    return [
        f"(f) {name}: speed probe (a fixed loop's CPU ms just before and after "
        f"each melcli run; read by no rule): median {statistics.median(probes):.1f}, "
        f"{min(probes):.1f}-{max(probes):.1f}"
    ]


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


def steady_per_file(whole: ProcessRun, half: ProcessRun) -> float | None:
    """A contender's wall time per file in one round, from its runs' outputs.

    Two parts, both from the runs on N and N/2 files (``whole``, ``half``):

    - the pace: the outputs completed in each run's steady window
      (:meth:`harness.Completions.window`: the first and last tenth of its
      outputs left out), the two windows pooled, their time over their
      outputs;
    - the edges: what the N/2 more files add to the run's time outside its
      outputs (start to the first output, the last output to the end:
      :attr:`harness.Completions.edges`), per file more. Per-file work done
      there (discovery, planning, the manifest at the end) counts, as in a
      difference of whole runs; what both runs pay once cancels.

    None where a run's outputs were not read, a window is empty, or the N
    run wrote no more outputs than the N/2 run.
    """
    outs = [whole.outputs, half.outputs]
    if outs[0] is None or outs[1] is None:
        return None
    windows = [o.window() for o in outs]
    more = len(outs[0].times) - len(outs[1].times)
    if windows[0] is None or windows[1] is None or more <= 0:
        return None
    pace = (windows[0][1] + windows[1][1]) / (windows[0][0] + windows[1][0])
    return pace + (outs[0].edges - outs[1].edges) / more


def steady_ratios(
    timings: dict[str, Timings], top: str, bottom: str
) -> list[float] | None:
    """Per round: ``top``'s wall time per file over ``bottom``'s, from the outputs.

    Each side's time per file from its runs of the round on N and N/2 files
    (``name`` and ``name-half``), by :func:`steady_per_file`. Every round
    gives its ratio, as :func:`round_ratios` does. None where any run's
    figure is missing (outputs not read): then no figure.
    """
    per_file: dict[str, list[float]] = {}
    for name in (top, bottom):
        rows = []
        for whole, half in zip(
            timings[name].runs, timings[f"{name}-half"].runs, strict=True
        ):
            pf = steady_per_file(whole, half)
            if pf is None:
                return None
            rows.append(pf)
        per_file[name] = rows
    return [_ratio(t, b) for t, b in zip(per_file[top], per_file[bottom], strict=True)]


#: Pieces a run's steady window is cut into for :func:`least_pace` (the
#: twenty-eighth round): eight, each a tenth of the run's outputs (the
#: window is the middle eight tenths), the same outputs in every round.
PIECES = 8


def window_pieces(done: Completions, pieces: int = PIECES) -> list[tuple[int, float]]:
    """A run's steady window cut into ``pieces`` runs of outputs in a row.

    The window of :meth:`harness.Completions.window` (the (k+1)-th completion
    to the (n-k)-th), cut at equal counts of completions: each piece's
    completions after its first, and their time, in order; the pieces add
    up to the window. Empty where the window has fewer completions than
    ``pieces``.
    """
    n = len(done.times)
    first, last = int(n * STEADY_TAIL), n - 1 - int(n * STEADY_TAIL)
    if last - first < pieces:
        return []
    cuts = [first + (last - first) * j // pieces for j in range(pieces + 1)]
    return [(b - a, done.times[b] - done.times[a]) for a, b in itertools.pairwise(cuts)]


def least_pace(runs: Sequence[ProcessRun]) -> tuple[int, float] | None:
    """Runs of one contender on the same files, round by round: their least pace.

    Each run's steady window in :data:`PIECES` pieces (:func:`window_pieces`;
    the same place in every round holds the same outputs); at each place,
    the least time per output over the rounds, times the first round's
    outputs there. Returns the outputs and that least time, summed over the
    places: the floor's own estimator (per file and stage, the least over
    the rounds) at the finest grain the bench sees melcli at, a tenth of a
    run's outputs. None where a run's outputs were not read or its window
    is too short to cut.
    """
    cut = [window_pieces(r.outputs) if r.outputs else [] for r in runs]
    if not cut or any(len(c) != PIECES for c in cut):
        return None
    outputs = seconds = 0.0
    for place in range(PIECES):
        n = cut[0][place][0]
        outputs += n
        seconds += n * min(c[place][1] / c[place][0] for c in cut)
    return int(outputs), seconds


def least_per_file(timings: dict[str, Timings], name: str) -> float | None:
    """A contender's wall seconds per file at its least (the twenty-eighth round).

    Its least pace (:func:`least_pace`) over its runs on N files and, apart,
    on N/2, the two pooled (their least times over their outputs, as
    :func:`steady_per_file` pools a round's two windows); plus its edges,
    what N/2 more files add outside the outputs (per file, each round's as
    :func:`steady_per_file` takes it, the median over the rounds). None
    where any run's outputs were not read.
    """
    if name not in timings or f"{name}-half" not in timings:
        return None
    whole, half = timings[name].runs, timings[f"{name}-half"].runs
    paces = [least_pace(whole), least_pace(half)]
    if paces[0] is None or paces[1] is None:
        return None
    edges = []
    for w, h in zip(whole, half, strict=True):
        # least_pace read them all
        assert w.outputs is not None
        assert h.outputs is not None
        more = len(w.outputs.times) - len(h.outputs.times)
        if more <= 0:
            return None
        edges.append((w.outputs.edges - h.outputs.edges) / more)
    pace = (paces[0][1] + paces[1][1]) / (paces[0][0] + paces[1][0])
    return pace + float(statistics.median(edges))


def least_ratio(timings: dict[str, Timings], top: str, bottom: str) -> float | None:
    """``top``'s :func:`least_per_file` over ``bottom``'s; None where either is."""
    t, b = least_per_file(timings, top), least_per_file(timings, bottom)
    if t is None or b is None or b <= 0:
        return None
    return t / b


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

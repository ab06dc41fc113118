"""(f) The floor: melcli's per-file cost against the least work each stage needs.

Each stage of the default chain runs alone, in this process, on the same files:
decode (soundfile), mix, soxr resample, STFT, mel, scale (dB, or Whisper's
log10), save. Each is written with plain numpy, soxr and soundfile as librosa
computes it (float64 FFT frames, a dense mel product), timed per file, the
least of a few repetitions kept; their sum per file is the floor: what a
program doing nothing but that arithmetic pays. melcli runs as a whole process,
``-j 1`` on N and on N/2 files: the difference over N/2 is its cost per file
with the run's start-up set aside. Both sides are measured in CPU time (user +
system, of the process and its children): on a shared machine, other work
delays a run far more than it slows the run's own work, so CPU time compares
the two sides where wall time would compare the machine's load at two
moments. Their ratio says how much melcli spends on anything else (decode
checks, bookkeeping, atomic writes).

The workloads: the 10-s stereo 44.1 kHz WAV clips of (a) with default
settings; the same clips as FLAC, Ogg Vorbis and MP3 (there, the decoder
alone is the other yardstick); and many 5-s mono 16 kHz WAV files with
``--preset whisper``. Each also runs ``-j 2`` on the N and N/2 files, against ``-j 1``.

It uses the benchmark's harness (``bench/harness.py``) and data (``bench/data.py``).
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
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
from harness import (
    Check,
    Config,
    Contender,
    Outcome,
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
def _settings(options: tuple[str, ...]) -> Any:
    import melcli

    if "--preset" in options:
        return melcli.preset_params(options[options.index("--preset") + 1])
    return melcli.MelParams()


class Stages:
    """Each stage of one settings' chain, as the least arithmetic librosa does.

    Only the numbers come from melcli (its settings); the work is written here.
    """

    def __init__(self, params: Any, sr_in: int) -> None:
        import librosa

        self.p = params
        self.sr = params.sr or sr_in
        self.sr_in = sr_in
        hop = params.effective_hop_length
        self.hop = hop
        win = librosa.filters.get_window(
            params.window, params.effective_win_length, fftbins=True
        )
        self.window = librosa.util.pad_center(win, size=params.n_fft)
        self.M = librosa.filters.mel(
            sr=self.sr,
            n_fft=params.n_fft,
            n_mels=params.n_mels,
            fmin=params.fmin,
            fmax=params.effective_fmax(self.sr),
            htk=params.htk,
            norm=params.norm,
        )

    def decode(self, path: Path) -> np.ndarray:
        data, _ = sf.read(str(path), dtype="float32", always_2d=True)
        return data

    def mix(self, data: np.ndarray) -> np.ndarray:
        """``librosa.to_mono``'s mean, summed column by column (numpy's reduction
        across a row of two interleaved channels is several times slower)."""
        y = data[:, 0].copy()
        if data.shape[1] > 1:
            for c in range(1, data.shape[1]):
                y += data[:, c]
            y /= np.float32(data.shape[1])
        return y

    def resample(self, y: np.ndarray) -> np.ndarray:
        if self.sr == self.sr_in:
            return y
        import soxr

        return np.asarray(
            soxr.resample(y, self.sr_in, self.sr, quality=self.p.res_type)
        )

    def stft(self, y: np.ndarray) -> np.ndarray:
        """Power, frames first, in blocks of 512 KB of float64 frames."""
        n_fft = self.p.n_fft
        x = np.pad(y, n_fft // 2, mode=self.p.pad_mode) if self.p.center else y
        frames = np.lib.stride_tricks.sliding_window_view(x, n_fft)[:: self.hop]
        if self.p.drop_last_frame:
            frames = frames[:-1]
        out = np.empty((frames.shape[0], 1 + n_fft // 2), dtype=np.float32)
        step = max(1, (1 << 19) // (8 * n_fft))
        for start in range(0, frames.shape[0], step):
            D = np.fft.rfft(frames[start : start + step] * self.window, axis=-1)
            D = D.astype(np.complex64)
            S = np.square(D.real)
            S += np.square(D.imag)
            out[start : start + step] = S
        return out

    def mel(self, S: np.ndarray) -> np.ndarray:
        return np.asarray(self.M @ S.T)

    def scale(self, S: np.ndarray) -> np.ndarray:
        p = self.p
        if p.scale == "db":
            out = 10.0 * np.log10(np.maximum(p.amin, S))
            out -= 10.0 * np.log10(max(p.amin, float(S.max())))
            if p.top_db is not None:
                np.maximum(out, out.max() - p.top_db, out=out)
        else:
            out = np.log10(np.maximum(S, p.amin))
            if p.clamp is not None:
                np.maximum(out, out.max() - p.clamp, out=out)
        if p.shift or p.divisor != 1.0:
            out = (out + np.float32(p.shift)) / np.float32(p.divisor)
        return np.asarray(out, dtype=np.float32)

    def save(self, S: np.ndarray, path: Path) -> None:
        with path.open("wb") as f:
            np.save(f, S, allow_pickle=False)


def floor_per_file(
    files: list[Path], options: tuple[str, ...], *, reps: int
) -> dict[str, float]:
    """Mean over files of each stage's least CPU time (of ``reps``), in seconds."""
    from threadpoolctl import threadpool_limits

    params = _settings(options)
    stages = Stages(params, sf.info(str(files[0])).samplerate)
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
        f"(f) the floor: each stage alone (librosa's arithmetic, in process, the "
        f"least of {cfg.floor_reps}) against melcli -j 1 per file (whole runs on N "
        f"and N/2 files: start-up set aside), {plural(cfg.rounds, 'round')}; "
        "CPU time for both (a busy machine delays a run more than it slows its "
        "work); -j 2 / -j 1 per file in wall time (whole runs on N and N/2 "
        "files: start-up set aside)"
    ]
    rows, checks, notes = [], [], []
    data: dict[str, Any] = {"cpus": cpus, "rounds": cfg.rounds, "workloads": {}}
    rows_of = workloads(cfg, dataset)
    for w in rows_of:
        log(f"  (f) {w.name} ...")
        warm_page_cache(w.src)
        files = sorted(p for p in w.src.rglob("*") if p.is_file())
        stage_s = floor_per_file(files, w.options, reps=cfg.floor_reps)
        floor_s = sum(stage_s.values())
        half = w.files // 2
        contenders = [
            Contender("j1", melcli_mel(w.src, "-j", "1", *w.options)),
            Contender("j1-half", melcli_mel(w.half, "-j", "1", *w.options)),
        ]
        if cpus > 1:
            contenders += [
                Contender("j2", melcli_mel(w.src, "-j", "2", *w.options)),
                Contender("j2-half", melcli_mel(w.half, "-j", "2", *w.options)),
            ]
        timings, _ = race(contenders, cfg.rounds)
        per_file = (_cpu(timings["j1"]) - _cpu(timings["j1-half"])) / (w.files - half)
        fitted = per_file > 0
        ratio = per_file / floor_s if fitted else float("nan")
        decoder_ratio = per_file / stage_s["decode"] if fitted else float("nan")
        speedup = _speedup(timings) if cpus > 1 else None
        rows.append(
            [
                w.name,
                f"{stage_s['decode'] * 1e3:.2f}",
                f"{(floor_s - stage_s['decode']) * 1e3:.2f}",
                f"{floor_s * 1e3:.2f}",
                f"{per_file * 1e3:.2f}" if fitted else "n/a",
                f"{ratio:.2f}x" if fitted else "n/a",
                f"{decoder_ratio:.2f}x" if fitted else "n/a",
                f"{speedup:.2f}x" if speedup is not None else "n/a",
            ]
        )
        if not fitted:
            notes.append(
                f"note: (f) {w.name}: N and N/2 files took the same time; "
                "too few files to fit a per-file cost"
            )
        if w.compressed:
            target = TARGET_DECODER
        else:
            target = TARGET_SHORT if w.name == "whisper" else TARGET_WAV
        checks.append(_at_most(f"{w.name}: -j 1 / floor", ratio, target))
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
            "melcli_j1_ms_per_file": per_file * 1e3 if fitted else None,
            "melcli_over_floor": ratio if fitted else None,
            "melcli_over_decoder": decoder_ratio if fitted else None,
            "j2_speedup": speedup,
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
        "floor ms",
        "melcli -j 1 ms",
        "/ floor",
        "/ decode",
        "-j 2 / -j 1",
    ]
    lines += [*table(header, rows)]
    lines += [f"  {w.name}: {w.title}" for w in rows_of]
    return Outcome(data=data, checks=checks, lines=lines, notes=notes)


def _speedup(timings: dict[str, Timings]) -> float | None:
    """-j 2 over -j 1 per file: the wall time N/2 more files add to each.

    A whole run's start-up (about 0.2 s, the pool's too) is a large part of
    a run of a few seconds, and would hide how fast the files go.
    """
    j1 = timings["j1"].median - timings["j1-half"].median
    j2 = timings["j2"].median - timings["j2-half"].median
    return j1 / j2 if j1 > 0 and j2 > 0 else None


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

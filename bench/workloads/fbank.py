"""(h) --kind fbank on the long file and (i) --preset ast throughput."""

from __future__ import annotations

import math
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import soundfile as sf
from data import CLIP_SECONDS, Dataset, warm_page_cache
from harness import (
    FBANK_BASELINE_SCRIPT,
    TARGET_RSS_MB,
    Check,
    Command,
    Config,
    Contender,
    Outcome,
    Sanity,
    comparer,
    log,
    max_abs_diff,
    melcli_mel,
    new_output,
    plural,
    race,
    ratio_check,
    remove,
    spread_notes,
    table,
)

from workloads.throughput import batch_outcome

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

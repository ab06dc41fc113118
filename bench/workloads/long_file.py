"""(d) one long file: peak memory and accuracy against the whole-file reference."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import soundfile as sf
from data import Dataset, warm_page_cache
from harness import (
    TARGET_RSS_MB,
    TOLERANCE_DB,
    Check,
    Config,
    Outcome,
    Sanity,
    baseline,
    fresh_output,
    log,
    max_abs_diff,
    melcli_mel,
    run_process,
    table,
)


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

"""(a) throughput and (b) the same with PNG renders, against the baselines."""

from __future__ import annotations

from data import CLASSES, CLIP_SECONDS, Dataset, warm_page_cache
from harness import (
    Config,
    Contender,
    Outcome,
    Sanity,
    Timings,
    baseline,
    comparer,
    melcli_mel,
    plural,
    race,
    ratio_check,
    spread_notes,
    table,
)

#: (a) baseline / melcli, and baseline-joblib / melcli: issue 19's targets
#: (4x and 3x before it).
TARGET_SEQUENTIAL = 6.0

TARGET_JOBLIB = 4.5

TARGET_PNG = 5.0  # (b) baseline-png / melcli-png


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

"""(a) throughput and (b) the same with PNG renders, against the baselines.

(a)'s ratios are taken round by round (bench/README.md, issue 19, twenty-sixth
round): melcli runs in the middle of each round, the sequential and the joblib
loop on either side of it, swapping sides every round (:func:`round_order`);
each round gives each baseline's time over that round's melcli time, and the
figure checked is the median over the rounds (``--throughput-rounds``, 8). A
round in which any run's others' CPU and steal came to more than a tenth of a
CPU is run again (:data:`RULE`, (f)'s rule). The figure checked until then,
each contender's median apart over every round's first attempt, is printed
beside it, from the same runs.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from typing import Any

from data import CLASSES, CLIP_SECONDS, Dataset, warm_page_cache
from harness import (
    Attempt,
    Config,
    Contender,
    Outcome,
    OverlapRule,
    Sanity,
    Timings,
    baseline,
    comparer,
    first_attempts,
    melcli_mel,
    plural,
    race,
    ratio_check,
    rule_record,
    spread_notes,
    table,
)

#: (a) baseline / melcli, and baseline-joblib / melcli: issue 19's targets
#: (4x and 3x before it).
TARGET_SEQUENTIAL = 6.0

TARGET_JOBLIB = 4.5

TARGET_PNG = 5.0  # (b) baseline-png / melcli-png

#: (a)'s rule for rounds whose runs overlapped other work: (f)'s (a run's
#: others' CPU and steal over a tenth of a CPU: the round again, at most twice,
#: at most half the rounds; the last attempt stands).
RULE = OverlapRule(share=0.10, retries=2)


def throughput(cfg: Config, dataset: Dataset) -> Outcome:
    """(a) N clips: melcli against the sequential and the joblib baseline."""
    src = dataset.clip_set(cfg.files)
    warm_page_cache(src)
    contenders = [
        Contender("baseline", baseline(src)),
        Contender("baseline-joblib", baseline(src, "--joblib")),
        Contender("melcli", melcli_mel(src)),
    ]
    rounds = cfg.throughput_rounds
    replaced: list[Attempt] = []
    timings, sanity = race(
        contenders,
        rounds,
        verify=comparer("melcli", "baseline", expected=cfg.files),
        order=lambda index: round_order(contenders, index),
        rule=RULE,
        replaced=replaced,
    )
    title = (
        f"(a) throughput: {cfg.files} files x {CLIP_SECONDS} s stereo 44.1 kHz "
        f"16-bit WAV, {len(CLASSES)} class folders, {plural(rounds, 'round')}"
    )
    outcome = batch_outcome(title, timings, files=cfg.files, sanity=sanity)
    by_round = round_by_round(timings, replaced)
    outcome.data |= by_round
    outcome.lines = [title, *by_round_table(timings, by_round, cfg.files)]
    outcome.notes = [*by_round_notes(by_round), *outcome.notes]
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


def round_order(contenders: Sequence[Contender], index: int) -> list[Contender]:
    """Round ``index``'s order: melcli in the middle, the baselines on either side.

    Each baseline runs right before or right after melcli, so each round's
    ratios set two runs back to back, at nearly one moment of the machine's;
    the two swap sides every round, so each precedes melcli in half of the
    rounds (of an even number) and follows it in the other half.
    """
    melcli = [c for c in contenders if c.name == "melcli"]
    others = [c for c in contenders if c.name != "melcli"]
    if index % 2:
        others = others[::-1]
    return [*others[:1], *melcli, *others[1:]]


def round_by_round(
    timings: dict[str, Timings], replaced: Sequence[Attempt]
) -> dict[str, Any]:
    """(a)'s ratios, round by round, and the figures beside them.

    ``ratios`` (checked): per baseline, the median over the rounds of its
    run's wall time over the same round's melcli run, the rounds as they
    stood under :data:`RULE`; ``ratio_rounds``: every round's. Beside them,
    not checked: ``ratios_of_medians_first_attempts`` (the figure checked
    until the twenty-sixth round: each contender's median apart, over every
    round's first attempt: the runs as they would be without the rule),
    ``ratios_of_medians`` (the same over the rounds that stood), and what the
    rule saw and did.
    """
    first = first_attempts(timings, replaced)
    names = [n for n in timings if n != "melcli"]
    ratio_rounds = {
        n: [
            run.seconds / m.seconds
            for run, m in zip(timings[n].runs, timings["melcli"].runs, strict=True)
        ]
        for n in names
    }
    return {
        "ratio_method": "median of per-round ratios (melcli in the middle)",
        "ratios": {n: float(statistics.median(r)) for n, r in ratio_rounds.items()},
        "ratio_rounds": ratio_rounds,
        "ratios_of_medians": {
            n: timings[n].median / timings["melcli"].median for n in names
        },
        "ratios_of_medians_first_attempts": {
            n: first[n].median / first["melcli"].median for n in names
        },
        **rule_record(timings, replaced, RULE),
    }


def by_round_table(
    timings: dict[str, Timings], by_round: dict[str, Any], files: int
) -> list[str]:
    """(a)'s table: each contender's runs, and the ratios round by round."""
    audio_seconds = files * CLIP_SECONDS
    rows = []
    for name, t in timings.items():
        rounds = by_round["ratio_rounds"].get(name)
        rows.append(
            [
                name,
                f"{t.median:.2f}",
                f"{min(t.seconds):.2f}-{max(t.seconds):.2f}",
                f"{files / t.median:.1f}",
                f"{audio_seconds / t.median:.0f}",
                f"{by_round['ratios'][name]:.2f}x" if rounds else "1.00x",
                f"{min(rounds):.2f}-{max(rounds):.2f}" if rounds else "",
                f"{by_round['ratios_of_medians_first_attempts'][name]:.2f}x"
                if rounds
                else "",
            ]
        )
    header = [
        "contender",
        "median s",
        "min-max s",
        "files/s",
        "x real time",
        "time / melcli",
        "rounds",
        "of medians",
    ]
    return table(header, rows)


def by_round_notes(by_round: dict[str, Any]) -> list[str]:
    """Lines under (a)'s table: how the ratios are taken, and the rule's doing."""
    worst = [x for x in by_round["interference_rounds"] if x is not None]
    rerun, left = by_round["rounds_rerun"], by_round["rounds_overlapped"]
    rule = by_round["overlap_rule"]
    lines = [
        "(a): 'time / melcli' (checked) is the median over the rounds of each "
        "round's run over the same round's melcli run (melcli in the middle of "
        "each round, the two loops on either side, swapping sides every round), "
        "'rounds' the lowest and highest round's; 'of medians' is the figure "
        "checked until the twenty-sixth round (each contender's median apart, "
        "every round's first attempt), from the same runs"
    ]
    if not worst:
        return [*lines, "(a): other work during the runs: not measured"]
    attempts = plural(len(by_round["attempts_replaced"]), "attempt")
    lines.append(
        "(a): others' CPU and steal, the most in any run of a round, as a share "
        f"of one CPU: median {statistics.median(worst):.0%}, highest "
        f"{max(worst):.0%}; rounds run again (a run over {rule['share']:.0%}, at "
        f"most {rule['retries']} times a round, {rule['budget']} in all): "
        + (f"{', '.join(map(str, rerun))} ({attempts} replaced)" if rerun else "none")
        + "; still over it: "
        + (", ".join(map(str, left)) if left else "none")
    )
    return lines


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

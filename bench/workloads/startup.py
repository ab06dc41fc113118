"""(c) start-up: one 1-second file, start to finish."""

from __future__ import annotations

from data import Dataset, warm_page_cache
from harness import (
    Check,
    Config,
    Contender,
    Outcome,
    baseline,
    comparer,
    melcli_mel,
    plural,
    race,
    spread_notes,
    table,
)

TARGET_STARTUP = 0.40  # (c) melcli / baseline, at most


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

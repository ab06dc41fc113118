"""(p) melcli's per-stage profile, in process."""

from __future__ import annotations

from data import Dataset, warm_page_cache
from harness import BenchError, Config, Outcome, fresh_output, table


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

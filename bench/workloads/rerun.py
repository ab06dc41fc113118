"""(r) incremental: an up-to-date re-run against the first run."""

from __future__ import annotations

from data import Dataset, warm_page_cache
from harness import (
    BenchError,
    Check,
    Config,
    Outcome,
    Timings,
    fresh_output,
    melcli_mel,
    plural,
    run_process,
    spread_notes,
    table,
)


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

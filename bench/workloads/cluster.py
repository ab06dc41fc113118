"""(k) cluster: --scheduler local (Dask) against the local pool."""

from __future__ import annotations

import math

from data import CLIP_SECONDS, Dataset, warm_page_cache
from harness import (
    BenchError,
    Check,
    Config,
    Contender,
    Outcome,
    comparer,
    melcli_mel,
    plural,
    race,
    spread_notes,
    table,
)

TARGET_CLUSTER = 0.8  # (k) Dask throughput / local pool throughput, at least


def cluster(cfg: Config, dataset: Dataset) -> Outcome:
    """(k) ``--scheduler local``: a Dask LocalCluster against the local pool.

    Both on N and N/2 files, so that each run's time splits into a fixed part
    (start-up: the pool's fork, the cluster's scheduler and worker processes)
    and a cost per file, whose difference is Dask's overhead per file.
    """
    try:
        import distributed  # noqa: F401
    except ImportError as exc:
        raise BenchError("(k) needs Dask: pip install 'melcli[dask]'") from exc
    workers = 2
    n_files = cfg.scale_files
    half = n_files // 2
    src, src_half = dataset.clip_set(n_files), dataset.clip_set(half)
    warm_page_cache(src)
    dask = ("--scheduler", "local")
    names = {
        "pool": f"pool -j {workers}, {n_files} files",
        "pool_half": f"pool -j {workers}, {half} files",
        "dask1": f"dask 1 worker, {n_files} files",
        "dask": f"dask {workers} workers, {n_files} files",
        "dask_half": f"dask {workers} workers, {half} files",
    }
    contenders = [
        Contender(names["pool"], melcli_mel(src, "-j", str(workers))),
        Contender(names["pool_half"], melcli_mel(src_half, "-j", str(workers))),
        Contender(names["dask1"], melcli_mel(src, *dask, "-j", "1")),
        Contender(names["dask"], melcli_mel(src, *dask, "-j", str(workers))),
        Contender(names["dask_half"], melcli_mel(src_half, *dask, "-j", str(workers))),
    ]
    timings, sanity = race(
        contenders,
        cfg.rounds,
        verify=comparer(
            names["dask"], names["pool"], expected=n_files, label="dask vs pool"
        ),
    )
    t = {key: timings[name].median for key, name in names.items()}
    whole = t["pool"] / t["dask"]  # files/s of the Dask run / files/s of the pool's
    pool_per_file = (t["pool"] - t["pool_half"]) / (n_files - half)
    dask_per_file = (t["dask"] - t["dask_half"]) / (n_files - half)
    pool_fixed = t["pool"] - n_files * pool_per_file
    dask_fixed = t["dask"] - n_files * dask_per_file
    marginal = pool_per_file / dask_per_file if dask_per_file > 0 else math.nan
    workers_speedup = t["dask1"] / t["dask"]
    # On a busy machine the fastest run of each is the least disturbed one.
    fastest = min(timings[names["pool"]].seconds) / min(timings[names["dask"]].seconds)
    rows = [
        [
            name,
            f"{timings[name].median:.2f}",
            f"{min(timings[name].seconds):.2f}-{max(timings[name].seconds):.2f}",
            f"{(n_files if 'half' not in key else half) / timings[name].median:.1f}",
        ]
        for key, name in names.items()
    ]
    lines = [
        f"(k) cluster: melcli --scheduler local (a Dask LocalCluster started by the "
        f"run) against the local pool, {n_files} and {half} clips, "
        f"{plural(cfg.rounds, 'round')}",
        *table(["contender", "median s", "min-max s", "files/s"], rows),
        f"fit t = fixed + n x per-file: pool fixed {pool_fixed:.2f} s, "
        f"{pool_per_file * 1000:.2f} ms/file; dask fixed {dask_fixed:.2f} s, "
        f"{dask_per_file * 1000:.2f} ms/file",
        f"Dask's overhead: {(dask_fixed - pool_fixed):.2f} s per run (cluster "
        f"start-up), {(dask_per_file - pool_per_file) * 1000:.2f} ms per file",
        f"throughput, dask / pool: whole run of {n_files} files {whole:.0%} "
        f"(fastest runs: {fastest:.0%}); per file, start-up aside {marginal:.0%}",
        f"dask {workers} workers / 1 worker speedup = {workers_speedup:.2f}x "
        f"(ideal {workers}x)",
    ]
    checks = [
        Check(
            "k",
            f"dask / pool throughput, {n_files} files",
            whole,
            f"{whole:.0%}",
            f">= {TARGET_CLUSTER:.0%}",
            whole >= TARGET_CLUSTER,
        ),
        Check(
            "k",
            "dask / pool throughput per file",
            marginal,
            f"{marginal:.0%}",
            f">= {TARGET_CLUSTER:.0%}",
            marginal >= TARGET_CLUSTER if not math.isnan(marginal) else None,
        ),
    ]
    data = {
        "workers": workers,
        "files": n_files,
        "half_files": half,
        "rounds": cfg.rounds,
        "contenders": {
            key: timings[name].as_json(
                files=n_files if "half" not in key else half,
                audio_seconds=(n_files if "half" not in key else half) * CLIP_SECONDS,
            )
            | {"label": name}
            for key, name in names.items()
        },
        "throughput_ratio": whole,
        "throughput_ratio_fastest_runs": fastest,
        "per_file_throughput_ratio": None if math.isnan(marginal) else marginal,
        "pool_fixed_seconds": pool_fixed,
        "pool_per_file_seconds": pool_per_file,
        "dask_fixed_seconds": dask_fixed,
        "dask_per_file_seconds": dask_per_file,
        "overhead_per_file_seconds": dask_per_file - pool_per_file,
        "overhead_per_run_seconds": dask_fixed - pool_fixed,
        "workers_speedup": workers_speedup,
        "sanity": sanity.as_json() if sanity else None,
    }
    notes = spread_notes(timings)
    return Outcome(data=data, checks=checks, lines=lines, sanity=sanity, notes=notes)

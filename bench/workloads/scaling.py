"""(e) scaling: -j 1 against every CPU, N/2 against N files, the ceiling."""

from __future__ import annotations

import statistics
import time

from data import CLIP_SECONDS, Dataset, warm_page_cache
from harness import (
    Check,
    Config,
    Contender,
    Outcome,
    at_once,
    available_cpus,
    comparer,
    melcli_mel,
    plural,
    race,
    spread_notes,
    table,
)

TARGET_PARALLEL_EFFICIENCY = 0.9  # (e) -j all / -j 1 >= 0.9 x CPUs (1.8 on 2)

TARGET_LINEARITY = (0.9, 1.1)  # (e) t(N) / t(N/2), relative to the ideal 2.0


def _busy_loop(n: int) -> None:
    total = 0
    for i in range(n):
        total += i


def parallel_ceiling(cpus: int, rounds: int = 3) -> float:
    """How much faster ``cpus`` processes finish ``cpus`` busy loops than one does.

    A trivially parallel pure-Python loop, no I/O, no shared memory: what the
    machine gives at best. On a machine whose CPUs are shared with others (or
    are hyperthreads of one core) it is well below ``cpus``, and no program's
    speedup can exceed it.
    """
    import multiprocessing

    def elapsed(n: int) -> float:
        start = time.perf_counter()
        procs = [
            multiprocessing.Process(target=_busy_loop, args=(5_000_000,))
            for _ in range(n)
        ]
        for proc in procs:
            proc.start()
        for proc in procs:
            proc.join()
        return time.perf_counter() - start

    ratios = [cpus * elapsed(1) / elapsed(cpus) for _ in range(rounds)]
    return statistics.median(ratios)


def scaling(cfg: Config, dataset: Dataset) -> Outcome:
    """(e) -j 1 against every CPU on N files; N/2 against N files.

    Also against one independent ``-j 1`` run per CPU on 1/CPUs of the files
    each, started together: the speedup this workload can reach on the machine.
    """
    cpus = available_cpus()
    n_files = cfg.scale_files
    half = n_files // 2
    src, src_half = dataset.clip_set(n_files), dataset.clip_set(half)
    warm_page_cache(src)
    one, every, fewer = (
        f"melcli -j 1, {n_files} files",
        f"melcli -j {cpus}, {n_files} files",
        f"melcli -j {cpus}, {half} files",
    )
    contenders = [
        Contender(one, melcli_mel(src, "-j", "1")),
        Contender(every, melcli_mel(src)),
        Contender(fewer, melcli_mel(src_half)),
    ]
    # This workload's own ceiling: one independent -j 1 run per CPU, each on
    # its share of the files, started together. They share nothing but the
    # machine (caches, memory bandwidth), so no pool can beat them.
    share = n_files // cpus
    apart = f"{cpus} x melcli -j 1 at once, {share} files each"
    if cpus > 1 and share > 0:
        # Views of src's clips (hard links): warming src warmed them too.
        parts = [dataset.clip_set(share, start=i * share) for i in range(cpus)]
        runs = [melcli_mel(part, "-j", "1") for part in parts]
        contenders.append(Contender(apart, at_once(runs)))
    label = f"melcli -j {cpus} vs -j 1"
    timings, sanity = race(
        contenders,
        cfg.rounds,
        verify=comparer(every, one, expected=n_files, label=label),
    )
    speedup = timings[one].median / timings[every].median
    growth = timings[every].median / timings[fewer].median
    ideal = n_files / half
    # Two points of t(n) = fixed + n * per_file: the run's start-up cost and
    # the marginal cost of a file, reported beside the raw ratio.
    per_file = (timings[every].median - timings[fewer].median) / (n_files - half)
    fixed = timings[every].median - n_files * per_file
    ceiling = parallel_ceiling(cpus) if cpus > 1 else 1.0
    # -j 1's time for the files the independent runs did, over theirs.
    apart_speedup = (
        timings[one].median * (share * cpus / n_files) / timings[apart].median
        if apart in timings
        else None
    )
    rows = [
        [name, f"{t.median:.2f}", f"{min(t.seconds):.2f}-{max(t.seconds):.2f}"]
        for name, t in timings.items()
    ]
    lines = [
        f"(e) scaling on the first {n_files} clips "
        f"(-j {cpus} = every CPU, the default), "
        f"{plural(cfg.rounds, 'round')}",
        *table(["contender", "median s", "min-max s"], rows),
        f"-j {cpus} / -j 1 speedup = {speedup:.2f}x (ideal {cpus}x); "
        f"time({n_files}) / time({half}) = {growth:.2f} (ideal {ideal:.2f})",
        f"fit t = fixed + n x per-file (-j {cpus}): fixed {fixed:.2f} s, "
        f"per file {per_file * 1000:.2f} ms",
        f"machine ceiling: {cpus} busy pure-Python processes run {ceiling:.2f}x as "
        f"fast as one (ideal {cpus}x); no speedup can exceed it",
    ]
    if apart_speedup is not None:
        lines.append(
            f"workload ceiling: {cpus} independent -j 1 runs at once did -j 1's work "
            f"{apart_speedup:.2f}x as fast; -j {cpus} reaches "
            f"{speedup / apart_speedup:.0%} of that"
        )
    low, high = (bound * ideal for bound in TARGET_LINEARITY)
    need = TARGET_PARALLEL_EFFICIENCY * cpus
    checks = [
        Check(
            "e",
            f"-j {cpus} / -j 1 speedup",
            speedup,
            f"{speedup:.2f}x",
            f">= {need:.1f}x",
            speedup >= need if cpus > 1 else None,
        ),
        Check(
            "e",
            f"time({n_files} files) / time({half})",
            growth,
            f"{growth:.2f}",
            f"in [{low:.1f}, {high:.1f}]",
            low <= growth <= high,
        ),
    ]
    data = {
        "cpus": cpus,
        "files": n_files,
        "half_files": half,
        "rounds": cfg.rounds,
        "contenders": {  # stable keys, whatever N and the CPU count
            key: timings[name].as_json(files=n, audio_seconds=n * CLIP_SECONDS)
            | {"label": name}
            for key, name, n in (
                ("j1", one, n_files),
                ("all_cpus", every, n_files),
                ("all_cpus_half", fewer, half),
                ("independent_j1", apart, share * cpus),
            )
            if name in timings
        },
        "speedup": speedup,
        "fixed_seconds": fixed,
        "parallel_ceiling": ceiling,
        "independent_runs_speedup": apart_speedup,
        "per_file_seconds": per_file,
        "time_ratio": growth,
        "ideal_time_ratio": ideal,
        "sanity": sanity.as_json() if sanity else None,
    }
    notes = spread_notes(timings)
    return Outcome(data=data, checks=checks, lines=lines, sanity=sanity, notes=notes)

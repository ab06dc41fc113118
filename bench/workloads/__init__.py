"""The benchmark's workloads, one module each, registered below.

A workload is a function ``(cfg, dataset) -> Outcome``: it runs its contenders
(``harness.race``), compares their outputs (``harness.comparer``) and returns
its JSON data, its target checks and its table. A new workload is a new module
in this folder and one entry in :data:`REGISTRY`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from data import Dataset
from harness import Config, Outcome

from workloads import (
    cluster,
    fbank,
    floor,
    gallery,
    long_file,
    profile,
    rerun,
    scale,
    scaling,
    startup,
    throughput,
)


@dataclass(frozen=True)
class Workload:
    """One workload: its ``--only`` key, a few words for ``--help``, its runner."""

    key: str
    title: str
    run: Callable[[Config, Dataset], Outcome]
    #: Runs on the long file: skipped by ``--skip-long``.
    long: bool = False


#: Every workload, in the order they run and are reported.
REGISTRY: tuple[Workload, ...] = (
    Workload("a", "throughput", throughput.throughput),
    Workload("b", "with --png", throughput.with_png),
    Workload("c", "one 1-second file", startup.startup),
    Workload("d", "one long file (memory, accuracy)", long_file.long_file, long=True),
    Workload("e", "scaling", scaling.scaling),
    Workload("p", "per-stage profile", profile.profile),
    Workload("r", "re-run", rerun.rerun),
    Workload("k", "Dask cluster against the local pool", cluster.cluster),
    Workload("f", "the floor (bench/workloads/floor.py)", floor.floor),
    Workload("g", "gallery of a large output", gallery.gallery),
    Workload("h", "--kind fbank on the long file", fbank.fbank_long_file, long=True),
    Workload("i", "--preset ast against AST's extractor loop", fbank.ast_throughput),
    Workload("s", "tiny files by the 10 000: no-op and touch-1 re-runs", scale.scale),
)
WORKLOADS: dict[str, Workload] = {w.key: w for w in REGISTRY}

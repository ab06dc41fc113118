"""The benchmark's report: machine facts, target checks, the JSON document."""

from __future__ import annotations

import contextlib
import importlib.metadata
import json
import math
import os
import platform
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from harness import REPO, Check, Config, available_cpus, log, table


def say(*lines: str) -> None:
    print(*lines, sep="\n", flush=True)


def machine_facts() -> dict[str, Any]:
    versions = {}
    for package in ("melcli", "librosa", "numpy", "scipy", "soundfile", "soxr"):
        try:
            versions[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            versions[package] = "not installed"
    for package in ("numba", "joblib", "matplotlib"):
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            versions[package] = importlib.metadata.version(package)
    return {
        "cpus": available_cpus(),
        "cpu_count": os.cpu_count(),
        "cpu_model": _cpu_model(),
        "memory_gib": _memory_gib(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "versions": versions,
        "melcli_commit": _git_commit(),
        "cpu_busy_at_start": (busy := _cpu_busy()),
        "warnings": _environment_warnings(busy),
    }


def _cpu_busy(seconds: float = 1.0) -> float | None:
    """The fraction of CPU time other processes used over ``seconds`` (Linux)."""

    def sample() -> tuple[int, int]:
        fields = [int(x) for x in Path("/proc/stat").read_text().split()[1:9]]
        return sum(fields), fields[3] + fields[4]  # total, idle + iowait

    try:
        total0, idle0 = sample()
        time.sleep(seconds)
        total1, idle1 = sample()
    except (OSError, ValueError):  # not Linux
        return None
    return 1 - (idle1 - idle0) / max(1, total1 - total0)


def _environment_warnings(busy: float | None) -> list[str]:
    """What about this machine makes the numbers less trustworthy."""
    warnings = []
    if busy is not None and busy > 0.1:
        warnings.append(
            f"the CPUs were {busy:.0%} busy with other work just before starting: "
            "times will be noisy (compare the min-max ranges)"
        )
    if os.environ.get("PYTHONDONTWRITEBYTECODE"):
        warnings.append(
            "PYTHONDONTWRITEBYTECODE is set: packages without cached bytecode "
            "(an editable melcli) are compiled at every start, which adds to (c)"
        )
    return warnings


def _cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _memory_gib() -> float | None:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (ValueError, OSError, AttributeError):
        return None


def _git_commit() -> str:
    try:
        commit = subprocess.run(
            ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(REPO), "status", "--porcelain", "--", "melcli"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{commit}+local changes" if dirty else commit


def facts_lines(facts: dict[str, Any]) -> list[str]:
    memory = facts["memory_gib"]
    versions = ", ".join(f"{k} {v}" for k, v in facts["versions"].items())
    return [
        "melcli benchmark",
        f"  machine: {facts['cpus']} CPUs usable ({facts['cpu_count']} online), "
        f"{facts['cpu_model']}, "
        + (f"{memory:.1f} GiB RAM" if memory else "RAM unknown"),
        f"  {facts['platform']}, Python {facts['python']}",
        f"  {versions}",
        f"  melcli commit: {facts['melcli_commit']}",
        *(f"  warning: {warning}" for warning in facts["warnings"]),
    ]


def checks_lines(checks: Sequence[Check]) -> list[str]:
    rows = [
        [f"({c.workload})", c.measure, c.shown, c.target, c.verdict] for c in checks
    ]
    return [
        "targets (ratios are baseline time / melcli time: higher = melcli faster)",
        *table(["", "measure", "value", "target", "result"], rows, left=2),
    ]


def write_json(
    path: Path,
    cfg: Config,
    facts: dict[str, Any],
    results: dict[str, Any],
    checks: Sequence[Check],
    errors: dict[str, str],
) -> None:
    document = {
        "machine": facts,
        "config": {
            "files": cfg.files,
            "png_files": cfg.png_files,
            "profile_files": cfg.profile_files,
            "rounds": cfg.rounds,
            "throughput_rounds": cfg.throughput_rounds,
            "startup_rounds": cfg.startup_rounds,
            "floor_rounds": cfg.floor_rounds,
            "long_minutes": cfg.long_minutes,
            "floor_files": cfg.floor_files,
            "floor_wav_files": cfg.floor_wav_files,
            "short_files": cfg.short_files,
            "floor_only": list(cfg.floor_only),
            "gallery_files": cfg.gallery_files,
            "workloads": list(cfg.workloads),
            "skip_long": cfg.skip_long,
            "skip_reference": cfg.skip_reference,
            "quick": cfg.quick,
            "data": str(cfg.data),
        },
        "workloads": {k: v for k, v in results.items() if k != "p"},
        "profile": results.get("p"),
        "checks": [
            {
                "workload": c.workload,
                "measure": c.measure,
                "value": None if math.isnan(c.value) else c.value,
                "target": c.target,
                "passed": c.passed,
            }
            for c in checks
        ],
        "errors": errors,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2) + "\n")
    log(f"wrote {path}")

"""Workload (s) of the bench: the re-run after the build is not a no-op round.

The first re-run after a first run flips every entry's status (``written`` to
``up-to-date``): a cost of the build, paid once. Counted among the no-op's
three rounds, it made the median the slower of the two others. The runs are
faked here (no melcli is started): what is checked is which run goes where.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest
from conftest import bench_module


@pytest.fixture
def scale(monkeypatch: pytest.MonkeyPatch) -> Any:
    return bench_module(monkeypatch, "workloads.scale")


def _config(scale: Any, tmp_path: Path) -> Any:
    h = scale.h
    return h.Config(
        data=tmp_path,
        files=1,
        scale_files=1,
        png_files=1,
        profile_files=1,
        rounds=3,
        startup_rounds=1,
        long_minutes=1,
        floor_files=1,
        short_files=1,
        gallery_files=1,
        workloads=("s",),
        skip_long=False,
        skip_reference=False,
        json_path=None,
        quick=True,
        scale_sizes=(20, 40),
    )


def test_the_re_run_after_the_build_is_shown_apart_from_the_no_op_rounds(
    scale: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    h = scale.h
    monkeypatch.setattr(scale.tempfile, "mkdtemp", lambda prefix: str(tmp_path))
    # Per OUT: the build (10 s), the re-run that flips (5 s, 300 MB), then
    # re-runs of 1.0, 1.2, 1.1, 1.3... s (no-ops and touch-1 in turn).
    runs: dict[str, int] = {}
    steady = itertools.cycle([1.0, 1.2, 1.1, 1.3, 1.0, 1.2, 1.1, 1.3])

    def run_process(argv: list[str]) -> Any:
        if "mel" not in argv:  # the floor
            return h.ProcessRun(seconds=0.5, peak_rss_bytes=10**7)
        out = Path(argv[argv.index("-o") + 1])
        out.mkdir(parents=True, exist_ok=True)
        (out / "manifest.jsonl").touch()
        k = runs[str(out)] = runs.get(str(out), 0) + 1
        if k == 1:
            return h.ProcessRun(seconds=10.0, peak_rss_bytes=10**8)
        if k == 2:
            return h.ProcessRun(seconds=5.0, peak_rss_bytes=3 * 10**8)
        return h.ProcessRun(seconds=next(steady), peak_rss_bytes=10**8)

    monkeypatch.setattr(h, "run_process", run_process)

    outcome = scale.scale(_config(scale, tmp_path), dataset=None)

    side = outcome.data["sides"]["melcli"]["40"]
    assert side["after_build"]["seconds"] == [5.0]
    assert 5.0 not in side["noop"]["seconds"]
    assert len(side["noop"]["seconds"]) == 3
    assert side["noop_over_floor"] == side["noop"]["median_seconds"] / 0.5
    assert side["after_build_over_floor"] == 10.0
    checks = {c.measure: c for c in outcome.checks}
    assert checks["no-op / floor at 40"].value == side["noop_over_floor"]
    # Its memory still counts as a no-op's: the target is not eased.
    assert checks["no-op peak RSS at 40, MB"].value == 300.0
    assert any("after build" in line for line in outcome.lines)

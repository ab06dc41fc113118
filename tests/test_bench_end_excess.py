"""Workload (f) of the bench: each end's excess per extra file (twenty-sixth round).

A run's time before its steady window (start to the window's first output)
and after it (the window's last output to the end), less the round's pace
times the outputs there, is that end's excess; the N run's less the N/2
run's, over the N/2 more files, is printed for each melcli contender, and a
warning when -j 2's exceeds -j 1's by more than 2% of the pace (each as a
share of its own). The runs are faked: what is checked is the arithmetic
and the lines, nothing timed.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
from conftest import bench_module, fake_floor_machine


@pytest.fixture
def floor(monkeypatch: pytest.MonkeyPatch) -> Any:
    return bench_module(monkeypatch, "workloads.floor")


def run(
    n: int, pace: float, *, first: float, after: float, tail_pace: float | None = None
) -> Any:
    """``n`` outputs ``pace`` apart from ``first`` on; the last tenth
    ``tail_pace`` apart (default ``pace``); the run ends ``after`` the last."""
    h = sys.modules["harness"]
    k = n // 10
    times = [first]
    for i in range(1, n):
        times.append(times[-1] + (tail_pace or pace if i >= n - k else pace))
    done = h.Completions(0, times[-1] + after, tuple(times))
    return h.ProcessRun(done.end, 10**7, done.end, outputs=done)


def timings(slow_tail: bool) -> dict[str, Any]:
    """-j 1 at 4 ms a file, -j 2 at 2 ms; N = 1000, N/2 = 500, two rounds.

    -j 1: 0.1 s more before the first output and 0.05 s more after the last
    on N files. -j 2: with ``slow_tail``, its N run's last tenth 3 ms apart.
    """
    h = sys.modules["harness"]
    j2_tail = 0.003 if slow_tail else None
    runs = {
        "j1": run(1000, 0.004, first=0.5, after=0.25),
        "j1-half": run(500, 0.004, first=0.4, after=0.2),
        "j2": run(1000, 0.002, first=0.6, after=0.3, tail_pace=j2_tail),
        "j2-half": run(500, 0.002, first=0.6, after=0.3),
    }
    return {k: h.Timings([r, r]) for k, r in runs.items()}


def test_each_ends_excess_per_extra_file(floor: Any) -> None:
    excess = floor.end_excess(timings(slow_tail=True), 500)

    # -j 1: 0.1 s and 0.05 s more at the ends for 500 more files.
    assert excess["j1"]["head"] == pytest.approx(0.2)
    assert excess["j1"]["tail"] == pytest.approx(0.1)
    assert excess["j1"]["pace"] == pytest.approx(4.0)
    # -j 2: its last 100 outputs 1 ms a file slower than its pace: 0.1 s.
    assert excess["j2"]["head"] == pytest.approx(0.0, abs=1e-9)
    assert excess["j2"]["tail"] == pytest.approx(0.2)
    assert excess["j2"]["pace"] == pytest.approx(2.0)
    assert excess["j2"]["tail_rounds"] == pytest.approx([0.2, 0.2])

    lines = floor.excess_notes("whisper", excess)

    assert "j1 head 0.200 ms, tail 0.100 ms (pace 4.000 ms)" in lines[0]
    assert "j2 head 0.000 ms, tail 0.200 ms (pace 2.000 ms)" in lines[0]
    # -j 2's tail: 10% of its pace against -j 1's 2.5%: warned; the head not.
    (warning,) = lines[1:]
    assert warning.startswith("warning: (f) whisper: -j 2's tail excess")
    assert "by 7.5% of the pace" in warning


def test_no_warning_where_j2s_ends_cost_no_more_than_j1s(floor: Any) -> None:
    excess = floor.end_excess(timings(slow_tail=False), 500)

    assert excess["j2"]["tail"] == pytest.approx(0.0, abs=1e-9)
    lines = floor.excess_notes("whisper", excess)
    assert len(lines) == 1
    assert not any(line.startswith("warning") for line in lines)
    h = sys.modules["harness"]
    bare = {k: h.Timings([h.ProcessRun(1.0, 1, 1.0)]) for k in ("j1", "j1-half")}
    assert floor.end_excess(bare, 500) == {}
    assert floor.excess_notes("whisper", {}) == []


def test_the_floor_workload_prints_and_keeps_the_excess(
    floor: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    h = sys.modules["harness"]
    src, half = tmp_path / "n200", tmp_path / "n100"
    for folder in (src, half):
        folder.mkdir()
        (folder / "a.wav").touch()
    work = floor.Workload("whisper", "200 files", src, half, 200, (), False)
    fake_floor_machine(floor, monkeypatch, work, cpus=2, samplerate=16000)
    clock = [1_700_000_000 * 10**9]

    def run_process(argv: list[str]) -> Any:
        n = 200 if str(src) in argv else 100
        if str(floor.FLOOR_SCRIPT) in argv:
            times = np.full((n, len(floor.STAGES)), 0.001)
            np.save(argv[argv.index("--times") + 1], times)
            return h.ProcessRun(0.2 + n * 0.012, 10**7, 0.2 + n * 0.012)
        out = Path(argv[argv.index("-o") + 1])
        pace = 0.004 if argv[argv.index("-j") + 1] == "1" else 0.002
        # -j 2's N run: its last 20 outputs 2 ms a file slower.
        slow = pace == 0.002 and n == 200
        stamps = [
            0.3 + pace * i + (0.002 * (i - 179) if slow and i >= 180 else 0)
            for i in range(n)
        ]
        for i, t in enumerate(stamps):
            path = out / f"f{i}.npy"
            path.touch()
            stamp = clock[0] + round(t * 1e9)
            os.utime(path, ns=(stamp, stamp))
        seconds = stamps[-1] + 0.1
        clock[0] += round(seconds * 1e9)
        return h.ProcessRun(seconds, 10**7, seconds)

    monkeypatch.setattr(h, "run_process", run_process)
    monkeypatch.setattr(h, "time", SimpleNamespace(time_ns=lambda: clock[0]))
    cfg = SimpleNamespace(floor_files=200, short_files=200, floor_rounds=2)

    outcome = floor.floor(cfg, dataset=None)

    excess = outcome.data["workloads"]["whisper"]["excess_ms_per_extra_file"]
    # 20 outputs 2 ms slower each: 0.04 s over 100 more files.
    assert excess["j2"]["tail"] == pytest.approx(0.4, rel=1e-3)
    assert excess["j1"]["tail"] == pytest.approx(0.0, abs=1e-3)
    assert any("each end's excess per extra file" in n for n in outcome.notes)
    assert any(n.startswith("warning: (f) whisper: -j 2's tail") for n in outcome.notes)

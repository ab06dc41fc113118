"""Workload (f) of the bench: -j 2 / -j 1 from each run's steady window.

After each run the harness reads its outputs' mtimes (their completion
times); a run's steady window leaves out the first and the last tenth of its
outputs (start-up, tail). Each round's ratio is the contenders' time per
file in their windows (N and N/2 runs pooled). The runs are faked here: what
is checked is the arithmetic, which outputs count, and that the figure by
differences is still there beside it.
"""

from __future__ import annotations

import os
import statistics
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


def steady_times(
    n: int, per_file: float, *, head: float, tail: float
) -> tuple[float, ...]:
    """``n`` completions: a slow first tenth, a steady middle, a slow last tenth."""
    k = n // 10
    times = [head * (i + 1) / k for i in range(k)]
    start = times[-1] + per_file
    times += [start + per_file * i for i in range(n - 2 * k)]
    end = times[-1]
    times += [end + tail * (i + 1) / k for i in range(k)]
    return tuple(times)


def test_the_window_leaves_out_the_first_and_last_tenth(floor: Any) -> None:
    h = sys.modules["harness"]
    quick = h.Completions(0, 9.0, steady_times(100, 0.005, head=0.3, tail=0.1))
    slow = h.Completions(0, 99.0, steady_times(100, 0.005, head=5.0, tail=40.0))

    # From the 11th completion to the 90th: 79 completions after the first.
    assert quick.window() == pytest.approx((79, 79 * 0.005))
    # However long the start-up and the tail: the same window.
    assert slow.window() == pytest.approx(quick.window())
    # A whole-run rate would differ by an order of magnitude.
    assert slow.times[-1] / quick.times[-1] > 10
    assert h.Completions(0, 1.0, (0.1, 0.2)).window() is None
    assert h.Completions(0, 1.0, (0.5,) * 50).window() is None  # no time


def test_completions_are_the_outputs_mtimes_in_every_subfolder(
    floor: Any, tmp_path: Path
) -> None:
    h = sys.modules["harness"]
    start = 1_700_000_000 * 10**9
    stamps = {"part0/a/x.npy": 3, "part1/b/y.npy": 1, "part0/z.npy": 2}
    for rel, seconds in {**stamps, "manifest.jsonl": 9, "part1/y.png": 8}.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch()
        os.utime(path, ns=(start, start + seconds * 10**9))

    done = h.completions(tmp_path, ".npy", start, start + 4 * 10**9)

    assert done.times == (1.0, 2.0, 3.0)  # sorted, .npy only, both parts
    assert done.end == 4.0
    record = done.as_json()
    assert record["outputs"] == 3
    assert record["deciles_seconds"][0] == 1.0
    assert record["deciles_seconds"][-1] == 3.0


def completions(
    h: Any, n: int, pace: float, *, first: float, after: float, episode: float = 0.0
) -> Any:
    """``n`` outputs at ``pace`` from ``first`` on, the run ending ``after`` the last.

    ``episode`` seconds are lost after the 2nd output (inside the first tenth).
    """
    times = tuple(first + pace * i + (episode if i >= 2 else 0.0) for i in range(n))
    return h.Completions(0, times[-1] + after, times)


def run(h: Any, outputs: Any) -> Any:
    return h.ProcessRun(outputs.end, 10**7, outputs.end, outputs=outputs)


def test_the_time_per_file_is_the_pace_plus_what_more_files_add_at_the_edges(
    floor: Any,
) -> None:
    h = sys.modules["harness"]
    # Discovery of 500 more files: 0.1 s more before the first output; the
    # manifest at the end 0.05 s more; the pace 4 ms in both runs.
    whole = run(h, completions(h, 1000, 0.004, first=0.5, after=0.25))
    half = run(h, completions(h, 500, 0.004, first=0.4, after=0.2))

    assert floor.steady_per_file(whole, half) == pytest.approx(0.004 + 0.15 / 500)
    # Start-up both runs pay once cancels: the same figure 2 s later.
    late = run(h, completions(h, 1000, 0.004, first=2.5, after=0.25))
    later = run(h, completions(h, 500, 0.004, first=2.4, after=0.2))
    assert floor.steady_per_file(late, later) == pytest.approx(0.004 + 0.15 / 500)
    # An episode among the first tenth of the outputs: outside the pace and
    # the edges, where a difference of the runs' whole times takes it all.
    slowed = run(h, completions(h, 1000, 0.004, first=0.5, after=0.25, episode=1.5))
    assert floor.steady_per_file(slowed, half) == pytest.approx(0.004 + 0.15 / 500)
    assert (slowed.seconds - half.seconds) / 500 > 0.006
    assert floor.steady_per_file(half, whole) is None  # N/2 wrote more
    assert floor.steady_per_file(h.ProcessRun(1.0, 1, 1.0), half) is None


def test_each_round_pools_its_n_and_half_runs_steady_windows(floor: Any) -> None:
    h = sys.modules["harness"]
    # -j 1's pace 4 ms (N) and 4.4 ms (N/2), -j 2's 2 ms; episodes in the
    # runs' first tenth make the differences swing.
    t = {
        "j1": h.Timings(
            [
                run(h, completions(h, 1000, 0.004, first=0.5, after=0.2)),
                run(h, completions(h, 1000, 0.004, first=0.5, after=0.2, episode=2)),
            ]
        ),
        "j1-half": h.Timings(
            [run(h, completions(h, 500, 0.0044, first=0.5, after=0.2))] * 2
        ),
        "j2": h.Timings(
            [
                run(h, completions(h, 1000, 0.002, first=0.7, after=0.3, episode=1)),
                run(h, completions(h, 1000, 0.002, first=0.7, after=0.3)),
            ]
        ),
        "j2-half": h.Timings(
            [run(h, completions(h, 500, 0.002, first=0.7, after=0.3))] * 2
        ),
    }

    steady = floor.steady_ratios(t, "j1", "j2")
    old = floor.round_ratios(t, "j1", "j2", floor.wall)

    # N: 799 completions in the window, N/2: 399; pooled per file.
    j1 = (799 * 0.004 + 399 * 0.0044) / (799 + 399)
    assert steady == pytest.approx([j1 / 0.002, j1 / 0.002])
    assert old[0] < 1.2
    assert old[1] > 3.5
    no_outputs = {k: h.Timings([h.ProcessRun(1.0, 1, 1.0)] * 2) for k in t}
    assert floor.steady_ratios(no_outputs, "j1", "j2") is None


def test_the_floor_workload_checks_the_steady_figure_and_shows_the_old(
    floor: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    h = sys.modules["harness"]
    src, half = tmp_path / "n120", tmp_path / "n60"
    for folder in (src, half):
        folder.mkdir()
        (folder / "a.wav").touch()
    work = floor.Workload("wav", "120 clips", src, half, 120, (), False)
    fake_floor_machine(floor, monkeypatch, work, cpus=2, samplerate=44100)
    # Each round, an episode of its own in one run; paces steady.
    episode = [0.0, 1.5, 0.0, 0.8]
    calls: list[list[str]] = []

    def run_process(argv: list[str]) -> Any:
        calls.append(argv)
        r = (len(calls) - 1) // 6
        n = 120 if str(src) in argv else 60
        out = Path(argv[argv.index("-o") + 1]) if "-o" in argv else None
        if str(floor.FLOOR_SCRIPT) in argv:
            np.save(
                argv[argv.index("--times") + 1],
                np.full((n, len(floor.STAGES)), 0.001),
            )
            return h.ProcessRun(0.2 + n * 0.012, 10**7, 0.2 + n * 0.012)
        j = argv[argv.index("-j") + 1]
        pace = 0.02 if j == "1" else 0.011
        late = episode[r] if (j, n) == (("1", 120) if r == 1 else ("2", 120)) else 0
        now = clock[0]
        assert out is not None
        for i in range(n):  # the episode after the second output
            path = out / f"f{i}.npy"
            path.touch()
            stamp = now + round((0.3 + pace * i + (late if i >= 2 else 0)) * 1e9)
            os.utime(path, ns=(stamp, stamp))
        seconds = 0.3 + pace * n + late
        clock[0] += round(seconds * 1e9)
        return h.ProcessRun(seconds, 10**7, seconds)

    monkeypatch.setattr(h, "run_process", run_process)
    # The wall clock the harness reads around each run: the runs' own.
    clock = [1_700_000_000 * 10**9]
    monkeypatch.setattr(h, "time", SimpleNamespace(time_ns=lambda: clock[0]))
    cfg = SimpleNamespace(floor_files=120, short_files=600, floor_rounds=4)

    outcome = floor.floor(cfg, dataset=None)

    w = outcome.data["workloads"]["wav"]
    # Checked since the twenty-eighth round: each side's least; the paces
    # are steady here, so it is the rounds' figure too.
    assert w["j2_speedup_method"] == "least"
    assert w["j2_speedup_median_of_rounds"] == pytest.approx(0.02 / 0.011, rel=1e-6)
    assert w["j2_speedup_rounds"] == pytest.approx([0.02 / 0.011] * 4, rel=1e-6)
    checks = {c.measure: c for c in outcome.checks}
    assert checks["wav: -j 2 / -j 1"].value == w["j2_speedup"]
    # By differences, the episodes move the rounds they are in.
    old = w["j2_speedup_by_differences_rounds"]
    assert old[0] == pytest.approx(0.02 / 0.011)
    assert old[1] > 2.5
    assert old[3] < 1.0
    assert w["j2_speedup_by_differences"] == pytest.approx(statistics.median(old))
    assert w["wall_ms_per_file"]["j1"]["steady"] == pytest.approx(20, rel=1e-6)
    j1_outputs = w["contenders"]["j1"]["outputs"]
    assert [o["outputs"] for o in j1_outputs] == [120] * 4
    shown = f"{w['j2_speedup_by_differences']:.2f}x"
    at = next(i for i, line in enumerate(outcome.lines) if "-j 2 / -j 1 by" in line)
    assert outcome.lines[at].rstrip().endswith("-j 2 / -j 1 by N - N/2")
    assert outcome.lines[at + 2].rstrip().endswith(shown)
    assert any("by differences" in n and shown in n for n in outcome.notes)


def test_every_run_is_probed_before_and_after(floor: Any) -> None:
    h = sys.modules["harness"]
    try:
        run = h.run_process([sys.executable, "-c", "pass"])
    finally:
        for spawner in h._spawners:  # it ends at the end of its input
            spawner.communicate()
        h._spawners.clear()

    assert run.probe is not None
    before, after = run.probe
    assert 0 < before < 1
    assert 0 < after < 1
    record = h.Timings([run]).as_json(files=1, audio_seconds=1.0)
    assert record["probe_cpu_seconds"] == [run.probe]
    assert record["outputs"] == [None]


def test_the_probe_is_shown_under_the_table(floor: Any) -> None:
    h = sys.modules["harness"]
    probes = {"j1": (0.007, 0.009), "j2": (0.012, 0.008), "floor": (0.1, 0.1)}
    t = {k: h.Timings([h.ProcessRun(1.0, 1, 1.0, probe=p)]) for k, p in probes.items()}

    (line,) = floor.probe_notes("whisper", t)

    # melcli's runs only (not the floor program's): 7, 8, 9 and 12 ms.
    assert "median 8.5, 7.0-12.0" in line
    assert (
        floor.probe_notes("whisper", {"j1": h.Timings([h.ProcessRun(1, 1, 1)])}) == []
    )

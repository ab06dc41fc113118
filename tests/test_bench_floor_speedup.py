"""Workload (f) of the bench: -j 2 / -j 1 taken round by round.

Each round's four melcli runs (-j 1 and -j 2 on N and N/2 files) run back to
back and give their own ratio; the figure is the median over the rounds,
shown with the lowest and highest. The runs are faked here (no melcli is
started): what is checked is the arithmetic and which run goes where.
"""

from __future__ import annotations

import math
import statistics
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
from conftest import bench_module, fake_floor_machine

BENCH = Path(__file__).resolve().parents[1] / "bench"


@pytest.fixture
def floor(monkeypatch: pytest.MonkeyPatch) -> Any:
    return bench_module(monkeypatch, "workloads.floor")


def timings(floor: Any, **seconds: list[float]) -> dict[str, Any]:
    """Timings per contender from its runs' wall times (CPU time: half of each)."""
    h = sys.modules["harness"]
    return {
        name: h.Timings([h.ProcessRun(s, 10**7, s / 2) for s in runs])
        for name, runs in seconds.items()
    }


def test_each_round_gives_its_own_ratio_of_what_the_more_files_add(
    floor: Any,
) -> None:
    t = timings(
        floor,
        j1=[2.1, 2.6, 2.0],
        **{"j1-half": [1.2, 1.4, 1.1]},
        j2=[1.22, 1.5, 1.3],
        **{"j2-half": [0.86, 0.9, 0.8]},
    )

    ratios = floor.round_ratios(t, "j1", "j2", floor.wall)

    expected = [(2.1 - 1.2) / (1.22 - 0.86), (2.6 - 1.4) / (1.5 - 0.9), 0.9 / 0.5]
    assert ratios == pytest.approx(expected)
    # By CPU time, the other way round (-j 2's cost over -j 1's): halves here.
    cpu = floor.round_ratios(t, "j2", "j1", floor.cpu)
    assert cpu == pytest.approx([1 / r for r in expected])


def test_a_slower_round_slows_both_sides_alike(floor: Any) -> None:
    # Per-file costs 20 ms at -j 1, 10 ms at -j 2 (start-ups 0.3 and 0.4 s),
    # every run of a round slowed by that round's factor: each round says 2.
    slow = [1.0, 1.3, 0.8, 1.25, 1.1]

    def runs(start: float, per_file: float, n: int) -> list[float]:
        return [f * (start + n * per_file) for f in slow]

    t = timings(
        floor,
        j1=runs(0.3, 0.02, 120),
        **{"j1-half": runs(0.3, 0.02, 60)},
        j2=runs(0.4, 0.01, 120),
        **{"j2-half": runs(0.4, 0.01, 60)},
    )

    ratios = floor.round_ratios(t, "j1", "j2", floor.wall)

    assert ratios == pytest.approx([2.0] * len(slow))
    assert floor.median_ratio(ratios) == pytest.approx(2.0)


def test_the_median_keeps_every_round_the_low_ones_too(floor: Any) -> None:
    # No least or best run is picked: a round in which -j 2 gained nothing
    # over -j 1, or in which -j 1's N files took no longer than its N/2,
    # counts as what it says.
    assert floor.median_ratio([1.9, 2.1, 1.5]) == 1.9
    assert floor.median_ratio([1.9, 2.1, 1.5, 1.7]) == pytest.approx(1.8)
    assert floor.median_ratio([2.0, -0.2, 1.0]) == 1.0
    # -j 2's N files no longer than its N/2 while -j 1's were: an infinite
    # ratio, the highest round, not a round left out.
    t = timings(
        floor,
        j1=[2.0, 2.0, 2.0],
        **{"j1-half": [1.0, 1.0, 1.0]},
        j2=[1.5, 1.0, 1.6],
        **{"j2-half": [1.0, 1.1, 1.0]},
    )
    ratios = floor.round_ratios(t, "j1", "j2", floor.wall)
    assert ratios[1] == math.inf
    assert floor.median_ratio(ratios) == pytest.approx(1.0 / 0.5)  # not 1.83


def test_no_figure_when_a_round_fits_nothing(floor: Any) -> None:
    t = timings(
        floor,
        j1=[2.0, 1.0],
        **{"j1-half": [1.0, 1.2]},
        j2=[1.5, 0.9],
        **{"j2-half": [1.0, 1.0]},
    )
    ratios = floor.round_ratios(t, "j1", "j2", floor.wall)
    assert math.isnan(ratios[1])
    assert floor.median_ratio(ratios) is None
    assert floor.median_ratio([]) is None


def test_the_four_melcli_runs_of_a_round_run_back_to_back_in_turn(
    floor: Any,
) -> None:
    h = sys.modules["harness"]
    names = ["floor", "floor-half", "j1", "j1-half", "j2", "j2-half"]
    contenders = [h.Contender(n, lambda out: []) for n in names]

    orders = [[c.name for c in floor.round_order(contenders, i)] for i in range(8)]

    quad = ["j1", "j1-half", "j2", "j2-half"]
    for i, order in enumerate(orders):
        assert sorted(order) == sorted(names)
        assert sorted(order[:4]) == sorted(quad)  # back to back, first
        assert order[4:] == (["floor", "floor-half"], ["floor-half", "floor"])[i % 2]
    # Each of the four takes each place once in four rounds.
    for place in range(4):
        assert sorted(o[place] for o in orders[:4]) == sorted(quad)
        assert [o[place] for o in orders[:4]] == [o[place] for o in orders[4:]]


def test_the_race_runs_in_the_order_given_and_keeps_rounds_apart(
    floor: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    h = sys.modules["harness"]
    ran: list[str] = []

    def run_process(argv: list[str]) -> Any:
        ran.append(argv[0])
        return h.ProcessRun(float(len(ran)), 10**7, 0.0)

    monkeypatch.setattr(h, "run_process", run_process)
    contenders = [h.Contender(n, lambda out, n=n: [n]) for n in ("a", "b", "c")]

    timings, _ = h.race(contenders, 2, order=lambda i: contenders[::-1])

    assert ran == ["c", "b", "a", "c", "b", "a"]
    assert timings["a"].seconds == [3.0, 6.0]  # runs[i]: round i's
    with pytest.raises(h.BenchError):
        h.race(contenders, 1, order=lambda i: contenders[:2])


def test_the_floor_workload_checks_the_median_of_the_rounds(
    floor: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    h = sys.modules["harness"]
    src, half = tmp_path / "n120", tmp_path / "n60"
    for folder in (src, half):
        folder.mkdir()
        (folder / "a.wav").touch()
    work = floor.Workload("wav", "120 clips", src, half, 120, (), False)
    fake_floor_machine(floor, monkeypatch, work, cpus=2, samplerate=44100)
    # Round by round, -j 1's runs are slowed by one factor, -j 2's by another.
    slow_j1 = [1.0, 1.3, 0.9, 1.2, 1.0]
    slow_j2 = [0.9, 1.0, 1.2, 1.5, 0.8]
    calls: list[list[str]] = []

    def run_process(argv: list[str]) -> Any:
        calls.append(argv)
        r = (len(calls) - 1) // 6
        n = 120 if str(src) in argv else 60
        if str(floor.FLOOR_SCRIPT) in argv:
            s = 0.2 + n * 0.012
            times = np.full((n, len(floor.STAGES)), 0.001)
            np.save(argv[argv.index("--times") + 1], times)
        elif argv[argv.index("-j") + 1] == "1":
            s = slow_j1[r] * (0.3 + n * 0.02)
        else:
            s = slow_j2[r] * (0.4 + n * 0.011)
        return h.ProcessRun(s, 10**7, s)

    monkeypatch.setattr(h, "run_process", run_process)
    cfg = SimpleNamespace(floor_files=120, short_files=600, floor_rounds=5)

    outcome = floor.floor(cfg, dataset=None)

    assert len(calls) == 30
    per_round = [
        (a * 60 * 0.02) / (b * 60 * 0.011)
        for a, b in zip(slow_j1, slow_j2, strict=True)
    ]
    w = outcome.data["workloads"]["wav"]
    assert outcome.data["rounds"] == 5
    assert w["j2_speedup_rounds"] == pytest.approx(per_round)
    assert w["j2_speedup"] == pytest.approx(statistics.median(per_round))
    assert w["j2_speedup_low"] == pytest.approx(min(per_round))
    assert w["j2_speedup_high"] == pytest.approx(max(per_round))
    # The earlier figure, from the same runs: each side's medians apart.
    j1 = statistics.median(slow_j1) * 60 * 0.02
    j2 = statistics.median(slow_j2) * 60 * 0.011
    assert w["j2_speedup_of_medians"] == pytest.approx(j1 / j2)
    assert w["j2_speedup_of_medians"] != pytest.approx(w["j2_speedup"])
    checks = {c.measure: c for c in outcome.checks}
    assert checks["wav: -j 2 / -j 1"].value == w["j2_speedup"]
    spread = f"{min(per_round):.2f}-{max(per_round):.2f}"
    assert any(spread in line for line in outcome.lines)


def test_the_rounds_of_f_are_an_option_of_their_own(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.syspath_prepend(str(BENCH))
    for name in ("harness", "data", "report", "workloads", "bench"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    import bench

    assert bench.parse_args([]).floor_rounds == 8
    assert bench.parse_args(["--quick"]).floor_rounds == 1
    cfg = bench.parse_args(["--floor-rounds", "4", "--rounds", "2"])
    assert (cfg.floor_rounds, cfg.rounds) == (4, 2)
    with pytest.raises(SystemExit):
        bench.parse_args(["--floor-rounds", "0"])

"""Workload (f) of the bench: the control beside -j 2 / -j 1.

Two independent ``melcli -j 1`` runs started together, each on half of the
files (on N: halves; on N/2: quarters), race in the same rounds as -j 1 and
-j 2 and are taken the same way (N less N/2, round by round): their speed
over -j 1's is the machine's own two-process ratio on the workload, and -j 2's
speed is shown as a share of it. The runs are faked here (no melcli is
started): what is checked is the arithmetic, the order of the runs, the
folders each run gets and what the table and the JSON say.
"""

from __future__ import annotations

import os
import re
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


def timings(**runs: list[tuple[float, float]]) -> dict[str, Any]:
    """Timings per contender from its runs' (wall, CPU) seconds."""
    h = sys.modules["harness"]
    return {
        name: h.Timings([h.ProcessRun(s, 10**7, c) for s, c in each])
        for name, each in runs.items()
    }


def test_the_control_is_taken_round_by_round_as_the_speedup_is(floor: Any) -> None:
    # 60 more files; -j 1 20 ms a file, -j 2 11 ms, the pair (two -j 1 at
    # once, 30 more files each) 22 ms a file in each process; every round
    # slows each contender by a factor of its own.
    a, b, c = [1.0, 1.3, 0.9], [0.9, 1.0, 1.2], [1.1, 0.8, 1.0]

    def runs(slow: list[float], start: float, n: int, per_file: float, cpus: int):
        return [(f * (start + n * per_file), cpus * f * n * per_file) for f in slow]

    t = timings(
        j1=runs(a, 0.3, 120, 0.02, 1),
        **{"j1-half": runs(a, 0.3, 60, 0.02, 1)},
        j2=runs(b, 0.4, 120, 0.011, 2),
        **{"j2-half": runs(b, 0.4, 60, 0.011, 2)},
        pair=runs(c, 0.35, 60, 0.022, 2),
        **{"pair-half": runs(c, 0.35, 30, 0.022, 2)},
    )

    control = floor.pair_control(t, 60)

    d_j1 = [f * 60 * 0.02 for f in a]
    d_j2 = [f * 60 * 0.011 for f in b]
    d_pair = [f * 30 * 0.022 for f in c]  # each of the two: 30 more files
    ceiling = [x / y for x, y in zip(d_j1, d_pair, strict=True)]
    share = [y / z for y, z in zip(d_pair, d_j2, strict=True)]
    assert control["pair_speedup_rounds"] == pytest.approx(ceiling)
    assert control["pair_speedup"] == pytest.approx(statistics.median(ceiling))
    assert control["pair_speedup_low"] == pytest.approx(min(ceiling))
    assert control["pair_speedup_high"] == pytest.approx(max(ceiling))
    # -j 2 as a share of the pair, round by round: -j 1 is not in it.
    assert control["j2_of_pair_rounds"] == pytest.approx(share)
    assert control["j2_of_pair"] == pytest.approx(statistics.median(share))
    assert share == pytest.approx([z / y for z, y in zip(c, b, strict=True)])
    # CPU per file, as j2_cpu_over_j1: medians of runs, N less N/2.
    cpu_pair = 2 * statistics.median(c) * 30 * 0.022
    cpu_j1 = statistics.median(a) * 60 * 0.02
    assert control["pair_cpu_over_j1"] == pytest.approx(cpu_pair / cpu_j1)
    assert control["pair_cpu_over_j1_rounds"] == pytest.approx(
        [2 * y / x for x, y in zip(d_j1, d_pair, strict=True)]
    )


def test_the_start_ups_of_the_pair_cancel(floor: Any) -> None:
    # Two processes of 0.3 s start-up side by side, 20 ms a file each, at the
    # speed of one alone: the pair is twice -j 1, whatever the start-up.
    for start in (0.1, 0.3, 0.9):
        t = timings(
            j1=[(0.3 + 120 * 0.02, 0)],
            **{"j1-half": [(0.3 + 60 * 0.02, 0)]},
            j2=[(0.4 + 60 * 0.02, 0)],
            **{"j2-half": [(0.4 + 30 * 0.02, 0)]},
            pair=[(start + 60 * 0.02, 0)],
            **{"pair-half": [(start + 30 * 0.02, 0)]},
        )
        control = floor.pair_control(t, 60)
        assert control["pair_speedup"] == pytest.approx(2.0)
        assert control["j2_of_pair"] == pytest.approx(1.0)
        assert control["pair_cpu_over_j1"] is None  # no CPU time to fit


def test_a_round_the_pair_cannot_fit_is_kept_not_dropped(floor: Any) -> None:
    # The pair's N run no longer than its N/2 while -j 1's grew: infinite,
    # the highest round (null in the JSON), and the median counts it.
    t = timings(
        j1=[(2.0, 0), (2.0, 0), (2.0, 0)],
        **{"j1-half": [(1.0, 0), (1.0, 0), (1.0, 0)]},
        j2=[(1.5, 0), (1.5, 0), (1.5, 0)],
        **{"j2-half": [(1.0, 0), (1.0, 0), (1.0, 0)]},
        pair=[(1.4, 0), (1.0, 0), (1.6, 0)],
        **{"pair-half": [(1.0, 0), (1.1, 0), (1.0, 0)]},
    )
    control = floor.pair_control(t, 60)
    assert control["pair_speedup_rounds"] == pytest.approx([2.5, None, 1 / 0.6])
    assert control["pair_speedup"] == pytest.approx(2.5)
    assert control["pair_speedup_high"] is None
    assert control["pair_speedup_low"] == pytest.approx(1 / 0.6)
    note = floor.control_notes("wav", control)
    assert len(note) == 1
    assert "rounds 1.67-inf" in note[0]


def test_without_the_pair_the_control_is_empty(floor: Any) -> None:
    t = timings(j1=[(2.0, 1.0)], **{"j1-half": [(1.0, 0.5)]})
    control = floor.pair_control(t, 60)
    assert control["pair_speedup"] is None
    assert control["j2_of_pair"] is None
    assert control["pair_speedup_rounds"] == []
    assert floor.control_notes("wav", control) == []


def test_the_pair_runs_beside_the_four_which_stay_back_to_back(floor: Any) -> None:
    h = sys.modules["harness"]
    names = [
        "floor",
        "floor-half",
        "j1",
        "j1-half",
        "j2",
        "j2-half",
        "pair",
        "pair-half",
    ]
    contenders = [h.Contender(n, lambda out: []) for n in names]

    orders = [[c.name for c in floor.round_order(contenders, i)] for i in range(8)]

    quad = ["j1", "j1-half", "j2", "j2-half"]
    for i, order in enumerate(orders):
        assert sorted(order) == sorted(names)
        # The floor program's two last, swapped every round, as before.
        assert order[6:] == (["floor", "floor-half"], ["floor-half", "floor"])[i % 2]
        melcli = order[:6]
        where = [melcli.index(n) for n in quad]
        assert max(where) - min(where) == 3, order  # the four back to back
        first = melcli.index("pair")
        assert abs(first - melcli.index("pair-half")) == 1  # the pair together
    # The four rotate as they did without the pair.
    plain = [c for c in contenders if not c.name.startswith("pair")]
    for i, order in enumerate(orders):
        before = [c.name for c in floor.round_order(plain, i)]
        assert [n for n in order if n in quad] == before[:4]
    # Each of the pair's two runs takes each of its four places once in four
    # rounds (first or second, after or before the four), then again.
    for name in ("pair", "pair-half"):
        places = [order.index(name) for order in orders]
        assert sorted(places[:4]) == [0, 1, 4, 5]
        assert places[:4] == places[4:]


def test_the_pairs_folders_are_the_halves_of_n_and_of_n_over_2(
    floor: Any, tmp_path: Path
) -> None:
    d = sys.modules["data"]
    dataset = d.Dataset(tmp_path / "data")

    def make(index: int, path: Path) -> bool:
        if path.exists():
            return False
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(bytes([index]))
        return True

    def view(count: int, start: int) -> Path:
        return dataset.pooled_set("pool", count, make, suffix=".x", start=start)

    def names(folder: Path) -> list[bytes]:
        return sorted(p.read_bytes() for p in folder.rglob("*.x"))

    whole, half = view(10, 0), view(5, 0)
    pair, pair_half = floor.pairs(view, 10)

    assert [names(p) for p in pair] == [
        [bytes([i]) for i in range(5)],
        [bytes([i]) for i in range(5, 10)],
    ]
    assert [names(p) for p in pair_half] == [
        [bytes([i]) for i in range(2)],
        [bytes([i]) for i in range(2, 5)],
    ]
    # The same files as the N and N/2 sets (hard links), nothing else.
    assert sorted([*names(pair[0]), *names(pair[1])]) == names(whole)
    assert sorted([*names(pair_half[0]), *names(pair_half[1])]) == names(half)
    for part in pair:
        for f in part.rglob("*.x"):
            assert os.path.samefile(f, whole / f.relative_to(part))
    # Too few files for quarters: no control.
    assert floor.pairs(view, 3) == ((), ())
    assert floor.pairs(view, 4) != ((), ())


def test_the_floor_workload_shows_the_control_and_checks_only_the_speedup(
    floor: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    h = sys.modules["harness"]
    folders = {
        name: tmp_path / name for name in ("whole", "half", "pa", "pb", "qa", "qb")
    }
    for folder in folders.values():
        folder.mkdir()
        (folder / "a.wav").touch()
    f = folders
    work = floor.Workload(
        "wav", "120 clips", f["whole"], f["half"], 120, (), False, 10.0,
        (f["pa"], f["pb"]), (f["qa"], f["qb"]),
    )  # fmt: skip
    fake_floor_machine(floor, monkeypatch, work, cpus=2, samplerate=44100)
    slow_j1 = [1.0, 1.3, 0.9, 1.2]
    slow_j2 = [0.9, 1.0, 1.2, 1.5]
    slow_pair = [1.0, 1.1, 1.3, 1.0]
    calls: list[list[str]] = []

    def run_process(argv: list[str]) -> Any:
        calls.append(argv)
        r = (len(calls) - 1) // 8
        if argv[0] == "sh":  # the pair: the later of two processes
            each = 60 if str(f["pa"]) in argv[2] else 30
            assert (str(f["pb"]) in argv[2]) == (each == 60)
            assert (str(f["qa"]) in argv[2]) == (str(f["qb"]) in argv[2])
            s = slow_pair[r] * (0.35 + each * 0.022)
            return h.ProcessRun(s, 10**7, 2 * s)
        n = 120 if str(f["whole"]) in argv else 60
        if str(floor.FLOOR_SCRIPT) in argv:
            s = 0.2 + n * 0.012
            np.save(
                argv[argv.index("--times") + 1],
                np.full((n, len(floor.STAGES)), 0.001),
            )
        elif argv[argv.index("-j") + 1] == "1":
            s = slow_j1[r] * (0.3 + n * 0.02)
        else:
            s = slow_j2[r] * (0.4 + n * 0.011)
        return h.ProcessRun(s, 10**7, s)

    monkeypatch.setattr(h, "run_process", run_process)
    cfg = SimpleNamespace(floor_files=120, short_files=600, floor_rounds=4)

    outcome = floor.floor(cfg, dataset=None)

    assert len(calls) == 4 * 8
    pairs = [argv[2] for argv in calls if argv[0] == "sh"]
    assert len(pairs) == 8
    for script in pairs:  # two melcli -j 1 started together, each its own OUT
        assert script.count(" -j 1") == 2
        assert script.count(" & ") == 2
        assert "part0" in script
        assert "part1" in script
    w = outcome.data["workloads"]["wav"]
    ceiling = [
        (a * 60 * 0.02) / (p * 30 * 0.022)
        for a, p in zip(slow_j1, slow_pair, strict=True)
    ]
    share = [
        p * 30 * 0.022 / (b * 60 * 0.011)
        for p, b in zip(slow_pair, slow_j2, strict=True)
    ]
    assert w["pair_speedup_rounds"] == pytest.approx(ceiling)
    assert w["pair_speedup"] == pytest.approx(statistics.median(ceiling))
    assert w["j2_of_pair_rounds"] == pytest.approx(share)
    assert w["j2_of_pair"] == pytest.approx(statistics.median(share))
    assert {"pair", "pair-half"} <= set(w["contenders"])
    # What is checked stays -j 2 / -j 1 (and -j 1 / floor): nothing of the pair.
    speedup = [
        (a * 60 * 0.02) / (b * 60 * 0.011)
        for a, b in zip(slow_j1, slow_j2, strict=True)
    ]
    assert w["j2_speedup"] == pytest.approx(statistics.median(speedup))
    assert sorted(c.measure for c in outcome.checks) == [
        "wav: -j 1 / floor",
        "wav: -j 2 / -j 1",
    ]
    checks = {c.measure: c for c in outcome.checks}
    assert checks["wav: -j 2 / -j 1"].value == w["j2_speedup"]
    assert checks["wav: -j 2 / -j 1"].target == ">= 1.8x"
    # The table: the control beside -j 2 / -j 1, -j 2 as a share of it.
    at = next(
        i for i, line in enumerate(outcome.lines) if line.startswith("  workload")
    )
    header, row = (re.split(r"\s{3,}", outcome.lines[k].strip()) for k in (at, at + 2))
    assert header.index("pair / -j 1") == header.index("-j 2 / -j 1") + 2
    assert header.index("-j 2 / pair") == header.index("pair / -j 1") + 1
    cells = dict(zip(header, row, strict=True))
    assert cells["workload"] == "wav"
    assert cells["pair / -j 1"] == f"{statistics.median(ceiling):.2f}x"
    assert cells["-j 2 / pair"] == f"{statistics.median(share):.0%}"
    assert any(
        f"{min(ceiling):.2f}-{max(ceiling):.2f}" in note and "pair" in note
        for note in outcome.notes
    )

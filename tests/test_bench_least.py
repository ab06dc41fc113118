"""Workload (f) of the bench: melcli's figures at its least, as the floor's.

Since the twenty-eighth round (bench/README.md, issue 19) each melcli
contender's wall time per file is taken as the floor's stages are: each
tenth of a run's outputs (its steady window in eight pieces, the same
outputs in every round) at its least over the rounds, the N and N/2 runs
pooled, plus the median of the rounds' edges. ``-j 1 / stages`` and
``-j 2 / -j 1`` are checked that way; the figures checked before are kept
beside them. The runs are faked here (no melcli is started): what is
checked is the arithmetic, and that a slow spell the host puts in a
different part of each round's runs no longer moves the figures.
"""

from __future__ import annotations

import os
import statistics
import sys
from collections.abc import Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
from conftest import bench_module, fake_floor_machine


@pytest.fixture
def floor(monkeypatch: pytest.MonkeyPatch) -> Any:
    return bench_module(monkeypatch, "workloads.floor")


def costs(
    n: int, pace: float, slow: range = range(0), factor: float = 2.0
) -> list[float]:
    """Each output's cost: ``pace``, ``factor`` times it for the outputs in ``slow``."""
    return [pace * (factor if i in slow else 1.0) for i in range(n)]


def completions(
    h: Any, cost: Sequence[float], *, start: float = 0.3, after: float = 0.05
) -> Any:
    """Outputs completed one after another at ``cost`` each, from ``start`` on."""
    times, now = [], start
    for c in cost:
        now += c
        times.append(now)
    return h.Completions(0, times[-1] + after, tuple(times))


def run(h: Any, done: Any) -> Any:
    return h.ProcessRun(done.end, 10**7, done.end, outputs=done)


def test_the_window_is_cut_into_eight_pieces_that_make_it_up(floor: Any) -> None:
    h = sys.modules["harness"]
    done = completions(h, costs(120, 0.02, range(40, 50)))

    pieces = floor.window_pieces(done)

    assert len(pieces) == floor.PIECES == 8
    outputs, seconds = done.window()
    assert sum(p[0] for p in pieces) == outputs
    assert sum(p[1] for p in pieces) == pytest.approx(seconds)
    assert {p[0] for p in pieces} <= {11, 12}  # equal counts, within one
    # Too few outputs in the window to cut: no pieces.
    assert floor.window_pieces(completions(h, costs(8, 0.02))) == []


def test_each_piece_takes_its_least_round_not_the_least_piece(floor: Any) -> None:
    h = sys.modules["harness"]
    # Outputs 12-59 cost 30 ms, the rest 10 ms; in each round a slow spell
    # (twice the cost) in another part of the run.
    base = [0.03 if 12 <= i < 60 else 0.01 for i in range(120)]
    spells = [range(12, 60), range(60, 120), range(30, 90)]
    runs = [
        run(h, completions(h, [c * (2 if i in s else 1) for i, c in enumerate(base)]))
        for s in spells
    ]

    outputs, seconds = floor.least_pace(runs)

    quiet = floor.window_pieces(completions(h, base))
    assert outputs == sum(p[0] for p in quiet)
    # Every piece was quiet in some round: the least is the quiet run's
    # time, each piece at its own cost (not the cheapest piece's).
    assert seconds == pytest.approx(sum(p[1] for p in quiet))
    assert seconds / outputs > 0.015
    # Any run's outputs not read: no least.
    assert floor.least_pace([*runs, h.ProcessRun(1.0, 1, 1.0)]) is None


def test_least_per_file_pools_n_and_half_and_adds_the_median_edges(floor: Any) -> None:
    h = sys.modules["harness"]
    whole = [
        run(h, completions(h, costs(120, 0.02, range(12, 60)), after=0.05)),
        run(h, completions(h, costs(120, 0.02, range(60, 120)), after=0.08)),
        run(h, completions(h, costs(120, 0.02), after=0.11)),
    ]
    half = [
        run(h, completions(h, costs(60, 0.02, range(1, 30)), after=0.05)),
        run(h, completions(h, costs(60, 0.02, range(30, 60)), after=0.05)),
        run(h, completions(h, costs(60, 0.02, range(1, 60)), after=0.05)),
    ]
    t = {"j1": h.Timings(whole), "j1-half": h.Timings(half)}

    per_file = floor.least_per_file(t, "j1")

    # Pace 20 ms at its least; the N runs end 0, 30 and 60 ms later than
    # the N/2 runs after their last output: edges 0, 0.5 and 1 ms a file
    # more (60 more files), the median 0.5 ms.
    assert per_file == pytest.approx(0.02 + 0.03 / 60)
    # The round-by-round figure, as checked before, carries each round's spell.
    steady = [floor.steady_per_file(w, hf) for w, hf in zip(whole, half, strict=True)]
    assert statistics.median(steady) > 0.025
    assert floor.least_per_file({"j1": h.Timings(whole)}, "j1") is None


def test_the_control_is_taken_at_its_least_too(floor: Any) -> None:
    h = sys.modules["harness"]
    spells = [range(12, 60), range(60, 120)]

    def timings(pace: float, slow: bool) -> dict[str, Any]:
        return {
            "whole": h.Timings(
                [
                    run(h, completions(h, costs(120, pace, s if slow else range(0))))
                    for s in spells
                ]
            ),
            "half": h.Timings(
                [
                    run(
                        h,
                        completions(h, costs(60, pace, s if slow else range(0))),
                    )
                    for s in (range(1, 30), range(30, 60))
                ]
            ),
        }

    t = {}
    for name, pace, slow in (
        ("j1", 0.02, True),
        ("j2", 0.011, False),
        ("pair", 0.0105, True),
    ):
        made = timings(pace, slow)
        t[name], t[f"{name}-half"] = made["whole"], made["half"]

    control = floor.pair_control(t, 60)

    assert control["pair_speedup"] == pytest.approx(0.02 / 0.0105)
    assert control["j2_of_pair"] == pytest.approx(0.0105 / 0.011)
    # The medians of the rounds' ratios, as shown before, beside them.
    assert control["pair_speedup_median_of_rounds"] == pytest.approx(
        statistics.median(floor.steady_ratios(t, "j1", "pair"))
    )
    assert control["j2_of_pair_median_of_rounds"] != pytest.approx(
        control["j2_of_pair"]
    )


def test_the_floor_workload_checks_melcli_at_its_least_and_shows_the_old(
    floor: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    h = sys.modules["harness"]
    src, half = tmp_path / "n120", tmp_path / "n60"
    for folder in (src, half):
        folder.mkdir()
        (folder / "a.wav").touch()
    work = floor.Workload("whisper", "120 clips", src, half, 120, (), False)
    fake_floor_machine(floor, monkeypatch, work, cpus=2, samplerate=16000)
    # As the host did to Whisper's runs: -j 1's outputs cost twice as much
    # in a spell that falls in another part of its runs each round; -j 2's
    # are steady. Every part of every -j 1 run is quiet in some round.
    spells = {
        120: [range(12, 60), range(60, 120), range(30, 90), range(1, 120)],
        60: [range(1, 30), range(30, 60), range(1, 60), range(15, 45)],
    }
    stage = 0.001  # each stage's CPU seconds per file: the floor, 7 ms
    calls: list[list[str]] = []

    def run_process(argv: list[str]) -> Any:
        calls.append(argv)
        r = (len(calls) - 1) // 6
        n = 120 if str(src) in argv else 60
        if str(floor.FLOOR_SCRIPT) in argv:
            np.save(
                argv[argv.index("--times") + 1], np.full((n, len(floor.STAGES)), stage)
            )
            return h.ProcessRun(0.2 + n * 0.008, 10**7, 0.2 + n * 0.008)
        out = Path(argv[argv.index("-o") + 1])
        j1 = argv[argv.index("-j") + 1] == "1"
        cost = costs(n, 0.02, spells[n][r]) if j1 else costs(n, 0.011)
        now, at = clock[0], 0.3
        for i, c in enumerate(cost):
            at += c
            path = out / f"f{i}.npy"
            path.touch()
            stamp = now + round(at * 1e9)
            os.utime(path, ns=(stamp, stamp))
        seconds = at + 0.05
        clock[0] += round(seconds * 1e9)
        return h.ProcessRun(seconds, 10**7, seconds)

    monkeypatch.setattr(h, "run_process", run_process)
    clock = [1_700_000_000 * 10**9]
    monkeypatch.setattr(h, "time", SimpleNamespace(time_ns=lambda: clock[0]))
    cfg = SimpleNamespace(floor_files=120, short_files=120, floor_rounds=4)

    outcome = floor.floor(cfg, dataset=None)

    w = outcome.data["workloads"]["whisper"]
    floor_s = len(floor.STAGES) * stage
    checks = {c.measure: c for c in outcome.checks}
    # Checked: -j 1 at its least (20 ms a file) over the stages' least.
    assert w["melcli_over_stages_method"] == "least"
    assert w["melcli_j1_ms_per_file_least"] == pytest.approx(20, rel=1e-6)
    assert w["melcli_over_stages"] == pytest.approx(0.02 / floor_s, rel=1e-6)
    assert checks["whisper: -j 1 / floor"].value == w["melcli_over_stages"]
    # Beside it, as checked before: CPU time, N run less N/2, the median.
    j1_cpu = [
        (a - b) / 60
        for a, b in zip(
            w["contenders"]["j1"]["cpu_seconds"],
            w["contenders"]["j1-half"]["cpu_seconds"],
            strict=True,
        )
    ]
    assert w["melcli_over_stages_by_differences"] == pytest.approx(
        statistics.median(j1_cpu) / floor_s
    )
    assert w["melcli_over_stages_by_differences"] > 1.1 * w["melcli_over_stages"]
    # -j 2 / -j 1: each side's least; the median of the rounds' beside it.
    assert w["j2_speedup_method"] == "least"
    assert w["j2_speedup"] == pytest.approx(0.02 / 0.011, rel=1e-6)
    assert checks["whisper: -j 2 / -j 1"].value == w["j2_speedup"]
    assert w["j2_speedup_median_of_rounds"] == pytest.approx(
        statistics.median(w["j2_speedup_rounds"])
    )
    assert w["j2_speedup_median_of_rounds"] > 1.1 * w["j2_speedup"]
    assert w["least_ms_per_file"]["j2"] == pytest.approx(11, rel=1e-6)
    # The table shows both, and a line under it says which is which.
    at = next(
        i for i, line in enumerate(outcome.lines) if line.startswith("  workload")
    )
    header = outcome.lines[at]
    assert "/ stages, CPU N - N/2" in header
    assert "-j 2 / -j 1 median of rounds" in header
    row = outcome.lines[at + 2]
    assert f"{w['melcli_over_stages_by_differences']:.2f}x" in row
    assert f"{w['j2_speedup_median_of_rounds']:.2f}x" in row
    assert any(
        "twenty-eighth" in note and f"{w['j2_speedup_median_of_rounds']:.2f}x" in note
        for note in outcome.notes
    )

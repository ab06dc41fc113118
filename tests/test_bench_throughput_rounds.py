"""Workload (a) of the bench: its ratios round by round (issue 19, twenty-sixth round).

melcli runs in the middle of each round, the sequential and the joblib loop
on either side of it, swapping sides every round; the figure checked is the
median over the rounds of each round's ratio, over ``--throughput-rounds``
rounds (8), with (f)'s rule for rounds overlapped by other work; the figure
checked until then (each contender's median apart, first attempts) is shown
beside it. The runs are faked: what is checked is the order, the arithmetic
and the rule, nothing timed.
"""

from __future__ import annotations

import statistics
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from conftest import bench_module

#: Wall seconds of each contender's run, round by round: an episode slows
#: melcli's third run, the machine is slower for the whole second round.
SECONDS = {
    "baseline": [8.0, 9.6, 7.2, 8.0],
    "baseline-joblib": [5.0, 6.0, 5.4, 4.8],
    "melcli": [1.25, 1.5, 1.44, 1.2],
}


@pytest.fixture
def throughput(monkeypatch: pytest.MonkeyPatch) -> Any:
    module = bench_module(monkeypatch, "workloads.throughput")
    monkeypatch.setattr(module, "warm_page_cache", lambda src: None)
    return module


def contender_of(argv: list[str]) -> str:
    if "mel" in argv:
        return "melcli"
    return "baseline-joblib" if "--joblib" in argv else "baseline"


def fake_runs(
    monkeypatch: pytest.MonkeyPatch, overlapped: int | None = None
) -> list[str]:
    """Fake the harness's runs from :data:`SECONDS`; the contenders' order, as run.

    ``overlapped``: the attempt (0-based, counted over every attempt) other
    work overlapped: 0.6 CPU s of others' during its melcli run, which took
    30% longer; the round's next attempt runs as :data:`SECONDS` says.
    """
    h = sys.modules["harness"]
    order: list[str] = []

    def run_process(argv: list[str]) -> Any:
        name = contender_of(argv)
        attempt = len(order) // 3
        order.append(name)
        hit = attempt == overlapped
        later = overlapped is not None and attempt > overlapped
        extra = 0.6 if hit and name == "melcli" else 0.0
        wall = SECONDS[name][attempt - later] * (1.3 if extra else 1.0)
        own = wall * (2 if name != "baseline" else 1)
        machine = h.Machine(busy=own + extra, iowait=0.0, steal=0.0)
        return h.ProcessRun(wall, 10**7, own, machine)

    monkeypatch.setattr(h, "run_process", run_process)
    return order


def run_a(throughput: Any, tmp_path: Path, rounds: int) -> Any:
    cfg = SimpleNamespace(files=300, rounds=3, throughput_rounds=rounds)
    return throughput.throughput(cfg, SimpleNamespace(clip_set=lambda n: tmp_path))


def test_melcli_runs_between_the_loops_which_swap_sides_every_round(
    throughput: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    order = fake_runs(monkeypatch)

    outcome = run_a(throughput, tmp_path, rounds=4)

    # --throughput-rounds, not --rounds (3).
    assert len(order) == 12
    rounds = [order[i : i + 3] for i in range(0, 12, 3)]
    forth = ["baseline", "melcli", "baseline-joblib"]
    assert rounds == [forth, forth[::-1], forth, forth[::-1]]
    assert outcome.data["rounds"] == 4


def test_the_ratio_checked_is_the_median_of_each_rounds_own(
    throughput: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    fake_runs(monkeypatch)

    outcome = run_a(throughput, tmp_path, rounds=4)

    # Round by round: 6.4, 6.4, 5.0, 6.67 (baseline), 4, 4, 3.75, 4 (joblib).
    melcli = SECONDS["melcli"]
    sequential = [b / m for b, m in zip(SECONDS["baseline"], melcli, strict=True)]
    joblib = [j / m for j, m in zip(SECONDS["baseline-joblib"], melcli, strict=True)]
    checks = {c.measure: c for c in outcome.checks}
    assert checks["baseline / melcli"].value == pytest.approx(6.4)
    assert checks["baseline / melcli"].passed is True
    assert checks["baseline-joblib / melcli"].value == pytest.approx(4.0)
    assert outcome.data["ratio_rounds"]["baseline"] == pytest.approx(sequential)
    assert outcome.data["ratio_rounds"]["baseline-joblib"] == pytest.approx(joblib)
    # The figure checked until now, each side's median apart: 8.0 / 1.345.
    old = statistics.median(SECONDS["baseline"]) / statistics.median(SECONDS["melcli"])
    assert old == pytest.approx(5.948, abs=1e-3)
    assert outcome.data["ratios_of_medians_first_attempts"]["baseline"] == (
        pytest.approx(old)
    )
    assert outcome.data["ratios_of_medians"]["baseline"] == pytest.approx(old)
    # The table shows both, and the rounds' range.
    row = next(line for line in outcome.lines if line.strip().startswith("baseline "))
    assert "6.40x" in row
    assert "5.00-6.67" in row
    assert "5.95x" in row
    assert any("of medians" in line for line in outcome.lines)


def test_a_round_other_work_overlapped_is_run_again_and_its_first_attempt_shown(
    throughput: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # Other work takes 0.6 CPU s during melcli's third run (32% of a CPU).
    order = fake_runs(monkeypatch, overlapped=2)

    outcome = run_a(throughput, tmp_path, rounds=4)

    assert len(order) == 15  # the third round twice, whole
    assert order[6:12] == ["baseline", "melcli", "baseline-joblib"] * 2
    data = outcome.data
    assert data["rounds_rerun"] == [3]
    assert len(data["attempts_replaced"]) == 1
    assert data["rounds_overlapped"] == []
    # Checked: the rounds that stood (the second attempt).
    checks = {c.measure: c.value for c in outcome.checks}
    assert checks["baseline / melcli"] == pytest.approx(6.4)
    # Beside it, the first attempts: melcli's slowed third run in its median.
    melcli = [1.25, 1.5, 1.44 * 1.3, 1.2]
    old = statistics.median(SECONDS["baseline"]) / statistics.median(melcli)
    assert old == pytest.approx(5.818, abs=1e-3)
    assert data["ratios_of_medians_first_attempts"]["baseline"] == pytest.approx(old)
    assert data["ratios_of_medians"]["baseline"] == pytest.approx(5.948, abs=1e-3)
    rule = next(line for line in outcome.notes if "rounds run again" in line)
    assert "3 (1 attempt replaced)" in rule
    assert "highest" in rule


def test_a_has_rounds_of_its_own(monkeypatch: pytest.MonkeyPatch) -> None:
    bench = bench_module(monkeypatch, "bench")

    assert bench.parse_args([]).throughput_rounds == 8
    assert bench.parse_args([]).rounds == 3
    assert bench.parse_args(["--quick"]).throughput_rounds == 1
    cfg = bench.parse_args(["--throughput-rounds", "5", "--rounds", "2"])
    assert (cfg.throughput_rounds, cfg.rounds) == (5, 2)
    with pytest.raises(SystemExit):
        bench.parse_args(["--throughput-rounds", "0"])

"""The bench records what else the machine did during each run, and a pre-declared
rule runs a round again when its runs overlapped other work (issue 19, twenty-first
round of bench/README.md).

The runs are faked here except where a real process is the point (the spawner's
readings); nothing is timed: what is checked is the arithmetic, the rule and where
each run goes.
"""

from __future__ import annotations

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
def h(monkeypatch: pytest.MonkeyPatch) -> Any:
    return bench_module(monkeypatch, "harness")


def run(h: Any, wall: float, own: float, others: float, steal: float = 0.0) -> Any:
    """A run of ``wall`` seconds using ``own`` CPU seconds, others ``others``."""
    machine = h.Machine(busy=own + others, iowait=0.0, steal=steal)
    return h.ProcessRun(wall, 10**7, own, machine)


def test_the_machine_between_two_readings_of_proc_stat(
    h: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(h, "_user_hz", lambda: 100)
    # user nice system idle iowait irq softirq steal kernel-threads, in ticks
    before = [1000, 10, 500, 9000, 40, 0, 30, 7, 300]
    after = [1150, 10, 560, 9100, 52, 0, 35, 19, 320]

    m = h.Machine.between(before, after)

    assert m.busy == pytest.approx((150 + 60 + 5) / 100)
    assert m.iowait == pytest.approx(0.12)
    assert m.steal == pytest.approx(0.12)
    assert m.kernel_threads == pytest.approx(0.20)


def test_others_cpu_is_the_machines_busy_time_less_the_runs_own(h: Any) -> None:
    r = run(h, wall=2.0, own=3.1, others=0.5, steal=0.1)

    assert r.others_cpu_seconds == pytest.approx(0.5)
    assert r.others_share == pytest.approx(0.25)
    # Others' CPU and steal, a share of one CPU over the run's wall time.
    assert h.interference(r) == pytest.approx(0.3)
    # A run busier than the machine (ticks against exact rusage): no negative share.
    assert h.interference(run(h, 2.0, 3.1, -0.04)) == pytest.approx(0.0)
    # Not measured: nothing said.
    bare = h.ProcessRun(2.0, 10**7, 3.1)
    assert bare.others_cpu_seconds is None
    assert h.interference(bare) is None
    assert h.machine_json(bare) is None


def test_each_run_in_the_json_says_what_else_the_machine_did(h: Any) -> None:
    t = h.Timings([run(h, 2.0, 3.0, 0.2, 0.04), h.ProcessRun(1.0, 10**7, 1.5)])

    data = t.as_json(files=10, audio_seconds=50.0)

    assert data["cpu_seconds"] == [3.0, 1.5]
    first, second = data["machine"]
    assert second is None
    assert first["others_cpu_seconds"] == pytest.approx(0.2)
    assert first["steal_seconds"] == pytest.approx(0.04)
    assert first["busy_seconds"] == pytest.approx(3.2)
    assert first["interference"] == pytest.approx(0.12)
    assert set(first) >= {"kernel_threads_seconds", "iowait_seconds"}


@pytest.mark.skipif(not Path("/proc/stat").exists(), reason="Linux only")
def test_the_spawner_reads_the_machine_around_a_real_run(h: Any) -> None:
    try:
        r = h.run_process([sys.executable, "-c", "sum(range(10**6))"])
    finally:
        for spawner in h._spawners:  # it ends at the end of its input
            spawner.communicate()
        h._spawners.clear()

    assert r.machine is not None
    assert r.machine.busy >= 0
    assert r.machine.steal >= 0
    assert r.machine.iowait >= 0
    assert r.machine.kernel_threads >= 0
    assert r.others_cpu_seconds is not None
    assert r.system_seconds is not None
    assert 0 <= r.system_seconds <= r.cpu_seconds
    assert isinstance(r.minor_faults, int)
    assert r.minor_faults > 0


def fake_race(
    h: Any, monkeypatch: pytest.MonkeyPatch, busy: set[int]
) -> tuple[list[Any], list[str]]:
    """Contenders a, b, c; attempt ``k`` (counted over the race) overlapped if busy.

    In an overlapped attempt only b's run overlapped others (half a CPU).
    """
    ran: list[str] = []

    def run_process(argv: list[str]) -> Any:
        ran.append(argv[0])
        attempt = (len(ran) - 1) // 3
        others = 1.0 if argv[0] == "b" and attempt in busy else 0.0
        return run(h, wall=2.0, own=1.0 + attempt, others=others)

    monkeypatch.setattr(h, "run_process", run_process)
    contenders = [h.Contender(n, lambda out, n=n: [n]) for n in ("a", "b", "c")]
    return contenders, ran


def test_an_overlapped_round_is_run_again_whole_and_the_last_attempt_stands(
    h: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    contenders, ran = fake_race(h, monkeypatch, busy={1})
    replaced: list[Any] = []

    timings, _ = h.race(
        contenders, 3, rule=h.OverlapRule(share=0.25, retries=2), replaced=replaced
    )

    assert len(ran) == 12  # round 2 twice, every contender each time
    assert ran[3:9] == ran[6:9] * 2  # in the same order
    # runs[i] is round i's attempt that stood (own CPU 1 + the attempt's index)
    assert [r.cpu_seconds for r in timings["a"].runs] == [1.0, 3.0, 4.0]
    (attempt,) = replaced
    assert (attempt.round, attempt.attempt) == (1, 1)
    assert [name for name, _ in attempt.overlapped] == ["b"]
    assert attempt.overlapped[0][1] == pytest.approx(0.5)
    assert attempt.runs["a"].cpu_seconds == 2.0
    data = attempt.as_json()
    assert data["round"] == 2
    assert data["overlapped"][0]["run"] == "b"
    # The figure without the rule, from the same race: the first attempts.
    first = h.first_attempts(timings, replaced)
    assert [r.cpu_seconds for r in first["a"].runs] == [1.0, 2.0, 4.0]


def test_the_rule_gives_up_after_its_retries_and_keeps_the_round(
    h: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    contenders, ran = fake_race(h, monkeypatch, busy={0, 1, 2, 3})
    replaced: list[Any] = []

    timings, _ = h.race(
        contenders, 2, rule=h.OverlapRule(share=0.25, retries=2), replaced=replaced
    )

    # Round 1: three attempts, all overlapped, the third kept; the budget (one
    # re-run per two rounds, rounded up: 1) then stops round 2's at once.
    assert [(a.round, a.attempt) for a in replaced] == [(0, 1)]
    assert len(ran) == 9
    assert [r.cpu_seconds for r in timings["b"].runs] == [2.0, 3.0]
    assert h.interference(timings["b"].runs[0]) == pytest.approx(0.5)


def test_the_budget_and_the_retries_bound_the_cost(
    h: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    contenders, ran = fake_race(h, monkeypatch, busy=set(range(20)))
    replaced: list[Any] = []

    h.race(
        contenders,
        4,
        rule=h.OverlapRule(share=0.25, retries=2, budget=3),
        replaced=replaced,
    )

    assert [(a.round, a.attempt) for a in replaced] == [(0, 1), (0, 2), (1, 1)]
    assert len(ran) == 3 * (4 + 3)


def test_the_rule_reads_other_work_never_a_runs_own_time(
    h: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    ran: list[str] = []

    def run_process(argv: list[str]) -> Any:
        ran.append(argv[0])
        # b is ten times slower and busier than a, with the machine to itself.
        return (
            run(h, wall=20.0, own=39.0, others=0.1)
            if argv[0] == "b"
            else run(h, wall=2.0, own=1.0, others=0.1)
        )

    monkeypatch.setattr(h, "run_process", run_process)
    contenders = [h.Contender(n, lambda out, n=n: [n]) for n in ("a", "b")]
    replaced: list[Any] = []

    h.race(contenders, 3, rule=h.OverlapRule(share=0.10), replaced=replaced)

    assert replaced == []
    assert len(ran) == 6
    # and without a rule, nothing is ever run again
    ran.clear()
    h.race(contenders, 2)
    assert len(ran) == 4


def test_a_run_not_measured_never_triggers_the_rule(
    h: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(h, "run_process", lambda argv: h.ProcessRun(1.0, 10**7, 0.5))
    contenders = [h.Contender("a", lambda out: ["a"])]
    replaced: list[Any] = []

    timings, _ = h.race(contenders, 2, rule=h.OverlapRule(), replaced=replaced)

    assert replaced == []
    assert len(timings["a"].runs) == 2


def test_the_floor_workload_checks_the_rounds_that_stood_and_shows_the_first(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.syspath_prepend(str(BENCH))
    for name in ("harness", "data", "floor_baseline", "workloads", "workloads.floor"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    import workloads.floor as floor

    h = sys.modules["harness"]
    src, half = tmp_path / "n120", tmp_path / "n60"
    for folder in (src, half):
        folder.mkdir()
        (folder / "a.wav").touch()
    work = floor.Workload("whisper", "120 files", src, half, 120, (), False)
    fake_floor_machine(floor, monkeypatch, work, cpus=2, samplerate=16000)
    # Attempt 1 (round 2's first) overlapped other work: others take half a
    # CPU in every run and -j 2's N run is twice as slow. Round 2 is run again.
    busy = 1
    slow_j2 = [1.0, 1.1, 0.9, 1.2, 1.0]  # per attempt
    calls: list[list[str]] = []

    def run_process(argv: list[str]) -> Any:
        calls.append(argv)
        attempt = (len(calls) - 1) // 6
        n = 120 if str(src) in argv else 60
        if str(floor.FLOOR_SCRIPT) in argv:
            s = 0.2 + n * 0.012
            # The replaced attempt's stages are 10x cheaper: if its times were
            # read as a round's, the floor (the least over rounds) would show it.
            cost = 0.0001 if attempt == busy else 0.001
            times = np.full((n, len(floor.STAGES)), cost)
            np.save(argv[argv.index("--times") + 1], times)
        elif argv[argv.index("-j") + 1] == "1":
            s = 0.3 + n * 0.02
        else:
            s = slow_j2[attempt] * (0.4 + n * 0.011)
            if attempt == busy and n == 120:
                s *= 2
        others = 0.5 * s if attempt == busy else 0.01 * s
        return run(h, wall=s, own=s, others=others)

    monkeypatch.setattr(h, "run_process", run_process)
    cfg = SimpleNamespace(floor_files=120, short_files=120, floor_rounds=4)

    outcome = floor.floor(cfg, dataset=None)

    assert len(calls) == 30  # 4 rounds and one attempt again, 6 runs each
    w = outcome.data["workloads"]["whisper"]

    def ratio(attempt: int, doubled: bool = False) -> float:
        j2 = slow_j2[attempt] * (2 * (0.4 + 120 * 0.011) - (0.4 + 60 * 0.011))
        j2 = j2 if doubled else slow_j2[attempt] * 60 * 0.011
        return (60 * 0.02) / j2

    stood = [ratio(a) for a in (0, 2, 3, 4)]
    first = [ratio(0), ratio(1, doubled=True), ratio(3), ratio(4)]
    assert w["j2_speedup_rounds"] == pytest.approx(stood)
    assert w["j2_speedup"] == pytest.approx(statistics.median(stood))
    assert w["j2_speedup_first_attempts_rounds"] == pytest.approx(first)
    assert w["j2_speedup_first_attempts"] == pytest.approx(statistics.median(first))
    checks = {c.measure: c for c in outcome.checks}
    assert checks["whisper: -j 2 / -j 1"].value == w["j2_speedup"]
    assert w["rounds_rerun"] == [2]
    assert w["rounds_overlapped"] == []
    assert len(w["attempts_replaced"]) == 1
    assert w["attempts_replaced"][0]["round"] == 2
    assert {o["run"] for o in w["attempts_replaced"][0]["overlapped"]} == {
        "j1",
        "j1-half",
        "j2",
        "j2-half",
        "floor",
        "floor-half",
    }
    assert w["overlap_rule"] == {"share": 0.10, "retries": 2, "budget": 2}
    assert w["interference_rounds"] == pytest.approx([0.01] * 4)
    # The stages' floor is the least over the attempts that stood.
    assert w["floor_ms"] == pytest.approx(len(floor.STAGES) * 0.001 * 1e3)
    # Each run's machine is in the JSON, and a line under the table says it all.
    assert w["contenders"]["j2"]["machine"][1]["interference"] == pytest.approx(0.01)
    line = next(n for n in outcome.notes if "run again" in n)
    assert "whisper" in line
    assert "rounds run again (a run over 10%): 2" in line
    assert f"first attempts {statistics.median(first):.2f}x" in line
    # '/ stages' without the rule: melcli's -j 1 and the stages' least both
    # from the first attempts (round 2's cheap stages among them).
    first_stages = 0.02 / (len(floor.STAGES) * 0.0001)
    assert w["melcli_over_stages_first_attempts"] == pytest.approx(first_stages)
    assert w["melcli_over_stages"] == pytest.approx(0.02 / (len(floor.STAGES) * 0.001))
    assert f"-j 1 / stages on the first attempts {first_stages:.2f}x" in line


def test_the_whisper_workload_is_sized_for_two_seconds_at_j2(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.syspath_prepend(str(BENCH))
    for name in ("harness", "data", "report", "workloads", "bench"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    import bench

    assert bench.parse_args([]).short_files == 4800
    assert bench.parse_args(["--short-files", "600"]).short_files == 600

"""Workload (f) of the bench: the per-stage floor and its data.

The stages are timed inside the floor program's own runs (``--times``), once
per file in the chain, and the floor is each stage's least over the rounds;
melcli's per-file cost is the median over rounds of each round's N run less
its N/2. The N/2 files of every workload are hard links to the N files' first
half. Nothing here is timed: the runs are faked, or their numbers only
checked for shape.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
import soundfile as sf
from conftest import bench_module, clean_env, fake_floor_machine

BENCH = Path(__file__).resolve().parents[1] / "bench"


@pytest.fixture
def floor(monkeypatch: pytest.MonkeyPatch) -> Any:
    return bench_module(monkeypatch, "workloads.floor")


def test_the_stage_floor_is_each_stages_least_over_rounds_file_by_file(
    floor: Any,
) -> None:
    n = len(floor.STAGES)
    # Three rounds over three files; file 0 pays every stage's first call.
    r1 = np.array([[9.0] * n, [1.0] * n, [4.0] * n])
    r2 = np.array([[9.0] * n, [3.0] * n, [2.0] * n])
    r3 = np.array([[9.0] * n, [2.0] * n, [5.0] * n])
    r1[1, 0], r2[2, 6] = 0.5, 0.25  # one stage's quiet moment in one round

    least = floor.stage_floor([r1, r2, r3])

    expected = np.minimum(np.minimum(r1, r2), r3)[1:].mean(axis=0)
    assert list(least) == list(floor.STAGES)
    assert list(least.values()) == pytest.approx(list(expected))
    assert least["decode"] == pytest.approx((0.5 + 2.0) / 2)
    assert least["save"] == pytest.approx((1.0 + 0.25) / 2)
    # Not the least round's sum: each stage and file has its own least.
    sums = [r[1:].sum(axis=1).mean() for r in (r1, r2, r3)]
    assert sum(least.values()) < min(sums)
    assert floor.stage_rounds([r1, r2, r3]) == pytest.approx(sums)
    # One file: nothing to leave out.
    one = floor.stage_floor([np.full((1, n), 2.0), np.full((1, n), 3.0)])
    assert list(one.values()) == pytest.approx([2.0] * n)


def test_per_file_costs_pair_each_rounds_runs(floor: Any) -> None:
    h = sys.modules["harness"]

    def runs(cpu: list[float]) -> Any:
        return h.Timings([h.ProcessRun(c * 2, 10**7, c) for c in cpu])

    t = {"j1": runs([2.0, 2.6, 2.1]), "j1-half": runs([1.0, 1.5, 1.2])}

    costs = floor.per_file_rounds(t, "j1", 100)

    assert costs == pytest.approx([0.010, 0.011, 0.009])
    assert floor.per_file_rounds(t, "j1", 100, floor.wall) == pytest.approx(
        [0.020, 0.022, 0.018]
    )


def test_the_floor_program_times_each_stage_of_each_file(tmp_path: Path) -> None:
    data, out = tmp_path / "in", tmp_path / "out"
    rng = np.random.default_rng(0)
    for i in range(3):
        (data / "a").mkdir(parents=True, exist_ok=True)
        y = 0.1 * rng.standard_normal(16_000).astype(np.float32)
        sf.write(str(data / "a" / f"c{i}.wav"), y, 16_000, subtype="PCM_16")
    times = tmp_path / "t.npy"

    subprocess.run(
        [
            sys.executable,
            str(BENCH / "floor_baseline.py"),
            str(data),
            str(out),
            "--preset",
            "whisper",
            "--times",
            str(times),
        ],
        env=clean_env(),
        check=True,
        timeout=300,
    )

    got = np.load(times)
    assert got.shape == (3, 7)
    assert np.all(got >= 0)
    assert np.all(got.sum(axis=1) > 0)
    # Each file's output is a file of its own, as a program's must be.
    saved = sorted(p.relative_to(out) for p in out.rglob("*.npy"))
    assert saved == [Path("a") / f"c{i}.npy" for i in range(3)]
    assert np.load(out / "a" / "c0.npy").shape[0] == 80


def test_the_workload_checks_melcli_against_the_least_over_rounds(
    floor: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    h = sys.modules["harness"]
    src, half = tmp_path / "n120", tmp_path / "n60"
    for folder in (src, half):
        folder.mkdir()
        (folder / "a.wav").touch()
    work = floor.Workload("whisper", "120 files", src, half, 120, (), False)
    fake_floor_machine(floor, monkeypatch, work, cpus=1, samplerate=16000)
    # Round r's stages cost slow[r] ms per file each, but for one file whose
    # stage is quick in one round only; melcli -j 1 costs 2.4 ms per file
    # (CPU), slowed by each round's own factor.
    slow = [1.2, 1.0, 1.5, 1.1]
    j1_slow = [1.3, 1.0, 1.6, 1.1]
    calls: list[list[str]] = []

    def run_process(argv: list[str]) -> Any:
        calls.append(argv)
        r = (len(calls) - 1) // 4
        n = 120 if str(src) in argv else 60
        if str(floor.FLOOR_SCRIPT) in argv:
            times = np.full((n, len(floor.STAGES)), slow[r] * 1e-3 / 7)
            times[5, 3] = 1e-5 if r == 2 else times[5, 3]
            np.save(argv[argv.index("--times") + 1], times)
            s = 0.5 + n * slow[r] * 1.1e-3
        else:
            s = 0.3 + n * 2.4e-3 * j1_slow[r]
        return h.ProcessRun(s * 2, 10**7, s)

    monkeypatch.setattr(h, "run_process", run_process)
    cfg = SimpleNamespace(floor_files=120, short_files=120, floor_rounds=4)

    outcome = floor.floor(cfg, dataset=None)

    assert len(calls) == 16
    w = outcome.data["workloads"]["whisper"]
    least = 1e-3 / 7 * 7 - (1e-3 / 7 - 1e-5) / 119  # file 5's stft, in round 1
    assert w["floor_ms"] == pytest.approx(least * 1e3)
    j1 = [(0.3 + 120 * 2.4e-3 * f) - (0.3 + 60 * 2.4e-3 * f) for f in j1_slow]
    j1 = [c / 60 for c in j1]
    assert w["melcli_j1_ms_per_file_rounds"] == pytest.approx([c * 1e3 for c in j1])
    assert w["melcli_j1_ms_per_file"] == pytest.approx(statistics.median(j1) * 1e3)
    assert w["melcli_over_stages"] == pytest.approx(statistics.median(j1) / least)
    assert w["melcli_over_stages_rounds"] == pytest.approx([c / least for c in j1])
    assert w["stages_ms_rounds"] == pytest.approx(
        [s + (1e-5 * 1e3 - s / 7) / 119 if i == 2 else s for i, s in enumerate(slow)]
    )
    # Shown beside: each round's -j 1 over that round's stages as run.
    as_run = w["stages_ms_rounds"]
    assert w["melcli_over_stages_as_run_rounds"] == pytest.approx(
        [c * 1e3 / s for c, s in zip(j1, as_run, strict=True)]
    )
    checks = {c.measure: c for c in outcome.checks}
    assert checks["whisper: -j 1 / floor"].value == w["melcli_over_stages"]
    low, high = min(w["melcli_over_stages_rounds"]), max(w["melcli_over_stages_rounds"])
    assert any(f"{low:.2f}-{high:.2f}" in line for line in outcome.lines)


def test_half_a_set_is_the_first_half_of_the_whole(floor: Any, tmp_path: Path) -> None:
    d = sys.modules["data"]
    dataset = d.Dataset(tmp_path / "data")
    made: list[int] = []

    def make(index: int, path: Path) -> bool:
        if path.exists():
            return False
        made.append(index)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(bytes([index]))
        return True

    whole = dataset.pooled_set("pool", 6, make, suffix=".x")
    half = dataset.pooled_set("pool", 3, make, suffix=".x")

    assert made == list(range(6))  # each file made once, for both sizes
    halves = sorted(p.relative_to(half) for p in half.rglob("*.x"))
    assert len(halves) == 3
    for rel in halves:
        assert os.path.samefile(half / rel, whole / rel)
    # Short files too: the N/2 set links the N set's first files.
    n = floor.short_set(dataset, 4)
    m = floor.short_set(dataset, 2)
    linked = sorted(p.relative_to(m) for p in m.rglob("*.wav"))
    assert len(linked) == 2
    assert all(os.path.samefile(m / rel, n / rel) for rel in linked)
    assert sf.info(str(n / linked[0])).frames == floor.SHORT_SECONDS * floor.SHORT_SR


def test_the_wav_workload_has_a_size_of_its_own(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.syspath_prepend(str(BENCH))
    for name in ("harness", "data", "report", "workloads", "bench"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    import bench

    full = bench.parse_args([])
    # Larger than (f)'s compressed sets: a WAV file goes fastest.
    assert full.floor_wav_files > full.floor_files
    cfg = bench.parse_args(["--floor-wav-files", "10", "--floor-files", "8"])
    assert (cfg.floor_wav_files, cfg.floor_files) == (10, 8)
    assert bench.parse_args(["--quick"]).floor_wav_files < 10
    with pytest.raises(SystemExit):
        bench.parse_args(["--floor-wav-files", "1"])

"""(f) can run some of its workloads alone: ``bench.py --floor-only whisper``.

A check of the Whisper figure need not pay for the four other workloads. The
runs are faked (no melcli is started): what is checked is which workloads run.
"""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"


def fresh(monkeypatch: pytest.MonkeyPatch, *names: str) -> None:
    monkeypatch.syspath_prepend(str(BENCH))
    for name in names:
        monkeypatch.delitem(sys.modules, name, raising=False)


def test_the_option_names_the_workloads_and_refuses_others(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fresh(monkeypatch, "harness", "data", "report", "workloads", "bench")
    import bench

    assert bench.parse_args([]).floor_only == ()
    cfg = bench.parse_args(["--floor-only", "whisper, mp3,whisper"])
    assert cfg.floor_only == ("whisper", "mp3")
    with pytest.raises(SystemExit):
        bench.parse_args(["--floor-only", "whisper,wave"])


def test_only_the_workloads_named_run(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    fresh(monkeypatch, "harness", "data", "floor_baseline", "workloads")
    monkeypatch.delitem(sys.modules, "workloads.floor", raising=False)
    import workloads.floor as floor

    h = sys.modules["harness"]
    rows = []
    for name in ("wav", "mp3", "whisper"):
        src, half = tmp_path / name / "n8", tmp_path / name / "n4"
        for folder in (src, half):
            folder.mkdir(parents=True)
            (folder / "a.wav").touch()
        rows.append(floor.Workload(name, name, src, half, 8, (), False))
    monkeypatch.setattr(floor, "workloads", lambda cfg, dataset: rows)
    monkeypatch.setattr(floor, "available_cpus", lambda: 1)
    monkeypatch.setattr(
        floor, "held_in_cache", lambda path: contextlib.nullcontext("inputs (test)")
    )
    monkeypatch.setattr(
        floor, "sf", SimpleNamespace(info=lambda p: SimpleNamespace(samplerate=16000))
    )
    monkeypatch.setattr(floor, "settings_of", lambda options: None)
    monkeypatch.setattr(
        floor,
        "Stages",
        lambda settings, sr: SimpleNamespace(window=np.ones(4), M=np.ones((2, 3))),
    )
    sources: list[str] = []

    def run_process(argv: list[str]) -> Any:
        # The workloads' folders exactly: a temporary path of the harness may
        # end in "n8" by chance (its name is random).
        given = [a for a in argv if Path(a).parent.parent == tmp_path]
        n = 8 if any(Path(a).name == "n8" for a in given) else 4
        sources.extend(given)
        if str(floor.FLOOR_SCRIPT) in argv:
            times = np.full((n, len(floor.STAGES)), 0.001)
            np.save(argv[argv.index("--times") + 1], times)
        return h.ProcessRun(0.1 + n * 0.01, 10**7, 0.1 + n * 0.01)

    monkeypatch.setattr(h, "run_process", run_process)
    cfg = SimpleNamespace(floor_rounds=1, floor_only=("whisper", "wav"))

    outcome = floor.floor(cfg, dataset=None)

    assert list(outcome.data["workloads"]) == ["wav", "whisper"]  # (f)'s order
    assert {Path(s).parent.name for s in sources} == {"wav", "whisper"}
    assert {c.measure.split(":")[0] for c in outcome.checks} == {"wav", "whisper"}
    # Not given (a test's or an older caller's config): every workload.
    sources.clear()
    outcome = floor.floor(SimpleNamespace(floor_rounds=1), dataset=None)
    assert list(outcome.data["workloads"]) == ["wav", "mp3", "whisper"]

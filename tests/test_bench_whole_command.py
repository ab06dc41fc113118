"""Workload (f) of the bench: -j 2 / -j 1 as whole commands, shown beside the check.

The checked figure is per file (start-up and the last worker's tail set
aside); a user timing ``melcli mel`` sees the whole run. The line under the
table gives that ratio too, round by round, from the runs on N files.
"""

from __future__ import annotations

import sys
from typing import Any

import pytest
from conftest import bench_module


@pytest.fixture
def floor(monkeypatch: pytest.MonkeyPatch) -> Any:
    return bench_module(monkeypatch, "workloads.floor")


def test_whole_command_ratio_is_each_rounds_j1_run_over_its_j2_run(floor: Any) -> None:
    h = sys.modules["harness"]

    def runs(*seconds: float) -> Any:
        return h.Timings([h.ProcessRun(s, 10**7, s) for s in seconds])

    # Start-up (0.3 s) in both; per file -j 2 twice as fast: whole runs less.
    timings = {"j1": runs(10.3, 12.3, 10.3), "j2": runs(5.3, 5.3, 6.3)}
    whole = floor.whole_command_ratios(timings, "j1", "j2")
    assert whole == pytest.approx([10.3 / 5.3, 12.3 / 5.3, 10.3 / 6.3])
    (line,) = floor.whole_command_notes("whisper", whole, 4800)
    assert "whole commands on its 4800 files" in line
    assert f"{10.3 / 5.3:.2f}x" in line  # the median round
    assert f"rounds {10.3 / 6.3:.2f}-{12.3 / 5.3:.2f}" in line
    assert floor.whole_command_notes("whisper", [], 4800) == []

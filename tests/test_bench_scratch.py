"""The bench's outputs go to a scratch folder of its own, spread over the disk.

Every run's OUT used to be a new folder under ``/tmp``: one block group of the
disk, shared with whatever else the machine creates and deletes, so on an ext4
without a journal each run paid for the files deleted just before it (the
bench's own previous run, other processes). The bench now makes
``DATA/scratch`` (``chattr +T`` where the file system has it) its temporary
directory for the length of the run.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest
from conftest import bench_module


@pytest.fixture
def bench(monkeypatch: pytest.MonkeyPatch) -> Any:
    return bench_module(monkeypatch, "bench")


def test_outputs_are_made_under_the_scratch_folder(bench: Any, tmp_path: Path) -> None:
    harness = sys.modules["harness"]
    before = tempfile.gettempdir()
    (tmp_path / "scratch" / "melcli-bench-killed").mkdir(parents=True)
    with harness.scratch_root(tmp_path) as (root, line):
        assert root == tmp_path / "scratch"
        assert not (root / "melcli-bench-killed").exists()  # leftovers removed
        out = harness.new_output("j1")
        assert out.parent == root
        with tempfile.TemporaryDirectory() as other:
            assert Path(other).parent == root
        assert str(root) in line
        assert "chattr +T" in line
    assert tempfile.gettempdir() == before
    assert not (tmp_path / "scratch").exists()


def test_a_missing_chattr_is_said_not_fatal(
    bench: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    harness = sys.modules["harness"]
    monkeypatch.setenv("PATH", str(tmp_path / "nothing-here"))
    with harness.scratch_root(tmp_path) as (root, line):
        assert "not taken" in line
        assert harness.new_output("j2").parent == root


def test_run_all_says_where_outputs_go(
    bench: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    seen: list[str] = []

    def fake(cfg: Any, facts: dict[str, Any]) -> int:
        seen.append(tempfile.gettempdir())
        return 0

    monkeypatch.setattr(bench, "_run_workloads", fake)
    monkeypatch.setattr(bench, "machine_facts", _facts)
    cfg = bench.parse_args(["--only", "f", "--data", str(tmp_path)])
    assert bench.run_all(cfg) == 0
    assert seen == [str(tmp_path / "scratch")]
    assert f"outputs under {tmp_path / 'scratch'}" in capsys.readouterr().out


def _facts() -> dict[str, Any]:
    return {
        "cpus": 2,
        "cpu_count": 2,
        "cpu_model": "x",
        "memory_gib": 1.0,
        "platform": "p",
        "python": "3",
        "versions": {},
        "melcli_commit": "c",
        "warnings": [],
    }

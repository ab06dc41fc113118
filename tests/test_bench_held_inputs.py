"""The bench holds a workload's inputs in the page cache while it races them.

This VM pages out file pages unused for about a second (DAMON ``pageout``):
inputs warmed once were read from the disk again mid-run. ``held_in_cache``
maps and locks them in a child process for the workload's race.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"


def _locked_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmLck:"):
            return int(line.split()[1])
    return 0


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux /proc")
def test_the_inputs_are_mapped_and_locked_while_the_block_runs(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.syspath_prepend(str(BENCH))
    import data

    (tmp_path / "a").mkdir()
    for k in range(3):
        (tmp_path / "a" / f"{k}.wav").write_bytes(bytes(range(256)) * 400)
    (tmp_path / "empty.wav").write_bytes(b"")
    children = set(os.listdir("/proc"))
    with data.held_in_cache(tmp_path) as said:
        new = [p for p in set(os.listdir("/proc")) - children if p.isdigit()]
        holders = [int(p) for p in new if _is_holder(int(p))]
        if said.startswith("inputs held"):
            assert said == "inputs held in the page cache (4 files, mlockall)"
            (pid,) = holders
            assert _locked_kib(pid) >= 3 * 102400 // 1024
        else:  # no privilege to lock here (root always has): said why
            assert os.geteuid() != 0, said
            assert said.startswith("inputs not held: mlockall: "), said
    assert all(not Path(f"/proc/{pid}").exists() for pid in holders)


def _is_holder(pid: int) -> bool:
    try:
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    return b"mlockall" in cmd

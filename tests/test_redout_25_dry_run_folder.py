"""Hostile OUT, round 25: a folder in an output's place, as ``--dry-run`` tells it.

The run fails such an input (``cannot write output: is a directory``); the
dry run said ``would build ...: PNG missing`` (or ``output missing``), a plan
the run does not carry out.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import mel, short_tones


@pytest.mark.parametrize("name", ["0.png", "0.npy"])
def test_dry_run_fails_an_input_whose_output_place_a_folder_holds(
    tmp_path: Path, name: str
) -> None:
    src = short_tones(tmp_path / "src", 2)
    out = tmp_path / "out"
    assert mel(src, out, "--png").exit_code == 0
    (out / name).unlink()
    (out / name).mkdir()

    dry = mel(src, out, "--png", "--dry-run")
    run = mel(src, out, "--png")

    said = [line for line in run.stderr.splitlines() if line.startswith("error:")]
    assert said  # the run fails it
    assert "would build" not in dry.stderr + dry.stdout
    assert said[0] in dry.stderr.splitlines()
    assert "1 would fail" in dry.stderr

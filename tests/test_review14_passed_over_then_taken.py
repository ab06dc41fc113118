"""An input passed over by one run and taken by a later one is no longer "skipped".

A run records each input it passes over under ``src:PATH`` (``skipped: does
not match --include``). Built before, and up to date when a later run takes
it again (the README's "build a dataset in parts with --include"), its
``src:`` entry stayed for good beside its array's: the gallery counted the
input as skipped too (``300 inputs ..., 268 skipped`` of an OUT whose 300
inputs were all built), and every later re-run, with nothing to do, read each
such entry whole. It is forgotten by the run that takes the input.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import mel, short_tones

pytestmark = pytest.mark.usefixtures("isolated")


def _entries(out: Path) -> dict[str, dict[str, object]]:
    lines = (out / "manifest.jsonl").read_text().splitlines()
    return {e["key"]: e for e in map(json.loads, lines)}


def _passed_over(out: Path) -> dict[str, object]:
    return {k: e["source"] for k, e in _entries(out).items() if k.startswith("src:")}


def test_an_input_left_out_then_taken_up_to_date_is_not_also_skipped(
    tmp_path: Path,
) -> None:
    src = short_tones(tmp_path / "src", 3)
    out = tmp_path / "out"
    assert mel(src, out).exit_code == 0
    part = mel(src, out, "--include", "0.wav")
    assert part.stderr.endswith("0 written, 1 up to date, 2 skipped.\n"), part.stderr
    assert sorted(_passed_over(out).values()) == ["1.wav", "2.wav"]

    whole = mel(src, out)

    assert whole.exit_code == 0, whole.stderr
    assert whole.stderr.endswith("0 written, 3 up to date.\n"), whole.stderr
    assert _passed_over(out) == {}
    statuses = {e["status"] for e in _entries(out).values()}
    assert statuses == {"up-to-date"}


def test_an_input_passed_over_again_keeps_its_entry(tmp_path: Path) -> None:
    """Only the entries of inputs this run takes go: not those it passes over."""
    src = short_tones(tmp_path / "src", 3)
    out = tmp_path / "out"
    assert mel(src, out).exit_code == 0
    assert mel(src, out, "--include", "0.wav").exit_code == 0

    again = mel(src, out, "--include", "[01].wav")

    assert again.exit_code == 0, again.stderr
    assert list(_passed_over(out).values()) == ["2.wav"]
    # And one taken now whose output had to be built (it was not before).
    (out / "2.npy").unlink()
    built = mel(src, out)
    assert built.stderr.endswith("1 written, 2 up to date.\n"), built.stderr
    assert _passed_over(out) == {}

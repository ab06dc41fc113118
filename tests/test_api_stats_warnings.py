"""``melcli.write_stats(out)`` says what it left out, as ``melcli stats`` does.

The command chose the arrays itself and printed what it left out (arrays of
inputs made with other settings, entries of a damaged manifest, arrays not
what their entries record); ``melcli.write_stats(out)`` left the same arrays
out without a word. The statistics it returns now carry those lines in
``warnings``, and the command prints them.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import invoke, mel, two_classes

import melcli

pytestmark = pytest.mark.usefixtures("isolated")

OTHER_SETTINGS = (
    "left out the arrays of 1 input made with other settings than the latest "
    "ones ('melcli mel ... --prune' deletes them)"
)
#: The same, to a Python caller (in its words: tests/test_trial_35_stats_api_words.py).
API_OTHER_SETTINGS = (
    "left out the arrays of 1 input made with other settings than the latest "
    "ones (melcli.run(..., prune=True) deletes them)"
)


def test_arrays_of_other_settings_are_said(tmp_path: Path) -> None:
    src = two_classes(tmp_path / "audio")
    out = tmp_path / "out"
    assert mel(src, out, "--n-mels", "80").exit_code == 0
    assert mel(src, out, "--include", "dogs/*").exit_code == 0  # cats/ kept
    stats = melcli.write_stats(out)
    assert stats.warnings == [API_OTHER_SETTINGS]
    assert len(stats.files) == 1
    command = invoke("stats", out)
    assert command.exit_code == 0
    assert [w for w in command.stderr.splitlines() if "warning" in w] == [
        f"warning: {OTHER_SETTINGS}"
    ]


def test_nothing_left_out_says_nothing(tmp_path: Path) -> None:
    src = two_classes(tmp_path / "audio")
    out = tmp_path / "out"
    assert mel(src, out).exit_code == 0
    assert melcli.write_stats(out).warnings == []

"""``melcli mel -v`` says which settings came from a config file or the environment.

A ``[tool.melcli]`` table in the project's ``pyproject.toml`` applies without
a word; a newcomer whose arrays come out with 80 bands, not 128, looks at
``-v`` first, and it must name where the settings came from.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from conftest import QUIET_LOGS, invoke

pytestmark = pytest.mark.usefixtures("isolated")  # cwd: tmp_path / "cwd"


def test_verbose_names_the_settings_of_the_config_and_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sf.write(tmp_path / "a.wav", np.zeros(2205, np.float32) + 0.1, 22050)
    Path("pyproject.toml").write_text(
        '[tool.melcli]\nn-mels = 80\next = ["wav"]\npng = false\n'
    )
    monkeypatch.setenv("MELCLI_HOP_LENGTH", "256")
    out = tmp_path / "out"
    result = invoke("mel", tmp_path / "a.wav", "-o", out, "-v", "-j", "1")
    assert result.exit_code == 0, result.stderr
    # MELCLI_PROGRESS_INTERVAL (set for every test) changes only the messages.
    assert QUIET_LOGS[0] in os.environ
    assert result.stderr.splitlines()[:2] == [
        'settings from config pyproject.toml: png = false, ext = ["wav"], n_mels = 80',
        "settings from the environment: MELCLI_HOP_LENGTH=256",
    ]
    assert np.load(out / "a.npy").shape == (80, 2205 // 256 + 1)
    # Not without -v, nor with only the command line.
    quiet = invoke("mel", tmp_path / "a.wav", "-o", out, "--force", "-j", "1")
    assert "settings from" not in quiet.stderr
    Path("pyproject.toml").unlink()
    monkeypatch.delenv("MELCLI_HOP_LENGTH")
    plain = invoke("mel", tmp_path / "a.wav", "-o", out, "-v", "--force", "-j", "1")
    assert "settings from" not in plain.stderr

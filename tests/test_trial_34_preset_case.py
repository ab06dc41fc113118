"""Preset names are taken in any case: ``--preset WHISPER`` is Whisper's.

A newcomer types the model's name as its paper spells it (``AST``,
``Whisper``); ``--preset WHISPER`` was refused (exit 2), and
``melcli.preset_params("Whisper")`` raised. ``--help`` still lists the names
as they are.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from conftest import invoke

import melcli
from melcli.presets import PRESETS


@pytest.fixture
def clip(tmp_path: Path) -> Path:
    path = tmp_path / "audio" / "a.wav"
    path.parent.mkdir()
    rng = np.random.default_rng(0)
    sf.write(path, rng.uniform(-0.5, 0.5, 8000).astype(np.float32), 16000)
    return path


@pytest.mark.parametrize("spelled", ["WHISPER", "Whisper"])
def test_mel_takes_a_preset_in_any_case(
    clip: Path, tmp_path: Path, spelled: str
) -> None:
    lower = invoke(
        "mel", clip, "-o", tmp_path / "lower", "-j", "1", "--preset", "whisper"
    )
    upper = invoke(
        "mel", clip, "-o", tmp_path / "upper", "-j", "1", "--preset", spelled
    )
    assert (lower.exit_code, upper.exit_code) == (0, 0), upper.stderr
    a = np.load(tmp_path / "lower" / "a.npy")
    b = np.load(tmp_path / "upper" / "a.npy")
    assert a.shape[0] == 80
    np.testing.assert_array_equal(a, b)


def test_presets_command_takes_a_name_in_any_case() -> None:
    upper = invoke("presets", "AST", "--json")
    lower = invoke("presets", "ast", "--json")
    assert upper.exit_code == 0, upper.stderr
    assert upper.stdout == lower.stdout
    # A typo is still refused, naming the nearest; --help lists names as they are.
    typo = invoke("presets", "WISPER")
    assert typo.exit_code == 2
    assert "Did you mean 'whisper'?" in typo.stderr
    help_text = " ".join(invoke("mel", "--help").stdout.split())
    assert ", ".join(PRESETS) in help_text


def test_environment_and_api_take_it_too(
    clip: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert melcli.preset_params("Whisper") == melcli.preset_params("whisper")
    assert melcli.preset_params("SEAMLESS-M4T") == melcli.preset_params("seamless-m4t")
    report = melcli.run([clip], tmp_path / "api", params=melcli.preset_params("AST"))
    assert report.to_json()["written"] == 1
    with pytest.raises(melcli.ParameterError, match="did you mean 'whisper'"):
        melcli.preset_params("Wisper")
    monkeypatch.setenv("MELCLI_PRESET", "AST")
    result = invoke("mel", clip, "-o", tmp_path / "env", "--print-config")
    assert result.exit_code == 0, result.stderr
    assert 'preset = "ast"' in result.stdout

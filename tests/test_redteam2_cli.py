"""Option values a demanding user types, or leaves in a config file.

- TOML values click cannot take (``n_mels = 1e999``, a table, a list for a
  single value) were tracebacks (``OverflowError``, ``TypeError``); ``true``
  for a number became 1 silently. Each is now a usage error naming the key
  and its file, as the same text in a ``MELCLI_*`` variable is;
- a config file that is not UTF-8, or a FIFO: one line, exit status 2;
- ``--n-mels 99999999999999999999`` or ``--n-fft 99999999999`` asked numpy for
  hundreds of GiB (a traceback); both are bounded, from the command line and
  from ``MelParams.validate()``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import soundfile as sf
from conftest import invoke, tone

from melcli import MelParams, ParameterError
from melcli.params import MAX_N_FFT, MAX_N_MELS

pytestmark = pytest.mark.usefixtures("isolated")


@pytest.fixture
def audio(tmp_path: Path) -> Path:
    root = tmp_path / "audio"
    root.mkdir()
    sf.write(root / "a.wav", tone(440.0, sr=8000, seconds=0.3), 8000)
    return root


@pytest.mark.parametrize(
    ("line", "words"),
    [
        ("n_mels = 1e999", "'--n-mels': 'inf' is not a valid integer"),
        ("n_mels = -inf", "'--n-mels': '-inf' is not a valid integer"),
        ("n_mels = true", "'--n-mels': 'true' is not a valid integer"),
        ("segment = nan", "segment=nan must be a finite number"),
        ("jobs = {a = 1}", "jobs in pyproject.toml is a table, not a value"),
        ("n_mels = [64]", "n_mels in pyproject.toml is a list, not a value"),
        ("include = [['a']]", "include in pyproject.toml holds a list or table"),
    ],
)
def test_a_config_value_click_cannot_take_is_a_usage_error(
    audio: Path, tmp_path: Path, line: str, words: str
) -> None:
    Path("pyproject.toml").write_text(f"[tool.melcli]\n{line}\n")
    result = invoke("mel", audio, "-o", tmp_path / "out")
    assert result.exit_code == 2
    assert words in result.stderr
    assert not (tmp_path / "out").exists()


def test_config_values_that_are_fine_still_work(audio: Path, tmp_path: Path) -> None:
    Path("pyproject.toml").write_text(
        '[tool.melcli]\nn_mels = 64\npng = false\next = ["wav", "flac"]\n'
    )
    result = invoke("mel", audio, "-o", tmp_path / "out", "--print-config")
    assert result.exit_code == 0, result.stderr
    assert "n_mels = 64  # config pyproject.toml" in result.stdout
    assert 'ext = ["wav", "flac"]  # config pyproject.toml' in result.stdout


def test_a_config_file_that_is_not_utf8_is_a_usage_error(
    audio: Path, tmp_path: Path
) -> None:
    Path("pyproject.toml").write_bytes(b"\xff\xfe[tool.melcli]\n")
    result = invoke("mel", audio, "-o", tmp_path / "out")
    assert result.exit_code == 2
    assert "pyproject.toml: not UTF-8 text, as TOML must be" in result.stderr


def test_a_config_file_that_is_a_fifo_is_not_waited_on(
    audio: Path, tmp_path: Path
) -> None:
    fifo = tmp_path / "melcli.toml"
    os.mkfifo(fifo)
    result = invoke("mel", audio, "-o", tmp_path / "out", "--config", fifo)
    assert result.exit_code == 2
    assert f"{fifo}: not a regular file" in result.stderr


@pytest.mark.parametrize(
    ("option", "value", "bound"),
    [
        ("--n-mels", "99999999999999999999", MAX_N_MELS),
        ("--n-fft", "99999999999", MAX_N_FFT),
    ],
)
def test_a_huge_size_is_a_usage_error_not_an_allocation(
    audio: Path, tmp_path: Path, option: str, value: str, bound: int
) -> None:
    result = invoke("mel", audio, "-o", tmp_path / "out", option, value)
    assert result.exit_code == 2
    name = option[2:].replace("-", "_")
    assert f"{name}={value} must be at most {bound}" in result.stderr


def test_the_bounds_hold_in_python_and_allow_what_models_use() -> None:
    with pytest.raises(ParameterError, match="n_fft=1048576 must be at most 65536"):
        MelParams(n_fft=1 << 20).validate()
    with pytest.raises(ParameterError, match="n_mels=4096 must be at most 2048"):
        MelParams(n_mels=4096).validate()
    MelParams(n_fft=MAX_N_FFT, n_mels=MAX_N_MELS).validate()

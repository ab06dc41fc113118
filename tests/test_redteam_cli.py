"""Options of time: a bad value is a usage error naming the option, never a traceback.

``--timeout 1e300`` reached the worker pool's ``poll`` and ended the run with
``OverflowError``; ``--timeout nan`` and ``--progress-interval nan`` passed
``FloatRange(min=0)`` and silently meant "never". Every source of a value (the
command line, ``MELCLI_*``, a config file) goes through the same type.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import soundfile as sf
from click.testing import CliRunner
from conftest import tone

from melcli.cli import cli

pytestmark = pytest.mark.usefixtures("isolated")


@pytest.fixture
def src(tmp_path: Path) -> Path:
    root = tmp_path / "src"
    root.mkdir()
    for k in range(2):
        sf.write(root / f"{k}.wav", tone(300.0 + 100 * k, sr=8000, seconds=0.2), 8000)
    return root


@pytest.mark.parametrize("option", ["--timeout", "--progress-interval"])
@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "1e300", "-1", "soon"])
def test_a_time_that_is_no_finite_number_of_seconds_is_a_usage_error(
    src: Path, tmp_path: Path, option: str, value: str
) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(
        cli, ["mel", str(src), "-o", str(out), "-j", "2", f"{option}={value}"]
    )

    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith(f"Error: Invalid value for '{option}': "), last
    assert "is not a number of seconds" in last
    assert not out.exists()


@pytest.mark.parametrize("where", ["env", "config"])
def test_a_time_from_the_environment_or_a_config_file_is_checked_too(
    src: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    args = ["mel", str(src), "-o", str(tmp_path / "out"), "-j", "2"]
    if where == "env":
        monkeypatch.setenv("MELCLI_TIMEOUT", "1e300")
    else:
        config = tmp_path / "melcli.toml"
        config.write_text("timeout = 1e300\n")
        args += ["--config", str(config)]

    result = CliRunner().invoke(cli, args)

    assert result.exit_code == 2, result.output
    assert "Invalid value for '--timeout'" in result.stderr
    assert "is not a number of seconds from 0 to 1e+09" in result.stderr


def test_a_finite_time_still_works(src: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    args = ["mel", str(src), "-o", str(out), "-j", "2", "--timeout", "60"]
    result = CliRunner().invoke(cli, [*args, "--progress-interval", "0.5"])

    assert result.exit_code == 0, result.output
    assert result.stderr.strip().splitlines()[-1] == "2 written."

"""Option values a demanding user types: a bad one is a usage error naming it.

Values of time, huge sizes, values a config file holds that click cannot
take, options that cannot go together (named in the caller's spelling).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from click.testing import CliRunner
from conftest import invoke, tone

import melcli
from melcli import MelParams, ParameterError
from melcli.cli import cli
from melcli.params import MAX_N_FFT, MAX_N_MELS
from melcli.shard import Shard

pytestmark = pytest.mark.usefixtures("isolated")


# -----------------------------------------------------------------------------
# Options of time: a bad value is a usage error naming the option, never a traceback.
#
# ``--timeout 1e300`` reached the worker pool's ``poll`` and ended the run with
# ``OverflowError``; ``--timeout nan`` and ``--progress-interval nan`` passed
# ``FloatRange(min=0)`` and silently meant "never". Every source of a value (the
# command line, ``MELCLI_*``, a config file) goes through the same type.


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


# -----------------------------------------------------------------------------
# Option values a demanding user types, or leaves in a config file.
#
# - TOML values click cannot take (``n_mels = 1e999``, a table, a list for a
#   single value) were tracebacks (``OverflowError``, ``TypeError``); ``true``
#   for a number became 1 silently. Each is now a usage error naming the key
#   and its file, as the same text in a ``MELCLI_*`` variable is;
# - a config file that is not UTF-8, or a FIFO: one line, exit status 2;
# - ``--n-mels 99999999999999999999`` or ``--n-fft 99999999999`` asked numpy for
#   hundreds of GiB (a traceback); both are bounded, from the command line and
#   from ``MelParams.validate()``.


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
        ("segment = nan", "--segment nan must be a finite number"),
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
    assert f"{option} {value} must be at most {bound}" in result.stderr


def test_the_bounds_hold_in_python_and_allow_what_models_use() -> None:
    with pytest.raises(ParameterError, match="n_fft=1048576 must be at most 65536"):
        MelParams(n_fft=1 << 20).validate()
    with pytest.raises(ParameterError, match="n_mels=4096 must be at most 2048"):
        MelParams(n_mels=4096).validate()
    MelParams(n_fft=MAX_N_FFT, n_mels=MAX_N_MELS).validate()


# -----------------------------------------------------------------------------
# Options that cannot go together: the message names the option the caller
# gave, with its value, and the one it clashes with, in the caller's spelling
# (keywords for ``melcli.run``, --options for the command).


@pytest.fixture
def two_files(tmp_path: Path) -> Path:
    folder = tmp_path / "audio"
    folder.mkdir()
    sf.write(folder / "a.wav", np.zeros(2205, dtype=np.float32) + 0.1, 22050)
    return folder


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            {"scheduler": "local", "timeout": 30},
            "timeout=30 cannot be combined with scheduler='local' (a Dask task "
            "cannot be stopped once it runs; leave the timeout out)",
        ),
        (
            {"shard": "1/3", "stats": True},
            "shard='1/3' cannot be combined with stats=True (a shard sees 1/N of "
            "the arrays); run 'melcli stats OUT' after 'melcli merge OUT'",
        ),
        (
            {"shard": Shard(1, 3), "storage_format": "webdataset"},
            "shard='1/3' cannot be combined with storage_format='webdataset' (the "
            "shards would share tar names); give each shard its own OUT instead",
        ),
    ],
)
def test_the_api_names_the_options_given(
    two_files: Path, tmp_path: Path, options: dict, message: str
) -> None:
    with pytest.raises(melcli.ParameterError) as caught:
        melcli.run([two_files], tmp_path / "out", **options)
    assert str(caught.value) == message
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("shard", ["3/3", "x"])
def test_a_bad_shard_string_is_a_parameter_error(
    two_files: Path, tmp_path: Path, shard: str
) -> None:
    """As every bad keyword of melcli.run: ParameterError, naming it."""
    with pytest.raises(melcli.ParameterError, match=r"^shard='.*' must be I/N") as e:
        melcli.run([two_files], tmp_path / "out", shard=shard)
    assert e.value.param == "shard"


def test_a_shard_of_the_wrong_type_is_a_parameter_error(
    two_files: Path, tmp_path: Path
) -> None:
    with pytest.raises(melcli.ParameterError, match=r"^shard=\(3, 10\) must be 'I/N'"):
        melcli.run([two_files], tmp_path / "out", shard=(3, 10))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            ["--scheduler", "local", "--timeout", "30"],
            "Error: --timeout 30 cannot be combined with --scheduler local (a Dask "
            "task cannot be stopped once it runs; leave the timeout out)",
        ),
        (
            ["--shard", "1/3", "--stats"],
            "Error: --shard 1/3 cannot be combined with --stats (a shard sees 1/N "
            "of the arrays); run 'melcli stats OUT' after 'melcli merge OUT'",
        ),
        (
            ["--shard", "1/3", "--format", "webdataset"],
            "Error: --shard 1/3 cannot be combined with --format webdataset (the "
            "shards would share tar names); give each shard its own OUT instead",
        ),
    ],
)
def test_the_command_names_the_options_given(
    two_files: Path, tmp_path: Path, options: list[str], message: str
) -> None:
    result = CliRunner().invoke(
        cli, ["mel", str(two_files), "-o", str(tmp_path / "out"), *options]
    )
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == message
    assert not (tmp_path / "out").exists()


def test_an_unknown_config_key_suggests_the_closest(
    two_files: Path, tmp_path: Path
) -> None:
    """As an unknown MELCLI_* variable does (MELCLI_NMELS: MELCLI_N_MELS)."""
    config = tmp_path / "melcli.toml"
    config.write_text("nmels = 64\n")
    result = CliRunner().invoke(
        cli,
        ["mel", str(two_files), "-o", str(tmp_path / "out"), "--config", str(config)],
    )
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == (
        f"Error: Invalid value for '--config': unknown key 'nmels' in {config} "
        "(did you mean 'n-mels'?)"
    )
    config.write_text("zzz = 1\n")  # nothing close: no guess
    result = CliRunner().invoke(
        cli,
        ["mel", str(two_files), "-o", str(tmp_path / "out"), "--config", str(config)],
    )
    assert result.stderr.splitlines()[-1].endswith(f"unknown key 'zzz' in {config}")


def test_a_list_in_the_current_folder_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not "its paths are taken relative to .": the current folder, in words."""
    monkeypatch.chdir(tmp_path)
    Path("list.txt").write_text("nowhere/a.wav\n")
    result = CliRunner().invoke(cli, ["mel", "--files-from", "list.txt", "-o", "out"])
    assert result.exit_code == 1
    assert (
        "warning: no file listed in list.txt was found; its paths are taken relative"
        " to the current folder: give --root the folder that holds them"
    ) in result.stderr.splitlines()

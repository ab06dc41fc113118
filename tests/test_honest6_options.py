"""Options that cannot go together: the message names the option the caller
gave, with its value, and the one it clashes with, in the caller's spelling
(keywords for ``melcli.run``, --options for the command)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from click.testing import CliRunner

import melcli
from melcli.cli import cli
from melcli.shard import Shard


@pytest.fixture
def audio(tmp_path: Path) -> Path:
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
    audio: Path, tmp_path: Path, options: dict, message: str
) -> None:
    with pytest.raises(melcli.ParameterError) as caught:
        melcli.run([audio], tmp_path / "out", **options)
    assert str(caught.value) == message
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("shard", ["3/3", "x"])
def test_a_bad_shard_string_is_a_parameter_error(
    audio: Path, tmp_path: Path, shard: str
) -> None:
    """As every bad keyword of melcli.run: ParameterError, naming it."""
    with pytest.raises(melcli.ParameterError, match=r"^shard='.*' must be I/N") as e:
        melcli.run([audio], tmp_path / "out", shard=shard)
    assert e.value.param == "shard"


def test_a_shard_of_the_wrong_type_is_a_parameter_error(
    audio: Path, tmp_path: Path
) -> None:
    with pytest.raises(melcli.ParameterError, match=r"^shard=\(3, 10\) must be 'I/N'"):
        melcli.run([audio], tmp_path / "out", shard=(3, 10))  # type: ignore[arg-type]


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
    audio: Path, tmp_path: Path, options: list[str], message: str
) -> None:
    result = CliRunner().invoke(
        cli, ["mel", str(audio), "-o", str(tmp_path / "out"), *options]
    )
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == message
    assert not (tmp_path / "out").exists()


def test_an_unknown_config_key_suggests_the_closest(
    audio: Path, tmp_path: Path
) -> None:
    """As an unknown MELCLI_* variable does (MELCLI_NMELS: MELCLI_N_MELS)."""
    config = tmp_path / "melcli.toml"
    config.write_text("nmels = 64\n")
    result = CliRunner().invoke(
        cli, ["mel", str(audio), "-o", str(tmp_path / "out"), "--config", str(config)]
    )
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == (
        f"Error: Invalid value for '--config': unknown key 'nmels' in {config} "
        "(did you mean 'n-mels'?)"
    )
    config.write_text("zzz = 1\n")  # nothing close: no guess
    result = CliRunner().invoke(
        cli, ["mel", str(audio), "-o", str(tmp_path / "out"), "--config", str(config)]
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

"""Settings from --config, ./pyproject.toml and MELCLI_* variables; --print-config."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from click.testing import CliRunner
from conftest import WriteAudio, invoke, noise, tone, two_classes

from melcli.cli import cli

pytestmark = pytest.mark.usefixtures("isolated")

FRAMES = 1 + 22050 // 512  # a 1-s file at the default sr and hop_length


@pytest.fixture
def clip(write_audio: WriteAudio) -> Path:
    """A 1-s 22.05 kHz mono tone."""
    return write_audio("clip.wav")


def write_toml(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def shape_after(clip: Path, out: Path, *options: object) -> tuple[int, ...]:
    result = invoke("mel", clip, "-o", out, "-j", "1", *options)
    assert result.exit_code == 0, result.stderr
    return tuple(np.load(out / "clip.npy").shape)


# -------------------------------------------------------------- precedence
@pytest.mark.parametrize(
    ("env", "options", "n_mels"),
    [
        (None, (), 64),
        ("32", (), 32),
        ("32", ("--n-mels", "16"), 16),
        (None, ("--n-mels", "16"), 16),
    ],
    ids=["file", "env-beats-file", "cli-beats-both", "cli-beats-file"],
)
def test_command_line_beats_environment_beats_config_file(
    clip: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    env: str | None,
    options: tuple[str, ...],
    n_mels: int,
) -> None:
    config = write_toml(tmp_path / "melcli.toml", "n_mels = 64\n")
    if env is not None:
        monkeypatch.setenv("MELCLI_N_MELS", env)
    shape = shape_after(clip, tmp_path / "out", "--config", config, *options)
    assert shape == (n_mels, FRAMES)


def test_without_any_config_the_defaults_apply(clip: Path, tmp_path: Path) -> None:
    assert shape_after(clip, tmp_path / "out") == (128, FRAMES)


def test_pyproject_tool_melcli_in_current_folder_is_read(
    clip: Path, tmp_path: Path
) -> None:
    write_toml(
        Path("pyproject.toml"),
        '[project]\nname = "demo"\n\n[tool.melcli]\nn_mels = 20\n\n'
        "[tool.other]\nn_melz = 1\n",
    )
    assert shape_after(clip, tmp_path / "out") == (20, FRAMES)


def test_pyproject_without_melcli_table_changes_nothing(
    clip: Path, tmp_path: Path
) -> None:
    write_toml(Path("pyproject.toml"), '[project]\nname = "demo"\n')
    assert shape_after(clip, tmp_path / "out") == (128, FRAMES)


def test_config_option_takes_a_tool_melcli_table(clip: Path, tmp_path: Path) -> None:
    config = write_toml(
        tmp_path / "pyproject.toml",
        '[project]\nname = "demo"\n\n[tool.melcli]\nn_mels = 48\nhop_length = 256\n',
    )
    shape = shape_after(clip, tmp_path / "out", "--config", config)
    assert shape == (48, 1 + 22050 // 256)


def test_config_option_wins_over_pyproject_in_current_folder(
    clip: Path, tmp_path: Path
) -> None:
    write_toml(Path("pyproject.toml"), "[tool.melcli]\nn_mels = 20\n")
    config = write_toml(tmp_path / "other.toml", "n_mels = 24\n")
    assert shape_after(clip, tmp_path / "out", "--config", config) == (24, FRAMES)


@pytest.mark.parametrize(
    "text", ["n-mels = 40\nhop-length = 256\n", "n_mels = 40\nhop_length = 256\n"]
)
def test_keys_take_dashes_or_underscores(clip: Path, tmp_path: Path, text: str) -> None:
    config = write_toml(tmp_path / "melcli.toml", text)
    shape = shape_after(clip, tmp_path / "out", "--config", config)
    assert shape == (40, 1 + 22050 // 256)


# ------------------------------------------------------------------ errors
@pytest.mark.parametrize(
    "text", ["n_melz = 64\n", "[tool.melcli]\nn_mels = 64\nn_melz = 64\n"]
)
def test_unknown_key_is_usage_error_naming_it(
    clip: Path, tmp_path: Path, text: str
) -> None:
    config = write_toml(tmp_path / "melcli.toml", text)
    out = tmp_path / "out"
    result = invoke("mel", clip, "-o", out, "--config", config)

    assert result.exit_code == 2
    assert result.stdout == ""
    assert "n_melz" in result.stderr
    assert not out.exists()


def test_unknown_key_in_pyproject_is_usage_error_naming_it(
    clip: Path, tmp_path: Path
) -> None:
    write_toml(Path("pyproject.toml"), "[tool.melcli]\nhop_lenght = 256\n")
    out = tmp_path / "out"
    result = invoke("mel", clip, "-o", out)

    assert result.exit_code == 2
    assert "hop_lenght" in result.stderr
    assert not out.exists()


@pytest.mark.parametrize(
    "text", ["n_mels = \n", "[tool.melcli\nn_mels = 64\n", 'window = "hann\n']
)
def test_malformed_toml_is_usage_error(clip: Path, tmp_path: Path, text: str) -> None:
    config = write_toml(tmp_path / "broken.toml", text)
    out = tmp_path / "out"
    result = invoke("mel", clip, "-o", out, "--config", config)

    assert result.exit_code == 2
    assert result.stdout == ""
    assert "broken.toml" in result.stderr
    assert "Traceback" not in result.stderr
    assert not out.exists()


def test_bad_value_from_config_is_usage_error_naming_the_option(
    clip: Path, tmp_path: Path
) -> None:
    config = write_toml(tmp_path / "melcli.toml", "n_mels = 0\n")
    out = tmp_path / "out"
    result = invoke("mel", clip, "-o", out, "--config", config)

    assert result.exit_code == 2
    assert "n-mels" in result.stderr or "n_mels" in result.stderr
    assert not out.exists()


# ------------------------------------------------------------ print-config
def test_print_config_names_the_origin_of_each_setting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = write_toml(tmp_path / "melcli.toml", "n_mels = 64\nfmin = 20.0\n")
    monkeypatch.setenv("MELCLI_HOP_LENGTH", "256")
    monkeypatch.setenv("MELCLI_FMIN", "30.0")
    result = invoke("mel", "--config", config, "--n-fft", "1024", "--print-config")

    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    lines = result.stdout.splitlines()
    assert lines[0] == "[tool.melcli]"
    assert f"n_mels = 64  # config {config}" in lines
    assert "fmin = 30.0  # environment" in lines  # the environment beats the file
    assert "hop_length = 256  # environment" in lines
    assert "n_fft = 1024  # command line" in lines
    assert 'window = "hann"  # default' in lines
    # One line per setting, and the whole is TOML that says the same.
    keys = [line.split(" = ")[0] for line in lines[1:]]
    assert len(keys) == len(set(keys))
    table = tomllib.loads(result.stdout)["tool"]["melcli"]
    assert (table["n_mels"], table["hop_length"], table["n_fft"]) == (64, 256, 1024)
    assert table["fmin"] == 30.0
    assert table["window"] == "hann"


def test_print_config_with_pyproject_says_so(tmp_path: Path) -> None:
    write_toml(Path("pyproject.toml"), "[tool.melcli]\nn_mels = 20\n")
    result = invoke("mel", "--print-config")

    assert result.exit_code == 0
    assert "n_mels = 20  # config pyproject.toml" in result.stdout.splitlines()


def test_print_config_writes_nothing(clip: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = invoke("mel", clip, "-o", out, "--print-config")

    assert result.exit_code == 0
    assert not out.exists()


def test_print_config_output_can_be_read_back(clip: Path, tmp_path: Path) -> None:
    printed = invoke("mel", "--n-mels", "40", "--print-config")
    assert printed.exit_code == 0
    config = write_toml(tmp_path / "printed.toml", printed.stdout)

    assert shape_after(clip, tmp_path / "out", "--config", config) == (40, FRAMES)


# --------------------------------------------------------- values by kind
def test_native_sr_and_no_top_db_from_config(
    write_audio: WriteAudio, tmp_path: Path
) -> None:
    """A 16 kHz file, half silence: native rate kept, nothing clamped."""
    y = np.concatenate([np.zeros(8000, np.float32), tone(sr=16000, seconds=0.5)])
    src = write_audio("quiet.wav", y, sr=16000)
    config = write_toml(tmp_path / "melcli.toml", 'sr = "native"\ntop_db = "none"\n')
    out, control = tmp_path / "out", tmp_path / "control"

    result = invoke("mel", src, "-o", out, "-j", "1", "--config", config)
    assert invoke("mel", src, "-o", control, "-j", "1").exit_code == 0

    assert result.exit_code == 0, result.stderr
    [line] = (out / "manifest.jsonl").read_text(encoding="ascii").splitlines()
    entry = json.loads(line)
    assert entry["sr"] == sf.info(src).samplerate == 16000
    S_db = np.load(out / "quiet.npy")
    assert S_db.shape == (128, 1 + 16000 // 512)
    assert S_db.min() < S_db.max() - 80  # not clamped
    clamped = np.load(control / "quiet.npy")
    assert clamped.min() == pytest.approx(clamped.max() - 80, abs=1e-3)


def test_ext_from_environment(
    write_audio: WriteAudio, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_audio("a.wav")
    write_audio("b.flac", noise())
    write_audio("c.wav")
    out = tmp_path / "out"
    monkeypatch.setenv("MELCLI_EXT", "wav")
    result = invoke("mel", tmp_path / "audio", "-o", out, "-j", "1")

    assert result.exit_code == 0
    assert sorted(p.name for p in out.glob("*.npy")) == ["a.npy", "c.npy"]


def test_ext_list_from_config(write_audio: WriteAudio, tmp_path: Path) -> None:
    write_audio("a.wav")
    write_audio("b.flac", noise())
    config = write_toml(tmp_path / "melcli.toml", 'ext = ["flac"]\n')
    out = tmp_path / "out"
    result = invoke("mel", tmp_path / "audio", "-o", out, "-j", "1", "--config", config)

    assert result.exit_code == 0, result.stderr
    assert sorted(p.name for p in out.glob("*.npy")) == ["b.npy"]


def test_ext_text_from_config(write_audio: WriteAudio, tmp_path: Path) -> None:
    write_audio("a.wav")
    write_audio("b.flac", noise())
    write_audio("c.ogg", noise(seed=2))
    config = write_toml(tmp_path / "melcli.toml", 'ext = "wav,flac"\n')
    out = tmp_path / "out"
    result = invoke("mel", tmp_path / "audio", "-o", out, "-j", "1", "--config", config)

    assert result.exit_code == 0, result.stderr
    assert sorted(p.name for p in out.glob("*.npy")) == ["a.npy", "b.npy"]


@pytest.mark.parametrize(
    ("env", "options", "shape"),
    [
        ("false", (), (2, 128, FRAMES)),
        ("false", ("--mono",), (128, FRAMES)),
        ("true", (), (128, FRAMES)),
    ],
)
def test_flag_from_environment(
    write_audio: WriteAudio,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    env: str,
    options: tuple[str, ...],
    shape: tuple[int, ...],
) -> None:
    src = write_audio("st.wav", tone(channels=2))
    monkeypatch.setenv("MELCLI_MONO", env)
    out = tmp_path / "out"
    result = invoke("mel", src, "-o", out, "-j", "1", *options)

    assert result.exit_code == 0, result.stderr
    assert np.load(out / "st.npy").shape == shape


@pytest.mark.parametrize(
    ("variable", "value"), [("MELCLI_JSON", "1"), ("MELCLI_EXT", "flac")]
)
def test_environment_variables_are_named_after_the_long_options(
    clip: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    variable: str,
    value: str,
) -> None:
    # MELCLI_<OPTION>, as docs/configuration.md says: --json is MELCLI_JSON,
    # --ext MELCLI_EXT.
    monkeypatch.setenv(variable, value)
    result = invoke("mel", clip.parent, "-o", tmp_path / "out")
    assert result.exit_code == 0, result.stderr
    if variable == "MELCLI_JSON":
        assert json.loads(result.stdout)["written"] == 1
    else:  # the .wav clip is not taken when only flac is asked for
        assert result.stdout == ""
        assert result.stderr.splitlines()[-1] == "0 written, 1 skipped."


# -----------------------------------------------------------------------------
# An unknown config key spelled with underscores gets the same hint as one
# spelled with dashes: both spellings are keys (``n_mels`` and ``n-mels``).


@pytest.mark.parametrize(
    ("key", "hint"),
    [("n_mel", "n-mels"), ("n-mel", "n-mels"), ("hop_lenth", "hop-length")],
)
def test_an_unknown_key_with_underscores_suggests_the_closest(
    tmp_path: Path, key: str, hint: str
) -> None:
    config = tmp_path / "melcli.toml"
    config.write_text(f"{key} = 64\n")
    result = CliRunner().invoke(
        cli,
        ["mel", str(tmp_path), "-o", str(tmp_path / "out"), "--config", str(config)],
    )
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == (
        f"Error: Invalid value for '--config': unknown key {key!r} in {config} "
        f"(did you mean {hint!r}?)"
    )


# -----------------------------------------------------------------------------
# The command's own inputs, crafted: a config file nested deeper than tomllib goes.
#
# tomllib parses arrays and inline tables recursively: a ``pyproject.toml`` in
# the current folder holding ``[[[...]]]`` 5000 deep ended every command in a
# RecursionError traceback, before any option was read.


@pytest.mark.parametrize(
    "value", ["[" * 5000 + "]" * 5000, "{a = " * 5000 + "1" + "}" * 5000]
)
def test_a_config_nested_too_deep_is_a_usage_error(tmp_path: Path, value: str) -> None:
    src = two_classes(tmp_path / "src")
    Path("pyproject.toml").write_text(f"[tool.melcli]\nn_mels = {value}\n")

    result = invoke("mel", src, "-o", tmp_path / "out")

    assert result.exit_code == 2, result.stderr
    assert "pyproject.toml: nested too deep to read" in result.stderr
    assert not (tmp_path / "out").exists()

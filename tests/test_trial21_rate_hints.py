"""A sample rate as people write it (``16k``, ``16000.0``) names the integer.

Seen in a newcomer's trial: ``--sr 16k`` said ``'16k' is not an integer or
'native'``, and ``MelParams(sr=16000.0)`` ``must be a positive integer``,
without the number to give. A float in a config file for an integer option
(``n-mels = 64.5``) was cut to 64 without a word; it is now refused as the
same text in ``MELCLI_N_MELS`` is.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import invoke, short_tones

import melcli


@pytest.mark.parametrize(
    ("given", "meant"),
    [("16k", 16000), ("44.1kHz", 44100), ("16 kHz", 16000), ("16000.0", 16000)],
)
def test_the_command_names_the_rate_in_hz(
    tmp_path: Path, given: str, meant: int
) -> None:
    src = short_tones(tmp_path / "audio", n=1)
    result = invoke("mel", src, "-o", tmp_path / "out", "--sr", given)
    assert result.exit_code == 2
    assert f"{given!r} is not an integer or 'native'; give {meant} (in Hz)" in (
        result.stderr
    )
    assert not (tmp_path / "out").exists()


def test_a_word_gets_no_rate(tmp_path: Path) -> None:
    src = short_tones(tmp_path / "audio", n=1)
    result = invoke("mel", src, "-o", tmp_path / "out", "--sr", "fast")
    assert result.exit_code == 2
    assert "'fast' is not an integer or 'native'\n" in result.stderr


@pytest.mark.parametrize("given", ["16k", 16000.0])
def test_the_api_names_the_rate_in_hz(given: object) -> None:
    with pytest.raises(melcli.ParameterError) as caught:
        melcli.MelParams(sr=given).validate()  # type: ignore[arg-type]
    assert caught.value.param == "sr"
    assert str(caught.value) == (
        f"sr={given!r} must be a positive integer, in Hz: sr=16000"
    )


def test_rate_meant_takes_only_whole_hz() -> None:
    from melcli.params import rate_meant

    assert rate_meant("22.05k") == 22050
    assert rate_meant("0.5") is None
    assert rate_meant("16.0001k") is None
    assert rate_meant(True) is None
    assert rate_meant("k") is None


@pytest.mark.parametrize(
    ("line", "said"),
    [
        ("n-mels = 64.5", "'64.5' is not a valid integer"),
        ("sr = 16000.0", "'16000.0' is not an integer or 'native'; give 16000"),
    ],
)
def test_a_config_float_for_an_integer_option_is_refused(
    tmp_path: Path, line: str, said: str
) -> None:
    src = short_tones(tmp_path / "audio", n=1)
    config = tmp_path / "melcli.toml"
    config.write_text(line + "\n")
    result = invoke("mel", src, "-o", tmp_path / "out", "--config", config)
    assert result.exit_code == 2
    assert said in result.stderr
    assert not (tmp_path / "out").exists()


def test_a_config_float_for_a_float_option_is_taken(tmp_path: Path) -> None:
    src = short_tones(tmp_path / "audio", n=1)
    config = tmp_path / "melcli.toml"
    config.write_text("top-db = 60.0\nfmin = 50.5\n")
    result = invoke("mel", src, "-o", tmp_path / "out", "--config", config)
    assert result.exit_code == 0, result.stderr
    assert (
        "top_db = 60.0  # config"
        in invoke("mel", "--config", config, "--print-config").stdout
    )

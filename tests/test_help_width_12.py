"""Every command's --help fits an 80-column terminal.

``--preset [whisper|whisper-v3|...|wenet]`` and ``--window [hann|...|triang]``
made lines of about 100 and 120 characters, which a terminal wraps in the
middle of a word; their names are now listed in the wrapped help text.
"""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from melcli.cli import cli

COMMANDS = [(), ("mel",), ("info",), ("stats",), ("gallery",), ("merge",), ("presets",)]


@pytest.mark.parametrize("command", COMMANDS)
def test_help_lines_fit_80_columns(command: tuple[str, ...]) -> None:
    result = CliRunner().invoke(cli, [*command, "--help"], terminal_width=80)
    assert result.exit_code == 0
    long = [line for line in result.stdout.splitlines() if len(line) > 80]
    assert long == []


def test_the_names_a_word_option_takes_are_in_its_help() -> None:
    result = CliRunner().invoke(cli, ["mel", "--help"], terminal_width=80)
    text = " ".join(result.stdout.split())
    assert "--preset NAME Set every setting a model's front end pins: whisper," in text
    assert "seamless-m4t, wenet (see 'melcli presets')" in text
    assert "--window NAME Window function: hann, hamming, blackman," in text

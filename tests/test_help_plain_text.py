"""``--help`` is read in a terminal: no Markdown code marks in it.

``melcli mel --help`` said ``(as `melcli stats OUT`)`` where every other help
text quotes a command as ``'melcli merge OUT'``; ``info`` and ``stats`` did
the same. A backquote is shown as it is, in a terminal and in the generated
Options page.
"""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from melcli.cli import cli

COMMANDS = sorted(cli.commands)


@pytest.mark.parametrize("name", ["", *COMMANDS])
def test_no_backquotes_in_help(name: str) -> None:
    args = [name, "--help"] if name else ["--help"]
    result = CliRunner().invoke(cli, args, terminal_width=88)
    assert result.exit_code == 0
    assert "`" not in result.output


def test_every_command_is_checked() -> None:
    assert {"mel", "info", "stats", "gallery", "merge", "presets"} <= set(COMMANDS)
    assert all(isinstance(cli.commands[c], click.Command) for c in COMMANDS)

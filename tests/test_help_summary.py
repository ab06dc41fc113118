"""``melcli --help`` lists each command with a whole line, not a cut one.

click cuts a command's first sentence to the width left beside the name,
ending it in "...": the first screen a newcomer reads was six cut lines.
"""

from __future__ import annotations

from click.testing import CliRunner

from melcli.cli import cli


def test_every_command_has_an_uncut_line_in_the_top_help() -> None:
    result = CliRunner().invoke(cli, ["--help"], terminal_width=80)
    assert result.exit_code == 0
    lines = result.stdout.split("Commands:\n", 1)[1].splitlines()
    listed = {line.split()[0]: line for line in lines if line.strip()}
    assert set(listed) == set(cli.commands)
    for name, line in listed.items():
        assert not line.endswith("..."), line
        summary = cli.commands[name].get_short_help_str(limit=80)
        assert line.split(None, 1)[1] == summary

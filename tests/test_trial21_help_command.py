"""``melcli help`` (as git and pip spell it) names ``--help``.

Seen in a newcomer's trial: ``melcli help`` said ``No such command 'help'.``
and nothing more.
"""

from __future__ import annotations

import pytest
from conftest import invoke


@pytest.mark.parametrize(
    ("args", "topic"),
    [(["help"], "COMMAND"), (["help", "mel"], "mel"), (["help", "x y"], "COMMAND")],
)
def test_help_names_the_option(args: list[str], topic: str) -> None:
    result = invoke(*args)
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == (
        "Error: No such command 'help'. The commands and what they do: melcli "
        f"--help; a command's options: melcli {topic} --help"
    )
    assert result.stdout == ""


def test_another_unknown_command_is_as_before() -> None:
    result = invoke("mle")
    assert result.exit_code == 2
    assert "No such command 'mle'." in result.stderr
    assert "--help;" not in result.stderr

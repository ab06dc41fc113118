"""The README stays true: its --help text is current and documents every option."""

from __future__ import annotations

import re
import subprocess
import sys

import click
import pytest
from conftest import REPO

from melcli.cli import cli

README = (REPO / "README.md").read_text(encoding="utf-8")


def test_readme_help_sections_are_current() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "cogapp", "--check", "README.md"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, f"run `make docs`:\n{result.stdout}{result.stderr}"


def _commands() -> list[tuple[str, click.Command]]:
    assert isinstance(cli, click.Group)
    return [("", cli), *((f"{name} ", cmd) for name, cmd in cli.commands.items())]


@pytest.mark.parametrize(
    ("prefix", "command"), _commands(), ids=lambda v: v if isinstance(v, str) else ""
)
def test_every_option_is_documented(prefix: str, command: click.Command) -> None:
    assert f"$ melcli {prefix}--help" in README
    for param in command.params:
        for opt in [*param.opts, *param.secondary_opts]:
            if opt.startswith("-"):
                assert re.search(rf"(?<![\w-]){re.escape(opt)}(?![\w-])", README), opt

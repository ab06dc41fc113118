"""Help that guides: ``melcli mel --help`` in headed groups, examples, completion."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import click
import pytest
from click.testing import CliRunner
from conftest import RUN_LIMIT

from melcli import cli as cli_module
from melcli.cli import HELP_HEADINGS, OTHER_OPTIONS, cli, help_heading, mel

pytestmark = pytest.mark.usefixtures("isolated")


def mel_help() -> str:
    result = CliRunner().invoke(cli, ["mel", "--help"], terminal_width=88)
    assert result.exit_code == 0
    return result.output


def sections(text: str) -> dict[str, str]:
    """``{heading: body}`` of a --help text (headings end with ':' at column 0)."""
    parts = re.split(r"^(\S[^\n]*):\n", text, flags=re.M)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def test_mel_help_shows_the_option_groups_in_order() -> None:
    shown = [h for h in sections(mel_help()) if h in HELP_HEADINGS]
    assert len(shown) >= 5
    assert shown == sorted(shown, key=HELP_HEADINGS.index)
    assert shown[0] == "Common options"


def test_the_common_options_come_first() -> None:
    common = sections(mel_help())["Common options"]
    names = re.findall(r"^  (?:-\w, )?(--[\w-]+)", common, flags=re.M)
    assert names == [
        "--out",
        "--preset",
        "--png",
        "--clip-duration",
        "--jobs",
        "--force",
        "--dry-run",
    ]


def test_every_option_is_shown_once_under_a_heading() -> None:
    body = sections(mel_help())
    listed = [h for h in body if not h.startswith("Usage:")]
    for param in mel.params:
        if not isinstance(param, click.Option) or param.hidden:
            continue
        opt = max(param.opts, key=len)
        line = re.compile(rf"^  (?:-\w, )?{re.escape(opt)}(?![\w-])", flags=re.M)
        where = [h for h in listed if line.search(body[h])]
        assert where == [help_heading(param)], (opt, where)


def test_no_option_is_left_without_a_group() -> None:
    # An option added without a heading still shows, under "Other options";
    # this test then asks for a place: a bundle's @_help_group, or
    # _OPTION_HEADINGS in melcli/cli.py.
    unplaced = [
        max(p.opts, key=len)
        for p in mel.params
        if isinstance(p, click.Option) and help_heading(p) == OTHER_OPTIONS
    ]
    assert unplaced == [], f"give these a --help heading: {unplaced}"


def test_an_option_without_a_heading_lands_in_other_options() -> None:
    @click.command(cls=cli_module._GroupedHelp, examples=[("melcli x", "an example")])
    @click.option("--brand-new", is_flag=True, help="Added by someone else.")
    @cli_module.selection_options
    def command(**kwargs: object) -> None:
        """A command."""

    result = CliRunner().invoke(command, ["--help"], terminal_width=88)
    body = sections(result.output)
    assert "--brand-new" in body[OTHER_OPTIONS]
    assert "--include" in body["Input selection"]
    assert body["Examples"] == "  # an example\n  melcli x\n"


def test_mel_help_ends_with_examples_that_parse() -> None:
    text = mel_help()
    examples = sections(text)["Examples"]
    assert text.rstrip().endswith(examples.rstrip())
    commands = [line.strip() for line in examples.splitlines() if "melcli " in line]
    assert len(commands) >= 4
    for command in commands:
        args = command.split()[1:]
        name, rest = args[0], args[1:]
        sub = cli.commands[name]  # type: ignore[attr-defined]
        ctx = sub.make_context(name, rest, resilient_parsing=True)
        assert ctx.params  # every option in the example exists


# ------------------------------------------------------------ completion
def melcli_with(**env: str) -> str:
    """Run ``python -m melcli`` with ``env`` added; return its stdout."""
    result = subprocess.run(
        [sys.executable, "-m", "melcli"],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=RUN_LIMIT,
        check=True,
    )
    return result.stdout


def complete(words: str, cword: int, shell: str = "bash") -> list[str]:
    return melcli_with(
        _MELCLI_COMPLETE=f"{shell}_complete", COMP_WORDS=words, COMP_CWORD=str(cword)
    ).splitlines()


@pytest.mark.slow
def test_bash_completion_answers_commands_options_and_choices() -> None:
    assert complete("melcli me", 1) == ["plain,mel", "plain,merge"]
    assert "plain,gallery" in complete("melcli ", 1)
    assert complete("melcli mel --png-st", 2) == ["plain,--png-style"]
    assert complete("melcli mel --kind ", 3) == [
        "plain,mel",
        "plain,stft",
        "plain,mfcc",
        "plain,fbank",
    ]


def test_zsh_completion_answers_with_help_text() -> None:
    lines = complete("melcli gal", 1, shell="zsh")
    assert lines[:2] == ["plain", "gallery"]
    assert lines[2] == "Write a page to look at and listen to a run's inputs."


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
@pytest.mark.slow
def test_completion_scripts_are_generated(shell: str) -> None:
    script = melcli_with(_MELCLI_COMPLETE=f"{shell}_source")
    assert "_MELCLI_COMPLETE" in script
    assert "melcli" in script

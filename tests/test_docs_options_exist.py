"""Every ``--option`` the README and docs/ show in code is one melcli has.

docs/datasets.md said a listed path "outside ``--list-root``" is missing: the
option is ``--root``. Options of other programs the pages show (Slurm's
``sbatch``, the benchmark's, mkdocs', flac's) are listed here by name.
"""

from __future__ import annotations

import re

import click
from conftest import REPO

from melcli.cli.main import cli

#: Options of other programs, shown in the pages' commands.
OTHER_PROGRAMS = {
    "--array",  # sbatch (docs/scale-out.md)
    "--cpus-per-task",  # sbatch
    "--time",  # sbatch
    "--ogg",  # flac (docs/bad-input.md)
    "--freeformat",  # lame (docs/bad-input.md)
    "--only",  # bench/ (docs/performance.md)
    "--rounds",  # bench/
    "--scale-sizes",  # bench/
    "--scale-vs",  # bench/
    "--strict",  # mkdocs build (docs/index.md)
}


def melcli_options() -> set[str]:
    found = {"--help"}

    def walk(command: click.Command) -> None:
        for param in command.params:
            if isinstance(param, click.Option):
                found.update(param.opts, param.secondary_opts)
        if isinstance(command, click.Group):
            for sub in command.commands.values():
                walk(sub)

    walk(cli)
    return found


def test_every_option_shown_exists() -> None:
    known = melcli_options() | OTHER_PROGRAMS
    pages = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
    unknown = {
        (page.name, option)
        for page in pages
        for code in re.findall(r"`([^`]*)`", page.read_text())
        for option in re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]*)", code)
        if option not in known
    }
    assert unknown == set()

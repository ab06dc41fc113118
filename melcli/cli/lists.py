"""``--files-from`` on the command line: its checks, and the list read.

The library's checks (:mod:`melcli.inputs`) and reader
(:func:`melcli.filelist.read_list`), their errors said as click's usage
errors naming the options.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

import click

from .. import inputs
from ..errors import ParameterError, UsageError
from ..filelist import FileList, read_list
from ..report import display_path


def check_list_inputs(
    src: tuple[str, ...],
    files_from: str | None,
    *,
    path_column: str | None,
    root: Path | None,
) -> None:
    """Say what is missing or wrong in SRC and ``--files-from`` (``info``)."""
    try:
        inputs.check_sources(src, files_from=files_from)
    except ParameterError as exc:
        raise source_error(exc, src) from None
    check_list_options(files_from, path_column=path_column, root=root)


#: SRC and --files-from both left out.
MISSING_SRC = "Missing argument 'SRC...' (or --files-from FILE)."


def source_error(exc: ParameterError, src: Sequence[object]) -> click.UsageError:
    """Say the library's refusal of the sources (``param="sources"``) as click would.

    None given: click's own words for a missing argument. One refused
    (``Path 'x' does not exist.``, an empty name, one inside another): as
    click says a bad value, naming SRC.
    """
    if not src:
        return click.UsageError(MISSING_SRC)
    message = str(exc).replace("sources='' is ", "", 1)  # as -o '' is said
    return click.BadParameter(message, param_hint="'[SRC]...'")


def out_error(exc: ParameterError) -> click.BadParameter:
    """Say the library's refusal of a run's OUT (``param="out"``), naming OUT."""
    message = str(exc).replace("out='' is ", "", 1)  # as -o '' is said
    return click.BadParameter(message, param_hint="'OUT'")


def check_list_options(
    files_from: str | None, *, path_column: str | None, root: Path | None
) -> None:
    """Refuse ``--path-column`` or ``--root`` without a list, naming the one given."""
    try:
        inputs.check_list_options(files_from, path_column=path_column, root=root)
    except ParameterError:
        raise list_option_error(path_column, root) from None


def list_option_error(path_column: str | None, root: Path | None) -> click.BadParameter:
    """``--path-column`` or ``--root`` without ``--files-from``, as click says it."""
    given = [
        f"'{flag}'"
        for flag, value in (("--path-column", path_column), ("--root", root))
        if value is not None
    ]
    return click.BadParameter("needs --files-from", param_hint=" / ".join(given))


def read_listed(
    files_from: str | None, path_column: str | None, root: Path | None
) -> FileList | None:
    """Read ``--files-from`` (None without it); a bad list is a usage error."""
    if files_from is None:
        return None
    if files_from == "-" and sys.stdin.isatty():
        # Typed at a prompt, '--files-from -' waits for the list, silently.
        click.echo(
            "reading the list from the terminal: one path a line, then Ctrl-D "
            "(or pipe it: find audio -name '*.wav' | melcli ... --files-from -)",
            err=True,
        )
    try:
        listed = read_list(files_from, path_column=path_column, root=root)
    except UsageError as exc:  # it may quote the list's header: escaped
        # A --path-column naming no column of the list is that option's fault.
        option = "--path-column" if exc.param == "path_column" else "--files-from"
        raise click.BadParameter(
            display_path(str(exc)), param_hint=f"'{option}'"
        ) from None
    return listed

"""``melcli info``: the format, encoding, rate, channels and length of audio files."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import click

from ..errors import ParameterError
from ..report import display_path
from .console import FoldedFailures, echo_error, one_line
from .group import cli, echo_whole
from .lists import check_list_inputs, read_listed, source_error
from .options import (
    chosen_extensions,
    info_list_options,
    selection_options,
)
from .types import SOURCE


@cli.command(short_help="Show format, rate, channels and length of audio files.")
@click.argument("src", nargs=-1, type=SOURCE)
@selection_options
@info_list_options
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@click.option(
    "--summary",
    is_flag=True,
    help="Print the totals a dataset card needs instead of one row per file.",
)
@click.option(
    "-v",
    "--verbose",
    is_flag=True,
    help="Also list every path passed over, with why, and every unreadable "
    "file (without it, a failure one cause explains, such as a decoder that is "
    "not installed, is shown for three files, then counted).",
)
def info(
    src: tuple[str, ...],
    extensions: tuple[str, ...],
    include: tuple[str, ...],
    exclude: tuple[str, ...],
    files_from: str | None,
    path_column: str | None,
    list_root: Path | None,
    as_json: bool,
    summary: bool,
    verbose: bool,
) -> None:
    """Show format, encoding, rate, channels and length of the audio under SRC.

    A table on stdout, or with --json one object per line with the keys path,
    format, subtype, samplerate, channels, frames and duration (seconds).

    With --summary, totals instead: files, hours, files per sample rate,
    channel count and format, the shortest and the longest file (with --json,
    one object with the keys files, unreadable, missing (rows of the list
    that name no file to read), seconds, hours, samplerates, channels,
    formats, subtypes, shortest and longest).

    The lengths are what the headers say, read without decoding. A file its
    own bytes show cut short (a WAV's sizes, an MP3's frames, a FLAC's last
    frame) fails here as 'melcli mel' fails it; damage only decoding finds (a
    frame damaged inside a whole file) is listed, and 'melcli mel' fails it.

    Exit status: 0 every file read, 1 some file unreadable or missing (each
    said on stderr), 2 usage error.
    """
    from ..hints import wrong_root_hint
    from ..inventory import iter_info

    check_list_inputs(src, files_from, path_column=path_column, root=list_root)
    listed = read_listed(files_from, path_column, list_root)
    streamed = as_json and not summary  # each row printed as read, not kept
    try:
        scan = iter_info(
            src,
            extensions=chosen_extensions(extensions),
            include=include,
            exclude=exclude,
            files_from=listed,
            keep_rows=not streamed,
        )
    except ParameterError as exc:  # an SRC inside another
        if exc.param == "sources":
            raise source_error(exc, src) from None
        raise click.UsageError(str(exc)) from None
    found = scan.inventory
    # A list none of whose files was found, a decoder not installed: a few
    # of the failures one cause explains, then a count.
    folded = FoldedFailures(
        listed if wrong_root_hint(listed) else None,
        verbose=verbose,
        see_all="-v lists each",
    )
    if verbose:
        for passed in found.skipped:
            reason = display_path(one_line(passed.reason))
            click.echo(f"skipped {display_path(passed.path)}: {reason}", err=True)
    for path, reason in found.failures:
        if folded.show(path, reason):
            echo_error(path, reason)
    for path, row, reason in scan:
        if row is None:
            if folded.show(path, reason):
                echo_error(path, reason)
        elif streamed:
            # A name that is not valid UTF-8 is written with \udcXX escapes,
            # which json.loads and os.fsencode turn back into its bytes.
            ascii_only = not _is_utf8(os.fsdecode(path))
            click.echo(json.dumps(row, ensure_ascii=ascii_only))
    # After every failure shown, how many more there were (the list's and
    # the decoders' alike), then the warnings, as "melcli mel" says them.
    for line in folded.lines():
        click.echo(f"error: {display_path(line)}", err=True)
    for warning in found.warnings:
        click.echo(f"warning: {display_path(warning)}", err=True)
    if summary:
        totals = found.summary()
        if as_json:
            click.echo(json.dumps(totals, ensure_ascii=True))
        else:
            click.echo(str(totals))
    elif not as_json:
        _print_table(found.rows)
    sys.exit(found.exit_code)


def _print_table(rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    headers = ["path", "format", "subtype", "sr", "channels", "frames", "duration"]
    table = [
        [
            display_path(r["path"]),
            r["format"],
            r["subtype"],
            str(r["samplerate"]),
            str(r["channels"]),
            str(r["frames"]),
            f"{r['duration']:.3f} s",
        ]
        for r in rows
    ]
    widths = [
        max(len(h), *(len(row[i]) for row in table)) for i, h in enumerate(headers)
    ]
    numeric = {3, 4, 5, 6}

    def line(cells: list[str]) -> str:
        return "  ".join(
            c.rjust(w) if i in numeric else c.ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    # Whole, as 'melcli presets' prints: the table is made at the end anyway.
    echo_whole([line(headers), *(line(row) for row in table)])


def _is_utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True

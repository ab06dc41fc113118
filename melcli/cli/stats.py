"""``melcli stats``: per-band statistics of a run's arrays."""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

import click

from ..errors import MelcliError, ParameterError, UsageError
from ..report import display_path
from ..session import locked
from .console import echo_error, stats_line
from .group import CannotStart, cli
from .lists import check_list_options, out_error, read_listed
from .options import make_list_options
from .types import RUN_FOLDER

#: The arrays of a split's inputs (a training split's list), as ``mel`` read it.
stats_list_options = make_list_options(
    take="Only the arrays of the inputs listed in FILE, a split's list",
    table=", as 'melcli mel' was given it (a training split: the rows of the "
    "training folds). Needs --dest.",
    root=", as 'melcli mel' was given it",
)


@cli.command(short_help="Write per-band mean, std, min and max to OUT/stats.npz.")
@click.argument("out", type=RUN_FOLDER)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Also print count, n_bands, arrays and the per-band values as JSON.",
)
@stats_list_options
@click.option(
    "--dest",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="Write the statistics to FILE instead of OUT/stats.npz (needed with "
    "--files-from: a split's statistics are not OUT's).",
)
@click.option("-q", "--quiet", is_flag=True, help="Print only errors.")
def stats(
    out: str,
    files_from: str | None,
    path_column: str | None,
    list_root: Path | None,
    dest: Path | None,
    as_json: bool,
    quiet: bool,
) -> None:
    """Write per-band mean, std, min, max and the frame count to OUT/stats.npz.

    OUT is the output folder of 'melcli mel'. The arrays counted are those its
    manifest.jsonl records as written or up to date: .npy files, or with
    --format webdataset the .npy members of the samples in the shards (without a
    manifest: every *.npy under OUT, but not in the OUT of a run stopped before
    writing one). Bands are the second-to-last axis of each array; every other
    axis (channels, segments, frames) is pooled. std is the population standard
    deviation. Values are float64, accumulated stably.

    With --files-from (and --dest), only the arrays of the inputs the list
    names: a training split's statistics, 'melcli stats features --files-from
    train.csv --root audio --dest train_stats.npz', for normalize= of the
    data loader.

    Exit status: 0 written, 1 no arrays or an unreadable one (or a row of
    the list that names no file), 2 usage error or a run writing to OUT.
    """
    from ..stats import (
        STATS_NAME,
        is_outs_stats,
        other_settings_line,
        require_output,
        select_arrays,
        select_listed,
        split_needs_dest,
        write_stats,
    )

    check_list_options(files_from, path_column=path_column, root=list_root)
    if files_from is not None and (dest is None or is_outs_stats(dest, out)):
        raise click.BadParameter(
            display_path(split_needs_dest(out, dest="--dest FILE")),
            param_hint="'--files-from' / '--dest'",
        )
    listed = read_listed(files_from, path_column, list_root)
    target = dest if dest is not None else Path(out) / STATS_NAME
    try:
        require_output(out, api=False)
        with locked(Path(out)):
            if listed is None:
                chosen = select_arrays(out)
            else:
                try:
                    chosen = select_listed(out, listed, api=False)
                except MelcliError as exc:  # it names the row, or the list
                    click.echo(f"error: {display_path(str(exc))}", err=True)
                    sys.exit(1)
            if not quiet:
                for warning in chosen.warnings:
                    click.echo(f"warning: {display_path(warning)}", err=True)
                if n := chosen.other_settings:
                    line = other_settings_line(n, api=False)
                    click.echo(f"warning: {display_path(line)}", err=True)
            # Printed as they come (also before an error), not from
            # result.warnings (what a Python caller gets).
            said = len(chosen.warnings)
            result = write_stats(out, paths=chosen, dest=dest)
            if not quiet:  # arrays left out: not what their entries record
                for warning in chosen.warnings[said:]:
                    click.echo(f"warning: {display_path(warning)}", err=True)
    except ParameterError as exc:  # OUT missing, or no folder
        raise out_error(exc) from None
    except UsageError as exc:
        raise CannotStart(str(exc)) from None
    except MelcliError as exc:
        # Name OUT, unless the message names a file in it (an array, stats.npz).
        message = str(exc)
        if _names_out(message, out):
            click.echo(f"error: {display_path(message)}", err=True)
        else:
            echo_error(
                Path(out),
                f"{message} ({STATS_NAME if dest is None else dest} not written)",
            )
        sys.exit(1)
    if as_json:
        click.echo(json.dumps(result.to_json()))
    if not quiet:
        click.echo(stats_line(result, target), err=True)


def _names_out(message: str, out: str) -> bool:
    """Whether ``message`` names OUT, or a file in it, as a path of its own.

    ``ds/x.npy: missing``, ``ds: no manifest.jsonl ...``; not the letters of
    a word (OUT ``ds``, and ``it holds audio files``).
    """
    names = {os.fsdecode(out), os.fspath(Path(out))}
    return any(
        re.search(rf"(?:^|\s){re.escape(name.rstrip('/'))}[/:]", message)
        for name in names
    )

"""``melcli stats``: per-band statistics of a run's arrays."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click

from ..errors import MelcliError, ParameterError, UsageError
from ..report import display_path
from ..session import locked
from .console import echo_error, stats_line
from .group import CannotStart, cli
from .lists import out_error
from .types import RUN_FOLDER


@cli.command(short_help="Write per-band mean, std, min and max to OUT/stats.npz.")
@click.argument("out", type=RUN_FOLDER)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Also print count, n_bands, arrays and the per-band values as JSON.",
)
@click.option("-q", "--quiet", is_flag=True, help="Print only errors.")
def stats(out: str, as_json: bool, quiet: bool) -> None:
    """Write per-band mean, std, min, max and the frame count to OUT/stats.npz.

    OUT is the output folder of 'melcli mel'. The arrays counted are those its
    manifest.jsonl records as written or up to date: .npy files, or with
    --format webdataset the .npy members of the samples in the shards (without a
    manifest: every *.npy under OUT, but not in the OUT of a run stopped before
    writing one). Bands are the second-to-last axis of each array; every other
    axis (channels, segments, frames) is pooled. std is the population standard
    deviation. Values are float64, accumulated stably.

    Exit status: 0 written, 1 no arrays or an unreadable one, 2 usage error
    or a run writing to OUT.
    """
    from ..stats import (
        STATS_NAME,
        other_settings_line,
        require_output,
        select_arrays,
        write_stats,
    )

    dest = Path(out) / STATS_NAME
    try:
        require_output(out)
        with locked(Path(out)):
            chosen = select_arrays(out)
            if not quiet:
                for warning in chosen.warnings:
                    click.echo(f"warning: {display_path(warning)}", err=True)
                if n := chosen.other_settings:
                    line = other_settings_line(n)
                    click.echo(f"warning: {display_path(line)}", err=True)
            # Printed as they come (also before an error), not from
            # result.warnings (what a Python caller gets).
            said = len(chosen.warnings)
            result = write_stats(out, paths=chosen)
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
        if os.fsdecode(out) in message:
            click.echo(f"error: {display_path(message)}", err=True)
        else:
            echo_error(Path(out), f"{message} ({STATS_NAME} not written)")
        sys.exit(1)
    if as_json:
        click.echo(json.dumps(result.to_json()))
    if not quiet:
        click.echo(stats_line(result, dest), err=True)

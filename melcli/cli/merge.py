"""``melcli merge``: combine the manifests of ``--shard I/N`` runs."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from .. import shard as sharding
from ..errors import MelcliError, ParameterError
from ..report import display_path
from .console import echo_error, one_line
from .group import CannotStart, cli
from .lists import check_list_options, out_error, read_listed, source_error
from .options import chosen_extensions, merge_list_options, selection_options
from .types import RUN_FOLDER, SOURCE


@cli.command(short_help="Combine the manifests of --shard runs into one.")
@click.argument("out", type=RUN_FOLDER)
@click.argument("src", nargs=-1, type=SOURCE)
@selection_options
@merge_list_options
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Also print what was merged (counts, failures, inputs in no shard, "
    "errors) as one JSON object on stdout.",
)
@click.option("-q", "--quiet", is_flag=True, help="Print only errors.")
def merge(
    out: str,
    src: tuple[str, ...],
    extensions: tuple[str, ...],
    include: tuple[str, ...],
    exclude: tuple[str, ...],
    files_from: str | None,
    path_column: str | None,
    list_root: Path | None,
    as_json: bool,
    quiet: bool,
) -> None:
    """Combine the manifests of 'melcli mel --shard I/N' runs into OUT/manifest.jsonl.

    Every shard 0..N-1 must have finished, and no input may be in two shards'
    manifests; with SRC or --files-from (and the --ext/--include/--exclude,
    --path-column and --root the shards used), the inputs no shard covered
    are listed too. A later run without --shard
    then finds everything up to date. The shards' manifests are kept: a shard
    can be run again and merged again.

    Exit status: 0 every input written or up to date; 1 merged, but some
    inputs failed or no shard covered them; 2 nothing merged (a shard missing,
    interrupted or still running, shards of different N, an input in two
    shards).
    """
    check_list_options(files_from, path_column=path_column, root=list_root)
    listed = read_listed(files_from, path_column, list_root)
    try:
        report = sharding.merge(
            out,
            sources=src,
            extensions=chosen_extensions(extensions),
            include=include,
            exclude=exclude,
            files_from=listed,
        )
    except ParameterError as exc:  # OUT or an SRC refused
        if exc.param == "out":
            raise out_error(exc) from None
        raise source_error(exc, src) from None
    except MelcliError as exc:
        raise CannotStart(str(exc)) from None
    for warning in () if quiet else report.warnings:
        click.echo(f"warning: {display_path(warning)}", err=True)
    for error in report.errors:
        click.echo(f"error: {display_path(error)}", err=True)
    for path, reason in report.failed:
        echo_error(Path(path), f"failed in its shard: {one_line(reason)}")
    for missed in report.uncovered:
        click.echo(f"error: {display_path(missed)}: in no shard", err=True)
    if not quiet and (report.parts or not report.errors):  # else the error said it
        click.echo(report.summary(), err=True)
    if as_json:
        click.echo(json.dumps(report.to_json(), ensure_ascii=True))
    sys.exit(report.exit_code)

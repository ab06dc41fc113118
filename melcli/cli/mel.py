"""``melcli mel``: convert audio files into spectrograms, incrementally.

The command parses its options into the library's objects, hands the run to
:func:`melcli.session.run_session` and prints what it reports.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from ..errors import MelcliError, ParameterError
from ..session import Inputs, Outcome, run_session
from .applies import warn_inapplicable
from .config import (
    add_envvars,
    load_config,
    print_effective_config,
    tell_outside_settings,
)
from .console import Console, print_stats
from .features import fbank_options, feature_options, pipeline_options
from .group import CannotStart, cli
from .help import MEL_EXAMPLES, GroupedHelp
from .lists import read_listed, source_error
from .options import (
    JOBS,
    apply_preset,
    bad_input_options,
    check_inputs,
    check_png_option,
    check_run_options,
    chosen_extensions,
    clip_options,
    format_options,
    image_options,
    list_options,
    params_from,
    progress_option,
    render_from,
    run_options,
    scale_options,
    segment_options,
    selection_options,
    stats_option,
)
from .types import SOURCE, OutFolder


@cli.command(
    cls=GroupedHelp,
    examples=MEL_EXAMPLES,
    short_help="Write a log-mel spectrogram .npy per audio file.",
)
@click.argument("src", nargs=-1, type=SOURCE)
@click.option(
    "-o",
    "--out",
    type=OutFolder(path_type=Path),
    help="Output folder; the input tree is mirrored into it.  [required]",
)
@click.option("--png", is_flag=True, help="Also write a PNG render of each array.")
@image_options
@click.option(
    "-j",
    "--jobs",
    type=JOBS,
    default=None,
    help="Worker processes, 1 or more; 1 runs in this process. [default: number of "
    "CPUs]",
)
@selection_options
@list_options
@pipeline_options
@scale_options
@bad_input_options
@format_options
@clip_options
@segment_options
@stats_option
@feature_options
@fbank_options
@click.option(
    "--force", is_flag=True, help="Rebuild everything, even what is up to date."
)
@click.option(
    "--dry-run",
    is_flag=True,
    help="List on stdout what would be built (or with --prune deleted) and why; "
    "write nothing. With "
    "--json, the plan is one JSON object on stdout and the list goes to stderr.",
)
@click.option(
    "--prune",
    is_flag=True,
    help="Delete outputs whose input is gone (reported as stale otherwise), and "
    "outputs of inputs this run leaves out that were made with other settings.",
)
@click.option(
    "--fail-fast", is_flag=True, help="Stop at the first file that fails (exit 1)."
)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print a machine-readable summary of the run on stdout (with "
    "--dry-run: the plan).",
)
@click.option(
    "--config",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    is_eager=True,
    expose_value=False,
    callback=lambda ctx, param, value: load_config(ctx, value),
    help="Read option defaults from this TOML file. [default: the [tool.melcli] "
    "table of ./pyproject.toml, if any]",
)
@click.option(
    "--print-config",
    is_flag=True,
    help="Print the effective settings, and where each comes from, then exit.",
)
@click.option("-q", "--quiet", is_flag=True, help="Print only errors.")
@click.option(
    "-v",
    "--verbose",
    is_flag=True,
    help="Also list every file written and every path passed over, with why, "
    "and every file's warnings (without it, a kind of warning is shown for "
    "three files, then counted); first, the settings a config file or "
    "MELCLI_* variable set.",
)
@progress_option
@click.pass_context
def mel(
    ctx: click.Context,
    /,
    src: tuple[str, ...],
    out: Path | None,
    png: bool,
    extensions: tuple[str, ...],
    include: tuple[str, ...],
    exclude: tuple[str, ...],
    dry_run: bool,
    as_json: bool,
    print_config: bool,
    quiet: bool,
    verbose: bool,
    progress_interval: float,
    files_from: str | None,
    path_column: str | None,
    list_root: Path | None,
    **values: Any,
) -> None:
    """Write one log-mel spectrogram .npy per audio file under SRC into OUT.

    SRC are audio files and folders. Folders are walked recursively in sorted
    order, hidden files and folders are passed over, and the tree is mirrored:
    SRC/dogs/bark1.wav becomes OUT/dogs/bark1.npy (and OUT/dogs/bark1.png with
    --png). With two or more SRC folders, each is mirrored into a subfolder
    named after it (OUT/Pirate/..., OUT/Robot/...). A file given directly
    becomes OUT/<stem>.npy; a file listed with --files-from mirrors its path
    relative to --root.

    Arrays are float32 (n_mels, frames); --no-mono keeps the channels:
    (channels, n_mels, frames).

    Runs are incremental: OUT/manifest.jsonl records each input's fingerprint
    and settings, and a run rebuilds only what changed. Every option can also
    come from MELCLI_<OPTION> environment variables (MELCLI_N_MELS=64) or a
    config file; the command line wins, then the environment, then the file.

    Exit status: 0 all written or up to date, 1 some file failed (with
    --dry-run: would fail), 2 usage error or OUT locked by another run,
    130/143/129 interrupted (SIGINT, SIGTERM, SIGHUP), 141 stdout closed
    early (| head).
    """
    tell_outside_settings(ctx, verbose=verbose and not quiet)
    apply_preset(ctx, values)
    chosen = dict(values)  # the parsers below take theirs out of values
    render = render_from(values)
    params = params_from(values, from_preset=ctx.meta.get("melcli.preset"))
    options = run_options(values, dry_run=dry_run)
    check_png_option(png, params)
    # Once they are valid: an option refused (--cmvn mean with --kind mel) is
    # said once, as the error, not also as an option the run does not read.
    unread = warn_inapplicable(ctx, chosen, quiet=quiet)
    if print_config:
        print_effective_config(ctx)
        return
    check_inputs(src, out, files_from, path_column=path_column, root=list_root)
    assert out is not None
    listed = read_listed(files_from, path_column, list_root)
    check_run_options(options)
    inputs = Inputs(src, listed, chosen_extensions(extensions), include, exclude)
    console = Console(quiet=quiet, verbose=verbose, progress_interval=progress_interval)
    console.expect(inputs)  # for hints: none taken, none found, audio in OUT
    settings = {"params": params, "render": render, "png": png, "options": options}
    outcome = _run(inputs, out, src=src, console=console, **settings)
    if outcome.dry_run is not None:
        console.plan(outcome.dry_run, as_json=as_json, said=unread)
        # As the run would end: a plan with inputs that would fail is no
        # success (a CI check 'melcli mel --dry-run' must see them).
        sys.exit(1 if outcome.dry_run.errors else 0)
    print_stats(outcome.stats, quiet=quiet)
    if as_json and outcome.report is not None:
        # With the warnings said first, as melcli.run's report holds them.
        row = outcome.report.to_json()
        row["warnings"] = [*unread, *outcome.report.warnings]
        click.echo(json.dumps(row, ensure_ascii=True))
    sys.exit(outcome.exit_code)


def _run(
    inputs: Inputs,
    out: Path,
    *,
    src: tuple[str, ...],
    console: Console,
    **settings: Any,
) -> Outcome:
    """Do the run, telling ``console``; say why it cannot start (exit status 2).

    An SRC inside another is refused as a bad SRC; OUT locked by another
    run, or no folder, as the run says it.
    """
    try:
        return run_session(inputs, out, events=console, **settings)
    except ParameterError as exc:
        if exc.param == "sources":
            raise source_error(exc, src) from None
        raise CannotStart(str(exc)) from None
    except MelcliError as exc:
        raise CannotStart(str(exc)) from None
    finally:
        console.close()


add_envvars(mel)

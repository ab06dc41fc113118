"""``melcli gallery``: a page to look at and listen to a run's inputs."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..errors import MelcliError
from ..report import display_path
from .console import one_line
from .group import cli


@cli.command()
@click.argument("out", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--group-by",
    metavar="folder|COLUMN",
    default=None,
    help="Group inputs by their folder, or by this column of the manifest's "
    "meta labels (--files-from). [default: the 'label' column if the entries "
    "have one, else folder]",
)
@click.option(
    "--waveforms/--no-waveforms",
    default=True,
    show_default=True,
    help="Draw each input's waveform, from the levels the run recorded (an "
    "older OUT without them: read from each source once, kept until it changes).",
)
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(min=1),
    default=None,
    help="Processes drawing pages; 1 draws in this process. [default: number of CPUs]",
)
@click.option("-q", "--quiet", is_flag=True, help="Print only errors.")
def gallery(
    out: Path, group_by: str | None, waveforms: bool, jobs: int | None, quiet: bool
) -> None:
    """Write OUT/gallery/index.html: look at and listen to the run's inputs.

    A static page (open it from disk; no server, no network) with, per input,
    its spectrogram (the run's PNG, or a small picture of its array), its
    waveform, an audio player for its source file, its duration, shape and
    warnings; grouped, with counts per group, a filter box, silent inputs
    flagged, and the failed and skipped inputs with their reasons. Inputs are
    shown a page at a time: the page weighs the same for 100 files or 100 000.
    A re-run draws only the pictures of what changed.

    Exit status: 0 written, 1 no manifest in OUT or OUT/gallery not writable,
    2 usage error.
    """
    from ..gallery import build_gallery

    try:
        report = build_gallery(out, group_by=group_by, waveforms=waveforms, jobs=jobs)
    except MelcliError as exc:
        click.echo(f"error: {display_path(str(exc))}", err=True)
        sys.exit(1)
    if not quiet:
        for note in report.notes:
            click.echo(f"note: {display_path(one_line(note))}", err=True)
        click.echo(
            f"{display_path(report.index)}: {report.inputs} inputs in "
            f"{report.groups} groups, {report.problems} failed or skipped; "
            f"{report.drawn} pictures drawn, {report.reused} kept.",
            err=True,
        )

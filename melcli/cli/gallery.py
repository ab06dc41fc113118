"""``melcli gallery``: a page to look at and listen to a run's inputs."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from ..gallery import GalleryReport

from .._gallery_page import PAGE_SIZE
from ..errors import MelcliError, ParameterError, UsageError, os_reason
from ..report import display_path, plural
from .console import CountShown, FoldedWarnings, one_line
from .group import CannotStart, cli
from .lists import out_error
from .options import JOBS, progress_option
from .types import RUN_FOLDER


@cli.command(short_help="Write a page to look at and listen to a run's inputs.")
@click.argument("out", type=RUN_FOLDER)
@click.option(
    "--group-by",
    metavar="folder|COLUMN",
    default=None,
    help="Group inputs by their folder, or by this column of the manifest's "
    "meta labels (--files-from). [default: the first of the columns label, "
    "class, category that every input written has, as SpectrogramDataset "
    "labels them; else folder]",
)
@click.option(
    "--waveforms/--no-waveforms",
    default=True,
    show_default=True,
    help="Draw each input's waveform, from the levels the run recorded.",
)
@click.option(
    "--read-sources",
    is_flag=True,
    help="For inputs the run recorded no waveform of (an OUT from an older "
    "melcli, files too long to hold), read it from the source files the "
    "manifest names, once (kept until they change); and note the source files "
    "not found. Only for an OUT you trust: without it no file outside OUT is "
    "looked at.",
)
@click.option(
    "-j",
    "--jobs",
    type=JOBS,
    default=None,
    help="Processes drawing pages, 1 or more; 1 draws in this process. [default: "
    "number of CPUs]",
)
@click.option(
    "--page-size",
    type=int,
    default=PAGE_SIZE,
    show_default=True,
    metavar="N",
    help="Inputs per data page: what the page loads at a time.",
)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Also print what the build did (counts, notes, the page's path) as one "
    "JSON object on stdout.",
)
@click.option("-q", "--quiet", is_flag=True, help="Print only errors.")
@progress_option
def gallery(
    out: str,
    group_by: str | None,
    waveforms: bool,
    read_sources: bool,
    jobs: int | None,
    page_size: int,
    as_json: bool,
    quiet: bool,
    progress_interval: float,
) -> None:
    """Write OUT/gallery/index.html: look at and listen to the run's inputs.

    A static page (open it from disk; no server, no network) with, per input,
    its spectrogram (the run's PNG, or a small picture of its array), its
    waveform, an audio player for its source file, its duration, shape and
    warnings; grouped, with counts per group, a filter box, silent inputs
    flagged, and the failed and skipped inputs with their reasons. Inputs are
    shown a page at a time: the page weighs the same for 100 files or 100 000.
    A re-run draws only the pictures of what changed.

    Exit status: 0 written, 1 no manifest in OUT, or OUT/gallery not writable
    (a full disk), 2 usage error or a run writing to OUT.
    """
    from ..gallery import build_gallery

    shown = CountShown(quiet=quiet, interval=progress_interval)
    try:
        report = build_gallery(
            out,
            group_by=group_by,
            waveforms=waveforms,
            read_sources=read_sources,
            jobs=jobs,
            page_size=page_size,
            progress=shown,
        )
    except ParameterError as exc:
        if exc.param == "out":
            raise out_error(exc) from None
        option = f"--{(exc.param or 'group_by').replace('_', '-')}"
        message = str(exc).replace(f"{exc.param}=", "", 1)
        raise click.BadParameter(message, param_hint=f"'{option}'") from None
    except UsageError as exc:  # a run holds OUT
        raise CannotStart(str(exc)) from None
    except MelcliError as exc:
        click.echo(f"error: {display_path(str(exc))}", err=True)
        sys.exit(1)
    except OSError as exc:  # a picture or page not written: a full disk...
        where = exc.filename or Path(out) / "gallery"
        click.echo(
            f"error: cannot write {display_path(where)}: {os_reason(exc)}", err=True
        )
        sys.exit(1)
    finally:
        shown.close()
    if not quiet:
        for line in note_lines(report):
            click.echo(f"note: {display_path(one_line(line))}", err=True)
        if report.unrecorded:
            click.echo(
                f"note: {plural(report.unrecorded, 'input')} shown without a "
                "waveform: the run recorded none (an OUT from an older melcli, "
                "or files too long to hold); --read-sources reads them from the "
                "source files the manifest names",
                err=True,
            )
        click.echo(f"{display_path(report.index)}: {report.summary()}", err=True)
    if as_json:
        click.echo(json.dumps(report.to_json(), ensure_ascii=True))


def note_lines(report: GalleryReport) -> list[str]:
    """Return the notes to print: those about OUT, and about inputs folded.

    A note about inputs is shown for the first few of its kind (the same
    words, whatever the numbers), the rest counted in one line at the end: an
    OUT whose sources moved since the run would otherwise give a line per
    input. Each card of the page says its own.
    """
    folds = FoldedWarnings()
    about_inputs = iter(report.input_notes)
    pending = next(about_inputs, None)
    lines = []
    for note in report.notes:
        if pending is not None and note == f"{pending[0]}: {pending[1]}":
            shown = folds.shown_of([pending[1]])
            pending = next(about_inputs, None)
            if not shown:
                continue
        lines.append(note)
    for n, example in folds.folded():
        lines.append(
            f"{plural(n, 'more input')} noted the same way (such as: {example}); "
            "the page says so on each card"
        )
    return lines

"""``melcli info``: the format, encoding, rate, channels and length of audio files."""

from __future__ import annotations

import fnmatch
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ..discover import Found, Skipped, find_audio
from ..errors import MelcliError
from ..hints import NOT_AUDIO_EXTENSION, extension_hint, wrong_root_hint
from ..report import display_path
from .console import FoldedFailures, echo_error, one_line
from .group import cli
from .options import (
    check_list_options,
    chosen_extensions,
    info_list_options,
    read_listed,
    selection_options,
)
from .types import ExistingPath

if TYPE_CHECKING:
    from ..audio import AudioInfo
    from ..filelist import FileList


@cli.command(short_help="Show format, rate, channels and length of audio files.")
@click.argument("src", nargs=-1, type=ExistingPath(path_type=Path))
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
    src: tuple[Path, ...],
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

    The lengths are what the headers say, read without decoding: a file cut
    short may show the length it claims (a FLAC file does; a WAV file shows the
    data it holds), or 0 where the header leaves it to the end of the stream;
    'melcli mel' decodes it and fails it as truncated.

    Unreadable files are reported on stderr; the exit status is then 1.
    """
    from ..audio import probe

    if not src and files_from is None:
        raise click.UsageError("Missing argument 'SRC...' (or --files-from FILE).")
    check_list_options(files_from, path_column=path_column, root=list_root)
    listed = read_listed(files_from, path_column, list_root)
    found = _found(src, listed, extensions, include, exclude)
    # A row of the list that names no file to read is missing, not unreadable.
    missing = len(listed.problems) if listed is not None else 0
    failed = 0
    hint = wrong_root_hint(listed)
    # A list none of whose files was found, a decoder not installed: a few
    # of the failures one cause explains, then a count.
    folded = FoldedFailures(
        listed if hint else None, verbose=verbose, see_all="-v lists each"
    )
    if verbose:
        for passed in found.skipped:
            reason = display_path(one_line(passed.reason))
            click.echo(f"skipped {display_path(passed.path)}: {reason}", err=True)
    for problem in found.problems:
        if folded.show(problem.path, problem.reason):
            echo_error(problem.path, problem.reason)
        failed += 1
    rows: list[dict[str, Any]] = []
    for path, _rel in found.files:
        try:
            header = probe(path)
        except MelcliError as exc:
            if folded.show(path, str(exc)):
                echo_error(path, str(exc))
            failed += 1
            continue
        row = _row(path, header)
        if as_json and not summary:
            # A name that is not valid UTF-8 is written with \udcXX escapes,
            # which json.loads and os.fsencode turn back into its bytes.
            ascii_only = not _is_utf8(os.fsdecode(path))
            click.echo(json.dumps(row, ensure_ascii=ascii_only))
        else:
            rows.append(row)
    # After every failure shown, how many more there were (the list's and
    # the decoders' alike), then the hint, as "melcli mel" says them.
    for line in folded.lines():
        click.echo(f"error: {display_path(line)}", err=True)
    if hint:
        click.echo(f"warning: {display_path(hint)}", err=True)
    if not found.files and not failed:  # as "melcli mel" says it, not silently
        click.echo("warning: no audio files found", err=True)
    if not extensions and (
        more := extension_hint(
            (s.path for s in found.skipped if s.reason == NOT_AUDIO_EXTENSION),
            (path for path, _rel in found.files),
        )
    ):
        click.echo(f"warning: {display_path(more)}", err=True)
    if summary:
        totals = _summary(rows, unreadable=failed - missing, missing=missing)
        if as_json:
            click.echo(json.dumps(totals, ensure_ascii=True))
        else:
            _print_summary(totals)
    elif not as_json:
        _print_table(rows)
    sys.exit(1 if failed else 0)


def _found(
    src: tuple[Path, ...],
    listed: FileList | None,
    extensions: tuple[str, ...],
    include: tuple[str, ...],
    exclude: tuple[str, ...],
) -> Found:
    """Return the files under SRC and in the list, chosen as ``melcli mel`` does."""
    found = find_audio(
        src, extensions=chosen_extensions(extensions), include=include, exclude=exclude
    )
    if listed is not None:
        found.problems.extend(listed.problems)
        found.skipped.extend(listed.skipped)
        for item in listed.files:  # matched relative to the root, as mel does
            if why := _passed_over(item.rel, include, exclude):
                found.skipped.append(Skipped(item.path, why, item.rel))
            else:
                found.files.append((item.path, item.rel))
    return found


def _row(path: Path, header: AudioInfo) -> dict[str, Any]:
    """Return one file's row: its path, and what its header says."""
    return {
        "path": os.fsdecode(path),
        "format": header.format,
        "subtype": header.subtype,
        "samplerate": header.samplerate,
        "channels": header.channels,
        "frames": header.frames,
        "duration": round(header.duration, 6),
    }


def _passed_over(rel: str, include: tuple[str, ...], exclude: tuple[str, ...]) -> str:
    """Why ``--include``/``--exclude`` pass over a listed path; "" to take it."""
    rel = rel.replace(os.sep, "/")
    if include and not any(fnmatch.fnmatchcase(rel, p) for p in include):
        return "does not match --include"
    if any(fnmatch.fnmatchcase(rel, p) for p in exclude):
        return "matches --exclude"
    return ""


def _summary(
    rows: list[dict[str, Any]], *, unreadable: int, missing: int
) -> dict[str, Any]:
    """Totals of ``info`` rows: what a dataset card says about its audio."""
    from collections import Counter

    def counts(key: str) -> dict[str, int]:
        found = Counter(str(r[key]) for r in rows)
        return dict(sorted(found.items(), key=lambda kv: (-kv[1], kv[0])))

    seconds = sum(r["duration"] for r in rows)
    by_length = sorted(rows, key=lambda r: (r["duration"], os.fsencode(r["path"])))

    def one(r: dict[str, Any] | None) -> dict[str, Any] | None:
        return None if r is None else {"path": r["path"], "duration": r["duration"]}

    return {
        "files": len(rows),
        "unreadable": unreadable,
        "missing": missing,
        "seconds": round(seconds, 3),
        "hours": round(seconds / 3600, 4),
        "samplerates": counts("samplerate"),
        "channels": counts("channels"),
        "formats": counts("format"),
        "subtypes": counts("subtype"),
        "shortest": one(by_length[0] if rows else None),
        "longest": one(by_length[-1] if rows else None),
    }


def _print_summary(totals: dict[str, Any]) -> None:
    def listing(counts: dict[str, int], unit: str = "") -> str:
        return ", ".join(f"{k}{unit}: {n}" for k, n in counts.items()) or "-"

    seconds = totals["seconds"]
    files = f"{totals['files']}"
    left_out = [
        f"{totals[key]} {key}" for key in ("unreadable", "missing") if totals[key]
    ]
    if left_out:
        files += f" ({', '.join(left_out)}, not counted)"
    lines = [
        ("files", files),
        ("duration", f"{totals['hours']:.2f} h ({seconds:.1f} s)"),
        ("sample rates", listing(totals["samplerates"], " Hz")),
        ("channels", listing(totals["channels"])),
        ("formats", listing(totals["formats"])),
        ("encodings", listing(totals["subtypes"])),
    ]
    for end in ("shortest", "longest"):
        if totals[end] is not None:
            r = totals[end]
            lines.append((end, f"{r['duration']:.3f} s  {display_path(r['path'])}"))
    width = max(len(label) for label, _ in lines)
    for label, value in lines:
        click.echo(f"{label.ljust(width)}  {value}")


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

    click.echo(line(headers))
    for row in table:
        click.echo(line(row))


def _is_utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True

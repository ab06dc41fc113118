"""What audio a dataset holds, from the headers: ``melcli info`` as a library.

:func:`info` (``melcli.info``) chooses the files as ``melcli mel`` does (folders walked,
``extensions``, ``include``, ``exclude``, a ``files_from`` list), reads each
one's header without decoding (:func:`melcli.audio.probe`) and returns an
:class:`Inventory`: a row per file, the files that could not be read and why,
the warnings the command prints, and :meth:`Inventory.summary`, the totals a
dataset card needs (``melcli info --summary --json``). :func:`iter_info` is
the same a header at a time: the command iterates it and prints.
"""

from __future__ import annotations

import fnmatch
import functools
import inspect
import operator
import os
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from . import interrupts
from .discover import (
    DEFAULT_EXTENSIONS,
    Found,
    Skipped,
    find_audio,
    first_of_each,
    note_case_only,
)
from .errors import MelcliError, did_you_mean
from .filelist import FileList
from .hints import (
    NOT_AUDIO_EXTENSION,
    NOT_INCLUDED,
    case_only_hints,
    extension_hint,
    found_include_hint,
    list_as_source_hint,
    none_taken_hint,
    selection_hints,
    wrong_root_hint,
)
from .inputs import (
    check_extensions,
    check_list_options,
    check_sources,
    extension_set,
    one_or_many,
    read_listed,
    readable_twice,
)


def find_inputs(
    sources: Sequence[str | os.PathLike[str]],
    *,
    listed: FileList | None = None,
    extensions: Iterable[str] = DEFAULT_EXTENSIONS,
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
) -> Found:
    """Return the files under ``sources`` and in ``listed``, chosen as a run does.

    A listed path is matched against ``include``/``exclude`` relative to the
    list's root, as ``melcli mel`` matches it; a row naming no file is one
    of the returned ``problems``.
    """
    found = find_audio(
        sources, extensions=frozenset(extensions), include=include, exclude=exclude
    )
    # A file given twice for one place is one row, as it is one input in a
    # run (its hours were counted twice).
    found.files = first_of_each(
        found.files, operator.itemgetter(1), operator.itemgetter(0)
    )
    if listed is not None:
        found.problems.extend(listed.problems)
        found.skipped.extend(listed.skipped)
        for item in listed.files:
            skipped = None
            if why := _passed_over(item.rel, include, exclude):
                skipped = Skipped(item.path, why, item.rel)
                found.skipped.append(skipped)
            else:
                found.files.append((item.path, item.rel))
            rel = item.rel.replace(os.sep, "/")
            note_case_only(rel, skipped, include, exclude, found.case_only)
    return found


def _passed_over(rel: str, include: Sequence[str], exclude: Sequence[str]) -> str:
    """Why ``include``/``exclude`` pass over a listed path; "" to take it."""
    rel = rel.replace(os.sep, "/")
    if include and not any(fnmatch.fnmatchcase(rel, p) for p in include):
        return NOT_INCLUDED
    if any(fnmatch.fnmatchcase(rel, p) for p in exclude):
        return "matches --exclude"
    return ""


def iter_rows(
    files: Iterable[tuple[Path, str]],
) -> Iterator[tuple[Path, dict[str, Any] | None, str]]:
    """Read each file's header: ``(path, row, "")``, or ``(path, None, reason)``.

    A row has the keys ``path``, ``format``, ``subtype``, ``samplerate``,
    ``channels``, ``frames`` and ``duration`` (seconds, from the header).
    """
    from .audio import probe

    for path, _rel in files:
        try:
            header = probe(path)
        except MelcliError as exc:
            yield path, None, str(exc)
            continue
        yield (
            path,
            {
                "path": os.fsdecode(path),
                "format": header.format,
                "subtype": header.subtype,
                "samplerate": header.samplerate,
                "channels": header.channels,
                "frames": header.frames,
                "duration": round(header.duration, 6),
            },
            "",
        )


def summarize(
    rows: Sequence[dict[str, Any]], *, unreadable: int = 0, missing: int = 0
) -> dict[str, Any]:
    """Return the totals of ``rows``: what a dataset card says about its audio.

    The keys files, unreadable, missing (rows of a list that name no file),
    seconds, hours, samplerates, channels, formats, subtypes (counts, most
    common first), shortest and longest (path and duration, or None).
    """

    def counts(key: str) -> dict[str, int]:
        # Ties in order of the values: 8000 Hz before 11025 Hz, not after.
        found = Counter(r[key] for r in rows)
        ranked = sorted(found.items(), key=lambda kv: (-kv[1], _in_order(kv[0])))
        return {str(value): n for value, n in ranked}

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


class Totals(dict[str, Any]):
    """The totals of :func:`summarize`; ``str()`` gives them as ``info --summary`` does.

    A dict of the keys ``melcli info --summary --json`` prints; its text is
    one line a total, ``files``, ``duration``, ``sample rates``, ... with
    the shortest and the longest file (their names escaped as in every
    message).
    """

    def __str__(self) -> str:
        return "\n".join(summary_lines(self))


def summary_lines(totals: dict[str, Any]) -> list[str]:
    """Return the lines ``melcli info --summary`` prints of ``totals``."""
    from .report import display_path

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
    return [f"{label.ljust(width)}  {value}" for label, value in lines]


def _in_order(value: object) -> tuple[int, float, str]:
    """Sort numbers (rates, channel counts) by value, before words (formats)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return (0, float(value), "")
    return (1, 0.0, str(value))


def inventory_warnings(
    found: Found,
    listed: FileList | None,
    *,
    default_extensions: bool,
    failed: int,
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
    sources: Sequence[str | os.PathLike[str]] = (),
    failures: Iterable[tuple[Path, str]] = (),
) -> list[str]:
    """Return what ``melcli info`` says last, after the failures.

    A list none of whose files is found (:func:`melcli.hints.wrong_root_hint`),
    what ``include``/``exclude`` patterns do not do as meant, as a run says it
    (:func:`melcli.hints.selection_hints`), a table given as an input
    (:func:`melcli.hints.list_as_source_hint`, of the files that could not be
    read, ``failures``), no audio found, and with the default extensions,
    files passed over that may hold audio
    (:func:`melcli.hints.extension_hint`).
    """
    warnings = []
    if hint := wrong_root_hint(listed):
        warnings.append(hint)
    warnings += case_only_hints(found.case_only)
    folders = [Path(s) for s in sources]
    warnings += selection_hints(
        include,
        exclude,
        folders,
        list_root=listed.root if listed is not None else None,
        took_none=lambda: found_include_hint(
            include,
            [(s.path, s.reason) for s in found.skipped],
            folders,
            taken=len(found.files) + failed,
        ),
    )
    if hint := list_as_source_hint(failures):
        warnings.append(hint)
    # Said as a run says it: always when nothing at all was found (a pattern
    # hint does not say that); else only when no hint said why none was taken
    # (the extension hint says which files were passed over, and what to give).
    by_name = [s.path for s in found.skipped if s.reason == NOT_AUDIO_EXTENSION]
    more = (
        extension_hint(by_name, (path for path, _rel in found.files))
        if default_extensions
        else None
    )
    nothing = not found.files and not failed and not more
    if nothing and (not found.skipped or not warnings):  # and what it passed over
        warnings.append(none_taken_hint(by_name) or "no audio files found")
    if more:
        warnings.append(more)
    return warnings


@dataclass
class Inventory:
    """What :func:`info` found: a row per file read, and what was not.

    Attributes
    ----------
    rows : list of dict
        One per file whose header was read (:func:`iter_rows`), in the order
        of a run.
    failures : list of (Path, str)
        The files that could not be read, and the rows of a list that name no
        file, with why.
    missing : int
        How many of ``failures`` are rows of a list that name no file.
    skipped : list of Skipped
        The paths passed over, and why (``melcli info -v``).
    warnings : list of str
        What the command says last: a list found elsewhere, no audio found,
        files passed over that may hold audio.
    """

    rows: list[dict[str, Any]] = field(default_factory=list)
    failures: list[tuple[Path, str]] = field(default_factory=list)
    missing: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> Totals:
        """Return the totals: what ``melcli info --summary`` prints.

        A dict, as ``--summary --json`` prints it (``inv.summary()["hours"]``);
        its ``str()`` is the text ``--summary`` prints, so that
        ``print(inv.summary())`` shows it, as ``print(report.summary())``
        shows a run's summary line.
        """
        unreadable = len(self.failures) - self.missing
        return Totals(summarize(self.rows, unreadable=unreadable, missing=self.missing))

    @property
    def exit_code(self) -> int:
        """1 if a file could not be read, as the command exits; else 0."""
        return 1 if self.failures else 0


_P = ParamSpec("_P")
_T = TypeVar("_T")

#: The options of ``melcli info`` that are no keyword of :func:`info` by their
#: own name: what info() gives instead (``{value}``: the value given).
_COMMAND_OPTIONS = {
    "src": "the sources are info()'s first argument: info(['audio/'])",
    "ext": "--ext is extensions={value}",
    "summary": "info() returns an Inventory: its .summary() is the totals "
    "--summary prints",
    "json": "info() returns an Inventory: its .rows are the objects --json prints",
    "verbose": "info() prints nothing: the Inventory's .failures and .warnings "
    "hold what the command says",
}


def _options_told(function: Callable[_P, _T]) -> Callable[_P, _T]:
    """Make a keyword ``function`` does not take a TypeError that says more.

    ``info(src, ext="wav")``, as ``melcli info --ext wav``: the message names
    the keyword to give (``extensions``), or the keyword meant.
    """
    taken = inspect.signature(function).parameters

    @functools.wraps(function)
    def told(*args: _P.args, **kwargs: _P.kwargs) -> _T:
        for name, value in kwargs.items():
            if name not in taken:
                said = f"info() got an unexpected keyword argument {name!r}"
                if name in _COMMAND_OPTIONS:
                    hint = _COMMAND_OPTIONS[name].format(value=repr(value))
                    raise TypeError(f"{said}; {hint}")
                raise TypeError(said + did_you_mean(name, taken))
        return function(*args, **kwargs)

    return told


class InfoScan:
    """:func:`info` as it goes: iterate it for each file's header as it is read.

    Before the iteration, :attr:`inventory` holds the paths passed over
    (``.skipped``) and the inputs refused before any header is read
    (``.failures``: a list's rows that name no file, a loop of links...);
    each ``(path, row, reason)`` the iteration yields is added to it (a row,
    or with ``row`` None, a failure and why), and after it, its
    ``.warnings``. What ``melcli info`` prints as it goes (``--json`` one
    object per line, each failure as it comes).
    """

    def __init__(
        self,
        found: Found,
        listed: FileList | None,
        *,
        sources: Sequence[str | os.PathLike[str]],
        include: tuple[str, ...],
        exclude: tuple[str, ...],
        default_extensions: bool,
        keep_rows: bool,
    ) -> None:
        self.inventory = Inventory(skipped=found.skipped)
        self.inventory.failures = [(p.path, p.reason) for p in found.problems]
        self.inventory.missing = len(listed.problems) if listed is not None else 0
        self._found, self._listed = found, listed
        self._sources, self._include, self._exclude = sources, include, exclude
        self._default_extensions = default_extensions
        self._keep_rows = keep_rows

    def __iter__(self) -> Iterator[tuple[Path, dict[str, Any] | None, str]]:
        """Yield ``(path, row, "")`` or ``(path, None, reason)`` per file, in order."""
        result = self.inventory
        for path, row, reason in iter_rows(self._found.files):
            if row is None:
                result.failures.append((path, reason))
            elif self._keep_rows:
                result.rows.append(row)
            yield path, row, reason
        result.warnings = inventory_warnings(
            self._found,
            self._listed,
            default_extensions=self._default_extensions,
            failed=len(result.failures),
            include=self._include,
            exclude=self._exclude,
            sources=self._sources,
            failures=result.failures,
        )


@interrupts.stops_on_signals  # its walk of the sources (each header: probe's)
def iter_info(
    sources: Sequence[str | os.PathLike[str]] | str | os.PathLike[str] = (),
    *,
    extensions: Iterable[str] | str = DEFAULT_EXTENSIONS,
    include: Sequence[str] | str = (),
    exclude: Sequence[str] | str = (),
    files_from: str | os.PathLike[str] | FileList | None = None,
    path_column: str | None = None,
    root: str | os.PathLike[str] | None = None,
    keep_rows: bool = True,
) -> InfoScan:
    """:func:`info` as an iterable (:class:`InfoScan`): a header at a time.

    The same keywords, checked alike before any file is read; with
    ``keep_rows=False`` the rows are yielded and not kept (a million files'
    rows streamed as ``melcli info --json`` prints them).
    """
    given = list(one_or_many(sources, param="sources"))
    include = tuple(one_or_many(include, param="include"))
    exclude = tuple(one_or_many(exclude, param="exclude"))
    check_sources(given, files_from=files_from)
    check_list_options(files_from, path_column=path_column, root=root)
    extensions = readable_twice(extensions)
    check_extensions(extensions)
    chosen = extension_set(extensions)
    listed = read_listed(files_from, path_column=path_column, root=root)
    found = find_inputs(
        [Path(s) for s in given],
        listed=listed,
        extensions=chosen,
        include=include,
        exclude=exclude,
    )
    return InfoScan(
        found,
        listed,
        sources=given,
        include=include,
        exclude=exclude,
        default_extensions=chosen == DEFAULT_EXTENSIONS,
        keep_rows=keep_rows,
    )


@interrupts.stops_on_signals  # outermost: its end is the call's
@_options_told
def info(
    sources: Sequence[str | os.PathLike[str]] | str | os.PathLike[str] = (),
    *,
    extensions: Iterable[str] | str = DEFAULT_EXTENSIONS,
    include: Sequence[str] | str = (),
    exclude: Sequence[str] | str = (),
    files_from: str | os.PathLike[str] | FileList | None = None,
    path_column: str | None = None,
    root: str | os.PathLike[str] | None = None,
) -> Inventory:
    """Read the headers of the audio under ``sources`` (``melcli info``).

    The files are chosen as :func:`melcli.run` chooses them, with the same
    keywords, and refused as it refuses them. :func:`iter_info` gives each
    file's header as it is read.

    Returns
    -------
    Inventory
        A row per file, the failures, the warnings; ``.summary()`` the totals
        (``melcli info --summary``).

    Raises
    ------
    ParameterError
        If no input is given, a source is an empty name, ``extensions`` names
        none, or ``path_column``/``root`` come without ``files_from``.
    UsageError
        If the list cannot be read.
    """
    scan = iter_info(
        sources,
        extensions=extensions,
        include=include,
        exclude=exclude,
        files_from=files_from,
        path_column=path_column,
        root=root,
    )
    for _ in scan:
        pass
    return scan.inventory


__all__ = [
    "InfoScan",
    "Inventory",
    "Totals",
    "find_inputs",
    "info",
    "inventory_warnings",
    "iter_info",
    "iter_rows",
    "summarize",
    "summary_lines",
]

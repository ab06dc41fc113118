"""The hints a run gives when it took nothing: why, and what to give instead.

``--include`` patterns that match no file (they are matched against the path
relative to SRC), and a ``--files-from`` list none of whose files is found (a
table kept apart from its audio, given without ``--root``; a table of names
without their subfolder): said once, last, before the summary.
"""

from __future__ import annotations

import fnmatch
import glob
import os
import re
import stat
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING

from .discover import DEFAULT_EXTENSIONS
from .errors import shell_word
from .filelist import PATH_COLUMNS, TABLE_SUFFIXES, delimiter_of
from .report import Report, Result, Status, plural

if TYPE_CHECKING:
    from .discover import Problem
    from .filelist import FileList


def spelled_option(
    name: str, value: str | os.PathLike[str] | None = None, *, api: bool = False
) -> str:
    """Spell an option a hint says to give, for the command or for Python.

    ``spelled_option("root", "ESC 50/audio")`` is ``--root 'ESC 50/audio'`` (pasted
    into a shell, one word); with ``api``, the keyword of the function that
    read the list: ``root='ESC 50/audio'``. Without a value, the name alone
    (``--path-column``, ``path_column``).
    """
    if api:
        return name if value is None else f"{name}={os.fsdecode(value)!r}"
    flag = "--" + name.replace("_", "-")
    return flag if value is None else f"{flag} {shell_word(value)}"


#: The reason of an input --include passes over (melcli.discover).
NOT_INCLUDED = "does not match --include"


def include_hint(
    report: Report, include: tuple[str, ...], sources: tuple[Path, ...]
) -> str | None:
    """When ``include`` passed over every input, say what its patterns match.

    They are matched against each path relative to its SRC: ``audio/dogs/*``
    matches nothing under SRC ``audio``.
    """
    if not include:
        return None
    skipped = report.with_status(Status.SKIPPED)
    passed = [r.src for r in skipped if r.reason == NOT_INCLUDED]
    if not passed or len(skipped) < report.n_results:  # some were taken
        return None
    return _took_none(include, passed, sources)


def _took_none(
    include: Sequence[str], passed: Sequence[Path], sources: Sequence[Path]
) -> str:
    # As written: the line is escaped once, where it is printed.
    patterns = " ".join(map(shell_word, include))
    hint = (
        f"--include {patterns} took none of {plural(len(passed), 'file')} found: "
        "patterns are matched against each path relative to its SRC"
    )
    found = _relative_to_sources(passed, sources)
    if not found:
        return hint
    (src, example, rel) = found[0]
    rels = [r for _, _, r in found]
    for pattern in include:
        if (fix := _pattern_that_takes(pattern, rels, src)) is not None:
            taken = sum(fnmatch.fnmatchcase(r, fix) for r in rels)
            return (
                f"{hint} ({os.fsdecode(example)} is {rel}); --include "
                f"{shell_word(fix)} takes {taken} of them"
            )
    first = include[0].split("/", 1)[0]
    if "/" in include[0] and first and not _WILDCARDS.intersection(first):
        # --include 'SUB/*': no folder of that name where the files are.
        folders = sorted({r.split("/", 1)[0] for s, _, r in found if "/" in r})
        shown = ", ".join(folders[:EXTENSIONS_SHOWN]) + (
            ", ..." if len(folders) > EXTENSIONS_SHOWN else ""
        )
        under = os.fsdecode(src)
        return f"{hint}, and no path under {under} begins with {first}/" + (
            f" (its folders: {shown})" if folders else " (it holds no folder)"
        )
    return f"{hint} ({os.fsdecode(example)} is {rel})"


def _relative_to_sources(
    passed: Sequence[Path], sources: Sequence[Path]
) -> list[tuple[Path, Path, str]]:
    """Return ``(SRC, path, path relative to SRC)`` of the files under an SRC folder."""
    folders = [src for src in sources if src.is_dir()]
    found = []
    for path in passed:
        src = next((s for s in folders if path.is_relative_to(s)), None)
        if src is not None:
            found.append((src, path, path.relative_to(src).as_posix()))
    return found


def _pattern_that_takes(pattern: str, rels: Sequence[str], src: Path) -> str | None:
    """Return ``pattern`` as meant, if it takes some of ``rels`` once fixed.

    A pattern written from the current folder (``audio/dogs/*`` for SRC
    ``audio``, or from SRC's absolute path) without those leading folders;
    one written from a folder inside SRC (``dogs/*`` for SRC ``data``, whose
    paths are ``audio/dogs/...``) with ``*/`` before it.
    """
    parts = pattern.split("/")
    here = Path(os.path.abspath(src)).parts[1:]  # SRC's folders, from the top

    def names_src(lead: list[str]) -> bool:  # the folders before SRC's paths
        if not lead[0]:  # from the top: all of SRC's
            return tuple(lead[1:]) == here
        return len(lead) <= len(here) and tuple(lead) == here[len(here) - len(lead) :]

    candidates = [
        "/".join(parts[k:]) for k in range(1, len(parts)) if names_src(parts[:k])
    ]
    if parts[0] and not _WILDCARDS.intersection(parts[0]) and len(parts) > 1:
        candidates.append("*/" + pattern)
    for candidate in candidates:
        if candidate and any(fnmatch.fnmatchcase(r, candidate) for r in rels):
            return candidate
    return None


def case_only_hints(notes: dict[tuple[str, str], list[str]]) -> list[str]:
    """Say which files a pattern missed by the case of their letters alone.

    ``notes`` (:func:`melcli.discover.note_case_only`): ``(option, pattern)``
    -> the paths relative to SRC it matches once case is ignored. Patterns
    match case and all, where ``--ext`` does not: ``--exclude '*.wav'``
    keeps ``UPPER.WAV``; the hint gives the pattern spelled as the file is,
    when the two differ in their extension only.
    """
    hints = []
    for (option, pattern), rels in notes.items():
        first = rels[0]
        files = (
            first
            if len(rels) == 1
            else f"{first} and {plural(len(rels) - 1, 'more file')}"
        )
        did = "left out" if option == "--include" else "did not leave out"
        what = "take" if option == "--include" else "leave"
        them = "it" if len(rels) == 1 else "them"
        hint = (
            f"{option} {shell_word(pattern)} {did} {files}, which it matches but "
            "for the case of letters (patterns match case and all, unlike --ext)"
        )
        spelled = _spelled_as(pattern, rels)
        if spelled:
            more = " ".join(f"{option} {shell_word(p)}" for p in spelled)
            out = "" if option == "--include" else " out"
            hint += f": to {what} {them}{out} too, add {more}"
        hints.append(hint)
    return hints


def _spelled_as(pattern: str, rels: Sequence[str]) -> list[str]:
    """Return ``pattern`` with its extension spelled as in ``rels``, if it ends in one.

    ``'*.wav'`` and ``UPPER.WAV`` give ``['*.WAV']``; a pattern whose other
    letters differ from the files' gives none.
    """
    stem, dot, ext = pattern.rpartition(".")
    if not dot or not ext or _WILDCARDS.intersection(ext) or "/" in ext:
        return []
    spellings = {rel.rpartition(".")[2] for rel in rels if "." in rel}
    found = sorted(e for e in spellings if e != ext and e.casefold() == ext.casefold())
    if not found or any(
        not rel.casefold().endswith("." + ext.casefold()) for rel in rels
    ):
        return []
    return [f"{stem}.{e}" for e in found]


#: What makes a pattern a pattern (:func:`fnmatch.fnmatch`'s wildcards).
_WILDCARDS = frozenset("*?[")


def expanded_pattern_hint(
    option: str, patterns: Sequence[str], sources: Sequence[os.PathLike[str] | str]
) -> str | None:
    """When the shell expanded an unquoted ``--include``/``--exclude``, say so.

    ``--include audio/*.wav`` unquoted reaches melcli as ``--include
    audio/a.wav audio/b.wav ...``: the first file's name is the pattern, the
    others are taken as SRC (and ``--exclude *_noisy.wav`` then converts the
    very files it was to leave out). A pattern with no wildcard that names
    an existing file, beside files given as SRC in its folder, is that.
    """
    for pattern in patterns:
        if _WILDCARDS.intersection(pattern) or not os.path.isfile(pattern):
            continue
        folder = os.path.dirname(pattern)
        beside = [
            s
            for s in sources
            if os.path.dirname(os.fspath(s)) == folder and os.path.isfile(s)
        ]
        if not beside:
            continue
        # Matched against paths relative to SRC, where '*' also matches '/'.
        guess = f"*{os.path.splitext(pattern)[1]}"
        more = plural(len(beside), "more file")
        return (
            f"{option} {pattern!r} names a file, and {more} in its folder "
            f"{'was' if len(beside) == 1 else 'were'} given as SRC: the shell "
            "expanded an unquoted pattern; quote the pattern, such as "
            f"{option} {shell_word(guess)}"
        )
    return None


def folder_pattern_hint(
    option: str, patterns: Sequence[str], sources: Sequence[os.PathLike[str] | str]
) -> str | None:
    """When an ``--include``/``--exclude`` pattern names a folder, say so.

    Patterns are matched against each file's path relative to its SRC (or
    a list's root):
    ``--exclude dogs`` (or ``dogs/``, or ``audio/dogs`` with SRC ``audio``)
    leaves out nothing, the files in it being ``dogs/bark1.wav``...; ``dogs/*``
    is what takes or leaves them. Only a pattern without wildcards that is a
    folder in an SRC folder is said so: it can match no file.
    """
    folders = [os.fspath(s) for s in sources if os.path.isdir(s)]
    for pattern in patterns:
        name = pattern.rstrip("/")
        if not name or _WILDCARDS.intersection(name):
            continue
        for folder in folders:
            rel = _folder_under(name, folder)
            if rel is None:
                continue
            does = "takes" if option == "--include" else "leaves out"
            return (
                f"{option} {pattern!r} names a folder, and patterns are matched "
                "against each file's path relative to its SRC: it "
                f"{does} no file; to match the files in it, give "
                f"{option} {shell_word(glob.escape(rel) + '/*')}"
            )
    return None


def _folder_under(name: str, folder: str) -> str | None:
    """Return ``name`` as a folder's path relative to ``folder``, if it is one.

    ``name`` is taken relative to ``folder`` (``dogs``), or as written, from the
    current folder (``audio/dogs``), when that lies inside ``folder``.
    """
    inside = os.path.normpath(name)
    if (
        not os.path.isabs(name)
        and inside != "."
        and not inside.startswith("..")
        and os.path.isdir(os.path.join(folder, name))
    ):
        return inside.replace(os.sep, "/")
    if os.path.isdir(name):
        rel = os.path.relpath(os.path.abspath(name), os.path.abspath(folder))
        if rel != "." and not rel.startswith(".."):
            return rel.replace(os.sep, "/")
    return None


#: The reason of a listed path that does not exist (``os.strerror(ENOENT)``).
_MISSING = ": no such file or directory"


def found_nowhere(listed: FileList | None) -> bool:
    """Whether ``listed`` names files, and none of them was found."""
    return listed is not None and bool(listed.problems) and not listed.found


def wrong_root_hint(listed: FileList | None, *, api: bool = False) -> str | None:
    """When no file the list names was found, say where they were looked for.

    The options to give are spelled for the command (``--root audio``), or
    with ``api`` as the keywords of a Python call (``root='audio'``).

    The usual cause is a table kept apart from its audio (ESC-50's
    ``meta/esc50.csv`` and ``audio/``) given without ``--root``, or a table
    that gives names without their subfolder (UrbanSound8K's ``fold1/`` ...).
    When a few of the paths are found one folder away (:func:`_found_in`),
    the hint names that folder or those subfolders. Said last, before the
    summary, after the first few missing files and the count of the others
    (:class:`FoldedFailures`).
    """
    if not found_nowhere(listed):
        return None
    assert listed is not None
    root = os.fsdecode(listed.root)
    where = "the current folder" if root in ("", ".") else root
    hint = f"no file listed in {listed.name} was found; its paths are taken "
    if outside := _outside_root(listed):  # files, each outside the root
        return (
            f"{hint}relative to {where}, and they lie outside it, in {outside}: "
            f"give {spelled_option('root', outside, api=api)}"
        )
    if not any(p.reason.endswith(_MISSING) for p in listed.problems):
        return None  # folders, paths outside the root...: each said on its line
    if ext := _lacking_extension(listed):
        if listed.path_column:
            template = spelled_option(
                "path_column", f"{{{listed.path_column}}}.{ext}", api=api
            )
            how = f"make each path from its row with {template}"
        elif listed.columns:
            how = f"add .{ext} to the {spelled_option('path_column', api=api)} template"
        else:
            how = f"add .{ext} to each path"
        return f"{hint}relative to {where}, and they are there with .{ext} added: {how}"
    base, holders = _found_in(listed)
    if len(holders) == 1:
        (holder,) = holders
        there = "the current folder" if holder == Path(os.curdir) else holder
        return (
            f"{hint}relative to {where}, and they are in {there}: give "
            f"{spelled_option('root', holder, api=api)}"
        )
    column_option = spelled_option("path_column", api=api)
    template = (
        f"make each path from its row with a {column_option} template naming the "
        "columns, such as 'fold{fold}/{slice_file_name}'"
    )
    names = ", ".join(sorted(h.name for h in holders)[:HOLDERS_SHOWN])
    more = ", ..." if len(holders) > HOLDERS_SHOWN else ""
    if holders and (place := _listed_place(listed)):  # its rows, as the walk's hint
        if place.template:  # what makes them found, as the walk's hint says
            there = f"its subfolders {names}{more}"
            give = spelled_option("path_column", place.template, api=api)
            if place.root != listed.root:
                there = f"the subfolders {names}{more} of {place.root}"
                also = spelled_option("root", place.root, api=api)
                give = f"{also}, {give}" if api else f"{also} {give}"
            return f"{hint}relative to {where}, and they are in {there}: give {give}"
        return (
            f"{hint}relative to {where}, and they are in the subfolders "
            f"{names}{more} of {place.root}, which no column of its first rows "
            f"names, so no {column_option} template finds them: list each file "
            "with its subfolder, and give "
            f"{spelled_option('root', place.root, api=api)}"
        )
    if holders and base == listed.root:
        return (
            f"{hint}relative to {where}, and they are in its subfolders "
            f"{names}{more}: {template}"
        )
    if holders:
        return (
            f"{hint}relative to {where}, and they are in the subfolders "
            f"{names}{more} of {base}: give "
            f"{spelled_option('root', base, api=api)}, and {template}"
        )
    if column := _not_file_names(listed, api=api) or _table_as_lines(listed, api=api):
        return f"{hint}relative to {where}, and {column}"
    if near_miss := _windows_paths(listed) or _spaced_cells(listed):
        return f"{hint}relative to {where}, and {near_miss}"
    return (
        f"{hint}relative to {where}: give {spelled_option('root', api=api)} the folder "
        "that holds them"
    )


def _listed_place(listed: FileList) -> TablePlace | None:
    """Return where a table's first rows' files are (:func:`table_place`).

    None for a list that is no table read from a file with a path column, or
    whose first rows' files lie in one folder.
    """
    if listed.path_column not in listed.columns or not listed.columns:
        return None
    path = Path(listed.name)
    if not _is_file(path):
        return None
    place = table_place(path, listed.path_column, listed.root)
    return place if place is not None and (place.template or place.holders) else None


def _windows_paths(listed: FileList) -> str | None:
    """Say that the list's paths have backslashes between folders, as Windows's.

    A table made on Windows was told to give another ``--root``; here a
    backslash is a character of a file's name, not a folder's end. Said
    when every path looked at holds one, and with '/' instead they are there.
    """
    found = _found_as(listed, lambda text: text.replace("\\", "/"))
    if found is None:
        return None
    return (
        f"they have backslashes between folders, as Windows writes them "
        f"({found}), and with '/' they are there: write them with '/'"
    )


def _spaced_cells(listed: FileList) -> str | None:
    """Say that the list's paths begin or end with spaces, found without them.

    ``fold, filename`` then ``1, a.wav``: a table written with a space after
    each comma gives the path ``" a.wav"``, and the hint said to give another
    ``--root``. Said when every path looked at has a space at an end, and
    without it they are there.
    """
    found = _found_as(listed, str.strip)
    if found is None:
        return None
    return (
        f"they begin or end with spaces ({found!r}), as the cells of a table "
        "written with a space after each comma do, and without them they are "
        "there: write the table without those spaces"
    )


def _found_as(listed: FileList, fix: Callable[[str], str]) -> str | None:
    """Return the first path ``fix`` changes and finds, if it changes every one.

    The paths looked at are the first :data:`PATHS_LOOKED_FOR` missing ones,
    relative to the list's root.
    """
    looked_at = listed.problems[:PATHS_LOOKED_FOR]
    texts = [os.path.relpath(p.path, listed.root) for p in looked_at]
    if not texts or any(fix(text) == text for text in texts):
        return None
    return next(
        (
            text
            for text in texts
            if os.path.isfile(os.path.join(listed.root, fix(text)))
        ),
        None,
    )


def _table_as_lines(listed: FileList, *, api: bool = False) -> str | None:
    """Say that a list read a path a line holds a table's rows, and how to read it.

    ``meta.txt`` holding ``filename,fold`` rows was read as paths named
    ``filename,fold``, ``1-100038-A-14.wav,1``...: the hint said to give
    another ``--root``. Said when every missing path holds a comma (or every
    one a tab); ``--path-column`` reads the list as a table.
    """
    if listed.columns:
        return None
    texts = [
        os.path.relpath(p.path, listed.root) for p in listed.problems[:PATHS_LOOKED_FOR]
    ]
    for sep, what in ((",", "commas"), ("\t", "tabs")):
        if not texts or not all(sep in text for text in texts):
            continue
        cells = [c.strip() for text in texts for c in text.split(sep)]
        named = [c for c in cells if c.lower() in PATH_COLUMNS]
        give = (
            spelled_option("path_column", named[0], api=api)
            if named
            else f"{spelled_option('path_column', api=api)} NAME (the column of paths)"
        )
        first = ", ".join(c.strip() for c in texts[0].split(sep))
        return (
            f"its lines hold {what}, as a table's rows do (the first: {first}): "
            f"give {give} to read it as a table"
        )
    return None


def _not_file_names(listed: FileList, *, api: bool = False) -> str | None:
    """Say that the list's ``--path-column`` holds no file names, and which may.

    ``--path-column category`` over ESC-50's table looked for ``audio/dog``,
    ``audio/rooster`` ...: the hint said to give another ``--root``, where the
    column was the mistake. Said when no path taken from the column has an
    extension; the table's columns named like file names are suggested.
    """
    column = listed.path_column
    if column not in listed.columns:
        return None  # plain text, or a template: the paths are made, not read
    if column.lower() in PATH_COLUMNS:
        return None  # named for paths (FSD50K's fname: names without .wav)
    names = [Path(p.path).name for p in listed.problems[:PATHS_LOOKED_FOR]]
    if not names or any(Path(name).suffix for name in names):
        return None
    others = [c for c in listed.columns if c != column and c.lower() in PATH_COLUMNS]
    such = f"its column '{column}' holds no file names (such as '{names[0]}')"
    if others:
        return f"{such}: give {spelled_option('path_column', others[0], api=api)}"
    columns = ", ".join(c for c in listed.columns if c != column)
    return (
        f"{such}: give {spelled_option('path_column', api=api)} the column of file "
        f"names (of {columns})"
    )


#: How many missing paths of a list :func:`wrong_root_hint` looks for, spread
#: over the list; in at most how many folders.
PATHS_LOOKED_FOR = 16
FOLDERS_LOOKED_IN = 1000
#: In how many of the folders beside the root (``audio/`` beside ``metadata/``)
#: the paths are looked for, a level down.
PARENTS_LOOKED_IN = 16
#: How many of the subfolders holding the paths the hint names.
HOLDERS_SHOWN = 3


#: The extensions a list's names may lack, most common first.
_EXTENSIONS_LOOKED_FOR = ("wav", "flac", "mp3", "ogg", "opus", "m4a")


def _lacking_extension(listed: FileList) -> str | None:
    """Return the extension the list's paths lack, when NAME.EXT are the files.

    FSD50K's tables name each clip by its number (``fname`` 64760, the file
    ``64760.wav``): the root is right, the paths are not. A few missing paths
    spread over the list, each with one extension: the first that makes every
    one a file.
    """
    step = max(1, len(listed.problems) // PATHS_LOOKED_FOR)
    paths = [p.path for p in listed.problems[::step][:PATHS_LOOKED_FOR]]
    for ext in _EXTENSIONS_LOOKED_FOR:
        if all(_is_file(Path(f"{os.fsdecode(path)}.{ext}")) for path in paths):
            return ext
    return None


def _outside_root(listed: FileList) -> Path | None:
    """Return the folder that holds a list's paths lying outside its root.

    ``find /data/audio -name '*.wav' | melcli mel --files-from - -o out``:
    absolute paths, each found but outside the root (the current folder),
    fail as such; the folder they share is the ``--root`` to give. A few
    paths spread over the list, each a file; None when one is not.
    """
    root = os.path.abspath(listed.root)
    step = max(1, len(listed.problems) // PATHS_LOOKED_FOR)
    folders = []
    for problem in listed.problems[::step][:PATHS_LOOKED_FOR]:
        path = os.path.abspath(problem.path)
        inside = os.path.commonpath([root, path]) == root
        if inside or not _is_file(Path(path)):
            return None
        folders.append(os.path.dirname(os.path.normpath(problem.path)))
    try:  # as listed: relative paths give a relative folder
        return Path(os.path.commonpath(folders)) if folders else None
    except ValueError:  # absolute and relative paths mixed
        return Path(os.path.commonpath([os.path.abspath(f) for f in folders]))


def _found_in(listed: FileList) -> tuple[Path, set[Path]]:
    """Return where a list's missing paths are: a folder, and its subfolders.

    A few missing paths spread over the list, each taken relative to the root,
    are looked for as :func:`located` says. Empty when one of them is not a
    path missing from the root, or is not found.
    """
    root = listed.root
    step = max(1, len(listed.problems) // PATHS_LOOKED_FOR)
    rels = []
    for problem in listed.problems[::step][:PATHS_LOOKED_FOR]:
        rel = os.path.relpath(problem.path, root)
        if rel.startswith(os.pardir) or os.path.lexists(problem.path):
            return root, set()  # not a path missing from the root
        rels.append(rel)
    base, holders = located(root, rels)
    return base, set(holders)


def located(root: Path, rels: Sequence[str]) -> tuple[Path, list[Path]]:
    """Return where paths relative to ``root`` are: a folder, and each one's.

    Each path is looked for in the root itself, then in the root's parent and
    the current folder (a table whose paths start with the root's name,
    ``audio/dogs/a.wav`` given ``--root audio``), then in each subfolder of the
    root, of the root's parent, and of each folder beside the root. Found in
    one subfolder, it is the right root (a table at the top of a dataset, its
    audio in ``audio/``; or beside it, in ``meta/``); in several of one
    folder's, the table gives names without their subfolder (UrbanSound8K's
    table, in ``metadata/``, its audio in ``audio/fold1/`` ...). The folder
    holding each path comes in the order of ``rels``; empty when one of them
    is found nowhere. Used by both the hint of a failed run
    (:func:`wrong_root_hint`) and the walk's (:func:`table_in_tree_hint`).
    """
    if not rels:
        return root, []
    for base in dict.fromkeys((root, root.parent, Path(os.curdir))):
        if all(_is_file(base / rel) for rel in rels):
            return base, [base] * len(rels)
    beside = _folders_in(root.parent)[:PARENTS_LOOKED_IN]
    for base in dict.fromkeys((root, root.parent, *beside)):
        folders = _folders_in(base)
        holders = []
        for rel in rels:
            holder = next((d for d in folders if _is_file(d / rel)), None)
            if holder is None:
                break
            holders.append(holder)
        else:
            return base, holders
    return root, []


def _folders_in(base: Path) -> list[Path]:
    """Return the first :data:`FOLDERS_LOOKED_IN` subfolders of ``base`` (sorted)."""
    try:
        with os.scandir(base) as entries:
            return sorted(
                Path(entry.path)
                for entry in islice(entries, FOLDERS_LOOKED_IN)
                if not entry.name.startswith(".") and entry.is_dir()
            )
    except OSError:
        return []


def _is_file(path: Path) -> bool:
    """Whether ``path`` is a file; False where it cannot be looked up.

    (``Path.is_file`` raises for a name too long, or a folder not readable.)
    """
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except (OSError, ValueError):
        return False


#: The reason an SRC's walk passes over OUT (melcli.discover).
OUT_FOLDER = "output folder"
#: How many entries of OUT :func:`out_audio_hint` looks through, at most.
OUT_ENTRIES_LOOKED_AT = 10_000


def out_audio_hint(passed: Sequence[Result], extensions: frozenset[str]) -> str | None:
    """When OUT lies inside SRC and holds audio, say that its audio is not taken.

    OUT is never walked as input (its outputs are not inputs), so audio in it
    (``melcli mel audio -o audio/speech``, with ``audio/speech`` a folder of
    clips) is passed over; ``-v`` says only ``skipped audio/speech: output
    folder``. Said without ``-v``, once, before the summary. Only names are
    looked at, through no link, and at most :data:`OUT_ENTRIES_LOOKED_AT`.
    ``passed`` are the run's skipped results.
    """
    for result in passed:
        if result.reason != OUT_FOLDER:
            continue
        found, complete = _audio_in(result.src, extensions)
        if not found:
            continue
        out = os.fsdecode(result.src)
        count = plural(len(found), "audio file") if complete else "audio files"
        more = ", ..." if len(found) > 1 or not complete else ""
        return (
            f"{out} holds {count} ({os.fsdecode(found[0])}{more}), not taken: "
            "it is OUT, which is never read as input; give -o a folder of its own"
        )
    return None


def _audio_in(folder: Path, extensions: frozenset[str]) -> tuple[list[Path], bool]:
    """Return the audio files under ``folder`` (by name), and if all were seen.

    Hidden entries are passed over, as the walk does; links are not followed.
    Folder by folder, nearest first, at most :data:`OUT_ENTRIES_LOOKED_AT`.
    """
    found: list[Path] = []
    folders = [folder]
    left = OUT_ENTRIES_LOOKED_AT
    while folders:
        here = folders.pop(0)
        try:
            with os.scandir(here) as entries:
                names = [
                    (e.name, e.is_dir(follow_symlinks=False))
                    for e in islice(entries, left + 1)
                ]
        except OSError:
            continue
        complete = len(names) <= left
        left -= len(names)
        for name, is_dir in sorted(names[: len(names) - (not complete)]):
            if name.startswith("."):
                continue
            if is_dir:
                folders.append(here / name)
            elif os.path.splitext(name)[1][1:].lower() in extensions:
                found.append(here / name)
        if not complete:
            return found, False
    return found, True


def not_an_out_hint(folder: str | os.PathLike[str], *, api: bool = False) -> str:
    """Say what to give instead of ``folder``, which holds no run's output.

    A reader of OUT (``melcli stats``, ``melcli gallery``, the data loader)
    given a folder ``melcli mel`` never wrote: most often the audio itself
    (SRC given for OUT), else a wrong path, or a run not made yet. Only names
    are looked at, through no link, at most :data:`OUT_ENTRIES_LOOKED_AT`.
    With ``api``, in the words of a Python caller: ``melcli.run``, ``out``.
    """
    found, complete = _audio_in(Path(folder), DEFAULT_EXTENSIONS)
    if not found:
        if api:
            return "give the out folder of a run (melcli.run(sources, out) makes one)"
        return "give the OUT folder a run wrote ('melcli mel SRC -o OUT' makes one)"
    first = os.path.relpath(found[0], folder)
    more = ", ..." if len(found) > 1 or not complete else ""
    if api:
        return (
            f"it holds audio files ({first}{more}), not arrays: convert them "
            "first (melcli.run([folder], out)), then give that out"
        )
    return (
        f"it holds audio files ({first}{more}), not arrays: run 'melcli mel' on "
        "it first ('melcli mel SRC -o OUT'), then give OUT"
    )


def out_meant(src: Sequence[str]) -> str:
    """Say ``-o LAST`` when the last of several SRC looks like the OUT meant.

    ``melcli mel audio/ features/``, as ``cp`` is given its target: the last
    is no input when it does not exist yet, or holds a run's manifest.
    """
    if len(src) < 2:
        return ""
    from .manifest import holds_manifest

    last = src[-1]
    if os.path.lexists(last):
        if not (os.path.isdir(last) and holds_manifest(last)):
            return ""
    elif os.path.splitext(last)[1][1:].lower() in DEFAULT_EXTENSIONS:
        return ""  # an audio file mistyped, not a folder to make
    import shlex  # here: not on every run

    return (
        f" To write into {shlex.quote(last)}, give it as -o {shlex.quote(last)}: "
        "each SRC is read, only -o is written"
    )


#: The reason of an input whose output another input would write too
#: (melcli.discover): ``output OUT/a.npy would also be written by audio/a.wav``.
_SHARED_OUTPUT = re.compile(r"output .+ would also be written by ")
#: What :func:`with_own_faults` adds to it when the input fails on its own too.
OWN_FAULT = ", and it fails on its own: "
#: Of the extensions that clash, the ones a dataset most likely holds as a
#: lossy copy of another: the one the hint suggests leaving out, first found.
_LOSSY_FIRST = ("mp3", "m4a", "aac", "opus", "ogg", "oga", "webm", "mka")


def shared_output_hint(
    failures: Iterable[tuple[Path, str]],
    *,
    taken: Callable[[], Iterable[Path]] = tuple,
    sources: Sequence[Path] = (),
    list_root: Path | None = None,
) -> str | None:
    """When inputs fail because their names differ only by extension, say how to pick.

    ``a.wav`` and ``a.flac`` in one folder both make ``a.npy``: each fails,
    naming the other. A folder of copies in two formats fails whole, file by
    file; one line says what they have in common and how to keep one of each.
    The ``--exclude`` it gives keeps, of each name, an input that does not fail
    on its own too (:func:`with_own_faults`); when no one extension does, or
    every input of a name is broken, it says so instead. Inputs that clash
    otherwise (two folders' ``a.wav`` given directly, names that differ only
    by case) are left to their own lines.

    ``taken()`` gives the run's inputs (called only when inputs clash): an
    ``--exclude '*.wav'`` that would also leave out WAVs that clash with
    nothing is not given; the clashing inputs are named instead (as paths
    relative to their SRC in ``sources``, or to ``list_root``).
    """
    by_name: dict[tuple[Path, str], list[tuple[Path, bool]]] = {}
    for src, reason in failures:
        if src.suffix and _SHARED_OUTPUT.match(reason):
            key = (src.parent, src.stem.casefold())
            by_name.setdefault(key, []).append((src, OWN_FAULT in reason))
    groups = [
        group
        for group in by_name.values()
        if len({s.suffix.lower() for s, _ in group}) > 1
    ]
    if not groups:
        return None
    clashing = [src for group in groups for src, _ in group]
    extensions = sorted({src.suffix[1:].lower() for src in clashing})
    said = (
        f"{plural(len(clashing), 'input')} failed because another input has the "
        f"same name with another extension ({', '.join(extensions)})"
    )
    # Of each name, the inputs that do not fail on their own: one must stay.
    whole = [[s for s, broken in group if not broken] for group in groups]
    if not any(whole):
        return (
            f"{said}, and each of them fails on its own too (see its line): "
            "leaving one of each name out would not help; replace them"
        )
    broken = sum(not w for w in whole)
    also = (
        f"; of {plural(broken, 'name')}, every input fails on its own too (see "
        "their lines)"
        if broken
        else ""
    )
    # Patterns match case and all: '*.wav' leaves out no UPPER.WAV.
    others = {s.suffix[1:] for s in set(taken()).difference(clashing) if s.suffix}
    leave = _extensions_to_leave(groups, extensions, others)
    if leave is None:
        # Too many extensions to try, or none leaves one of each name.
        which = (
            "the input that does not fail on its own too (see their lines)"
            if any(broken for group in groups for _, broken in group)
            else "one input"
        )
        return f"{said}: keep of each name {which}, or rename them{also}"
    chosen, clean = leave
    left_out = sorted(s for s in clashing if s.suffix[1:].lower() in chosen)
    exclude = _exclude_options(left_out, sources, list_root, by_name=not clean)
    return (
        f"{said}: keep one of each name, such as with {exclude}, or rename them{also}"
    )


#: Above this many clashing extensions, the sets of them to leave out are not
#: all tried (2 ** n): the hint then names no --exclude.
_EXTENSIONS_TRIED = 10


def _extensions_to_leave(
    groups: Sequence[Sequence[tuple[Path, bool]]],
    extensions: Sequence[str],
    others: set[str],
) -> tuple[frozenset[str], bool] | None:
    """Return the extensions whose leaving out keeps one input of each name.

    ``groups``: per name, its inputs and whether each fails on its own.
    Leaving out the chosen extensions keeps exactly one input of each name
    that has a whole one, a whole one (one extension per name is not enough
    for three formats of a name, nor for names that clash in different
    pairs: ``a.wav a.flac b.wav b.ogg``), and at least one of each name
    whose every input is broken. Preferred: leaving out no other input's
    extension as spelled (``others``: then '*.wav' names no other input),
    keeping fewer lossy copies, fewer options, the lossy extensions first
    (:data:`_LOSSY_FIRST`). Returns them and whether they are that clean;
    None when no choice does it.
    """
    import itertools

    if len(extensions) > _EXTENSIONS_TRIED:
        return None
    ordered = [
        *(e for e in _LOSSY_FIRST if e in extensions),
        *(e for e in reversed(extensions) if e not in _LOSSY_FIRST),
    ]
    rank = {e: i for i, e in enumerate(ordered)}
    # Names alike for the choice count once: a dataset in two formats is one.
    kinds = {
        tuple(sorted((s.suffix[1:].lower(), broken) for s, broken in group))
        for group in groups
    }
    spelled = {
        e: {s.suffix[1:] for g in groups for s, _ in g if s.suffix[1:].lower() == e}
        for e in ordered
    }
    best: tuple[tuple[object, ...], frozenset[str], bool] | None = None
    for size in range(1, len(ordered)):
        for chosen in itertools.combinations(ordered, size):
            leave = frozenset(chosen)
            lossy_kept = 0
            for kind in kinds:
                kept = [(e, broken) for e, broken in kind if e not in leave]
                if all(broken for _, broken in kind):
                    if not kept:
                        break
                    continue
                if len(kept) != 1 or kept[0][1]:
                    break
                lossy_kept += kept[0][0] in _LOSSY_FIRST
            else:
                clean = all(others.isdisjoint(spelled[e]) for e in leave)
                score = (not clean, lossy_kept, size, sorted(rank[e] for e in leave))
                if best is None or score < best[0]:
                    best = (score, leave, clean)
    return None if best is None else (best[1], best[2])


def direct_file_clash_hint(
    failures: Iterable[tuple[Path, str]], sources: Sequence[Path]
) -> str | None:
    """When a file given directly clashes with another input, say why and what to give.

    A file named on the command line is written at OUT's top, whatever its
    folder; so is each file at the top of the one SRC folder (mirrored into
    OUT itself), and every other file given directly. ``x/a.wav audio/``
    with an ``audio/a.wav`` makes two ``OUT/a.npy``: each fails naming the
    other, and this says that the file given directly is the cause, and
    that giving its folder instead (each SRC folder then gets a subfolder
    of OUT) or another OUT mends it.
    """
    # A failed input that is one of the sources as given: a file given
    # directly (no file under a folder SRC is spelled as the folder). Told
    # by name alone: nothing is looked up (the working folder may be gone).
    as_given = {Path(s) for s in sources}
    clashing = sorted(
        {
            Path(src)
            for src, reason in failures
            if _SHARED_OUTPUT.match(reason) and Path(src) in as_given
        }
    )
    if not clashing:
        return None
    shown = ", ".join(os.fsdecode(p) for p in clashing[:HOLDERS_SHOWN])
    if len(clashing) > HOLDERS_SHOWN:
        shown += ", ..."
    folders = sorted({os.path.dirname(os.fsdecode(p)) or os.curdir for p in clashing})
    one = len(clashing) == 1
    them = "it" if one else "them"
    given = (
        f"{shown}, given as a file, is"
        if one
        else f"{len(clashing)} inputs given as files ({shown}) are"
    )
    its = "its folder" if one else "their folder" + ("s" if len(folders) > 1 else "")
    named = ", ".join(map(shell_word, folders[:HOLDERS_SHOWN]))
    if len(folders) > HOLDERS_SHOWN:
        named += ", ..."
    return (
        f"{given} written at OUT's top (a file given directly always is), where "
        f"another input of the same name is written too: give {its} as SRC "
        f"instead ({named}; each SRC folder gets its own subfolder of OUT, and "
        f"every audio file in it is taken), or list just the files in a "
        f"--files-from list (their paths are mirrored), or run {them} with "
        "another -o"
    )


#: At most this many inputs are named in one hint's ``--exclude`` options.
_EXCLUDES_SHOWN = 3


def _exclude_options(
    left_out: Sequence[Path],
    sources: Sequence[Path],
    list_root: Path | None,
    *,
    by_name: bool,
) -> str:
    """Return the ``--exclude`` options that leave out ``left_out``.

    ``--exclude '*.wav'`` when no other input has their extension (as
    spelled); else one ``--exclude`` per input, its path relative to its SRC
    (or ``list_root``) with the pattern's wildcards escaped, the first few
    shown.
    """
    import shlex

    if not by_name:
        spelled = sorted({s.suffix[1:] for s in left_out})
        return " ".join(f"--exclude {shlex.quote('*.' + s)}" for s in spelled)
    rels = [glob.escape(_rel_of(p, sources, list_root)) for p in left_out]
    shown = " ".join(f"--exclude {shlex.quote(r)}" for r in rels[:_EXCLUDES_SHOWN])
    if len(rels) <= _EXCLUDES_SHOWN:
        return shown
    exts = sorted({p.suffix for p in left_out})
    if len(exts) == 1:
        which, why = exts[0], f"'*{exts[0]}' would leave out other inputs too"
    else:  # three formats of a name, or names that clash in other pairs
        which = ", ".join(exts[:-1]) + f" and {exts[-1]}"
        why = "patterns of their extensions would leave out other inputs too"
    return (
        f"{shown} and so on (one --exclude for each of the {len(rels)} {which} "
        f"inputs that clash: {why})"
    )


def _rel_of(path: Path, sources: Sequence[Path], list_root: Path | None) -> str:
    """Return ``path`` as ``--include``/``--exclude`` patterns see it."""
    for root in (list_root,) if list_root is not None else sources:
        if path.is_relative_to(root) and path != root:
            return path.relative_to(root).as_posix()
    return path.name  # an input given directly, as a file


def with_own_faults(problems: list[Problem]) -> list[Problem]:
    """Say of inputs failed for a shared output whether they fail on their own too.

    ``b.wav`` and ``b.flac`` both cut short failed only as clashing: once
    one was left out (``--exclude '*.flac'``), the other failed as cut, a
    run later. Each is probed as ``melcli info`` reads it (its header, and
    what its bytes show of a cut), and its own fault is added to its reason.
    """
    if not any(_SHARED_OUTPUT.match(p.reason) for p in problems):
        return problems
    import dataclasses

    from .audio import probe  # here: only when inputs clash
    from .errors import MelcliError, os_reason

    said = []
    for problem in problems:
        if _SHARED_OUTPUT.match(problem.reason):
            try:
                probe(problem.path)
            except (MelcliError, OSError) as exc:
                fault = str(exc) if isinstance(exc, MelcliError) else os_reason(exc)
                reason = f"{problem.reason}{OWN_FAULT}{fault}"
                problem = dataclasses.replace(problem, reason=reason)
        said.append(problem)
    return said


#: Extensions of the tables and lists of files ``--files-from`` reads.
LIST_EXTENSIONS = frozenset({"csv", "tsv", "txt", "lst", "scp"})
#: How the decoder's reason for a file that holds no audio begins.
_NOT_AUDIO = "not an audio file"


def list_as_source_hint(failures: Iterable[tuple[Path, str]]) -> str | None:
    """When a dataset's table was given as an input, say to give it to ``--files-from``.

    ``melcli mel ESC-50/meta/esc50.csv -o features/`` (the table in SRC's
    place) failed it as ``not an audio file`` and said no more: its rows name
    the audio.
    """
    for src, reason in failures:
        if src.suffix[1:].lower() in LIST_EXTENSIONS and reason.startswith(_NOT_AUDIO):
            import shlex  # here: not on every run

            name = os.fsdecode(src)
            return (
                f"{name} is not audio; to take the files it lists (a table, or "
                f"one path a line), give --files-from {shlex.quote(name)}"
            )
    return None


#: How many tables passed over :func:`table_in_tree_hint` reads the header of.
TABLES_LOOKED_AT = 5


def table_in_tree_hint(by_name: Sequence[Path]) -> str | None:
    """When a folder's walk passed over a table of its files, say to list them.

    ``melcli mel ESC-50 -o features/`` took the audio and passed over
    ``meta/esc50.csv`` in silence: the arrays then carry no labels (the
    dataset loader gives every one the class ``audio``, their folder). A
    ``.csv``/``.tsv`` passed over whose header names a path column
    (:data:`~melcli.filelist.PATH_COLUMNS`) is said, with the options that
    make its first rows' files found (:func:`table_place`): ``--root`` where
    they lie elsewhere (ESC-50's ``audio/``), and a ``--path-column``
    template where they lie in subfolders a column names (one per class).
    Where they are not found so, no run is advised: it would find none.
    """
    tables = [p for p in by_name if p.suffix.lower() in TABLE_SUFFIXES]
    for path in tables[:TABLES_LOOKED_AT]:
        head = _table_head(path)
        if head is None:
            continue
        column = head[0]
        import shlex  # here: not on every run

        name = os.fsdecode(path)
        said = f"{name} was passed over, and it is a table of files (column {column!r})"
        place = table_place(path, column)
        if place is None:
            return (
                f"{said}, but the files its first rows name are not found in its "
                "folder, its parent, or a folder below either: give --files-from "
                f"{shlex.quote(name)} with --root the folder that holds them to "
                "keep its other columns (labels, folds) with each array, as meta"
            )
        if place.holders:
            names = ", ".join(sorted(h.name for h in place.holders)[:HOLDERS_SHOWN])
            more = ", ..." if len(place.holders) > HOLDERS_SHOWN else ""
            return (
                f"{said}; its files are in the subfolders {names}{more} of "
                f"{place.root}, which none of its columns names, so no "
                "--path-column template finds them: a run with --files-from "
                f"{shlex.quote(name)} would take none of them"
            )
        options = f"--files-from {shlex.quote(name)}"
        if place.root != path.parent:
            options += f" --root {shlex.quote(os.fsdecode(place.root))}"
        if place.template:
            options += f" --path-column {shlex.quote(place.template)}"
        return (
            f"{said}: to keep its other columns (labels, folds) with each array, "
            f"as meta, give {options} instead of the folder"
        )
    return None


#: How many bytes of a table :func:`_table_head` reads, at most.
TABLE_HEAD_BYTES = 65536


def _table_head(path: Path) -> tuple[str, list[dict[str, str]]] | None:
    """Return a table's path column and its first rows (each column to its cell).

    None when its header names no path column (:data:`PATH_COLUMNS`). The rows
    are the first :data:`PATHS_LOOKED_FOR` whole lines with a path.
    """
    import csv  # here: only for a table

    try:
        with open(path, "rb") as f:
            head = f.read(TABLE_HEAD_BYTES)
    except OSError:
        return None
    text = head.decode("utf-8-sig", "replace")
    if len(head) == TABLE_HEAD_BYTES:  # its last line may be cut
        text = text[: text.rfind("\n") + 1]
    lines = text.splitlines()
    if not lines:
        return None
    reader = csv.reader(lines, delimiter=delimiter_of(lines[0]))
    header = [c.strip() for c in next(reader)]
    at = next((i for i, c in enumerate(header) if c.lower() in PATH_COLUMNS), None)
    if at is None:
        return None
    rows = []
    for cells in islice(reader, 4 * PATHS_LOOKED_FOR):
        row = {c: cell.strip() for c, cell in zip(header, cells, strict=False)}
        if row.get(header[at]):
            rows.append(row)
    return header[at], rows[:PATHS_LOOKED_FOR]


@dataclass(frozen=True)
class TablePlace:
    """Where the files a table's first rows name are (:func:`table_place`)."""

    #: The folder the paths are relative to: the ``--root`` they need.
    root: Path
    #: The ``--path-column`` template that finds them ("": the column does).
    template: str = ""
    #: The subfolders of ``root`` holding them, when no template finds them.
    holders: tuple[Path, ...] = ()


def table_place(
    table: Path, column: str | None = None, root: Path | None = None
) -> TablePlace | None:
    """Return where the files a table's first rows name are; None if not found.

    ``column`` is the table's path column (None: the one its header names);
    the paths are relative to ``root`` (None: the table's folder), and looked
    for as :func:`located` says. In one folder, it is the root to give. In
    several subfolders of one, the template is the one whose each path, made
    from its row, is each file (``{label}/{filename}``, ``fold{fold}/...``);
    without such a template, those subfolders are given. Paths that need no
    root (absolute ones, or none in the first rows): the table's folder.
    """
    head = _table_head(table)
    if head is None:
        return None
    column = head[0] if column is None else column
    rows = [row for row in head[1] if row.get(column)]
    cells = [row[column] for row in rows]
    root = table.parent if root is None else root
    if not cells or any(os.path.isabs(cell) for cell in cells):
        return TablePlace(root)
    base, holders = located(root, cells)
    if not holders:
        return None
    if len(set(holders)) == 1:
        return TablePlace(holders[0])
    template = _template_of(base, rows, column, [h.name for h in holders])
    if template:
        return TablePlace(base, template)
    return TablePlace(base, holders=tuple(sorted(set(holders))))


def _template_of(
    base: Path, rows: Sequence[dict[str, str]], column: str, subs: Sequence[str]
) -> str:
    """Return the template making each row's path with its subfolder, or "".

    A column whose cell is each row's subfolder, or a part of it with the same
    text around it in every row (``dogs`` for ``dog``: ``{label}s``;
    ``fold1`` for ``1``: ``fold{fold}``); the template is kept only when each
    row's path made from it is a file below ``base``.
    """
    for name in rows[0]:
        if name == column or "{" in name or "}" in name:
            continue
        common: set[tuple[str, str]] | None = None
        for row, sub in zip(rows, subs, strict=True):
            value = row.get(name, "")
            at = (
                [m.start() for m in re.finditer(re.escape(value), sub)] if value else []
            )
            forms = {(sub[:i], sub[i + len(value) :]) for i in at}
            common = forms if common is None else common & forms
            if not common:
                break
        for before, after in sorted(common or (), key=lambda f: len(f[0] + f[1])):
            if "{" in before + after or "}" in before + after:
                continue
            template = f"{before}{{{name}}}{after}/{{{column}}}"
            made = (f"{before}{row[name]}{after}/{row[column]}" for row in rows)
            if all(_is_file(base / path) for path in made):
                return template
    return ""


#: The reason of a file a folder's walk passes over by its name (melcli.discover).
NOT_AUDIO_EXTENSION = "not an audio extension"
#: Extensions not in the default ``--ext`` list whose files melcli decodes (by
#: their content, through ffmpeg): video containers and audiobooks, such as a
#: dataset of ``.mp4`` clips (VGGSound); WavPack, Windows Media audio, AMR.
DECODABLE_NOT_DEFAULT = frozenset(
    {"3gp", "amr", "awb", "m4b", "m4v", "mka", "mkv", "mov", "mp4", "webm", "wma", "wv"}
)


def extension_hint(skipped: Iterable[Path], taken: Iterable[Path]) -> str | None:
    """When files passed over by extension may hold audio, say the ``--ext`` to give.

    Only for the default ``--ext`` (the caller's to check): a folder of
    ``.mp4`` clips gave ``0 written, 3 skipped.`` and nothing else. ``--ext``
    replaces the list, so the one suggested keeps the extensions of the files
    taken too.
    """
    counts: dict[str, int] = {}
    for path in skipped:
        ext = path.suffix[1:].lower()
        if ext in DECODABLE_NOT_DEFAULT:
            counts[ext] = counts.get(ext, 0) + 1
    if not counts:
        return None
    # Those a folder's walk took by the default list (a listed file is taken
    # whatever its extension).
    kept = {path.suffix[1:].lower() for path in taken} & DEFAULT_EXTENSIONS
    n = sum(counts.values())
    found = ", ".join(sorted(counts))
    them = ("it" if n == 1 else "them") + (" too" if kept else "")
    return (
        f"{plural(n, 'file')} passed over by {'its' if n == 1 else 'their'} "
        f"extension ({found}) may hold audio, which melcli decodes: to take "
        f"{them}, give --ext {','.join(sorted(kept | set(counts)))}"
    )


def run_hints(
    report: Report,
    passed: Sequence[Result],
    *,
    include: tuple[str, ...],
    sources: tuple[Path, ...],
    extensions: frozenset[str],
    exclude: tuple[str, ...] = (),
    list_root: Path | None = None,
) -> list[str]:
    """Return the hints said at the end of a run, before its summary.

    ``passed`` are the run's skipped results; ``list_root`` the root of a
    ``--files-from`` list, whose paths the patterns match too.

    A pattern the shell expanded (:func:`expanded_pattern_hint`), a pattern
    that names a folder (:func:`folder_pattern_hint`), an ``--include`` that
    took nothing (:func:`include_hint`), audio in OUT not
    taken (:func:`out_audio_hint`), inputs whose names differ only by
    extension (:func:`shared_output_hint`), a table given as an input
    (:func:`list_as_source_hint`), with the default ``--ext``, files passed
    over that may hold audio (:func:`extension_hint`), and, when audio was
    taken from folders alone, a table of it passed over
    (:func:`table_in_tree_hint`).
    """
    # No look at every result here: on a re-run of 100 000 up-to-date inputs
    # that costs as much as the run, or more (each is made from its path).
    # ``passed`` are the skipped results, as they came; the failed are few.
    by_name = [r.src for r in passed if r.reason == NOT_AUDIO_EXTENSION]
    hints = [
        *selection_hints(
            include,
            exclude,
            sources,
            list_root=list_root,
            took_none=lambda: include_hint(report, include, sources),
        ),
        out_audio_hint(passed, extensions),
        shared_output_hint(
            ((r.src, r.reason) for r in report.failures),
            # Every input, read only when some clash: few runs.
            taken=lambda: (
                r.src for r in report.results if r.status is not Status.SKIPPED
            ),
            sources=sources,
            list_root=list_root,
        ),
        list_as_source_hint((r.src, r.reason) for r in report.failures),
        direct_file_clash_hint(((r.src, r.reason) for r in report.failures), sources),
    ]
    if extensions == DEFAULT_EXTENSIONS and any(
        p.suffix[1:].lower() in DECODABLE_NOT_DEFAULT for p in by_name
    ):  # then only, every result: the extensions taken
        taken = (r.src for r in report.results if r.status is not Status.SKIPPED)
        hints.append(extension_hint(by_name, taken))
    stopped = report.interrupted_by is not None or report.not_tried
    nothing_taken = report.n_results == report.count(Status.SKIPPED)
    if nothing_taken and not stopped and not any(hints):
        hints.append(none_taken_hint(by_name))
    elif list_root is None and report.count(Status.WRITTEN):
        # Arrays written without their labels: said when they are made, not
        # again on each re-run that finds them up to date.
        hints.append(table_in_tree_hint(by_name))
    return [hint for hint in hints if hint]


def selection_hints(
    include: Sequence[str],
    exclude: Sequence[str],
    sources: Sequence[Path],
    *,
    list_root: Path | None,
    took_none: Callable[[], str | None],
) -> list[str]:
    """Return what to say of the ``--include``/``--exclude`` patterns, if anything.

    A pattern the shell expanded (:func:`expanded_pattern_hint`), one that
    names a folder (:func:`folder_pattern_hint`), else ``took_none()``: an
    ``--include`` that took no file (:func:`include_hint`). For a run and for
    ``melcli info`` alike.
    """
    folders = [*sources, *([list_root] if list_root is not None else [])]
    hints = [
        expanded_pattern_hint("--include", include, sources)
        or expanded_pattern_hint("--exclude", exclude, sources),
        folder_pattern_hint("--include", include, folders) or took_none(),
        folder_pattern_hint("--exclude", exclude, folders),
    ]
    return [hint for hint in hints if hint]


def found_include_hint(
    include: Sequence[str],
    passed: Sequence[tuple[Path, str]],
    sources: Sequence[Path],
    *,
    taken: int,
) -> str | None:
    """:func:`include_hint` of what was found (``melcli info``)."""
    if not include or taken:
        return None
    left = [path for path, why in passed if why == NOT_INCLUDED]
    if not left:
        return None
    return _took_none(include, left, sources)


#: The name of a run's manifest in OUT (melcli.manifest.MANIFEST_NAME).
_MANIFEST_NAME = "manifest.jsonl"
#: How many extensions :func:`none_taken_hint` names.
EXTENSIONS_SHOWN = 5


def none_taken_hint(by_name: Sequence[Path]) -> str | None:
    """When a run took no file, only files of other extensions: say so.

    ``melcli mel ESC-50/meta -o features/`` (the table's folder, not the
    audio's) said ``0 written, 1 skipped.``: as a folder with no file at all
    does, say ``no audio files found``, and what was passed over.
    """
    if not by_name:
        return None
    names = sorted({p.suffix[1:].lower() or "no extension" for p in by_name})
    shown = ", ".join(names[:EXTENSIONS_SHOWN])
    more = ", ..." if len(names) > EXTENSIONS_SHOWN else ""
    # A run's OUT given for SRC (melcli mel features/ -o ..., melcli info
    # features/): its arrays are no audio; say what it is.
    out = next((p.parent for p in by_name if p.name == _MANIFEST_NAME), None)
    what = (
        ""
        if out is None
        else f" {os.fsdecode(out)} is the output of 'melcli mel' (it holds "
        f"{_MANIFEST_NAME}), not audio: give the audio folder it was made from;"
    )
    return (
        f"no audio files found:{what} {plural(len(by_name), 'file')} passed over for "
        f"{'its' if len(by_name) == 1 else 'their'} extension ({shown}{more}); "
        "-v lists each, --ext chooses the extensions"
    )

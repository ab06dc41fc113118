"""``--files-from``: the inputs of a run listed in a file, with their columns.

A list is plain text, one path per line, or a table with a header line (CSV,
or TSV when the header holds a tab), the path in one column and anything else
(labels, folds, speaker ids) in the others. Relative paths resolve against a
root folder (by default the list's own folder, or the current one for
standard input), and outputs mirror the paths relative to that root:
``audio/dog/1.wav`` listed in ``meta.csv`` with root ``audio`` becomes
``OUT/dog/1.npy``. The other columns of a row become the input's ``meta``,
stored in its manifest entry.

A listed path that does not exist, lies outside the root or has no path cell
is a :class:`~melcli.discover.Problem` naming the list and the line; a path
listed more than once is taken once and reported once (a
:class:`~melcli.discover.Skipped`).
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import re
import stat
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, TextIO

from .discover import Problem, Skipped
from .errors import UsageError, did_you_mean, os_reason

#: Names a table's path column is recognised by when ``path`` is not among
#: the columns (and exactly one of these is), case-insensitively.
PATH_COLUMNS = (
    "path",
    "filename",
    "file_name",
    "filepath",
    "file_path",
    "file",
    "fname",
    "audio",
    "audio_path",
    "audio_file",
    "wav",
    "slice_file_name",
)

#: The list is a table when its name ends with one of these (or when a path
#: column is named).
TABLE_SUFFIXES = (".csv", ".tsv")

STDIN = "-"


@dataclass(frozen=True)
class Listed:
    """One input of a list.

    Attributes
    ----------
    path : Path
        The file, resolved against the root.
    rel : str
        Its path relative to the root (POSIX separators): where its outputs go.
    meta : tuple of (str, str)
        The row's other columns, in the header's order (empty for plain text).
    line : int
        The line of the list it is on (1 is the first line).
    """

    path: Path
    rel: str
    meta: tuple[tuple[str, str], ...] = ()
    line: int = 0


@dataclass
class FileList:
    """The inputs of a list, with what was wrong with it, line by line."""

    name: str
    root: Path
    files: list[Listed] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    #: The header of a table (empty for plain text).
    columns: tuple[str, ...] = ()
    #: The table's column of paths ("" for plain text, or a template).
    path_column: str = ""
    #: Distinct listed paths found on disk, taken or not (listed twice with
    #: different rows): none found suggests the wrong ``root``.
    found: int = 0


def read_list(
    source: str | os.PathLike[str] | TextIO,
    *,
    path_column: str | None = None,
    root: str | os.PathLike[str] | None = None,
    table: bool | None = None,
) -> FileList:
    """Read the inputs listed in ``source``.

    Parameters
    ----------
    source : path-like, ``"-"`` or text stream
        The list: a file, ``"-"`` for standard input, or an open text stream.
    path_column : str or None
        The column of a table that holds the paths. ``None``: ``path``, or
        else the one column named like a file (:data:`PATH_COLUMNS`). A
        template naming columns in braces makes each path from its row:
        ``"fold{fold}/{slice_file_name}"`` (UrbanSound8K's layout); every
        column then goes into ``meta``.
    root : path-like or None
        What relative paths are relative to, and what outputs mirror from.
        ``None``: the list's folder (the current folder for a stream, or a
        list that is no regular file: a pipe, ``<(find ...)``).
    table : bool or None
        Whether the list is a table with a header; ``None`` decides from the
        name (``.csv``, ``.tsv``) or from ``path_column`` being given.

    Raises
    ------
    UsageError
        If the list cannot be read, or the path column is not in the header.
    TypeError
        If ``source`` is none of the above.
    """
    if isinstance(source, str | os.PathLike) and os.fspath(source) != STDIN:
        name = os.fspath(source)
        if not name:  # --files-from "$LIST" with LIST unset
            raise UsageError(
                "the list's name is empty (give a file, or - for standard input)"
            )
        text, default_root = _read_named(name)
    elif hasattr(source, "read") or source == STDIN:
        stream = sys.stdin if not hasattr(source, "read") else source
        name = "<stdin>" if stream is sys.stdin else getattr(stream, "name", "<list>")
        default_root = os.curdir
        text = _read_stream(stream)  # type: ignore[arg-type]
    else:  # a number or bytes would have been read as standard input
        raise TypeError(
            f"the list must be a path, '-' or an open text stream, not {source!r}"
        )
    if table is None:
        table = path_column is not None or name.lower().endswith(TABLE_SUFFIXES)
    base = Path(root if root is not None else default_root)
    if table:
        header, rows = _table(text, name)
        if (
            path_column is not None
            and path_column not in header
            and _FIELD.search(path_column)
        ):
            fields = _template_fields(path_column, header, name)
            cells = [(line, _fill(path_column, row, fields), row) for line, row in rows]
            column = ""
        else:
            column = _path_column(header, path_column, name)
            cells = [(line, row.get(column) or "", row) for line, row in rows]
        listed = [
            (line, text, _meta(row, header, column))
            for line, text, row in cells
            if EXTRA_CELLS not in row and not _blank(text)
        ]
        result = from_rows(listed, root=base, name=name, columns=tuple(header))
        result.path_column = column
        result.problems.extend(
            _blank_problem(line, name) for line, text, _ in cells if _blank(text)
        )
        for line, text, row in cells:
            if EXTRA_CELLS in row:
                where = f"line {line} of {name}"
                result.problems.append(
                    Problem(
                        Path(os.path.join(base, text)) if text else Path(name),
                        f"{where}: {row[EXTRA_CELLS]}",
                    )
                )
        return result
    if text.endswith("\0"):  # find -print0, git ls-files -z: NUL ends each path
        paths = [(n, path, ()) for n, path in enumerate(text.split("\0"), start=1)]
        return from_rows([row for row in paths if row[1]], root=base, name=name)
    # Only \n ends a line (str.splitlines would also split a name at \x0c...).
    lines = [
        (n, line.removesuffix("\r"), ())
        for n, line in enumerate(text.split("\n"), start=1)
        if line.strip()
    ]
    return from_rows(lines, root=base, name=name)


def from_rows(
    rows: Iterable[tuple[int, str, Sequence[tuple[str, str]]]],
    *,
    root: str | os.PathLike[str],
    name: str = "<list>",
    columns: tuple[str, ...] = (),
) -> FileList:
    """Resolve ``(line, path, meta)`` rows against ``root`` and check each.

    This is :func:`read_list` after parsing, for rows a program already has.
    """
    root_path = Path(root)
    inside = os.path.join(os.path.abspath(root_path), "")  # with a trailing /
    result = FileList(name=name, root=root_path, columns=columns)
    first: dict[str, Listed] = {}
    repeats: dict[str, list[int]] = {}
    differ: dict[str, set[str]] = {}  # the columns whose cells differ
    for line, text, meta in rows:
        where = f"line {line} of {name}"
        if not text:
            result.problems.append(Problem(Path(name), f"{where}: no path"))
            continue
        if "\0" in text:  # no file can have such a name (os.stat would raise)
            odd = Path(text.replace("\0", "\N{SYMBOL FOR NULL}"))
            result.problems.append(Problem(odd, f"{where}: the path holds a NUL byte"))
            continue
        joined = os.path.join(root_path, text)  # an absolute text stays as it is
        full = os.path.abspath(joined)  # normalised too
        path = Path(os.path.normpath(joined))
        if os.path.join(full, "") == inside:  # ".", "a/..": no file's name
            result.problems.append(
                Problem(path, f"{where}: is the root folder {root_path}, not a file")
            )
            continue
        if not full.startswith(inside):
            result.problems.append(  # as listed: audio/../x.wav, not x.wav
                Problem(
                    Path(joined), f"{where}: not inside the root folder {root_path}"
                )
            )
            continue
        rel = full[len(inside) :].replace(os.sep, "/")
        if full in first:
            repeats.setdefault(full, [first[full].line]).append(line)
            if tuple(meta) != first[full].meta:
                cells = dict(first[full].meta)
                changed = {c for c, v in meta if cells.get(c) != v}
                differ.setdefault(full, set()).update(changed)
            continue
        reason = _not_a_file(path)
        if reason:
            result.problems.append(Problem(path, f"{where}: {reason}"))
            continue
        listed = Listed(path, rel, tuple(meta), line)
        first[full] = listed
        result.files.append(listed)
    result.found = len(first)
    _repeated(result, first, repeats, differ)
    return result


def _repeated(
    result: FileList,
    first: dict[str, Listed],
    repeats: dict[str, list[int]],
    differ: dict[str, set[str]],
) -> None:
    """Say which files were listed more than once, on which lines.

    Taken once (``skipped``: the other lines) when their rows are the same;
    failed when they differ (``differ``: the columns), as a clip with two
    labels: which row is right is not melcli's to guess.
    """
    if differ:
        result.files = [
            f for f in result.files if os.path.abspath(f.path) not in differ
        ]
    name = result.name
    for full, lines in repeats.items():
        shown = ", ".join(map(str, lines))
        if full in differ:
            columns = ", ".join(sorted(differ[full]))
            reason = (
                f"listed {len(lines)} times in {name} with different rows "
                f"(lines {shown}, which differ in {columns}): keep one row per file"
            )
            result.problems.append(Problem(first[full].path, reason))
        else:
            reason = f"listed {len(lines)} times in {name} (lines {shown}); taken once"
            result.skipped.append(Skipped(first[full].path, reason))


def rows_of(
    rows: Iterable[Mapping[str, object]],
    *,
    path_column: str = "path",
    root: str | os.PathLike[str] = os.curdir,
    name: str = "<rows>",
) -> FileList:
    """Return the :class:`FileList` of dict rows (``csv.DictReader``, pandas).

    ``row[path_column]`` is the path; every other key becomes ``meta``, its
    value as a string.
    """
    listed = []
    for n, row in enumerate(rows, start=1):
        meta = tuple(
            (str(k), "" if v is None else str(v))
            for k, v in row.items()
            if k != path_column
        )
        listed.append((n, str(row.get(path_column) or ""), meta))
    result = from_rows([r for r in listed if not _blank(r[1])], root=root, name=name)
    result.problems.extend(_blank_problem(n, name) for n, t, _ in listed if _blank(t))
    return result


def _blank(text: str) -> bool:
    """Whether a table's path cell holds only spaces (or tabs): no path.

    Such a cell (a spreadsheet's ``a.wav, ,x`` or a column padded for the
    eye) names no file: it was joined to the root as a folder named ``"   "``
    and failed as "no such file or directory". Not for the lines of a plain
    list (those of only spaces are skipped as empty) nor a NUL-separated one
    (a name of spaces is a name there).
    """
    return bool(text) and text.isspace()


def _blank_problem(line: int, name: str) -> Problem:
    """Return the problem of a row whose path (or a template's cell) is blank."""
    return Problem(
        Path(name), f"line {line} of {name}: no path (its cell holds only spaces)"
    )


def _decode(raw: bytes) -> str:
    """UTF-8 (a BOM dropped); bytes that are not UTF-8 kept as escapes.

    A UTF-16 BOM (Excel's "Unicode Text" export, PowerShell's ``>``) means
    UTF-16: read as UTF-8, every other byte was a NUL, and no column found.
    """
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        with contextlib.suppress(UnicodeDecodeError):
            return raw.decode("utf-16")  # the BOM gives the byte order
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    elif len(raw) % 2 == 0 and raw and 0 in raw:  # UTF-16 with no BOM: a NUL
        half = len(raw) // 2  # every other byte (paths of ASCII or Latin-1)
        for zeros, encoding in ((raw[1::2], "utf-16-le"), (raw[::2], "utf-16-be")):
            if zeros.count(0) == half:
                with contextlib.suppress(UnicodeDecodeError):
                    return raw.decode(encoding)
    return raw.decode("utf-8", "surrogateescape")


#: A list longer than this is not one (a million paths take some 100 MB):
#: ``yes | melcli mel --files-from -``, or an audio file named by mistake.
MAX_LIST_BYTES = 1 << 30


def _read_bounded(f: BinaryIO | TextIO, name: str) -> Any:
    """Read ``f`` to its end, in blocks, refusing more than :data:`MAX_LIST_BYTES`.

    A list that never ends (``--files-from /dev/zero``, ``yes |``) was read
    into memory until the memory ran out.
    """
    blocks: list[Any] = []
    total = 0
    size = 1 << 20
    while block := f.read(size):
        total += len(block)
        if total > MAX_LIST_BYTES:
            raise UsageError(
                f"cannot read {name}: it holds more than "
                f"{MAX_LIST_BYTES >> 20} MiB, more than a list of files does"
            )
        blocks.append(block)
        if len(block) < size:  # its end (a terminal's Ctrl-D is read once)
            break
    empty = "" if isinstance(f, io.TextIOBase) else b""
    return empty.join(blocks)


def _read_named(name: str) -> tuple[str, str]:
    """Return the text of the list ``name``, and the folder paths are relative to.

    The list's own folder, or for a pipe (``<(find ...)`` is ``/dev/fd/63``)
    the current one: a pipe's folder says nothing of where the files are.
    """
    default_root = os.path.dirname(name) or os.curdir
    try:
        mode = os.stat(name).st_mode
        if not stat.S_ISREG(mode):
            default_root = os.curdir
        with open(name, "rb") as f:
            if _endless_device(mode, f):
                raise UsageError(f"cannot read {name}: a device, not a list")
            raw = _read_bounded(f, name)
    except OSError as exc:
        raise UsageError(f"cannot read {name}: {os_reason(exc)}") from None
    except ValueError:  # a NUL in the name
        raise UsageError(f"cannot read {name!r}: a NUL byte in its name") from None
    return _decode(raw), default_root


def _endless_device(mode: int, f: BinaryIO) -> bool:
    """Whether ``f`` is a device whose reads may never end (``/dev/zero``).

    A terminal and ``/dev/null`` end; a disk or ``/dev/urandom`` is no list.
    """
    if not (stat.S_ISCHR(mode) or stat.S_ISBLK(mode)) or f.isatty():
        return False
    try:
        return not os.path.samefile(f.fileno(), os.devnull)
    except OSError:
        return True


def _read_stream(stream: TextIO) -> str:
    name = getattr(stream, "name", "<list>")
    name = "<stdin>" if stream is sys.stdin else str(name)
    buffer = getattr(stream, "buffer", None)
    if buffer is not None:
        return _decode(_read_bounded(buffer, name))
    text: str = _read_bounded(stream, name)
    return text.removeprefix("\ufeff")


#: The key of a table row with more cells than its header has columns; the
#: value says so (no header cell can hold a NUL: it ends the table's text).
EXTRA_CELLS = "\0extra cells"


def _table(text: str, name: str) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """Return the header and ``(line, row)`` of each non-empty row."""
    # The csv module refuses a cell over 128 KiB (a long transcript, say): the
    # table is in memory already, so no cell can hold more than all of it.
    limit = csv.field_size_limit()
    csv.field_size_limit(max(limit, len(text)))
    try:
        return _rows(text, name)
    finally:
        csv.field_size_limit(limit)


def delimiter_of(first: str) -> str:
    """Return the delimiter of a table whose first line is ``first``.

    A tab if it holds one, else a comma, or a semicolon where it holds one and
    no comma (a spreadsheet's CSV where the decimal mark is a comma).
    """
    if "\t" in first:
        return "\t"
    return ";" if ";" in first and "," not in first else ","


def _rows(text: str, name: str) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    delimiter = delimiter_of(text.split("\n", 1)[0])
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        raise UsageError(f"{name} is empty: a table needs a header line") from None
    except csv.Error as exc:
        raise UsageError(f"{name}: cannot read its header: {exc}") from None
    header = [h.strip() for h in header]
    twice = sorted({h for h in header if h and header.count(h) > 1})
    if twice:
        # A row is read as {column: cell}: one of the cells would be lost.
        raise UsageError(
            f"{name}: its header names the column{'s' if len(twice) > 1 else ''} "
            f"{', '.join(map(repr, twice))} more than once; rename one"
        )
    rows = []
    begins = reader.line_num + 1  # the line the next row starts on
    last: tuple[int, list[str]] = (begins, [])
    try:
        for cells in reader:
            last = (begins, cells)
            if any(c.strip() for c in cells):
                padded = cells + [""] * (len(header) - len(cells))
                row = dict(zip(header, padded, strict=False))
                if any(c.strip() for c in cells[len(header) :]):
                    # csv would drop them: a label cut at an unquoted comma.
                    row[EXTRA_CELLS] = (
                        f"{len(cells)} cells, but its header names "
                        f"{len(header)} columns: "
                        f"{', '.join(map(repr, cells[len(header) :]))} would be "
                        "lost (quote a cell that holds the delimiter)"
                    )
                rows.append((reader.line_num, row))
            begins = reader.line_num + 1
    except csv.Error as exc:
        raise UsageError(f"line {reader.line_num} of {name}: {exc}") from None
    if any("\n" in c or "\r" in c for c in last[1]):
        _check_closed(text, last[0], delimiter, name)
    return header, rows


def _check_closed(text: str, line: int, delimiter: str, name: str) -> None:
    """Raise :class:`UsageError` if the row on ``line`` opens a quote never closed.

    The csv module reads such a row to the end of the list as one cell: the
    files listed after it would be silently lost in a label. Only the last
    row can be one (it holds the rest of the list), and only when one of its
    cells spans lines is it read again, strictly.
    """
    lines = io.StringIO(text, newline="").readlines()
    rest = "".join(lines[line - 1 :])
    try:
        list(
            csv.reader(io.StringIO(rest, newline=""), delimiter=delimiter, strict=True)
        )
    except csv.Error:
        raise UsageError(
            f"line {line} of {name}: a quote opened on this line is never closed, "
            "so the rest of the list would be read as one cell; close it"
        ) from None


def _path_column(header: list[str], wanted: str | None, name: str) -> str:
    if wanted is not None:
        if wanted in header:
            return wanted
        raise UsageError(
            f"{name} has no column {wanted!r}; its columns: {', '.join(header)}"
            + did_you_mean(wanted, header),
            param="path_column",
        )
    if "path" in header:
        return "path"
    known = [h for h in header if h.lower() in PATH_COLUMNS]
    if len(known) == 1:
        return known[0]
    if known:
        raise UsageError(
            f"{name}: several columns could hold the paths ({', '.join(known)}); "
            "choose one with --path-column"
        )
    raise UsageError(
        f"{name} has no path column; name it with --path-column (its columns: "
        f"{', '.join(header)})"
    )


#: A ``{column}`` of a path template (``fold{fold}/{slice_file_name}``).
_FIELD = re.compile(r"\{([^{}]+)\}")


def _template_fields(template: str, header: list[str], name: str) -> list[str]:
    """Return the columns ``template`` names.

    Raises :class:`UsageError` if one is not in the header, or a brace has no
    pair (``fold{fold/{name}`` would look for a folder named ``fold{fold``).
    """
    fields = _FIELD.findall(template)
    if "{" in (rest := _FIELD.sub("", template)) or "}" in rest:
        raise UsageError(
            f"--path-column {template!r}: a brace without its pair; a template "
            "names each column in braces, as in 'fold{fold}/{slice_file_name}'",
            param="path_column",
        )
    unknown = [f for f in fields if f not in header]
    if unknown:
        raise UsageError(
            f"{name} has no column {unknown[0]!r} (in --path-column "
            f"{template!r}); its columns: {', '.join(header)}"
            + did_you_mean(unknown[0], header),
            param="path_column",
        )
    return fields


def _fill(template: str, row: dict[str, str], fields: list[str]) -> str:
    """Return ``template`` with each ``{column}`` replaced by the row's cell.

    An empty cell makes no path (the line fails as having none); one of only
    spaces makes a blank one (it fails as such, see :func:`_blank`).
    """
    if any(not row.get(f) for f in fields):
        return ""
    if any(_blank(row[f]) for f in fields):
        return " "
    return _FIELD.sub(lambda m: row[m.group(1)], template)


def _meta(
    row: dict[str, str], header: list[str], column: str
) -> tuple[tuple[str, str], ...]:
    return tuple((h, row.get(h) or "") for h in header if h != column and h)


def _not_a_file(path: Path) -> str:
    """Return why ``path`` cannot be an input, or "" if it can."""
    try:
        st = os.stat(path)
    except OSError as exc:
        return os_reason(exc)
    if stat.S_ISDIR(st.st_mode):
        return "is a folder, not a file"
    return ""


__all__ = ["PATH_COLUMNS", "FileList", "Listed", "from_rows", "read_list", "rows_of"]

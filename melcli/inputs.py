"""What a run takes, and what it refuses before any work (as the command does).

:func:`melcli.run`, :func:`melcli.info` and the command's option checks call
these; each raises :class:`~melcli.errors.ParameterError` whose ``param``
names the keyword, and the command spells it as its option.
"""

from __future__ import annotations

import errno
import operator
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from .discover import DEFAULT_EXTENSIONS, normalize_extensions
from .errors import ParameterError, os_reason
from .filelist import FileList, read_list
from .report import display_path


def one_or_many(
    values: Iterable[str | os.PathLike[str]] | str | os.PathLike[str],
    *,
    sep: str | None = None,
    param: str | None = None,
) -> Iterable[Any]:
    """Take one path or pattern alone as one, not as its characters.

    ``run("audio/", ...)`` or ``exclude="*_noisy.wav"`` would otherwise be
    iterated letter by letter (``"*"`` then excludes every file). With
    ``sep``, a string is a list (``"wav,flac"``, as ``--ext`` takes it).

    With ``param`` (the keyword: ``sources``, ``include``, ``exclude``), each
    value is checked: a path or pattern as ``bytes`` (``os.listdir(b".")``'s)
    is taken as its name, a pattern as a path (``Path("dogs/*")``) as its
    text; anything else that is no ``str`` nor path raises
    :class:`ParameterError` naming ``param`` (``run(42)`` was a TypeError from
    deep inside, ``run(b"audio/")`` one about ``int``).
    """
    if isinstance(values, str):
        return values.split(sep) if sep else [values]
    if isinstance(values, bytes):
        return [os.fsdecode(values)]
    if isinstance(values, os.PathLike):
        return [values] if param in (None, "sources") else [_pattern(values)]
    return values if param is None else _checked(values, param)


def _pattern(path: os.PathLike[Any]) -> str:
    """Return the pattern a path names: ``Path("dogs/*")`` is ``"dogs/*"``.

    (fnmatch takes only a str: a ``pathlib`` pattern was a TypeError from
    deep inside.)
    """
    return os.fsdecode(os.fspath(path))


def _checked(values: object, param: str) -> list[Any]:
    """Return ``values`` as a list of names and paths, or raise ParameterError."""
    what, kinds = ("a path", "str or os.PathLike")
    if param != "sources":
        what, kinds = ("a pattern", "a str")
    try:
        items: list[Any] = list(values)  # type: ignore[call-overload]
    except TypeError:
        raise ParameterError(
            f"{param} must be {what} or a list of them, not {type(values).__name__}",
            param=param,
        ) from None
    for i, item in enumerate(items):
        if isinstance(item, bytes):
            items[i] = os.fsdecode(item)
        elif isinstance(item, os.PathLike) and param != "sources":
            items[i] = _pattern(item)
        elif not isinstance(item, str | os.PathLike):
            raise ParameterError(
                f"{param}[{i}] must be {what} ({kinds}), not {type(item).__name__}",
                param=param,
            )
    return items


#: Why an empty name is not taken for a path: ``-o "$OUT"`` (or ``run(...,
#: os.environ.get("OUT", ""))``) with the variable unset wrote into the
#: current folder.
EMPTY_NAME = "an empty name (for the current folder, give '.')"


def check_name(path: str | bytes | os.PathLike[str], *, param: str) -> None:
    """Raise :class:`ParameterError` if ``path`` is an empty name, or no path.

    ``pathlib`` takes ``""`` for the current folder: OUT was written there,
    and an SRC of ``""`` walked it. An ``int`` is no path either (``open(3)``
    would take it for a file descriptor).
    """
    path_of(path, param=param)


def path_of(path: object, *, param: str) -> Path:
    """Return ``path`` as a :class:`~pathlib.Path`, or raise :class:`ParameterError`.

    A name as ``bytes`` (``os.listdir(b".")``'s) is taken as the name it
    spells, as a source is; anything that is no ``str``, ``bytes`` nor path
    (``run(src, 3)``, ``probe(3)``, ``write_stats(out, dest=3)``), and an
    empty name, are refused naming ``param``.
    """
    if isinstance(path, bytes):
        path = os.fsdecode(path)
    if not isinstance(path, str | os.PathLike):
        raise ParameterError(
            f"{param} must be a path, not {type(path).__name__}", param=param
        )
    name = os.fspath(path)
    if not isinstance(name, str):  # a PathLike of bytes
        name = os.fsdecode(name)
    if not name:
        raise ParameterError(f"{param}='' is {EMPTY_NAME}", param=param)
    return path if isinstance(path, Path) else Path(name)


def check_inputs(
    sources: Sequence[str | os.PathLike[str]],
    out: str | os.PathLike[str],
    *,
    files_from: object = None,
    path_column: str | None = None,
    root: str | os.PathLike[str] | None = None,
    extensions: Iterable[str] | str | None = None,
) -> None:
    """Raise :class:`ParameterError` for inputs a run refuses, as the command does.

    No input at all (``param="sources"``), an empty name for OUT or an SRC,
    OUT an input folder (``param="out"``), ``path_column`` or ``root``
    without ``files_from``, ``extensions`` naming none (:func:`check_extensions`).
    """
    check_sources(sources, files_from=files_from)
    check_name(out, param="out")
    check_out([Path(s) for s in sources], Path(out))
    check_list_options(files_from, path_column=path_column, root=root)
    if extensions is not None:
        check_extensions(extensions)


def check_sources(
    sources: Sequence[str | os.PathLike[str]], *, files_from: object = None
) -> None:
    """Refuse no input at all, or a source that is an empty name (``sources``)."""
    if not sources and files_from is None:
        raise ParameterError(
            "no input: give sources (audio files or folders) or files_from",
            param="sources",
        )
    check_each_source(sources)


def check_each_source(sources: Iterable[str | os.PathLike[str]]) -> None:
    """Refuse a source that is an empty name, or missing (:func:`source_problem`)."""
    for source in sources:
        check_name(source, param="sources")
        if (why := source_problem(source)) is not None:
            raise ParameterError(why, param="sources")


def source_problem(source: str | os.PathLike[str]) -> str | None:
    """Say why ``source`` (an SRC) cannot be taken, or return None.

    One sentence naming the path, as the command shows it after ``Invalid
    value for '[SRC]...':`` and :func:`melcli.run` raises it: it does not
    exist, it is a symbolic link loop or a link to nothing (not "does not
    exist": the user looked for a missing file), or it cannot be reached. A
    run refuses it before any work, as a mistyped name. One that exists but
    cannot be read is not refused: it fails on its own (``permission
    denied``) and the batch goes on, as a file in a folder does.
    """
    shown = repr(os.fsdecode(source))
    try:
        os.stat(source)
    except ValueError:  # a NUL byte: the run fails that input, with why
        return None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            where = "is" if os.path.islink(source) else "leads through"
            return f"Path {shown} {where} a symbolic link loop."
        if exc.errno == errno.ENOENT and os.path.islink(source):
            target = repr(os.fsdecode(os.readlink(os.fspath(source))))
            return f"Path {shown} is a symbolic link to {target}, which does not exist."
        if exc.errno in (errno.ENOENT, errno.ENOTDIR):
            return f"Path {shown} does not exist."
        return f"Path {shown} cannot be reached: {os_reason(exc)}."
    return None


def out_problem(out: str | os.PathLike[str]) -> str | None:
    """Say why ``out``, a run's OUT to read, cannot be taken, or return None.

    For what reads a run's OUT (``melcli stats``, ``gallery``, ``merge`` and
    their functions): it does not exist (as :func:`source_problem` says of
    an SRC), or it is no folder. One sentence naming the path, as the
    command shows it after ``Invalid value for 'OUT':``.
    """
    if (why := source_problem(out)) is not None:
        return why
    try:
        if os.path.isdir(out):
            return None
    except ValueError:  # a NUL byte
        return None
    from .outdir import not_a_folder

    return f"Path {os.fsdecode(out)!r} is {not_a_folder(Path(out))}."


def check_out_folder(out: str | os.PathLike[str]) -> None:
    """Raise :class:`ParameterError` (``param="out"``) unless ``out`` is a folder.

    An empty name is refused too (:func:`check_name`): it would be the
    current folder.
    """
    check_name(out, param="out")
    if (why := out_problem(out)) is not None:
        raise ParameterError(why, param="out")


def check_list_options(
    files_from: object,
    *,
    path_column: str | None,
    root: str | os.PathLike[str] | None,
) -> None:
    """Refuse ``path_column`` or ``root`` without a list: they would be ignored.

    The error's ``param`` is the first of them given. A ``root`` that is an
    empty name is refused too (``--root "$ROOT"`` unset: the current folder
    in place of the list's own).
    """
    if files_from is not None:
        check_list_kind(files_from)
        if root is not None:
            check_name(root, param="root")
        return
    given = {"path_column": path_column, "root": root}
    named = [f"{k}={os.fspath(v)!r}" for k, v in given.items() if v is not None]
    if named:
        first = next(k for k, v in given.items() if v is not None)
        raise ParameterError(
            f"{' and '.join(named)} {'needs' if len(named) == 1 else 'need'} "
            "files_from",
            param=first,
        )


def check_list_kind(files_from: object) -> None:
    """Refuse a ``files_from`` that is no list: a number, bytes, a list of paths.

    A path, ``"-"``, an open text stream and a :class:`~melcli.filelist.FileList`
    are lists; anything else would have been read as standard input.
    """
    if isinstance(files_from, str | os.PathLike | FileList):
        return
    if hasattr(files_from, "read"):
        return
    raise ParameterError(
        f"files_from={files_from!r} must be the list's path, '-' for standard "
        "input, an open text stream or a FileList",
        param="files_from",
    )


def read_listed(
    files_from: str | os.PathLike[str] | FileList | None,
    *,
    path_column: str | None,
    root: str | os.PathLike[str] | None,
) -> FileList | None:
    """Read the list ``files_from`` names (:func:`~melcli.filelist.read_list`).

    As :func:`melcli.run`, :func:`melcli.info` and :func:`melcli.merge` take
    it: a :class:`~melcli.filelist.FileList` (or None) is returned as it is.
    """
    if files_from is None or isinstance(files_from, FileList):
        return files_from
    return read_list(files_from, path_column=path_column, root=root)


def check_out(sources: Iterable[Path], out: Path) -> None:
    """Raise :class:`ParameterError` (``param="out"``) if OUT is an input folder."""
    out_real = os.path.realpath(out)
    for source in sources:
        try:
            real = os.path.realpath(source)
        except ValueError:  # a NUL byte: the run fails that input, with why
            continue
        # Whether it is a folder only when it is OUT: one stat less per SRC.
        if real == out_real and source.is_dir():
            raise ParameterError(
                f"{display_path(out)} is also an input folder; choose another "
                "output folder",
                param="out",
            )


def check_jobs(jobs: object) -> None:
    """Raise :class:`ParameterError` (``param="jobs"``) unless ``jobs`` is None or >= 1.

    0 or -1 do not mean "every CPU" here (as in joblib): they are refused,
    as ``-j 0`` is, in the same words.
    """
    if jobs is None:
        return
    try:
        count = operator.index(jobs)  # type: ignore[arg-type]
    except TypeError:
        count = 0
    if isinstance(jobs, bool) or count < 1:
        raise ParameterError(
            f"jobs={jobs!r} must be a whole number of worker processes, at least "
            "1 (1 works in this process; left out: one per CPU)",
            param="jobs",
        )


def readable_twice(extensions: Iterable[str] | str) -> Iterable[str] | str:
    """Return ``extensions`` as a value that can be read more than once.

    It is checked, then used: a generator would be empty the second time,
    and the run would take no file. A string, set, tuple or list is kept
    as it is (the default's identity too).
    """
    if isinstance(extensions, str | frozenset | set | tuple | list):
        return extensions
    try:
        return list(extensions)
    except TypeError:  # extensions=3: "'int' object is not iterable"
        raise ParameterError(
            f"extensions must be a string or a list of them, not "
            f"{type(extensions).__name__} (such as 'wav,flac')",
            param="extensions",
        ) from None


def extension_set(extensions: Iterable[str] | str) -> frozenset[str]:
    """Return the extensions ``extensions`` names, lower-case, without dots.

    As ``--ext`` takes them, once or repeated: ``"wav,flac"``, ``["wav",
    "flac"]`` and ``["wav,flac"]`` alike (the last took no file in
    :func:`melcli.run`, a file ending in ``.wav,flac``). The default set is
    returned as it is.
    """
    if extensions is DEFAULT_EXTENSIONS:
        return DEFAULT_EXTENSIONS
    return normalize_extensions(
        e for value in one_or_many(extensions) for e in value.split(",")
    )


def check_extensions(extensions: Iterable[str] | str) -> None:
    """Raise :class:`ParameterError` for a value that names no extension.

    ``extensions`` is as :func:`melcli.run` takes it: ``"wav,flac"``, or
    several such strings (``--ext`` repeated). One that names none
    (``--ext "$EXTS"`` with ``EXTS`` unset) would take no file: every one
    passed over, and the run "succeeds".
    """
    values: list[object] = (
        [extensions] if isinstance(extensions, str) else list(extensions)
    )
    for value in values or [extensions]:
        if not isinstance(value, str) or not any(
            e.strip().lstrip(".") for e in value.split(",")
        ):
            raise ParameterError(
                f"extensions={value!r} names no extension (such as 'wav,flac')",
                param="extensions",
            )

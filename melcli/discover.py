"""Find the audio files under the inputs and plan one job per file.

A directory given as input is walked recursively in sorted order and mirrored
into the output folder: ``SRC/dogs/bark1.wav`` → ``OUT/dogs/bark1.npy``. With
two or more input folders, each is mirrored into a subfolder of its own named
after it (:func:`subtrees`): ``data/Pirate`` and ``data/Robot`` give
``OUT/Pirate/...`` and ``OUT/Robot/...``. A file given directly maps to
``OUT/<stem>.npy`` and is taken whatever its extension; a file listed with
``--files-from`` (:mod:`melcli.filelist`) to its path relative to the list's
root. Every path passed over is recorded with the reason, so ``--verbose`` can
say why.
"""

from __future__ import annotations

import errno
import fnmatch
import os
import stat
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import os_reason
from .outdir import reserved

if TYPE_CHECKING:
    from .filelist import FileList

#: Extensions (lower case, no dot) of what libsndfile decodes, and of MP4/AAC
#: audio (decoded through ffmpeg when it is installed, see melcli.ffmpeg).
DEFAULT_EXTENSIONS: frozenset[str] = frozenset(
    {
        "aac",
        "aif",
        "aifc",
        "aiff",
        "au",
        "caf",
        "flac",
        "m4a",
        "mp3",
        "oga",
        "ogg",
        "opus",
        "rf64",
        "snd",
        "w64",
        "wav",
        "wave",
    }
)


@dataclass(frozen=True)
class Job:
    """One input file and the outputs it maps to.

    Attributes
    ----------
    src : Path
        The audio file, as reached from the input the user gave.
    rel : str
        Its path relative to that input (POSIX separators); the PNG title.
    npy : Path
        Where its array goes.
    png : Path or None
        Where its render goes, if one is asked for.
    meta : tuple of (str, str)
        The columns of its row in a ``--files-from`` table (stored in its
        manifest entry as ``meta``).
    """

    src: Path
    rel: str
    npy: Path
    png: Path | None = None
    meta: tuple[tuple[str, str], ...] = ()

    @property
    def outputs(self) -> tuple[Path, ...]:
        """Every path this job writes."""
        return (self.npy,) if self.png is None else (self.npy, self.png)


@dataclass(frozen=True)
class Task:
    """One unit of work for a runner: a whole job, or only its PNG."""

    job: Job
    render_only: bool = False
    #: For ``render_only``: the rate the existing array was computed at.
    sr: int = 0


@dataclass(frozen=True)
class Skipped:
    """A path that is not processed, and why (shown under ``--verbose``)."""

    path: Path
    reason: str


@dataclass(frozen=True)
class Problem:
    """A path that fails before any work: unreadable folder, output collision."""

    path: Path
    reason: str


@dataclass
class Plan:
    """What a run will do: the jobs, what was passed over, what already failed."""

    jobs: list[Job] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def normalize_extensions(extensions: Iterable[str]) -> frozenset[str]:
    """Lower-case ``extensions`` and drop leading dots: ``".WAV"`` → ``"wav"``."""
    return frozenset(e.strip().lstrip(".").lower() for e in extensions if e.strip())


@dataclass
class Found:
    """Audio files found under the inputs, with what was passed over and why."""

    files: list[tuple[Path, str]] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    #: Per file: the input folder it was found in (None: given directly).
    folder_of: list[Path | None] = field(default_factory=list)


def find_audio(
    sources: Sequence[str | os.PathLike[str]],
    *,
    out: str | os.PathLike[str] | None = None,
    extensions: Iterable[str] = DEFAULT_EXTENSIONS,
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
) -> Found:
    """Walk ``sources`` and return the audio files, in sorted order.

    Parameters
    ----------
    sources : sequence of path-like
        Audio files and folders.
    out : path-like or None
        An output folder never to walk, even when it lies inside a source.
    extensions : iterable of str
        Audio extensions looked for in folders (case-insensitive). A file
        given directly is taken whatever its extension.
    include, exclude : sequence of str
        ``fnmatch`` patterns matched against each file's path relative to its
        input folder, e.g. ``"dogs/*"`` or ``"*_clean.wav"`` (``*`` also matches
        ``/``). With ``include``, only matching files are taken; files matching
        ``exclude`` are passed over.

    Returns
    -------
    Found
        ``files`` holds ``(path, path relative to its input)`` pairs.
    """
    out_real = os.path.realpath(out) if out is not None else None
    exts = normalize_extensions(extensions)
    found = Found()

    def keep(rel: str, path: Path) -> bool:
        passed_over = _passed_over(rel, path, include, exclude)
        if passed_over is not None:
            found.skipped.append(passed_over)
        return passed_over is None

    for source in sources:
        src = Path(source)
        if src.is_dir():
            for path, rel in _walk(src, out_real, exts, found):
                if keep(rel, path):
                    found.files.append((path, rel))
                    found.folder_of.append(src)
        elif keep(src.name, src):
            found.files.append((src, src.name))
            found.folder_of.append(None)
    return found


def _passed_over(
    rel: str, path: Path, include: Sequence[str], exclude: Sequence[str]
) -> Skipped | None:
    """Return why ``include``/``exclude`` pass over ``rel``, or None to take it."""
    if include and not any(fnmatch.fnmatchcase(rel, p) for p in include):
        return Skipped(path, "does not match --include")
    if any(fnmatch.fnmatchcase(rel, p) for p in exclude):
        return Skipped(path, "matches --exclude")
    return None


def subtrees(folders: Sequence[str | os.PathLike[str]]) -> dict[str, str]:
    """Return the subfolder of OUT each input folder is mirrored into.

    One folder (however often, and however spelled) is mirrored into OUT
    itself: ``{folder: ""}``. Two or more each get the shortest tail of their
    absolute path that no other has: ``data/Pirate`` and ``data/Robot`` go to
    ``Pirate/`` and ``Robot/``, ``a/voices`` and ``b/voices`` to
    ``a/voices/`` and ``b/voices/``. Keys are the folders as given
    (``os.fspath``), values end with ``/`` (or are empty).
    """
    real: dict[str, str] = {}
    for folder in folders:
        real.setdefault(os.path.realpath(folder), os.fspath(folder))
    if len(real) < 2:
        return {os.fspath(f): "" for f in folders}
    parts = {r: _parts(given) for r, given in real.items()}
    longest = max(len(p) for p in parts.values())
    tail: dict[str, str] = {}
    for r, mine in parts.items():
        for k in range(1, longest + 1):
            name = "/".join(mine[-k:])
            if all(p[-k:] != mine[-k:] for o, p in parts.items() if o != r):
                break
        tail[r] = name
    used: dict[str, int] = {}
    for r in sorted(tail, key=lambda r: real[r]):  # identical tails: name~2, ...
        n = used[tail[r]] = used.get(tail[r], 0) + 1
        if n > 1:
            tail[r] = f"{tail[r]}~{n}"
    return {os.fspath(f): f"{tail[os.path.realpath(f)]}/" for f in folders}


def _parts(folder: str) -> list[str]:
    """Return the names of the folders down to ``folder`` (``/``: ``root``)."""
    names = [p for p in Path(os.path.abspath(folder)).parts[1:] if p]
    return names or ["root"]


def plan(
    sources: Sequence[str | os.PathLike[str]],
    out: str | os.PathLike[str],
    *,
    extensions: Iterable[str] = DEFAULT_EXTENSIONS,
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
    png: bool = False,
    fold_case: bool | None = None,
    listed: FileList | None = None,
) -> Plan:
    """Find the audio under ``sources`` and plan the jobs that write into ``out``.

    See :func:`find_audio` for the parameters; ``png`` also plans a ``.png``
    next to each ``.npy``. ``fold_case`` says whether OUT's file system
    ignores case (``a.npy`` and ``A.npy`` are then one file); ``None`` finds
    out with :func:`ignores_case`. With two or more input folders, each is
    mirrored into its own subfolder of OUT (:func:`subtrees`).

    ``listed`` adds the files of a list (:func:`melcli.filelist.read_list`),
    each mirrored from the list's root and carrying its row as ``meta``;
    ``include`` and ``exclude`` apply to their paths relative to that root.

    Returns
    -------
    Plan
        Jobs in sorted order. Jobs whose outputs would collide are not in
        ``jobs``: each is in ``problems`` with a reason naming the other input;
        so are those whose outputs would be under a name melcli keeps for its
        own files in OUT (:func:`melcli.outdir.reserved`).
    """
    if fold_case is None:
        fold_case = ignores_case(Path(out))
    out_dir = Path(out)
    found = find_audio(
        sources, out=out_dir, extensions=extensions, include=include, exclude=exclude
    )
    result = Plan(skipped=found.skipped, problems=found.problems)
    under = subtrees([f for f in sources if os.path.isdir(f)])
    candidates = [
        _job(path, under[os.fspath(folder)] + rel if folder else rel, out_dir, png)
        for (path, rel), folder in zip(found.files, found.folder_of, strict=True)
    ]
    if listed is not None:
        result.skipped.extend(listed.skipped)
        result.problems.extend(listed.problems)
        for item in listed.files:
            passed_over = _passed_over(item.rel, item.path, include, exclude)
            if passed_over is not None:
                result.skipped.append(passed_over)
            else:
                candidates.append(_job(item.path, item.rel, out_dir, png, item.meta))
    candidates = _drop_reserved(candidates, out_dir, result, fold_case=fold_case)
    result.jobs = _drop_collisions(_unique(candidates), result, fold_case=fold_case)
    return result


def _drop_reserved(
    candidates: list[Job], out_dir: Path, result: Plan, *, fold_case: bool
) -> list[Job]:
    """Move jobs whose outputs would be under one of melcli's own names to problems.

    ``SRC/manifest.jsonl/a.wav`` would make ``OUT/manifest.jsonl`` a folder,
    and every later run fail. Only the top of OUT is melcli's.
    """
    prefix = os.path.join(os.fspath(out_dir), "")
    kept = []
    for job in candidates:
        text = os.fspath(job.npy)
        rel = text[len(prefix) :] if text.startswith(prefix) else ""
        top, sep, _ = rel.partition(os.sep)
        if sep and reserved(top, fold_case=fold_case):
            result.problems.append(
                Problem(
                    job.src,
                    f"its output would be inside {out_dir / top}, a name melcli "
                    "keeps for its own files in OUT: rename the folder, or leave "
                    f"it out with --exclude '{top}/*'",
                )
            )
        else:
            kept.append(job)
    return kept


def ignores_case(folder: Path) -> bool:
    """Return whether file names in ``folder`` are case-insensitive.

    Probed by creating a hidden temporary file in ``folder`` (or its nearest
    existing parent) and looking it up with its case swapped. False when
    nothing can be created there (the run will then fail to write anyway).
    """
    import tempfile

    probe_in = folder
    while not probe_in.is_dir() and probe_in != probe_in.parent:
        probe_in = probe_in.parent
    try:
        fd, name = tempfile.mkstemp(prefix=".melcli-case-", dir=probe_in)
    except OSError:
        return False
    try:
        os.close(fd)
        head, tail = os.path.split(name)
        return os.path.exists(os.path.join(head, tail.swapcase()))
    finally:
        os.unlink(name)


def _job(
    src: Path,
    rel: str,
    out_dir: Path,
    png: bool,
    meta: tuple[tuple[str, str], ...] = (),
) -> Job:
    stem = Path(rel).with_suffix("") if Path(rel).suffix else Path(rel)
    npy = out_dir / f"{stem}.npy"
    png_path = out_dir / f"{stem}.png" if png else None
    return Job(src=src, rel=rel, npy=npy, png=png_path, meta=meta)


def _walk(
    root: Path, out_real: str | None, exts: frozenset[str], result: Found
) -> Iterator[tuple[Path, str]]:
    """Yield ``(path, relative posix path)`` of audio files below ``root``.

    The order is sorted, name by name down the tree (a folder's entries
    interleave files and subfolders by name). Symlinks to files are followed;
    symlinks to folders are followed unless they lead back to a folder already
    being walked (a loop).
    """
    root_real = os.path.realpath(root)
    if root_real == out_real:
        result.skipped.append(Skipped(root, "output folder"))
        return
    yield from _walk_folder(root, "", frozenset({root_real}), out_real, exts, result)


def _walk_folder(
    folder: Path,
    prefix: str,
    ancestors: frozenset[str],
    out_real: str | None,
    exts: frozenset[str],
    result: Found,
) -> Iterator[tuple[Path, str]]:
    try:
        with os.scandir(folder) as it:
            names = sorted(entry.name for entry in it)
    except OSError as exc:
        reason = os_reason(exc)
        result.problems.append(Problem(folder, f"cannot read folder: {reason}"))
        return
    for name in names:
        path = folder / name
        rel = f"{prefix}{name}"
        if name.startswith("."):
            result.skipped.append(Skipped(path, "hidden"))
            continue
        try:
            st = os.stat(path)
        except OSError as exc:
            if exc.errno == errno.ELOOP:  # links that lead to each other
                result.skipped.append(Skipped(path, "symlink loop"))
            elif _is_symlink(path):
                result.skipped.append(Skipped(path, "dangling symlink"))
            else:  # a path longer than PATH_MAX, an I/O error...
                reason = os_reason(exc)
                result.problems.append(Problem(path, f"cannot stat: {reason}"))
            continue
        if stat.S_ISDIR(st.st_mode):
            real = os.path.realpath(path)
            if real == out_real:
                result.skipped.append(Skipped(path, "output folder"))
            elif real in ancestors:
                result.skipped.append(Skipped(path, "symlink loop"))
            else:
                yield from _walk_folder(
                    path, f"{rel}/", ancestors | {real}, out_real, exts, result
                )
        elif Path(name).suffix[1:].lower() not in exts:
            result.skipped.append(Skipped(path, "not an audio extension"))
        else:
            yield path, rel


def _is_symlink(path: Path) -> bool:
    try:
        return stat.S_ISLNK(os.lstat(path).st_mode)
    except OSError:  # ENAMETOOLONG and the like: not known to be a link
        return False


def _unique(jobs: list[Job]) -> list[Job]:
    """Drop repeats of a job: the same file, reached twice, for the same output."""
    first: dict[Path, Job] = {}
    seen: set[tuple[str, Path]] = set()
    unique = []
    for job in jobs:
        other = first.setdefault(job.npy, job)
        if other is not job:  # resolve links only when two jobs share an output
            seen.add((os.path.realpath(other.src), other.npy))
            key = (os.path.realpath(job.src), job.npy)
            if key in seen:
                continue
            seen.add(key)
        unique.append(job)
    return unique


def _drop_collisions(
    candidates: list[Job], result: Plan, *, fold_case: bool = False
) -> list[Job]:
    """Move jobs whose outputs clash to ``result.problems``, each naming the other.

    With ``fold_case``, outputs that differ only by case clash too.
    """
    by_output: dict[Path, list[Job]] = defaultdict(list)
    spelled: dict[Path, Path] = {}  # folded name -> the spelling first met

    def same(path: Path) -> Path:
        key = Path(os.fsdecode(path).casefold()) if fold_case else path
        return spelled.setdefault(key, path)

    for job in candidates:
        for output in job.outputs:
            by_output[same(output)].append(job)
    source_suffixes = {j.src.suffix.lower() for j in candidates}
    sources: set[str] | None = None
    bad: dict[Job, str] = {}
    for output, jobs in by_output.items():
        if len(jobs) > 1:
            for job in jobs:
                others = ", ".join(str(o.src) for o in jobs if o is not job)
                why = f"output {output} would also be written by {others}"
                if len({o.npy for o in jobs}) > 1:
                    why += " (the names differ only by case, and OUT ignores case)"
                bad.setdefault(job, why)
        if output.suffix.lower() in source_suffixes:
            if sources is None:
                sources = {os.path.realpath(j.src) for j in candidates}
            clash = os.path.realpath(output) in sources
        else:
            clash = False
        if clash:
            for job in jobs:
                bad.setdefault(job, f"output {output} would overwrite an input")
        # OUT/a.npy cannot be a file for a.wav and a folder for a.npy/b.wav.
        for parent in output.parents:
            for other in by_output.get(same(parent), ()):
                for job in jobs:
                    bad.setdefault(
                        job,
                        f"output {output} needs {parent} to be a folder, "
                        f"but {other.src} writes it as a file",
                    )
                bad.setdefault(
                    other,
                    f"output {parent} is also the folder of {output} "
                    f"(from {jobs[0].src})",
                )
    for job in candidates:
        if job in bad:
            result.problems.append(Problem(job.src, bad[job]))
    return [j for j in candidates if j not in bad]

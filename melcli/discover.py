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

import bisect
import contextlib
import errno
import fnmatch
import gc
import glob
import operator
import os
import stat
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from . import interrupts
from .errors import ParameterError, os_reason, shell_word
from .outdir import LOCK_NAME, reserved

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


class Job(tuple):  # type: ignore[type-arg]
    """One input file and the outputs it maps to.

    Held as strings, in a tuple (a plan may hold millions of jobs, and a
    pathlib object, or an object of attributes, costs microseconds to make):
    immutable, :meth:`replace` makes a changed copy. The
    :class:`~pathlib.Path` attributes, and ``stamp``, are made when asked
    for (the input's size and mtime are two items of the tuple, not a list
    of their own: some 80 bytes less per input).

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
    src_name, npy_name, png_name : str
        ``src``, ``npy`` and ``png`` as strings (``png_name`` may be None).
    stamp : list of int or None
        The input's ``[size, mtime_ns]`` when it was found (None: not known).
    """

    __slots__ = ()

    src_name: str
    rel: str
    npy_name: str
    png_name: str | None
    meta: tuple[tuple[str, str], ...]

    def __new__(
        cls,
        src: str | os.PathLike[str],
        rel: str,
        npy: str | os.PathLike[str],
        png: str | os.PathLike[str] | None = None,
        meta: tuple[tuple[str, str], ...] = (),
        *,
        stamp: list[int] | None = None,
    ) -> Job:
        """Make the job of ``src`` (see the attributes)."""
        png_name = None if png is None else os.fspath(png)
        size, mtime = (None, None) if stamp is None else stamp
        fields = (os.fspath(src), rel, os.fspath(npy), png_name, tuple(meta))
        return tuple.__new__(cls, (*fields, size, mtime))

    @property
    def stamp(self) -> list[int] | None:
        """The input's ``[size, mtime_ns]`` when it was found (None: not known)."""
        return None if self[5] is None else [self[5], self[6]]

    @property
    def src(self) -> Path:
        """The audio file."""
        return Path(self[0])

    @property
    def npy(self) -> Path:
        """Where its array goes."""
        return Path(self[2])

    @property
    def png(self) -> Path | None:
        """Where its render goes, or None."""
        return None if self[3] is None else Path(self[3])

    @property
    def outputs(self) -> tuple[Path, ...]:
        """Every path this job writes."""
        return tuple(Path(name) for name in self.output_names)

    @property
    def output_names(self) -> tuple[str, ...]:
        """Every path this job writes, as strings."""
        if self[3] is None:
            return (self[2],)
        return (self[2], self[3])

    def replace(self, **changes: object) -> Job:
        """Return a copy with ``changes`` to some of its fields.

        The input's ``stamp`` is kept unless ``src`` changes.
        """
        fields: dict[str, object] = {
            "src": self.src_name,
            "rel": self.rel,
            "npy": self.npy_name,
            "png": self.png_name,
            "meta": self.meta,
            "stamp": None if "src" in changes else self.stamp,
        }
        unknown = set(changes) - set(fields)
        if unknown:
            raise TypeError(f"Job has no field {', '.join(sorted(unknown))}")
        fields.update(changes)
        return Job(**fields)  # type: ignore[arg-type]

    def _key(self) -> tuple[object, ...]:
        return self[:5]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Job):
            return NotImplemented
        return self[:5] == other[:5]

    def __ne__(self, other: object) -> bool:
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    def __hash__(self) -> int:
        return hash(self[:5])

    def __repr__(self) -> str:
        return (
            f"Job(src={self.src_name!r}, rel={self.rel!r}, npy={self.npy_name!r}, "
            f"png={self.png_name!r}, meta={self.meta!r})"
        )

    def __reduce__(self) -> tuple[object, ...]:
        # Rebuilt by tuple.__new__ itself, its fields as they are (already
        # strings and a tuple): no Python call per job when a pool worker
        # unpickles its tasks (see bench/README.md, "Figures behind the code").
        return (tuple.__new__, (Job, tuple(self)))


_FIELDS = ("src_name", "rel", "npy_name", "png_name", "meta")
#: Each field's getter: the jobs' field ``name`` is ``map(_GETTERS[name], jobs)``.
_GETTERS = {name: operator.itemgetter(i) for i, name in enumerate(_FIELDS)}
for _name, _getter in _GETTERS.items():  # read-only: a tuple's items
    setattr(Job, _name, property(_getter))
del _name, _getter


def job_field(name: str) -> Callable[[Job], Any]:
    """Return the function that reads field ``name`` of a job, in C.

    For a loop over many jobs: ``map(job_field("png_name"), jobs)`` makes no
    Python call per job, as reading the property would.
    """
    return _GETTERS[name]


@dataclass(frozen=True, slots=True)  # one per input to build: no __dict__
class Task:
    """One unit of work for a runner: a whole job, or only its PNG."""

    job: Job
    render_only: bool = False
    #: For ``render_only``: the rate the existing array was computed at.
    sr: int = 0

    def __reduce__(self) -> tuple[object, ...]:
        """Pickle as its fields: a pool sends every task to a worker.

        (A slotted dataclass pickles through ``dataclasses.fields()`` on both
        sides, a Python loop each way.)
        """
        if not self.render_only and not self.sr:
            return (Task, (self.job,))
        return (Task, (self.job, self.render_only, self.sr))


@dataclass(frozen=True)
class Skipped:
    """A path that is not processed, and why (shown under ``--verbose``).

    ``rel`` is its path relative to its SRC, as a job's (None where there is
    none: a SRC folder itself).
    """

    path: Path
    reason: str
    rel: str | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Problem:
    """A path that fails before any work: unreadable folder, output collision.

    ``rel`` is its path relative to its SRC, as a job's, where known.
    """

    path: Path
    reason: str
    rel: str | None = field(default=None, compare=False)


@dataclass
class Plan:
    """What a run will do: the jobs, what was passed over, what already failed."""

    jobs: list[Job] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    #: As :attr:`Found.case_only`.
    case_only: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    #: The input folders (and a list's root) the plan was made of, absolute,
    #: each with a final ``/``: the only places a run looks for the inputs
    #: OUT's manifest records (:meth:`melcli.manifest.Manifest.stale`).
    roots: tuple[str, ...] = ()


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for a while (planning, deciding).

    A plan makes a few objects per input, none of them in a cycle; the
    collector would go over all of them again and again as they pile up (a
    tenth of a re-run's planning at 100 000 inputs, measured). Reference
    counting still frees what is dropped; the collector resumes afterwards
    if it ran before.
    """
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


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
    #: Files an ``--include``/``--exclude`` pattern matches only when case is
    #: ignored (:func:`note_case_only`): ``(option, pattern)`` -> their paths.
    case_only: dict[tuple[str, str], list[str]] = field(default_factory=dict)


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
    found = Found()
    for jobs, folder in _find(
        sources,
        out=out,
        extensions=extensions,
        include=include,
        exclude=exclude,
        found=found,
    ):
        found.files += [(Path(job[0]), job[1]) for job in jobs]
        found.folder_of += [None if folder is None else Path(folder)] * len(jobs)
    return found


def _find(
    sources: Sequence[str | os.PathLike[str]],
    *,
    out: str | os.PathLike[str] | None,
    extensions: Iterable[str],
    include: Sequence[str],
    exclude: Sequence[str],
    found: Found,
    png: bool = False,
    mirrored: bool = False,
) -> Generator[tuple[list[Job], str | None], None, None]:
    """Yield the jobs of the audio files under ``sources`` (see :func:`find_audio`).

    A list at a time, with the input folder its files were found in as given
    (None: files given directly). With ``mirrored``, each job's ``rel``
    starts with its folder's subfolder of OUT (:func:`subtrees`), as its
    outputs do (in OUT; in ``""`` without ``out``). What is passed over goes
    to ``found.skipped`` and ``found.problems``.
    """
    out_real = os.path.realpath(out) if out is not None else None
    out_dir = os.fspath(Path(out)) if out is not None else ""
    base = "" if out is None else (f"{out_dir}/" if out_dir != "/" else "/")
    exts = normalize_extensions(extensions)
    folders = [f for f in sources if os.path.isdir(f)]
    _refuse_nested(sources, folders)
    under = subtrees(folders) if mirrored else {}
    for source in sources:
        given = os.fspath(source)
        src = os.fspath(Path(given))  # as pathlib spells it: no trailing "/"
        if os.path.isdir(src):
            mirror = under.get(given, "")
            at = len(mirror)
            walk = _Walk(out_real, exts, found, base + mirror, mirror, png)
            for files in walk.top(src):
                if include or exclude:
                    files = [
                        f
                        for f in files
                        if keep(f[1][at:], f[0], include, exclude, found, f[1])
                    ]
                yield files, given
        else:
            name = os.path.basename(src)
            if keep(name, src, include, exclude, found, name):
                yield [_job(src, name, out_dir, png)], None


def _refuse_nested(
    sources: Sequence[str | os.PathLike[str]], folders: Sequence[str | os.PathLike[str]]
) -> None:
    """Raise :class:`ParameterError` (``param="sources"``) if an input is in an SRC.

    A source refused, as one that does not exist is.

    Its files would be converted twice: once in each folder's mirror, or as a
    file given alone (at OUT's top) and in its folder's mirror. The same
    folder or file given twice (however spelled) is taken once, as is a file
    at the top of the one folder given (its output is the one the folder's
    walk plans: :func:`_unique` drops the repeat).
    """
    if not folders:
        return
    places = {os.fspath(f): os.path.realpath(f) for f in folders}
    # Each folder under the first of its spellings given.
    real = {place: given for given, place in reversed(places.items())}
    for source in sources:
        given = os.fspath(source)
        place = places.get(given)
        if place is None:  # a file; a link to one is its own input: not resolved
            head, name = os.path.split(os.path.abspath(given))
            place = os.path.join(os.path.realpath(head), name)
            if len(real) == 1 and os.path.dirname(place) in real:
                continue
        above, parent = place, os.path.dirname(place)
        while parent != above:  # up to the root, whose parent is itself
            if parent in real:
                raise ParameterError(
                    f"{given} is inside {real[parent]}, also given: its "
                    "files would be converted twice; give only one of them",
                    param="sources",
                )
            above, parent = parent, os.path.dirname(parent)


def keep(
    rel: str,
    path: str,
    include: Sequence[str],
    exclude: Sequence[str],
    found: Found,
    source: str | None = None,
) -> bool:
    """Return whether ``include``/``exclude`` take ``rel``; note why not if not.

    ``source`` is the path relative to SRC its job records (default ``rel``).
    """
    if not include and not exclude:
        return True
    passed_over = _passed_over(rel, path, include, exclude, source)
    if passed_over is not None:
        found.skipped.append(passed_over)
    note_case_only(rel, passed_over, include, exclude, found.case_only)
    return passed_over is None


def note_case_only(
    rel: str,
    passed_over: object,
    include: Sequence[str],
    exclude: Sequence[str],
    notes: dict[tuple[str, str], list[str]],
) -> None:
    """Note in ``notes`` the patterns that missed ``rel`` by case alone.

    Patterns match case and all (``--exclude '*.wav'`` keeps ``X.WAV``),
    where ``--ext`` does not: a file an ``--include`` left out, or an
    ``--exclude`` did not, that the pattern matches once case is ignored, is
    said at the end (:func:`melcli.hints.case_only_hint`).
    """
    if passed_over is None:
        missed = [("--exclude", p) for p in exclude]
    elif include and getattr(passed_over, "reason", "") == "does not match --include":
        missed = [("--include", p) for p in include]
    else:
        return
    folded = rel.casefold()
    for option, pattern in missed:
        if fnmatch.fnmatchcase(folded, pattern.casefold()):
            notes.setdefault((option, pattern), []).append(rel)


def _passed_over(
    rel: str,
    path: str | Path,
    include: Sequence[str],
    exclude: Sequence[str],
    source: str | None = None,
) -> Skipped | None:
    """Return why ``include``/``exclude`` pass over ``rel``, or None to take it."""
    source = rel if source is None else source
    if include and not any(fnmatch.fnmatchcase(rel, p) for p in include):
        return Skipped(Path(path), "does not match --include", source)
    if any(fnmatch.fnmatchcase(rel, p) for p in exclude):
        return Skipped(Path(path), "matches --exclude", source)
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
    out_dir = os.fspath(Path(out))
    found = Found()
    candidates = []
    #: The folders of the outputs (a list found shares one), and whether an
    #: output may be an input (a ``.npy`` or ``.png`` taken as audio).
    folders: set[str] = set()
    may_overwrite = not normalize_extensions(extensions).isdisjoint(("npy", "png"))
    for jobs, folder in _find(
        sources,
        out=out_dir,
        extensions=extensions,
        include=include,
        exclude=exclude,
        found=found,
        png=png,
        mirrored=True,
    ):
        if jobs:
            candidates += jobs
            folders.add(jobs[0][2].rpartition("/")[0])
            may_overwrite = may_overwrite or (folder is None and _is_output(jobs[0]))
    result = Plan(
        skipped=found.skipped,
        problems=found.problems,
        case_only=found.case_only,
        roots=input_roots(sources, listed),
    )
    if listed is not None:
        result.skipped.extend(listed.skipped)
        result.problems.extend(listed.problems)
        for item in listed.files:
            passed_over = _passed_over(
                item.rel, item.path, include, exclude, _posix(item.rel)
            )
            note_case_only(
                _posix(item.rel), passed_over, include, exclude, result.case_only
            )
            if passed_over is not None:
                result.skipped.append(passed_over)
            else:
                rel = _posix(item.rel)
                job = _job(os.fspath(item.path), rel, out_dir, png, item.meta)
                candidates.append(job)
                folders.add(job[2].rpartition("/")[0])
                may_overwrite = may_overwrite or _is_output(job)
    candidates = _drop_reserved(
        candidates, out_dir, result, fold_case=fold_case, folders=folders
    )
    top = len(out_dir)
    if not may_overwrite and _all_clear(
        candidates, top=top, fold=fold_case, folders=folders
    ):
        result.jobs = candidates  # the usual plan: nothing to drop, no repeat
        return result
    result.jobs = _drop_collisions(
        _unique(candidates), result, out_dir=out_dir, fold_case=fold_case
    )
    return result


def input_roots(
    sources: Sequence[str | os.PathLike[str]], listed: FileList | None = None
) -> tuple[str, ...]:
    """Return the folders among ``sources`` (and ``listed``'s root), absolute.

    Each with a final ``/``.
    """
    folders = [os.fspath(s) for s in sources if os.path.isdir(s)]
    if listed is not None:
        folders.append(os.fspath(listed.root))
    roots: dict[str, None] = {}
    for folder in folders:
        with contextlib.suppress(OSError):  # the working folder deleted
            roots[os.path.join(os.path.abspath(folder), "")] = None
    return tuple(roots)


def _is_output(job: Job) -> bool:
    """Return whether ``job``'s input is named as an output is (``.npy``, ``.png``)."""
    return job[0][-4:].lower() in (".npy", ".png")


def _drop_reserved(
    candidates: list[Job],
    out_dir: str,
    result: Plan,
    *,
    fold_case: bool,
    folders: set[str] | None = None,
) -> list[Job]:
    """Move jobs whose outputs would be under one of melcli's own names to problems.

    ``SRC/manifest.jsonl/a.wav`` would make ``OUT/manifest.jsonl`` a folder,
    and every later run fail. Only the top of OUT is melcli's. ``folders``
    holds (at least) the folders of the outputs, if known.
    """
    prefix = os.path.join(out_dir, "")
    start = len(prefix)
    # The usual plan: no output under a reserved name (each top folder looked at once).
    if folders is not None:
        tops = {f"{f}/"[start:].partition(os.sep)[0] for f in folders}
    else:
        tops = {job.npy_name[start:].partition(os.sep)[0] for job in candidates}
    if not any(reserved(top, fold_case=fold_case) for top in tops):
        return candidates
    kept = []
    for job in candidates:
        text = job.npy_name
        rel = text[len(prefix) :] if text.startswith(prefix) else ""
        top, sep, _ = rel.partition(os.sep)
        if sep and reserved(top, fold_case=fold_case):
            result.problems.append(
                Problem(
                    job.src,
                    f"its output would be inside {Path(out_dir, top)}, a name melcli "
                    "keeps for its own files in OUT: rename the folder, or leave "
                    f"it out with --exclude {shell_word(glob.escape(top) + '/*')}",
                    job.rel,
                )
            )
        else:
            kept.append(job)
    return kept


def ignores_case(folder: Path) -> bool:
    """Return whether file names in ``folder`` are case-insensitive.

    Probed by looking up a file of ``folder`` with its case swapped: one melcli
    keeps there (so a re-run writes nothing), else a hidden temporary file
    created in ``folder`` (or its nearest existing parent). False when nothing
    can be created there (the run will then fail to write anyway).
    """
    for name in (LOCK_NAME, "manifest.jsonl"):
        known = os.path.join(folder, name)
        if os.path.isfile(known) and not os.path.islink(known):
            other = os.path.join(folder, name.swapcase())
            return os.path.exists(other) and os.path.samefile(known, other)
    import tempfile  # here: a re-run finds its own files above

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
    src: str,
    rel: str,
    out_dir: str,
    png: bool,
    meta: tuple[tuple[str, str], ...] = (),
) -> Job:
    """Return the job of ``src``: ``OUT/REL`` with its suffix replaced by ``.npy``."""
    base = f"{out_dir}/" if out_dir != "/" else "/"
    dot = rel.rfind(".")
    # As pathlib's suffix: of the last name, not ".x", nor "x."
    stem = base + (rel[:dot] if rel.rfind("/") + 1 < dot < len(rel) - 1 else rel)
    return Job(src, rel, f"{stem}.npy", f"{stem}.png" if png else None, meta)


def _posix(rel: str) -> str:
    """``rel`` as pathlib spells it (no ``./``, ``//`` or trailing ``/``)."""
    if rel.startswith("./") or "//" in rel or "/./" in rel or rel.endswith(("/", "/.")):
        return Path(rel).as_posix()
    return rel


@dataclass
class _Walk:
    """One walk of an input folder: what every folder of it shares."""

    out_real: str | None
    exts: frozenset[str]
    result: Found
    #: Where the folder is mirrored: ``OUT/`` and its subfolder of OUT.
    out_base: str
    #: That subfolder of OUT (``""``, or ending with ``/``).
    mirror: str
    png: bool

    def top(self, root: str) -> Iterator[list[Job]]:
        """Yield the jobs of the audio files under ``root``, a list at a time.

        A list is the files of a folder up to its next subfolder: a file
        found is one append, not a value passed up through a generator per
        folder. The order is sorted, name by name down the tree (a folder's
        entries interleave files and subfolders by name). Symlinks to files
        are followed; symlinks to folders are followed unless they lead back
        to a folder already being walked (a loop). Not in an output folder
        of melcli (one that holds its lock file, :data:`LOCK_NAME`, or below
        one) other than this run's own OUT: another OUT is untrusted (a CI
        cache, a shared folder), and nothing outside it is read because of
        what it holds, so a link there is passed over, said why (``melcli
        info`` has no OUT of its own: every OUT's links are). A SRC inside
        the run's own OUT (``mel proj/audio -o proj``) is what the user named
        as audio to read: its links are followed. Each entry is stat-ed once; a job's
        ``stamp`` is what that found.

        The walk does not recurse: it keeps a stack of the folders it is in,
        each as what is left of it, so a tree of any depth is walked (Python
        allows some 1000 frames). Only one folder is open at a time.
        """
        root_real = os.path.realpath(root)
        if root_real == self.out_real:
            self.result.skipped.append(Skipped(Path(root), "output folder"))
            return
        #: The real paths of the folders being walked: a link to one is a loop.
        ancestors = {root_real}
        in_out = _in_an_output_folder(root_real, self.out_real)
        first = self.folder(root, "", root_real, ancestors, in_out=in_out)
        stack = [(iter(first), root_real)]
        while stack:
            for piece in stack[-1][0]:
                if isinstance(piece, list):
                    yield piece
                else:  # a subfolder: walked before the rest of this folder
                    path, prefix, real, in_out = piece
                    ancestors.add(real)
                    below = self.folder(path, prefix, real, ancestors, in_out=in_out)
                    stack.append((iter(below), real))
                    break
            else:  # this folder is done
                ancestors.discard(stack.pop()[1])

    def folder(
        self,
        folder: str,
        prefix: str,
        real: str,
        ancestors: set[str],
        *,
        in_out: bool = False,
    ) -> list[list[Job] | tuple[str, str, str, bool]]:
        """Take the entries of ``folder`` (``prefix`` from the root, ``real`` path).

        Returns its pieces in order: lists of jobs, and between them its
        subfolders to walk, each as ``(path, prefix, real path, in_out)``:
        ``in_out`` whether it is in an output folder of melcli other than
        the run's own OUT (``folder`` is, or holds its lock file).

        Its entries are looked up by name in the folder, held open while they
        are (a shorter lookup than each one's whole path), where the system
        can and every entry's path is short enough to be used (so what is
        found is what can be read by its path); else by their paths.
        """
        try:
            names = sorted(os.listdir(folder))  # no object made per entry
        except OSError as exc:
            reason = os_reason(exc)
            self.result.problems.append(
                Problem(Path(folder), f"cannot read folder: {reason}")
            )
            return []
        fd = -1
        if _DIR_FD and short_enough(folder):
            with contextlib.suppress(OSError):  # read: its entries by path, then
                fd = interrupts.os_open(folder, _FOLDER_FLAGS)
        try:
            if not in_out:  # names sorted: looked up, not scanned
                at = bisect.bisect_left(names, LOCK_NAME)
                if names[at : at + 1] == [LOCK_NAME] and real != self.out_real:
                    in_out = _is_lock_file(folder, fd)
            return self.names(folder, names, prefix, real, ancestors, fd, in_out)
        finally:
            if fd >= 0:
                os.close(fd)

    def names(
        self,
        folder: str,
        names: list[str],
        prefix: str,
        real: str,
        ancestors: set[str],
        fd: int = -1,
        in_out: bool = False,
    ) -> list[list[Job] | tuple[str, str, str, bool]]:
        """Take the entries ``names`` of ``folder`` (open as ``fd``, or -1).

        With ``in_out`` (an output folder of melcli), a symbolic link is
        passed over, not followed.
        """
        result, out_real, exts, png = self.result, self.out_real, self.exts, self.png
        rel_base, out_base = self.mirror + prefix, self.out_base + prefix
        pieces: list[list[Job] | tuple[str, str, str, bool]] = []
        hits: list[Job] = []
        add, new = hits.append, tuple.__new__
        base = folder if folder.endswith("/") else folder + "/"
        is_dir, os_stat = stat.S_ISDIR, os.stat
        for name in names:
            path = base + name
            if name[0] == ".":
                result.skipped.append(Skipped(Path(path), "hidden", rel_base + name))
                continue
            try:
                if in_out:  # the link's own status: never followed
                    st = os.lstat(name, dir_fd=fd) if fd >= 0 else os.lstat(path)
                    if stat.S_ISLNK(st.st_mode):
                        result.skipped.append(
                            Skipped(Path(path), _LINK_IN_OUT, rel_base + name)
                        )
                        continue
                else:
                    st = os_stat(name, dir_fd=fd) if fd >= 0 else os_stat(path)
            except OSError as exc:
                rel = rel_base + name
                if exc.errno == errno.ELOOP:  # links that lead to each other
                    result.skipped.append(Skipped(Path(path), "symlink loop", rel))
                elif _is_symlink(path):
                    result.skipped.append(Skipped(Path(path), "dangling symlink", rel))
                else:  # a path longer than PATH_MAX, an I/O error...
                    reason = os_reason(exc)
                    result.problems.append(
                        Problem(Path(path), f"cannot stat: {reason}", rel)
                    )
                continue
            if is_dir(st.st_mode):
                below, rel = _real_below(real, name, path, fd), rel_base + name
                if below == out_real:
                    result.skipped.append(Skipped(Path(path), "output folder", rel))
                elif below in ancestors:
                    result.skipped.append(Skipped(Path(path), "symlink loop", rel))
                else:
                    if hits:
                        pieces.append(hits)
                        hits = []
                        add = hits.append
                    pieces.append((path, f"{prefix}{name}/", below, in_out))
                continue
            # Its suffix, as pathlib's: of a name that has more than a suffix.
            stem, _, ext = name.rpartition(".")
            if not (stem and (ext in exts or ext.lower() in exts)):
                result.skipped.append(
                    Skipped(Path(path), "not an audio extension", rel_base + name)
                )
            else:  # its job, as _job makes it (inlined: a call less per file)
                stem = out_base + stem
                drawn = f"{stem}.png" if png else None
                npy = f"{stem}.npy"
                size, mtime = st.st_size, st.st_mtime_ns
                add(new(Job, (path, rel_base + name, npy, drawn, (), size, mtime)))
        if hits:
            pieces.append(hits)
        return pieces


#: Why a link in an output folder of melcli is passed over.
_LINK_IN_OUT = (
    "a symbolic link in an output folder of melcli (holding .melcli.lock): "
    "not followed, as nothing outside OUT is read because of what it holds"
)


def _is_lock_file(folder: str, fd: int) -> bool:
    """Whether ``folder`` (open as ``fd``, or -1) holds the lock file of an OUT."""
    try:
        if fd >= 0:
            st = os.lstat(LOCK_NAME, dir_fd=fd)
        else:
            st = os.lstat(os.path.join(folder, LOCK_NAME))
    except OSError:
        return False
    return stat.S_ISREG(st.st_mode)


def _in_an_output_folder(real: str, own: str | None) -> bool:
    """Whether the folder ``real`` (a real path) is, or is inside, an output folder.

    One that holds melcli's lock file, :data:`LOCK_NAME`, other than
    ``own``, the run's own OUT (a real path; None for readers such as
    ``melcli info``): a walk from ``OUT/sub`` treats its links as one from
    OUT does, unless OUT is where this run writes.
    """
    while True:
        if real != own and _is_lock_file(real, -1):
            return True
        above = os.path.dirname(real)
        if above == real:
            return False
        real = above


def _real_below(real: str, name: str, path: str, fd: int) -> str:
    """Return the real path of the subfolder ``name`` of the folder ``real``.

    ``real`` is that folder's real path (``path`` the subfolder's path as
    walked): joined with the name, unless the entry is a symbolic link
    (then resolved): one ``lstat``, not one per folder above it (as
    ``os.path.realpath`` does), so a deep tree costs no more per level.
    """
    try:
        st = os.lstat(name, dir_fd=fd) if fd >= 0 else os.lstat(path)
    except OSError:
        return os.path.realpath(path)
    if stat.S_ISLNK(st.st_mode):
        return os.path.realpath(path)
    return os.path.join(real, name)


#: Whether a folder's entries can be looked up relative to it (Linux, macOS...).
_DIR_FD = os.stat in os.supports_dir_fd and os.open in os.supports_dir_fd
_FOLDER_FLAGS = (
    os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0)
)


def _path_max() -> int:
    try:
        return os.pathconf("/", "PC_PATH_MAX")
    except (OSError, ValueError, AttributeError):
        return 1024


#: The longest path the system takes (Linux: 4096 bytes, its NUL included),
#: and the longest name of a folder's entry.
PATH_MAX, NAME_MAX = _path_max(), 255


def short_enough(folder: str | os.PathLike[str]) -> bool:
    """Return whether the path of every entry of ``folder`` is short enough to use.

    Whether an entry looked up by its name in the open folder is also one
    the system finds by its whole path (a deeper one fails, by path).
    """
    return len(os.fsencode(folder)) + 1 + NAME_MAX < PATH_MAX


def _is_symlink(path: str) -> bool:
    try:
        return stat.S_ISLNK(os.lstat(path).st_mode)
    except OSError:  # ENAMETOOLONG and the like: not known to be a link
        return False


#: An item :func:`first_of_each` keeps or drops.
T = TypeVar("T")


def _unique(jobs: list[Job]) -> list[Job]:
    """Drop repeats of a job: the same file, reached twice, for the same output."""
    return first_of_each(
        jobs, operator.attrgetter("npy_name"), operator.attrgetter("src_name")
    )


def first_of_each(
    items: list[T],
    place: Callable[[T], str],
    source: Callable[[T], str | os.PathLike[str]],
) -> list[T]:
    """Drop the items that are an earlier one's file again, for the same place.

    Two items for one ``place`` (an output, a row) are one when their
    ``source`` files are one file (``a.wav a.wav``, ``audio audio/a.wav``);
    a link of another name is another item. Links are resolved only when two
    items share a place.
    """
    first: dict[str, T] = {}
    seen: set[tuple[str, str]] = set()
    unique = []
    for item in items:
        where = place(item)
        other = first.setdefault(where, item)
        if other is not item:
            seen.add((os.path.realpath(source(other)), where))
            key = (os.path.realpath(source(item)), where)
            if key in seen:
                continue
            seen.add(key)
        unique.append(item)
    return unique


def _drop_collisions(
    candidates: list[Job], result: Plan, *, out_dir: str, fold_case: bool = False
) -> list[Job]:
    """Move jobs whose outputs clash to ``result.problems``, each naming the other.

    With ``fold_case``, outputs that differ only by case clash too. Outputs
    are compared as strings (all are ``OUT_DIR/...``, as :func:`_job` spells
    them).
    """
    may_overwrite = any(
        job.src_name[-4:].lower() in (".npy", ".png") for job in candidates
    )
    if not may_overwrite and _all_clear(candidates, top=len(out_dir), fold=fold_case):
        return candidates
    by_output: dict[str, Job | list[Job]] = {}  # one job, or those that clash
    spelled: dict[str, str] = {}  # folded name -> the spelling first met
    for job in candidates:
        for output in job.output_names:
            key = output.casefold() if fold_case else output
            if fold_case:
                spelled.setdefault(key, output)
            other = by_output.setdefault(key, job)
            if other is not job:
                if isinstance(other, Job):
                    by_output[key] = [other, job]
                else:
                    other.append(job)
    source_suffixes = (
        {_suffix(j.src_name) for j in candidates} if may_overwrite else set()
    )
    sources: set[str] | None = None
    bad: dict[Job, str] = {}
    top = len(out_dir)
    #: Folders of outputs that are no output themselves, nor any folder above.
    clear: set[str] = set()
    for job in candidates:
        for output in job.output_names:
            key = output.casefold() if fold_case else output
            jobs = by_output[key]
            if isinstance(jobs, list):
                others = ", ".join(o.src_name for o in jobs if o is not job)
                name = spelled[key] if fold_case else output
                why = f"output {name} would also be written by {others}"
                if len({o.npy_name for o in jobs}) > 1:
                    why += " (the names differ only by case, and OUT ignores case)"
                bad.setdefault(job, why)
            if may_overwrite and _suffix(output) in source_suffixes:
                if sources is None:
                    sources = {os.path.realpath(j.src_name) for j in candidates}
                if os.path.realpath(output) in sources:
                    bad.setdefault(job, f"output {output} would overwrite an input")
            # OUT/a.npy cannot be a file for a.wav and a folder for a.npy/b.wav.
            parent = output
            passed: list[str] = []
            while True:
                parent = parent.rpartition("/")[0]
                if len(parent) <= top or parent in clear:
                    clear.update(passed)  # and so every folder below it
                    break
                folder = by_output.get(parent.casefold() if fold_case else parent)
                if folder is None:
                    passed.append(parent)
                    continue
                passed = []  # not clear: nor any folder below it
                for other in folder if isinstance(folder, list) else [folder]:
                    bad.setdefault(
                        job,
                        f"output {output} needs {parent} to be a folder, "
                        f"but {other.src_name} writes it as a file",
                    )
                    bad.setdefault(
                        other,
                        f"output {parent} is also the folder of {output} "
                        f"(from {job.src_name})",
                    )
    if not bad:
        return candidates
    for job in candidates:
        if job in bad:
            result.problems.append(Problem(job.src, bad[job], job.rel))
    return [j for j in candidates if j not in bad]


def _all_clear(
    candidates: list[Job], *, top: int, fold: bool, folders: set[str] | None = None
) -> bool:
    """Return whether no two outputs are one, and none is another's folder.

    Looked at on the names all at once (the usual plan, quickly); False sends
    the plan through :func:`_drop_collisions`' look at each job. ``top`` is
    the length of OUT's name: the folders of OUT and above are no output.
    ``folders`` holds (at least) the folders of the outputs, if known.
    """
    outputs = [job[2] for job in candidates]  # npy_name, png_name: no call each
    outputs += [job[3] for job in candidates if job[3] is not None]
    names = {name.casefold() for name in outputs} if fold else set(outputs)
    if len(names) < len(outputs):
        return False
    if folders is None:
        folders = {name.rpartition("/")[0] for name in outputs}
    above: set[str] = set()
    for folder in folders:
        while len(folder) > top and folder not in above:
            above.add(folder)
            folder = folder.rpartition("/")[0]
    if fold:
        above = {folder.casefold() for folder in above}
    return above.isdisjoint(names)


def _suffix(path: str) -> str:
    """Return the lower-cased suffix of ``path``'s last name (pathlib's ``suffix``)."""
    name = path.rpartition("/")[2]
    dot = name.rfind(".")
    return name[dot:].lower() if 0 < dot < len(name) - 1 else ""

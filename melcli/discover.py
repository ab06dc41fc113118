"""Find the audio files under the inputs and plan one job per file.

A directory given as input is walked recursively in sorted order and mirrored
into the output folder: ``SRC/dogs/bark1.wav`` → ``OUT/dogs/bark1.npy``. A file
given directly maps to ``OUT/<stem>.npy`` and is taken whatever its extension.
Every path passed over is recorded with the reason, so ``--verbose`` can say why.
"""

from __future__ import annotations

import fnmatch
import os
import stat
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

#: Extensions (lower case, no dot) of what libsndfile decodes.
DEFAULT_EXTENSIONS: frozenset[str] = frozenset(
    {
        "aif",
        "aifc",
        "aiff",
        "au",
        "caf",
        "flac",
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
    """

    src: Path
    rel: str
    npy: Path
    png: Path | None = None

    @property
    def outputs(self) -> tuple[Path, ...]:
        """Every path this job writes."""
        return (self.npy,) if self.png is None else (self.npy, self.png)


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
        if include and not any(fnmatch.fnmatchcase(rel, p) for p in include):
            found.skipped.append(Skipped(path, "does not match --include"))
            return False
        if any(fnmatch.fnmatchcase(rel, p) for p in exclude):
            found.skipped.append(Skipped(path, "matches --exclude"))
            return False
        return True

    for source in sources:
        src = Path(source)
        if src.is_dir():
            for path, rel in _walk(src, out_real, exts, found):
                if keep(rel, path):
                    found.files.append((path, rel))
        elif keep(src.name, src):
            found.files.append((src, src.name))
    return found


def plan(
    sources: Sequence[str | os.PathLike[str]],
    out: str | os.PathLike[str],
    *,
    extensions: Iterable[str] = DEFAULT_EXTENSIONS,
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
    png: bool = False,
) -> Plan:
    """Find the audio under ``sources`` and plan the jobs that write into ``out``.

    See :func:`find_audio` for the parameters; ``png`` also plans a ``.png``
    next to each ``.npy``.

    Returns
    -------
    Plan
        Jobs in sorted order. Jobs whose outputs would collide are not in
        ``jobs``: each is in ``problems`` with a reason naming the other input.
    """
    out_dir = Path(out)
    found = find_audio(
        sources, out=out_dir, extensions=extensions, include=include, exclude=exclude
    )
    result = Plan(skipped=found.skipped, problems=found.problems)
    candidates = [_job(path, rel, out_dir, png) for path, rel in found.files]
    # The same file reached twice the same way is one job.
    result.jobs = _drop_collisions(list(dict.fromkeys(candidates)), result)
    return result


def _job(src: Path, rel: str, out_dir: Path, png: bool) -> Job:
    stem = Path(rel).with_suffix("") if Path(rel).suffix else Path(rel)
    npy = out_dir / f"{stem}.npy"
    return Job(src=src, rel=rel, npy=npy, png=out_dir / f"{stem}.png" if png else None)


def _walk(
    root: Path, out_real: str | None, exts: frozenset[str], result: Found
) -> Iterator[tuple[Path, str]]:
    """Yield ``(path, relative posix path)`` of audio files below ``root``, sorted.

    Symlinks to files are followed; symlinks to folders are followed unless
    they lead back to a folder already being walked (a loop).
    """
    root_real = os.path.realpath(root)
    if root_real == out_real:
        return
    stack: list[tuple[Path, str, frozenset[str]]] = [(root, "", frozenset({root_real}))]
    while stack:
        folder, prefix, ancestors = stack.pop()
        try:
            with os.scandir(folder) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            reason = (exc.strerror or type(exc).__name__).lower()
            result.problems.append(Problem(folder, f"cannot read folder: {reason}"))
            continue
        subfolders: list[tuple[Path, str, frozenset[str]]] = []
        for entry in entries:
            path = folder / entry.name
            rel = f"{prefix}{entry.name}"
            if entry.name.startswith("."):
                result.skipped.append(Skipped(path, "hidden"))
                continue
            try:
                st = os.stat(path)
            except OSError:
                if entry.is_symlink():
                    result.skipped.append(Skipped(path, "dangling symlink"))
                else:
                    result.problems.append(Problem(path, "cannot stat"))
                continue
            if stat.S_ISDIR(st.st_mode):
                real = os.path.realpath(path)
                if real == out_real:
                    result.skipped.append(Skipped(path, "output folder"))
                elif real in ancestors:
                    result.skipped.append(Skipped(path, "symlink loop"))
                else:
                    subfolders.append((path, f"{rel}/", ancestors | {real}))
            elif Path(entry.name).suffix[1:].lower() not in exts:
                result.skipped.append(Skipped(path, "not an audio extension"))
            else:
                yield path, rel
        # Reversed onto the stack so that folders come out in sorted order.
        stack.extend(reversed(subfolders))


def _drop_collisions(candidates: list[Job], result: Plan) -> list[Job]:
    by_output: dict[Path, list[Job]] = defaultdict(list)
    for job in candidates:
        for output in job.outputs:
            by_output[output].append(job)
    sources = {os.path.realpath(j.src) for j in candidates}
    bad: dict[Job, str] = {}
    for output, jobs in by_output.items():
        if len(jobs) > 1:
            for job in jobs:
                others = ", ".join(str(o.src) for o in jobs if o is not job)
                bad.setdefault(
                    job, f"output {output} would also be written by {others}"
                )
        if os.path.realpath(output) in sources:
            for job in jobs:
                bad.setdefault(job, f"output {output} would overwrite an input")
    for job, reason in bad.items():
        result.problems.append(Problem(job.src, reason))
    return [j for j in candidates if j not in bad]

"""``--shard I/N``: split a dataset across machines with no coordinator.

Shard ``I`` of ``N`` takes the inputs whose name hashes to ``I``: the BLAKE2b
digest of the input's path relative to its SRC argument, modulo ``N``. The
choice depends on nothing but that name, so every machine makes the same one
without talking to the others, and adding or removing a file moves no other
file to another shard.

Each shard keeps its own manifest part, ``OUT/manifest.shard-IIII-of-NNNN.jsonl``
(with its own journal and lock), so the N shards of a Slurm array job or a
Kubernetes indexed job can write into one OUT at the same time. A shard sees
only its own inputs: it neither rebuilds, reports as stale nor prunes another
shard's. :func:`merge` then combines the parts into ``OUT/manifest.jsonl``, the
manifest a later unsharded run reads, and checks that every input is accounted
for exactly once.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import posixpath
from collections.abc import Container, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import interrupts, segment
from .discover import DEFAULT_EXTENSIONS, Job, Plan, plan
from .errors import UsageError, os_reason
from .filelist import FileList
from .inputs import (
    check_each_source,
    check_extensions,
    check_list_options,
    check_out_folder,
    extension_set,
    one_or_many,
    path_of,
    read_listed,
    readable_twice,
)
from .manifest import (
    MANIFEST_NAME,
    SHARD_PART,
    Entry,
    Manifest,
    arrays_differ,
    read_only_problem,
    read_valid,
    relative_key,
    write_entries,
)
from .outdir import LOCK_NAME, OutDir, OutputLock
from .params import MelParams
from .report import display_path
from .storage.webdataset import is_sample


@dataclass(frozen=True)
class Shard:
    """Shard ``index`` of ``count`` (``0 <= index < count``)."""

    index: int
    count: int

    @classmethod
    def parse(cls, text: str) -> Shard:
        """Read ``"I/N"``, e.g. ``"3/10"`` or ``$SLURM_ARRAY_TASK_ID/$N``.

        Raises
        ------
        UsageError
            If ``text`` is not two integers with ``0 <= I < N``.
        """
        index, _, count = text.partition("/")
        try:
            shard = cls(int(index), int(count))
        except ValueError:
            shard = None
        if shard is None or not 0 <= shard.index < shard.count:
            raise UsageError(
                f"shard={text!r} must be I/N with 0 <= I < N, e.g. 0/4 ... 3/4"
            )
        return shard

    @property
    def tag(self) -> str:
        """``shard-0003-of-0010``: names this shard's manifest part, journal, lock."""
        width = max(4, len(str(self.count)))
        return f"shard-{self.index:0{width}d}-of-{self.count:0{width}d}"

    def owns(self, name: str) -> bool:
        """Return whether the input called ``name`` belongs to this shard."""
        return shard_of(name, self.count) == self.index

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


def shard_of(name: str, count: int) -> int:
    """Return the shard (of ``count``) of the input called ``name``.

    Examples
    --------
    >>> shard_of("dogs/bark1.wav", 1)
    0
    """
    raw = name.encode("utf-8", "surrogateescape")
    digest = hashlib.blake2b(raw, digest_size=8).digest()
    return int.from_bytes(digest, "big") % count


class ShardPlan(Plan):
    """A shard's part of a plan, and the jobs of the other shards.

    ``others``: the jobs of the whole plan that are other shards' (their
    outputs are live: this shard never deletes them, whatever its manifest
    part says). Not a dataclass of its own: making one costs every command
    some millions of instructions at import.
    """

    def __init__(self, *, others: list[Job], **fields: Any) -> None:
        super().__init__(**fields)
        self.others = others


def select(the_plan: Plan, shard: Shard) -> ShardPlan:
    """Return the part of ``the_plan`` that is ``shard``'s business.

    Jobs go by their path relative to SRC (:attr:`Job.rel`); paths passed
    over or failing before any work go by their path as reached.
    """
    mine: list[Job] = []
    others: list[Job] = []
    for job in the_plan.jobs:
        (mine if shard.owns(job.rel) else others).append(job)
    return ShardPlan(
        jobs=mine,
        skipped=[s for s in the_plan.skipped if shard.owns(os.fsdecode(s.path))],
        problems=[p for p in the_plan.problems if shard.owns(os.fsdecode(p.path))],
        roots=the_plan.roots,
        others=others,
    )


def others_of(the_plan: Plan) -> list[Job]:
    """Return the other shards' jobs of a shard's plan (none for a whole plan)."""
    return the_plan.others if isinstance(the_plan, ShardPlan) else []


def entry_name(entry: Entry) -> str:
    """Return the name a manifest entry's input is sharded by.

    As :func:`select` shards it: an input with an output by its path
    relative to SRC, one without (``src:`` keys: passed over, or failed
    before any work) by its path as reached.
    """
    if str(entry.get("key", "")).startswith("src:"):
        return str(entry.get("source_path", ""))
    return str(entry.get("source") or entry.get("source_path", ""))


@dataclass
class ShardManifest(Manifest):
    """One shard's manifest part, with its own journal.

    Loaded with :meth:`load_part`: the part, then the entries of this shard in
    ``OUT/manifest.jsonl`` the part does not have (a shard run after an
    unsharded one, or after the parts were merged and removed, starts from what
    is already built).
    """

    shard: Shard = field(default_factory=lambda: Shard(0, 1))

    @property
    def path(self) -> Path:
        """``OUT/manifest.shard-IIII-of-NNNN.jsonl``."""
        return self.out / f"manifest.{self.shard.tag}.jsonl"

    @property
    def journal_path(self) -> Path:
        """``OUT/.melcli-journal.shard-IIII-of-NNNN.jsonl``."""
        return self.out / f".melcli-journal.{self.shard.tag}.jsonl"

    @classmethod
    def load_part(
        cls, out: Path, shard: Shard, *, others: Iterable[Job] = ()
    ) -> ShardManifest:
        """Read ``shard``'s part (and journal), completed from the whole manifest.

        ``others`` are the jobs of the other shards: an entry for one of their
        outputs (a crafted one, or an input renamed into another shard) is
        dropped, so that this shard never prunes or rebuilds what another
        shard writes: the output is kept, and left to its own shard.

        Raises
        ------
        UsageError
            If ``OUT/manifest.jsonl`` records samples in tar shards (``--format
            webdataset``): those tars hold every shard's samples, and a shard
            would delete the ones its own part does not point at.
        """
        manifest = cls.load(out, shard=shard, check_arrays=True)
        # The whole manifest read as a run reads it: its store, unless
        # manifest.jsonl is no longer the store's view.
        whole = Manifest.load(out, read_only=True)
        differ = 0
        for entry in whole.entries.values():
            if is_sample(entry):
                raise UsageError(
                    f"{display_path(out)} holds --format webdataset samples, which "
                    "--shard cannot change: convert it with one run without "
                    "--shard, or give the shards another OUT"
                )
            if entry["key"] not in manifest.entries and shard.owns(entry_name(entry)):
                # Those it takes (and only those: the others are not its to
                # rebuild) are checked against their arrays, as a run checks
                # entries it cannot trust.
                if manifest._array_differs(entry):
                    entry = manifest._array_changed(entry)
                    differ += 1
                manifest.entries[entry["key"]] = entry
        # Those found reading them too; in the words of a reader: a shard
        # rebuilds no store (the next run without --shard does).
        manifest.problems.extend(map(read_only_problem, whole.problems))
        if differ:
            manifest.problems.append(arrays_differ(whole.source, differ))
        manifest._drop_others(others)
        return manifest

    def _drop_others(self, others: Iterable[Job]) -> None:
        """Drop the entries whose outputs are those of ``others`` (other shards' jobs).

        By the output's name without ``.npy``, so that either segment layout
        of another shard's input is its own: ``a.npy`` and ``a.000.npy``.
        """
        stems = {relative_key(job.npy_name, self.out)[: -len(".npy")] for job in others}
        if not stems:
            return
        theirs = [key for key in self.entries if _stem_in(key, stems)]
        for key in theirs:
            del self.entries[key]
        if theirs:
            self.problems.append(
                f"{self.path}: dropped {len(theirs)} "
                f"{'entry' if len(theirs) == 1 else 'entries'} of inputs "
                "other shards write (their outputs are kept, left to those shards)"
            )


def _stem_in(key: str, stems: Container[str]) -> bool:
    """Return whether the output ``key`` (``a.npy``, ``a.000.npy``) is of ``stems``."""
    if key.removesuffix(".npy") in stems:
        return True
    base = segment.segment_base(posixpath.basename(key))
    return base is not None and posixpath.join(posixpath.dirname(key), base) in stems


def lock_name(shard: Shard) -> str:
    """Return the lock file only ``shard``'s run holds (all share ``.melcli.lock``)."""
    return f"{LOCK_NAME[: -len('.lock')]}.{shard.tag}.lock"


# ------------------------------------------------------------------ merge
@dataclass
class MergeReport:
    """What :func:`merge` found; ``exit_code`` says whether OUT is complete."""

    shards: int = 0
    entries: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    #: Why the parts cannot be merged (nothing is written then).
    errors: list[str] = field(default_factory=list)
    #: Inputs that failed in their shard (path, reason).
    failed: list[tuple[str, str]] = field(default_factory=list)
    #: Entries dropped from the parts (invalid: their inputs are rebuilt).
    warnings: list[str] = field(default_factory=list)
    #: Given SRC or a list: inputs no shard covered.
    uncovered: list[Path] = field(default_factory=list)
    #: Manifest parts found, and whether they fit together.
    parts: int = 0
    fit: bool = False
    written: bool = False

    @property
    def exit_code(self) -> int:
        """2 if nothing was merged, 1 if inputs failed or went uncovered, else 0."""
        if self.errors:
            return 2
        return 1 if self.failed or self.uncovered else 0

    def to_json(self) -> dict[str, object]:
        """Return what :func:`merge` found for ``melcli merge --json``."""
        return {
            "merged": self.written and not self.errors,
            "shards": self.shards,
            "parts": self.parts,
            "inputs": self.entries,
            "counts": dict(sorted(self.counts.items())),
            "failures": [{"path": p, "reason": why} for p, why in self.failed],
            "uncovered": [os.fsdecode(p) for p in self.uncovered],
            "warnings": list(self.warnings),
            "errors": list(self.errors),
            "exit_code": self.exit_code,
        }

    def summary(self) -> str:
        """One line, e.g. ``merged 4 shards: 120 inputs (118 written, 2 failed).``."""
        if self.errors and self.fit:  # but the manifest could not be written
            return "nothing merged."
        if self.errors and self.parts:
            return "nothing merged: the manifest parts do not fit together."
        if self.errors:
            return "nothing merged: no manifest parts."
        detail = ", ".join(f"{n} {status}" for status, n in sorted(self.counts.items()))
        line = f"merged {self.shards} shards: {self.entries} inputs ({detail})."
        if self.uncovered:
            line += f" In no shard: {len(self.uncovered)} of the inputs given."
        return line


@interrupts.stops_on_signals
def merge(
    out: str | os.PathLike[str],
    *,
    sources: Sequence[str | os.PathLike[str]] | str | os.PathLike[str] = (),
    extensions: Iterable[str] | str = DEFAULT_EXTENSIONS,
    include: Sequence[str] | str = (),
    exclude: Sequence[str] | str = (),
    files_from: str | os.PathLike[str] | FileList | None = None,
    path_column: str | None = None,
    root: str | os.PathLike[str] | None = None,
) -> MergeReport:
    """Combine the shards' manifest parts under ``out`` into ``out/manifest.jsonl``.

    Every shard ``0 .. N-1`` of one ``N`` must have a finished part (no
    journal left), and no input may be in two parts; otherwise nothing is
    written. With ``sources`` or ``files_from`` (and the selection the shards
    ran with: ``path_column``, ``root`` as :func:`melcli.run` takes them), the
    inputs found there that no part covers are listed. The parts are kept: a
    shard can be run again and the parts merged again. A journal of an
    interrupted unsharded run is left alone (the next run folds it in).

    It holds ``out``'s exclusive lock meanwhile, as ``melcli merge`` does.

    Raises
    ------
    UsageError
        If a run (a shard) is writing to ``out``.
    ParameterError
        If ``out`` is no folder (``param="out"``), a source does not exist
        (``param="sources"``), ``extensions`` names none, or ``path_column``
        or ``root`` is given without ``files_from``, as ``melcli merge OUT
        SRC`` refuses them.
    UsageError
        If the list cannot be read, as :func:`melcli.run` says it.
    """
    check_out_folder(out)  # as the command says it; not the current folder
    sources = list(one_or_many(sources, param="sources"))  # "audio/": one, not 6
    check_each_source(sources)
    # As run() takes them: "wav" is one extension and "dogs/*" one pattern
    # (letter by letter, "*" took every file, "w", "a", "v" none).
    extensions = readable_twice(extensions)
    check_extensions(extensions)
    extensions = extension_set(extensions)
    include = tuple(one_or_many(include, param="include"))
    exclude = tuple(one_or_many(exclude, param="exclude"))
    check_list_options(files_from, path_column=path_column, root=root)
    listed = read_listed(files_from, path_column=path_column, root=root)
    folder = path_of(out, param="out")
    # A folder with no part is said so without its lock, whose file would be
    # left in a folder melcli never wrote (melcli merge audio/).
    unlocked = not _find_parts(folder, MergeReport())
    with contextlib.nullcontext() if unlocked else OutputLock(folder):
        return _merge(
            folder,
            sources=sources,
            extensions=extensions,
            include=include,
            exclude=exclude,
            listed=listed,
        )


def _merge(
    out: Path,
    *,
    sources: Sequence[str | os.PathLike[str]],
    extensions: Iterable[str],
    include: Sequence[str],
    exclude: Sequence[str],
    listed: FileList | None,
) -> MergeReport:
    report = MergeReport()
    found = _find_parts(out, report)
    parts = {index: path for (index, _), path in found.items()}
    counts = {count for _, count in found}
    report.parts = len(parts)
    if not parts:
        report.errors.append(
            f"no manifest parts (manifest.shard-*.jsonl) in {out}: nothing to merge "
            "(run 'melcli mel --shard I/N' into it first)"
        )
        return report
    if report.errors:
        return report
    if len(counts) > 1:
        report.errors.append(
            "manifest parts of different shard counts ("
            + ", ".join(map(str, sorted(counts)))
            + "): remove those of the runs you do not want"
        )
        return report
    (count,) = counts
    report.shards = count
    missing = _missing(sorted(parts), count)
    if missing:
        one = missing.isdigit()
        report.errors.append(
            f"no manifest part for {'shard' if one else 'shards'} {missing} of "
            f"{count}: run {'it' if one else 'them'} "
            f"('melcli mel ... --shard {missing if one else 'I'}/{count}' "
            f"into {out}), then merge"
        )
    merged: dict[str, Entry] = {}
    owner: dict[str, int] = {}
    twice: dict[tuple[int, int], list[str]] = {}
    for index, path in sorted(parts.items()):
        shard = Shard(index, count)
        if os.path.lexists(ShardManifest(out=out, shard=shard).journal_path):
            report.errors.append(
                f"shard {shard} was interrupted (its journal is left): "
                "run it again, then merge"
            )
        entries, problem = read_valid(path)
        if problem:
            report.warnings.append(problem)
        for entry in entries:
            key = entry["key"]
            if key in owner and owner[key] != index:
                twice.setdefault((owner[key], index), []).append(key)
            owner[key] = index
            merged[key] = entry
    for (first, then), keys in twice.items():
        report.errors.extend(_in_two_parts(keys, first, then, count))
    if report.errors:
        return report
    report.fit = True
    _drop_not_in_out(out, merged, report)
    report.entries = len(merged)
    for entry in merged.values():
        status = str(entry.get("status", "?"))
        report.counts[status] = report.counts.get(status, 0) + 1
        if status == "failed":
            report.failed.append(
                (str(entry.get("source_path", entry["key"])), entry.get("error", ""))
            )
    if sources or listed is not None:
        the_plan = plan(
            sources,
            out,
            extensions=extensions,
            include=include,
            exclude=exclude,
            listed=listed,
        )
        # By input rather than by key: a key also depends on settings the
        # merge does not know (segment files, storage format).
        covered = {e.get("source_abs") for e in merged.values()}
        report.uncovered = [
            job.src for job in the_plan.jobs if os.path.abspath(job.src) not in covered
        ]
    try:
        write_entries(out / MANIFEST_NAME, merged)
    except OSError as exc:
        report.errors.append(f"cannot write {out / MANIFEST_NAME}: {os_reason(exc)}")
        return report
    report.written = True
    return report


def _drop_not_in_out(out: Path, merged: dict[str, Entry], report: MergeReport) -> None:
    """Drop the entries of ``merged`` whose outputs are not in OUT as recorded.

    A part is OUT's, untrusted: an entry's outputs may have been deleted or
    changed since, or a folder on their way swapped for a symbolic link out
    of OUT. Such an entry is not counted as written (its input is rebuilt by
    the next run, as the run itself would find it), with one warning.
    """
    outdir = OutDir(out)
    dropped: list[str] = []
    why = ""
    for key, entry in merged.items():
        stamps = entry.get("stamps")
        if not stamps or entry.get("status") == "failed":
            continue
        for name, recorded in stamps.items():
            if outdir.stamp(name) != recorded:
                dropped.append(key)
                problem = outdir.folder_problem(name.rpartition("/")[0])
                why = why or (problem or f"{out / name}: missing or changed")
                break
    for key in dropped:
        del merged[key]
    if dropped:
        one = len(dropped) == 1
        report.warnings.append(
            f"{out / MANIFEST_NAME}: dropped {len(dropped)} "
            f"{'entry' if one else 'entries'} whose outputs are not in OUT as "
            f"{'its' if one else 'their'} manifest part records (e.g. {dropped[0]}: "
            f"{why}); {'its input is' if one else 'their inputs are'} rebuilt"
        )


def _in_two_parts(keys: list[str], first: int, then: int, count: int) -> list[str]:
    """Say which ``keys`` are in the parts of shards ``first`` and ``then``.

    One line each for a few; past :data:`SHOWN_TWICE`, one line for them all
    (a crafted or mistaken part can hold thousands), naming the first few.
    """
    shards = f"the parts of shards {first} and {then} of {count}"
    if len(keys) <= SHOWN_TWICE:
        return [f"{key} is in {shards}" for key in keys]
    shown = ", ".join(keys[:SHOWN_TWICE])
    more = len(keys) - SHOWN_TWICE
    return [f"{len(keys)} inputs are in {shards}: {shown} and {more} more"]


#: Inputs in two shards' parts said one line each; more are said in one line.
SHOWN_TWICE = 5


def _find_parts(out: Path, report: MergeReport) -> dict[tuple[int, int], Path]:
    """Return the manifest parts in ``out`` by ``(index, count)``.

    Their names are OUT's, so untrusted: melcli writes ``I < N``, one name
    each; a part that is no regular file, numbered past its count or found
    under two names is an error in ``report``.
    """
    found: dict[tuple[int, int], Path] = {}
    for path in sorted(out.glob("manifest.shard-*-of-*.jsonl")):
        match = SHARD_PART.fullmatch(path.name)
        if not match:
            continue
        index, count = int(match[1]), int(match[2])
        if path.is_symlink() or not path.is_file():
            report.errors.append(f"{path} is not a regular file: remove it")
        elif index >= count:
            report.errors.append(
                f"{path} names shard {index} of {count}, which no run writes: remove it"
            )
        elif (index, count) in found:
            report.errors.append(
                f"{found[index, count]} and {path} are both shard {index} of "
                f"{count}: remove the one you do not want"
            )
        else:
            found[index, count] = path
    return found


def _missing(present: list[int], count: int, *, shown: int = 10) -> str:
    """Name the numbers below ``count`` not in the sorted ``present``.

    ``[0, 4, 8], 10`` -> ``"1-3, 5-7, 9"``. The work is in the parts found,
    not in ``count`` (a crafted part name may claim 10**12 shards); after
    ``shown`` spans the rest is counted.
    """
    spans: list[tuple[int, int]] = []
    for low, high in zip([-1, *present], [*present, count], strict=True):
        if high - low > 1:
            spans.append((low + 1, high - 1))
    text = ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in spans[:shown])
    if len(spans) > shown:
        text += f" and {len(spans) - shown} more ranges"
    return text


def with_shard(the_plan: Plan, shard: Shard | None) -> Plan:
    """Return ``the_plan``, or its part for ``shard`` when one is given."""
    return the_plan if shard is None else select(the_plan, shard)


def owned_outputs(the_plan: Plan, *, params: MelParams) -> Container[Path]:
    """Every output path of the plan's jobs (what a shard may sweep temp files of).

    With one file per segment, a job's outputs are ``NAME.000.npy``,
    ``NAME.001.npy``, ... of its planned ``NAME.npy``.
    """
    outputs = {output for job in the_plan.jobs for output in job.outputs}
    return _Segments(outputs) if segment.files_layout(params) else outputs


class _Segments:
    """The segment files ``NAME.NNN.npy`` of a set of planned ``NAME.npy``."""

    def __init__(self, planned: set[Path]) -> None:
        self.planned = planned

    def __contains__(self, path: object) -> bool:
        if not isinstance(path, Path):
            return False
        base = segment.segment_base(path.name)
        return base is not None and path.with_name(base + ".npy") in self.planned


__all__ = [
    "MergeReport",
    "Shard",
    "ShardManifest",
    "ShardPlan",
    "entry_name",
    "lock_name",
    "merge",
    "others_of",
    "owned_outputs",
    "select",
    "shard_of",
    "with_shard",
]

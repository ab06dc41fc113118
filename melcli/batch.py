"""A whole run: decide what to build against the manifest, run it, report.

:func:`decide` compares the planned jobs with ``OUT/manifest.jsonl``;
:func:`run_plan` hands the work to a runner, records every result in the
report and the manifest, and commits the manifest even when interrupted.
The whole run around it (lock, manifest, runner, storage, statistics) is
:mod:`melcli.session`'s.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import os
import signal
import stat
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from . import _collector, interrupts, segment
from .discover import (
    DEFAULT_EXTENSIONS,
    Job,
    Plan,
    Task,
    collector_paused,
    job_field,
)
from .errors import MelcliError, describe_exception
from .manifest import (
    Entry,
    EntryTooLong,
    Manifest,
    file_stamp,
    own_key,
    relative_key,
    versions,
)
from .outdir import OutDir, folder_id
from .params import MelParams, RenderParams, policies_applied
from .report import Report, Result, Status, display_path, up_to_date_result
from .runners import CountedItems, Runner, run_batches
from .storage import (
    Storage,
    storage_for,
    storage_of,
    storages_in,
    wants_nothing_for_plain,
)
from .work import TaskWork
from .write import remove_temp_files


@dataclass
class BuildPlan:
    """What an incremental run will do, decided against the manifest."""

    tasks: list[Task] = field(default_factory=list)
    #: Why each task's job is (re)built, by source path (``Job.src_name``: a
    #: string the job holds already, not a Path of some 400 bytes per input).
    reasons: dict[str, str] = field(default_factory=dict)
    up_to_date: list[Job] = field(default_factory=list)
    #: Per up-to-date job: 1 if its entry's status changes from ``written``
    #: (the usual entry, found so without reading it), else 0. A byte each,
    #: not a set of keys: the first re-run after a build flips every input.
    flips: bytearray = field(default_factory=bytearray)
    stale: list[str] = field(default_factory=list)
    #: The input stamps the decisions were made on (what the manifest records),
    #: by source path, of the jobs to build that do not carry theirs
    #: (:attr:`Job.stamp`, found by the walk: the usual job); see :meth:`stamp`.
    inputs: dict[str, list[int] | None] = field(default_factory=dict)
    #: Makes :attr:`keys`, on first use.
    make_keys: Callable[[], set[str]] = set
    #: Jobs that fail before any work, and why: an output folder that leads
    #: outside OUT (a symbolic link).
    refused: list[tuple[Job, str]] = field(default_factory=list)
    #: Keys of the entries, of inputs this run leaves out (``--include``, a
    #: narrower SRC), whose outputs were made with other settings.
    other_settings: list[str] = field(default_factory=list)
    #: ``(key, then, now)`` of the outputs to build whose entry was made from
    #: another input that is still there (two SRC folders with the same
    #: names run into one OUT): this run replaces that input's output.
    taken_over: list[tuple[str, str, str]] = field(default_factory=list)
    #: ``(key, earlier keys)`` of the inputs to build at a new place in OUT,
    #: whose outputs at their earlier places the run deletes.
    moved: list[tuple[str, list[str]]] = field(default_factory=list)
    #: Keys of the other up-to-date inputs whose entry changes all the same:
    #: its status (``written`` before) or its table row (``meta``).
    refresh: set[str] = field(default_factory=set)
    #: Keys of the entries, of inputs this run leaves out, whose outputs lie
    #: under a folder leading out of OUT: forgotten (see :meth:`Manifest.astray`).
    astray: list[str] = field(default_factory=list)
    #: Keys of the other entries of inputs this run leaves out whose outputs
    #: are all gone: forgotten (see :meth:`Manifest.vanished`).
    vanished: list[str] = field(default_factory=list)
    #: Keys of the ``src:`` entries (passed over before) of inputs this run
    #: takes: forgotten (see :meth:`Manifest.taken_now`).
    taken_now: list[str] = field(default_factory=list)
    _keys: set[str] | None = field(default=None, repr=False)

    def stamp(self, job: Job) -> list[int] | None:
        """Return the input stamp ``job`` was decided on."""
        return self.inputs.get(job.src_name, job.stamp)

    @property
    def keys(self) -> set[str]:
        """The manifest keys of this run's jobs.

        Made when first asked for: a re-run in which every entry is one of
        its inputs (the usual one) needs none, and a set of 100 000 names is
        a tenth of the memory of such a run.
        """
        if self._keys is None:
            self._keys = self.make_keys()
        return self._keys


def decide(
    the_plan: Plan,
    manifest: Manifest,
    *,
    params: MelParams,
    force: bool = False,
    storage: Storage | None = None,
    render: RenderParams | None = None,
) -> BuildPlan:
    """Split the jobs into what must be built, what only needs its PNG, and the rest.

    Jobs are first laid out as ``params`` asks (:func:`melcli.segment.plan_job`:
    with one file per segment, a job's array is its first segment).
    ``manifest`` is OUT's, or an empty one (``Manifest(out=OUT)``): then
    everything is new. ``storage`` is the run's format (default: ``npy``);
    an input stored in another format is rebuilt, and what an input whose
    array is up to date still needs (a PNG missing, or drawn with other
    :class:`RenderParams`) is the format's to say (:meth:`Storage.redo`).

    A job to build whose outputs cannot be written into OUT (a folder on
    their way leads outside it through a symbolic link) is refused
    (:attr:`BuildPlan.refused`).
    """
    with collector_paused():  # a few objects per input, none in a cycle
        return _decide(
            the_plan,
            manifest,
            params=params,
            force=force,
            storage=storage or storage_for("npy"),
            render=render,
        )


def _decide(
    the_plan: Plan,
    manifest: Manifest,
    *,
    params: MelParams,
    force: bool,
    storage: Storage,
    render: RenderParams | None,
) -> BuildPlan:
    settings = params.fingerprint()
    drawn_as = (render or RenderParams()).fingerprint()
    out = manifest.out
    elsewhere = _Elsewhere(manifest)

    def planned() -> Iterator[Job]:
        if not segment.files_layout(params):
            return iter(the_plan.jobs)
        return (segment.plan_job(j, params=params) for j in the_plan.jobs)

    key_of = _key_of(out)
    build = BuildPlan(make_keys=lambda: {key_of(job.npy_name) for job in planned()})
    manifest.outdir.live = lambda: build.keys  # never deleted by another name
    # key_of inlined for the usual output (a call less per input).
    prefix = os.path.join(os.fspath(out), "") if os.sep == "/" else "\0"
    start = len(prefix)
    entries, up_to_date, flips = manifest.entries, build.up_to_date, build.flips
    # What the format may still want of an input up to date (npy: nothing of
    # one without a PNG or a table row, and is not asked: the usual input).
    wants = None if wants_nothing_for_plain(storage) else storage.redo
    other = functools.partial(
        _decide_other,
        build,
        manifest,
        elsewhere,
        params=params,
        settings=settings,
        force=force,
        storage=storage,
        drawn_as=drawn_as,
    )
    known = seen = 0  # of the entries, how many are this run's inputs; jobs seen
    jobs: Iterable[Job] = planned()
    sifted = not force and wants is None and storage.name == "npy"
    if sifted:  # the usual inputs up to date, taken off in one loop
        jobs = manifest.sift_unchanged(
            jobs, settings=settings, up_to_date=up_to_date, flips=flips
        )
    # Each folder of OUT the others are looked up in is checked once, as the
    # loop leaves it (see _decide_again).
    recent: list[tuple[Job, str, list[int] | None]] = []
    again, folder = recent[:], None
    with (
        manifest.unchanged_test(settings=settings, format=storage.name) as unchanged,
        manifest.outdir.checked_by_folder() as moved,
    ):
        for job in jobs:
            seen += 1
            src, _, npy, png, meta, size, mtime = job  # at once, not a call each
            key = npy[start:] if npy[:start] == prefix else relative_key(npy, out)
            stamp = file_stamp(src) if size is None else [size, mtime]
            if not (force or png or meta):  # the usual re-run's input
                status = unchanged(key, stamp)
                if status and (
                    wants is None or not wants(manifest, key, job, drawn_as=drawn_as)
                ):
                    up_to_date.append(job)
                    flips.append(status != "up-to-date")
                    known += 1
                    continue
            known += key in entries
            here = key.rpartition("/")[0]
            if here != folder:
                if moved():
                    again += recent
                recent, folder = [], here
            ups, tasks = len(up_to_date), len(build.tasks)
            other(job, key, stamp)
            if len(up_to_date) > ups or (  # found in OUT as recorded
                len(build.tasks) > tasks and build.tasks[-1].render_only
            ):
                recent.append((job, key, stamp))
        if moved():
            again += recent
    if again:
        _decide_again(build, again, other)
    if sifted:  # those it took off are entries of this run's inputs
        known += len(the_plan.jobs) - seen
    if known < len(entries):  # some entry is of an input left out, or gone
        build.stale = manifest.stale(build.keys, the_plan.jobs, roots=the_plan.roots)
        build.astray = manifest.astray(build.keys, build.stale)
        skip = (*build.stale, *build.astray)
        build.vanished = manifest.vanished(build.keys, skip)
        jobs = the_plan.jobs
        build.taken_now = manifest.taken_now(
            build.keys, lambda: {job.src_name: _absolute(job.src_name) for job in jobs}
        )
        build.other_settings = _other_settings(the_plan, manifest, build, settings)
    return build


def _decide_again(
    build: BuildPlan,
    again: list[tuple[Job, str, list[int] | None]],
    decide: Callable[[Job, str, list[int] | None], None],
) -> None:
    """Take ``again``'s jobs back from ``build`` and ``decide`` on them anew.

    Their arrays were found, up to date (or only a PNG to draw), in a folder
    of OUT that moved while it was held (out of OUT, or renamed): looked up
    again by their names. The folders are checked once each, as the loop
    goes on to another and at its end (:meth:`OutDir.checked_by_folder`),
    not before each look-up (a ``stat`` an input).
    """
    taken = {id(job) for job, _, _ in again}
    keep = [i for i, job in enumerate(build.up_to_date) if id(job) not in taken]
    build.up_to_date[:] = [build.up_to_date[i] for i in keep]
    build.flips[:] = bytes(build.flips[i] for i in keep)
    build.tasks[:] = [
        t for t in build.tasks if not (t.render_only and id(t.job) in taken)
    ]
    for job, key, stamp in again:
        build.refresh.discard(key)
        decide(job, key, stamp)


def _decide_other(
    build: BuildPlan,
    manifest: Manifest,
    elsewhere: _Elsewhere,
    job: Job,
    key: str,
    stamp: list[int] | None,
    *,
    params: MelParams,
    settings: str,
    force: bool,
    storage: Storage,
    drawn_as: str,
) -> None:
    """Decide on an input that is not the usual up-to-date one (see :func:`decide`).

    It is built, has only its PNG drawn, is refused, or is up to date after all
    (its entry read). ``settings`` is the fingerprint of ``params``.
    """
    why = (
        "forced"
        if force
        else manifest.why_rebuild(
            key,
            input_stamp=stamp,
            settings=settings,
            format=storage.name,
            policies=params.policies(),
        )
    )
    if why == "new":
        if places := _earlier_places(job, key, elsewhere, params=params):
            build.moved.append((key, places))
            why = f"new place in OUT (was {', '.join(places)})"
    elif why is not None and (was := _made_from_another(manifest, key, job)):
        build.taken_over.append((key, was, job.src_name))
        why = f"made from another input, {_shown_source(was)}, before"
    task = Task(job)
    if why is None:
        redo = storage.redo(manifest, key, job, drawn_as=drawn_as)
        if redo is None:
            build.up_to_date.append(job)
            build.flips.append(False)
            if _refresh(manifest.entries.facts(key), job):
                build.refresh.add(key)
            return
        why, render_only = redo
        sr = manifest.entries[key].get("sr", 0) if render_only else 0
        if isinstance(sr, int) and sr > 0:
            task = Task(job, render_only=True, sr=sr)
        # else (no rate its PNG can be drawn at: an older or a crafted
        # entry) the array is made again with it
    if job.stamp != stamp:  # else the job's own (see BuildPlan.stamp)
        build.inputs[job.src_name] = stamp
    problem = storage.folder_problem(job, manifest.outdir)
    if problem is None and storage.name == "npy":  # another input's, by a link?
        problem = manifest.outdir.live_alias(key)
    if problem is not None:
        build.refused.append((job, f"cannot write output: {problem}"))
        return
    build.tasks.append(task)
    build.reasons[job.src_name] = why


def _made_from_another(manifest: Manifest, key: str, job: Job) -> str | None:
    """Return the input ``key``'s entry was made from, if not ``job``'s and still there.

    An input that is gone was moved or renamed: its output is simply rebuilt.
    The same file reached by another path (a link to SRC) is not another input.

    The path is OUT's word: looked up only if it can be the input of an
    output of this name (an absolute path, none of its parts ``..``, of the
    same name as ``job``'s but for the extension). Any other (crafted: a
    file of the user's, outside OUT) is not looked at, nor said to be there.
    """
    source = manifest.entries.source_of(key)
    if not isinstance(source, str) or source == _absolute(job.src_name):
        return None
    if not _may_be_input_of(source, job.src_name):
        return None
    try:
        then = os.stat(source)
        if not stat.S_ISREG(then.st_mode):  # a folder is no input
            return None
        now = os.stat(job.src_name)
    except (OSError, ValueError):  # gone (or a NUL in a crafted entry)
        return None
    return None if (then.st_dev, then.st_ino) == (now.st_dev, now.st_ino) else source


def _may_be_input_of(source: str, src_name: str) -> bool:
    """Return whether ``source`` (as OUT records it) may be ``src_name``'s input then.

    An absolute, normalised path without a NUL, whose name is that of
    ``src_name`` but for the extension (``a/2.flac`` and ``b/2.wav`` both
    make ``2.npy``), and that extension one of audio melcli takes (or
    ``src_name``'s own): ``private/2.key`` or ``private/2`` is no input.
    """
    if "\0" in source or not os.path.isabs(source):
        return False
    if os.path.normpath(source) != source:
        return False
    stem, ext = os.path.splitext(os.path.basename(source))
    own_stem, own_ext = os.path.splitext(os.path.basename(src_name))
    if stem != own_stem:
        return False
    ext = ext.lower()
    return ext == own_ext.lower() or ext[1:] in DEFAULT_EXTENSIONS


def taken_over_warning(taken: list[tuple[str, str, str]], out: Path) -> str:
    """Say that this run replaces outputs made from other inputs, still there."""
    key, then, now = taken[0]
    more = len(taken) - 1
    also = f" (and {more} more {'output' if more == 1 else 'outputs'})" if more else ""
    return (
        f"{display_path(out / key)}{also} was made from {_shown_source(then)}, "
        f"which is still there: this run replaces it with {display_path(now)}'s. "
        "Folders with files of the same names need one run with all of them "
        "(each gets a folder in OUT) or an OUT each"
    )


#: The working folder when last seen (see :func:`_absolute`).
_cwd = ""


def _absolute(path: str) -> str:
    """Return ``os.path.abspath(path)``, also once the working folder is deleted.

    ``rm -rf`` of the folder a run was started in fails its relative inputs
    as not found, and ``os.getcwd`` with them (a traceback in the middle of
    the run): their entries are made absolute from the folder last seen.
    """
    global _cwd
    if os.path.isabs(path):
        return os.path.normpath(path)
    try:
        _cwd = os.getcwd()
    except OSError:
        if not _cwd:
            return os.path.normpath(path)
    return os.path.normpath(os.path.join(_cwd, path))


def _shown_source(source: str) -> str:
    """``source`` (absolute) as a path from here when it is below this folder."""
    try:
        here = os.path.join(os.getcwd(), "")
    except OSError:  # this folder was deleted
        here = "\0"
    return display_path(source[len(here) :] if source.startswith(here) else source)


def _key_of(out: Path) -> Callable[[str], str]:
    """Return :func:`relative_key` for outputs in ``out``, quicker for the usual one."""
    prefix = os.path.join(os.fspath(out), "")
    start = len(prefix)
    posix = os.sep == "/"

    def key_of(npy: str) -> str:
        if posix and npy.startswith(prefix):
            return npy[start:]
        return relative_key(npy, out)

    return key_of


def _refresh(facts: Entry | None, job: Job) -> bool:
    """Return whether an up-to-date input's entry changes: status, or table row."""
    if facts is None:
        return False
    return facts.get("status") != "up-to-date" or (facts.get("meta") or {}) != dict(
        job.meta
    )


def _earlier_places(
    job: Job, key: str, elsewhere: _Elsewhere, *, params: MelParams
) -> list[str]:
    """Return the keys where a new input's outputs were before, if it had others.

    E.g. several SRC folders, before they had subfolders of their own, or
    the same file given another way (a folder, then a list of another root).
    """
    manifest = elsewhere.manifest
    places = elsewhere(job.src_name)
    if not places:
        return []  # the usual case, and every input of a first run
    other = relative_key(segment.other_layout(job.npy, params=params), manifest.out)
    return [
        k
        for k in places
        if k not in (key, other)
        and (entry := manifest.entries[k]).get("stamps")
        and own_key(k, entry)  # else crafted: nothing of it is replaced
    ]


def moved_warning(moved: list[tuple[str, list[str]]], out: Path) -> str:
    """Say that this run moves inputs to a new place in OUT, deleting the old outputs.

    Silent, a run over ``audio/`` and then one of ``find audio | ...
    --files-from -`` into one OUT took the first run's arrays and PNGs away
    (``OUT/dogs/a.npy`` became ``OUT/audio/dogs/a.npy``), and nothing said so.
    """
    key, was = moved[0]
    more = len(moved) - 1
    also = f" (and {more} more {'input' if more == 1 else 'inputs'})" if more else ""
    return (
        f"{display_path(out / key)}{also} is written at a new place in OUT: its "
        f"input made {display_path(out / was[0])} before, which is deleted. An "
        "input has one place in OUT, its path relative to its SRC folder or "
        "--root; given another way, it moves"
    )


def _other_settings(
    the_plan: Plan, manifest: Manifest, build: BuildPlan, settings: str
) -> list[str]:
    """Return the keys of outputs made with other settings that the run leaves in place.

    Those of inputs this run leaves out; not those of stale inputs (reported
    as such), nor this run's own inputs (rebuilt, or replaced when their
    segment layout changed), nor those the run forgets at its start (astray,
    vanished: gone from the manifest before ``--prune`` would delete them).
    """
    skip = build.keys.union(build.stale, build.astray, build.vanished)
    entries = manifest.entries
    found = [
        k
        for k in entries
        if k not in skip
        and (e := entries.facts(k))  # not read whole
        and e.get("stamps")
        and e.get("status") in ("written", "up-to-date")
        and e.get("settings") != settings
    ]
    if not found:
        return found
    mine = {_absolute(job.src_name) for job in the_plan.jobs}
    return sorted(
        k
        for k in found
        if (entry := manifest.entries[k]).get("source_abs") not in mine
        and own_key(k, entry)  # else crafted: another input's file, kept
    )


def refuse_over_kept(
    build: BuildPlan, manifest: Manifest, kept: list[str], *, params: MelParams
) -> None:
    """Fail the tasks of ``build`` that would write over the outputs of ``kept``.

    ``kept``: entries of inputs this run leaves out, made with other
    settings and kept in OUT (no ``--prune``). Their files stay theirs:
    with one file per segment, ``a.wav``'s ``a.001.npy`` is the plain
    array of ``a.001.wav`` (or the other way round) made by a run of
    other settings; written over, the kept entry was silently wrong, and
    the next run of those settings wrote it back over the other. The tasks
    go to :attr:`BuildPlan.refused`, as the run and its ``--dry-run`` say.
    """
    claimed: dict[str, str] = {}  # a kept output's name -> its entry's key
    by_base: dict[str, str] = {}  # NAME of a kept NAME.NNN.npy -> that name
    for key in kept:
        for name in manifest.entries[key].get("stamps") or {}:
            claimed.setdefault(name, key)
            if (base := segment.segment_base(name)) is not None:
                by_base.setdefault(base, name)
    files = segment.files_layout(params)
    tasks = []
    for task in build.tasks:
        names = [relative_key(n, manifest.out) for n in task.job.output_names]
        hit = next((n for n in names if n in claimed), None)
        if hit is None and files and by_base:
            base = segment.segment_base(names[0])  # NAME.000.npy: its segments
            hit = by_base.get(base) if base is not None else None
        if hit is None:
            tasks.append(task)
            continue
        entry = manifest.entries[claimed[hit]]
        source = entry.get("source_path") or claimed[hit]
        build.refused.append(
            (
                task.job,
                f"cannot write output: {manifest.out / hit} is an output of "
                f"{source}, made with other settings and kept; delete it "
                "with --prune, or write to another OUT",
            )
        )
        build.reasons.pop(task.job.src_name, None)
    build.tasks = tasks


def other_settings_warning(count: int, out: Path) -> str:
    """Say that ``count`` inputs left out of a run keep outputs of other settings."""
    inputs = "input" if count == 1 else "inputs"
    return (
        f"{out} holds the outputs of {count} {inputs} made with other settings than "
        "this run's (inputs this run leaves out); they are kept, and 'melcli "
        "stats' counts only the latest settings: use --prune to delete them, or "
        "a new OUT"
    )


def _kept(report: Report, manifest: Manifest) -> str:
    """Say, after a manifest not written, that what the run wrote is not lost.

    "4 written." after ``cannot write OUT/manifest.jsonl`` left the user to
    guess whether the arrays count: the journal holds them, and the next run
    that can write the manifest takes them up rather than rebuilding them.
    """
    written = report.count(Status.WRITTEN)
    if not written or manifest.journal_error:
        return ""  # nothing written, or the journal's own warning says it
    if not os.path.lexists(manifest.journal_path):  # (a link: not followed)
        return ""  # gone with its folder (OUT, or the working folder, deleted)
    one = written == 1
    return (
        f"; the {written} output{'' if one else 's'} written "
        f"{'is' if one else 'are'} recorded in {manifest.journal_path.name}, "
        f"and the next run that can write the manifest takes {'it' if one else 'them'}"
        " up without rebuilding"
    )


def refused_lines(outdir: OutDir) -> list[str]:
    """Say which files were not deleted because their folder leads out of OUT."""
    return [
        f"{outdir.out / name}: not deleted: {why}"
        for name, why in sorted(outdir.refused.items())
    ]


def astray_lines(manifest: Manifest, keys: Iterable[str]) -> list[str]:
    """Say, a line each, that the entries ``keys`` (outside OUT) are forgotten."""
    outdir = manifest.outdir
    return [
        f"{outdir.out / key}: its manifest entry is dropped: "
        f"{outdir.folder_problem(key.rpartition('/')[0]) or 'not inside OUT'}"
        for key in keys
    ]


def left_in_out(manifest: Manifest, key: str) -> bool:
    """Return whether any output the entry ``key`` records is still in OUT.

    Those of an input that failed, or deleted since (by hand), are not: its
    entry is forgotten rather than counted stale, as ``--prune`` would find.
    """
    stamps = (manifest.entries.facts(key) or {}).get("stamps")
    return isinstance(stamps, dict) and manifest.outdir.holds_any(stamps)


def _prune(manifest: Manifest, key: str) -> list[Path]:
    """Forget ``key`` and delete its outputs; return how to show them.

    A sample's bytes go when its shard is compacted.
    """
    return storage_of(manifest.entries[key]).forget(manifest, key)


class RunInterrupted(interrupts.Interrupted):
    """A run stopped by SIGINT or SIGTERM, once what had finished was recorded.

    A :class:`KeyboardInterrupt` (as Ctrl-C raises) that carries the run's
    report; ``str()`` of it is the report's summary line. Uncaught, Python
    exits with status 1 (it gives 130 to ``KeyboardInterrupt`` itself only): a
    script that wants the command's 130/143 exits with ``report.exit_code``.

    Attributes
    ----------
    report : Report
        What the run did before it stopped (``report.interrupted_by`` is the
        signal).
    """

    def __init__(self, report: Report) -> None:
        super().__init__(report.interrupted_by or signal.SIGINT)
        self.report = report

    def __str__(self) -> str:
        """Return the run's summary line (``interrupted: 3 written. ...``)."""
        return self.report.summary()


def run_plan(
    the_plan: Plan,
    *,
    params: MelParams,
    runner: Runner,
    manifest: Manifest,
    force: bool = False,
    prune: bool = False,
    fail_fast: bool = False,
    on_result: Callable[[Result], None] | None = None,
    storage: Storage | None = None,
    render: RenderParams | None = None,
    on_up_to_date: Callable[[Sequence[str]], None] | None = None,
) -> Report:
    """Process the jobs of ``the_plan`` that need it and return the report.

    ``render`` says how PNGs are drawn (default: the figure). ``manifest`` is
    OUT's (:meth:`Manifest.load`), or an empty one (``Manifest(out=OUT)``)
    where nothing was kept: only what changed is rebuilt, and every result is
    recorded in it and committed, even when the run is interrupted.

    Files that failed or were passed over during discovery are reported first,
    then up-to-date files, then each job's result as it finishes
    (``on_result`` sees each; with ``on_up_to_date``, that is told of the
    up-to-date inputs instead, by path, a batch at a time: no result is made
    for each).

    ``storage`` is where the results go (:func:`melcli.storage.storage_for`;
    default: one ``.npy`` per input).

    Raises
    ------
    RunInterrupted
        On SIGINT or SIGTERM, once every finished output is recorded (or
        deleted) and the manifest committed; its ``report`` says what was done.
    """
    run = _Run(
        the_plan,
        params=params,
        manifest=manifest,
        force=force,
        on_result=on_result,
        on_up_to_date=on_up_to_date,
        storage=storage or storage_for("npy"),
        render=render,
    )
    return run.execute(the_plan, runner, prune=prune, fail_fast=fail_fast)


class _Run:
    """One :func:`run_plan`, in named stages: decide, settle the stale, run, finish."""

    def __init__(
        self,
        the_plan: Plan,
        *,
        params: MelParams,
        manifest: Manifest,
        force: bool,
        on_result: Callable[[Result], None] | None,
        storage: Storage,
        render: RenderParams | None,
        on_up_to_date: Callable[[Sequence[str]], None] | None = None,
    ) -> None:
        self.started = time.perf_counter()
        self.report = Report()
        self.params = params
        self.manifest = manifest
        self.render = render
        self.on_result = on_result
        self.on_up_to_date = on_up_to_date
        self.fingerprint = params.fingerprint()
        self.changed = params.changed()  # with the fingerprint: the effective settings
        self.build = decide(
            the_plan,
            manifest,
            params=params,
            force=force,
            storage=storage,
            render=render,
        )
        self.drawn_as = (render or RenderParams()).fingerprint()
        self.format = storage.name
        #: OUT's device and inode once a run with work made it (see finish).
        self.out_id: tuple[int, int] | None = None
        self.elsewhere = _Elsewhere(manifest)
        self.handed = HandedOut()
        #: While a batch is recorded: its results, told once it is.
        self._told: list[Result] | None = None
        if self.build.tasks and not _surely_no_settings_warning(params):
            # Before any worker starts (forked ones inherit the basis).
            from .pipeline import settings_warnings  # numpy: only when there is work

            self.report.warnings.extend(
                f"settings: {w}" for w in settings_warnings(params)
            )
        if self.build.taken_over:
            taken = taken_over_warning(self.build.taken_over, manifest.out)
            self.report.warnings.append(taken)
        if self.build.moved:
            self.report.warnings.append(moved_warning(self.build.moved, manifest.out))
        # What the run leaves to tidy: its own format's, and earlier runs'.
        self.storages = {s.name: s for s in (*storages_in(manifest), storage)}
        self.writer = storage.writer(manifest, params=params, record=self.record_sample)

    # ------------------------------------------------------------- stages
    def settle_stale(self, *, prune: bool) -> None:
        """Report (or with ``prune`` delete) the outputs of inputs that are gone.

        And those of inputs left out that were made with other settings.
        """
        manifest, report = self.manifest, self.report
        report.warnings.extend(manifest.problems_of_run(lambda: self.build.keys))
        report.warnings.extend(astray_lines(manifest, self.build.astray))
        build = self.build
        for key in (*build.astray, *build.vanished, *build.taken_now):
            manifest.forget(key)
        for key in self.build.stale:
            if not left_in_out(manifest, key):
                manifest.forget(key)  # nothing on disk: just forget the input
            elif prune:
                self.prune(key)
            else:
                entry = manifest.entries[key]
                report.stale.append(storage_of(entry).shown(manifest, key))
        if prune:
            for key in self.build.other_settings:
                self.prune(key)
        elif self.build.other_settings:
            kept = []
            for key in self.build.other_settings:
                if left_in_out(manifest, key):
                    kept.append(key)
                else:
                    manifest.forget(key)
            if kept:
                report.warnings.append(other_settings_warning(len(kept), manifest.out))
                self.refuse_over_kept(kept)

    def refuse_over_kept(self, kept: list[str]) -> None:
        """Fail the tasks that would write over the outputs of ``kept`` entries.

        See :func:`refuse_over_kept`.
        """
        refuse_over_kept(self.build, self.manifest, kept, params=self.params)

    def prune(self, key: str) -> None:
        """Delete the outputs of ``key`` and count them, or neither (on Ctrl-C).

        So that an interrupted ``--prune`` says what it had deleted.
        """
        with interrupts.deferred():
            self.report.prune(_prune(self.manifest, key))

    def execute(
        self, the_plan: Plan, runner: Runner, *, prune: bool, fail_fast: bool
    ) -> Report:
        """Settle the stale, record what is known, run the tasks, then finish.

        Whatever happens: an interrupted run (during ``--prune`` too) commits
        the manifest and reports what it did.
        """
        # From now on, a killed run leaves its journal behind. (Until then,
        # nothing but stale outputs pruned, which the next run prunes again: a
        # signal while planning leaves no journal to recover from.) A run with
        # no task writes no file but the manifest: its journal is opened only
        # if it records something worth journaling, so a no-op writes nothing.
        outcomes: Iterator[list[tuple[Task, Result | BaseException]]] | None = None
        # The command's start-up is over (numpy is imported, the plan made):
        # the collector paused for it runs again, before any worker is forked.
        _collector.resume()
        try:
            try:
                self.settle_stale(prune=prune)
                if self.build.tasks:
                    self.manifest.begin()
                    self.out_id = folder_id(self.manifest.out)  # made by now
                self.record_known(the_plan)
                outcomes = self.run_tasks(runner)
                for batch in outcomes:
                    if self.take_batch(batch, fail_fast=fail_fast):
                        self.report.stopped_early = True
                        break
                if prune:
                    self.writer.compact()
            finally:
                # Whatever arrives now (a second Ctrl-C too), this runs to its end.
                with interrupts.deferred():
                    self.finish(runner, outcomes)
        except RunInterrupted:
            raise
        except KeyboardInterrupt as exc:  # during the run, or its clean-up
            self.report.interrupted_by = interrupts.signal_number(exc)
            raise RunInterrupted(self.report) from exc
        if self.report.stopped_early:
            plan = the_plan
            planned = len(plan.jobs) + len(plan.problems) + len(plan.skipped)
            self.report.not_tried = planned - self.report.n_results
        return self.report

    def record_known(self, the_plan: Plan) -> None:
        """Record the results known before any task runs, a chunk per signal hold."""
        build = self.build
        for chunk in _chunks(_known_results(the_plan)):
            with interrupts.deferred():  # one hold per chunk, not per file
                for result, source in chunk:
                    self.record(result, source=source)
        up_to_date, flips = build.up_to_date, build.flips  # a flip per job, or none
        source_of = job_field("src_name")  # without a Python call each
        with collector_paused():  # a list a chunk: the plan is not looked at again
            for at in range(0, len(up_to_date), HOLD_EVERY):
                jobs = up_to_date[at : at + HOLD_EVERY]
                sources = list(map(source_of, jobs))
                with interrupts.deferred():  # counted, recorded and told together
                    flipped = flips[at : at + HOLD_EVERY]
                    if build.refresh:  # a table row may change: one at a time
                        flipped += bytes(len(jobs) - len(flipped))
                        told = [
                            self.record_up_to_date(job, flip=flip)
                            for job, flip in zip(jobs, flipped, strict=True)
                        ]
                        sources = list(itertools.compress(sources, told))
                    else:  # the usual re-run: at most their statuses change
                        self.report.add_all_up_to_date(sources)
                        if flipped.count(0) < len(flipped):
                            self.mark_up_to_date(itertools.compress(jobs, flipped))
                    self.tell_up_to_date(sources)
        refused = (
            (Result(src=job.src, status=Status.FAILED, reason=why), job)
            for job, why in build.refused
        )
        for pairs in _chunks(refused):
            with interrupts.deferred():
                for result, job in pairs:
                    self.record(result, job)

    def mark_up_to_date(self, jobs: Iterable[Job]) -> None:
        """Flip the status of the entries of up-to-date ``jobs`` (from ``written``).

        As :meth:`record_up_to_date` with ``flip`` does, for many at once.
        """
        out = self.manifest.out
        prefix = os.path.join(os.fspath(out), "") if os.sep == "/" else "\0"
        start = len(prefix)
        self.manifest.entries.mark_all_up_to_date(
            npy[start:] if npy.startswith(prefix) else relative_key(npy, out)
            for npy in map(job_field("npy_name"), jobs)
        )

    def record_up_to_date(self, job: Job, *, flip: bool | int = False) -> bool:
        """Count an up-to-date input and note it in the manifest.

        No result is made for it (:meth:`Report.add_up_to_date`), its entry
        is not read whole, nor journaled: only its status changes
        (``up-to-date``: with ``flip``, one of :attr:`BuildPlan.flips`), or
        with a table row that changed (``--files-from``), its ``meta``.
        Called with signals held, as :meth:`tell_up_to_date` is. Returns
        False when it failed instead: a new row too long to record (its
        array and entry kept as they were; told as a failure).
        """
        if flip:
            self.report.add_up_to_date(job.src_name)
            key = relative_key(job.npy_name, self.manifest.out)
            self.manifest.entries.mark_up_to_date(key)
            return True
        refresh = self.build.refresh
        manifest = self.manifest
        key = relative_key(job.npy_name, manifest.out) if refresh else ""
        if key in refresh:
            refresh.discard(key)  # told once: one copy of each key kept, not two
            facts = manifest.entries.facts(key) or {}
            if (facts.get("meta") or {}) == dict(job.meta):
                manifest.entries.mark_up_to_date(key, facts)
            else:
                entry = {**manifest.entries[key], "status": Status.UP_TO_DATE.value}
                entry.pop("meta", None)
                try:
                    manifest.record({**entry, "error": "", **_meta(job)}, journal=False)
                except EntryTooLong as exc:  # its array kept, its entry as it was
                    reason = f"{exc}; {KEPT_NOTE}"
                    failed = Result(src=job.src, status=Status.FAILED, reason=reason)
                    self.report.add(failed)
                    self._tell(failed)
                    return False
        # The usual re-run: its entry stays as it is.
        self.report.add_up_to_date(job.src_name)
        return True

    def tell_up_to_date(self, sources: list[str]) -> None:
        """Tell ``on_up_to_date`` of up-to-date inputs, else ``on_result`` of each."""
        if self.on_up_to_date is not None:
            self.on_up_to_date(sources)
        elif self.on_result is not None:
            for src in sources:
                self.on_result(up_to_date_result(src))

    def run_tasks(
        self, runner: Runner
    ) -> Iterator[list[tuple[Task, Result | BaseException]]]:
        """Hand the tasks to ``runner``; return its outcomes as they come, in lists."""
        work = TaskWork(self.params, self.render, self.manifest.out)
        work.expect(self.build.tasks)  # in this process (-j 1): read ahead if cold
        tasks = map(self.writer.stage, self.build.tasks)
        counted = CountedItems(self.handed.track(tasks), len(self.build.tasks))
        return run_batches(runner, work, counted)

    def take_batch(
        self, outcomes: list[tuple[Task, Result | BaseException]], *, fail_fast: bool
    ) -> bool:
        """Count and record outcomes that came together; tell ``on_result`` after.

        Under one hold of the signals and with one write of the journal, not
        one per file: tiny files come a hundred to a batch, and this process's
        work per file is what its workers wait on. Returns whether one failed
        with ``fail_fast`` (the rest of the batch is left to :meth:`finish`).
        """
        told: list[Result] = []
        self._told = told
        failed = False
        try:
            with interrupts.deferred(), self.manifest.journal_batch():
                for task, outcome in outcomes:
                    result = self.take(task, outcome)
                    if fail_fast and result.status is Status.FAILED:
                        failed = True
                        break
        finally:
            self._told = None
            if self.on_result is not None:
                for result in told:
                    self.on_result(result)
        return failed

    def _tell(self, result: Result) -> None:
        """Tell ``on_result`` of ``result``: now, or once its batch is recorded."""
        if self._told is not None:
            self._told.append(result)
        elif self.on_result is not None:
            self.on_result(result)

    def finish(
        self,
        runner: Runner,
        outcomes: Iterator[list[tuple[Task, Result | BaseException]]] | None,
    ) -> None:
        """Stop the workers, settle every output, close the shards, commit."""
        manifest, report = self.manifest, self.report
        # Told once all is settled and committed: ``on_result`` may raise (a
        # closed stderr, a caller's callback), and the run is often here
        # because it did; it must not leave OUT unsettled, as a kill would.
        told: list[Result] = []
        if outcomes is not None:
            close = getattr(outcomes, "close", None)  # a generator's, or none
            if close is not None:
                close()  # its workers are stopped: nothing more is written
            # What they finished before that is recorded, as usual (the
            # runner may give back the last outcome it handed on: recorded
            # already, unless the signal came before it was).
            self._told = told
            try:
                for task, outcome in runner.late:
                    if self.handed.holds(task):
                        self.take(task, outcome)
            finally:
                self._told = None
        # A worker may have finished a file (or some of its segments, or its
        # array but not its PNG) just as the run was stopped: such an output
        # is neither counted nor in the manifest, and --prune would never
        # remove it.
        for task in self.handed.pending():
            self.writer.unsettled(task.job)
        report.warnings.extend(runner.notes)
        try:
            self.writer.close()
        except BaseException:
            self.writer.abort()
            raise
        for kept, reason in self.writer.lost:  # counted written; not in OUT
            lost = dataclasses.replace(
                kept, status=Status.FAILED, reason=reason, outputs=()
            )
            report.replace(kept, lost)
            report.errors.append(f"{lost.src}: {reason}")  # told written before
        for storage in self.storages.values():
            storage.tidy(manifest)
        report.warnings.extend(self.writer.notes)
        report.warnings.extend(refused_lines(manifest.outdir))
        report.errors.extend(manifest.outdir.failures)  # kept, in the manifest
        self.lost_with_out()
        report.elapsed = time.perf_counter() - self.started
        try:
            manifest.commit()
        except MelcliError as exc:  # a full disk: the journal stays
            report.errors.append(str(exc) + _kept(report, manifest))
        report.warnings.extend(manifest.late_problems)
        if manifest.journal_error:
            report.warnings.append(manifest.journal_error)
        if self.on_result is not None:
            for result in told:
                self.on_result(result)

    def lost_with_out(self) -> None:
        """Count as failed what OUT, deleted or replaced during the run, took along.

        "99 written." after ``rm -rf OUT`` mid-run, and a manifest recording
        them all: those whose outputs are gone are failed, and forgotten (the
        next run builds them again). Costs a stat unless OUT was replaced.
        """
        manifest = self.manifest
        if self.out_id is None or folder_id(manifest.out) == self.out_id:
            return
        reason = "its output was deleted during the run, with OUT"
        lost = self.report.fail_lost(
            reason, lambda r: not all(map(os.path.lexists, r.outputs))
        )
        for result in lost:
            for name in result.outputs:
                manifest.forget(relative_key(name, manifest.out))
        if lost:
            self.report.errors.append(
                f"{manifest.out}: deleted or replaced during the run: "
                f"{len(lost)} of the outputs it wrote "
                f"{'is' if len(lost) == 1 else 'are'} gone (counted failed, "
                "rebuilt by the next run)"
            )

    # ------------------------------------------------------------ results
    def entry_of(
        self,
        result: Result,
        job: Job | None,
        source: str | None = None,
        *,
        key: str | None = None,
    ) -> dict[str, object]:
        stamp = self.build.stamp(job) if job is not None else None
        return _entry(
            result,
            job,
            self.manifest,
            self.fingerprint,
            stamp,
            changed=self.changed,
            source=source,
            key=key,
        )

    def record(
        self,
        result: Result,
        job: Job | None = None,
        task: Task | None = None,
        *,
        source: str | None = None,
    ) -> None:
        """Count ``result`` and record it in the manifest; tell ``on_result``.

        ``task``, whose outcome it is, is settled with it. ``source``: the
        path relative to SRC of an input with no job (passed over, or failed
        before any work).
        """
        # Counted, recorded and settled together, or not at all (on Ctrl-C).
        with interrupts.deferred():
            if task is not None:
                self.handed.settle(task)
            key, kept = None, False
            if job is not None:
                key = relative_key(job.npy_name, self.manifest.out)  # once a file
                kept = self.still_true(result, job, key)
                if kept:
                    result = dataclasses.replace(
                        result, reason=f"{result.reason}; {KEPT_NOTE}"
                    )
                else:
                    _remove_replaced(
                        result,
                        job,
                        self.elsewhere,
                        build=self.build,
                        params=self.params,
                        key=key,
                    )
            if not kept:  # else its entry stays as it is
                entry = self.entry_of(result, job, source, key=key)
                if entry.get("png") and result.status is Status.WRITTEN:
                    entry["render"] = self.drawn_as
                # An up-to-date entry is the manifest's own, with a new status:
                # nothing that a run killed later would need to know.
                up_to_date = result.status is Status.UP_TO_DATE
                try:
                    self.manifest.record(entry, journal=not up_to_date)
                except EntryTooLong as exc:
                    result = self.not_recorded(result, job, entry, exc, key=key)
            self.report.add(result)
        self._tell(result)

    def not_recorded(
        self,
        result: Result,
        job: Job | None,
        entry: Entry,
        exc: EntryTooLong,
        *,
        key: str | None = None,
    ) -> Result:
        """Fail ``result``, whose ``entry`` is too long to record; return it failed.

        Its outputs are deleted (none stays in OUT that no entry records),
        and the failure is recorded, without its table row if that is what
        is too long. But where the earlier entry is still true (only a PNG
        was drawn, the array up to date), that entry and the outputs it
        records as they are stay; only the new files are deleted.
        """
        manifest = self.manifest
        stamps = entry.get("stamps") or {}
        if (
            result.status is Status.WRITTEN
            and job is not None
            and key is not None
            and self.still_true(
                dataclasses.replace(result, status=Status.FAILED), job, key
            )
        ):
            earlier = (manifest.entries.facts(key) or {}).get("stamps") or {}
            stamp = manifest.outdir.stamp
            new = {n: s for n, s in stamps.items() if earlier.get(n) != stamp(n)}
            manifest.outdir.remove(new)
            return dataclasses.replace(
                result,
                status=Status.FAILED,
                reason=f"{exc}; {KEPT_NOTE}",
                outputs=(),
                png_only=False,
            )
        if result.status is Status.WRITTEN and stamps:
            outdir = manifest.outdir
            outdir.remove_emptied_folders(outdir.remove(stamps))
        failed = dataclasses.replace(
            result, status=Status.FAILED, reason=str(exc), outputs=()
        )
        entry = self.entry_of(failed, job)
        for _ in range(2):
            try:
                manifest.record(entry)
                break
            except EntryTooLong:
                entry.pop("meta", None)  # a failure is told without its row
        else:  # (a failure's entry is short but for its row)
            manifest.forget(str(entry["key"]))
        return failed

    def still_true(self, result: Result, job: Job, key: str) -> bool:
        """Return whether a failed rebuild leaves ``job``'s earlier outputs true.

        Those of an input rebuilt though nothing changed (``--force``, a PNG
        to draw): the same input facts, settings and format, its arrays as
        recorded. A full disk during ``--force`` then loses no good output:
        the entry and its files stay, and the next run finds them up to date.
        """
        if result.status is not Status.FAILED or key not in self.manifest.entries:
            return False
        why = self.manifest.why_rebuild(
            key,
            input_stamp=self.build.stamp(job),
            settings=self.fingerprint,
            format=self.format,
            policies=self.params.policies(),
        )
        return why is None

    def record_sample(
        self, result: Result, job: Job, fields: dict[str, Any], *, check: bool = False
    ) -> None:
        """Record a result the writer kept for later (a sample: once in place).

        With ``check``, record nothing: only raise if it could not be.

        Raises
        ------
        EntryTooLong
            When its entry is too long to record (nothing is recorded).
        """
        entry = self.entry_of(result, job)
        if "png" in fields["members"]:
            entry["render"] = self.drawn_as
        if check:
            self.manifest.check_length({**entry, **fields})
            return
        self.manifest.record({**entry, **fields})
        _replace_other_places(job, self.elsewhere, build=self.build, params=self.params)

    def take(self, task: Task, outcome: Result | BaseException) -> Result:
        """Count and record one task's outcome; return its result."""
        if isinstance(outcome, BaseException):
            # The worker died or was stopped mid-file: drop its temp files.
            remove_temp_files(task.job.outputs, failures=self.writer.notes)
        if self.writer.records_later:
            stored = self.store_for_later(task, outcome)
            if stored is not None and stored.status is Status.WRITTEN:
                return stored  # in the manifest once the writer says
            outcome = stored or outcome  # failed by the writer, or not written
            task = dataclasses.replace(task, job=self.writer.original(task.job))
        if isinstance(outcome, BaseException):
            outcome = Result(
                src=task.job.src,
                status=Status.FAILED,
                reason=str(outcome) or describe_exception(outcome),
            )
        if task.render_only and outcome.status is Status.WRITTEN:
            outcome = _with_npy(outcome, task.job, self.manifest)
        self.record(outcome, task.job, task)
        return outcome

    def store_for_later(
        self, task: Task, outcome: Result | BaseException
    ) -> Result | None:
        """Store a written result with the writer and count it.

        Returns the stored result; a failure (the worker's, or the writer's:
        a full disk) for :meth:`take` to record; None otherwise.

        What a task whose result is not stored left is discarded.
        """
        staged = task.job
        if not isinstance(outcome, BaseException):
            # Stored and counted together, or not at all (on Ctrl-C).
            with interrupts.deferred():
                if outcome.status is Status.WRITTEN:
                    outcome = self.writer.store(outcome, staged)
                if outcome.status is Status.WRITTEN:
                    self.report.add(outcome)
                    self.handed.settle(task)
            if outcome.status is Status.WRITTEN:
                self._tell(outcome)
                return outcome
        self.writer.discard(staged)
        self.handed.settle(task)
        if isinstance(outcome, Result) and outcome.status is Status.FAILED:
            return outcome  # take() records it, not the worker's "written"
        return None


class HandedOut:
    """The tasks a runner has taken and whose outcome is not recorded yet.

    When a run stops part way, their workers are stopped, and whatever they
    finished is deleted (see :func:`_remove_unsettled`): every output is
    either recorded or gone.
    """

    def __init__(self) -> None:
        self._out: dict[int, Task] = {}

    def track(self, tasks: Iterable[Task]) -> Iterator[Task]:
        """Yield ``tasks``, noting each as handed out."""
        for task in tasks:
            self._out[id(task)] = task
            yield task

    def settle(self, task: Task) -> None:
        """Note that ``task``'s outcome is recorded."""
        self._out.pop(id(task), None)

    def holds(self, task: Task) -> bool:
        """Whether ``task`` is handed out and not settled."""
        return id(task) in self._out

    def pending(self) -> list[Task]:
        """Return the tasks handed out and not settled."""
        return list(self._out.values())


def _surely_no_settings_warning(params: MelParams) -> bool:
    """Whether the settings surely raise no warning, told without numpy.

    The usual case: at a fixed rate every mel filter covers an FFT bin
    (:func:`melcli.melscale.no_empty_filter`), or the rate is each file's
    own. This process then need not import numpy at all (its workers do).
    """
    from .melscale import no_empty_filter

    if params.sr is None or params.kind == "stft":
        return True
    try:
        params.check_sr(params.sr)
    except MelcliError:
        return True  # every file fails with the reason
    return no_empty_filter(params, params.sr)


def _remove_replaced(
    result: Result,
    job: Job,
    elsewhere: _Elsewhere,
    *,
    build: BuildPlan,
    params: MelParams,
    key: str | None = None,
) -> None:
    """Delete the outputs the last run wrote for ``job`` that this one did not.

    A file that now gives fewer segments leaves no ``NAME.NNN.npy`` behind, and
    one whose segment layout or place in OUT changed leaves none of its
    earlier outputs. An input rebuilt because it (or the settings) changed,
    that now fails or is skipped, leaves none either: its old arrays describe
    audio or settings that are gone, and nothing would record them. A file
    another job of this run writes is never deleted (``build.keys``: made
    only when there is something to delete, not on a first run).
    """
    if result.status is Status.UP_TO_DATE:
        return
    manifest = elsewhere.manifest
    out = manifest.out
    if key is None:
        key = relative_key(job.npy_name, out)
    previous = manifest.entries.get(key)
    if previous:  # else nothing of it was there (a first run): nothing to delete
        now = {relative_key(p, out) for p in result.outputs}
        own: set[str] = set()  # its own names are free now: it wrote nothing
        if result.status is not Status.WRITTEN:
            own = {relative_key(p, out) for p in job.output_names}
        storage_of(previous).remove_replaced(
            manifest,
            previous,
            lambda n: n in now or (n in build.keys and n not in own),
        )
        if previous.get("source_abs") == _absolute(job.src_name):
            # Rebuilt where it was: its earlier places were replaced when it
            # came here (and finding them reads every entry's source).
            return
    _replace_other_places(job, elsewhere, build=build, params=params)


class _Elsewhere:
    """The manifest keys of each input (by absolute path), indexed on first use.

    An input has one place in OUT; an entry of the same input under another
    key is an earlier place: its other segment layout (``a.npy`` <->
    ``a.000.npy``), or where it went before its SRC folder got a subfolder of
    its own.
    """

    def __init__(self, manifest: Manifest) -> None:
        self.manifest = manifest
        self._index: dict[str, list[str]] | None = None

    def __call__(self, src: str | os.PathLike[str]) -> list[str]:
        """Return the keys whose entries are of ``src`` now."""
        if self._index is None:
            self._index = {}
            for key, source in self.manifest.entries.sources():
                self._index.setdefault(str(source), []).append(key)
        if not self._index:
            return []  # a first run
        source = _absolute(os.fsdecode(src))
        return [
            k
            for k in self._index.get(source, ())
            if self.manifest.entries.get(k, {}).get("source_abs") == source
        ]


def _replace_other_places(
    job: Job, elsewhere: _Elsewhere, *, build: BuildPlan, params: MelParams
) -> None:
    """Forget (and delete) the same input's outputs at its earlier places in OUT.

    Its other segment layout (``a.npy`` <-> ``a.000.npy``, ``a.001.npy``...),
    or where it was written before its place changed: a rebuilt input replaces
    them. Files are deleted unless another job of this run writes them; a
    sample in a shard is only forgotten (the shard is cleaned up as a
    superseded copy is).
    """
    manifest = elsewhere.manifest
    claimed: Callable[[str], bool] | None = None

    def keep(name: str) -> bool:  # what another job of this run writes
        nonlocal claimed
        claimed = claimed or segment.claimed_by(build.keys, params=params)
        return claimed(name)

    for other in elsewhere(job.src_name):
        if other in build.keys:
            continue
        entry = manifest.entries[other]
        manifest.forget(other)
        if own_key(other, entry):  # else crafted: another input's file, kept
            storage_of(entry).remove_replaced(manifest, entry, keep)


#: Said of an input whose rebuild failed though nothing changed.
KEPT_NOTE = "its earlier output, still up to date, is kept"

#: Files recorded under one signal hold before a run's first task: a re-run
#: records thousands, and a hold costs four ``signal()`` calls; Ctrl-C still
#: acts within a few milliseconds.
HOLD_EVERY = 256

T = TypeVar("T")


def _chunks(items: Iterable[T]) -> Iterator[list[T]]:
    """Yield ``items`` in lists of :data:`HOLD_EVERY`."""
    it = iter(items)
    while chunk := list(itertools.islice(it, HOLD_EVERY)):
        yield chunk


def _known_results(the_plan: Plan) -> Iterator[tuple[Result, str | None]]:
    """Yield the results known from discovery (skipped, failed).

    Each with its path relative to SRC, where known.
    """
    for skipped in the_plan.skipped:
        result = Result(src=skipped.path, status=Status.SKIPPED, reason=skipped.reason)
        yield result, skipped.rel
    for problem in the_plan.problems:
        result = Result(src=problem.path, status=Status.FAILED, reason=problem.reason)
        yield result, problem.rel


def _up_to_date_result(job: Job, manifest: Manifest) -> Result:
    entry = manifest.entries[relative_key(job.npy_name, manifest.out)]
    return Result(
        src=job.src,
        status=Status.UP_TO_DATE,
        outputs=tuple(manifest.out / name for name in entry.get("stamps", {})),
        shape=tuple(entry.get("shape", ())),
        samplerate=entry.get("samplerate", 0),
        channels=entry.get("channels", 0),
        duration=entry.get("duration", 0.0),
        sr=entry.get("sr", 0),
        wave=entry.get("wave"),
    )


def _with_npy(result: Result, job: Job, manifest: Manifest) -> Result:
    """Complete a PNG-only result with its (unchanged) array's facts.

    Its outputs name the array, kept as it is (the manifest records it), and
    ``png_only`` says that only the PNG was written. A result whose array was
    made again (the one in OUT was not this run's) is returned as it is.
    """
    if job.npy in result.outputs:
        return result
    previous = _up_to_date_result(job, manifest)
    return dataclasses.replace(
        previous,
        status=Status.WRITTEN,
        warnings=result.warnings,
        outputs=(job.npy, *result.outputs),
        png_only=True,
    )


def _entry(
    result: Result,
    job: Job | None,
    manifest: Manifest,
    fingerprint: str,
    input_stamp: list[int] | None,
    *,
    changed: dict[str, object] | None = None,
    source: str | None = None,
    key: str | None = None,
) -> dict[str, object]:
    """Return the manifest line for ``result``.

    ``fingerprint`` is the settings' fingerprint; ``changed`` the settings that
    differ from the defaults (:meth:`MelParams.changed`). ``source`` is the
    path relative to SRC of an input without ``job``, where known; ``key``
    the job's key (:func:`relative_key` of its array), if the caller has it.
    """
    if job is None:
        key = f"src:{os.fsdecode(result.src)}"
        return {
            "key": key,
            **({"source": source} if source is not None else {}),
            "source_path": os.fsdecode(result.src),
            "source_abs": _absolute(os.fsdecode(result.src)),
            "status": result.status.value,
            "error": result.reason,
        }
    if key is None:
        key = relative_key(job.npy_name, manifest.out)
    if result.status is Status.UP_TO_DATE:
        previous = manifest.entries.get(key, {})  # not looked up for the others
        entry = {**previous, "status": result.status.value, "error": ""}
        entry.pop("meta", None)
        return {**entry, **_meta(job)}
    written = result.status is Status.WRITTEN
    outputs = [relative_key(p, manifest.out) for p in result.outputs] if written else []
    source = os.fsdecode(result.src)  # the job's, as a Path already: no new one
    return {
        "key": key,
        "source": job.rel,
        "source_path": source,
        "source_abs": _absolute(source),
        "status": result.status.value,
        "error": result.reason,
        "warnings": list(result.warnings),
        "npy": key if written else None,
        "png": relative_key(job.png, manifest.out) if written and job.png else None,
        "stamps": {name: manifest.outdir.stamp(name) for name in outputs},
        "input": input_stamp if input_stamp is not None else file_stamp(job.src),
        "settings": fingerprint,
        # The policies that made this output (an input cut short, kept):
        # a run without them redoes it (the fingerprint leaves them out).
        **(
            {"policies": made_by}
            if (made_by := policies_applied(result.warnings))
            else {}
        ),
        "params": changed or {},
        "samplerate": result.samplerate,
        "channels": result.channels,
        "duration": round(result.duration, 6),
        "shape": list(result.shape),
        "sr": result.sr,
        **({"segments": list(result.segments)} if result.segments else {}),
        "silent": result.silent,
        **({"wave": result.wave} if result.wave else {}),
        **_meta(job),
        **versions(),
    }


def _meta(job: Job) -> dict[str, object]:
    """``{"meta": {column: value}}`` for a job from a table, else nothing."""
    return {"meta": dict(job.meta)} if job.meta else {}


__all__ = ["BuildPlan", "HandedOut", "RunInterrupted", "decide", "run_plan"]

"""A whole run: decide what to build against the manifest, run it, report.

:func:`decide` compares the planned jobs with ``OUT/manifest.jsonl``;
:func:`run_plan` hands the work to a runner, records every result in the
report and the manifest, and commits the manifest even when interrupted.
:func:`run` is the Python API's one-call version of ``melcli mel``.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import os
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import interrupts, segment
from .discover import DEFAULT_EXTENSIONS, Job, Plan, Task, plan
from .errors import MelcliError, describe_exception
from .filelist import FileList, read_list
from .manifest import Manifest, file_stamp, relative_key, versions
from .outdir import OutDir, OutputLock
from .params import MelParams, RenderParams
from .report import Report, Result, Status
from .runners import Runner, make_runner
from .storage import webdataset
from .storage.webdataset import Recorder
from .write import remove_files, remove_temp_files


@dataclass
class BuildPlan:
    """What an incremental run will do, decided against the manifest."""

    tasks: list[Task] = field(default_factory=list)
    #: Why each task's job is (re)built, by source path.
    reasons: dict[Path, str] = field(default_factory=dict)
    up_to_date: list[Job] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)
    #: The input stamps the decisions were made on (what the manifest records).
    inputs: dict[Path, list[int] | None] = field(default_factory=dict)
    #: The manifest keys of this run's jobs.
    keys: set[str] = field(default_factory=set)
    #: Jobs that fail before any work, and why: an output folder that leads
    #: outside OUT (a symbolic link).
    refused: list[tuple[Job, str]] = field(default_factory=list)
    #: Keys of the entries, of inputs this run leaves out (``--include``, a
    #: narrower SRC), whose outputs were made with other settings.
    other_settings: list[str] = field(default_factory=list)


def decide(
    the_plan: Plan,
    manifest: Manifest | None,
    *,
    params: MelParams,
    force: bool = False,
    format: str = "npy",
    render: RenderParams | None = None,
    out: Path | None = None,
) -> BuildPlan:
    """Split the jobs into what must be built, what only needs its PNG, and the rest.

    Jobs are first laid out as ``params`` asks (:func:`melcli.segment.plan_job`:
    with one file per segment, a job's array is its first segment).
    ``format`` is the storage format of the run (``npy`` or ``webdataset``);
    an input stored in the other format is rebuilt. A PNG is re-rendered when
    it is missing or changed, or when it was drawn with other
    :class:`RenderParams` (style, waveform panel, colormap).

    A job to build whose output folder leads outside OUT (``out``, or the
    manifest's) through a symbolic link is refused (:attr:`BuildPlan.refused`).
    """
    build = BuildPlan()
    settings = params.fingerprint()
    drawn_as = (render or RenderParams()).fingerprint()
    keys = build.keys
    elsewhere = _Elsewhere(manifest) if manifest is not None else None
    for job in (segment.plan_job(j, params=params) for j in the_plan.jobs):
        if manifest is None:
            build.tasks.append(Task(job))
            continue
        out = manifest.out
        key = relative_key(job.npy_name, out)
        keys.add(key)
        stamp = job.stamp if job.stamp is not None else file_stamp(job.src_name)
        why = (
            "forced"
            if force
            else manifest.why_rebuild(
                key, input_stamp=stamp, settings=settings, format=format
            )
        )
        if why == "new" and elsewhere is not None:
            other = relative_key(segment.other_layout(job.npy, params=params), out)
            was = [
                k
                for k in elsewhere(job.src)
                if k not in (key, other) and manifest.entries[k].get("stamps")
            ]
            if was:  # e.g. several SRC folders, before they had subfolders
                why = f"new place in OUT (was {', '.join(was)})"
        if why is not None:
            build.tasks.append(Task(job))
            build.reasons[job.src] = why
            build.inputs[job.src] = stamp
        elif format == webdataset.FORMAT:
            # A shard is immutable: a sample gains or changes its PNG, or the
            # table row in its KEY.json, by being rewritten.
            entry = manifest.entries[key]
            if (entry.get("meta") or {}) != dict(job.meta):
                build.tasks.append(Task(job))
                build.reasons[job.src] = "meta changed"
            elif job.png is not None and "png" not in entry["members"]:
                build.tasks.append(Task(job))
                build.reasons[job.src] = "PNG missing"
            elif job.png is not None and _drawn_as(entry) != drawn_as:
                build.tasks.append(Task(job))
                build.reasons[job.src] = "PNG style changed"
            else:
                build.up_to_date.append(job)
        elif job.png_name is not None and not manifest.png_up_to_date(
            key, relative_key(job.png_name, manifest.out)
        ):
            sr = int(manifest.entries[key].get("sr", 0))
            build.tasks.append(Task(job, render_only=True, sr=sr))
            build.reasons[job.src] = "PNG missing"
        elif job.png_name is not None and _drawn_as(manifest.entries[key]) != drawn_as:
            sr = int(manifest.entries[key].get("sr", 0))
            build.tasks.append(Task(job, render_only=True, sr=sr))
            build.reasons[job.src] = "PNG style changed"
        else:
            build.up_to_date.append(job)
    if manifest is not None:
        build.stale = manifest.stale(keys)
        build.other_settings = _other_settings(the_plan, manifest, build, settings)
    outdir = manifest.outdir if manifest is not None else None
    if outdir is None and out is not None:
        outdir = OutDir(out)
    if outdir is not None and format != webdataset.FORMAT:
        build.tasks = [t for t in build.tasks if not _refuse(t.job, outdir, build)]
    return build


def _refuse(job: Job, outdir: OutDir, build: BuildPlan) -> bool:
    """Refuse ``job`` if a folder it writes into leads outside OUT; say why."""
    for output in job.outputs:
        folder = relative_key(output, outdir.out).rpartition("/")[0]
        problem = outdir.folder_problem(folder)
        if problem is not None:
            build.refused.append((job, f"cannot write output: {problem}"))
            return True
    return False


def _other_settings(
    the_plan: Plan, manifest: Manifest, build: BuildPlan, settings: str
) -> list[str]:
    """Return the keys of outputs made with other settings that the run leaves in place.

    Those of inputs this run leaves out; not those of stale inputs (reported
    as such), nor this run's own inputs (rebuilt, or replaced when their
    segment layout changed).
    """
    skip = build.keys.union(build.stale)
    found = [
        k
        for k, e in manifest.entries.items()
        if k not in skip
        and e.get("stamps")
        and e.get("status") in ("written", "up-to-date")
        and e.get("settings") != settings
    ]
    if not found:
        return found
    mine = {os.path.abspath(job.src_name) for job in the_plan.jobs}
    return sorted(k for k in found if manifest.entries[k].get("source_abs") not in mine)


def other_settings_warning(count: int, out: Path) -> str:
    """Say that ``count`` inputs left out of a run keep outputs of other settings."""
    inputs = "input" if count == 1 else "inputs"
    return (
        f"{out} holds the outputs of {count} {inputs} made with other settings than "
        "this run's (inputs this run leaves out); they are kept, and 'melcli "
        "stats' counts only the latest settings: use --prune to delete them, or "
        "a new OUT"
    )


def _prune(manifest: Manifest, key: str) -> list[Path]:
    """Forget ``key`` and delete its outputs; return how to show them.

    A sample's bytes go when its shard is compacted.
    """
    if webdataset.is_sample(manifest.entries[key]):
        return webdataset.forget_sample(manifest, key)
    return manifest.prune(key)


def _drawn_as(entry: dict[str, object]) -> object:
    """Return the render fingerprint a manifest entry's PNG was drawn with.

    Entries from before ``--png-style`` existed were drawn as the default figure.
    """
    return entry.get("render") or RenderParams().fingerprint()


def run_plan(
    the_plan: Plan,
    *,
    params: MelParams,
    runner: Runner,
    manifest: Manifest | None = None,
    force: bool = False,
    prune: bool = False,
    fail_fast: bool = False,
    on_result: Callable[[Result], None] | None = None,
    store: Callable[[Recorder], webdataset.SampleStore] | None = None,
    render: RenderParams | None = None,
    out: Path | None = None,
) -> Report:
    """Process the jobs of ``the_plan`` that need it and return the report.

    ``render`` says how PNGs are drawn (default: the figure). ``out``, the
    output folder, is where outputs are confined to (without a manifest).

    Files that failed or were passed over during discovery are reported first,
    then up-to-date files, then each job's result as it finishes
    (``on_result`` sees each). With a ``manifest``, only what changed is
    rebuilt and every result is recorded; the manifest is committed even when
    the run is interrupted (KeyboardInterrupt propagates afterwards, with the
    report on the exception as ``exc.report``).

    ``store`` makes the run write tar shards (``--format webdataset``; needs a
    ``manifest``): it is called with the function that records a sample in
    the manifest and returns the
    :class:`~melcli.storage.webdataset.SampleStore` to use.
    """
    started = time.perf_counter()
    started_ns = time.time_ns()
    report = Report()
    settings = params.fingerprint()
    changed = params.changed()  # with settings: the effective settings
    fmt = "npy" if store is None else webdataset.FORMAT
    build = decide(
        the_plan,
        manifest,
        params=params,
        force=force,
        format=fmt,
        render=render,
        out=out,
    )
    drawn_as = (render or RenderParams()).fingerprint()
    elsewhere = _Elsewhere(manifest) if manifest is not None else None
    if build.tasks:  # before any worker starts (they inherit the cached basis)
        from .pipeline import settings_warnings  # numpy: only when there is work

        report.warnings.extend(f"settings: {w}" for w in settings_warnings(params))

    def entry_of(result: Result, job: Job | None) -> dict[str, object]:
        assert manifest is not None
        stamp = build.inputs.get(result.src)
        return _entry(result, job, manifest, settings, stamp, changed=changed)

    def record(result: Result, job: Job | None = None) -> None:
        # Counted and recorded together, or not at all (on Ctrl-C).
        with interrupts.deferred():
            report.add(result)
            if elsewhere is not None and job is not None:
                _remove_replaced(result, job, elsewhere, keys=build.keys, params=params)
            if manifest is not None:
                entry = entry_of(result, job)
                if entry.get("png") and result.status is Status.WRITTEN:
                    entry["render"] = drawn_as
                # An up-to-date entry is the manifest's own, with a new status:
                # nothing that a run killed later would need to know.
                up_to_date = result.status is Status.UP_TO_DATE
                manifest.record(entry, journal=not up_to_date)
        if on_result is not None:
            on_result(result)

    def record_sample(result: Result, job: Job, fields: dict[str, Any]) -> None:
        assert manifest is not None
        entry = entry_of(result, job)
        if "png" in fields["members"]:
            entry["render"] = drawn_as
        manifest.record({**entry, **fields})
        assert elsewhere is not None
        _replace_other_places(job, elsewhere, keys=build.keys, params=params)

    samples = None
    if store is not None:
        assert manifest is not None, "tar shards need a manifest"
        samples = store(record_sample)
    had_samples = manifest is not None and webdataset.holds_samples(manifest)

    if manifest is not None:
        report.warnings.extend(manifest.problems)
        for key in build.stale:
            if not manifest.entries[key].get("stamps"):
                manifest.forget(key)  # nothing on disk: just forget the input
            elif prune:
                report.pruned.extend(_prune(manifest, key))
            elif webdataset.is_sample(manifest.entries[key]):
                report.stale.append(webdataset.sample_path(manifest, key))
            else:
                report.stale.append(manifest.out / key)
        if prune:
            for key in build.other_settings:
                report.pruned.extend(_prune(manifest, key))
        elif build.other_settings:
            count = len(build.other_settings)
            report.warnings.append(other_settings_warning(count, manifest.out))
    work = functools.partial(_process_task, params=params, render=render)
    tasks = build.tasks if samples is None else map(samples.stage, build.tasks)
    known = itertools.chain(
        _known_results(the_plan, build.up_to_date, manifest),
        (
            (Result(src=job.src, status=Status.FAILED, reason=why), job)
            for job, why in build.refused
        ),
    )
    handed = HandedOut()
    outcomes: Iterator[tuple[Task, Result | BaseException]] | None = None

    def take(task: Task, outcome: Result | BaseException) -> Result:
        """Count and record one task's outcome; return its result."""
        if isinstance(outcome, BaseException):
            # The worker died or was stopped mid-file: drop its temp files.
            remove_temp_files(task.job.outputs)
        if samples is not None:
            staged = task.job
            if not isinstance(outcome, BaseException):
                # Stored and counted together, or not at all (on Ctrl-C).
                with interrupts.deferred():
                    if outcome.status is Status.WRITTEN:
                        outcome = samples.add(outcome, staged)
                    if outcome.status is Status.WRITTEN:
                        report.add(outcome)
                        handed.settle(task)
                if outcome.status is Status.WRITTEN:
                    if on_result is not None:
                        on_result(outcome)
                    return outcome  # in the manifest once its shard is closed
            samples.discard(staged)
            handed.settle(task)
            task = dataclasses.replace(task, job=samples.original(staged))
        if isinstance(outcome, BaseException):
            outcome = Result(
                src=task.job.src,
                status=Status.FAILED,
                reason=str(outcome) or describe_exception(outcome),
            )
        if task.render_only and outcome.status is Status.WRITTEN:
            outcome = _with_npy(outcome, task.job, manifest)
        record(outcome, task.job)
        handed.settle(task)
        return outcome

    if manifest is not None:
        # From now on, a killed run leaves its journal behind, and an
        # interrupted one commits the manifest. (Until now nothing was written,
        # only stale outputs pruned, which the next run prunes again: a signal
        # while planning leaves no journal to recover from.)
        manifest.begin()
    try:
        while chunk := list(itertools.islice(known, HOLD_EVERY)):
            with interrupts.deferred():  # one hold per chunk, not per file
                for result, job in chunk:
                    record(result, job)
        outcomes = runner.run(work, handed.track(tasks))
        for task, outcome in outcomes:
            result = take(task, outcome)
            if fail_fast and result.status is Status.FAILED:
                break
        if samples is not None and prune:
            samples.compact()
    except KeyboardInterrupt as exc:
        _interrupted(report, exc)
        raise
    finally:
        try:
            # Whatever arrives now (a second Ctrl-C too), this runs to its end.
            with interrupts.deferred():
                if outcomes is not None:
                    close = getattr(outcomes, "close", None)
                    if close is not None:
                        close()  # its workers are stopped: nothing more is written
                    # What they finished before that is recorded, as usual.
                    for task, outcome in getattr(runner, "late", ()):
                        take(task, outcome)
                _remove_unsettled(
                    handed.pending(),
                    manifest,
                    params=params,
                    samples=samples,
                    since_ns=started_ns,
                )
                report.warnings.extend(getattr(runner, "notes", ()))
                if samples is not None:
                    try:
                        samples.close()
                    except BaseException:
                        samples.abort()
                        raise
                if manifest is not None and (samples is not None or had_samples):
                    webdataset.remove_unreferenced(manifest.out, manifest)
                report.elapsed = time.perf_counter() - started
                if manifest is not None:
                    try:
                        manifest.commit()
                    except MelcliError as exc:  # a full disk: the journal stays
                        report.errors.append(str(exc))
                    if manifest.journal_error:
                        report.warnings.append(manifest.journal_error)
        except KeyboardInterrupt as exc:  # one that arrived during the clean-up
            _interrupted(report, exc)
            raise
    return report


def _interrupted(report: Report, exc: KeyboardInterrupt) -> None:
    """Mark ``report`` as interrupted by ``exc``'s signal, and attach it to ``exc``."""
    report.interrupted_by = interrupts.signal_number(exc)
    exc.report = report  # type: ignore[attr-defined]


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

    def pending(self) -> list[Task]:
        """Return the tasks handed out and not settled."""
        return list(self._out.values())


def _remove_unsettled(
    tasks: Iterable[Task],
    manifest: Manifest | None,
    *,
    params: MelParams,
    samples: webdataset.SampleStore | None,
    since_ns: int,
) -> None:
    """Delete what tasks whose outcome was never recorded left behind.

    A worker may have finished a file (or some of its segments, or its array
    but not its PNG) just as the run was stopped: such an output is neither
    counted nor in the manifest, and ``--prune`` would never remove it. Kept
    are only the files the manifest records as they are (a PNG-only task's
    array), or without a manifest, those older than the run.
    """
    for task in tasks:
        job = task.job
        if samples is not None:
            samples.discard(job)
            continue
        outputs = [*job.outputs, *segment.more_segments(job.npy, params=params)]
        remove_temp_files(outputs)
        if manifest is None:
            remove_files(
                p for p in outputs if (st := file_stamp(p)) and st[1] >= since_ns
            )
            continue
        previous = manifest.entries.get(relative_key(job.npy, manifest.out))
        recorded = previous.get("stamps") if isinstance(previous, dict) else None
        if not isinstance(recorded, dict):
            recorded = {}
        names = [relative_key(p, manifest.out) for p in outputs]
        manifest.outdir.remove(
            n for n in names if recorded.get(n) != manifest.outdir.stamp(n)
        )


def _process_task(
    task: Task, *, params: MelParams, render: RenderParams | None
) -> Result:
    """Run ``task``: :func:`melcli.pipeline.process_task`, imported on first use.

    The pipeline imports numpy, soundfile and soxr, about half of an
    up-to-date re-run's time; a run with nothing to build never needs them.
    """
    from .pipeline import process_task

    return process_task(task, params=params, render=render)


def _remove_replaced(
    result: Result,
    job: Job,
    elsewhere: _Elsewhere,
    *,
    keys: set[str],
    params: MelParams,
) -> None:
    """Delete the outputs the last run wrote for ``job`` that this one did not.

    A file that now gives fewer segments leaves no ``NAME.NNN.npy`` behind, and
    one whose segment layout or place in OUT changed leaves none of its
    earlier outputs. An input rebuilt because it (or the settings) changed,
    that now fails or is skipped, leaves none either: its old arrays describe
    audio or settings that are gone, and nothing would record them. A file
    another job of this run writes is never deleted.
    """
    if result.status is Status.UP_TO_DATE:
        return
    manifest = elsewhere.manifest
    key = relative_key(job.npy, manifest.out)
    previous = manifest.entries.get(key, {})
    out = manifest.out
    if not webdataset.is_sample(previous):  # shards go once nothing points at them
        now = {relative_key(p, out) for p in result.outputs}
        own: set[str] = set()  # its own names are free now: it wrote nothing
        if result.status is not Status.WRITTEN:
            own = {relative_key(p, out) for p in job.outputs}
        names = previous.get("stamps", {})
        manifest.outdir.remove(
            n for n in names if n not in now and (n not in keys or n in own)
        )
    _replace_other_places(job, elsewhere, keys=keys, params=params)


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

    def __call__(self, src: Path) -> list[str]:
        """Return the keys whose entries are of ``src`` now."""
        if self._index is None:
            self._index = {}
            for key, entry in self.manifest.entries.items():
                self._index.setdefault(str(entry.get("source_abs")), []).append(key)
        source = os.path.abspath(os.fsdecode(src))
        return [
            k
            for k in self._index.get(source, ())
            if self.manifest.entries.get(k, {}).get("source_abs") == source
        ]


def _replace_other_places(
    job: Job, elsewhere: _Elsewhere, *, keys: set[str], params: MelParams
) -> None:
    """Forget (and delete) the same input's outputs at its earlier places in OUT.

    Its other segment layout (``a.npy`` <-> ``a.000.npy``, ``a.001.npy``...),
    or where it was written before its place changed: a rebuilt input replaces
    them. Files are deleted unless another job of this run writes them; a
    sample in a shard is only forgotten (the shard is cleaned up as a
    superseded copy is).
    """
    manifest = elsewhere.manifest
    claimed = None
    for other in elsewhere(job.src):
        if other in keys:
            continue
        entry = manifest.entries[other]
        manifest.forget(other)
        if webdataset.is_sample(entry):
            continue
        claimed = claimed or segment.claimed_by(keys, params=params)
        manifest.outdir.remove(n for n in entry.get("stamps", {}) if not claimed(n))


#: Files recorded under one signal hold before a run's first task: a re-run
#: records thousands, and a hold costs four ``signal()`` calls; Ctrl-C still
#: acts within a few milliseconds.
HOLD_EVERY = 256


def _known_results(
    the_plan: Plan, up_to_date: Sequence[Job], manifest: Manifest | None
) -> Iterator[tuple[Result, Job | None]]:
    """Yield the results known before any task runs: skipped, failed, up to date."""
    for skipped in the_plan.skipped:
        yield (
            Result(src=skipped.path, status=Status.SKIPPED, reason=skipped.reason),
            None,
        )
    for problem in the_plan.problems:
        yield (
            Result(src=problem.path, status=Status.FAILED, reason=problem.reason),
            None,
        )
    for job in up_to_date:
        assert manifest is not None
        yield _up_to_date_result(job, manifest), job


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
    )


def _with_npy(result: Result, job: Job, manifest: Manifest | None) -> Result:
    """Complete a PNG-only result with its (unchanged) array's facts."""
    if manifest is None:
        return result
    previous = _up_to_date_result(job, manifest)
    return dataclasses.replace(
        previous,
        status=Status.WRITTEN,
        warnings=result.warnings,
        outputs=(job.npy, *result.outputs),
    )


def _entry(
    result: Result,
    job: Job | None,
    manifest: Manifest,
    settings: str,
    input_stamp: list[int] | None,
    *,
    changed: dict[str, object] | None = None,
) -> dict[str, object]:
    """Return the manifest line for ``result``.

    ``settings`` is the settings' fingerprint; ``changed`` the settings that
    differ from the defaults (:meth:`MelParams.changed`).
    """
    if job is None:
        key = f"src:{os.fsdecode(result.src)}"
        return {
            "key": key,
            "source_path": os.fsdecode(result.src),
            "source_abs": os.path.abspath(os.fsdecode(result.src)),
            "status": result.status.value,
            "error": result.reason,
        }
    key = relative_key(job.npy_name, manifest.out)
    previous = manifest.entries.get(key, {})
    if result.status is Status.UP_TO_DATE:
        entry = {**previous, "status": result.status.value, "error": ""}
        entry.pop("meta", None)
        return {**entry, **_meta(job)}
    written = result.status is Status.WRITTEN
    outputs = [relative_key(p, manifest.out) for p in result.outputs] if written else []
    return {
        "key": key,
        "source": job.rel,
        "source_path": os.fsdecode(job.src),
        "source_abs": os.path.abspath(os.fsdecode(job.src)),
        "status": result.status.value,
        "error": result.reason,
        "warnings": list(result.warnings),
        "npy": key if written else None,
        "png": relative_key(job.png, manifest.out) if written and job.png else None,
        "stamps": {name: manifest.outdir.stamp(name) for name in outputs},
        "input": input_stamp if input_stamp is not None else file_stamp(job.src),
        "settings": settings,
        "params": changed or {},
        "samplerate": result.samplerate,
        "channels": result.channels,
        "duration": round(result.duration, 6),
        "shape": list(result.shape),
        "sr": result.sr,
        **({"segments": list(result.segments)} if result.segments else {}),
        "silent": result.silent,
        **_meta(job),
        **versions(),
    }


def _meta(job: Job) -> dict[str, object]:
    """``{"meta": {column: value}}`` for a job from a table, else nothing."""
    return {"meta": dict(job.meta)} if job.meta else {}


def run(
    sources: Sequence[str | os.PathLike[str]],
    out: str | os.PathLike[str],
    *,
    params: MelParams | None = None,
    png: bool = False,
    jobs: int | None = None,
    extensions: Iterable[str] = DEFAULT_EXTENSIONS,
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
    on_result: Callable[[Result], None] | None = None,
    render: RenderParams | None = None,
    files_from: str | os.PathLike[str] | FileList | None = None,
    path_column: str | None = None,
    root: str | os.PathLike[str] | None = None,
    force: bool = False,
    prune: bool = False,
) -> Report:
    """Convert every audio file under ``sources`` into ``out`` (``melcli mel``).

    Like the command, the run is incremental and locks ``out``: its
    ``manifest.jsonl`` records every input, and a second run rebuilds only
    what changed.

    Parameters
    ----------
    sources : sequence of path-like
        Audio files and folders (walked recursively). With two or more
        folders, each is mirrored into a subfolder of ``out`` named after it
        (:func:`melcli.discover.subtrees`).
    out : path-like
        The output folder; the input tree is mirrored into it.
    params : MelParams or None
        The settings; librosa's defaults when omitted.
    png : bool
        Also write a PNG render next to each array.
    jobs : int or None
        Worker processes; ``None`` uses every CPU, 1 runs in this process.
    extensions, include, exclude
        Which files to take; see :func:`melcli.discover.plan`.
    on_result : callable or None
        Called with each :class:`Result` as it comes in.
    render : RenderParams or None
        How PNGs are drawn (style, waveform panel, colormap).
    files_from : path-like, ``"-"``, FileList or None
        A list of inputs too (``--files-from``): a text file with one path a
        line, or a CSV/TSV table whose other columns are stored as each
        input's ``meta``; or rows already read
        (:func:`melcli.filelist.rows_of`).
    path_column, root
        The table's path column, and the folder its paths are relative to
        (see :func:`melcli.filelist.read_list`).
    force : bool
        Rebuild everything, even what is up to date.
    prune : bool
        Delete outputs whose input is gone.

    Returns
    -------
    Report
        Every file's result; ``report.exit_code`` is 1 if any failed.

    Raises
    ------
    UsageError
        If ``out`` is locked by another run, or the list cannot be read.
    """
    params = (params or MelParams()).validate()
    segment.check_png(png, params)
    if render is not None:
        render.validate()
    listed = (
        files_from
        if files_from is None or isinstance(files_from, FileList)
        else read_list(files_from, path_column=path_column, root=root)
    )
    the_plan = plan(
        sources,
        out,
        extensions=extensions,
        include=include,
        exclude=exclude,
        png=png,
        listed=listed,
    )
    runner = make_runner(jobs, len(the_plan.jobs))
    with OutputLock(Path(out)):
        return run_plan(
            the_plan,
            params=params,
            runner=runner,
            manifest=Manifest.load(Path(out)),
            force=force,
            prune=prune,
            on_result=on_result,
            render=render,
            out=Path(out),
        )


__all__ = ["BuildPlan", "HandedOut", "decide", "run", "run_plan"]

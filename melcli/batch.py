"""A whole run: decide what to build against the manifest, run it, report.

:func:`decide` compares the planned jobs with ``OUT/manifest.jsonl``;
:func:`run_plan` hands the work to a runner, records every result in the
report and the manifest, and commits the manifest even when interrupted.
:func:`run` is the Python API's one-call version of ``melcli mel``.
"""

from __future__ import annotations

import dataclasses
import functools
import os
import signal
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .discover import DEFAULT_EXTENSIONS, Job, Plan, plan
from .manifest import Manifest, file_stamp, relative_key, versions
from .params import MelParams
from .pipeline import Task, describe_exception, process_task
from .report import Report, Result, Status
from .runners import Runner, make_runner
from .write import remove_temp_files


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


def decide(
    the_plan: Plan,
    manifest: Manifest | None,
    *,
    params: MelParams,
    force: bool = False,
) -> BuildPlan:
    """Split the jobs into what must be built, what only needs its PNG, and the rest."""
    build = BuildPlan()
    settings = params.fingerprint()
    keys = set()
    for job in the_plan.jobs:
        if manifest is None:
            build.tasks.append(Task(job))
            continue
        key = relative_key(job.npy, manifest.out)
        keys.add(key)
        stamp = build.inputs[job.src] = file_stamp(job.src)
        why = (
            "forced"
            if force
            else manifest.why_rebuild(key, input_stamp=stamp, settings=settings)
        )
        if why is not None:
            build.tasks.append(Task(job))
            build.reasons[job.src] = why
        elif job.png is not None and not manifest.png_up_to_date(
            key, relative_key(job.png, manifest.out)
        ):
            sr = int(manifest.entries[key].get("sr", 0))
            build.tasks.append(Task(job, render_only=True, sr=sr))
            build.reasons[job.src] = "PNG missing"
        else:
            build.up_to_date.append(job)
    if manifest is not None:
        build.stale = manifest.stale(keys)
    return build


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
) -> Report:
    """Process the jobs of ``the_plan`` that need it and return the report.

    Files that failed or were passed over during discovery are reported first,
    then up-to-date files, then each job's result as it finishes
    (``on_result`` sees each). With a ``manifest``, only what changed is
    rebuilt and every result is recorded; the manifest is committed even when
    the run is interrupted (KeyboardInterrupt propagates afterwards, with the
    report on the exception as ``exc.report``).
    """
    started = time.perf_counter()
    report = Report()
    settings = params.fingerprint()
    if manifest is not None:
        manifest.begin()  # from now on, a killed run leaves its journal behind
    build = decide(the_plan, manifest, params=params, force=force)

    def record(result: Result, job: Job | None = None) -> None:
        # The entry first (it stats files): an interrupt arriving meanwhile then
        # leaves the report and the manifest agreeing on what was done.
        entry = (
            _entry(result, job, manifest, settings, build.inputs.get(result.src))
            if manifest is not None
            else None
        )
        report.add(result)
        if manifest is not None and entry is not None:
            manifest.record(entry)
        if on_result is not None:
            on_result(result)

    for skipped in the_plan.skipped:
        record(Result(src=skipped.path, status=Status.SKIPPED, reason=skipped.reason))
    for problem in the_plan.problems:
        record(Result(src=problem.path, status=Status.FAILED, reason=problem.reason))
    for job in build.up_to_date:
        assert manifest is not None
        record(_up_to_date_result(job, manifest), job)
    if manifest is not None:
        for key in build.stale:
            if not manifest.entries[key].get("stamps"):
                manifest.forget(key)  # nothing on disk: just forget the input
            elif prune:
                report.pruned.extend(manifest.prune(key))
            else:
                report.stale.append(manifest.out / key)
    work = functools.partial(process_task, params=params)
    try:
        for task, outcome in runner.run(work, build.tasks):
            if isinstance(outcome, BaseException):
                # The worker died or was stopped mid-file: drop its temp files.
                remove_temp_files(task.job.outputs)
                outcome = Result(
                    src=task.job.src,
                    status=Status.FAILED,
                    reason=str(outcome) or describe_exception(outcome),
                )
            if task.render_only and outcome.status is Status.WRITTEN:
                outcome = _with_npy(outcome, task.job, manifest)
            record(outcome, task.job)
            if fail_fast and outcome.status is Status.FAILED:
                break
    except KeyboardInterrupt as exc:
        report.interrupted_by = getattr(exc, "signum", signal.SIGINT)
        exc.report = report  # type: ignore[attr-defined]
        raise
    finally:
        report.elapsed = time.perf_counter() - started
        if manifest is not None:
            manifest.commit()
    return report


def _up_to_date_result(job: Job, manifest: Manifest) -> Result:
    entry = manifest.entries[relative_key(job.npy, manifest.out)]
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
) -> dict[str, object]:
    """Return the manifest line for ``result``."""
    if job is None:
        key = f"src:{os.fsdecode(result.src)}"
        return {
            "key": key,
            "source_path": os.fsdecode(result.src),
            "source_abs": os.path.abspath(os.fsdecode(result.src)),
            "status": result.status.value,
            "error": result.reason,
        }
    key = relative_key(job.npy, manifest.out)
    previous = manifest.entries.get(key, {})
    if result.status is Status.UP_TO_DATE:
        return {**previous, "status": result.status.value, "error": ""}
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
        "stamps": {name: file_stamp(manifest.out / name) for name in outputs},
        "input": input_stamp if input_stamp is not None else file_stamp(job.src),
        "settings": settings,
        "samplerate": result.samplerate,
        "channels": result.channels,
        "duration": round(result.duration, 6),
        "shape": list(result.shape),
        "sr": result.sr,
        "silent": result.silent,
        **versions(),
    }


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
) -> Report:
    """Convert every audio file under ``sources`` into ``out`` (``melcli mel``).

    Parameters
    ----------
    sources : sequence of path-like
        Audio files and folders (walked recursively).
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

    Returns
    -------
    Report
        Every file's result; ``report.exit_code`` is 1 if any failed.
    """
    params = (params or MelParams()).validate()
    the_plan = plan(
        sources, out, extensions=extensions, include=include, exclude=exclude, png=png
    )
    runner = make_runner(jobs, len(the_plan.jobs))
    return run_plan(the_plan, params=params, runner=runner, on_result=on_result)


__all__ = ["BuildPlan", "decide", "run", "run_plan"]

"""The per-file pipeline and the runners that apply it to a batch.

:func:`process_one` is pure with respect to the batch: it takes one
:class:`~melcli.discover.Job` and the settings, writes that job's outputs and
returns a :class:`~melcli.report.Result`; it never raises for a bad file. It is
picklable, so any runner with a ``map``-like interface can drive it: in process
(:class:`SerialRunner`), in a local process pool (:class:`ProcessRunner`), or a
distributed engine later.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import importlib
import itertools
import os
import signal
import sys
import time
import warnings
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, TypeVar

import numpy as np

from . import audio, stream, transform
from .discover import DEFAULT_EXTENSIONS, Job, Plan, plan
from .errors import MelcliError
from .manifest import Manifest, file_stamp, relative_key, versions
from .params import MelParams
from .report import Report, Result, Status
from .write import save_npy

if TYPE_CHECKING:  # imported when a pool is used: a no-op re-run does without
    import concurrent.futures as cf

T = TypeVar("T")
R = TypeVar("R")


# ------------------------------------------------------------------ one file
def mel_spectrogram(
    source: str | os.PathLike[str] | np.ndarray,
    *,
    sr: int | None = None,
    params: MelParams | None = None,
) -> np.ndarray:
    """Compute the log-mel spectrogram of a file or a waveform.

    Parameters
    ----------
    source : path-like or np.ndarray [shape=(n,) or (channels, n)]
        An audio file, or samples.
    sr : int or None
        The sampling rate of ``source`` when it is an array (required then).
    params : MelParams or None
        The settings; ``MelParams()`` (librosa's defaults) when omitted.

    Returns
    -------
    S_db : np.ndarray [shape=(n_mels, t), or (channels, n_mels, t) when not mono]

    Examples
    --------
    >>> import numpy as np, melcli
    >>> y = np.sin(2 * np.pi * 440 * np.arange(22050) / 22050).astype(np.float32)
    >>> melcli.mel_spectrogram(y, sr=22050).shape
    (128, 44)
    """
    params = (params or MelParams()).validate()
    if isinstance(source, np.ndarray):
        if sr is None:
            raise MelcliError("sr is required when source is an array")
        y = np.asarray(source, dtype=np.float32)
        if params.mono and y.ndim == 2:
            y = audio.to_mono(y.T)
        elif not params.mono and y.ndim == 1:
            y = y[np.newaxis]
        y, sr = audio.to_rate(y, sr, params)
    else:
        wave = audio.load(source, params)
        y, sr = wave.y, wave.sr
    params.check_sr(sr)
    return transform.mel_spectrogram_db(y, sr=sr, params=params)


def process_one(job: Job, *, params: MelParams) -> Result:
    """Turn one input into its outputs; report failures instead of raising.

    Parameters
    ----------
    job : Job
        The input and its output paths.
    params : MelParams
        Validated settings.

    Returns
    -------
    Result
        ``WRITTEN`` with the array's shape and the source's header facts, or
        ``FAILED`` with the cause in words. Warnings raised while processing
        this file are attached to its result.
    """
    timings: dict[str, float] = {}
    info = None
    sr = 0
    shape: tuple[int, ...] = ()
    with _one_file() as outcome:
        try:
            limit = stream.STREAM_SECONDS if stream.can_stream(params) else None
            wave = audio.load(job.src, params, timings=timings, max_seconds=limit)
        except audio.TooLong:
            streamed = stream.stream_to_npy(
                job.src, job.npy, params=params, timings=timings
            )
            info, shape = streamed.info, streamed.shape
            S_db = np.load(job.npy, mmap_mode="r")
            sr = streamed.sr
        else:
            info, sr = wave.info, wave.sr
            params.check_sr(sr)
            S_db = transform.mel_spectrogram_db(
                wave.y, sr=sr, params=params, timings=timings
            )
            shape = S_db.shape
            if not np.isfinite(S_db).all():
                raise MelcliError(
                    "spectrogram is not finite (sample values too large?)"
                )
            t0 = time.perf_counter()
            save_npy(job.npy, S_db)
            timings["write"] = time.perf_counter() - t0
        t1 = time.perf_counter()
        if job.png is not None:
            from .render import render_png

            try:
                render_png(job.png, S_db, sr=sr, params=params, title=job.rel)
            except BaseException:
                # A failed file leaves no outputs behind, not half a pair.
                job.npy.unlink(missing_ok=True)
                raise
            timings["render"] = time.perf_counter() - t1
    status = outcome.status
    return Result(
        src=job.src,
        status=status,
        reason=outcome.reason,
        warnings=outcome.warnings,
        outputs=job.outputs if status is Status.WRITTEN else (),
        shape=tuple(shape),
        samplerate=info.samplerate if info else 0,
        channels=info.channels if info else 0,
        duration=info.duration if info else 0.0,
        sr=sr if status is Status.WRITTEN else 0,
        timings=timings,
    )


@dataclass
class _Outcome:
    status: Status = Status.WRITTEN
    reason: str = ""
    warnings: tuple[str, ...] = ()


@contextlib.contextmanager
def _one_file() -> Iterator[_Outcome]:
    """Attribute one file's warnings to it, and turn its errors into a reason.

    Any ``Exception`` becomes a ``FAILED`` outcome (a bad file must not stop
    the batch); ``KeyboardInterrupt`` and ``SystemExit`` go through.
    """
    outcome = _Outcome()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            yield outcome
        except MelcliError as exc:
            outcome.status, outcome.reason = Status.FAILED, str(exc)
        except Exception as exc:
            outcome.status, outcome.reason = Status.FAILED, _describe_unexpected(exc)
    outcome.warnings = tuple(dict.fromkeys(str(w.message) for w in caught))


def _describe_unexpected(exc: BaseException) -> str:
    text = str(exc).strip()
    if isinstance(exc, OSError) and exc.strerror:
        return f"cannot write output: {exc.strerror.lower()}"
    if type(exc).__module__.startswith("librosa"):
        return text or type(exc).__name__
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


# ------------------------------------------------------------------- runners
class Runner(Protocol):
    """Applies a picklable function to items and yields outcomes as they finish."""

    def run(
        self, fn: Callable[[T], R], items: Iterable[T]
    ) -> Iterator[tuple[T, R | BaseException]]:
        """Yield ``(item, fn(item))``, or ``(item, exception)`` if running it failed."""
        ...


class SerialRunner:
    """Runs everything in this process, in order (``-j 1``)."""

    def run(
        self, fn: Callable[[T], R], items: Iterable[T]
    ) -> Iterator[tuple[T, R | BaseException]]:
        """Yield ``(item, fn(item))`` one by one."""
        for item in items:
            try:
                yield item, fn(item)
            except Exception as exc:
                yield item, exc


class ProcessRunner:
    """Runs items in a pool of ``jobs`` worker processes.

    Workers start with the pipeline's modules already imported (forked from
    this process, or from a fork server that preloads them), so imports are
    paid once, not once per worker. At most a few items per worker are in
    flight, which keeps memory flat on huge batches. If a worker dies (killed,
    out of memory), the items it held fail and the pool is replaced.

    When the consumer stops early (an interrupt, ``--fail-fast``), the
    workers are terminated rather than awaited (see :func:`_exit_on_sigterm`:
    a worker in the middle of a file removes its temp file on the way out),
    and killed if still alive a second later. Workers ignore SIGINT; the
    parent decides.
    """

    def __init__(
        self,
        jobs: int,
        *,
        preload: Sequence[str] = ("melcli._preload",),
        warm_up: Callable[[], None] | None = None,
    ) -> None:
        self.jobs = max(1, jobs)
        self.preload = list(preload)
        self.warm_up = warm_up

    def run(
        self, fn: Callable[[T], R], items: Iterable[T]
    ) -> Iterator[tuple[T, R | BaseException]]:
        """Yield ``(item, outcome)`` in completion order."""
        pending = iter(items)
        first = next(pending, _NOTHING)
        if first is _NOTHING:  # nothing to do (an up-to-date re-run): no pool at all
            return
        pending = itertools.chain([first], pending)  # type: ignore[list-item]
        broken = True
        while broken:
            executor = self._executor()
            try:
                broken = yield from self._drain(executor, fn, pending)
            except BaseException:  # interrupted, or the consumer stopped
                _terminate_workers(executor)
                raise
            finally:
                executor.shutdown(wait=True, cancel_futures=True)

    def _drain(
        self, executor: cf.Executor, fn: Callable[[T], R], pending: Iterator[T]
    ) -> Generator[tuple[T, R | BaseException], None, bool]:
        """Run ``pending`` on ``executor``; return True if the pool broke."""
        import concurrent.futures as cf
        from concurrent.futures.process import BrokenProcessPool

        window = 4 * self.jobs
        in_flight: dict[cf.Future[R], T] = {}
        broken = False
        while True:
            if not broken:
                for item in itertools.islice(pending, window - len(in_flight)):
                    in_flight[executor.submit(fn, item)] = item
            if not in_flight:
                return broken
            done, _ = cf.wait(in_flight, return_when=cf.FIRST_COMPLETED)
            for future in done:
                item = in_flight.pop(future)
                try:
                    yield item, future.result()
                except BrokenProcessPool:
                    broken = True
                    yield (
                        item,
                        MelcliError("worker process died (killed or out of memory)"),
                    )
                except Exception as exc:
                    yield item, exc

    def _executor(self) -> cf.ProcessPoolExecutor:
        import concurrent.futures as cf
        import multiprocessing

        context = multiprocessing.get_context(_start_method())
        if isinstance(context, multiprocessing.context.ForkServerContext):
            context.set_forkserver_preload(self.preload)
        else:  # forked workers inherit what this process has imported...
            for module in self.preload:
                importlib.import_module(module)
            if self.warm_up is not None:  # ... and computed
                self.warm_up()
        return cf.ProcessPoolExecutor(
            max_workers=self.jobs, mp_context=context, initializer=_init_worker
        )


_NOTHING = object()


def _init_worker() -> None:
    global _IN_WORKER
    _IN_WORKER = True
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _exit_on_sigterm)


def _exit_on_sigterm(signum: int, frame: object) -> None:
    """Stop a worker: unwind a task (removing its temp file), else leave at once.

    Only inside a task is it safe to raise: between tasks the worker may be
    inside multiprocessing's queue code, where an exception would leave a lock
    held and the parent waiting forever. Later SIGTERMs are ignored, so that
    the unwinding itself is not interrupted.
    """
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    if _IN_TASK:
        raise SystemExit(128 + signum)
    os._exit(128 + signum)


def _terminate_workers(executor: cf.ProcessPoolExecutor, grace: float = 1.0) -> None:
    """SIGTERM every worker, and SIGKILL those still alive after ``grace`` s."""
    # concurrent.futures has no public way to stop running tasks; its process
    # table is private, hence getattr with a fallback.
    processes = list((getattr(executor, "_processes", None) or {}).values())
    for process in processes:
        if process.is_alive():
            process.terminate()
    deadline = time.monotonic() + grace
    for process in processes:
        process.join(max(0.0, deadline - time.monotonic()))
        if process.is_alive():
            process.kill()


def _start_method() -> str:
    """Fork on Linux before Python 3.12, else a fork server (or spawn).

    Forking from this process, which has already imported numpy, soundfile and
    melcli, starts a worker in milliseconds; a fork server first starts a new
    interpreter and imports them again (about 0.1 s more per run, measured
    side by side). Python 3.12 deprecates fork() in a process with threads
    (numpy's BLAS pool counts), so from 3.12 on the fork server is used.
    """
    if sys.platform == "linux" and sys.version_info < (3, 12):
        return "fork"
    import multiprocessing

    methods = multiprocessing.get_all_start_methods()
    return "forkserver" if "forkserver" in methods else "spawn"


def default_jobs() -> int:
    """Return the number of CPUs this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def make_runner(
    jobs: int | None,
    n_items: int,
    *,
    png: bool = False,
    params: MelParams | None = None,
) -> Runner:
    """Choose a runner: a pool only when there is more than one file and job.

    With ``png``, the workers also start with matplotlib imported, so that
    each does not import it again. With ``params``, forked workers start with
    the mel basis and the window already computed.
    """
    jobs = default_jobs() if jobs is None else jobs
    if jobs <= 1 or n_items <= 1:
        return SerialRunner()
    preload = [
        "melcli._preload",
        *(["melcli.render", "matplotlib.backends.backend_agg"] * png),
    ]
    warm_up = functools.partial(_warm_up, params) if params is not None else None
    return ProcessRunner(min(jobs, n_items), preload=preload, warm_up=warm_up)


def _warm_up(params: MelParams) -> None:
    """Compute once, before forking, what every worker would compute first."""
    transform.stft_window(params.window, params.effective_win_length, params.n_fft)
    if params.sr is not None:
        transform.mel_basis(params.sr, params=params)
    with transform.one_blas_thread():
        pass


# --------------------------------------------------------------------- batch
@dataclass(frozen=True)
class Task:
    """One unit of work for a runner: a whole job, or only its PNG."""

    job: Job
    render_only: bool = False
    #: For ``render_only``: the rate the existing array was computed at.
    sr: int = 0


def process_task(task: Task, *, params: MelParams) -> Result:
    """Run ``task`` (picklable entry point for the runners)."""
    global _IN_TASK
    _IN_TASK = True
    try:
        if task.render_only:
            return render_one(task.job, params=params, sr=task.sr)
        return process_one(task.job, params=params)
    except SystemExit:
        if _IN_WORKER:
            # SIGTERM from the parent: the file's temporary output was removed
            # on the way here. Leave now, or concurrent.futures' worker loop
            # would catch this and start the next queued file.
            os._exit(128 + signal.SIGTERM)
        raise
    finally:
        _IN_TASK = False


#: True in pool workers (set by their initializer), and while one runs a task.
_IN_WORKER = False
_IN_TASK = False


def render_one(job: Job, *, params: MelParams, sr: int) -> Result:
    """Render the PNG of an array that is already up to date."""
    assert job.png is not None
    with _one_file() as outcome:
        from .render import render_png

        S_db = np.load(job.npy, mmap_mode="r")
        render_png(job.png, S_db, sr=sr, params=params, title=job.rel)
    return Result(
        src=job.src,
        status=outcome.status,
        reason=outcome.reason,
        warnings=outcome.warnings,
        outputs=(job.png,) if outcome.status is Status.WRITTEN else (),
        sr=sr,
    )


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
        report.add(result)
        if manifest is not None:
            manifest.record(
                _entry(result, job, manifest, settings, build.inputs.get(result.src))
            )
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
                outcome = Result(
                    src=task.job.src,
                    status=Status.FAILED,
                    reason=str(outcome) or _describe_unexpected(outcome),
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


__all__ = [
    "ProcessRunner",
    "Runner",
    "SerialRunner",
    "default_jobs",
    "make_runner",
    "mel_spectrogram",
    "process_one",
    "run",
    "run_plan",
]

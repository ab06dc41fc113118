"""The run engine: one call does a whole ``melcli mel`` run.

:func:`run_session` takes the inputs, OUT, the pipeline's settings and the
run's options, and does everything a run needs, in order: it checks the
options, plans the jobs, locks OUT, loads the manifest and recovers from an
interrupted run, chooses a runner (a pool, or a Dask cluster), hands the work
to :func:`melcli.batch.run_plan` with the storage format's writer, turns
SIGINT/SIGTERM into a clean stop, and writes the statistics. It prints
nothing: it tells how the run goes through :class:`Events` and returns an
:class:`Outcome` (with ``dry_run``, a :class:`DryRun`: what would be built).

:func:`run` is the Python API's one call (``melcli.run``); the ``melcli mel``
command parses its options, calls :func:`run_session` and prints.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import inspect
import os
import stat
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, ParamSpec, TypedDict, TypeVar, Unpack, overload

from . import _zygote, interrupts, segment
from . import shard as sharding
from .applies import run_warnings
from .batch import (
    KEPT_NOTE,
    BuildPlan,
    RunInterrupted,
    astray_lines,
    decide,
    left_in_out,
    moved_warning,
    other_settings_warning,
    refuse_over_kept,
    refused_lines,
    run_plan,
    taken_over_warning,
)
from .discover import (
    DEFAULT_EXTENSIONS,
    Plan,
    Task,
    collector_paused,
    job_field,
    plan,
)
from .errors import (
    MelcliError,
    ParameterError,
    UsageError,
    describe_exception,
    did_you_mean,
    number,
)
from .filelist import FileList
from .hints import case_only_hints, run_hints, with_own_faults, wrong_root_hint
from .inputs import (
    check_inputs,
    check_jobs,
    check_out,
    extension_set,
    path_of,
    read_listed,
    readable_twice,
)
from .inputs import one_or_many as _one_or_many
from .manifest import Manifest, dry_run_problem, relative_key
from .outdir import OutputLock, remove_leftovers, require_folder
from .params import MelParams, RenderParams, check_flag
from .report import Report, Result, Status, plural, stale_note, up_to_date_result
from .runners import (
    DEFAULT_TIMEOUT,
    ProcessRunner,
    Runner,
    default_jobs,
    make_runner,
    tune_allocator,
)
from .storage import FORMATS, Storage, storage_for, storage_of, storages_in
from .storage.tarshards import parse_size
from .storage.webdataset import DEFAULT_SHARD_SIZE

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .stats import DatasetStats

_P = ParamSpec("_P")
_T = TypeVar("_T")


class Inputs:
    """What a run takes: SRC files and folders, and files listed in a table.

    ``extensions``, ``include`` and ``exclude`` choose the files of the
    folders (see :func:`melcli.discover.plan`); ``listed`` are the inputs of
    ``--files-from`` (:func:`melcli.filelist.read_list`).
    """

    def __init__(
        self,
        sources: Iterable[str | os.PathLike[str]] | str | os.PathLike[str] = (),
        listed: FileList | None = None,
        extensions: Iterable[str] | str = DEFAULT_EXTENSIONS,
        include: Iterable[str] | str = (),
        exclude: Iterable[str] | str = (),
    ) -> None:
        self.sources = tuple(Path(s) for s in _one_or_many(sources, param="sources"))
        self.listed = listed
        self.extensions = extension_set(extensions)
        self.include = tuple(_one_or_many(include, param="include"))
        self.exclude = tuple(_one_or_many(exclude, param="exclude"))


@dataclass(frozen=True)
class RunOptions:
    """How a run goes: the options of ``melcli mel`` that are not settings.

    Attributes
    ----------
    jobs : int or None
        Worker processes; ``None`` uses every CPU, 1 runs in this process.
    scheduler : str or None
        ``"local"``, or the address (or scheduler file) of a Dask cluster to
        run the per-file work on (``--scheduler``; needs ``melcli[dask]``).
    shard : Shard or None
        Process only shard I of N (``--shard I/N``); the shards' manifests
        are combined by :func:`melcli.shard.merge`.
    timeout : float or None
        Seconds a file may take in a worker (``--timeout``); 0 disables.
    storage_format : str
        ``"npy"`` (one ``.npy`` per input) or ``"webdataset"`` (tar shards).
    shard_size : int
        With ``"webdataset"``: the largest a tar shard may grow, in bytes.
    force : bool
        Rebuild everything, even what is up to date.
    prune : bool
        Delete outputs whose input is gone, and outputs of inputs left out
        that were made with other settings.
    fail_fast : bool
        Stop at the first file that fails.
    dry_run : bool
        Write nothing; say what would be built (:class:`DryRun`).
    stats : bool
        At the end, write ``OUT/stats.npz`` over the run's arrays.
    """

    jobs: int | None = None
    scheduler: str | None = None
    shard: sharding.Shard | None = None
    timeout: float | None = None
    storage_format: str = "npy"
    shard_size: int = parse_size(DEFAULT_SHARD_SIZE)
    force: bool = False
    prune: bool = False
    fail_fast: bool = False
    dry_run: bool = False
    stats: bool = False

    def validate(self) -> RunOptions:
        """Return the options, or raise :class:`ParameterError` naming one.

        The error's ``param`` is the option to blame (``shard``, ``timeout``).
        """
        storage_for(self.storage_format)  # one of FORMATS
        if self.scheduler is not None and not isinstance(self.scheduler, str):
            raise ParameterError(  # scheduler=3 failed inside the Dask client
                f"scheduler={self.scheduler!r} must be 'local', an address "
                "(tcp://HOST:PORT) or a scheduler file's path",
                param="scheduler",
            )
        _check_seconds(self.timeout)
        check_jobs(self.jobs)  # as -j refuses it
        for name in ("force", "prune", "fail_fast", "dry_run", "stats"):
            check_flag(name, getattr(self, name))  # force="no" was True
        # Each message names the option given and the one it clashes with, as
        # the caller spelled them (the command turns them into --options).
        shard = (
            f"shard='{self.shard.index}/{self.shard.count}'"
            if isinstance(self.shard, sharding.Shard)
            else f"shard={self.shard!r}"
        )
        if self.shard is not None and self.storage_format == "webdataset":
            # Concurrent shards would pick the same tar names, and each would
            # delete the tars its own manifest part does not list.
            raise ParameterError(
                f"{shard} cannot be combined with storage_format='webdataset' "
                "(the shards would share tar names); give each shard its own "
                "OUT instead",
                param="shard",
            )
        if self.shard is not None and self.stats:
            # A shard's own arrays are 1/N of the dataset, and N shards would
            # overwrite one OUT/stats.npz in turn.
            raise ParameterError(
                f"{shard} cannot be combined with stats=True (a shard sees 1/N "
                "of the arrays); run 'melcli stats OUT' after 'melcli merge OUT'",
                param="shard",
            )
        if self.scheduler is not None and self.timeout:
            # Dask cannot stop a task that is running; the scheduler's own
            # allowed-failures settle files that kill their worker.
            raise ParameterError(
                f"timeout={number(self.timeout)} cannot be combined with "
                f"scheduler={self.scheduler!r} (a Dask task cannot be stopped "
                "once it runs; leave the timeout out)",
                param="timeout",
            )
        return self


#: The longest time an option takes (about 31 years): beyond the system's
#: timers' range (some 292 years in nanoseconds) with room to spare.
MAX_SECONDS = 1e9


def _check_seconds(timeout: object) -> None:
    """Raise :class:`ParameterError` unless ``timeout`` is None or 0..MAX_SECONDS s."""
    if timeout is None:
        return
    if (
        isinstance(timeout, bool)
        or not isinstance(timeout, int | float)
        or not 0 <= timeout <= MAX_SECONDS  # NaN too
    ):
        raise ParameterError(
            f"timeout={timeout!r} must be a number of seconds from 0 to "
            f"{MAX_SECONDS:g} (0: no limit)",
            param="timeout",
        )


class Events:
    """What a run tells as it goes: override the methods you need.

    Each does nothing here. :meth:`finished` runs with SIGINT and SIGTERM
    held (a summary is printed whole; a signal meanwhile acts after it).
    """

    def removed_leftover(self, path: Path) -> None:
        """Tell that a temp file an interrupted run left was deleted."""

    def started(self, total: int) -> None:
        """Tell that the run starts: ``total`` inputs (jobs, problems, skipped)."""

    def sharded(self, shard: sharding.Shard, total: int) -> None:
        """With a shard: ``total`` inputs in all shards, before this one's are taken."""

    def result(self, result: Result) -> None:
        """One input's result is in (and recorded)."""

    def up_to_date(self, sources: Sequence[str]) -> None:
        """Tell that some inputs, by path, are up to date (and recorded).

        Here, :meth:`result` is told of each; a re-run of many inputs is
        cheaper when this is overridden to take them all at once.
        """
        for src in sources:
            self.result(up_to_date_result(src))

    def finished(self, report: Report) -> None:
        """Tell that the run is over (also when interrupted); statistics come next."""


@dataclass
class DryRun:
    """What a run would do (``--dry-run``); nothing was written.

    Paths are shown as a run reports them: an output, or a sample of a shard.
    """

    #: Each input that would be built, and why.
    builds: list[tuple[Path, str]] = field(default_factory=list)
    #: Outputs whose input is gone (without ``--prune``: kept).
    stale: list[Path] = field(default_factory=list)
    #: Outputs ``--prune`` would delete: their input is gone.
    pruned: list[Path] = field(default_factory=list)
    #: The tar shards a run would delete or rewrite, one line each.
    shards: list[str] = field(default_factory=list)
    #: Inputs that would fail before any work, and why.
    errors: list[tuple[Path, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    #: Outputs ``--prune`` would delete: made with other settings.
    deletes: list[Path] = field(default_factory=list)
    up_to_date: int = 0
    #: Paths the run would pass over, and why (not audio by extension...), as
    #: it counts them ``skipped``.
    skipped: list[tuple[Path, str]] = field(default_factory=list)

    @property
    def retries(self) -> list[tuple[Path, str]]:
        """The :attr:`builds` that failed last time and would be tried again as then.

        Neither the input nor the settings changed since: unless what failed
        was not the file (a decoder since installed, a timeout, a full disk),
        the run fails them again.
        """
        return [(p, why) for p, why in self.builds if why.startswith(FAILED_LAST_TIME)]

    def summary(self) -> str:
        """Return the line ``melcli mel --dry-run`` ends with.

        ``3 to build, 297 up to date, 1 skipped, 1 to try again, unchanged
        since it failed, 2 would fail (dry run: nothing written, nothing
        decoded).``
        """
        retries = len(self.retries)
        parts = [
            f"{len(self.builds) - retries} to build",
            f"{self.up_to_date} up to date",
        ]
        if self.skipped:  # as the run's summary counts them
            parts.append(f"{len(self.skipped)} skipped")
        if retries:  # built, but not as a change would be: said apart
            they = "it" if retries == 1 else "they"
            parts.append(f"{retries} to try again, unchanged since {they} failed")
        if self.errors:  # as the run would count them: not among those to build
            parts.append(f"{len(self.errors)} would fail")
        if deleted := len(self.pruned) + len(self.deletes):  # as the run says it
            parts.append(f"{plural(deleted, 'file')} to delete")
        elif self.stale:
            parts.append(stale_note(len(self.stale)))
        # A file is not opened: one cut short or not audio fails only when run.
        return f"{', '.join(parts)} (dry run: nothing written, nothing decoded)."

    def to_json(self) -> dict[str, object]:
        """Return the plan for ``--dry-run --json``, in the plan's order."""

        def by_path(pairs: list[tuple[Path, str]]) -> list[dict[str, str]]:
            return [{"path": os.fsdecode(p), "reason": why} for p, why in pairs]

        return {
            "dry_run": True,
            "build": by_path(self.builds),
            "up_to_date": self.up_to_date,
            "skipped": len(self.skipped),
            "stale": [os.fsdecode(p) for p in self.stale],
            "delete": [os.fsdecode(p) for p in (*self.pruned, *self.deletes)],
            "shards": list(self.shards),
            "failures": by_path(self.errors),
            "warnings": list(self.warnings),
        }


@dataclass
class StatsOutcome:
    """``--stats``: the statistics written to ``path``, or why not."""

    path: Path
    stats: DatasetStats | None = None
    #: Why they could not be written (the run then ends with status 1).
    error: str | None = None


@dataclass
class Outcome:
    """What :func:`run_session` did: a run's report, or a dry run's plan."""

    report: Report | None = None
    dry_run: DryRun | None = None
    stats: StatsOutcome | None = None
    #: The inputs of the run (jobs, problems and skipped files).
    total: int = 0

    @property
    def exit_code(self) -> int:
        """The report's status; 1 if the statistics could not be written."""
        code = self.report.exit_code if self.report is not None else 0
        failed = self.stats is not None and self.stats.error is not None
        return code or (1 if failed else 0)


def run_session(
    inputs: Inputs,
    out: Path,
    *,
    params: MelParams,
    render: RenderParams | None = None,
    png: bool = False,
    options: RunOptions = RunOptions(),
    events: Events | None = None,
) -> Outcome:
    """Do a whole run: convert ``inputs`` into ``out``, incrementally.

    ``params`` and ``render`` must be validated. With ``options.dry_run``,
    nothing is written and :attr:`Outcome.dry_run` says what would be.

    Raises
    ------
    ParameterError
        If the options do not go together (see :meth:`RunOptions.validate`).
    MelcliError
        If the run cannot start: OUT is locked by another run, or Dask is
        missing for ``scheduler``.
    """
    options.validate()
    events = events or Events()
    # From Python, a signal stops the run as it stops the command (which
    # takes them for its whole life: this does nothing there).
    taking = interrupts.stopping_a_call()
    try:
        with taking as call:
            outcome = _session(
                inputs,
                out,
                params=params,
                render=render,
                png=png,
                options=options,
                events=events,
                call=call,
            )
    except BaseException as exc:
        if taking.taken is not None and not taking.call.ending:
            taking.end(exc)  # its __exit__ stopped at its first line
        raise
    if outcome.report is not None and outcome.report.interrupted_by is None:
        # A signal whose KeyboardInterrupt was dropped (raised in a finaliser)
        # or swallowed (an on_result callback's ``except``), the run gone on
        # to its end: it was still asked to stop, as the command says (130).
        outcome.report.interrupted_by = call.stopped_by
    return outcome


def _session(
    inputs: Inputs,
    out: Path,
    *,
    params: MelParams,
    render: RenderParams | None,
    png: bool,
    options: RunOptions,
    events: Events,
    call: interrupts.Call,
) -> Outcome:
    """Do :func:`run_session`'s run, signals taken in hand (``call``)."""
    check_out(inputs.sources, out)
    if options.scheduler is not None and not options.dry_run:
        _prepare_cluster(options.scheduler)
    whole = _plan(inputs, out, png=png)
    the_plan = sharding.with_shard(whole, options.shard)
    # Clashing inputs that are broken too: said now, not a run later.
    the_plan.problems = with_own_faults(the_plan.problems)
    if options.shard is not None:
        events.sharded(options.shard, _total(whole))
    # Said last, with the hints: a list none of whose files is found...
    notes = [hint] if (hint := wrong_root_hint(inputs.listed)) else []
    notes += case_only_hints(whole.case_only)  # a pattern that missed by case
    # ... and, last, that there is no input at all.
    last = [_why_nothing(options.shard, _total(whole))] if not _total(the_plan) else []
    hints = functools.partial(_hints, inputs=inputs, notes=notes, last=last)
    if options.dry_run:
        found = dry_run(the_plan, out, params=params, render=render, options=options)
        found.warnings.extend(_plan_hints(the_plan, found, hints))
        return Outcome(dry_run=found, total=_total(the_plan))
    with _lock(out, options.shard):
        report = _build(
            the_plan,
            out,
            params=params,
            render=render,
            options=options,
            events=events,
            hints=hints,
        )
        stats = None
        if options.stats and report.interrupted_by is None:
            try:
                stats = _write_stats(report, out)
            except KeyboardInterrupt as exc:
                if not call.taken:  # the command: it says so after its summary
                    raise
                report.interrupted_by = interrupts.signal_number(exc)
    return Outcome(report=report, stats=stats, total=_total(the_plan))


def _plan(inputs: Inputs, out: Path, *, png: bool) -> Plan:
    with collector_paused():
        return plan(
            inputs.sources,
            out,
            extensions=inputs.extensions,
            include=inputs.include,
            exclude=inputs.exclude,
            png=png,
            listed=inputs.listed,
        )


def _total(the_plan: Plan) -> int:
    return len(the_plan.jobs) + len(the_plan.problems) + len(the_plan.skipped)


def _prepare_cluster(scheduler: str) -> None:
    """Start the local cluster's fork server early; check that Dask is there."""
    from . import cluster

    if scheduler == cluster.LOCAL:  # its workers import, meanwhile
        cluster.start_fork_server()
    cluster.require_dask()


@contextlib.contextmanager
def _lock(out: Path, shard: sharding.Shard | None) -> Iterator[None]:
    """Lock OUT for a whole run, or share it with the other shards of a run."""
    if shard is None:
        with OutputLock(out):
            yield
    else:
        shard_lock = OutputLock(out, name=sharding.lock_name(shard))
        with OutputLock(out, shared=True), shard_lock:
            yield


@contextlib.contextmanager
def locked(out: Path) -> Iterator[None]:
    """Hold OUT's lock, as a whole run does (``melcli stats``, ``merge``).

    Raises
    ------
    UsageError
        If another run holds it.
    """
    with OutputLock(out):
        yield


def _load_manifest(
    out: Path,
    shard: sharding.Shard | None,
    the_plan: Plan,
    *,
    read_only: bool = False,
) -> Manifest:
    if shard is None:  # a run repairs an entry its array disagrees with
        return Manifest.load(out, check_arrays=True, read_only=read_only)
    others = sharding.others_of(the_plan)  # what other shards write is theirs
    return sharding.ShardManifest.load_part(out, shard, others=others)


def _build(
    the_plan: Plan,
    out: Path,
    *,
    params: MelParams,
    render: RenderParams | None,
    options: RunOptions,
    events: Events,
    hints: Callable[[Report, list[Result]], list[str]] | None = None,
) -> Report:
    """Run the plan under OUT's lock, turning SIGINT/SIGTERM into a clean stop.

    ``hints`` says, from the report and the inputs passed over, the warnings
    added to the report's last (:func:`_hints`).
    """
    with collector_paused():  # the plan's objects are not looked at again
        manifest = _load_manifest(out, options.shard, the_plan)
    # A shard removes only its own temp files: other shards may be writing.
    owned = (
        sharding.owned_outputs(the_plan, params=params)
        if options.shard is not None
        else None
    )
    # A temp file that cannot be deleted is said once the run is over.
    left: list[str] = []
    sweep = functools.partial(remove_leftovers, out, owned=owned, failures=left)
    if manifest.recovered:
        # The last run did not finish: a killed worker may have left temp files.
        for leftover in sweep():
            events.removed_leftover(leftover)
    events.started(_total(the_plan))
    runner = _runner(the_plan, out, params=params, options=options)
    # The inputs passed over, for the hints: few, kept as they come (the
    # report would make a result of every up-to-date input to find them).
    passed: list[Result] = []

    def on_result(result: Result) -> None:
        if result.status is Status.SKIPPED:
            passed.append(result)
        events.result(result)

    try:
        with contextlib.closing(manifest):  # the store's connection, at once
            report = run_plan(
                the_plan,
                params=params,
                runner=runner,
                manifest=manifest,
                force=options.force,
                prune=options.prune,
                fail_fast=options.fail_fast,
                on_result=on_result,
                on_up_to_date=events.up_to_date,
                storage=_storage(options),
                render=render,
            )
            if runner.lost_workers:
                # A Dask worker died mid-file: its temp files are left. (Only now:
                # until the run ends, tar shards are being written under temp names.)
                sweep()
    except KeyboardInterrupt as exc:
        report = (
            exc.report
            if isinstance(exc, RunInterrupted)
            else Report(interrupted_by=interrupts.signal_number(exc))
        )
        # The workers are gone; one hit twice may not have removed its temp file.
        with interrupts.deferred():
            sweep()
    report.warnings.extend(dict.fromkeys(left))
    if hints is not None:
        report.warnings.extend(hints(report, passed))
    # The summary is told whole; a signal meanwhile acts after it.
    with interrupts.deferred():
        events.finished(report)
    return report


def _hints(
    report: Report,
    passed: list[Result],
    *,
    inputs: Inputs,
    notes: list[str],
    last: list[str],
) -> list[str]:
    """Return the warnings about what a run took, said last (before its summary).

    ``notes``, then :func:`melcli.hints.run_hints` (an ``--include`` that took
    nothing, audio in OUT not taken, inputs whose names differ only by
    extension, files that may hold audio passed over for their extension,
    only files of other extensions found), then ``last``.
    """
    hints = run_hints(
        report,
        passed,
        include=inputs.include,
        sources=inputs.sources,
        extensions=inputs.extensions,
        exclude=inputs.exclude,
        list_root=inputs.listed.root if inputs.listed is not None else None,
    )
    return [*notes, *hints, *last]


def _why_nothing(shard: sharding.Shard | None, total: int) -> str:
    """Say why a run has no input: none found, or none in its shard."""
    if shard is not None and total:
        return f"no input falls in shard {shard} ({plural(total, 'input')} in all)"
    return "no audio files found"


def _plan_hints(
    the_plan: Plan,
    found: DryRun,
    hints: Callable[[Report, list[Result]], list[str]],
) -> list[str]:
    """Return the hints a run of ``the_plan`` would give (:func:`_hints`).

    From the report the run would make before its work: the inputs passed
    over, those that would fail, and the others (as if up to date).
    """
    report = Report()
    passed = [Result(s.path, Status.SKIPPED, s.reason) for s in the_plan.skipped]
    for result in passed:
        report.add(result)
    for path, reason in found.errors:
        report.add(Result(path, Status.FAILED, reason))
    failing = {os.fspath(path) for path, _ in found.errors}
    built = {os.fspath(path) for path, _ in found.builds}
    for name in built - failing:  # as the run would: written
        report.add(Result(Path(name), Status.WRITTEN))
    report.add_all_up_to_date(
        [
            job.src_name
            for job in the_plan.jobs
            if job.src_name not in failing and job.src_name not in built
        ]
    )
    return hints(report, passed)


def _runner(
    the_plan: Plan, out: Path, *, params: MelParams, options: RunOptions
) -> Runner:
    """Return the local pool, or with a scheduler a Dask cluster."""
    jobs = options.jobs if options.jobs is not None else default_jobs()
    if options.scheduler is not None:
        _zygote.stop()  # forked as the command started, for a pool: none here
        from .cluster import make_dask_runner

        return make_dask_runner(options.scheduler, jobs=jobs, out=out, params=params)
    png = any(map(job_field("png_name"), the_plan.jobs))  # no call each
    total = len(the_plan.jobs) + len(the_plan.problems)
    runner = make_runner(jobs, total, png=png, params=params, timeout=options.timeout)
    if isinstance(runner, ProcessRunner) and the_plan.jobs:
        runner.start_server()  # now, while this process has one thread
    else:
        _zygote.stop()  # forked as the command started, for a pool: none
    return runner


def _storage(options: RunOptions) -> Storage:
    """Return the run's storage format (``npy``, or tar shards of a size)."""
    return storage_for(options.storage_format, shard_size=options.shard_size)


def _write_stats(report: Report, out: Path) -> StatsOutcome:
    """``--stats``: the statistics of this run's arrays.

    The arrays are read through the manifest (just committed): ``.npy`` files,
    or with ``--format webdataset`` the ``.npy`` members of the shards.
    """
    from .stats import STATS_NAME, select_arrays, write_stats

    outcome = StatsOutcome(path=out / STATS_NAME)
    done = (Status.WRITTEN, Status.UP_TO_DATE)
    sources = [r.src for r in report.results if r.status in done]
    arrays = select_arrays(out, sources=sources)
    if not arrays.arrays:
        if sources:  # made, but not recorded: the manifest was not written
            outcome.error = (
                "not written: the manifest does not record this run's arrays "
                "(it could not be written)"
            )
        return outcome
    try:
        outcome.stats = write_stats(out, paths=arrays)
    except MelcliError as exc:
        outcome.error = str(exc)
    return outcome


def dry_run(
    the_plan: Plan,
    out: Path,
    *,
    params: MelParams,
    render: RenderParams | None = None,
    options: RunOptions = RunOptions(),
) -> DryRun:
    """Say what a run of ``the_plan`` would build and delete, and why; write nothing.

    Without OUT, against an empty manifest: everything is new.
    """
    require_folder(out)  # as the run fails, before anything
    kept = out.is_dir()
    manifest = (
        _load_manifest(out, options.shard, the_plan, read_only=True)
        if kept
        else Manifest(out=out)
    )
    build = decide(
        the_plan,
        manifest,
        params=params,
        force=options.force,
        storage=_storage(options),
        render=render,
    )
    # An input gone that had failed, or whose outputs were deleted since, left
    # nothing: the run just forgets it.
    stale = [key for key in build.stale if left_in_out(manifest, key)]
    # Those of other settings that stay, as the run counts them; it fails an
    # input that would write over one of their files (said so here too).
    kept_other = (
        []
        if options.prune or not build.other_settings
        else [k for k in build.other_settings if left_in_out(manifest, k)]
    )
    if kept_other:
        refuse_over_kept(build, manifest, kept_other, params=params)
    builds, empty = _builds(
        build,
        manifest,
        settings=params.fingerprint(),
        files=kept and _storage(options).name == "npy",  # no OUT: nothing there
    )
    found = DryRun(
        builds=builds,
        stale=[] if options.prune else [_shown(manifest, key) for key in stale],
        # What the prune would delete, as it checks it (inside OUT, no folder).
        pruned=_forgotten(manifest, stale) if options.prune else [],
        shards=_shard_cleanup(build, manifest, params=params, options=options),
        errors=[(p.path, p.reason) for p in the_plan.problems]
        + [(job.src, why) for job, why in build.refused]
        + empty,
        up_to_date=len(build.up_to_date),
        skipped=[(s.path, s.reason) for s in the_plan.skipped],
    )
    if kept:
        found.warnings = list(map(dry_run_problem, manifest.problems))
        found.warnings.extend(astray_lines(manifest, build.astray))  # as the run
        if build.other_settings and options.prune:
            found.deletes = _forgotten(manifest, build.other_settings)
        elif kept_other:  # those with outputs left, as the run counts
            found.warnings.append(other_settings_warning(len(kept_other), out))
        found.warnings.extend(refused_lines(manifest.outdir))  # as the run says
        if build.taken_over:
            found.warnings.append(taken_over_warning(build.taken_over, out))
        if build.moved:
            found.warnings.append(moved_warning(build.moved, out))
    return found


#: Why an input is built again: its entry records a failure.
FAILED_LAST_TIME = "failed last time"
#: What a run says of an input of 0 bytes (melcli.audio), which a dry run,
#: opening no file, sees by its size.
EMPTY_FILE = "empty file (0 bytes)"


def _builds(
    build: BuildPlan, manifest: Manifest, *, settings: str, files: bool = True
) -> tuple[list[tuple[Path, str]], list[tuple[Path, str]]]:
    """Return what a run would build, and why; and the inputs it would fail as empty.

    A dry run opens no file: a file cut short or not audio fails only when
    run. What it knows, it says: an input of 0 bytes (its size, found by the
    walk) would fail, and an input that failed last time says why it did, and
    whether its input or the settings changed since (else it is tried again as
    it was: :attr:`DryRun.retries`). With ``files`` (outputs written as files
    of OUT), an output whose place a folder of OUT holds fails as the run
    fails it (not "PNG missing": no PNG can be drawn there).
    """
    builds, empty = [], []
    for task in build.tasks:
        job = task.job
        if job.stamp is not None and job.stamp[0] == 0:
            empty.append((job.src, EMPTY_FILE))
            continue
        if files and (blocked := _folder_in_place(task, manifest)):
            empty.append((job.src, blocked))
            continue
        why = build.reasons.get(job.src_name, "new")
        if why == FAILED_LAST_TIME:
            entry = manifest.entries.get(relative_key(job.npy_name, manifest.out))
            entry = entry if isinstance(entry, dict) else {}
            error = entry.get("error")
            if entry.get("input") not in (None, build.stamp(job)):
                why = f"input changed since it {why}"
            elif entry.get("settings") not in (None, settings):
                why = f"settings changed since it {why}"
            if isinstance(error, str) and error:  # OUT's: escaped where shown
                why = f"{why}: {error}"
        builds.append((job.src, why))
    return builds, empty


def _folder_in_place(task: Task, manifest: Manifest) -> str | None:
    """Say why ``task`` cannot write an output a folder of OUT stands in for.

    As the run says it (``cannot write output: is a directory``); looked at
    inside OUT only (:meth:`melcli.outdir.OutDir.path`), a link not followed.
    """
    job = task.job
    names = (job.png_name,) if task.render_only else job.output_names
    for name in names:
        if name is None:
            continue
        path = manifest.outdir.path(relative_key(name, manifest.out))
        try:
            if path is None or not stat.S_ISDIR(os.lstat(path).st_mode):
                continue
        except (OSError, ValueError):
            continue
        why = describe_exception(OSError(errno.EISDIR, os.strerror(errno.EISDIR)))
        return f"{why}; {KEPT_NOTE}" if task.render_only else why
    return None


def _shard_cleanup(
    build: BuildPlan, manifest: Manifest, *, params: MelParams, options: RunOptions
) -> list[str]:
    """Return what a run would delete or rewrite at its end, a line each.

    In the run's storage format, and in those of the outputs OUT holds.
    """
    storages = {s.name: s for s in (*storages_in(manifest), _storage(options))}
    # A rebuilt input supersedes its output, and its other segment layout's.
    rebuilt = (  # read only by a format that has something to tidy
        relative_key(npy, manifest.out)
        for task in build.tasks
        for npy in (task.job.npy, segment.other_layout(task.job.npy, params=params))
    )
    return [
        line
        for storage in storages.values()
        for line in storage.plan_tidy(
            manifest, rebuilt=rebuilt, gone=build.stale, prune=options.prune
        )
    ]


def _forgotten(manifest: Manifest, keys: Iterable[str]) -> list[Path]:
    """Return what ``--prune`` would delete of the entries ``keys``, as it shows it."""
    return [
        path
        for key in keys
        for path in storage_of(manifest.entries[key]).forgotten(manifest, key)
    ]


def _shown(manifest: Manifest, key: str) -> Path:
    """Return how to show the output of ``key``: a ``.npy``, or a sample."""
    return storage_of(manifest.entries[key]).shown(manifest, key)


class _OnResult(Events):
    """Events that only pass each result on (``melcli.run(on_result=...)``)."""

    def __init__(self, on_result: Callable[[Result], None] | None) -> None:
        if on_result is not None and not callable(on_result):
            # It raised TypeError at the first file's result, past the checks;
            # made before the run starts, this is before any work.
            raise ParameterError(
                f"on_result must be a function of a Result, or None, not "
                f"{type(on_result).__name__}",
                param="on_result",
            )
        self.on_result = on_result

    def result(self, result: Result) -> None:
        if self.on_result is not None:
            self.on_result(result)


class RunArguments(TypedDict, total=False):
    """The keyword arguments of :func:`run`, but ``dry_run`` (for its types)."""

    params: MelParams | None
    png: bool
    render: RenderParams | None
    jobs: int | None
    extensions: Iterable[str] | str
    include: Sequence[str] | str
    exclude: Sequence[str] | str
    files_from: str | os.PathLike[str] | FileList | None
    path_column: str | None
    root: str | os.PathLike[str] | None
    scheduler: str | None
    shard: str | sharding.Shard | None
    timeout: float | None
    storage_format: str
    shard_size: int | str
    force: bool
    prune: bool
    fail_fast: bool
    stats: bool
    on_result: Callable[[Result], None] | None


def _settings_told(function: Callable[_P, _T]) -> Callable[_P, _T]:
    """Make a keyword ``function`` does not take a TypeError that says more.

    ``run(src, out, n_mels=64)``: the command's setting options are fields of
    :class:`MelParams` or :class:`RenderParams` here; the message names the
    one to use (:func:`_unknown_keyword`), or the keyword meant.
    """
    taken = inspect.signature(function).parameters

    @functools.wraps(function)
    def told(*args: _P.args, **kwargs: _P.kwargs) -> _T:
        for name, value in kwargs.items():
            if name not in taken:
                raise TypeError(_unknown_keyword(name, value))
        return function(*args, **kwargs)

    return told


#: The options of ``melcli mel`` that are no keyword of :func:`run` by their
#: own name: what run() takes instead (``{value}``: the value given).
_PRINTS_NOTHING = (
    "run() prints nothing: it returns the report the command prints "
    "(report.summary(), report.to_json(), report.failures); on_result sees "
    "each file's result as it comes"
)
_COMMAND_OPTIONS = {
    "src": "the sources are run()'s first argument: run(['audio/'], 'features/')",
    "ext": "--ext is extensions={value}",
    "format": "--format is storage_format={value}",
    "preset": "--preset is params=melcli.preset_params({value}) "
    "(with overrides: melcli.preset_params({value}, n_mels=64))",
    "png_style": "--png-style is render=melcli.params.RenderParams(style={value})",
    "json": _PRINTS_NOTHING,
    "quiet": _PRINTS_NOTHING,
    "verbose": _PRINTS_NOTHING,
    "progress_interval": _PRINTS_NOTHING,
    "config": "config files and MELCLI_* variables are the command's: give "
    "the settings in params (melcli.params.MelParams)",
    "print_config": "config files and MELCLI_* variables are the command's: "
    "give the settings in params (melcli.params.MelParams)",
}


def _unknown_keyword(name: str, value: object) -> str:
    """Say that :func:`run` takes no keyword ``name``, and what it may mean."""
    said = f"run() got an unexpected keyword argument {name!r}"
    if name in _COMMAND_OPTIONS:
        return f"{said}; {_COMMAND_OPTIONS[name].format(value=repr(value))}"
    for kind, keyword in ((MelParams, "params"), (RenderParams, "render")):
        if name in kind.__dataclass_fields__:
            return (
                f"{said}; a setting goes in {keyword}: "
                f"{keyword}={kind.__module__}.{kind.__name__}({name}={value!r})"
            )
    keywords = [*RunArguments.__annotations__, "dry_run"]
    return said + did_you_mean(name, keywords)


@overload
def run(
    sources: Sequence[str | os.PathLike[str]] | str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    dry_run: Literal[False] = False,
    **kwargs: Unpack[RunArguments],
) -> Report: ...


@overload
def run(
    sources: Sequence[str | os.PathLike[str]] | str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    dry_run: Literal[True],
    **kwargs: Unpack[RunArguments],
) -> DryRun: ...


@_settings_told
def run(
    sources: Sequence[str | os.PathLike[str]] | str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    params: MelParams | None = None,
    png: bool = False,
    render: RenderParams | None = None,
    jobs: int | None = None,
    extensions: Iterable[str] | str = DEFAULT_EXTENSIONS,
    include: Sequence[str] | str = (),
    exclude: Sequence[str] | str = (),
    files_from: str | os.PathLike[str] | FileList | None = None,
    path_column: str | None = None,
    root: str | os.PathLike[str] | None = None,
    scheduler: str | None = None,
    shard: str | sharding.Shard | None = None,
    timeout: float | None = None,
    storage_format: str = "npy",
    shard_size: int | str = DEFAULT_SHARD_SIZE,
    force: bool = False,
    prune: bool = False,
    fail_fast: bool = False,
    stats: bool = False,
    on_result: Callable[[Result], None] | None = None,
    dry_run: bool = False,
) -> Report | DryRun:
    """Convert every audio file under ``sources`` into ``out`` (``melcli mel``).

    Incremental (a second run rebuilds only what changed) and locking ``out``.

    Parameters
    ----------
    sources : sequence of path-like, or one path-like
        Audio files and folders (walked recursively); two or more folders are
        each mirrored into a subfolder of ``out`` (:func:`melcli.discover.subtrees`).
    out : path-like
        The output folder; the input tree is mirrored into it.
    params, png, render
        The settings (librosa's defaults when omitted); whether to write a
        PNG next to each array too, and how it is drawn.
    extensions, include, exclude
        Which files to take (:func:`melcli.discover.plan`); a string is one
        pattern, ``extensions`` ``"wav,flac"`` as ``--ext`` takes it.
    files_from, path_column, root
        A list of inputs too (``--files-from``, :func:`melcli.filelist.read_list`),
        or a :class:`~melcli.filelist.FileList`.
    jobs, scheduler, shard, timeout, storage_format, shard_size, force, prune, fail_fast
        How the run goes: see :class:`RunOptions` (``shard`` may also be
        ``"I/N"``, ``shard_size`` ``"500MB"``).
    stats : bool
        At the end, write ``OUT/stats.npz``, returned in ``report.stats`` (a
        ``DatasetStats``); an error doing so is in ``report.errors``.
    on_result : callable or None
        Called with each :class:`Result` as it comes in.
    dry_run : bool
        Write nothing (``--dry-run``); return a :class:`DryRun` instead.

    Returns
    -------
    Report or DryRun
        Every file's result (``report.exit_code`` is 1 if any failed), or with
        ``dry_run`` what a run would do; ``warnings``: the command's last words.

    Raises
    ------
    ParameterError
        If a setting, option or input is refused; ``param`` names the keyword.
    UsageError
        If ``out`` is locked by another run, or the list cannot be read.
    RunInterrupted
        On SIGINT (Ctrl-C), SIGTERM or SIGHUP, once what finished is recorded: a
        :class:`KeyboardInterrupt` whose ``report`` says what was done.
    """
    out, listed = path_of(out, param="out"), (files_from, path_column, root)
    taken = _inputs(sources, out, extensions, include, exclude, *listed)
    params, render, unread = _settings(params, render, png, storage_format, shard_size)
    options = RunOptions(
        jobs=jobs,
        scheduler=scheduler,
        shard=_shard(shard),
        timeout=timeout,
        storage_format=storage_format,
        shard_size=parse_size(shard_size),
        force=force,
        prune=prune,
        fail_fast=fail_fast,
        dry_run=dry_run,
        stats=stats,
    )
    with _stopped_before_work():
        outcome = run_session(
            taken,
            out,
            params=params,
            render=render,
            png=png,
            options=options,
            events=_OnResult(on_result),
        )
    return _said(outcome, unread)


@contextlib.contextmanager
def _stopped_before_work() -> Iterator[None]:
    """Raise :class:`RunInterrupted` for a stop before any work too.

    A signal while :func:`run` plans or locks OUT: nothing was done, and the
    caller catches it as any other stop.
    """
    try:
        yield
    except RunInterrupted:
        raise
    except KeyboardInterrupt as exc:
        stopped = Report(interrupted_by=interrupts.signal_number(exc))
        raise RunInterrupted(stopped) from exc


def _inputs(
    sources: Sequence[str | os.PathLike[str]] | str | os.PathLike[str],
    out: str | os.PathLike[str],
    extensions: Iterable[str] | str,
    include: Sequence[str] | str,
    exclude: Sequence[str] | str,
    files_from: str | os.PathLike[str] | FileList | None,
    path_column: str | None,
    root: str | os.PathLike[str] | None,
) -> Inputs:
    """Check what :func:`run` is given, as the command checks it; read the list."""
    sources = list(_one_or_many(sources, param="sources"))
    include = tuple(_one_or_many(include, param="include"))
    exclude = tuple(_one_or_many(exclude, param="exclude"))
    extensions = readable_twice(extensions)
    check_inputs(
        sources,
        out,
        files_from=files_from,
        path_column=path_column,
        root=root,
        extensions=extensions,
    )
    listed = read_listed(files_from, path_column=path_column, root=root)
    return Inputs(sources, listed, extensions, include, exclude)


def _settings(
    params: MelParams | None,
    render: RenderParams | None,
    png: bool,
    storage_format: str,
    shard_size: int | str,
) -> tuple[MelParams, RenderParams | None, list[str]]:
    """Validate what :func:`run` is given, as the command does.

    Return the settings, and the warnings for those the run does not read
    (:func:`melcli.applies.run_warnings`), which the command says too.
    """
    # Each a ParameterError naming it, not an AttributeError from inside.
    for name, value, kind in (
        ("params", params, MelParams),
        ("render", render, RenderParams),
    ):
        if value is not None and not isinstance(value, kind):
            spelled = (
                f"melcli.{'params.' if kind is RenderParams else ''}{kind.__name__}"
            )
            raise ParameterError(
                f"{name} must be a {spelled} or None, not {type(value).__name__}"
                f" ({name}={spelled}(...))",
                param=name,
            )
    check_flag("png", png)
    params = (params or MelParams()).validate()
    segment.check_png(png, params)
    render = render.validate() if render is not None else None
    unread = run_warnings(
        params,
        render=render,
        png=png,
        storage_format=storage_format,
        shard_size=shard_size,
    )
    return params, render, unread


def _said(outcome: Outcome, unread: list[str]) -> Report | DryRun:
    """Return what :func:`run` returns, ``unread`` first in its warnings.

    The command says them first too, before the run starts.
    """
    if outcome.dry_run is not None:
        outcome.dry_run.warnings[:0] = unread
        return outcome.dry_run
    assert outcome.report is not None
    outcome.report.warnings[:0] = unread
    return _reported(outcome)


def _shard(shard: object) -> sharding.Shard | None:
    """``shard`` as :func:`run` takes it: ``"I/N"``, a :class:`Shard` or None."""
    if shard is None or isinstance(shard, sharding.Shard):
        return shard
    if isinstance(shard, str):
        try:
            return sharding.Shard.parse(shard)
        except UsageError as exc:  # a bad keyword, as any other: ParameterError
            raise ParameterError(str(exc), param="shard") from None
    raise ParameterError(
        f"shard={shard!r} must be 'I/N' (such as '3/10') or a melcli.shard.Shard",
        param="shard",
    )


def _reported(outcome: Outcome) -> Report:
    """Return the run's report; raise :class:`RunInterrupted` if a signal stopped it."""
    report = outcome.report
    assert report is not None
    stats = outcome.stats
    if stats is not None:  # what --stats prints, "wrote OUT/stats.npz: ..."
        report.stats = stats.stats
    if stats is not None and stats.error is not None:
        report.errors.append(f"{stats.path}: {stats.error}")
    elif stats is not None and stats.stats is None:  # as the command says it
        report.warnings.append(f"no arrays: {stats.path.name} not written")
    if report.interrupted_by is not None:
        raise RunInterrupted(report)
    return report


#: Also offered here, for the command line: what it configures, the library
#: does not (see :func:`melcli.runners.tune_allocator`).
__all__ = [
    "DEFAULT_SHARD_SIZE",
    "DEFAULT_TIMEOUT",
    "FORMATS",
    "DryRun",
    "Events",
    "Inputs",
    "Outcome",
    "RunArguments",
    "RunOptions",
    "StatsOutcome",
    "check_inputs",
    "check_out",
    "dry_run",
    "locked",
    "parse_size",
    "run",
    "run_session",
    "tune_allocator",
]

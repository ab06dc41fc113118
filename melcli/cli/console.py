"""What ``melcli mel`` shows while it runs and after: all on stderr.

A progress bar on a terminal, progress lines in a log; each file's warnings
and errors as they come; the summary; and a dry run's plan (on stdout).
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ..hints import wrong_root_hint
from ..params import MelParams
from ..report import (
    Progress,
    Report,
    Result,
    Status,
    display_path,
    plural,
)
from ..session import FAILED_LAST_TIME, DryRun, Events, Inputs, StatsOutcome

if TYPE_CHECKING:
    from ..filelist import FileList
    from ..stats import DatasetStats


def echo_error(path: Path, reason: str) -> None:
    """Print ``error: PATH: REASON`` on stderr."""
    click.echo(f"error: {display_path(path)}: {display_path(reason)}", err=True)


def one_line(text: str) -> str:
    """Return ``text`` on one line, its runs of whitespace made single spaces."""
    return " ".join(text.split())


#: ``name=value`` in the library's messages, for a setting that is an option.
_SETTING = re.compile(r"\b([a-z][a-z0-9_]*)=('[^']*'|[^\s,;:)]+)")
#: A setting named alone (``set hop_length``, ``uses top_db``): only names
#: with an underscore, which no English word in a message has.
_BARE_SETTING = re.compile(r"(?<![-\w.'/])([a-z][a-z0-9]*(?:_[a-z0-9]+)+)\b(?![=.'/])")
#: A float with nothing after the point, as click makes ``--segment 1``: shown
#: as given. (Others are shown exactly as Python writes them: ``1e-05``.)
_WHOLE_FLOAT = re.compile(r"-?\d+\.0")
#: The settings that are options of the same name (dashes for underscores).
_OPTIONS = frozenset(
    (*MelParams.__dataclass_fields__, "png", "png_style", "cmap", "waveform")
)
#: The settings whose False is a ``--no-`` option.
_NEGATED = frozenset(
    (
        "center",
        "mono",
        "remove_dc_offset",
        "round_to_power_of_two",
        "snip_edges",
        "use_energy",
        "use_log_fbank",
        "use_power",
    )
)
#: The options of a run (``melcli.run``'s keywords), as the command spells them.
_RUN_OPTIONS = {
    "jobs": "jobs",
    "scheduler": "scheduler",
    "shard": "shard",
    "shard_size": "shard-size",
    "timeout": "timeout",
    "stats": "stats",
    "storage_format": "format",
}


def as_options(text: str, *, run_options: bool = False) -> str:
    """Name settings as the command line spells them, in a library message.

    ``segment=2.0 cannot be combined with png=True`` becomes ``--segment 2
    cannot be combined with --png``; ``min_duration=1.2 s``, ``--min-duration
    1.2 s``. With ``run_options``, a run's options too (``storage_format=``
    is ``--format``). The Python API keeps its parameter names.
    """

    def flag_of(name: str) -> str | None:
        if run_options and name in _RUN_OPTIONS:
            return f"--{_RUN_OPTIONS[name]}"
        return f"--{name.replace('_', '-')}" if name in _OPTIONS else None

    def option(match: re.Match[str]) -> str:
        name, value = match[1], match[2]
        flag = flag_of(name)
        if flag is None:
            return match[0]
        if value == "True":
            return flag
        if value == "False" and name in _NEGATED:
            return f"--no-{flag[2:]}"
        if value == "None":  # the option not given: its default
            return f"no {flag}"
        if _WHOLE_FLOAT.fullmatch(value):  # --segment 1, not the 1.0 click made
            value = value[:-2]
        # An empty value stays quoted: "--jobs ''", not "--jobs  must be".
        return f"{flag} {value.strip(chr(39)) or value}"

    def bare(match: re.Match[str]) -> str:
        return flag_of(match[1]) or match[0]

    return _BARE_SETTING.sub(bare, _SETTING.sub(option, text))


def stats_line(stats: DatasetStats, dest: Path) -> str:
    """Say what was written to ``dest``: bands, frames and arrays."""
    return (
        f"wrote {display_path(dest)}: {len(stats.mean)} bands, "
        f"{stats.count} frames from {plural(len(stats.files), 'array')}"
    )


#: How many files a warning of one kind is shown for, before the rest are
#: counted and said in one line at the end (all of them under --verbose).
WARNINGS_SHOWN = 3
#: Warning texts whose kind is kept (see FoldedWarnings._kind).
KINDS_KEPT = 64
#: Numbers in a warning: what differs between files warned the same way.
_NUMBER = re.compile(r"[-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")


class FoldedWarnings:
    """Warnings of one kind beyond the first few: counted, said once at the end.

    A warning's kind is its text with the numbers left out: ``n_fft=2048 is
    too large for input signal of length=441`` and ``...length=1102`` are of
    one kind, so 100 000 short files give three such lines and a count, not
    100 000 lines. Each file's warnings stay in the report and the manifest.
    """

    def __init__(self, shown: int = WARNINGS_SHOWN) -> None:
        self.shown = shown
        self._seen: dict[str, int] = {}
        self._example: dict[str, str] = {}
        #: The kind of the warnings seen last, by text: files alike warn alike
        #: (100 000 clips of one length, one text), and a regex each is most
        #: of what a file's warning costs here. At most KINDS_KEPT texts.
        self._kind_of: dict[str, str] = {}

    def shown_of(self, warnings: Sequence[str]) -> list[str]:
        """Count one file's ``warnings``; return those among the first of their kind.

        A file counts once per kind, however many such warnings it has.
        """
        kinds = [self._kind(w) for w in warnings]
        # Per kind, this file's first warning of it: the example of a kind is
        # that of the first file folded (those shown were read already).
        first: dict[str, str] = {}
        for kind, warning in zip(kinds, warnings, strict=True):
            first.setdefault(kind, warning)
        for kind, warning in first.items():
            self._seen[kind] = self._seen.get(kind, 0) + 1
            if self._seen[kind] == self.shown + 1:
                self._example[kind] = warning
        return [
            w
            for k, w in zip(kinds, warnings, strict=True)
            if self._seen[k] <= self.shown
        ]

    def _kind(self, warning: str) -> str:
        kind = self._kind_of.get(warning)
        if kind is None:
            kind = _NUMBER.sub("#", warning)
            if len(self._kind_of) >= KINDS_KEPT:
                self._kind_of.clear()  # texts that differ per file: no memory kept
            self._kind_of[warning] = kind
        return kind

    def folded(self) -> list[tuple[int, str]]:
        """Return, per kind shown no more, how many were not shown, and one of them."""
        return [
            (n - self.shown, self._example[kind])
            for kind, n in self._seen.items()
            if n > self.shown
        ]

    def lines(self) -> list[str]:
        """Say, per kind, how many more files were warned so (one line each)."""
        return [
            f"{plural(n, 'more file')} warned the same way (such as: {example}); "
            "-v lists each, and the manifest records every file's warnings"
            for n, example in self.folded()
        ]


#: A failure caused by the machine, not the file: a decoder not installed
#: (``MP4/AAC audio needs ffmpeg, which is not installed (install it: ...)``).
_TOOL_MISSING = re.compile(r"\bneeds [\w.-]+, which is not installed\b")


class FoldedFailures:
    """Failures that one cause explains, beyond the first few: counted, said once.

    Two such causes: a list none of whose files was found (each listed path
    fails, ``line 7 of meta.csv: no such file or directory``, and
    :func:`wrong_root_hint` names the one mistake behind them all), and a
    decoder that is not installed (every ``.m4a`` of a dataset fails with the
    same words). Of 2000 such lines a few are shown and the rest counted, per
    reason (its numbers left out), in one line at the end. Every other
    failure is shown: a bad file is named, whatever the others.
    """

    #: How to see them all, said after the count.
    SEE_ALL = "-v lists each, and the manifest records every file's reason"

    def __init__(
        self,
        listed: FileList | None = None,
        *,
        verbose: bool,
        see_all: str = SEE_ALL,
        shown: int = WARNINGS_SHOWN,
    ) -> None:
        #: The list whose problems are folded (None: no list, or some found).
        self.name = "" if listed is None else listed.name
        self.paths = set() if listed is None else {p.path for p in listed.problems}
        self.see_all = see_all
        self.verbose = verbose
        self.shown = shown
        self._seen: dict[str, int] = {}
        self._example: dict[str, str] = {}
        self._listed: dict[str, bool] = {}
        #: The failures shown, to list again in a long log's recap.
        self.shown_paths: set[Path] = set()

    def _folds(self, path: Path, reason: str) -> bool:
        return path in self.paths or bool(_TOOL_MISSING.search(reason))

    def show(self, path: Path, reason: str) -> bool:
        """Count a failure; whether to show it (not one of the folded)."""
        if self.verbose or not self._folds(path, reason):
            return True
        kind = _NUMBER.sub("#", reason)
        self._seen[kind] = self._seen.get(kind, 0) + 1
        if self._seen[kind] > self.shown:
            listed = path in self.paths
            self._listed.setdefault(kind, listed)
            # "line 9 of meta.csv: no such file": the list is named already.
            if listed:
                reason = reason.replace(f" of {self.name}:", ":", 1)
            self._example.setdefault(kind, reason)
            return False
        self.shown_paths.add(path)
        return True

    def recapped(self, path: Path, reason: str) -> bool:
        """Whether a long log's recap of the failures lists ``path``."""
        return self.verbose or not self._folds(path, reason) or path in self.shown_paths

    def lines(self, see_all: str | None = None) -> list[str]:
        """Say, per reason, how many more files failed so (one line each).

        ``see_all`` says how to see them all, instead of :attr:`see_all`.
        """
        see_all = self.see_all if see_all is None else see_all
        return [
            f"{plural(n - self.shown, 'more file')}"
            + (f" listed in {self.name}" if self._listed[kind] else "")
            + f" failed the same way (such as: {self._example[kind]})"
            + (f"; {see_all}" if see_all else "")
            for kind, n in self._seen.items()
            if n > self.shown
        ]


class Console(Events):
    """Progress bar on a terminal, plain lines elsewhere; all on stderr.

    Elsewhere (a CI log), a :class:`Progress` line every ``progress_interval``
    seconds as files finish. ``progressed`` tells whether any was printed: a
    log that long ends with a recap of the failures. A kind of warning is
    shown for the first few files only, then counted (:class:`FoldedWarnings`),
    unless ``verbose``.
    """

    def __init__(
        self, *, quiet: bool, verbose: bool, progress_interval: float = 0.0
    ) -> None:
        self.quiet = quiet
        self.asked_verbose = verbose
        self.verbose = verbose and not quiet
        self.progress_interval = progress_interval
        self.bar: Any = None
        self.progress: Progress | None = None
        self.progressed = False
        self.folded = FoldedWarnings()
        #: Failures one cause explains (a list none of whose files was
        #: found, a decoder not installed): the first few, then a count.
        self.folded_failures = FoldedFailures(verbose=self.verbose)

    def expect(self, inputs: Inputs) -> None:
        """Note what the run was asked to take: a list none of whose files is found.

        Its failures are folded (:class:`FoldedFailures`); the run's report
        says why, last (:func:`melcli.hints.wrong_root_hint`).
        """
        if wrong_root_hint(inputs.listed):  # one mistake explains them all
            self.folded_failures = FoldedFailures(inputs.listed, verbose=self.verbose)

    def removed_leftover(self, path: Path) -> None:
        """Under ``--verbose``, name a temp file a killed run left."""
        if self.asked_verbose:
            click.echo(f"removed leftover {display_path(path)}", err=True)

    def started(self, total: int) -> None:
        """Start the progress bar, or the progress lines of a log."""
        interval = self.progress_interval
        if not self.quiet and not sys.stderr.isatty() and interval > 0:
            self.progress = Progress(total=total, interval=interval)
        if not self.quiet and sys.stderr.isatty() and total:  # none: no bar
            from tqdm import tqdm  # 30 ms of import: only when a bar is shown

            # No monitor thread: worker processes may be forked after this.
            tqdm.monitor_interval = 0
            self.bar = tqdm(
                total=total, unit="file", file=sys.stderr, dynamic_ncols=True
            )

    def echo(self, line: str) -> None:
        """Print ``line`` on stderr, above the bar if there is one."""
        if self.bar is not None:
            self.bar.write(line, file=sys.stderr)
        else:
            click.echo(line, err=True)

    def result(self, result: Result) -> None:
        """Show one file's outcome, and the progress."""
        self._show(result)
        if self.progress is not None and (line := self.progress.update()):
            self.progressed = True
            self.echo(line)

    def up_to_date(self, sources: Sequence[str]) -> None:
        """Count inputs found up to date (nothing to show of each), and the progress."""
        if self.bar is not None:
            self.bar.update(len(sources))
        if self.progress is not None and (line := self.progress.update(len(sources))):
            self.progressed = True
            self.echo(line)

    def _show(self, result: Result) -> None:
        if self.bar is not None:
            self.bar.update(1)
        if result.status is Status.SKIPPED:
            if self.verbose:
                reason = as_options(result.reason)
                self.echo(f"skipped {display_path(result.src)}: {reason}")
            return
        if result.warnings and not self.quiet:
            warnings = [one_line(w) for w in result.warnings]
            shown = self.folded.shown_of(warnings)
            for warning in warnings if self.verbose else shown:
                self.echo(
                    f"warning: {display_path(result.src)}: {display_path(warning)}"
                )
        if result.status is Status.FAILED and self.folded_failures.show(
            result.src, result.reason
        ):
            self.echo(
                f"error: {display_path(result.src)}: "
                f"{display_path(one_line(as_options(result.reason)))}"
            )
        elif self.verbose and result.status is Status.WRITTEN:
            if result.png_only:  # the array, up to date, was kept
                pngs = ", ".join(
                    display_path(p) for p in result.outputs if p.suffix == ".png"
                )
                self.echo(f"wrote {pngs} (its array was up to date)")
            else:
                outputs = ", ".join(display_path(p) for p in result.outputs)
                if result.outputs and result.outputs[0].suffix == ".tar":
                    # --format webdataset: the shard holds many inputs' samples,
                    # and was named once per input, the same words each time.
                    outputs += f" (from {display_path(result.src)})"
                self.echo(f"wrote {outputs}")

    def finished(self, report: Report) -> None:
        """Close the bar; print the removed and stale outputs, and the summary."""
        self.close()
        print_outcome(
            report,
            quiet=self.quiet,
            verbose=self.asked_verbose,
            recap=self.progressed,
            folded=() if self.verbose else self.folded.lines(),
            folded_failures=self.folded_failures,
        )

    def plan(self, plan: DryRun, *, as_json: bool, said: Sequence[str] = ()) -> None:
        """Show a dry run's plan (:func:`print_dry_run`)."""
        print_dry_run(
            plan,
            quiet=self.quiet,
            verbose=self.verbose,
            as_json=as_json,
            folded_failures=self.folded_failures,
            said=said,
        )

    def close(self) -> None:
        """Close the bar, if there is one."""
        if self.bar is not None:
            self.bar.close()
            self.bar = None


class CountShown:
    """The progress of work counted in inputs, shown as a run shows its files.

    Called with ``(done, total)`` (as :func:`melcli.build_gallery` calls its
    ``progress``): a bar on a terminal, elsewhere a :class:`Progress` line every
    ``interval`` seconds (0: none); nothing with ``quiet``. :meth:`close` when done.
    """

    def __init__(self, *, quiet: bool, interval: float) -> None:
        self.quiet = quiet
        self.interval = interval
        self.bar: Any = None
        self.progress: Progress | None = None
        self.done: int | None = None

    def __call__(self, done: int, total: int) -> None:
        """Note that ``done`` of ``total`` inputs are done; show it when due."""
        if self.done is None:  # the first: the total is known from here
            self.done = 0
            if not self.quiet and sys.stderr.isatty() and total:
                from tqdm import tqdm  # only when a bar is shown

                tqdm.monitor_interval = 0  # no thread: pages may be forked
                self.bar = tqdm(
                    total=total, unit="input", file=sys.stderr, dynamic_ncols=True
                )
            elif not self.quiet and not sys.stderr.isatty() and self.interval > 0:
                self.progress = Progress(
                    total=total, interval=self.interval, unit="inputs"
                )
        n, self.done = done - self.done, done
        if self.bar is not None:
            self.bar.update(n)
        if self.progress is not None and n and (line := self.progress.update(n)):
            click.echo(line, err=True)

    def close(self) -> None:
        """Close the bar, if there is one."""
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def print_outcome(
    report: Report,
    *,
    quiet: bool,
    verbose: bool,
    recap: bool,
    folded: Sequence[str] = (),
    folded_failures: FoldedFailures | None = None,
) -> None:
    """Print what a run did: removed and stale outputs, warnings, the summary.

    With ``recap`` (progress lines were shown), the failures again, by path.
    ``folded`` says how many files' warnings were not shown
    (:meth:`FoldedWarnings.lines`); ``folded_failures``, which failures were
    not, and how many (:class:`FoldedFailures`).
    """
    if verbose:
        for path in report.pruned:
            click.echo(f"removed stale {display_path(path)}", err=True)
        for path in report.stale:
            click.echo(f"stale {display_path(path)}: its input is gone", err=True)
    # After the failures shown, how many more there were; then the hint.
    fold_lines = [] if folded_failures is None else folded_failures.lines()
    for line in fold_lines:
        click.echo(f"error: {display_path(line)}", err=True)
    if not quiet:
        for warning in (*folded, *report.warnings):
            click.echo(f"warning: {display_path(one_line(warning))}", err=True)
    for error in report.errors:
        click.echo(f"error: {display_path(one_line(error))}", err=True)
    if not quiet or report.interrupted_by is not None:
        click.echo(report.summary(), err=True)
    if not quiet and recap and report.failures:
        # In a long log the errors are far apart: all of them once more.
        failures = sorted(report.failures, key=lambda r: os.fsencode(r.src))
        click.echo(f"{len(failures)} failed, by path:", err=True)
        for r in failures:
            if folded_failures is None or folded_failures.recapped(r.src, r.reason):
                click.echo(
                    f"  {display_path(r.src)}: "
                    f"{display_path(one_line(as_options(r.reason)))}",
                    err=True,
                )
        for line in fold_lines:
            click.echo(f"  {display_path(line)}", err=True)


def print_stats(outcome: StatsOutcome | None, *, quiet: bool) -> None:
    """``--stats``: say where the statistics went, or why they did not."""
    if outcome is None:
        return
    if outcome.error is not None:
        if os.fsdecode(outcome.path) in outcome.error:  # named once, not twice
            click.echo(f"error: {display_path(outcome.error)}", err=True)
        else:
            echo_error(outcome.path, outcome.error)
    elif outcome.stats is None:
        if not quiet:
            click.echo(f"warning: no arrays: {outcome.path.name} not written", err=True)
    elif not quiet:
        click.echo(stats_line(outcome.stats, outcome.path), err=True)


def print_dry_run(
    plan: DryRun,
    *,
    quiet: bool,
    verbose: bool = False,
    as_json: bool = False,
    folded_failures: FoldedFailures | None = None,
    said: Sequence[str] = (),
) -> None:
    """List on stdout what a run would build and delete, and why.

    With ``verbose``, first the paths it would pass over, as the run's ``-v``
    lists them (on stderr).

    With ``as_json`` the plan goes to stdout as one JSON object, and the
    lines to stderr. ``folded_failures``: the failures of a list not found,
    to fold. ``said``: the warnings said before the run (options it does
    not read), first in the JSON's, as :func:`melcli.run`'s plan holds them.
    """
    err = as_json
    if verbose:
        for src, reason in plan.skipped:
            why = as_options(reason)
            click.echo(f"skipped {display_path(src)}: {why}", err=True)
    for src, reason in plan.builds:
        # The reason may quote OUT's manifest (why it failed last time).
        why = display_path(one_line(reason))
        again = reason.startswith(FAILED_LAST_TIME)  # as it was: not a change
        verb = "would try again" if again else "would build"
        click.echo(f"{verb} {display_path(src)}: {why}", err=err)
    for path in plan.stale:
        click.echo(f"stale {display_path(path)}: its input is gone", err=err)
    for path in plan.pruned:
        click.echo(f"would delete {display_path(path)}: its input is gone", err=err)
    for line in plan.shards:
        click.echo(line, err=err)
    for path, reason in plan.errors:
        if folded_failures is None or folded_failures.show(path, reason):
            echo_error(path, reason)
    if folded_failures is not None:  # no manifest is written
        for line in folded_failures.lines(see_all="-v lists each"):
            click.echo(f"error: {display_path(line)}", err=True)
    if not quiet:
        for warning in plan.warnings:
            click.echo(f"warning: {display_path(warning)}", err=True)
    for path in plan.deletes:
        click.echo(
            f"would delete {display_path(path)}: made with other settings", err=err
        )
    if as_json:
        row = plan.to_json()
        row["warnings"] = [*said, *plan.warnings]
        click.echo(json.dumps(row, ensure_ascii=True))
    if not quiet:
        click.echo(plan.summary(), err=True)

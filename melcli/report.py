"""Outcomes of a run: per-file results, the summary line and the exit code."""

from __future__ import annotations

import enum
import os
import time
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path


class Status(enum.Enum):
    """The one state every input ends in."""

    WRITTEN = "written"
    UP_TO_DATE = "up-to-date"
    FAILED = "failed"
    SKIPPED = "skipped"


@dataclass(frozen=True, slots=True)  # a re-run holds one per input: no __dict__
class Result:
    """What happened to one input file.

    Attributes
    ----------
    src : Path
        The input.
    status : Status
        Its final state.
    reason : str
        Why it failed or was skipped, in words; empty when written.
    warnings : tuple of str
        Soft problems met while processing it (e.g. a signal shorter than n_fft).
    outputs : tuple of Path
        Files written for it.
    shape : tuple of int
        Shape of the array written.
    samplerate, channels : int
        The source's native rate and channel count.
    sr : int
        The rate the array was computed at.
    duration : float
        The source's length in seconds.
    timings : dict
        Seconds spent per pipeline stage.
    segments : tuple of float
        With ``segment`` set: each segment's start, in seconds into the file.
    silent : bool
        The input was digital silence (recorded in the manifest).
    wave : dict or None
        Its waveform at a glance (:func:`melcli.waveform.summarize`), recorded
        in the manifest for ``melcli gallery``; None when not computed.
    """

    src: Path
    status: Status
    reason: str = ""
    warnings: tuple[str, ...] = ()
    outputs: tuple[Path, ...] = ()
    shape: tuple[int, ...] = ()
    samplerate: int = 0
    channels: int = 0
    sr: int = 0
    duration: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)
    segments: tuple[float, ...] = ()
    #: Every decoded sample was zero (the array is constant).
    silent: bool = False
    wave: dict[str, object] | None = None

    def __reduce__(self) -> tuple[Callable[..., Result], tuple[object, ...]]:
        """Pickle as plain values (paths as strings, the status as its value).

        A pool worker sends one result per file: as a dataclass of Paths
        and an Enum, it took this process twice as long to unpickle.
        """
        return _result, (
            os.fspath(self.src),
            self.status.value,
            self.reason,
            self.warnings,
            tuple(os.fspath(p) for p in self.outputs),
            self.shape,
            self.samplerate,
            self.channels,
            self.sr,
            self.duration,
            self.timings,
            self.segments,
            self.silent,
            self.wave,
        )


def _result(
    src: str,
    status: str,
    reason: str,
    warnings: tuple[str, ...],
    outputs: tuple[str, ...],
    *rest: object,
) -> Result:
    """Rebuild a pickled :class:`Result` (see :meth:`Result.__reduce__`)."""
    paths = tuple(Path(p) for p in outputs)
    return Result(Path(src), Status(status), reason, warnings, paths, *rest)  # type: ignore[arg-type]


@dataclass
class Report:
    """Counts outcomes as results come in, and turns them into an exit code.

    An up-to-date input is held as its path alone (a string: a re-run may
    have millions) until :attr:`results` is asked for.
    """

    #: Every result in the order it came in; a string is an up-to-date input.
    _items: list[Result | str] = field(default_factory=list, init=False, repr=False)
    #: How many of ``_items`` are strings.
    _compact: int = field(default=0, init=False, repr=False)
    #: Outputs whose input is gone (see ``--prune``), one shown per input, and
    #: those removed (every file), of ``pruned_inputs`` inputs.
    stale: list[Path] = field(default_factory=list)
    pruned: list[Path] = field(default_factory=list)
    pruned_inputs: int = 0
    #: The signal that stopped the run early, if any (2 SIGINT, 15 SIGTERM).
    interrupted_by: int | None = None
    elapsed: float = 0.0
    #: Warnings about the run rather than any one file (``settings: ...``).
    warnings: list[str] = field(default_factory=list)
    #: Failures of the run rather than of a file (the manifest not written).
    errors: list[str] = field(default_factory=list)
    #: ``fail_fast`` stopped the run at a failure, leaving ``not_tried`` inputs.
    stopped_early: bool = False
    not_tried: int = 0

    def __init__(
        self,
        results: Iterable[Result] = (),
        stale: list[Path] | None = None,
        pruned: list[Path] | None = None,
        pruned_inputs: int = 0,
        interrupted_by: int | None = None,
        elapsed: float = 0.0,
        warnings: list[str] | None = None,
        errors: list[str] | None = None,
        stopped_early: bool = False,
        not_tried: int = 0,
    ) -> None:
        """Start a report, empty or with ``results`` (as it always took them)."""
        self._items = list(results)
        self._compact = 0
        self.stale = [] if stale is None else stale
        self.pruned = [] if pruned is None else pruned
        self.pruned_inputs = pruned_inputs
        self.interrupted_by = interrupted_by
        self.elapsed = elapsed
        self.warnings = [] if warnings is None else warnings
        self.errors = [] if errors is None else errors
        self.stopped_early = stopped_early
        self.not_tried = not_tried

    @property
    def results(self) -> list[Result]:
        """Every file's result, in the order they came in."""
        items = self._items
        if self._compact:
            for i, item in enumerate(items):
                if type(item) is str:
                    items[i] = up_to_date_result(item)
            self._compact = 0
        return items  # type: ignore[return-value]  # Results only, now

    @property
    def n_results(self) -> int:
        """How many files have a result (without making the up-to-date ones')."""
        return len(self._items)

    def add(self, result: Result) -> None:
        """Record one file's result."""
        self._items.append(result)

    def replace(self, result: Result, new: Result) -> None:
        """Put ``new`` in the place of ``result`` (the same object), counted instead."""
        items = self._items
        for i, item in enumerate(items):
            if item is result:
                items[i] = new
                return
        raise ValueError(f"{result.src}: no such result")

    def add_up_to_date(self, src: str) -> None:
        """Record that the input ``src`` is up to date (its result made if asked)."""
        self._items.append(src)
        self._compact += 1

    def with_status(self, status: Status) -> list[Result]:
        """Return the results of ``status``, in the order they came in."""
        if status is Status.UP_TO_DATE and self._compact:
            return [r for r in self.results if r.status is status]
        if self._compact == len(self._items):  # a no-op: up-to-date paths only
            return []
        return [r for r in self._items if isinstance(r, Result) and r.status is status]

    def prune(self, removed: list[Path]) -> None:
        """Record the outputs of one input removed by ``--prune`` (if any was)."""
        self.pruned.extend(removed)
        self.pruned_inputs += 1 if removed else 0

    def count(self, status: Status) -> int:
        """How many files ended in ``status``."""
        compact = self._compact if status is Status.UP_TO_DATE else 0
        if self._compact == len(self._items):  # a no-op: up-to-date paths only
            return compact
        return compact + len(
            [r for r in self._items if isinstance(r, Result) and r.status is status]
        )

    @property
    def failures(self) -> list[Result]:
        """The failed results, in the order they came in."""
        return self.with_status(Status.FAILED)

    @property
    def exit_code(self) -> int:
        """128 + signal when interrupted, else 1 if anything failed, else 0."""
        if self.interrupted_by is not None:
            return 128 + self.interrupted_by
        return 1 if self.count(Status.FAILED) or self.errors else 0

    def summary(self) -> str:
        """One line, e.g. ``12 written, 40 up to date, 3 skipped, 1 failed.``."""
        parts = [f"{self.count(Status.WRITTEN)} written"]
        if up_to_date := self.count(Status.UP_TO_DATE):
            parts.append(f"{up_to_date} up to date")
        if skipped := self.count(Status.SKIPPED):
            parts.append(f"{skipped} skipped")
        if failed := self.count(Status.FAILED):
            parts.append(f"{failed} failed")
        # Counted by input, with --prune or not (an input's .npy and .png: 1).
        if self.pruned_inputs:
            parts.append(f"{plural(self.pruned_inputs, 'stale output')} removed")
        elif self.stale:
            parts.append(
                f"{plural(len(self.stale), 'stale output')} (--prune removes them)"
            )
        if self.stopped_early:
            parts.append(f"{self.not_tried} not tried")
        line = ", ".join(parts) + "."
        if self.stopped_early:
            line = f"stopped at the first failure (--fail-fast): {line}"
        if self.interrupted_by is not None:
            line = f"interrupted: {line} Run again to finish."
        return line

    def to_json(self) -> dict[str, object]:
        """Return the run summary for ``--json``: counts, failures, elapsed seconds."""
        return {
            "written": self.count(Status.WRITTEN),
            "up_to_date": self.count(Status.UP_TO_DATE),
            "skipped": self.count(Status.SKIPPED),
            "failed": self.count(Status.FAILED),
            "stale": [os.fsdecode(p) for p in self.stale],
            "pruned": [os.fsdecode(p) for p in self.pruned],
            "failures": [  # by path: the same for the same run, whatever -j
                {"path": os.fsdecode(r.src), "reason": r.reason}
                for r in sorted(self.failures, key=lambda r: os.fsencode(r.src))
            ],
            "warnings": list(self.warnings),
            "errors": list(self.errors),
            "interrupted": self.interrupted_by is not None,
            "stopped_early": self.stopped_early,
            "not_tried": self.not_tried,
            "elapsed_seconds": round(self.elapsed, 3),
            "exit_code": self.exit_code,
        }


def up_to_date_result(src: str | os.PathLike[str]) -> Result:
    """Return the result of an input found up to date."""
    return Result(src=Path(src), status=Status.UP_TO_DATE)


#: Seconds between two progress lines in a log (``--progress-interval``).
PROGRESS_INTERVAL = 10.0


class Progress:
    """Progress lines for a log: at most one every ``interval`` seconds.

    Call :meth:`update` once per finished file; it returns the line to print
    when ``interval`` seconds have passed since the last one (or the start),
    else None. ``clock`` is :func:`time.monotonic` (replaceable in tests).
    """

    def __init__(
        self,
        *,
        total: int,
        interval: float = PROGRESS_INTERVAL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.total = total
        self.interval = interval
        self.clock = clock
        self.done = 0
        self.started = clock()
        self._next = self.started + interval

    def update(self, n: int = 1) -> str | None:
        """Count ``n`` more files done; return a progress line when one is due."""
        self.done += n
        now = self.clock()
        if now < self._next:
            return None
        self._next = now + self.interval
        return self.line(now)

    def line(self, now: float) -> str:
        """Return ``progress: 40/158 files (25%), 3.2 files/s, 12s elapsed, ...``."""
        elapsed = max(now - self.started, 1e-9)
        rate = self.done / elapsed
        percent = f" ({100 * self.done // self.total}%)" if self.total else ""
        parts = [
            f"progress: {self.done}/{self.total} files{percent}",
            f"{rate:.1f} files/s",
            f"{_duration(elapsed)} elapsed",
        ]
        if rate > 0 and self.done < self.total:
            parts.append(f"about {_duration((self.total - self.done) / rate)} left")
        return ", ".join(parts)


def _duration(seconds: float) -> str:
    """``42s``, ``3m05s``, ``2h07m``."""
    s = round(seconds)
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    return f"{s // 3600}h{s % 3600 // 60:02d}m"


def plural(n: int, noun: str) -> str:
    """``1 input``, ``3 inputs``."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


_ESCAPED_CATEGORIES = {"Cc", "Cf", "Zl", "Zp"}


def display_path(path: str | Path) -> str:
    r"""Return ``path`` fit for one log line.

    Control, format (bidi overrides, zero-width) and line-separator characters
    are shown as escapes, so a file name cannot forge or reorder log lines;
    undecodable bytes (``surrogateescape``) are shown as ``\\xNN``.
    """
    text = str(path)
    if text.isascii() and text.isprintable() and "\\" not in text:
        return text  # the usual name: nothing to escape (and no per-letter look)
    out = []
    for ch in text:
        code = ord(ch)
        if 0xDC80 <= code <= 0xDCFF:
            out.append(f"\\x{code - 0xDC00:02x}")
        elif unicodedata.category(ch) in _ESCAPED_CATEGORIES or ch == "\\":
            out.append(ch.encode("unicode_escape").decode("ascii"))
        else:
            out.append(ch)
    return "".join(out)

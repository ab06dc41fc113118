"""Outcomes of a run: per-file results, the summary line and the exit code."""

from __future__ import annotations

import dataclasses
import enum
import errno
import os
import struct
import time
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .stats import DatasetStats


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
    png_only : bool
        Written, but only its PNG: the array was up to date and kept as it
        was (``outputs`` still names it, as the manifest does).
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
    png_only: bool = False

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
            tuple(map(os.fspath, self.outputs)),
            self.shape,
            self.samplerate,
            self.channels,
            self.sr,
            self.duration,
            self.timings,
            self.segments,
            self.silent,
            self.wave,
            self.png_only,
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
    paths = tuple(map(Path, outputs))
    return Result(Path(src), _STATUSES[status], reason, warnings, paths, *rest)  # type: ignore[arg-type]


#: Each status by its value: a dictionary look-up, where ``Status(value)``
#: goes through the Enum's Python ``__call__`` (once per result a pool sends).
_STATUSES = {status.value: status for status in Status}


@dataclass
class Report:
    """Counts outcomes as results come in, and turns them into an exit code.

    What a run of millions of inputs holds per input is a few bytes, not a
    :class:`Result`: an up-to-date input is held as its path alone (a string
    the plan holds already), and a written one goes, a batch at a time, to a
    temporary file of its own (:class:`_Spill`: anonymous, gone with this
    report or the process, even one killed). Each comes back as it was when
    :attr:`results` (or :meth:`with_status`) is asked for. Failed and skipped
    inputs, and the counts, are held as they are.
    """

    #: Every result in the order it came in; a string is an up-to-date input,
    #: :data:`_SPILLED` a written one held by :attr:`_spill`.
    _items: list[Result | str | object] = field(
        default_factory=list, init=False, repr=False
    )
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
    #: With ``stats=True``: the statistics written to ``OUT/stats.npz`` (what
    #: ``--stats`` reports); None when none were written (see ``errors`` and
    #: ``warnings``).
    stats: DatasetStats | None = None

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
        self._items = []
        self._compact = 0
        #: Results held as they are, by status (the strings are not).
        self._counts: dict[Status, int] = dict.fromkeys(Status, 0)
        #: Of the written results, those whose PNG alone was written.
        self.png_only = 0
        self._spill = _Spill()
        self.stale = [] if stale is None else stale
        self.pruned = [] if pruned is None else pruned
        self.pruned_inputs = pruned_inputs
        self.interrupted_by = interrupted_by
        self.elapsed = elapsed
        self.warnings = [] if warnings is None else warnings
        self.errors = [] if errors is None else errors
        self.stopped_early = stopped_early
        self.not_tried = not_tried
        self.stats = None
        for result in results:
            self.add(result)

    def __eq__(self, other: object) -> bool:
        """Equal when every result and every other field is (results read back)."""
        if not isinstance(other, Report):
            return NotImplemented
        return self.results == other.results and all(
            getattr(self, f.name) == getattr(other, f.name)
            for f in dataclasses.fields(self)
            # stats: numpy arrays, which == does not make one bool of
            if f.name not in ("_items", "_compact", "stats")
        )

    def __getstate__(self) -> dict[str, object]:
        """Pickle every result as itself (a spill file is this process's alone)."""
        state = dict(self.__dict__)
        state["_items"] = list(self.results)
        state["_compact"] = 0
        state["_spill"] = _Spill()
        return state

    @property
    def results(self) -> list[Result]:
        """Every file's result, in the order they came in."""
        items = self._items
        if self._compact or self._spill:
            spilled = iter(self._spill)
            for i, item in enumerate(items):
                if type(item) is str:
                    items[i] = up_to_date_result(item)
                elif item is _SPILLED:
                    items[i] = next(spilled)
            self._counts[Status.UP_TO_DATE] += self._compact
            self._compact = 0
            self._spill.clear()
        return items  # type: ignore[return-value]  # Results only, now

    @property
    def n_results(self) -> int:
        """How many files have a result (without making the up-to-date ones')."""
        return len(self._items)

    def add(self, result: Result) -> None:
        """Record one file's result."""
        self._counts[result.status] += 1
        self.png_only += result.png_only
        if result.status is Status.WRITTEN and self._spill.add(result):
            self._items.append(_SPILLED)
        else:
            self._items.append(result)

    def replace(self, result: Result, new: Result) -> None:
        """Put ``new`` in the place of ``result`` (the same object), counted instead.

        A result read back from the spill is found by its value.
        """
        items = self._items
        at = next((i for i, item in enumerate(items) if item is result), None)
        if at is None:  # read back from the spill: a copy
            items = self.results  # type: ignore[assignment]  # the same list
            at = next((i for i, item in enumerate(items) if item == result), None)
        if at is None:
            raise ValueError(f"{result.src}: no such result")
        items[at] = new
        self._counts[result.status] -= 1
        self._counts[new.status] += 1
        self.png_only += new.png_only - result.png_only

    def fail_lost(self, reason: str, lost: Callable[[Result], bool]) -> list[Result]:
        """Count each written result that is ``lost`` as failed for ``reason``.

        Returns those results, as they were. For outputs gone after they were
        written (OUT deleted during the run): one pass, however many.
        """
        items = self.results
        found = []
        for i, result in enumerate(items):
            if result.status is Status.WRITTEN and lost(result):
                found.append(result)
                items[i] = dataclasses.replace(
                    result, status=Status.FAILED, reason=reason, outputs=()
                )
                self._counts[Status.WRITTEN] -= 1
                self._counts[Status.FAILED] += 1
                self.png_only -= result.png_only
        return found

    def add_up_to_date(self, src: str) -> None:
        """Record that the input ``src`` is up to date (its result made if asked)."""
        self._items.append(src)
        self._compact += 1

    def add_all_up_to_date(self, sources: Sequence[str]) -> None:
        """Record that the inputs ``sources`` are up to date (each as one is)."""
        self._items += sources
        self._compact += len(sources)

    def with_status(self, status: Status) -> list[Result]:
        """Return the results of ``status``, in the order they came in."""
        if not self.count(status):  # e.g. a no-op's failures: none to look for
            return []
        compact = self._compact if status is Status.UP_TO_DATE else 0
        spilled = status is Status.WRITTEN and self._spill
        if compact or spilled:
            return [r for r in self.results if r.status is status]
        return [r for r in self._items if isinstance(r, Result) and r.status is status]

    def prune(self, removed: list[Path]) -> None:
        """Record the outputs of one input removed by ``--prune`` (if any was)."""
        self.pruned.extend(removed)
        self.pruned_inputs += 1 if removed else 0

    def count(self, status: Status) -> int:
        """How many files ended in ``status``."""
        compact = self._compact if status is Status.UP_TO_DATE else 0
        return compact + self._counts[status]

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
        parts = [self._written()]
        if up_to_date := self.count(Status.UP_TO_DATE):
            parts.append(f"{up_to_date} up to date")
        if skipped := self.count(Status.SKIPPED):
            parts.append(f"{skipped} skipped")
        if failed := self.count(Status.FAILED):
            parts.append(f"{failed} failed")
        # Counted by input, with --prune or not (an input's .npy and .png: 1).
        if self.pruned_inputs:
            removed = f"{plural(self.pruned_inputs, 'stale output')} removed"
            if len(self.pruned) != self.pruned_inputs:  # as the dry run counts
                removed += f" ({plural(len(self.pruned), 'file')})"
            parts.append(removed)
        elif self.stale:
            parts.append(stale_note(len(self.stale)))
        if self.stopped_early:
            parts.append(f"{self.not_tried} not tried")
        line = ", ".join(parts) + "."
        if self.stopped_early:
            line = f"stopped at the first failure (--fail-fast): {line}"
        if self.interrupted_by is not None:
            line = f"interrupted: {line} Run again to finish."
        return line

    def _written(self) -> str:
        """``3 written``, and how many of them only their PNG (arrays kept)."""
        written, only = self.count(Status.WRITTEN), self.png_only
        if not only:
            return f"{written} written"
        what = "its PNG" if only == 1 else "their PNGs"
        if only == written:
            return f"{written} written (only {what})"
        return f"{written} written ({only} of them only {what})"

    def to_json(self) -> dict[str, object]:
        """Return the run summary for ``--json``: counts, failures, elapsed seconds."""
        return {
            "written": self.count(Status.WRITTEN),
            "png_only": self.png_only,
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


#: Written results held in memory before they go to the spill file together.
SPILL_EVERY = 256
#: Stands in :attr:`Report._items` for a result in the spill.
_SPILLED = object()


class _Spill:
    """Results, pickled a batch at a time into an anonymous temporary file.

    Those of the last batch are held until it is full: a report of a few
    hundred results writes nothing. The file (Python's
    :func:`tempfile.TemporaryFile`, in the temporary folder, ``TMPDIR``) has
    no name on Linux, and is closed, and gone, with this object. Where it
    cannot be written (no room), the results are held in memory instead.
    """

    def __init__(self) -> None:
        self._file: BinaryIO | None = None
        #: Where the last whole batch ends in the file: one cut short by a
        #: full disk is not read back (its results are still held).
        self._end = 0
        self._held: list[Result] = []
        self._count = 0
        self._broken = False
        #: Why the file could not be written (then results are held), or None.
        self.problem: str | None = None

    def __bool__(self) -> bool:
        return self._count > 0

    def __del__(self) -> None:
        self.clear()

    def add(self, result: Result) -> bool:
        """Take ``result``; return whether it is held here (False: keep it)."""
        if self._broken:
            return False
        self._held.append(result)
        self._count += 1
        if len(self._held) >= SPILL_EVERY:
            self._write()
        return True

    def _write(self) -> None:
        # Imported here: a run that writes nothing (a no-op) never spills.
        import pickle
        import tempfile

        data = pickle.dumps(self._held, protocol=pickle.HIGHEST_PROTOCOL)
        try:
            if self._file is None:
                # Kept open for this report's life: closed by clear(), or with it.
                # Unbuffered: no write is left pending to fail later, in a seek.
                self._file = tempfile.TemporaryFile(  # noqa: SIM115
                    prefix="melcli-results-", buffering=0
                )
            blob = _SIZE.pack(len(data)) + data
            if self._file.write(blob) != len(blob):
                raise OSError(errno.ENOSPC, "written in part")
        except OSError as exc:  # no room: the batches written stay, the rest is held
            self._broken = True
            self.problem = f"{type(exc).__name__}: {exc}"
            return
        self._end += _SIZE.size + len(data)
        self._held = []

    def __iter__(self) -> Iterator[Result]:
        """Yield every result taken, in order (they stay here)."""
        if self._file is not None:
            import pickle  # imported by _write, which made the file

            self._file.seek(0)
            at = 0
            while at < self._end:
                (size,) = _SIZE.unpack(self._file.read(_SIZE.size))
                yield from pickle.loads(self._file.read(size))
                at += _SIZE.size + size
            self._file.seek(self._end)
        yield from self._held

    def clear(self) -> None:
        """Forget every result taken, and delete the file."""
        if self._file is not None:
            self._file.close()
        self._file = None
        self._end = 0
        self._held = []
        self._count = 0


_SIZE = struct.Struct("<Q")


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
        unit: str = "files",
    ) -> None:
        self.total = total
        #: What is counted, plural (``files``; a gallery's ``inputs``).
        self.unit = unit
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
            f"progress: {self.done}/{self.total} {self.unit}{percent}",
            f"{rate:.1f} {self.unit}/s",
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


def stale_note(n: int) -> str:
    """``1 stale output (--prune removes it)``, ``2 stale outputs (... them)``."""
    them = "it" if n == 1 else "them"
    return f"{plural(n, 'stale output')} (--prune removes {them})"


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

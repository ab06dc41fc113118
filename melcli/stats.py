"""Dataset statistics: per-band mean, std, min, max over every frame of a run.

``melcli stats OUT`` (and ``melcli mel --stats``) reads the arrays of an output
tree and writes ``OUT/stats.npz``, for a training script to normalise with::

    stats = np.load("features/stats.npz")
    x = (S_db - stats["mean"][:, None]) / stats["std"][:, None]

**Axis convention.** The band axis of every array is the second to last one,
``(..., n_mels, frames)``; every other axis is pooled into frames. A mono array
``(n_mels, t)`` adds ``t`` frames, a multichannel one ``(channels, n_mels, t)``
adds ``channels * t``, a stack of segments ``(n_segments, n_mels, t)`` adds
``n_segments * t`` (and ``(n_segments, channels, n_mels, t)`` their product).
``count`` is that number of frames; ``std`` is the population standard
deviation (``ddof=0``), as ``np.std`` computes it over the concatenated frames.

**Numerics.** Each array is read in chunks of frames, converted to float64, and
reduced to its count, mean and sum of squared deviations from that mean; the
running totals are merged with Chan et al.'s parallel update
(``delta = mean_b - mean_a; M2 = M2_a + M2_b + delta**2 * n_a * n_b / n``).
Squares are never summed in float32, and never around zero when the data sit
far from it, so millions of frames at a large offset keep full precision.
"""

from __future__ import annotations

import contextlib
import errno
import os
import posixpath
import stat
import warnings
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from . import interrupts
from .errors import MelcliError, ParameterError, os_reason
from .filelist import FileList
from .inputs import check_list_options, check_out_folder, path_of, read_listed
from .manifest import Entry, Manifest, holds_manifest, read_only_problem, unfinished
from .outdir import (
    NpyFile,
    OutputLock,
    Recorded,
    check_recorded,
    open_npy,
    read_if_small,
    recorded_array,
    walk,
    with_remedy,
)
from .report import plural
from .segment import segment_base
from .storage import webdataset
from .storage.tarshards import Slice
from .write import LeadsOutside, atomic_write, confine

#: An array to read: a ``.npy`` file, or an ``.npy`` member of a tar shard.
ArraySource = Path | Slice

#: The file ``melcli stats OUT`` writes, in OUT.
STATS_NAME = "stats.npz"
#: Frames converted to float64 at once (bounds memory for any array size).
CHUNK_FRAMES = 1 << 16


@dataclass
class RunningStats:
    """Per-band count, mean, sum of squared deviations, min and max.

    Feed arrays with :meth:`add`; combine two with :meth:`merge`.
    """

    count: int = 0
    mean: np.ndarray = field(default_factory=lambda: np.zeros(0))
    m2: np.ndarray = field(default_factory=lambda: np.zeros(0))
    min: np.ndarray = field(default_factory=lambda: np.zeros(0))
    max: np.ndarray = field(default_factory=lambda: np.zeros(0))
    arrays: int = 0

    @property
    def n_bands(self) -> int | None:
        """Bands seen so far (``None`` before the first frame)."""
        return len(self.mean) if self.count else None

    def add(self, S: np.ndarray | NpyFile) -> None:
        """Add every frame of ``S`` [shape=(..., n_bands, frames)].

        ``S`` may be an array file (:func:`melcli.outdir.open_npy`): a large
        one is read chunk by chunk (memory bounded by a chunk), never mapped.

        Raises
        ------
        MelcliError
            If ``S`` has fewer than 2 dimensions, non-finite values, or another
            number of bands than the arrays before it.
        ValueError
            If the file of ``S`` was cut short while read
            (:class:`melcli.outdir.CutShort`).
        """
        if S.ndim < 2:
            raise MelcliError(f"array of shape {S.shape} has no (bands, frames) axes")
        if S.dtype.kind not in "fiub":  # complex, text, records, dates...
            raise MelcliError(f"array of dtype {S.dtype} does not hold real numbers")
        if isinstance(S, NpyFile):
            S = read_if_small(S)
        *outer, n_bands, n_frames = S.shape
        if self.n_bands is not None and n_bands != self.n_bands:
            raise MelcliError(
                f"array has {n_bands} bands, the arrays before it {self.n_bands}"
            )
        if isinstance(S, np.ndarray):
            bands = S.reshape(-1, n_bands, n_frames)  # a view
            count = len(bands)
        else:
            count = int(np.prod(outer, dtype=np.int64))
        for lead in range(count):
            for start in range(0, n_frames, CHUNK_FRAMES):
                stop = start + CHUNK_FRAMES
                if isinstance(S, np.ndarray):
                    part = bands[lead, :, start:stop]
                else:  # read, that chunk only
                    part = S.part(lead, start, stop)
                chunk = np.asarray(part, dtype=np.float64)
                if not np.isfinite(chunk).all():
                    raise MelcliError("array holds NaN or Inf values")
                self.merge(_chunk_stats(chunk))
        self.arrays += 1

    def merge(self, other: RunningStats) -> None:
        """Fold ``other``'s frames into these (Chan et al.'s parallel update)."""
        if other.count == 0:
            return
        if self.count == 0:
            self.count, self.mean, self.m2 = other.count, other.mean, other.m2
            self.min, self.max = other.min, other.max
            return
        n = self.count + other.count
        delta = other.mean - self.mean
        self.mean = self.mean + delta * (other.count / n)
        self.m2 = self.m2 + other.m2 + delta**2 * (self.count * other.count / n)
        self.min = np.minimum(self.min, other.min)
        self.max = np.maximum(self.max, other.max)
        self.count = n

    def result(self) -> dict[str, np.ndarray]:
        """Return ``mean, std, min, max`` (float64, per band) and ``count``.

        Raises
        ------
        MelcliError
            If no frame was added.
        """
        if self.count == 0:
            raise MelcliError(NO_ARRAYS)
        return {
            "mean": self.mean,
            "std": np.sqrt(self.m2 / self.count),
            "min": self.min,
            "max": self.max,
            "count": np.asarray(self.count, dtype=np.int64),
        }


def _chunk_stats(x: np.ndarray) -> RunningStats:
    """Stats of a float64 ``(bands, frames)`` chunk, two-pass for accuracy."""
    mean = x.mean(axis=1)
    dev = x - mean[:, np.newaxis]
    return RunningStats(
        count=x.shape[1],
        mean=mean,
        m2=np.einsum("ij,ij->i", dev, dev),
        min=x.min(axis=1),
        max=x.max(axis=1),
    )


@dataclass
class DatasetStats:
    """The statistics of a set of arrays, and which arrays they cover."""

    mean: np.ndarray
    std: np.ndarray
    min: np.ndarray
    max: np.ndarray
    count: int
    #: The arrays read: ``.npy`` files, or members of shards.
    files: list[ArraySource] = field(default_factory=list)
    #: The settings fingerprint the arrays were made with (as in the
    #: manifest), when known: a reader can tell statistics of other settings.
    settings: str | None = None
    #: :func:`inputs_digest` of the inputs of the arrays, when they are every
    #: array of their OUT (``melcli stats``): a reader can tell them stale.
    inputs: str | None = None
    #: What was left out, and why, one line each (``melcli stats`` prints
    #: them): entries of a damaged manifest, the arrays of inputs made with
    #: other settings, arrays not what their entries record. Not saved.
    warnings: list[str] = field(default_factory=list)
    #: Where :func:`write_stats` wrote them (``OUT/stats.npz``); None if not.
    path: Path | None = None

    def to_json(self) -> dict[str, Any]:
        """Return what ``melcli stats --json`` prints: a dict of plain values.

        ``path`` (where they were written, or None), ``arrays`` (how many),
        ``count`` (frames), ``n_bands``, and ``mean``, ``std``, ``min``,
        ``max`` as lists of floats.
        """
        return {
            "path": None if self.path is None else os.fsdecode(self.path),
            "arrays": len(self.files),
            "count": self.count,
            "n_bands": len(self.mean),
            **{k: getattr(self, k).tolist() for k in ("mean", "std", "min", "max")},
        }

    def __repr__(self) -> str:
        # Short: the dataclass's own would print every band and every file
        # (2000 paths for ESC-50) where a notebook shows the value.
        return (
            f"DatasetStats({len(self.mean)} bands, {self.count} frames from "
            f"{plural(len(self.files), 'array')}, settings={self.settings!r})"
        )

    def save(self, path: Path) -> None:
        """Write ``mean, std, min, max, count`` (and ``settings``) to ``path``.

        An ``.npz`` file, written atomically; ``settings`` only when known.
        """
        arrays: dict[str, Any] = {
            "mean": self.mean,
            "std": self.std,
            "min": self.min,
            "max": self.max,
            "count": np.asarray(self.count, dtype=np.int64),
        }
        if self.settings is not None:
            arrays["settings"] = np.asarray(self.settings)
        if self.inputs is not None:
            arrays["inputs"] = np.asarray(self.inputs)

        def write(f: BinaryIO) -> None:
            # Whole, a few kilobytes: numpy's zip file stopped half way (a
            # Ctrl-C) printed "Exception ignored in ZipFile.__del__".
            with interrupts.deferred():
                np.savez(f, **arrays)

        atomic_write(path, write)


def compute(
    paths: Iterable[str | os.PathLike[str] | Slice | Any],
    *,
    out: str | os.PathLike[str] | None = None,
    recorded: Mapping[ArraySource, Recorded] | None = None,
    left_out: list[str] | None = None,
) -> DatasetStats:
    """Compute per-band statistics over every frame of the arrays ``paths``.

    ``paths`` are ``.npy`` files, or ``.npy`` members of tar shards given as
    :class:`~melcli.storage.tarshards.Slice` (:func:`arrays_of` lists those of
    a ``--format webdataset`` output), or the items of a
    :class:`~melcli.data.SpectrogramDataset` (``ds.items``, or some of them).
    Each array is read in chunks (never memory-mapped: one cut short by
    another program meanwhile is an error naming it, not a crash): memory
    does not grow with the size of the arrays or their number.

    Each array of an output folder (a ``.npy`` file or shard member that its
    manifest records) is held to the shape and dtype its entry records, and
    when every array was made with one set of settings the result carries its
    fingerprint (:attr:`DatasetStats.settings`, saved in the ``.npz``): a
    dataset made with other settings refuses it later (``stale``). Arrays no
    manifest records (any ``.npy`` file) leave ``settings`` None.
    ``recorded`` gives the shapes and dtypes by array instead, and skips the
    look-up (:func:`select_arrays` finds them, and the settings). With
    ``left_out``, an array that is not what its entry records is left out and
    said there (one line each) instead of raising.

    ``out``: the arrays' output folder (``compute(arrays_of(out), out=out)``):
    each under it is read from it down, never through a link out of it (it
    raises). So is one an output folder's manifest records, ``out`` or not.

    What was wrong with a manifest looked up (its store not read, entries
    dropped: their arrays are not held to anything) is said in ``left_out``
    too, a line each, as ``melcli stats`` says it; without ``left_out``, as a
    :class:`UserWarning`.

    Raises
    ------
    MelcliError
        Naming the file, if one cannot be read, is not what its entry records,
        or does not fit the others; or if there is no array at all.
    """
    given = "" if out is None else os.path.abspath(path_of(out, param="out"))
    running = RunningStats()
    files: list[ArraySource] = []
    made_with: set[str | None] = set()
    lookup = _Provenance(given) if recorded is None else None
    for path in paths:
        expected = None
        root = name = ""  # the array's OUT (absolute) and its name under it
        if hasattr(path, "array") and hasattr(path, "recorded"):  # a dataset item
            expected = path.recorded
            made_with.add(getattr(path, "settings", None))
            root, name = getattr(path, "out", ""), getattr(path, "path", "")
            path = path.array
            source = path if isinstance(path, Slice) else Path(path)
        else:
            source = path if isinstance(path, Slice) else Path(path)
            if recorded is not None:
                expected = recorded.get(source)
            elif lookup is not None:
                made, expected, root = lookup.of(source)
                made_with.add(made)
            root = given if given and not isinstance(source, Slice) else root
        try:
            with _open_array(source, root, name) as S:
                if expected is not None:
                    try:
                        check_recorded(S, expected)
                    except ValueError as exc:
                        if left_out is None:
                            raise
                        # A crafted entry's shape (no fact a run checks): said.
                        left_out.append(f"{source}: {exc}; left out")
                        continue
                running.add(S)
        except OSError as exc:
            raise MelcliError(f"{source}: {_os_problem(exc)}") from None
        except (ValueError, MelcliError) as exc:  # (one OUT records: rebuilt so)
            said = str(exc) if expected is None else with_remedy(str(exc))
            raise MelcliError(f"{source}: {said}") from None
        files.append(source)
    if lookup is not None:
        for problem in lookup.problems():
            if left_out is not None:
                left_out.append(problem)
            else:
                warnings.warn(problem, stacklevel=2)
    values = running.result()
    settings = next(iter(made_with)) if len(made_with) == 1 else None  # or None
    return DatasetStats(
        mean=values["mean"],
        std=values["std"],
        min=values["min"],
        max=values["max"],
        count=int(values["count"]),
        files=files,
        settings=settings,
    )


def _open_array(source: Path | Slice, root: str, name: str) -> NpyFile:
    """Open the array ``source``; from ``root`` (its OUT) down if given.

    ``name``: its name under ``root``, where it is known (a dataset item's).

    To read in chunks, never mapped: an array cut short by another program
    meanwhile is an error naming it, not a crash (:class:`NpyFile`).
    """
    if isinstance(source, Slice):
        return webdataset.open_npy(source)
    if root:  # from its OUT down: no link out followed since
        with confine(root):
            return open_npy(os.path.join(root, name) if name else source)
    # A FIFO or a crafted header in OUT: refused, not waited on.
    return open_npy(source)


class _Provenance:
    """The manifest entries of arrays given by path: how each was made.

    An array inside an output folder (a folder above it holds a manifest)
    is looked up in that folder's manifest, loaded once: a ``.npy`` by its
    path relative to OUT (a segment file by its input's), a shard member by
    its shard and offset. The manifest is OUT's, untrusted: only what it
    says of the array (its settings, shape and dtype) is used, to check it.
    """

    def __init__(self, out: str = "") -> None:
        #: The output folder the caller named (absolute), if any: an array
        #: below it is looked up in its manifest alone, no folder between
        #: them looked at (one may be a link out of it).
        self._given = os.path.join(out, "") if out else ""
        self._outs: dict[str, tuple[str, Manifest] | None] = {}
        self._members: dict[str, dict[tuple[str, int], Entry]] = {}

    def problems(self) -> list[str]:
        """Say what was wrong with the manifests looked up, a line each."""
        loaded = {id(m): m for _, m in filter(None, self._outs.values())}
        return list(
            dict.fromkeys(
                read_only_problem(problem)
                for manifest in loaded.values()
                for problem in manifest.problems
            )
        )

    def of(self, source: ArraySource) -> tuple[str | None, Recorded | None, str]:
        """Return the settings and the recorded shape and dtype of ``source``.

        And the output folder whose manifest records it (absolute): it is
        read from there down, as an array of OUT. ``(None, None, "")`` when
        no manifest records it.
        """
        path = os.path.abspath(source.path if isinstance(source, Slice) else source)
        folder = os.path.dirname(path)
        if self._given and path.startswith(self._given):
            folder = os.path.dirname(self._given)
        found = self._out_of(folder)
        if found is None:
            return None, None, ""
        out, manifest = found
        rel = os.path.relpath(path, out).replace(os.sep, "/")
        try:
            if isinstance(source, Slice):
                entry = self._samples(out, manifest).get((rel, source.offset))
                one = entry is not None and len(webdataset.entry_samples(entry)) == 1
            else:
                entry = manifest.entries.get(rel)
                base = segment_base(os.path.basename(rel))
                if entry is None and base is not None:
                    folder = os.path.dirname(rel)
                    entry = manifest.entries.get(posixpath.join(folder, base + ".npy"))
                names = entry.get("stamps") if entry is not None else None
                if not isinstance(names, dict) or rel not in names:
                    return None, None, ""  # not this array's entry
                one = sum(1 for n in names if str(n).endswith(".npy")) == 1
        except (KeyError, TypeError, ValueError, AttributeError):
            return None, None, ""
        if entry is None or entry.get("status") not in ("written", "up-to-date"):
            return None, None, ""
        settings = entry.get("settings")
        return (
            settings if isinstance(settings, str) else None,
            recorded_array(entry) if one else None,
            out,
        )

    def _out_of(self, folder: str) -> tuple[str, Manifest] | None:
        """Return the output folder at or above ``folder``, and its manifest."""
        seen = []
        found: tuple[str, Manifest] | None = None
        while True:
            if folder in self._outs:
                found = self._outs[folder]
                break
            seen.append(folder)
            if holds_manifest(folder):
                try:
                    found = (folder, Manifest.load(Path(folder), read_only=True))
                except (OSError, MelcliError):
                    found = None
                break
            parent = os.path.dirname(folder)
            if parent == folder:
                break
            folder = parent
        for folder in seen:
            self._outs[folder] = found
        return found

    def _samples(self, out: str, manifest: Manifest) -> dict[tuple[str, int], Entry]:
        """Return the sample entries of ``out`` by (shard, offset of their .npy)."""
        if out not in self._members:
            index: dict[tuple[str, int], Entry] = {}
            for entry in manifest.entries.values():
                if webdataset.is_sample(entry):
                    for members in webdataset.entry_samples(entry).values():
                        if "npy" in members:
                            index[(str(entry["shard"]), members["npy"][0])] = entry
            self._members[out] = index
        return self._members[out]


def _os_problem(exc: OSError) -> str:
    """Say why an array could not be opened: ``a symbolic link, not a file``."""
    if isinstance(exc, LeadsOutside):  # a folder of OUT swapped for a link out
        return str(exc)
    if exc.errno == errno.ELOOP:  # O_NOFOLLOW met a link
        return "a symbolic link, not a file"
    return os_reason(exc) if exc.errno is not None else str(exc)


@dataclass
class Selection:
    """The arrays :func:`select_arrays` chose, and what it left out."""

    arrays: list[ArraySource] = field(default_factory=list)
    #: Inputs whose arrays were made with other settings than the latest.
    other_settings: int = 0
    #: What was wrong with the manifest (entries dropped), one line each.
    warnings: list[str] = field(default_factory=list)
    #: The settings fingerprint of the arrays chosen (None without a manifest).
    settings: str | None = None
    #: :func:`inputs_digest` of the entries chosen, when they are all of OUT's.
    inputs: str | None = None
    #: The shape and dtype the manifest records of each array chosen, where
    #: it does (one array per input): an array changed in place is refused.
    recorded: dict[ArraySource, Recorded] = field(default_factory=dict)
    #: With ``sources``: those of them the manifest records as written or up
    #: to date (of any settings), as its entries spell them.
    sources: set[str] = field(default_factory=set)


def arrays_of(
    out: str | os.PathLike[str],
    *,
    sources: Iterable[str | os.PathLike[str]] | None = None,
) -> list[ArraySource]:
    """Return the arrays of the output tree ``out``, in sorted order.

    With ``OUT/manifest.jsonl``, the arrays of its written or up-to-date
    entries made with the latest settings (so leftovers, foreign files and
    arrays of earlier settings do not count): ``.npy`` files, or for
    ``--format webdataset`` the ``.npy`` members of the samples in the
    shards. Without a manifest, every ``*.npy`` below ``out`` outside hidden
    folders. See :func:`select_arrays`.

    ``sources``, if given, keeps only the entries of these inputs (``melcli
    mel --stats``: the run's own); it needs the manifest.

    Raises
    ------
    MelcliError
        If ``out`` holds a run's journal but no manifest: the arrays of a run
        stopped midway (:func:`require_output`).
    """
    _require_finished(out)
    return select_arrays(out, sources=sources).arrays


def select_arrays(
    out: str | os.PathLike[str],
    *,
    sources: Iterable[str | os.PathLike[str]] | None = None,
) -> Selection:
    """Choose the arrays of ``out`` to compute statistics over (:func:`arrays_of`).

    One OUT may hold arrays of several settings (a run with other settings
    and ``--include`` leaves the arrays of the inputs it leaves out): the
    *latest* settings are those of the most recently written array, and only
    the arrays made with them are chosen; the others are counted.

    Raises
    ------
    MelcliError
        If an array the manifest records is not a regular file inside OUT.
    """
    out = Path(out)
    chosen = Selection()
    if not holds_manifest(out):
        if sources is None:
            chosen.arrays.extend(sorted(_walk_npy(out)))
        return chosen
    manifest = Manifest.load(out, read_only=True)
    wanted = None
    if sources is not None:
        wanted = {os.path.abspath(os.fsdecode(s)) for s in sources}
    done = {
        key: entry
        for key, entry in manifest.entries.items()
        if entry.get("status") in ("written", "up-to-date")
    }
    entries = {
        key: entry
        for key, entry in done.items()
        if wanted is None or entry.get("source_abs") in wanted
    }
    if wanted is not None:
        chosen.sources = {e["source_abs"] for e in entries.values()}
    # Once every entry is read: an entry of the store is checked when it is.
    chosen.warnings = [read_only_problem(p) for p in manifest.problems]
    latest = _latest_settings(entries.values())
    chosen.settings = latest if isinstance(latest, str) else None
    if len(entries) == len(done):  # all of OUT's: a reader can tell it stale
        chosen.inputs = inputs_digest(
            e for e in entries.values() if e.get("settings") == latest
        )
    for key, entry in sorted(entries.items()):
        if entry.get("settings") != latest:
            chosen.other_settings += 1
            continue
        sample = webdataset.is_sample(entry)
        files = [entry["shard"]] if sample else sorted(entry.get("stamps", {}))
        files = [n for n in files if sample or n.endswith(".npy")]
        # A folder on the way out of OUT (a link): no run can put the array
        # there, nor delete the entry's (its input may be there, and the
        # entry kept): left out, said, rather than no statistics for good.
        outside = [
            problem
            for name in files
            if (problem := manifest.outdir.folder_problem(name.rpartition("/")[0]))
        ]
        if outside:
            chosen.warnings.append(f"{out / files[0]}: left out: {outside[0]}")
            continue
        for name in files:
            if manifest.outdir.file(name) is None:
                raise MelcliError(
                    f"{out / name}: missing, or not a regular file inside OUT (a "
                    "link?): run 'melcli mel' again to rebuild it"
                )
        if sample:
            arrays: list[ArraySource] = list(webdataset.npy_members(manifest, key))
        else:
            arrays = [out / name for name in files]
        expected = recorded_array(entry) if len(arrays) == 1 else None
        if expected is not None:
            chosen.recorded[arrays[0]] = expected
        chosen.arrays.extend(arrays)
    return chosen


def inputs_digest(entries: Iterable[Entry]) -> str:
    """Return a digest of which inputs ``entries`` record, and of which version.

    Each entry's key and input ``[size, mtime_ns]``: an input added, removed
    or changed (its arrays made again) changes it; a PNG drawn, a status
    flipped, a shard compacted do not. ``stats.npz`` records it, so that the
    data loader tells statistics of an earlier state of OUT.
    """
    import hashlib
    import json

    rows = sorted([str(e.get("key")), e.get("input")] for e in entries)
    return hashlib.sha256(
        json.dumps(rows).encode("utf-8", "surrogateescape")
    ).hexdigest()[:32]


def _latest_settings(entries: Iterable[Entry]) -> object:
    """Return the settings fingerprint of the most recently written output."""
    newest: dict[object, int] = {}
    for entry in entries:
        settings = entry.get("settings")
        for stamp in entry.get("stamps", {}).values():
            if stamp is not None:
                newest[settings] = max(newest.get(settings, -1), stamp[1])
    return max(newest, key=newest.__getitem__, default=None)


#: Why no statistics were computed.
NO_ARRAYS = "no arrays to compute statistics over"


def require_output(out: str | os.PathLike[str], *, api: bool = True) -> None:
    """Check that ``out`` holds a manifest or an array, before locking it.

    A folder that holds neither is no run's OUT (``melcli stats audio/``, SRC
    given for OUT): it fails here, so that its lock file is not left in a
    folder melcli never wrote. What to do is said to a Python caller
    (``melcli.run``), or without ``api`` in the command's words.

    Raises
    ------
    ParameterError
        If ``out`` does not exist or is no folder (a typo: not "no arrays"),
        in the words ``melcli stats`` says it (:func:`check_out_folder`).
    MelcliError
        If ``out`` holds neither, or holds a run's journal but no manifest.
    """
    check_out_folder(out)
    out = path_of(out, param="out")
    _require_finished(out)
    if not holds_manifest(out) and next(_walk_npy(out), None) is None:
        from .hints import not_an_out_hint

        raise MelcliError(f"{NO_ARRAYS}: {not_an_out_hint(out, api=api)}")


def _require_finished(out: str | os.PathLike[str]) -> None:
    """Refuse an OUT whose first run was stopped before writing its manifest.

    Its arrays are only some of its inputs' (or a running run's): statistics
    of them would pass for the dataset's. A folder of arrays with no journal
    (made by hand) is walked, as the docs say.
    """
    if not holds_manifest(out) and (problem := unfinished(out)):
        raise MelcliError(problem)


def _walk_npy(out: Path) -> Iterator[Path]:
    """Yield every ``*.npy`` file below ``out`` that is not hidden nor a link.

    Folders that are symbolic links are not walked either: nothing is read
    from outside OUT.
    """
    for folder, files in walk(out, hidden=False):
        for name in files:
            if name.endswith(".npy") and name[0] != ".":
                path = os.path.join(folder, name)
                with contextlib.suppress(OSError):  # gone meanwhile
                    if stat.S_ISREG(os.lstat(path).st_mode):  # no link, FIFO...
                        yield Path(path)


@interrupts.stops_on_signals
def write_stats(
    out: str | os.PathLike[str],
    *,
    paths: Iterable[str | os.PathLike[str] | Slice] | Selection | None = None,
    dest: str | os.PathLike[str] | None = None,
    files_from: str | os.PathLike[str] | FileList | None = None,
    path_column: str | None = None,
    root: str | os.PathLike[str] | None = None,
) -> DatasetStats:
    """Compute the statistics of an output tree and write ``OUT/stats.npz``.

    Parameters
    ----------
    out : path-like
        The output folder of a run.
    paths : iterable of path-like or Slice, Selection, or None
        The arrays to cover; :func:`arrays_of` ``out`` when omitted. A
        :class:`Selection` (:func:`select_arrays`) also gives their settings,
        written with the statistics (``settings``), as they are when omitted.
    dest : path-like or None
        Where to write; ``OUT/stats.npz`` when omitted (not with
        ``files_from``: some inputs' statistics are not OUT's).
    files_from : path-like, ``"-"``, text stream, FileList or None
        Only the arrays of the inputs this list names, as ``melcli mel
        --files-from`` reads it (a training split: ``melcli stats OUT
        --files-from train.csv --dest train_stats.npz``); see
        :func:`select_listed`.
    path_column, root : str, path-like or None
        How to read ``files_from``, as :func:`melcli.run` takes them.

    Without ``paths``, OUT's lock is held meanwhile, as ``melcli stats``
    holds it: a run writing to OUT makes it raise ``UsageError``.

    Returns
    -------
    DatasetStats
        What was written: ``mean``, ``std``, ``min``, ``max`` [shape=(n_mels,)],
        float64, and ``count``, the number of frames.
    """
    out = path_of(out, param="out")  # not the current folder, nor a number
    check_list_options(files_from, path_column=path_column, root=root)
    if dest is not None:  # refused before the arrays are read
        dest = path_of(dest, param="dest")
    if files_from is not None:
        if paths is not None:
            raise ParameterError(
                "give paths or files_from, not both", param="files_from"
            )
        if dest is None or is_outs_stats(dest, out):
            raise ParameterError(split_needs_dest(out), param="dest")
    listed = read_listed(files_from, path_column=path_column, root=root)
    if paths is None:  # OUT's own arrays: read while no run changes them
        require_output(out)
        with OutputLock(out):
            chosen = (
                select_arrays(out) if listed is None else select_listed(out, listed)
            )
            return _write_stats(out, chosen, dest)
    if isinstance(paths, str | bytes | os.PathLike):  # one array: not its letters
        paths = [os.fsdecode(paths) if isinstance(paths, bytes) else paths]
    elif not isinstance(paths, Selection | Iterable):
        raise ParameterError(
            f"paths must be a list of arrays or a Selection, not "
            f"{type(paths).__name__}",
            param="paths",
        )
    return _write_stats(out, paths, dest)


def is_outs_stats(dest: str | os.PathLike[str], out: str | os.PathLike[str]) -> bool:
    """Whether ``dest`` names ``OUT/stats.npz``, however spelled (``x/..``, a link).

    ``OUT/stats.npz`` is OUT's, untrusted: a link there is not followed (it
    is replaced, not written through, and the loader does not read through
    it). Followed, a link to the user's own ``train_stats.npz`` made that
    file "OUT's statistics", and ``--dest train_stats.npz`` was refused.
    """
    own = os.path.join(os.path.realpath(out), STATS_NAME)
    # Its folder resolved, not its last part: OUT/stats.npz that is a link
    # is still that name (replacing it replaces OUT's file).
    absolute = os.path.abspath(dest)
    named = os.path.join(
        os.path.realpath(os.path.dirname(absolute)), os.path.basename(absolute)
    )
    if own in (named, os.path.realpath(dest)):
        return True
    try:
        if not stat.S_ISREG(os.lstat(own).st_mode):  # a link: not OUT's file
            return False
        return os.path.samefile(dest, own)  # a hard link to it
    except (OSError, ValueError):  # either missing: not the same file
        return False


def split_needs_dest(out: str | os.PathLike[str], *, dest: str = "dest") -> str:
    """Say why a list's statistics need ``dest`` (``--dest`` for the command)."""
    return (
        f"the statistics of the inputs of a list need a file of their own: give "
        f"{dest} (such as train_stats.npz); {Path(out) / STATS_NAME} holds those "
        "of every array of OUT"
    )


#: At most this many inputs without an array are named.
_UNMATCHED_SHOWN = 3


def select_listed(
    out: str | os.PathLike[str], listed: FileList, *, api: bool = True
) -> Selection:
    """Choose the arrays of ``out`` made from the inputs ``listed`` names.

    A training split's list (``train.csv``, the rows of folds 1-4), read as
    ``melcli mel --files-from`` reads it, with the same ``root``: its paths
    are matched with the inputs the manifest records. Listed inputs that
    have no array in OUT (they failed, or were never run into it) are left
    out, said in ``warnings``. What to give instead is said to a Python
    caller (``root='audio'``), or without ``api`` in the command's words
    (``--root audio``).

    Raises
    ------
    MelcliError
        If a row of the list names no file (a missing file, a path outside
        the root: the statistics would not be of the split it lists), or no
        listed input has an array in OUT (the wrong ``root``?).
    """
    out = Path(out)
    from .hints import spelled_option, wrong_root_hint  # here: only for a list

    if hint := wrong_root_hint(listed, api=api):
        raise MelcliError(f"{hint}; no statistics written")
    if listed.problems:
        first = listed.problems[0]
        more = len(listed.problems) - 1
        raise MelcliError(
            f"{first.path}: {first.reason}"
            + (f" (and {plural(more, 'more row')} of {listed.name})" if more else "")
            + f"; no statistics written: they would not be of every input "
            f"{listed.name} lists"
        )
    wanted = {os.path.abspath(f.path): f.path for f in listed.files}
    chosen = select_arrays(out, sources=list(wanted))
    if not chosen.sources:
        wrote = "melcli.run" if api else "'melcli mel'"
        root = spelled_option("root", api=api)
        raise MelcliError(
            f"none of the {plural(len(wanted), 'input')} listed in {listed.name} "
            f"has an array in {out}: give the {'out' if api else 'OUT'} {wrote} "
            f"wrote them into, and the {root} it was given (the paths are taken "
            f"relative to {listed.root})"
        )
    unmatched = [path for full, path in wanted.items() if full not in chosen.sources]
    if unmatched:
        shown = ", ".join(map(os.fsdecode, unmatched[:_UNMATCHED_SHOWN]))
        if len(unmatched) > _UNMATCHED_SHOWN:
            shown += ", ..."
        chosen.warnings.append(
            f"left out {plural(len(unmatched), 'input')} listed in {listed.name} "
            f"that {'has' if len(unmatched) == 1 else 'have'} no array in {out} "
            f"(failed, or not run into it): {shown}"
        )
    return chosen


def other_settings_line(count: int, *, api: bool = True) -> str:
    """Say that the arrays of ``count`` inputs of other settings were left out.

    And what deletes them: ``melcli.run(..., prune=True)``, or without ``api``
    the command's ``--prune``.
    """
    prune = "melcli.run(..., prune=True)" if api else "'melcli mel ... --prune'"
    return (
        f"left out the arrays of {count} input{'s' if count > 1 else ''} made "
        f"with other settings than the latest ones ({prune} deletes them)"
    )


def _write_stats(
    out: Path,
    paths: Iterable[str | os.PathLike[str] | Slice] | Selection,
    dest: str | os.PathLike[str] | None,
) -> DatasetStats:
    with confine(out):  # its arrays read from OUT down, as a run writes them
        return _compute_and_save(out, paths, dest)


def _compute_and_save(
    out: Path,
    paths: Iterable[str | os.PathLike[str] | Slice] | Selection,
    dest: str | os.PathLike[str] | None,
) -> DatasetStats:
    if isinstance(paths, Selection):
        said = paths.warnings[:]
        stats = compute(paths.arrays, recorded=paths.recorded, left_out=paths.warnings)
        stats.settings = paths.settings
        stats.inputs = paths.inputs
        stats.warnings = [
            *said,
            *(
                [other_settings_line(paths.other_settings)]
                if paths.other_settings
                else []
            ),
            *paths.warnings[len(said) :],
        ]
    else:
        stats = compute(paths)
    target = Path(dest) if dest is not None else out / STATS_NAME
    try:
        stats.save(target)
    except OSError as exc:  # a folder in its place, a full disk
        raise MelcliError(f"cannot write {target}: {os_reason(exc)}") from None
    stats.path = target
    return stats


__all__ = [
    "STATS_NAME",
    "ArraySource",
    "DatasetStats",
    "RunningStats",
    "Selection",
    "arrays_of",
    "compute",
    "inputs_digest",
    "select_arrays",
    "select_listed",
    "write_stats",
]

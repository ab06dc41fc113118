r"""``--format webdataset``: samples in tar shards, for millions of inputs.

Each input becomes one *sample* in ``OUT/shard-NNNNNN.tar``: ``KEY.npy`` (the
array, byte for byte what ``--format npy`` writes), ``KEY.json`` (where it
came from and how it was made) and, with ``--png``, ``KEY.png``. With one file
per segment (``segment_layout="files"``) each segment is a sample of its own,
keyed as its ``NAME.000.npy`` would be (``NAME%2E000``); an input's segments
are stored back to back in one shard and recorded in one manifest entry.

How a run uses this module (:func:`melcli.batch.run_plan`):

1. :meth:`SampleStore.stage` points each task's outputs at hidden temporary
   files in OUT (``.stage-N.npy.melcli-tmp``), which the worker writes as it
   would write a ``.npy``.
2. The parent, the only writer of shards, appends a finished task's files to
   the open shard with :meth:`SampleStore.add` and deletes them; at most a
   few staged files exist at a time, and no shard is ever held in memory.
3. When a shard is full (``--shard-size``) or the run ends, it is renamed into
   place and its samples are recorded in the manifest, with the shard and the
   offsets of their members.

Shards are immutable once closed. A rebuilt input goes into a new shard and
the manifest points at the newest copy; the old copy is *superseded*. A shard
nothing points at is deleted at the end of the run; ``--prune`` also rewrites
every shard holding superseded or stale samples, so that afterwards each
input is in the shards exactly once (see docs/webdataset.md).

Keys (:func:`sample_key`) are the output path relative to OUT without its
extension (``dogs/bark1``), with ``%``, ``.``, control characters and bytes
that are not UTF-8 written as ``%XX``, since WebDataset splits a member's
name at the first dot of its basename: ``dogs/bark.v2.wav`` becomes
``dogs/bark%2Ev2``. :func:`key_to_path` reverses it exactly.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import stat
import types
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import unquote_to_bytes

from .. import interrupts, manifest_db, segment
from ..discover import Job, Task
from ..errors import describe_exception, os_reason
from ..manifest import (
    Entry,
    EntryTooLong,
    Manifest,
    file_stamp,
    relative_key,
    versions,
)
from ..outdir import (
    NpyFile,
    OutDir,
    Owned,
    check_not_sparse,
    file_kind,
    npy_header,
    sparse,
)
from ..params import MelParams
from ..report import Result, Status
from ..write import TEMP_SUFFIX, remove_files, remove_temp_files
from . import Recorder, Redo, drawn_with
from .tarshards import (
    BLOCK,
    END_OF_ARCHIVE,
    ClosedShard,
    Data,
    Placement,
    ShardLost,
    ShardWriter,
    Slice,
    list_shards,
    member_header_ok,
    parse_size,
    shard_index,
    shard_name,
)

if TYPE_CHECKING:  # imported where arrays are read: planning never loads numpy
    import numpy as np

FORMAT = "webdataset"
#: ``--shard-size`` when not given: 1 GB, the upper end of what WebDataset
#: suggests (shards of 100 MB to 1 GB read efficiently from object stores).
DEFAULT_SHARD_SIZE = "1GB"
#: How every ``.npy`` file starts.
NPY_MAGIC = b"\x93NUMPY"


# -------------------------------------------------------------------- keys
def sample_key(rel: str) -> str:
    r"""Return the WebDataset key of the output ``rel`` (a path without extension).

    ``%``, ``.``, control characters and undecodable bytes (``\udcXX``) are
    written ``%XX``; a key starting with ``__`` (which WebDataset reserves
    for metadata) gets its first ``_`` escaped too. Everything else, ``/``
    and non-ASCII letters included, is kept.
    """
    out = []
    for ch in rel:
        code = ord(ch)
        if 0xDC80 <= code <= 0xDCFF:  # a byte that is not UTF-8 (surrogateescape)
            out.append(f"%{code - 0xDC00:02X}")
        elif ch in "%." or code < 0x20 or code == 0x7F:
            out.append(f"%{code:02X}")
        else:
            out.append(ch)
    key = "".join(out)
    return "%5F" + key[1:] if key.startswith("__") else key


def key_to_path(key: str) -> str:
    """Return the path :func:`sample_key` made ``key`` from (``str``, fs-decoded)."""
    return os.fsdecode(unquote_to_bytes(key))


def job_key(job: Job, out: Path) -> str:
    """Return the sample key of ``job``: its ``.npy`` path in OUT, escaped."""
    rel = relative_key(job.npy, out)
    return sample_key(rel[: -len(".npy")] if rel.endswith(".npy") else rel)


# ------------------------------------------------------------------ store
class SampleStore:
    """Turns a run's results into samples in tar shards, and keeps them tidy.

    Parameters
    ----------
    manifest : Manifest
        The output folder's manifest (already loaded).
    params : MelParams
        The run's settings (written into each sample's JSON).
    shard_size : int
        The bound on a shard's size in bytes.
    record : callable
        ``record(result, job, fields)`` stores a sample's manifest entry; it
        is called after the sample's shard is in place.
    """

    #: A sample is recorded once its shard is closed (:class:`Writer`).
    records_later = True

    def __init__(
        self,
        manifest: Manifest,
        *,
        params: MelParams,
        shard_size: int,
        record: Recorder,
    ) -> None:
        self.manifest = manifest
        self.out = manifest.out
        self.params = params
        self.record = record
        used = [shard_index(n) for n in list_shards(self.out)]
        entries = manifest.entries  # by their facts: samples are not read whole
        used += [
            shard_index(str((entries.facts(k) or {}).get("shard"))) for k in entries
        ]
        first = max((i for i in used if i is not None), default=-1) + 1
        self.writer = ShardWriter(self.out, max_bytes=shard_size, first_index=first)
        self._segment_files = segment.files_layout(params)
        self.written: set[str] = set()
        self._origin: dict[Path, Job] = {}
        self._next_stage = 0
        self._pending: dict[str, tuple[Result, Job]] = {}
        self._moving: dict[str, str] = {}
        #: Results counted as written whose shard could not be written, and why.
        self.lost: list[tuple[Result, str]] = []
        self.notes: list[str] = []
        self._fingerprint = params.fingerprint()
        self._settings = {
            **params.to_dict(),
            "hop_length": params.effective_hop_length,
            "win_length": params.effective_win_length,
        }

    # ...................................................... during the run
    def stage(self, task: Task) -> Task:
        """Return ``task`` with its outputs redirected to hidden staging files.

        Under names nothing in OUT holds: what is there was not put there by
        this run (a folder planted under a staging name failed every input).
        """
        job = task.job
        while True:
            n = self._next_stage
            self._next_stage += 1
            npy = self.out / f".stage-{n}.npy{TEMP_SUFFIX}"
            if self._segment_files:  # segments .stage-N.000.npy.melcli-tmp, ...
                npy = segment.segment_path(npy, 0)
            png = self.out / f".stage-{n}.png{TEMP_SUFFIX}" if job.png else None
            if not any(p is not None and os.path.lexists(p) for p in (npy, png)):
                break
        staged = job.replace(npy=npy, png=png)
        self._origin[staged.npy] = job
        return dataclasses.replace(task, job=staged, render_only=False)

    def discard(self, staged: Job) -> None:
        """Delete what a task that did not finish left: its staging files.

        With one file per segment, every ``.stage-N.KKK.npy.melcli-tmp`` the
        worker wrote, and their temporary files (a worker killed mid-write).
        """
        paths = list(staged.outputs)
        if self._segment_files:
            stem = segment.unsegmented(staged.npy).name[: -len(f".npy{TEMP_SUFFIX}")]
            with contextlib.suppress(OSError):
                paths.extend(
                    self.out / name
                    for name in os.listdir(self.out)
                    if name.lstrip(".").startswith(stem.lstrip(".") + ".")
                    and name.endswith(TEMP_SUFFIX)
                )
        remove_temp_files(paths, failures=self.notes)
        remove_files(paths, failures=self.notes)

    def original(self, staged: Job) -> Job:
        """Return the job a staged job was made from."""
        return self._origin.get(staged.npy, staged)

    def unsettled(self, staged: Job) -> None:
        """Delete the staging files of a task the run stopped before recording."""
        self.discard(staged)

    def store(self, result: Result, staged: Job) -> Result:
        """Add a written result as a sample (:meth:`add`)."""
        return self.add(result, staged)

    def add(self, result: Result, staged: Job) -> Result:
        """Append the outputs of a finished task as one sample; delete the files.

        Returns ``result`` with the shard as its output, or failed if the
        shard could not be written (the shard keeps its earlier samples).
        Samples of any shard closed meanwhile are recorded.
        """
        job = self.original(staged)
        try:
            samples = self._samples(result, job, staged)
            key = samples[0][0]
            self._check_length(result, job, samples)
            self._recorded(self.writer.add_group(samples))
        except (OSError, EntryTooLong) as exc:
            if isinstance(exc, ShardLost):
                self._lost(exc)
            return dataclasses.replace(
                result,
                status=Status.FAILED,
                reason=str(exc)
                if isinstance(exc, EntryTooLong)
                else (describe_exception(exc)),
                outputs=(),
            )
        finally:
            left: list[str] = []
            remove_files(
                dict.fromkeys((*staged.outputs, *result.outputs)), failures=left
            )
        assert self.writer.open_shard is not None
        done = dataclasses.replace(
            result,
            outputs=(self.writer.open_shard.path,),
            warnings=(*result.warnings, *left),  # its sample is in the shard
        )
        self._pending[key] = (done, job)
        return done

    def close(self) -> None:
        """Close the open shard and record its samples."""
        with interrupts.deferred():
            try:
                self._recorded(self.writer.close())
            except ShardLost as exc:
                self._lost(exc)

    def _lost(self, exc: ShardLost) -> None:
        """Forget the samples of a shard that could not be written.

        Nothing is recorded for them, so the next run builds them again; a
        copy made by :meth:`compact` leaves its entry at its old place. Each
        lost result is kept in :attr:`lost` with the reason.
        """
        for key, _ in exc.shard.samples:
            pending = self._pending.pop(key, None)
            if pending is not None:
                reason = f"cannot write output: {exc.shard.name}: {os_reason(exc)}"
                self.lost.append((pending[0], reason))
            self._moving.pop(key, None)

    def abort(self) -> None:
        """Drop the open shard: its samples are rebuilt by the next run."""
        self.writer.abort()

    def _samples(
        self, result: Result, job: Job, staged: Job
    ) -> list[tuple[str, list[tuple[str, Data]]]]:
        """Return the samples of a finished task: one, or one per segment."""
        if not self._segment_files:
            key = job_key(job, self.out)
            members: list[tuple[str, Data]] = [
                ("npy", staged.npy),
                ("json", self._describe(key, result, job, staged.npy)),
            ]
            if staged.png is not None:
                members.append(("png", staged.png))
            return [(key, members)]
        # The worker wrote .stage-N.000.npy.melcli-tmp, .stage-N.001..., in order.
        base = segment.unsegmented(job.npy)
        samples: list[tuple[str, list[tuple[str, Data]]]] = []
        for k, npy in enumerate(result.outputs):
            where = {"segment": k, "start": result.segments[k]}
            key = job_key(job.replace(npy=segment.segment_path(base, k)), self.out)
            meta = self._describe(key, result, job, npy, **where)
            samples.append((key, [("npy", npy), ("json", meta)]))
        return samples

    def _check_length(
        self,
        result: Result,
        job: Job,
        samples: list[tuple[str, list[tuple[str, Data]]]],
    ) -> None:
        """Raise :class:`EntryTooLong` before a sample whose entry cannot be recorded.

        Recorded once its shard is closed, it was refused then, its bytes
        left dead in the shard: a ``KEY.json`` of a 16 MiB table row each
        (each segment's). Its entry is made with the widest numbers its
        place can take, only when it may be that long (its row and keys,
        escaped at most 12 characters each, with 1 MiB for the rest): the
        usual sample costs a sum.
        """
        meta = job.meta
        row = sum(len(k) + len(v) for k, v in meta)
        keys = sum(len(key) for key, _ in samples)
        if (
            12 * (row + 3 * keys) + 256 * len(samples) + (1 << 20)
            < manifest_db.MAX_RECORDED
        ):
            return
        big = 10**15  # as wide as an offset or a size in a shard can be
        placed = {key: {suffix: [big, big] for suffix, _ in m} for key, m in samples}
        first = samples[0][0]
        placement = Placement(
            shard="",
            start=big,
            end=big,
            members=placed[first],
            group=placed if len(samples) > 1 else {},
        )
        shard = cast(ClosedShard, types.SimpleNamespace(name=shard_name(big)))
        fields = sample_fields(first, placement, shard, [big, big * 10**4])
        self.record(result, job, fields, check=True)

    def _describe(
        self, key: str, result: Result, job: Job, npy: Path, **extra: object
    ) -> bytes:
        """Return ``KEY.json``: what the array is and how it was made.

        With segments, also their start times (``segments``, of a stack) or
        this segment's index and start (``segment``, ``start``), in seconds.
        """
        # Its header only, from the file the worker staged (a link put in its
        # place meanwhile is not followed, a FIFO not waited on).
        shape, dtype = _staged_header(npy)
        effective = {**self._settings, "fmax": self.params.effective_fmax(result.sr)}
        meta = {
            "key": key,
            "source": job.rel,
            "sr": result.sr,
            "samplerate": result.samplerate,
            "channels": result.channels,
            "duration": round(result.duration, 6),
            "shape": list(shape),
            "dtype": str(dtype),
            "settings": self._fingerprint,
            "params": effective,
            **({"meta": dict(job.meta)} if job.meta else {}),
            **versions(),
            **extra,
        }
        if result.segments and not extra:
            meta["segments"] = list(result.segments)
        return json.dumps(meta, ensure_ascii=True, sort_keys=True).encode("ascii")

    def _recorded(self, closed: Iterable[ClosedShard]) -> None:
        for shard in closed:
            self.written.add(shard.name)
            stamp = file_stamp(shard.path)
            for key, placement in shard.samples:
                pending = self._pending.pop(key, None)
                if pending is not None:
                    result, job = pending
                    self._replace(relative_key(job.npy, self.out))
                    fields = sample_fields(key, placement, shard, stamp)
                    try:
                        self.record(result, job, fields)
                    except EntryTooLong as exc:  # its bytes are dead in the shard
                        self.lost.append((result, str(exc)))
                else:  # a sample copied by compact(): same entry, new place
                    self._moved(key, placement, shard, stamp)
            # The shard is in place: its records must not wait for the batch.
            self.manifest.journal_now()

    def _replace(self, mkey: str) -> None:
        """Delete the files of an entry written as ``.npy`` before (a format change)."""
        previous = self.manifest.entries.get(mkey, {})
        if previous.get("format", "npy") != FORMAT:
            outdir = self.manifest.outdir
            own = self.manifest.own_outputs(mkey, previous)
            outdir.remove_emptied_folders(outdir.remove(own))

    # ...................................................... after the run
    def compact(self) -> None:
        """Copy the live samples of every shard that holds dead ones into new shards.

        A sample is live when the manifest points at it; superseded copies and
        pruned inputs are dead. The old shards are left to
        :func:`remove_unreferenced`, once nothing points at them.
        """
        self.close()
        for name, mkeys in sorted(samples_by_shard(self.manifest).items()):
            if dead_bytes(self.out, name, mkeys, self.manifest):
                self._copy_samples(name, mkeys)
        self.close()

    def _copy_samples(self, name: str, mkeys: list[str]) -> None:
        path = self.out / name
        size = (self.manifest.outdir.stamp(name) or [0])[0]
        for mkey in mkeys:
            entry = self.manifest.entries[mkey]
            if entry["span"][1] > size:  # not in this shard: rebuilt next run
                self.manifest.forget(mkey)
                continue
            if self._sparse(path, entry["span"]):  # crafted: not copied either
                self.manifest.forget(mkey)
                self.notes.append(
                    f"{path}: the sample of {mkey} lies in a sparse part (with "
                    "holes): not copied (melcli writes every byte of its shards); "
                    "its input is rebuilt on the next run"
                )
                continue
            group: list[tuple[str, list[tuple[str, Data]]]] = [
                (
                    key,
                    [
                        (suffix, Slice(path, offset, size))
                        for suffix, (offset, size) in members.items()
                    ],
                )
                for key, members in entry_samples(entry).items()
            ]
            # Placed under the group's first key (a crafted entry's "sample"
            # need not be among its "samples").
            self._moving[group[0][0]] = mkey
            with interrupts.deferred():
                try:
                    self._recorded(self.writer.add_group(group))
                except OSError as exc:  # a full disk: the old shard stays
                    self._moving.pop(group[0][0], None)
                    if isinstance(exc, ShardLost):
                        self._lost(exc)
                    return

    @staticmethod
    def _sparse(path: Path, span: list[int]) -> bool:
        """Whether a large sample's bytes, ``span`` of the shard ``path``, hold a hole.

        Copied whole, a crafted one would write gigabytes of zeros into OUT.
        """
        start, end = span
        try:
            fd = interrupts.os_open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        except OSError:
            return False  # said when it is copied
        try:
            return sparse(fd, start, end - start)
        finally:
            os.close(fd)

    def _moved(
        self,
        key: str,
        placement: Placement,
        shard: ClosedShard,
        stamp: list[int] | None,
    ) -> None:
        mkey = self._moving.pop(key)
        entry = dict(self.manifest.entries[mkey])
        entry.pop("samples", None)
        fields = sample_fields(key, placement, shard, stamp)
        # Too long now (more digits in its offsets): left at its old place.
        with contextlib.suppress(EntryTooLong):
            self.manifest.record({**entry, **fields})


def sample_fields(
    key: str, placement: Placement, shard: ClosedShard, stamp: list[int] | None
) -> dict[str, Any]:
    """Return a sample's manifest fields: its shard, key and members' offsets.

    For a group (the segments of one input, one sample each), ``sample`` and
    ``members`` are the first sample's, ``samples`` maps every key to its
    members, and ``span`` covers them all.
    """
    return {
        "format": FORMAT,
        "npy": None,
        "png": None,
        "shard": shard.name,
        "sample": key,
        "members": placement.members,
        **({"samples": placement.group} if placement.group else {}),
        "span": [placement.start, placement.end],
        "stamps": {shard.name: stamp},
    }


# ----------------------------------------------------- manifest queries
def is_sample(entry: Entry) -> bool:
    """Return whether ``entry`` describes a sample in a shard."""
    return entry.get("format") == FORMAT and bool(entry.get("shard"))


def entry_samples(entry: Entry) -> dict[str, dict[str, list[int]]]:
    """Return ``{key: {suffix: [offset, size]}}`` of every sample of ``entry``.

    One sample per input, or (one file per segment) one per segment.
    """
    group: dict[str, dict[str, list[int]]] | None = entry.get("samples")
    return group or {str(entry["sample"]): entry["members"]}


def npy_members(manifest: Manifest, mkey: str) -> list[Slice]:
    """Return where the arrays of the entry ``mkey`` are: ``.npy`` members."""
    entry = manifest.entries[mkey]
    shard = manifest.out / str(entry["shard"])
    return [
        Slice(shard, members["npy"][0], members["npy"][1], name=f"{key}.npy")
        for key, members in entry_samples(entry).items()
        if "npy" in members
    ]


def _staged_header(npy: Path) -> tuple[tuple[int, ...], np.dtype[Any]]:
    """Return the shape and dtype the ``.npy`` file ``npy`` a worker staged holds.

    Raises
    ------
    OSError
        If it is not a regular file (a link is not followed), or not ``.npy``.
    """
    fd = interrupts.os_open(
        npy, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
    )
    with os.fdopen(fd, "rb") as f:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise OSError(f"{npy}: not a regular file ({file_kind(st.st_mode)})")
        try:
            shape, _, dtype, _ = npy_header(f)
        except ValueError as exc:
            raise OSError(f"{npy}: {exc}") from None
    return shape, dtype


def read_npy(member: Slice) -> np.ndarray:
    """Read the ``.npy`` file stored as ``member`` of a shard, whole.

    Read, never memory-mapped: a shard cut short by another program while
    it is read gives :class:`melcli.outdir.CutShort`, not a crash (see
    :class:`melcli.outdir.NpyFile`).

    Raises
    ------
    OSError, ValueError
        As :func:`open_npy`.
    """
    with open_npy(member) as array:
        return array.read()


def open_npy(member: Slice) -> NpyFile:
    """Open the ``.npy`` file stored as ``member`` of a shard, to read in parts.

    The npy header is parsed at the member's offset and checked against the
    member's size; nothing of the array is read yet
    (:meth:`melcli.outdir.NpyFile.part` reads a part of it).

    Raises
    ------
    ValueError
        If the member is not an ``.npy`` file, holds Python objects, its
        size disagrees with its header, or it is large and holds a hole
        (:func:`melcli.outdir.check_not_sparse`).
    OSError
        If the shard is not a regular file, or cannot be read.
    """
    # The shard is OUT's: a FIFO, device or link in its place is refused, not
    # waited on nor followed; a member past its end (a cut shard) is refused.
    owned = Owned()  # before the open: the descriptor is never without an owner
    owned.held[0] = interrupts.os_open(
        member.path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK
    )
    try:
        fd = owned.fd
        # Read through the descriptor itself, not a copy (os.dup's was lost
        # to a signal as dup returned).
        with os.fdopen(fd, "rb", closefd=False) as f:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):
                raise OSError(f"not a regular file ({file_kind(st.st_mode)})")
            if member.offset + member.size > st.st_size:
                raise ValueError(
                    f"the shard ends at byte {st.st_size}, before the member's end "
                    f"(byte {member.offset + member.size}): cut short?"
                )
            f.seek(member.offset)
            shape, fortran, dtype, nbytes = npy_header(f)
            data = f.tell()
            if data - member.offset + nbytes != member.size:
                raise ValueError(
                    f"member of {member.size} bytes does not hold a {shape} {dtype} "
                    "array"
                )
            check_not_sparse(fd, nbytes, data)
        # The file checked, not whatever its name leads to by now (a shard
        # swapped for a link meanwhile would be followed out of OUT).
        return NpyFile(owned, shape=shape, fortran=fortran, dtype=dtype, at=data)
    except BaseException:
        owned.close()
        raise


def sample_intact(manifest: Manifest, mkey: str) -> bool:
    """Return whether the shard holds the samples of ``mkey`` where recorded.

    A shard whose size and modification time are as recorded is taken to be
    the one written (as ``make`` takes a file), but a file of that size and
    time can still have other bytes: a shard copied over from another OUT, or
    one zeroed or damaged in place. Each member's tar header is checked where
    the manifest puts it (a file of the right name and size), and each array
    starts as an ``.npy`` does: a read of a block per member, from a file
    the run has just ``stat``-ed (about 9 us a sample, a tenth of a no-op
    re-run's time). A change inside an array's bytes is not seen (that
    would mean reading every shard on every run).
    """
    entry = manifest.entries.facts(mkey)  # not read whole: held by its facts
    if entry is None:
        return False
    path = os.path.join(manifest.out, entry["shard"])  # a string: no Path per sample
    try:
        fd = interrupts.os_open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return False
    try:
        for key, members in entry_samples(entry).items():
            for suffix, (offset, size) in members.items():
                if offset < BLOCK:
                    return False
                peek = len(NPY_MAGIC) if suffix == "npy" and size else 0
                block = os.pread(fd, BLOCK + peek, offset - BLOCK)
                if not member_header_ok(block[:BLOCK], f"{key}.{suffix}", size):
                    return False
                if block[BLOCK:] != NPY_MAGIC[:peek]:
                    return False
    except OSError:
        return False
    finally:
        os.close(fd)
    return True


def samples_by_shard(manifest: Manifest) -> dict[str, list[str]]:
    """Return the manifest keys of the samples each shard holds (live ones)."""
    entries = manifest.entries  # by their facts: samples are not read whole
    placed: dict[str, list[tuple[int, str]]] = {}
    for mkey in entries:
        entry = entries.facts(mkey)
        if entry is not None and is_sample(entry):
            placed.setdefault(entry["shard"], []).append((entry["span"][0], mkey))
    return {name: [k for _, k in sorted(keys)] for name, keys in placed.items()}


def dead_bytes(out: Path, name: str, mkeys: list[str], manifest: Manifest) -> int:
    """Return how many bytes of shard ``name`` hold samples nothing points at.

    Samples are stored back to back and a shard ends with two zero blocks,
    so the dead bytes are what the live samples' spans do not cover.
    """
    stamp = manifest.outdir.stamp(name)  # a regular file in OUT, or no shard
    if stamp is None:
        return 0
    size = stamp[0]
    spans = [(manifest.entries.facts(k) or {}).get("span") or [0, 0] for k in mkeys]
    live = sum(int(end) - int(start) for start, end in spans)
    return max(0, size - END_OF_ARCHIVE - live)


def sample_path(manifest: Manifest, mkey: str) -> Path:
    """Return how to show the sample of ``mkey``: ``OUT/shard-000003.tar/KEY.npy``."""
    entry = manifest.entries[mkey]
    return manifest.out / str(entry["shard"]) / f"{entry['sample']}.npy"


def forget_sample(manifest: Manifest, mkey: str) -> list[Path]:
    """Forget a sample whose input is gone (``--prune``); return how to show it.

    The bytes stay in the shard until :meth:`SampleStore.compact` rewrites it.
    """
    shown = sample_path(manifest, mkey)
    manifest.forget(mkey)
    return [shown]


def holds_samples(manifest: Manifest) -> bool:
    """Return whether any entry of ``manifest`` is a sample in a shard."""
    return any(is_sample(e) for e in manifest.entries.values())


def plan_cleanup(
    manifest: Manifest, *, rebuilt: Iterable[str], gone: Iterable[str], prune: bool
) -> list[str]:
    """Say which shards a run would delete or rewrite (for ``--dry-run``).

    ``rebuilt`` are the manifest keys the run would rebuild (their copies in
    shards become superseded), ``gone`` those whose input is gone.
    """
    dead = set(rebuilt) | (set(gone) if prune else set())
    by_shard = samples_by_shard(manifest)
    lines = []
    for name in list_shards(manifest.out):
        mkeys = by_shard.get(name, [])
        live = [k for k in mkeys if k not in dead]
        if not live:
            lines.append(f"would delete {name}: it holds no current sample")
        elif prune and (
            len(live) < len(mkeys) or dead_bytes(manifest.out, name, mkeys, manifest)
        ):
            lines.append(
                f"would rewrite {name}: it holds superseded or stale samples "
                f"({len(live)} to keep)"
            )
    return lines


def remove_unreferenced(out: Path, manifest: Manifest) -> list[Path]:
    """Delete the shards in ``out`` that no manifest entry points at.

    Every ``shard-NNNNNN.tar`` directly in OUT is melcli's: one that holds no
    current sample (all superseded, pruned, or left by a killed run before
    its samples were recorded) is deleted.
    """
    live = set(samples_by_shard(manifest))
    return manifest.outdir.remove(n for n in list_shards(out) if n not in live)


class WebDatasetStorage:
    """Samples in tar shards (:class:`~melcli.storage.Storage`).

    ``shard_size`` bounds a shard's size in bytes (0: :data:`DEFAULT_SHARD_SIZE`).
    """

    name = FORMAT

    def __init__(self, *, shard_size: int = 0) -> None:
        self.shard_size = shard_size or parse_size(DEFAULT_SHARD_SIZE)

    def holds(self, entry: Entry) -> bool:
        """Return whether ``entry`` is a sample in a shard."""
        return is_sample(entry)

    def redo(
        self, manifest: Manifest, key: str, job: Job, *, drawn_as: str
    ) -> Redo | None:
        """Say why a sample must be written anew: its PNG or its table row changed.

        A shard is immutable: a sample gains or changes its PNG, or the table
        row of a ``--files-from`` input (in its ``KEY.json``), by being rewritten.
        """
        entry = manifest.entries.facts(key) or {}
        if (entry.get("meta") or {}) != dict(job.meta):
            return "meta changed", False
        if job.png_name is not None and "png" not in entry.get("members", {}):
            return "PNG missing", False
        if job.png_name is not None and drawn_with(entry) != drawn_as:
            return "PNG style changed", False
        if not sample_intact(manifest, key):
            return "output missing or changed", False
        return None

    def folder_problem(self, job: Job, outdir: OutDir) -> str | None:
        """Return None: samples go into shards at OUT's top."""
        return None

    def writer(
        self, manifest: Manifest, *, params: MelParams, record: Recorder
    ) -> SampleStore:
        """Return the run's shard writer."""
        return SampleStore(
            manifest, params=params, shard_size=self.shard_size, record=record
        )

    def shown(self, manifest: Manifest, key: str) -> Path:
        """Return ``OUT/shard-NNNNNN.tar/KEY.npy``."""
        return sample_path(manifest, key)

    def forget(self, manifest: Manifest, key: str) -> list[Path]:
        """Forget a sample (:func:`forget_sample`)."""
        return forget_sample(manifest, key)

    def forgotten(self, manifest: Manifest, key: str) -> list[Path]:
        """Return how :meth:`forget` would show the sample (its bytes go later)."""
        return [sample_path(manifest, key)]

    def remove_replaced(
        self, manifest: Manifest, entry: Entry, keep: Callable[[str], bool]
    ) -> None:
        """Do nothing: a superseded sample's shard goes when nothing points at it."""

    def tidy(self, manifest: Manifest) -> None:
        """Delete the shards nothing points at (:func:`remove_unreferenced`)."""
        remove_unreferenced(manifest.out, manifest)

    def plan_tidy(
        self,
        manifest: Manifest,
        *,
        rebuilt: Iterable[str],
        gone: Iterable[str],
        prune: bool,
    ) -> list[str]:
        """Say which shards a run would delete or rewrite (:func:`plan_cleanup`)."""
        return plan_cleanup(manifest, rebuilt=rebuilt, gone=gone, prune=prune)


STORAGE = WebDatasetStorage

__all__ = [
    "DEFAULT_SHARD_SIZE",
    "FORMAT",
    "STORAGE",
    "SampleStore",
    "WebDatasetStorage",
    "dead_bytes",
    "entry_samples",
    "forget_sample",
    "holds_samples",
    "job_key",
    "key_to_path",
    "npy_members",
    "open_npy",
    "plan_cleanup",
    "read_npy",
    "remove_unreferenced",
    "sample_fields",
    "sample_intact",
    "sample_key",
    "sample_path",
    "samples_by_shard",
]

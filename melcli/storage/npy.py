"""``--format npy``: one ``.npy`` (and ``.png``) per input, mirroring SRC.

Workers write each output in place, atomically (:mod:`melcli.write`): the
run has nothing to stage, close or compact, and records each result as it
comes. An output replaced by a rebuild, or pruned, is a file to delete.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from .. import segment
from ..discover import Job, Task
from ..manifest import Entry, Manifest, relative_key
from ..outdir import OutDir
from ..params import MelParams
from ..report import Result
from ..write import remove_temp_files
from . import Recorder, Redo, drawn_with, nothing_for_plain

FORMAT = "npy"


class FileWriter:
    """Results written in place by the workers: nothing to move."""

    records_later = False

    def __init__(self, manifest: Manifest, *, params: MelParams) -> None:
        self.manifest = manifest
        self.params = params
        self.lost: list[tuple[Result, str]] = []  # a file in place stays
        self.notes: list[str] = []

    def stage(self, task: Task) -> Task:
        """Return ``task``: its worker writes its outputs where they belong."""
        return task

    def store(self, result: Result, staged: Job) -> Result:
        """Return ``result``: its files are in place already."""
        return result

    def original(self, staged: Job) -> Job:
        """Return ``staged``, which is the job itself."""
        return staged

    def discard(self, staged: Job) -> None:
        """Do nothing: a worker that failed a file removed what it wrote."""

    def unsettled(self, staged: Job) -> None:
        """Delete the outputs of ``staged`` that differ from what the manifest has.

        Kept are only the files the manifest records as they are (a PNG-only
        task's array).
        """
        manifest = self.manifest
        outputs = [
            *staged.outputs,
            *segment.more_segments(staged.npy, params=self.params),
        ]
        remove_temp_files(outputs, failures=self.notes)
        previous = manifest.entries.get(relative_key(staged.npy, manifest.out))
        recorded = previous.get("stamps") if isinstance(previous, dict) else None
        if not isinstance(recorded, dict):
            recorded = {}
        names = [relative_key(p, manifest.out) for p in outputs]
        manifest.outdir.remove(
            n for n in names if recorded.get(n) != manifest.outdir.stamp(n)
        )

    def compact(self) -> None:
        """Do nothing: pruned files were deleted as they were pruned."""

    def close(self) -> None:
        """Do nothing: every result was recorded as it came."""

    def abort(self) -> None:
        """Do nothing: there is nothing held back."""


class NpyStorage:
    """One ``.npy`` per input (:class:`~melcli.storage.Storage`)."""

    name = FORMAT

    def __init__(self, *, shard_size: int = 0) -> None:
        del shard_size  # files have no shards

    def holds(self, entry: Entry) -> bool:
        """Return whether ``entry``'s outputs are files (not samples)."""
        return bool(entry.get("format", FORMAT) == FORMAT)

    @nothing_for_plain
    def redo(
        self, manifest: Manifest, key: str, job: Job, *, drawn_as: str
    ) -> Redo | None:
        """Draw the PNG again when it is missing or changed, or of another style."""
        if job.png_name is None:
            return None
        if not manifest.png_up_to_date(key, relative_key(job.png_name, manifest.out)):
            return "PNG missing", True
        if drawn_with(manifest.entries.facts(key) or {}) != drawn_as:
            return "PNG style changed", True
        return None

    def folder_problem(self, job: Job, outdir: OutDir) -> str | None:
        """Say which folder of ``job``'s outputs leads outside OUT, if one does."""
        for output in job.output_names:
            folder = relative_key(output, outdir.out).rpartition("/")[0]
            problem = outdir.folder_problem(folder)
            if problem is not None:
                return problem
        return None

    def writer(
        self, manifest: Manifest, *, params: MelParams, record: Recorder
    ) -> FileWriter:
        """Return the writer of a run: the workers write in place."""
        return FileWriter(manifest, params=params)

    def shown(self, manifest: Manifest, key: str) -> Path:
        """Return the output file of ``key``."""
        return manifest.out / key

    def forget(self, manifest: Manifest, key: str) -> list[Path]:
        """Delete the outputs of ``key`` and forget it; return them.

        And the folders that leaves empty, in a run that is OUT's only
        writer (not a ``--shard`` run: another shard may be about to write
        into such a folder). The run prunes before any of its own work.
        """
        removed = manifest.prune(key)
        if manifest.store_path is not None:  # the whole manifest: not a shard's
            manifest.outdir.remove_emptied_folders(removed)
        return removed

    def forgotten(self, manifest: Manifest, key: str) -> list[Path]:
        """Return the files :meth:`forget` would delete: those inside OUT."""
        return manifest.outdir.removable(
            manifest.own_outputs(key, manifest.entries[key])
        )

    def remove_replaced(
        self, manifest: Manifest, entry: Entry, keep: Callable[[str], bool]
    ) -> None:
        """Delete the files of ``entry`` that ``keep`` does not keep."""
        key = entry.get("key")
        own = manifest.own_outputs(key, entry) if isinstance(key, str) else []
        manifest.outdir.remove(n for n in own if not keep(n))

    def tidy(self, manifest: Manifest) -> None:
        """Do nothing: every file is deleted when its entry goes."""

    def plan_tidy(
        self,
        manifest: Manifest,
        *,
        rebuilt: Iterable[str],
        gone: Iterable[str],
        prune: bool,
    ) -> list[str]:
        """Return nothing: :meth:`tidy` deletes nothing."""
        return []


STORAGE = NpyStorage

__all__ = ["FORMAT", "STORAGE", "FileWriter", "NpyStorage"]

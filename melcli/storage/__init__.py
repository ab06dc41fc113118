"""Output storage formats, behind one small protocol.

``npy`` (the default) writes one ``.npy`` per input into a tree mirroring the
input (:mod:`melcli.storage.npy`). ``webdataset`` packs the same arrays into
size-bounded tar shards (:mod:`melcli.storage.webdataset`, on top of
:mod:`melcli.storage.tarshards`).

A format is a :class:`Storage`: what an input whose array is up to date
still needs (its PNG, its table row), where a run's results go (its
:class:`Writer`), how a rebuilt or pruned input's earlier outputs go away, how
an output is shown, and what a run leaves to tidy. The run
(:func:`melcli.batch.run_plan`) and the engine (:mod:`melcli.session`) only
call these; a third format is a new module and one line of :data:`_FORMATS`.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from ..errors import ParameterError, one_of

if TYPE_CHECKING:
    from ..discover import Job, Task
    from ..manifest import Entry, Manifest
    from ..outdir import OutDir
    from ..params import MelParams
    from ..report import Result


class Recorder(Protocol):
    """Called with a stored result once it may be recorded in the manifest.

    The result, the job, and the manifest fields the format adds (none for
    npy). With ``check``, nothing is recorded: it only raises, as recording
    would, :class:`melcli.manifest.EntryTooLong` for an entry too long to
    record (asked before a sample's bytes go into a shard).
    """

    def __call__(
        self, result: Result, job: Job, fields: dict[str, Any], *, check: bool = False
    ) -> None:
        """Record ``result`` with ``fields`` (with ``check``: only raise)."""


#: What an input whose array is up to date still needs: why, and whether
#: drawing its PNG is all (else it is built again).
Redo = tuple[str, bool]

#: The modules of the formats, by ``--format`` value, the default first; each
#: defines ``STORAGE``, which takes ``shard_size`` and returns its
#: :class:`Storage`.
_FORMATS = {
    "npy": "melcli.storage.npy",
    "webdataset": "melcli.storage.webdataset",
}

#: The values of ``--format``.
FORMATS = tuple(_FORMATS)


class Writer(Protocol):
    """Where one run's results go, made by :meth:`Storage.writer`.

    Attributes
    ----------
    records_later : bool
        Whether a stored result is recorded in the manifest later, through
        the writer's :data:`Recorder` (a sample, once its shard is closed),
        rather than by the run as soon as it is stored.
    lost : list of (Result, str)
        Results :meth:`store` returned as kept whose output was lost after
        (a shard that could not be written), each with the reason.
    notes : list of str
        Warnings about the run (a sample not copied from a crafted shard).
    """

    records_later: bool
    lost: list[tuple[Result, str]]
    notes: list[str]

    def stage(self, task: Task) -> Task:
        """Return ``task`` with its outputs where the worker should write them."""
        ...

    def store(self, result: Result, staged: Job) -> Result:
        """Keep a written result; return it (failed if it could not be kept)."""
        ...

    def original(self, staged: Job) -> Job:
        """Return the job a staged job was made from."""
        ...

    def discard(self, staged: Job) -> None:
        """Delete what a task whose result is not kept left behind."""
        ...

    def unsettled(self, staged: Job) -> None:
        """Delete what a task the run stopped before recording may have written."""
        ...

    def compact(self) -> None:
        """``--prune``: leave no superseded copy behind (rewrite what holds one)."""
        ...

    def close(self) -> None:
        """Put the last results in place and record them."""
        ...

    def abort(self) -> None:
        """Drop what is not in place yet (the next run rebuilds it)."""
        ...


_Redo = TypeVar("_Redo", bound=Callable[..., Any])


def nothing_for_plain(redo: _Redo) -> _Redo:
    """Mark a format's :meth:`Storage.redo` as wanting nothing of a plain job.

    A job with no PNG and no table row (the usual input of a re-run):
    :func:`melcli.batch.decide` then does not ask ``redo`` about such an
    input whose array is up to date, a call less per input. A subclass that
    overrides ``redo`` is asked again, unless it marks its own.
    """
    redo.nothing_for_plain = True  # type: ignore[attr-defined]
    return redo


def wants_nothing_for_plain(storage: Storage) -> bool:
    """Return whether ``storage``'s ``redo`` is marked :func:`nothing_for_plain`."""
    return getattr(storage.redo, "nothing_for_plain", False) is True


class Storage(Protocol):
    """One storage format: a run's writer, and what it does with the outputs.

    Attributes
    ----------
    name : str
        The ``--format`` value (what the manifest's entries record).
    """

    name: str

    def holds(self, entry: Entry) -> bool:
        """Return whether a manifest entry's outputs are in this format."""
        ...

    def redo(
        self, manifest: Manifest, key: str, job: Job, *, drawn_as: str
    ) -> Redo | None:
        """Say what the input of ``job`` still needs, its array being up to date.

        ``key`` is its manifest entry's; ``drawn_as`` the run's
        :meth:`~melcli.params.RenderParams.fingerprint`. None: nothing, the
        input is up to date. Decided on the entry's facts
        (:meth:`melcli.manifest.Entries.facts`), so that a re-run reads no
        whole entry.
        """
        ...

    def folder_problem(self, job: Job, outdir: OutDir) -> str | None:
        """Say why ``job``'s outputs cannot be written into OUT, or None.

        Such as a folder on their way that is a symbolic link leading out.
        """
        ...

    def writer(
        self, manifest: Manifest, *, params: MelParams, record: Recorder
    ) -> Writer:
        """Return the writer of a run into ``manifest``'s OUT."""
        ...

    def shown(self, manifest: Manifest, key: str) -> Path:
        """Return how to show the output of the entry ``key`` (a path)."""
        ...

    def forget(self, manifest: Manifest, key: str) -> list[Path]:
        """Forget the entry ``key`` (``--prune``); return how to show its outputs."""
        ...

    def forgotten(self, manifest: Manifest, key: str) -> list[Path]:
        """Return what :meth:`forget` would, doing nothing (``--dry-run --prune``)."""
        ...

    def remove_replaced(
        self, manifest: Manifest, entry: Entry, keep: Callable[[str], bool]
    ) -> None:
        """Delete the outputs of ``entry`` that a rebuilt input replaces.

        ``keep(name)`` says which files (relative to OUT) stay: those another
        job of the run writes, and the rebuilt input's own new ones.
        """
        ...

    def tidy(self, manifest: Manifest) -> None:
        """At the end of a run, delete what nothing in the manifest points at."""
        ...

    def plan_tidy(
        self,
        manifest: Manifest,
        *,
        rebuilt: Iterable[str],
        gone: Iterable[str],
        prune: bool,
    ) -> list[str]:
        """Say what :meth:`tidy` would delete or rewrite (``--dry-run``)."""
        ...


@functools.cache
def storage_for(name: str, *, shard_size: int = 0) -> Storage:
    """Return the storage format ``name`` (``npy``, ``webdataset``).

    ``shard_size`` bounds a tar shard's size in bytes (``webdataset``; 0: the
    default).

    Raises
    ------
    ParameterError
        If there is no such format.
    """
    if name not in _FORMATS:
        raise ParameterError(
            one_of("storage_format", name, FORMATS), param="storage_format"
        )
    module = importlib.import_module(_FORMATS[name])
    storage: Storage = module.STORAGE(shard_size=shard_size)
    return storage


def drawn_with(entry: Entry) -> object:
    """Return the render fingerprint a manifest entry's PNG was drawn with.

    Entries from before ``--png-style`` existed were drawn as the default figure.
    """
    from ..params import RenderParams

    return entry.get("render") or RenderParams().fingerprint()


def storage_of(entry: Entry) -> Storage:
    """Return the storage format a manifest entry's outputs are in (else npy)."""
    return _storage_of(entry, [storage_for(name) for name in FORMATS])


def _storage_of(entry: Entry, storages: list[Storage]) -> Storage:
    for storage in storages[1:]:
        if storage.holds(entry):
            return storage
    return storages[0]


def storages_in(manifest: Manifest) -> list[Storage]:
    """Return the storage formats of the outputs ``manifest`` records."""
    storages = [storage_for(name) for name in FORMATS]
    found: dict[str, Storage] = {}
    for entry in manifest.entries.kinds():  # no entry is read whole
        storage = _storage_of(entry, storages)
        found.setdefault(storage.name, storage)
        if len(found) == len(storages):
            break
    return list(found.values())


def __getattr__(name: str) -> Any:
    # A format's module the docs name after a plain ``import melcli``.
    from .._lazy import submodule

    return submodule(__name__, name)


__all__ = [
    "FORMATS",
    "Recorder",
    "Redo",
    "Storage",
    "Writer",
    "drawn_with",
    "nothing_for_plain",
    "storage_for",
    "storage_of",
    "storages_in",
    "wants_nothing_for_plain",
]

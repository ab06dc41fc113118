"""Read an output folder in a training loop: :class:`SpectrogramDataset`.

A map-style dataset over the arrays of a ``melcli mel`` run, read through its
``manifest.jsonl``: ``.npy`` files, or the ``.npy`` members of the tar shards
of ``--format webdataset`` (read at the offsets the manifest records; read,
never memory-mapped: see :class:`melcli.outdir.NpyFile`). It needs only
numpy, and is a PyTorch ``Dataset`` as it is (it has ``__len__`` and
``__getitem__``)::

    from torch.utils.data import DataLoader
    from melcli.data import SpectrogramDataset

    ds = SpectrogramDataset("features/", label_column="category", frames=216)
    for x, info in DataLoader(ds, batch_size=32, shuffle=True):
        ...  # x: (32, n_mels, 216); info["label"]: (32,)

OUT is not trusted: only entries whose outputs lie inside OUT are used, and a
manifest naming a path outside it is rejected when the dataset is made.
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import os
import stat
import weakref
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from . import interrupts
from .errors import (
    MelcliError,
    ParameterError,
    did_you_mean,
    one_of,
    os_reason,
    shell_command,
)
from .inputs import path_of
from .labels import default_label
from .manifest import (
    MANIFEST_NAME,
    Manifest,
    holds_manifest,
    read_only_problem,
    unfinished,
)
from .outdir import (
    NpyFile,
    Owned,
    Recorded,
    check_recorded,
    file_kind,
    npy_header,
    open_npy_at,
    recorded_array,
    safe_name,
    with_remedy,
)
from .stats import STATS_NAME, inputs_digest
from .storage import webdataset
from .storage.tarshards import Slice
from .write import LeadsOutside, open_folder

#: How a longer array is cut to ``frames`` (``crop=``).
CROPS = ("start", "center", "random")


@dataclass(frozen=True)
class Item:
    """One array of the dataset and what is known about it."""

    #: The ``.npy`` file, or the member of a shard.
    array: Path | Slice
    #: The array's path relative to OUT (a shard member: as its ``.npy`` would be).
    path: str
    #: The input's path relative to its SRC folder or list root.
    source: str
    meta: dict[str, str]
    label_name: str
    #: The shape and dtype its manifest entry records, when it records them
    #: (one array per input): an array changed in place since is refused.
    recorded: Recorded | None = None
    #: The settings fingerprint its entry records (``melcli.stats.compute``
    #: of items writes it with the statistics).
    settings: str | None = None
    #: OUT, absolute, as resolved when the dataset was made: the ``.npy``
    #: ``path`` is read from it down (by the dataset, and by
    #: ``melcli.stats.compute`` of items), never through a folder swapped
    #: since for a link out of OUT.
    out: str = ""


class SpectrogramDataset:
    """The arrays of an output folder, with their labels.

    ``ds[i]`` is ``(x, info)``: ``x`` the array (float32, a copy), ``info`` a
    dict with ``path`` (the array's path relative to OUT), ``source`` (the
    input's path relative to its SRC or list root), ``meta`` (its row of a
    ``--files-from`` table, strings), ``class`` (the class name, ``""`` when
    it has none) and ``label`` (its index in :attr:`classes`, -1 when none).
    :attr:`label_column` is the ``meta`` column the classes were taken from
    (None: the folders).

    Parameters
    ----------
    out : path-like
        The output folder of ``melcli mel`` (with its ``manifest.jsonl``).
    label_column : str or None
        Take each item's class from this ``meta`` column. ``None``: from the
        first of the columns ``label`` (a ``path,label`` table), ``class``
        (UrbanSound8K's) and ``category`` (ESC-50's) that every item has, as
        ``melcli gallery`` groups them, else from the first folder of its
        source path (``dogs/bark1.wav`` -> ``dogs``); a file at the top has
        no class. :attr:`label_column` says which was taken.
    classes : sequence of str or None
        The class list, in label order. ``None``: the classes found, sorted
        (numerically when every one is an integer), so labels are stable
        whatever the order of the files.
    normalize : bool or path-like
        Standardise each band with the mean and std of ``OUT/stats.npz``
        (``melcli stats OUT``), or of the ``stats.npz`` given.
    frames : int or None
        Cut or pad every array to this many frames (the last axis), so that
        items batch together.
    crop : {"start", "center", "random"}
        Which frames a longer array keeps.
    pad_value : float or None
        What a shorter array is padded with; ``None``: its own minimum (the
        dB floor), or 0 (the mean) with ``normalize``.
    seed : int or None
        Seed of ``crop="random"``. ``None``: fresh entropy in each process,
        so DataLoader workers crop differently; with a seed, each worker
        starts from the same state (reproducible, but the workers repeat
        each other's crops).

    Raises
    ------
    MelcliError
        If OUT has no manifest, a manifest entry names a path outside OUT,
        or an item has a label not in ``classes``.
    ParameterError
        For a bad ``frames`` or ``crop``, or an item without a
        ``label_column`` value (``param="label_column"``; a typo names the
        nearest column).
    """

    def __init__(
        self,
        out: str | os.PathLike[str],
        *,
        label_column: str | None = None,
        classes: Sequence[str] | None = None,
        normalize: bool | str | os.PathLike[str] = False,
        frames: int | None = None,
        crop: str = "start",
        pad_value: float | None = None,
        seed: int | None = None,
    ) -> None:
        _check_keywords(
            frames=frames,
            pad_value=pad_value,
            seed=seed,
            label_column=label_column,
            classes=classes,
            normalize=normalize,
        )
        if crop not in CROPS:
            raise ParameterError(one_of("crop", crop, CROPS), param="crop")
        self.out = path_of(out, param="out")
        self.frames = frames
        self.crop = crop
        self.pad_value = pad_value
        self.seed = seed
        self._rng: tuple[int, np.random.Generator] | None = None
        self._folders = _Folders(self.out)
        self.items, settings, inputs, self.label_column = _items(self.out, label_column)
        found = {item.label_name for item in self.items if item.label_name}
        if classes is None:
            self.classes = _sorted_classes(found)
        else:
            self.classes = list(classes)
            unknown = sorted(found - set(self.classes))
            if unknown:
                shown = ", ".join(unknown[:5])
                if len(unknown) > 5:  # not cut off without a word
                    shown += f" and {len(unknown) - 5} more"
                raise MelcliError(f"classes not in the list given: {shown}")
        self._label = {name: i for i, name in enumerate(self.classes)}
        self.mean: np.ndarray | None = None
        self.std: np.ndarray | None = None
        if normalize is not False:
            # OUT's own file: a link in OUT is not followed.
            path = self.out / STATS_NAME if normalize is True else Path(normalize)
            self.mean, self.std, made_with, made_of = _load_stats(
                path, follow=normalize is not True, remedy=_stats_remedy(self.out, path)
            )
            if made_with is not None and settings and made_with not in settings:
                raise MelcliError(
                    f"{path}: computed from arrays made with other settings than "
                    f"those of {self.out} (stale: {_stats_remedy(self.out, path)})"
                )
            # OUT's own statistics, of all its arrays: of these inputs? (Those
            # given by path may be of some of them, a training split.)
            if normalize is True and made_of is not None and made_of != inputs:
                raise MelcliError(
                    f"{path}: computed from other inputs than {self.out} holds now "
                    "(added, removed or changed since; stale: "
                    f"{_stats_remedy(self.out, path)})"
                )

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int) -> tuple[np.ndarray, dict[str, Any]]:
        item = self.items[index]
        try:
            # Read, never mapped: an array cut short by another program
            # meanwhile is an error naming it, not a crash (NpyFile).
            if isinstance(item.array, Slice):
                array = webdataset.open_npy(item.array)
            else:  # a FIFO or a crafted header in OUT: refused, not waited on
                # Read from OUT down (a folder swapped for a link out of OUT
                # since the dataset was made is not followed), in any process.
                # Opened into its owner: a Ctrl-C at any moment after leaves
                # it to be closed with that, not open for the process's life.
                owned = Owned()
                self._folders.open(item.path, owned)
                array = open_npy_at(owned)
            with array:
                if array.dtype.kind not in "fiub":
                    raise ValueError(f"array of dtype {array.dtype}, not real numbers")
                if item.recorded is not None:
                    check_recorded(array, item.recorded)
                x = self._read(array)
        except OSError as exc:
            if isinstance(exc, LeadsOutside):
                reason = str(exc)
            elif exc.errno == errno.ELOOP:  # O_NOFOLLOW met a link
                reason = "a symbolic link, not a file (links in OUT are not followed)"
            else:
                reason = exc.strerror.lower() if exc.strerror else str(exc)
            raise MelcliError(f"{item.array}: {reason}") from None
        except ValueError as exc:
            said = str(exc) if item.recorded is None else with_remedy(str(exc))
            raise MelcliError(f"{item.array}: {said}") from None
        if not np.isfinite(x).all():  # no melcli array holds one: not trained on
            said = "the array holds NaN or Inf values"
            if item.recorded is not None:
                said = with_remedy(said)
            raise MelcliError(f"{item.array}: {said}")
        if self.mean is not None and self.std is not None:
            if x.ndim < 2 or x.shape[-2] != len(self.mean):
                raise MelcliError(
                    f"{self.out / item.path}: shape {x.shape} does not have the "
                    f"{len(self.mean)} bands of {STATS_NAME}"
                )
            x = (x - self.mean[:, None]) / self.std[:, None]
        if self.frames is not None:
            x = self._fit(x)
        info = {
            "path": item.path,
            "source": item.source,
            "meta": dict(item.meta),
            "class": item.label_name,
            "label": self._label.get(item.label_name, -1),
        }
        return x, info

    @property
    def labels(self) -> list[int]:
        """Every item's label, in order (-1: no class), without reading arrays."""
        return [self._label.get(item.label_name, -1) for item in self.items]

    def _generator(self) -> np.random.Generator:
        """Return the random generator of this process (a forked worker: its own)."""
        if self._rng is None or (self.seed is None and self._rng[0] != os.getpid()):
            self._rng = (os.getpid(), np.random.default_rng(self.seed))
        return self._rng[1]

    def _read(self, array: NpyFile) -> np.ndarray:
        """Read ``array`` as float32: whole, or the window :meth:`_fit` keeps.

        A large array (:attr:`NpyFile.large`) longer than :attr:`frames` is
        read in that window only: memory and reads bounded by ``frames``,
        whatever its length (an hour-long input's 80 MB array gives its 216
        frames). The window is the one :meth:`_fit` cuts (the same random
        draw), so ``x`` is the same.
        """
        n = array.shape[-1] if array.ndim >= 2 else 0
        if self.frames is None or n <= self.frames or not array.large:
            # float32 as read: no copy of a float32 array
            return np.asarray(array.read(), dtype=np.float32)
        start = self._start(n)
        *outer, bands, _ = array.shape
        x = np.empty((*outer, bands, self.frames), np.float32)
        for lead, matrix in enumerate(x.reshape(-1, bands, self.frames)):
            matrix[...] = array.part(lead, start, start + self.frames)
        return x

    def _start(self, n: int) -> int:
        """Return where the window of :attr:`frames` of ``n`` frames begins."""
        assert self.frames is not None
        if self.crop == "start":
            return 0
        if self.crop == "center":
            return (n - self.frames) // 2
        return int(self._generator().integers(0, n - self.frames + 1))

    def _fit(self, x: np.ndarray) -> np.ndarray:
        """Cut or pad the last axis of ``x`` to :attr:`frames`."""
        assert self.frames is not None
        n = x.shape[-1]
        if n > self.frames:
            start = self._start(n)
            return np.ascontiguousarray(x[..., start : start + self.frames])
        if n < self.frames:
            fill = self.pad_value
            if fill is None:
                normalized = self.mean is not None
                fill = 0.0 if normalized or x.size == 0 else float(x.min())
            pad = [(0, 0)] * (x.ndim - 1) + [(0, self.frames - n)]
            return np.pad(x, pad, constant_values=fill)
        return x


def _check_keywords(
    *,
    frames: object,
    pad_value: object,
    seed: object,
    label_column: object,
    classes: object,
    normalize: object,
) -> None:
    """Refuse a keyword of :class:`SpectrogramDataset` of the wrong type, by name.

    Before, ``frames=2.5`` was taken and failed at the first item, and
    ``frames="x"``, ``seed="1"`` or ``classes="dog"`` (read letter by
    letter) gave a TypeError or a wrong dataset.
    """

    def whole(value: object) -> bool:
        return isinstance(value, int) and not isinstance(value, bool)

    if frames is not None and not (whole(frames) and frames >= 1):  # type: ignore[operator]
        raise ParameterError(
            f"frames={frames!r} must be a positive integer", param="frames"
        )
    if pad_value is not None and (
        isinstance(pad_value, bool) or not isinstance(pad_value, int | float)
    ):
        raise ParameterError(
            f"pad_value={pad_value!r} must be a number or None", param="pad_value"
        )
    if seed is not None and not whole(seed):
        raise ParameterError(f"seed={seed!r} must be an integer or None", param="seed")
    if label_column is not None and not isinstance(label_column, str):
        raise ParameterError(
            f"label_column={label_column!r} must be a column's name or None",
            param="label_column",
        )
    if classes is not None and (
        isinstance(classes, str | bytes)
        or not isinstance(classes, Sequence)
        or not all(isinstance(c, str) for c in classes)
    ):
        raise ParameterError(
            f"classes={classes!r} must be a list of class names or None",
            param="classes",
        )
    if not isinstance(normalize, bool | str | os.PathLike):
        raise ParameterError(
            f"normalize={normalize!r} must be True, False or a stats.npz path",
            param="normalize",
        )


class _Folders:
    """The folders of OUT the dataset reads arrays from, each opened once.

    OUT is resolved once, when the dataset is made; each folder is opened
    from it down the first time an array of it is read
    (:func:`melcli.write.open_folder`: a symbolic link is followed only
    where its text leads under OUT), and its descriptor kept: an array is
    then one ``open`` relative to it, never through a link
    (``O_NOFOLLOW``), as cheap as opening it by path. A folder swapped for a
    link since is not followed: the descriptor is the folder that was
    checked. One deleted since (a run's prune) is opened anew. A descriptor
    follows its folder where it is moved: one moved out of OUT since (its
    ``..`` so many levels up no longer OUT, one ``stat`` per array) is
    dropped, and the folder opened anew from OUT by its name.

    At most :attr:`KEPT` descriptors are kept; the arrays of other folders
    open theirs each time. A copy (pickled for a DataLoader's worker) opens
    its own.
    """

    #: The most folder descriptors kept open.
    KEPT = 64

    def __init__(self, out: Path) -> None:
        self.root = os.path.abspath(out)
        self.fds: dict[str, int] = {}
        #: How many levels below OUT each kept folder is: its ``..`` that
        #: many times over is OUT while it is in place.
        self.ups: dict[int, str] = {}
        self._top: tuple[int, int] | None = None
        weakref.finalize(self, _close_all, self.fds)

    def __getstate__(self) -> str:
        return self.root

    def __setstate__(self, root: str) -> None:
        self.root = root
        self.fds = {}
        self.ups = {}
        self._top = None
        weakref.finalize(self, _close_all, self.fds)

    def _in_place(self, fd: int) -> bool:
        """Return whether the kept folder ``fd`` is still inside OUT."""
        up = self.ups.get(fd)
        if up is None or self._top is None:
            return False
        try:
            st = os.stat(up, dir_fd=fd)
        except OSError:
            return False
        return (st.st_ino, st.st_dev) == self._top

    def _ups_to_top(self, fd: int) -> str | None:
        """Return the ``../..`` that leads from ``fd`` to OUT, if within 64 levels."""
        try:
            if self._top is None:
                st = os.stat(self.root)
                self._top = (st.st_ino, st.st_dev)
            for depth in range(64):
                up = "/".join([".."] * depth) or "."
                st = os.stat(up, dir_fd=fd)
                if (st.st_ino, st.st_dev) == self._top:
                    return up
        except OSError:
            return None
        return None

    def open(self, name: str, into: Owned) -> None:
        """Open the file ``name`` of OUT (``/``-separated) to read, into ``into``.

        Its descriptor goes straight into its owner: a Ctrl-C as the folder
        is kept or closed after (a return value waiting while a ``finally``
        block ran) lost it, open for the process's life.
        """
        folder, _, base = name.rpartition("/")
        fd = self.fds.get(folder)
        if fd is not None:
            try:
                if not self._in_place(fd):  # moved out of OUT: not used
                    raise FileNotFoundError
                into.held[0] = interrupts.os_open(base, _READ, dir_fd=fd, keep=True)
                return
            except FileNotFoundError:
                if os.fstat(fd).st_nlink and self._in_place(fd):
                    raise  # the folder is there: not the file
                # The folder deleted or moved since (maybe made again):
                # opened anew. Its descriptor is closed with the others
                # (another thread may be opening a file in it).
                if self.fds.get(folder) == fd:
                    del self.fds[folder]
                    self.fds[f"\0{fd}"] = fd  # no folder's name holds a NUL
        fd = open_folder(self.root, folder)
        try:
            into.held[0] = interrupts.os_open(base, _READ, dir_fd=fd, keep=True)
        finally:
            up = self._ups_to_top(fd) if len(self.fds) < self.KEPT else None
            if up is not None:
                self.ups[fd] = up
                if self.fds.setdefault(folder, fd) == fd:
                    fd = -1  # kept (another thread's, if it kept one meanwhile)
            if fd >= 0:
                os.close(fd)


#: How an array of OUT is opened: never through a link, nor waiting on a FIFO.
_READ = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)


def _close_all(fds: dict[str, int]) -> None:
    for fd in fds.values():
        with contextlib.suppress(OSError):
            os.close(fd)
    fds.clear()


def _items(
    out: Path, label_column: str | None
) -> tuple[list[Item], set[str], str, str | None]:
    """Return every array the manifest of ``out`` records as written, by path.

    And the settings fingerprint they were made with, when the manifest says,
    :func:`melcli.stats.inputs_digest` of their entries, and the ``meta``
    column their classes are taken from (None: their folders).

    Raises :class:`MelcliError` if they were made with several settings: such
    arrays do not belong in one training set (a run with other settings over
    some of the inputs; ``--prune`` deletes the rest).
    """
    if not os.path.exists(out):  # a typo, not a folder that is no run's output
        raise MelcliError(f"{out}: no such folder (give the OUT of 'melcli mel')")
    if not holds_manifest(out):
        said = unfinished(out)
        if said is None:
            from .hints import not_an_out_hint

            said = (
                f"{out} has no {MANIFEST_NAME}: not the output of a run; "
                f"{not_an_out_hint(out, api=True)}"
            )
        raise MelcliError(said)
    manifest = Manifest.load(out, read_only=True)
    root = os.path.abspath(out)  # resolved once: a later chdir changes nothing
    # Read whole first: an entry of the store is checked when it is read.
    entries = sorted(manifest.entries.items())
    if manifest.problems:
        # A training set silently missing items is worse than an error: the
        # loader dropped entries (wrong types, paths outside OUT).
        raise MelcliError("; ".join(map(read_only_problem, manifest.problems)))
    items = []
    settings: dict[str, int] = {}
    done = []
    if label_column is None:  # as the gallery groups them
        label_column = default_label(e for _, e in entries)
    for key, entry in entries:
        if entry.get("status") not in ("written", "up-to-date"):
            continue
        done.append(entry)
        made_with = entry.get("settings")
        if isinstance(made_with, str):
            settings[made_with] = settings.get(made_with, 0) + 1
        source = str(entry.get("source", ""))
        meta = entry.get("meta") or {}
        if not isinstance(meta, dict):
            raise MelcliError(f"{out / MANIFEST_NAME}: {key}: meta is not a table")
        meta = {str(k): str(v) for k, v in meta.items()}
        if label_column is None:
            first, sep, _ = source.partition("/")
            label = first if sep else ""
        elif label_column in meta:
            label = meta[label_column]
        else:
            has = (
                f"it has: {', '.join(meta)}"
                if meta
                else "it has none: meta holds the other columns of a table given "
                "to --files-from, files_from= in melcli.run"
            )
            raise ParameterError(
                f"{source or key} has no column {label_column!r} in its meta "
                f"({has}){did_you_mean(label_column, meta)}",
                param="label_column",
            )
        arrays = _arrays(out, manifest, key, root=root)
        recorded = recorded_array(entry) if len(arrays) == 1 else None
        for array, path in arrays:
            items.append(
                Item(
                    array,
                    path,
                    source,
                    meta,
                    label,
                    recorded,
                    made_with if isinstance(made_with, str) else None,
                    root,
                )
            )
    if len(settings) > 1:
        counts = ", ".join(str(n) for n in sorted(settings.values(), reverse=True))
        raise MelcliError(
            f"{out}: its arrays were made with {len(settings)} different settings "
            f"({counts} inputs); run 'melcli mel' over every input with one set "
            "of settings, and --prune to delete the others"
        )
    return items, set(settings), inputs_digest(done), label_column


def _arrays(
    out: Path, manifest: Manifest, key: str, *, root: str
) -> list[tuple[Path | Slice, str]]:
    """Return the arrays of entry ``key``, each confined to OUT.

    A sample's shard (a name directly in OUT) by its absolute path under
    ``root``, as the ``.npy`` files are read: a relative one read another
    OUT's shard once the process changed its working folder.
    """
    entry = manifest.entries[key]
    if webdataset.is_sample(entry):
        _inside(out, str(entry["shard"]), key)
        try:
            members = webdataset.npy_members(manifest, key)
        except (KeyError, TypeError, ValueError, IndexError, AttributeError):
            members = []
        if not members or not all(_whole(m.offset) and _whole(m.size) for m in members):
            raise MelcliError(f"{out / MANIFEST_NAME}: entry {key!r}: bad members")
        return [
            (
                dataclasses.replace(m, path=Path(root, m.path.name)),
                webdataset.key_to_path(m.name),
            )
            for m in members
        ]
    names = sorted(str(n) for n in entry.get("stamps", {}) if str(n).endswith(".npy"))
    return [(_inside(out, name, key), name) for name in names]


def _inside(out: Path, name: str, key: str) -> Path:
    """Return ``out / name``, or raise if it is not a file name inside OUT.

    Judged from OUT alone: the name as written (no ``..``, not absolute),
    then its folder walked down from OUT, a link judged by its text
    (:func:`melcli.write.open_folder`): nothing outside OUT is looked at.
    """
    if safe_name(name):
        try:
            os.close(open_folder(os.fspath(out), name.rpartition("/")[0]))
        except LeadsOutside:
            pass
        except OSError:  # not there, or a file: said when it is read
            return out / name
        else:
            return out / name
    raise MelcliError(
        f"{out / MANIFEST_NAME}: entry {key!r} names {name!r}, outside {out}"
    )


#: The most bands a ``stats.npz`` may hold: an STFT of the largest n_fft.
MAX_BANDS = (1 << 16) // 2 + 1


def _stats_remedy(out: Path, path: Path) -> str:
    """Say how to make the ``stats.npz`` at ``path`` for the run in ``out``.

    ``run 'melcli stats features'``: OUT named, as the command needs it,
    quoted as a shell reads it back (``"melcli stats 'my features'"``). A
    file elsewhere (a training split's) is written by ``--dest``.
    """
    if path == out / STATS_NAME:
        return f"run {shell_command('melcli', 'stats', out)}"
    split = shell_command(
        "melcli", "stats", out, "--files-from", "LIST", "--dest", path
    )
    return (
        f"write it with {split} (melcli.write_stats({os.fsdecode(out)!r}, "
        f"files_from=..., dest={os.fsdecode(path)!r})), or run "
        f"{shell_command('melcli', 'stats', out)} and give normalize=True"
    )


def _check_bands(archive: zipfile.ZipFile, name: str, path: Path, remedy: str) -> None:
    """Refuse a ``stats.npz`` array that is not one value per band, from its header.

    A crafted archive can claim billions of values in a few kilobytes
    (compressed zeros): numpy would allocate all of it to read the array.
    """
    with archive.open(f"{name}.npy") as member:
        shape, _, dtype, _ = npy_header(member)  # type: ignore[arg-type]
    if len(shape) != 1 or not 0 < shape[0] <= MAX_BANDS:
        raise MelcliError(
            f"{path}: {name} of shape {shape} is not one value per band "
            f"(at most {MAX_BANDS}); {remedy}"
        )
    # Nor values of a gigabyte each (a dtype "S1000000000"): numbers only.
    if dtype.kind not in "fiub" or dtype.itemsize > 8:
        raise MelcliError(f"{path}: {name} holds {dtype} values, not numbers; {remedy}")


def _real(values: object) -> np.ndarray:
    """Return ``values`` as float64; raise ValueError unless real numbers."""
    array = np.asarray(values)
    if array.dtype.kind not in "fiub":
        raise ValueError(f"dtype {array.dtype}")
    return array.astype(np.float64)


def _whole(n: object) -> bool:
    return isinstance(n, int) and not isinstance(n, bool) and n >= 0


def _sorted_classes(names: set[str]) -> list[str]:
    """Sort class names, as numbers when every one is an integer."""
    try:
        return sorted(names, key=int)
    except ValueError:
        return sorted(names)


def _load_stats(
    path: Path, *, follow: bool = True, remedy: str = "run 'melcli stats OUT'"
) -> tuple[np.ndarray, np.ndarray, str | None, str | None]:
    """Return ``mean`` and ``std`` (float32) of a ``stats.npz``, its settings, inputs.

    The settings fingerprint of the arrays it was computed from, and the
    digest of their inputs, if it says (``melcli stats`` writes them). Only a
    regular file is read (a FIFO is not waited on); with ``follow`` false, a
    symbolic link is not followed either.
    """
    flags = os.O_RDONLY | os.O_NONBLOCK | (0 if follow else os.O_NOFOLLOW)
    owned = Owned()  # the descriptor's owner before it is open (see Owned)
    try:
        owned.held[0] = interrupts.os_open(path, flags, keep=True)
        with os.fdopen(owned.fd, "rb", closefd=False) as f:
            mode = os.fstat(f.fileno()).st_mode
            if not stat.S_ISREG(mode):
                raise MelcliError(f"cannot read {path}: {file_kind(mode)}, not a file")
            with np.load(f, allow_pickle=False) as stats:
                for name in ("mean", "std"):  # before numpy allocates their claim
                    _check_bands(stats.zip, name, path, remedy)
                mean = _real(stats["mean"])
                std = _real(stats["std"])
                made_with = _fingerprint_of(stats, "settings")
                made_of = _fingerprint_of(stats, "inputs")
    except OSError as exc:
        reason = "a symbolic link" if exc.errno == errno.ELOOP else os_reason(exc)
        raise MelcliError(f"cannot read {path}: {reason}; {remedy}") from None
    except EOFError:  # zipfile's, of a member's data shorter than it records
        raise MelcliError(
            f"cannot read {path}: cut short while read (truncated by another "
            f"program?); {remedy}"
        ) from None
    except (ValueError, KeyError, TypeError, AttributeError, zipfile.BadZipFile):
        # TypeError, AttributeError: an .npy file, not an .npz archive
        raise MelcliError(
            f"cannot read {path}: not the stats.npz of 'melcli stats' (with "
            f"arrays mean and std); {remedy}"
        ) from None
    finally:
        owned.close()
    if mean.ndim != 1 or mean.shape != std.shape:
        raise MelcliError(f"{path}: mean and std are not one value per band")
    if not np.isfinite(mean).all():
        raise MelcliError(f"{path}: mean holds NaN or Inf values; {remedy}")
    tiny = np.finfo(np.float32).tiny
    std = np.where(np.isfinite(std) & (std > tiny), std, 1.0)
    return mean.astype(np.float32), std.astype(np.float32), made_with, made_of


def _fingerprint_of(stats: Any, name: str) -> str | None:
    """Return the ``name`` a ``stats.npz`` holds: one short string, or None."""
    if name not in stats.files:
        return None  # an older melcli's
    with stats.zip.open(f"{name}.npy") as member:  # its claim, before reading it
        shape, _, dtype, nbytes = npy_header(member)
    if dtype.kind != "U" or shape != () or nbytes > 256:
        raise ValueError(f"{name} is not one fingerprint")
    return str(stats[name])


__all__ = ["CROPS", "Item", "SpectrogramDataset"]

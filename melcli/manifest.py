r"""``OUT/manifest.jsonl``: what each input became, and whether it is up to date.

One JSON object per input, sorted by key, rewritten atomically at the end of a
run. During a run every result is also appended (and flushed) to a journal,
``OUT/.melcli-journal.jsonl``; a run that is killed leaves the journal behind,
and the next run folds it in, so nothing that was finished is redone and the
manifest is never torn. Names that are not valid UTF-8 are stored with
``\\udcXX`` escapes (``json.loads`` then ``os.fsencode`` give the bytes back).

An input is up to date when its entry says it was written with the same
settings fingerprint, the input still has the recorded size and mtime, and
every recorded output still exists with its recorded size and mtime.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Self

from .errors import MelcliError, os_reason
from .write import atomic_write, remove_files

MANIFEST_NAME = "manifest.jsonl"
JOURNAL_NAME = ".melcli-journal.jsonl"

Entry = dict[str, Any]


def file_stamp(path: Path) -> list[int] | None:
    """Return ``[size, mtime_ns]`` of ``path``, or None if it cannot be read."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return [st.st_size, st.st_mtime_ns]


def relative_key(path: Path, out: Path) -> str:
    """Return ``path`` relative to ``out``, with POSIX separators."""
    prefix = os.path.join(os.fspath(out), "")
    text = os.fspath(path)
    if text.startswith(prefix):  # the usual case, and 20x faster than relpath
        return text[len(prefix) :].replace(os.sep, "/")
    return Path(os.path.relpath(path, out)).as_posix()


@functools.cache
def versions() -> dict[str, str]:
    """Return the melcli and librosa versions recorded with each entry."""
    from . import __version__

    return {"melcli": __version__, "librosa": installed_version("librosa")}


def installed_version(name: str) -> str:
    """Return the installed version of the distribution ``name``, or "unknown".

    As ``importlib.metadata.version``, read from the name of the package's
    ``NAME-VERSION.dist-info`` folder next to it when there is exactly one:
    importing ``importlib.metadata`` (email, zipfile, csv...) costs about
    30 ms, a fifth of a one-file run. Other layouts go through it.
    """
    import importlib.util

    spec = importlib.util.find_spec(name)  # does not import the package
    if spec is not None and spec.origin:
        site = Path(spec.origin).parent  # a module's folder, or a package's
        if spec.submodule_search_locations is not None:
            site = site.parent
        found = list(site.glob(f"{name}-*.dist-info"))
        if len(found) == 1:
            return found[0].name[len(name) + 1 : -len(".dist-info")]
    from importlib import metadata

    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "unknown"


@dataclass
class Manifest:
    """The manifest of one output folder, with its journal.

    Attributes
    ----------
    out : Path
        The output folder.
    entries : dict
        Entry per key (the ``.npy`` path relative to OUT, or ``src:PATH`` for
        an input that produced no output).
    recovered : bool
        True when a journal from an interrupted run was found and folded in.
    journal_error : str
        Why the journal could not be written (a full disk), if it could not:
        the run goes on, its entries kept in memory for :meth:`commit`.
    """

    out: Path
    entries: dict[str, Entry] = field(default_factory=dict)
    recovered: bool = False
    journal_error: str = ""
    _journal: BinaryIO | None = None

    @property
    def path(self) -> Path:
        r"""``OUT/manifest.jsonl``."""
        return self.out / MANIFEST_NAME

    @property
    def journal_path(self) -> Path:
        """``OUT/.melcli-journal.jsonl``."""
        return self.out / JOURNAL_NAME

    @classmethod
    def load(cls, out: Path, **fields: Any) -> Self:
        """Read ``OUT``'s manifest and any journal an interrupted run left.

        ``fields`` go to the constructor (a subclass's own, such as a shard's).
        """
        manifest = cls(out=out, **fields)
        for line in _read_lines(manifest.path):
            manifest.entries[line["key"]] = line
        journal = _read_lines(manifest.journal_path)
        for line in journal:
            manifest.entries[line["key"]] = line
        manifest.recovered = manifest.journal_path.exists()
        return manifest

    def begin(self) -> None:
        """Open the journal; until :meth:`commit`, it marks a run in progress."""
        if self._journal is None:
            self.out.mkdir(parents=True, exist_ok=True)
            self._journal = open(self.journal_path, "ab")  # noqa: SIM115

    def record(self, entry: Entry, *, journal: bool = True) -> None:
        """Store ``entry`` and (unless ``journal`` is False) append it to the journal.

        If the journal cannot be written (a full disk), :attr:`journal_error`
        says why and the journal is left as it is (a torn last line is
        dropped when read): a run killed later rebuilds what it lacks.
        """
        self.entries[entry["key"]] = entry
        if self.journal_error or not journal:
            return
        self.begin()
        assert self._journal is not None
        try:
            self._journal.write(_dumps(entry) + b"\n")
            self._journal.flush()
        except OSError as exc:
            self.journal_error = (
                f"cannot write {self.journal_path}: {os_reason(exc)}; if this run "
                "is killed, the next one rebuilds what it wrote"
            )
            with contextlib.suppress(OSError):
                self._journal.close()
            self._journal = None

    def commit(self) -> None:
        """Write the manifest atomically and drop the journal.

        Raises
        ------
        MelcliError
            When the manifest cannot be written (a full disk); the journal,
            and the previous manifest, are then left in place.
        """
        self.out.mkdir(parents=True, exist_ok=True)
        try:
            write_entries(self.path, self.entries)
        except OSError as exc:
            raise MelcliError(f"cannot write {self.path}: {os_reason(exc)}") from None
        if self._journal is not None:
            self._journal.close()
            self._journal = None
        self.journal_path.unlink(missing_ok=True)

    def why_rebuild(
        self,
        key: str,
        *,
        input_stamp: list[int] | None,
        settings: str,
        format: str = "npy",
    ) -> str | None:
        """Return why the array under ``key`` must be (re)built, or None if not.

        ``input_stamp`` is the input's :func:`file_stamp` now; ``format`` the
        storage format of this run (``npy`` or ``webdataset``). Reasons:
        ``new``, ``failed last time``, ``settings changed``, ``format changed``,
        ``input changed``, ``output missing or changed``.
        """
        entry = self.entries.get(key)
        if not entry:
            return "new"
        if entry.get("status") not in ("written", "up-to-date"):
            return "failed last time"
        if entry.get("settings") != settings:
            return "settings changed"
        if entry.get("format", "npy") != format:
            return "format changed"
        if entry.get("input") != input_stamp:
            return "input changed"
        if shard := entry.get("shard"):  # a sample in a tar shard (webdataset)
            if entry.get("stamps", {}).get(shard) != file_stamp(self.out / shard):
                return "output missing or changed"
            return None
        npy = entry.get("npy")
        stamps = entry.get("stamps", {})
        arrays = [n for n in stamps if n != entry.get("png")]  # segments: several
        if not npy or npy not in stamps:
            return "output missing or changed"
        if any(stamps[n] != file_stamp(self.out / n) for n in arrays):
            return "output missing or changed"
        return None

    def png_up_to_date(self, key: str, png: str) -> bool:
        """Return whether ``key``'s PNG exists as it was recorded."""
        stamp = self.entries.get(key, {}).get("stamps", {}).get(png)
        return stamp is not None and stamp == file_stamp(self.out / png)

    def stale(self, keys: set[str]) -> list[str]:
        """Return the keys, not among ``keys``, of entries whose input is gone.

        An input merely left out of this run (by ``--include``, ``--ext`` or a
        narrower SRC) still exists: its entry and outputs are not stale.
        """
        return sorted(
            k
            for k, e in self.entries.items()
            if k not in keys and not os.path.lexists(_source_of(e))
        )

    def forget(self, key: str) -> None:
        """Drop ``key``'s entry (one with no outputs left to delete)."""
        self.entries.pop(key, None)

    def prune(self, key: str) -> list[Path]:
        """Delete the outputs of ``key`` and forget it; return what was removed."""
        entry = self.entries.pop(key)
        return remove_files(self.out / name for name in entry.get("stamps", {}))


def write_entries(path: Path, entries: dict[str, Entry]) -> None:
    """Write ``entries`` to ``path`` atomically, one JSON line each, sorted by key."""
    lines = b"".join(_dumps(entries[k]) + b"\n" for k in sorted(entries))
    atomic_write(path, lambda f: _write_all(f, lines))


def read_entries(path: Path) -> list[Entry]:
    """Return the entries of a manifest file (none if it does not exist)."""
    return _read_lines(path)


def _source_of(entry: Entry) -> str:
    """Return the input's absolute path (or its path as reached, in older entries)."""
    return str(entry.get("source_abs") or entry.get("source_path", ""))


def _write_all(f: BinaryIO, data: bytes) -> None:
    f.write(data)


def _dumps(entry: Entry) -> bytes:
    return json.dumps(entry, ensure_ascii=True, sort_keys=True).encode("ascii")


def _read_lines(path: Path) -> list[Entry]:
    """Parse a JSON-lines file; a torn last line (a killed writer) is dropped."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return []
    entries = []
    for line in raw.splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if isinstance(entry, dict) and isinstance(entry.get("key"), str):
            entries.append(entry)
    return entries

r"""``OUT/manifest.jsonl``: what each input became, and whether it is up to date.

One JSON object per input, sorted by key. The entries are kept in a store,
``OUT/.melcli-manifest.db`` (:mod:`melcli.manifest_db`), of which
``manifest.jsonl`` is the view: at the end of a run only the entries that
changed are written, and the view with them (nothing at all when nothing
changed). During a run every result is also appended (and flushed) to a journal,
``OUT/.melcli-journal.jsonl``; a run that is killed leaves the journal behind,
and the next run folds it in, so nothing that was finished is redone and the
manifest is never torn. Names that are not valid UTF-8 are stored with
``\\udcXX`` escapes (``json.loads`` then ``os.fsencode`` give the bytes back).

An input is up to date when its entry says it was written with the same
settings fingerprint, the input still has the recorded size and mtime, and
every recorded output still exists with its recorded size and mtime.

OUT may be a cache or a shared folder: its manifest, journal and manifest
parts are untrusted. Every line is checked on load (:func:`entry_problem`:
the type of each field the code reads, and every name in it confined to OUT);
a line that fails is dropped, counted in :attr:`Manifest.problems` (one
warning per file), and its input is rebuilt. A manifest or journal that is
not a regular file (a link, a folder) is not read. From the store, only the
fields that decide a rebuild (:data:`FACTS`) are read and checked on load;
an entry is read whole, and checked, when it is used (:class:`Entries`).
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import json
import os
import posixpath
import re
import stat
import struct
from collections.abc import (
    Callable,
    Collection,
    Container,
    ItemsView,
    Iterable,
    Iterator,
    Mapping,
    MutableMapping,
    Sequence,
    ValuesView,
)
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Self, cast

from . import manifest_db, manifest_view
from .discover import DEFAULT_EXTENSIONS, Job, short_enough
from .errors import MelcliError, os_reason, shell_command
from .outdir import (
    OutDir,
    Place,
    array_differs,
    folder_id,
    folder_place,
    in_place,
    open_append,
    open_regular,
    recorded_array,
    safe_name,
    writer_of,
)
from .segment import segment_base
from .storage.tarshards import shard_index
from .waveform import is_wave
from .write import atomic_write, make_folders, open_folder

MANIFEST_NAME = "manifest.jsonl"
JOURNAL_NAME = ".melcli-journal.jsonl"

Entry = dict[str, Any]


#: The fields of an entry that decide whether its input is up to date, read
#: from the store for every entry (:meth:`Entries.facts`); the rest of an
#: entry is read when it is used.
FACTS = (
    "key",
    "status",
    "settings",
    "format",
    "input",
    "stamps",
    "npy",
    "png",
    "shard",
    "render",
    "meta",
    "policies",
)

#: The facts held of a sample in a shard (``--format webdataset``): those of
#: every entry, and where its members are. Held as a dict of those alone, not
#: the whole entry (its waveform summary, versions, paths...): a no-op over
#: 100 000 samples held 3.3 kB of each.
SAMPLE_FACTS = (*FACTS, "sample", "samples", "members", "span")

#: Reads one stored entry, by key: the entry, or None if it cannot be used.
Reader = Callable[[str], "Entry | None"]


class Entries(MutableMapping[str, Entry]):
    """The entries by key, noting the keys set or removed since they were read.

    So :meth:`Manifest.commit` writes only what changed. An entry set equal
    to the one held is no change. Entries are replaced, never changed in
    place (copy one with ``dict(entry)`` to change it).

    Entries read from the store are held as their :data:`FACTS` alone (a
    short JSON text each, checked when read) until one is used: a re-run
    with nothing to do parses no whole entry, and holds a few hundred bytes
    per input. An entry is read whole on first use (and checked then, as
    any line is; one that fails reads as a failed input, rebuilt), or all at
    once by :meth:`items` and :meth:`values`.

    Entries a run sets through :meth:`stage` (its new and rebuilt inputs')
    wait for the commit out of memory, a batch at a time, in a
    :class:`~melcli.manifest_db.Stage` (a private temporary database; when
    it cannot be written, they are held here as before): a first run of
    millions of inputs holds their keys, not their entries.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._held: dict[str, Entry] = {}
        #: Stored entries by key, as the JSON array of their FACTS; or, for
        #: the usual entry, packed (:func:`lean_facts`: 60 bytes, not 200).
        #: Packed facts whose status this run changed to "up-to-date" (from
        #: "written") are held as a ``bytearray`` of the new facts: the first
        #: re-run after a build flips every input, and a set of their keys
        #: would cost a hundred bytes more per input.
        self._facts: dict[str, str | bytes | bytearray | Entry] = {}
        #: How many of those there are.
        self._flips = 0
        #: How many stored entries whose packed facts say "written" this run
        #: dropped (since the last commit): the store still holds them.
        self._gone = 0
        #: Whether every packed fact held is a row of the store's own, as
        #: stored (none packed from an entry's text): :meth:`every_written`
        #: counts on it.
        self.facts_as_stored = True
        #: Other stored entries whose status is now "up-to-date" (were "written").
        self._flipped: set[str] = set()
        self._read_one: Reader | None = None
        self._read_all: Callable[[], Iterable[tuple[str, Entry | None]]] | None = None
        self._read_sources: Callable[[], Iterable[tuple[object, object]]] | None = None
        #: Reads one stored entry's text as it is stored (None: none usable).
        self._read_text: Callable[[str], bytes | None] | None = None
        #: The key of one stored sample held by its facts, if any (:meth:`kinds`).
        self._sample: str | None = None
        #: The facts last asked for (cleared by any change).
        self._last: tuple[str | None, Entry | None] = (None, None)
        self.changed: set[str] = set()
        #: Whether :meth:`stage` moves entries out of memory (a store's manifest).
        self.staging = False
        self._stage: manifest_db.Stage | None = None
        #: Keys whose entry is in the stage (unless held: then that is newer).
        self._staged: set[str] = set()
        #: Keys set through :meth:`stage` since the last batch went, each
        #: with the entry it was staged as and that entry's JSON line, if
        #: known (the journal's: an entry is encoded once).
        self._pending: dict[str, tuple[Entry, bytes | None]] = {}
        self.update(*args, **kwargs)

    def load(self, entries: dict[str, Entry]) -> None:
        """Hold ``entries`` as they are stored (not changes)."""
        self._held.update(entries)

    def load_facts(
        self,
        facts: dict[str, str | bytes | Entry],
        *,
        read_one: Reader,
        read_all: Callable[[], Iterable[tuple[str, Entry | None]]],
        read_sources: Callable[[], Iterable[tuple[object, object]]],
        read_text: Callable[[str], bytes | None] | None = None,
        sample: str | None = None,
        as_stored: bool = True,
    ) -> None:
        """Hold stored entries by their facts; ``read_one``, ``read_all`` read them.

        ``sample``: the key of one of them that is a sample in a shard.
        ``as_stored``: whether the packed ones are the store's rows of facts
        as they are (not packed from the entries' text).
        """
        self._facts.update(facts)
        self._sample = sample
        self.facts_as_stored = self.facts_as_stored and as_stored
        self._read_one = read_one
        self._read_all = read_all
        self._read_sources = read_sources
        self._read_text = read_text

    # ------------------------------------------------------------ mapping
    def __getitem__(self, key: str) -> Entry:
        entry = self._held.get(key)
        if entry is None:
            if key in self._staged:
                return cast(Entry, json.loads(self._from_stage(key)[0]))
            if key not in self._facts:
                raise KeyError(key)
            assert self._read_one is not None
            entry = self._hold(key, self._read_one(key))
        return entry

    def _hold(self, key: str, entry: Entry | None) -> Entry:
        entry = self._held[key] = self._whole(key, entry)
        return entry

    def _whole(self, key: str, entry: Entry | None) -> Entry:
        """Return a stored entry read whole, as this run has it."""
        if entry is None:  # crafted or changed since: its input is rebuilt
            return {"key": key, "status": "failed", "error": "invalid entry"}
        if key in self._flipped or type(self._facts.get(key)) is bytearray:
            entry["status"] = "up-to-date"
        return entry

    def put(self, key: str) -> tuple[bytes, bytes] | None:
        """Return the entry ``key`` as a JSON line (no newline), and its facts packed.

        The facts as :func:`lean_facts` packs them (empty: not the usual
        entry). A stored entry is read for it, not held: a commit after a
        build writes every entry's new status, and need not hold them all.
        None when it cannot be read now: the stored one stays.
        """
        entry = self._held.get(key)
        if entry is None:
            if key in self._staged:
                return self._from_stage(key)
            if key not in self._facts:
                raise KeyError(key)
            assert self._read_one is not None
            stored = self._read_one(key)
            if stored is None:
                return None
            entry = self._whole(key, stored)
        else:  # set by this run: its line, if staged as it is, was encoded then
            pending = self._pending.get(key)
            if pending is not None and pending[0] is entry and pending[1]:
                return pending[1], lean_facts(entry)
        return _dumps(entry), lean_facts(entry)

    def puts(
        self, keys: Collection[str]
    ) -> Iterator[tuple[str, tuple[bytes, bytes] | None]]:
        """Yield ``(key, put(key))`` for those of ``keys`` held, the staged ones last.

        Those are read from the stage in one pass, in its order, not looked
        up one by one: at a first run's commit every entry of the run is
        staged, and a look-up each cost more than the whole pass (a query
        each, and the stage's pages read in no order).
        """
        held, staged = self._held, self._staged
        later = 0
        for key in keys:
            if key in held or key not in staged:
                if key in self:
                    yield key, self.put(key)
            else:
                later += 1
        if not later:
            return
        assert self._stage is not None
        try:
            for key, line, packed in self._stage.rows():
                if key in keys and key not in held and key in staged:
                    later -= 1
                    yield key, (line, packed)
        except manifest_db.StoreError as exc:
            raise MelcliError(f"cannot read a manifest entry back: {exc}") from None
        if later:
            raise KeyError(f"{later} staged entries not in the stage")

    def source_of(self, key: str) -> object:
        """Return ``source_abs`` of ``key``'s entry (None without one), not held.

        For each input a run rebuilds: the run sets its new entry later, and
        holding every old one meanwhile would cost memory per input.
        """
        entry = self._held.get(key)
        if entry is None:
            if key in self._staged:
                entry = json.loads(self._from_stage(key)[0])
            elif key in self._facts and self._read_one is not None:
                entry = self._read_one(key)
        return None if entry is None else entry.get("source_abs")

    def stored_as(self, key: str, line: bytes) -> bool:
        """Return whether the stored entry ``key``, not read since, is ``line``.

        Its text compared as stored, one look-up, nothing parsed: an entry
        set again as it was (an input passed over by ``--include`` run after
        run) need not be read whole, nor written again.
        """
        if (
            self._read_text is None
            or key in self._held
            or key in self._staged
            or key not in self._facts
        ):
            return False
        return self._read_text(key) == line

    def __setitem__(self, key: str, value: Entry) -> None:
        # (get() would raise and catch a KeyError for every new key)
        if key not in self or self[key] != value:
            self.changed.add(key)
        self._held[key] = value
        self._flipped.discard(key)
        self._last = (None, None)

    def __delitem__(self, key: str) -> None:
        if key not in self:
            raise KeyError(key)
        self._held.pop(key, None)
        if key in self._staged:
            self._staged.discard(key)
            assert self._stage is not None
            self._stage.drop(key)
        packed = self._facts.pop(key, None)
        if type(packed) is bytearray:
            self._flips -= 1
        if type(packed) is bytearray or (
            type(packed) is bytes and packed[_LEAN.size :].startswith(_WRITTEN_TAIL)
        ):
            self._gone += 1  # still stored as "written" until the commit
        self._flipped.discard(key)
        self._last = (None, None)
        self.changed.add(key)

    def __contains__(self, key: object) -> bool:
        return key in self._held or key in self._facts or key in self._staged

    def __iter__(self) -> Iterator[str]:
        facts, held = self._facts, self._held
        yield from facts
        yield from (k for k in held if k not in facts)
        yield from (k for k in self._staged if k not in facts and k not in held)

    def __len__(self) -> int:
        facts, held = self._facts, self._held
        return (
            len(facts)
            + sum(1 for k in held if k not in facts)
            + sum(1 for k in self._staged if k not in facts and k not in held)
        )

    def __bool__(self) -> bool:
        return bool(self._facts) or bool(self._held) or bool(self._staged)

    def items(self) -> ItemsView[str, Entry]:  # type: ignore[override]
        """Every entry, by key (those held by their facts are read, all at once)."""
        self._read_everything()
        return super().items()

    def values(self) -> ValuesView[Entry]:  # type: ignore[override]
        """Every entry (those held by their facts are read, all at once)."""
        self._read_everything()
        return super().values()

    def _read_everything(self) -> None:
        held, staged = self._held, self._staged
        unread = [k for k in self._facts if k not in held and k not in staged]
        if self._read_all is None or not unread:
            return
        for key, entry in self._read_all():
            if key in self._facts and key not in held and key not in staged:
                self._hold(key, entry)
        assert self._read_one is not None
        for key in unread:  # not read with the others: alone, and said
            if key not in held:
                self._hold(key, self._read_one(key))

    def clear(self) -> None:
        """Remove every entry."""
        self.changed.update(self)
        self._held.clear()
        self._facts.clear()
        self._drop_stage()
        self._flips = self._gone = 0
        self._flipped.clear()
        self._last = (None, None)

    # ------------------------------------------------------------- facts
    def facts(self, key: str) -> Entry | None:
        """Return the fields of ``key``'s entry that decide what to rebuild.

        At least the :data:`FACTS` (the whole entry, if it is held); None if
        there is no such entry.
        """
        entry = self._held.get(key)
        if entry is not None:
            return entry
        if key in self._staged:
            return self[key]
        last_key, last = self._last
        if last_key == key:  # deciding on one input asks several times
            return last
        text = self._facts.get(key)
        if text is None:
            return None
        if type(text) is bytes or type(text) is bytearray:  # flipped: up to date
            status, settings, *stamps = _unpack(text)
            facts = {
                "key": key,
                "status": status,
                "settings": settings,
                "input": stamps[:2],
                "stamps": {key: stamps[2:]},
                "npy": key,
            }
        elif isinstance(text, dict):  # a sample's (SAMPLE_FACTS), held as they are
            facts = dict(text) if key in self._flipped else text
        else:
            values = json.loads(cast(str, text))
            facts = {n: v for n, v in zip(FACTS, values, strict=True) if v is not None}
        if key in self._flipped:
            facts["status"] = "up-to-date"
        self._last = key, facts
        return facts

    def sources(self) -> Iterator[tuple[str, object]]:
        """Yield each entry's key and ``source_abs`` (the input), reading none whole.

        As stored: a caller checks an entry it then uses (by reading it).
        """
        for key, entry in self._held.items():
            yield key, entry.get("source_abs")
        held, facts, staged = self._held, self._facts, self._staged
        for key in [k for k in staged if k not in held]:
            yield key, self[key].get("source_abs")
        if self._read_sources is not None:
            for stored, source in self._read_sources():
                if (
                    isinstance(stored, str)
                    and stored in facts
                    and stored not in held
                    and stored not in staged
                ):
                    yield stored, source

    def plain_facts(self, key: str) -> tuple[Any, ...] | None:
        """Return the facts of ``key``'s entry if it is the usual one, as stored.

        ``(status, settings, size, mtime_ns, array size, array mtime_ns)``:
        the facts of one ``.npy`` with no PNG and no table row, from the
        input of that stamp (:data:`_PLAIN`); None for any other entry, or
        one held whole or changed by this run.
        """
        packed = self.packed(key)
        return None if packed is None else _unpack(packed)

    def packed(self, key: str) -> bytes | None:
        """Return the packed facts of ``key``'s entry (:func:`lean_facts`), if so held.

        None for any other entry, or one held whole or changed by this run.
        """
        packed = self._facts.get(key)
        if type(packed) is not bytes or key in self._held or key in self._flipped:
            return None
        return None if key in self._staged else packed

    def was_stored(self, key: str) -> bool:
        """Return whether ``key``'s entry was read from the store (and is still)."""
        return key in self._facts

    def flipped_facts(self, key: str) -> bytes:
        """Return the packed facts of ``key``, one of :meth:`flipped`, now up to date.

        Empty for an entry whose facts are not packed.
        """
        packed = self._facts.get(key)
        if type(packed) is bytearray:
            return bytes(packed)
        return _repacked(packed, "up-to-date") if type(packed) is bytes else b""

    def kinds(self) -> Iterator[Entry]:
        """Yield the entries held whole, and the facts of one held by its facts.

        Enough to tell the storage formats of all: an entry with a ``format``
        is held whole, or is a sample held by its facts (one of which is
        yielded: see :func:`_valid_facts`); the others held by their facts
        have none (``npy``).
        """
        yield from self._held.values()
        sample = self._sample
        if sample is not None and sample in self._facts and sample not in self._held:
            facts = self.facts(sample)
            if facts is not None:
                yield facts
        for key in self._facts:
            if key not in self._held:
                facts = self.facts(key)
                if facts is not None:
                    yield facts
                return

    def mark_up_to_date(self, key: str, facts: Entry | None = None) -> None:
        """Record that ``key``'s input was found up to date by this run.

        Its status becomes ``up-to-date`` (from ``written``); nothing else
        of it changes, and it is not read whole. ``facts`` are its
        :meth:`facts`, if the caller has them.
        """
        packed = self._facts.get(key)
        if (
            facts is None
            and type(packed) is bytes
            and key not in self._held
            and key not in self._staged
            and key not in self._flipped
        ):  # the usual entry: its status told from its packed facts, not parsed
            if packed[_LEAN.size :].partition(b"\0")[0] != b"up-to-date":
                self._facts[key] = bytearray(_repacked(packed, "up-to-date"))
                self._flips += 1
                self._last = (None, None)
            return
        entry = self._held.get(key)
        if entry is None and key in self._staged:
            entry = self[key]
        if entry is not None:
            if entry.get("status") != "up-to-date" or entry.get("error"):
                self[key] = {**entry, "status": "up-to-date", "error": ""}
        elif key in self._facts:
            facts = facts if facts is not None else self.facts(key)
            if facts is None or facts.get("status") == "up-to-date":
                return
            packed = self._facts[key]
            if type(packed) is bytes:  # the new facts in its place: no key held twice
                self._facts[key] = bytearray(_repacked(packed, "up-to-date"))
                self._flips += 1
            else:
                self._flipped.add(key)
            self._last = (None, None)

    def mark_all_up_to_date(self, keys: Iterable[str]) -> None:
        """:meth:`mark_up_to_date` for each of ``keys``, the usual entries together.

        The packed facts of an entry built with some settings are flipped as
        the first such one was (its new status and settings made once).
        """
        facts, held, staged, flipped = (
            self._facts,
            self._held,
            self._staged,
            self._flipped,
        )
        stamps = _LEAN.size
        #: By the bytes after the stamps (status, settings): the new ones, or
        #: b"" where the status is up-to-date already.
        tails: dict[bytes, bytes] = {}
        flips = 0
        for key in keys:
            packed = facts.get(key)
            if (
                type(packed) is not bytes
                or key in held
                or key in staged
                or (key in flipped)
            ):
                self.mark_up_to_date(key)
                continue
            tail = packed[stamps:]
            new = tails.get(tail)
            if new is None:
                status, _, settings = tail.partition(b"\0")
                up = status != b"up-to-date"
                new = tails[tail] = b"up-to-date\0" + settings if up else b""
            if new:
                facts[key] = bytearray(packed[:stamps] + new)
                flips += 1
        if flips:
            self._flips += flips
            self._last = (None, None)

    def flipped(self) -> list[str]:
        """Return the keys whose only change is their status, to ``up-to-date``.

        A list (the first re-run after a build flips every input: a set of
        them would cost memory), of keys not in :attr:`changed`.
        """
        changed = self.changed
        flipped = [k for k in self._flipped if k not in changed]
        if self._flips:
            flipped += [
                k
                for k, v in self._facts.items()
                if type(v) is bytearray and k not in changed
            ]
        return flipped

    def every_written(self) -> int:
        """Return how many packed entries stored as ``written`` change, if all do.

        The first re-run after a build flips every input's status: when each
        entry whose packed facts say ``written`` is flipped (or changed, or
        dropped: set anew), the store flips them all at once
        (:meth:`manifest_db.Store.flip_every_written`). 0 when some stays
        (an input left out of this run), or when few are flipped.
        """
        if self._flips < EVERY_WRITTEN_FROM or not self.facts_as_stored:
            return 0  # (facts packed from text: not those the store counts)
        changed, stamps = self.changed, _LEAN.size
        end = stamps + len(_WRITTEN_TAIL)
        count = self._gone  # dropped: flipped, then deleted
        for key, packed in self._facts.items():
            if type(packed) is bytearray:
                count += 1
            elif type(packed) is bytes and packed[stamps:end] == _WRITTEN_TAIL:
                if key not in changed:
                    return 0
                count += 1
        return count

    def unpacked_flips(self) -> list[str]:
        """Return the keys of :meth:`flipped` whose facts are not packed."""
        return [k for k in self._flipped if k not in self.changed]

    # ------------------------------------------------------------- stage
    def stage(self, key: str, line: bytes | None = None) -> None:
        """Let ``key``'s entry, just set, wait for the commit out of memory.

        With :attr:`staging` on, a batch of :data:`STAGE_EVERY` at a time (an
        entry set again meanwhile goes as it is then). An entry of a sample
        in a shard stays (those are held whole: see :meth:`kinds`). ``line``
        is the entry as :func:`_dumps` encodes it, if the caller has it.
        """
        entry = self._held.get(key)
        if not self.staging or entry is None or "format" in entry:
            return
        self._pending.pop(key, None)  # in the order set last
        self._pending[key] = (entry, line)
        if len(self._pending) >= STAGE_EVERY:
            self._flush()

    def _flush(self) -> None:
        """Move the pending entries to the stage (or, if it fails, keep them)."""
        held = self._held
        rows = []
        for key, (entry, line) in self._pending.items():
            now = held.get(key)
            if now is not None:  # else forgotten since
                line = line if now is entry else None  # set again: as it is now
                rows.append((key, line or _dumps(now), lean_facts(now)))
        self._pending = {}
        keys = [key for key, _, _ in rows]
        try:
            if self._stage is None:
                self._stage = manifest_db.Stage()
            self._stage.put(rows)
        except manifest_db.StoreError:
            self.staging = False  # no room: held here, as before staging was
            return
        for key in keys:
            del held[key]
            self._staged.add(key)
        self._last = (None, None)

    def _from_stage(self, key: str) -> tuple[bytes, bytes]:
        """Return the staged JSON line and packed facts of ``key``."""
        assert self._stage is not None
        try:
            row = self._stage.get(key)
        except manifest_db.StoreError as exc:
            raise MelcliError(f"cannot read a manifest entry back: {exc}") from None
        if row is None:
            raise KeyError(key)
        return row

    def close(self) -> None:
        """Close the staged entries' database (and so its temporary file)."""
        if self._stage is not None:
            self._stage.close()

    def _drop_stage(self) -> None:
        if self._stage is not None:
            self._stage.close()
        self._stage = None
        self._staged = set()
        self._pending = {}

    def written(self) -> None:
        """Note that what changed is stored.

        The staged entries stay where they are (as stored), read from there.
        """
        self.changed.clear()
        self._flipped.clear()
        self._gone = 0
        if self._flips:  # stored now: the new facts are the stored ones
            facts = self._facts
            for key, packed in facts.items():  # values replaced, no key added
                if isinstance(packed, bytearray):
                    facts[key] = bytes(packed)
            self._flips = 0


#: Flips from which :meth:`Entries.every_written` looks at every entry.
EVERY_WRITTEN_FROM = 1024
#: The packed facts' status ``written``, after the stamps (:func:`lean_facts`).
_WRITTEN_TAIL = b"written\0"
#: Entries set through :meth:`Entries.stage` that go to the stage together.
STAGE_EVERY = 256


def holds_manifest(out: str | os.PathLike[str]) -> bool:
    """Return whether ``out`` holds a run's manifest: its store or ``manifest.jsonl``.

    Either one, whatever it holds (a reader says why it cannot read it): a
    ``manifest.jsonl`` deleted, or a FIFO or folder in its place, leaves the
    store, which the readers read as a run does.
    """
    return any(
        os.path.lexists(os.path.join(out, name))
        for name in (MANIFEST_NAME, manifest_db.STORE_NAME)
    )


def unfinished(out: str | os.PathLike[str]) -> str | None:
    """Say why ``out``, with no manifest, holds a run's journal; None if it does not.

    A run writes its manifest at its end: before that (still running, killed,
    or unable to write it: a full disk) OUT holds its outputs and its journal
    alone. For a reader, whose "not the output of a run" would not be so.
    """
    if not os.path.lexists(os.path.join(out, JOURNAL_NAME)):
        return _unmerged(out)
    holder = writer_of(Path(out))
    if holder is not None:
        return (
            f"{out}: no {MANIFEST_NAME} yet: another melcli run ({holder}) is "
            "writing to it; wait for it to finish"
        )
    return (
        f"{out}: no {MANIFEST_NAME}: the run that wrote there was stopped or "
        f"could not write it (its journal, {JOURNAL_NAME}, is there); run "
        "'melcli mel' into it again to finish"
    )


#: A ``--shard I/N`` run's manifest part (see :mod:`melcli.shard`).
SHARD_PART = re.compile(r"manifest\.shard-(\d+)-of-(\d+)\.jsonl")


def _unmerged(out: str | os.PathLike[str]) -> str | None:
    """Say that ``out``, with no manifest, holds ``--shard`` parts not merged.

    Its arrays are those of shards that ran, finished or not, and no run
    checked that every input is in one of them: ``melcli stats`` computed
    statistics of them as of a whole dataset, while the loader refused
    ``out`` as "not the output of a run". Both now say what to do. Only the
    names in ``out`` are looked at (a part is read by ``melcli merge``).
    """
    try:
        with os.scandir(out) as found:
            part = min(
                (e.name for e in found if SHARD_PART.fullmatch(e.name)), default=None
            )
    except (OSError, ValueError):
        return None
    if part is None:
        return None
    return (
        f"{out}: no {MANIFEST_NAME}: it holds the manifest parts of "
        f"'melcli mel --shard I/N' runs ({part}), not merged yet; once every "
        f"shard has finished, run {shell_command('melcli', 'merge', out)} "
        "(melcli.merge)"
    )


def file_stamp(path: str | os.PathLike[str]) -> list[int] | None:
    """Return ``[size, mtime_ns]`` of ``path``, or None if it cannot be read."""
    try:
        st = os.stat(path)
    except (OSError, ValueError):  # ValueError: a NUL in the name
        return None
    return [st.st_size, st.st_mtime_ns]


def relative_key(path: str | os.PathLike[str], out: str | os.PathLike[str]) -> str:
    """Return ``path`` relative to ``out``, with POSIX separators."""
    prefix = _prefix(os.fspath(out))
    text = os.fspath(path)
    if text.startswith(prefix):  # the usual case, and far cheaper than relpath
        return text[len(prefix) :].replace(os.sep, "/")
    return Path(os.path.relpath(path, out)).as_posix()


@functools.lru_cache(maxsize=16)
def _prefix(out: str) -> str:
    return os.path.join(out, "")


@functools.cache
def versions() -> dict[str, str]:
    """Return the melcli and librosa versions recorded with each entry."""
    from . import __version__

    return {"melcli": __version__, "librosa": installed_version("librosa")}


def installed_version(name: str) -> str:
    """Return the installed version of the distribution ``name``, or "unknown".

    As ``importlib.metadata.version``, read from the name of the package's
    ``NAME-VERSION.dist-info`` folder next to it when there is exactly one:
    importing ``importlib.metadata`` (email, zipfile, csv...) is a large
    share of a one-file run (bench/README.md, "Figures behind the code").
    Other layouts go through it.
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


class _ViewWritten(manifest_db.StoreError):
    """The store could not be put in place, but ``manifest.jsonl`` was written."""


class EntryTooLong(MelcliError):
    """An entry longer than a run reads back: not recorded (its input fails).

    A run drops a longer one unread (:data:`manifest_db.MAX_ENTRY`), taking it
    for a crafted one: recorded, it would be rebuilt by every run. Tens of
    thousands of segments with ``--segment-layout files`` make one, or a
    huge cell in a ``--files-from`` table row.
    """

    def __init__(self, entry: Entry, size: int) -> None:
        self.size = size
        stamps = entry.get("stamps")
        samples = entry.get("samples")
        count = max(
            len(stamps) if isinstance(stamps, dict) else 0,
            len(samples) if isinstance(samples, dict) else 0,
        )
        meta = entry.get("meta")
        row = len(json.dumps(meta)) if isinstance(meta, dict) else 0
        if count > 1 and row < size // 2:
            cause = (
                f"its {count} segments; give --segment-layout stack (one array) "
                "or a longer --segment-hop"
            )
        elif row:
            cause = f"its row of the file list ({row / (1 << 20):.1f} MiB)"
        else:
            cause = "what it records"
        super().__init__(
            f"too much to record: its manifest entry would take {size:,} bytes, "
            f"more than the {manifest_db.MAX_RECORDED:,} melcli reads back from "
            f"OUT, for {cause}"
        )


@dataclass
class Manifest:
    """The manifest of one output folder, with its journal.

    Attributes
    ----------
    out : Path
        The output folder.
    entries : Entries
        Entry per key (the ``.npy`` path relative to OUT, or ``src:PATH`` for
        an input that produced no output); a dict may be given.
    recovered : bool
        True when a journal from an interrupted run was found and folded in.
    journal_error : str
        Why the journal could not be written (a full disk), if it could not:
        the run goes on, its entries kept in memory for :meth:`commit`.
    problems : list of str
        One warning per file read that held invalid lines (dropped: their
        inputs are rebuilt) or could not be read.
    """

    out: Path
    entries: Entries = field(default_factory=Entries)
    recovered: bool = False
    journal_error: str = ""
    problems: list[str] = field(default_factory=list)
    _journal: BinaryIO | None = None
    #: Inside :meth:`journal_batch`: journal lines wait for its end.
    _batch: bool = field(default=False, repr=False, compare=False)
    _outdir: OutDir | None = field(default=None, repr=False, compare=False)
    #: Whether the store must be written whole (it was not read: missing,
    #: unusable, or older than ``manifest.jsonl``); else only what changed.
    _rewrite: bool = field(default=True, repr=False, compare=False)
    #: Whether ``manifest.jsonl`` is missing or not the store's view.
    _view_stale: bool = field(default=True, repr=False, compare=False)
    #: Rows of the store to delete at the commit, by their stored keys: found
    #: invalid when it was checked (written by another program since).
    _drop_rows: list[str] | None = field(default=None, repr=False, compare=False)
    #: Reads the entries held by their facts (None: all are held whole).
    _reader: _StoreReader | None = field(default=None, repr=False, compare=False)
    #: Whether entries that cannot be trusted (read from ``manifest.jsonl``, a
    #: journal, or a store another program wrote) are checked against the
    #: header of their array (:func:`~melcli.outdir.array_differs`), and
    #: dropped (their inputs rebuilt) when it disagrees: a run's, which
    #: repairs them. Readers refuse such an array when they read it.
    check_arrays: bool = field(default=False, repr=False, compare=False)
    #: Whether OUT is only read (a command that reads it, a dry run): the store
    #: is opened read-only, and nothing beside it is changed or deleted
    #: (:class:`~melcli.manifest_db.Store`); one that cannot be read so is
    #: not, ``manifest.jsonl`` is read instead.
    read_only: bool = field(default=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        #: What :meth:`commit` found and dropped (entries of a store written by
        #: another program, made to look untouched): their inputs are rebuilt
        #: by the next run.
        self.late_problems: list[str] = []
        #: Keys of the entries changed by another program that no longer agree
        #: with their facts (dropped: their inputs are rebuilt when next run).
        self.disagreed: list[str] = []
        if not isinstance(self.entries, Entries):
            self.entries = Entries(self.entries)
        # What a run records goes to the store at its commit: it need not
        # wait in memory (a shard's part is written whole from memory).
        self.entries.staging = self.store_path is not None

    @property
    def outdir(self) -> OutDir:
        """OUT, confining every name read from the entries (cached for the run)."""
        if self._outdir is None:
            self._outdir = OutDir(self.out)
        return self._outdir

    @property
    def path(self) -> Path:
        r"""``OUT/manifest.jsonl``."""
        return self.out / MANIFEST_NAME

    @property
    def source(self) -> Path:
        """The file the entries were read from: the store, or ``manifest.jsonl``."""
        if self._reader is not None and self.store_path is not None:
            return self.store_path
        return self.path

    @property
    def journal_path(self) -> Path:
        """``OUT/.melcli-journal.jsonl``."""
        return self.out / JOURNAL_NAME

    @property
    def store_path(self) -> Path | None:
        """``OUT/.melcli-manifest.db``; None for a manifest kept as JSON lines only."""
        if self.path != self.out / MANIFEST_NAME:
            return None  # a shard's part
        return self.out / manifest_db.STORE_NAME

    @classmethod
    def load(cls, out: Path, **fields: Any) -> Self:
        """Read ``OUT``'s manifest and any journal an interrupted run left.

        ``fields`` go to the constructor (a subclass's own, such as a shard's).
        The entries come from the store (:mod:`melcli.manifest_db`) unless
        ``manifest.jsonl`` is not its view (then from that file).
        """
        manifest = cls(out=out, **fields)
        if not manifest._read_store():
            manifest.entries.load(manifest.read(manifest.path))
        manifest.entries.update(manifest.read(manifest.journal_path))
        journal = manifest.journal_path
        manifest.recovered = _lstat_is(journal, stat.S_ISREG)  # a link: not followed
        return manifest

    def close(self) -> None:
        """Close the store's connection, the staged entries and the journal.

        Once the run is over, also when it was interrupted: an exception kept
        by the caller (``melcli.RunInterrupted``) holds the run's frames, and
        so the manifest, until it is collected. A journal left uncommitted
        stays on disk, for the next run to recover from.
        """
        if self._reader is not None:
            self._reader.store.close()
        self.entries.close()
        journal, self._journal = self._journal, None
        if journal is not None:
            with contextlib.suppress(OSError):
                journal.close()

    def _read_store(self) -> bool:
        """Hold the store's entries by their facts; False to read ``manifest.jsonl``.

        Every entry's facts are checked now (:func:`entry_problem`, on those
        fields); the rest of an entry when it is read whole. A store that
        cannot be used is said in :attr:`problems`.
        """
        store_path = self.store_path
        if store_path is None or not os.path.lexists(store_path):
            return False
        view = manifest_db.file_id(self.path)
        try:
            store = manifest_db.Store(store_path, read_only=self.read_only)
        except manifest_db.StoreBlocked as exc:
            if self.read_only:  # else the commit says it, once
                self.problems.append(_not_read(store_path, exc))
            return False
        except manifest_db.StoreError as exc:
            self.problems.append(_not_read(store_path, exc))
            return False
        try:
            if view is not None and not manifest_db.same_view(
                view, store.state("view")
            ):
                store.close()
                return False  # written since by another: merge, an older melcli
            facts, samples, dropped, as_stored = _read_facts(store)
            # Written by another program since melcli's last commit: an entry
            # changed in place is not seen in its packed facts; each is checked.
            intact = not dropped and store.intact()
            disagree, differ = cast(list[str], []), cast(list[Entry], [])
            if not intact:
                check = self._array_differs if self.check_arrays else None
                dropped, disagree, differ, self._drop_rows = _check_entries(
                    store, facts, samples, check
                )
        except manifest_db.StoreError as exc:
            store.close()
            self.problems.append(_not_read(store_path, exc))
            return False
        if dropped:
            self.problems.append(_dropped(store_path, dropped))
        if disagree:
            self.problems.append(_disagreed(store_path, len(disagree)))
            self.disagreed = disagree
        if differ:
            self.problems.append(arrays_differ(store_path, len(differ)))
        # Kept open: the entries are read from it when used (the run holds
        # OUT's lock; a closed connection would check the schema again).
        reader = self._reader = _StoreReader(
            store, self.problems, out=self.out if self.read_only else None
        )
        self.entries.load_facts(
            facts,
            read_one=reader.one,
            read_all=reader.all,
            read_sources=reader.sources,
            read_text=reader.text,
            sample=next(iter(samples), None),
            as_stored=as_stored,
        )
        for entry in differ:  # a change: written at the commit
            self.entries[entry["key"]] = self._array_changed(entry)
        self._rewrite = store.version != manifest_db.VERSION  # an older store
        # One not as melcli left it: its bad rows deleted, the view written
        # whole, and the commit recorded (even with nothing else to write).
        self._view_stale = view is None or not intact
        return True

    def problems_of_run(self, keys: Callable[[], Container[str]]) -> list[str]:
        """Return :attr:`problems` as a run says them; ``keys()``: its outputs.

        Of the entries that no longer agree with their facts, only those of
        the run's inputs are rebuilt now: the others (left out, ``--include``)
        by the next run that takes them.
        """
        if not self.disagreed:
            return self.problems
        run = keys()
        now = sum(1 for key in self.disagreed if key in run)
        later = len(self.disagreed) - now
        if not later:
            return self.problems
        line = _disagreed(self.source, len(self.disagreed))
        head = line.removesuffix("; their inputs are rebuilt")
        them = "it" if later == 1 else "them"
        if now:
            said = (
                f"{head}; {now} of their inputs {'is' if now == 1 else 'are'} "
                f"rebuilt now, the {later} left out of this run by the next run "
                f"that takes {them}"
            )
        else:
            inputs = "input is" if later == 1 else "inputs are"
            said = (
                f"{head}; their {inputs} left out of this run: rebuilt by the "
                f"next run that takes {them}"
            )
        return [said if p == line else p for p in self.problems]

    def read(self, path: Path) -> dict[str, Entry]:
        """Return the valid entries of the manifest file ``path``, by key.

        What is dropped (invalid lines, a file that is not a regular file) is
        said in one line of :attr:`problems`.
        """
        entries, problem = read_valid(path)
        if problem:
            self.problems.append(problem)
        if self.check_arrays:
            differ = 0
            for i, entry in enumerate(entries):
                if self._array_differs(entry):
                    entries[i] = self._array_changed(entry)
                    differ += 1
            if differ:
                self.problems.append(arrays_differ(path, differ))
        return {entry["key"]: entry for entry in entries}

    def _array_differs(self, entry: Entry) -> bool:
        """Return whether the one array of the valid ``entry`` is not as recorded."""
        npy = entry.get("npy")
        if (
            not npy
            or entry.get("status") not in ("written", "up-to-date")
            or "format" in entry
            or [n for n in entry.get("stamps", {}) if n != entry.get("png")] != [npy]
        ):
            return False  # none, or several (segments), or a sample in a shard
        recorded = recorded_array(entry)
        path = self.outdir.path(npy)
        if recorded is None or path is None:
            return False
        return array_differs(os.fspath(path), recorded)

    def _array_changed(self, entry: Entry) -> Entry:
        """Return ``entry``, whose array is not the one it records, as changed.

        Its stamp of the array becomes one the array does not have: the
        input is rebuilt ("output missing or changed"), and the rest of the
        entry stands (its outputs its own to prune, its settings its own).
        """
        npy = entry["npy"]
        path = self.outdir.path(npy)
        try:
            st = os.lstat(path) if path is not None else None
        except OSError:
            st = None
        if st is None:  # gone since: that is seen by its stamp
            return entry
        stamp = [st.st_size, st.st_mtime_ns ^ 1]
        return {**entry, "stamps": {**entry["stamps"], npy: stamp}}

    def begin(self) -> None:
        """Open the journal; until :meth:`commit`, it marks a run in progress.

        If it cannot be opened (OUT holds a link or a folder in its place),
        :attr:`journal_error` says so and the run goes on without it.

        A journal a killed run left may end in a torn line (a batch's lines
        go in more than one write), dropped when read: it is cut off first,
        so that this run's first line is not glued to it and dropped with it.
        """
        if self._journal is None and not self.journal_error:
            make_folders(self.out)
            try:
                fd = open_append(self.journal_path)
                try:
                    _cut_torn_line(fd)
                except OSError:
                    os.close(fd)
                    raise
                self._journal = os.fdopen(fd, "ab")
            except OSError as exc:
                self.journal_error = (
                    f"cannot write {self.journal_path}: {_reason(exc)}; if this "
                    "run is killed, the next one rebuilds what it wrote"
                )

    def check_length(self, entry: Entry) -> None:
        """Raise :class:`EntryTooLong` if :meth:`record` would refuse ``entry``."""
        line = _dumps(entry)
        if len(line) > manifest_db.MAX_RECORDED:
            raise EntryTooLong(entry, len(line))

    def record(self, entry: Entry, *, journal: bool = True) -> None:
        """Store ``entry`` and (unless ``journal`` is False) append it to the journal.

        If the journal cannot be written (a full disk), :attr:`journal_error`
        says why and the journal is left as it is (a torn last line is
        dropped when read): a run killed later rebuilds what it lacks.

        Raises
        ------
        EntryTooLong
            When ``entry``'s line is longer than a run reads back
            (:data:`~melcli.manifest_db.MAX_RECORDED`): nothing is recorded.
        """
        # Once, for the journal and the stage; an entry not journaled is the
        # manifest's own, read back, unless its table row is new.
        line = _dumps(entry) if journal or "meta" in entry else b""
        if len(line) > manifest_db.MAX_RECORDED:  # never read back: not kept
            raise EntryTooLong(entry, len(line))
        key = entry["key"]
        # An input passed over (``src:``), as the store has it already: it
        # is neither read whole to be compared, nor journaled, nor staged.
        if key[:4] == "src:" and line and self.entries.stored_as(key, line):
            return
        self.entries[key] = entry
        if not journal:
            return
        self.entries.stage(entry["key"], line)  # the run's own: out of memory
        if self.journal_error:
            return
        self.begin()
        if self._journal is None:
            return
        try:
            self._journal.write(line + b"\n")
            if not self._batch:
                self._journal.flush()
        except OSError as exc:
            self._journal_failed(exc)

    @contextlib.contextmanager
    def journal_batch(self) -> Iterator[None]:
        """Journal the entries recorded in the block together, written at its end.

        A run records the outcomes that came together (a nap's, with tiny
        files) as one: one write for all their journal lines (or a few, for
        many), not one each. A run killed before the end of the block may
        have journaled only some of them: the next run rebuilds the others
        (a torn last line is dropped when read).
        """
        if self._batch:
            yield
            return
        self._batch = True
        try:
            yield
        finally:
            self._batch = False
            self.journal_now()

    def journal_now(self) -> None:
        """Write the journal lines that wait for their batch's end, now.

        For records of outputs already in place (a closed shard, renamed
        into its final name): a run killed later in the batch keeps them,
        rather than leaving a whole shard that nothing records, which the
        next run would build again and delete.
        """
        if self._journal is not None:
            try:
                self._journal.flush()
            except OSError as exc:
                self._journal_failed(exc)

    def _journal_failed(self, exc: OSError) -> None:
        """Stop journaling and say why (a full disk); a torn last line is dropped."""
        self.journal_error = (
            f"cannot write {self.journal_path}: {os_reason(exc)}; if this run "
            "is killed, the next one rebuilds what it wrote"
        )
        assert self._journal is not None
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
        if self.read_only:
            raise MelcliError(f"{self.out}: read only, not written")
        blocked = None
        try:
            make_folders(self.out)  # gone: deleted with the folder it was in
            if self.store_path is None:
                write_entries(self.path, self.entries)
            else:
                self._write_store(self.store_path)
        except OSError as exc:
            raise MelcliError(f"cannot write {self.path}: {os_reason(exc)}") from None
        except _ViewWritten as exc:  # the journal is not needed: the view has all
            blocked = MelcliError(
                f"cannot write {self.store_path}: {exc}; {MANIFEST_NAME} records "
                "this run (and is read whole by every run until then)"
            )
        except manifest_db.StoreError as exc:
            raise MelcliError(f"cannot write {self.path}: {exc}") from None
        finally:  # the journal stays on disk when the manifest is not written
            if self._journal is not None:
                self._journal.close()
                self._journal = None
        with contextlib.suppress(FileNotFoundError, IsADirectoryError):
            self.journal_path.unlink()
        if blocked is not None:
            raise blocked

    def _write_store(self, store_path: Path) -> None:
        """Write the entries that changed to the store, and its view if needed.

        Nothing is written when nothing changed. The view is written inside
        the store's transaction: a run killed in between leaves a view the
        store does not know, which the next run reads.
        """
        entries = self.entries
        # The first re-run after a build changes every status: in place, in
        # the store (Store.write's flip), not read and written whole.
        flip = entries.flipped()
        if not (entries.changed or flip or self._rewrite or self._view_stale):
            return
        flip = [] if self._rewrite else flip
        every = 0 if self._rewrite else entries.every_written()
        keys = entries if self._rewrite else set(entries.changed)
        count = len(entries.changed) + len(flip)  # entries changed

        def lines(keys: Iterable[str]) -> Iterator[tuple[str, bytes, bytes]]:
            held = keys if isinstance(keys, (set, Entries)) else set(keys)
            for key, put in entries.puts(held):
                if put is not None:  # else the stored one stays
                    yield key, *put

        drop = [k for k in keys if k not in entries]
        # A few entries changed, all of them in the view: their lines are
        # written over (manifest_view), not the whole file.
        patch = (
            not (self._rewrite or self._view_stale or drop)
            and manifest_view.worth_patching(count, len(entries))
            and all(entries.was_stored(key) for key in entries.changed)
        )

        def view(store: manifest_db.Store) -> dict[str, str]:
            if patch:
                read = [(k, store.entry(k)) for k in sorted({*keys, *flip})]
                lines = [(k, line) for k, line in read if line is not None]
                known = store.state("view")
                if known and len(lines) == len(read):
                    patched = manifest_view.patch(self.path, lines, known)
                    if patched is not None:
                        return {"view": patched}
            bad: list[str] = []  # rows another program wrote, made to look intact
            # Only the rows of the run's entries (its facts): a store made to
            # look intact may hold a row of no facts in place of one that is
            # missing (counted, they agreed). The one goes, and the facts of
            # the other too, so its input is rebuilt by the next run.
            missing = {manifest_db.db_key(key) for key in entries}
            manifest_view.write_whole(self.path, store.entries(bad, keys=missing))
            bad += missing
            if bad:
                store.drop_entries(bad)
                self.late_problems.append(_dropped(store_path, len(bad)))
            return {"view": manifest_db.file_id(self.path) or ""}

        if self._rewrite:
            store = manifest_db.rebuild(store_path)
            try:
                store.write(lines(keys), then=view)
            except BaseException:
                manifest_db.discard(store)
                raise
            try:
                manifest_db.swap(store, store_path)
            except manifest_db.StoreBlocked as exc:
                raise _ViewWritten(str(exc)) from None
        else:
            with manifest_db.Store(store_path) as store, self._reading(store):
                store.write(
                    lines(keys),
                    drop=drop,
                    drop_rows=self._drop_rows,
                    flip=flip,
                    flipped=entries.flipped_facts,
                    every_written=every,
                    unpacked_flips=entries.unpacked_flips() if every else (),
                    rewrite=lines,
                    then=view,
                )
        entries.written()
        self._rewrite = self._view_stale = False
        self._drop_rows = None

    @contextlib.contextmanager
    def _reading(self, store: manifest_db.Store) -> Iterator[None]:
        """Read entries through ``store`` (being written) for a while.

        Another connection could not read once this one's transaction holds
        the file's exclusive lock (SQLite does, when its cache spills).
        """
        reader = self._reader
        if reader is None:
            yield
            return
        was, reader.store = reader.store, store
        try:
            yield
        finally:
            reader.store = was

    def unchanged(
        self,
        key: str,
        *,
        input_stamp: list[int] | None,
        settings: str,
        format: str = "npy",
    ) -> str | None:
        """Return the status of an input found up to date without parsing its entry.

        When the facts of ``key``'s entry are, to the byte, those of one
        ``.npy`` with no PNG and no table row, made with ``settings`` from an
        input of ``input_stamp``, and the array still has its stamp: the
        usual input of a re-run. None otherwise (ask :meth:`why_rebuild`).
        """
        with self.unchanged_test(settings=settings, format=format) as test:
            return test(key, input_stamp)

    @contextlib.contextmanager
    def unchanged_test(
        self, *, settings: str, format: str = "npy"
    ) -> Iterator[Callable[[str, list[int] | None], str | None]]:
        """Give :meth:`unchanged` for ``settings`` and ``format``, as a function.

        ``test(key, input_stamp)``: what it looks up is bound once, for it
        is asked of every input of a re-run. The array is looked up in its
        folder, opened once for the inputs of that folder (a plan keeps them
        together): a shorter lookup per file than its whole path. The folder
        is closed when the ``with`` block ends.
        """
        if format != "npy":
            yield lambda key, input_stamp: None
            return
        entries = self.entries
        facts, held, flipped = entries._facts, entries._held, entries._flipped
        built, tail, unpack = _built(settings), _LEAN.size, _LEAN.unpack_from
        folder_of = _FolderOf(self.outdir)
        is_file, os_stat, stamp_of = stat.S_ISREG, os.stat, self.outdir.stamp

        def test(key: str, input_stamp: list[int] | None) -> str | None:
            packed = facts.get(key)
            if type(packed) is not bytes or key in held or key in flipped:
                return None
            status = built.get(packed[tail:])
            if status is None or input_stamp is None:  # failed, other settings
                return None
            size, mtime, array_size, array_mtime = unpack(packed)
            if size != input_stamp[0] or mtime != input_stamp[1]:
                return None
            folder, _, name = key.rpartition("/")
            fd = folder_of.held(folder)
            if fd < 0:  # not a folder inside OUT, or no lookup by folder here
                return status if stamp_of(key) == [array_size, array_mtime] else None
            try:  # a name alone (no "/"): a file of that folder, or none
                st = os_stat(name, dir_fd=fd, follow_symlinks=False)
            except (OSError, ValueError):
                return None
            if st.st_size != array_size or st.st_mtime_ns != array_mtime:
                return None
            return status if is_file(st.st_mode) else None

        try:
            yield test
        finally:
            folder_of.close()

    def sift_unchanged(
        self,
        jobs: Iterable[Job],
        *,
        settings: str,
        up_to_date: list[Job],
        flips: bytearray,
    ) -> Iterator[Job]:
        """Take the usual up-to-date inputs out of ``jobs``; yield the others.

        :meth:`unchanged` for every job of a plan (``npy``, nothing forced),
        in one loop: a job found so goes to ``up_to_date``, and to ``flips``
        whether its status changes from ``written``; every other job (a PNG,
        a table row, facts not packed, anything changed) is yielded, in
        order, for the caller to decide on. The packed facts are compared
        with the input's and the array's stamps packed alike, not unpacked
        and compared number by number. The arrays are looked up as
        :meth:`unchanged_test` does, in their folder held open (a job whose
        folder cannot be, is yielded). A folder moved out of OUT while held is
        found so once the loop is done with it: the jobs found up to date in
        it are yielded after all (:meth:`_FolderOf.taken_back`).
        """
        entries = self.entries
        facts, held, flipped = entries._facts, entries._held, entries._flipped
        # The packed facts of an input built with these settings: the stamps,
        # then one of these (told without a slice made, nor hashed).
        up, written = (f"{s}\0{settings}".encode() for s in ("up-to-date", "written"))
        tail, pack = _LEAN.size, _LEAN.pack
        up_size, written_size = tail + len(up), tail + len(written)
        prefix = os.path.join(os.fspath(self.out), "") if os.sep == "/" else "\0"
        start = len(prefix)
        folder_of = _FolderOf(self.outdir)
        is_file, os_stat = stat.S_ISREG, os.stat
        add, flip = up_to_date.append, flips.append
        # None held whole (the usual re-run; decide reads a few more whole, as
        # stored: their packed facts say the same).
        clean = not held and not flipped
        since = 0  # where the jobs found up to date in the folder held begin
        # Where, since then, the caller added jobs it decided itself (those
        # yielded to it): not the folder's, not taken back with it.
        theirs: list[tuple[int, int]] = []
        try:
            for job in jobs:
                _, _, npy, png, meta, size, mtime = job  # at once, not a call each
                key = npy[start:]
                packed = facts.get(key) if npy[:start] == prefix else None
                # Else not the usual input, or facts not packed: yielded.
                if (
                    type(packed) is bytes
                    and png is None
                    and not meta
                    and size is not None
                    and (clean or (key not in held and key not in flipped))
                ):
                    if len(packed) == up_size and packed.endswith(up):
                        written_before: bool | None = False
                    elif len(packed) == written_size and packed.endswith(written):
                        written_before = True
                    else:  # failed, or built with other settings
                        written_before = None
                    if written_before is not None:
                        folder, _, name = key.rpartition("/")
                        if folder != folder_of.name or folder_of.deep:
                            yield from folder_of.taken_back(
                                up_to_date, flips, since, theirs
                            )
                            since, theirs = len(up_to_date), []
                            fd = folder_of.open(folder)
                        else:
                            fd = folder_of.fd
                        # Not held open (fd < 0): looked up by the caller.
                        try:  # a name alone (no "/"): a file of that folder
                            st = None
                            if fd >= 0:
                                st = os_stat(name, dir_fd=fd, follow_symlinks=False)
                        except (OSError, ValueError):  # missing
                            pass
                        if (
                            st is not None
                            and packed[:tail]
                            == pack(size, mtime, st.st_size, st.st_mtime_ns)
                            and is_file(st.st_mode)
                        ):
                            add(job)
                            flip(written_before)
                            continue
                n = len(up_to_date)
                yield job
                if len(up_to_date) > n:
                    theirs.append((n, len(up_to_date)))
            yield from folder_of.taken_back(up_to_date, flips, since, theirs)
        finally:
            folder_of.close()

    def why_rebuild(
        self,
        key: str,
        *,
        input_stamp: list[int] | None,
        settings: str,
        format: str = "npy",
        policies: Mapping[str, str] | None = None,
    ) -> str | None:
        """Return why the array under ``key`` must be (re)built, or None if not.

        ``input_stamp`` is the input's :func:`file_stamp` now; ``format`` the
        storage format of this run (``npy`` or ``webdataset``); ``policies``
        this run's :data:`~melcli.params.POLICIES`, which an entry made by
        one (an input cut short and kept) must still have. Reasons:
        ``new``, ``failed last time``, ``settings changed``, ``format changed``,
        ``input changed``, ``output missing or changed``.
        """
        entry = self.entries.facts(key)
        if not entry:
            return "new"
        if entry.get("status") not in ("written", "up-to-date"):
            return "failed last time"
        if entry.get("settings") != settings:
            return "settings changed"
        made_by = entry.get("policies")
        if isinstance(made_by, dict) and policies is not None:  # else not told
            changed = (policies.get(n) != value for n, value in made_by.items())
            if any(changed):
                return "settings changed"
        if entry.get("format", "npy") != format:
            return "format changed"
        if entry.get("input") != input_stamp:
            return "input changed"
        stamp = self.outdir.stamp
        if shard := entry.get("shard"):  # a sample in a tar shard (webdataset)
            if entry.get("stamps", {}).get(shard) != stamp(shard):
                return "output missing or changed"
            return None
        npy = entry.get("npy")
        stamps = entry.get("stamps", {})
        arrays = [n for n in stamps if n != entry.get("png")]  # segments: several
        if not npy or npy not in stamps:
            return "output missing or changed"
        if any(stamps[n] != stamp(n) for n in arrays):
            return "output missing or changed"
        return None

    def png_up_to_date(self, key: str, png: str) -> bool:
        """Return whether ``key``'s PNG exists as it was recorded."""
        recorded = (self.entries.facts(key) or {}).get("stamps", {}).get(png)
        return recorded is not None and recorded == self.outdir.stamp(png)

    def stale(
        self, keys: set[str], jobs: Iterable[Job] = (), *, roots: Iterable[str] = ()
    ) -> list[str]:
        """Return the keys, not among ``keys``, of entries whose input is gone.

        An input merely left out of this run (by ``--include``, ``--ext`` or a
        narrower SRC) still exists: its entry and outputs are not stale. Nor
        are those whose claim cannot be trusted (:meth:`_trusted_stale`).

        Only the run's own input folders are looked in: ``roots`` (absolute,
        each with a final ``/``: :attr:`melcli.discover.Plan.roots`), else
        those of its ``jobs``. An entry whose input lies elsewhere (by the
        path OUT records, which may be crafted) is not looked up at all: it
        is kept, as an input left out is. Nothing outside the run's inputs
        is looked at because of what OUT holds.
        """
        entries = self.entries
        left_out = [k for k in entries if k not in keys]
        if not left_out:
            return left_out
        jobs = list(jobs)
        own = tuple(roots) or _job_roots(jobs)
        if not own:
            return []
        # Their inputs' paths as stored, all in one query: an entry is read
        # whole (and checked) only when its input seems gone. Read each
        # whole, a run of a few inputs (--include) over a large OUT read
        # every other entry of it.
        said = dict(entries.sources()) if len(left_out) > _READ_ALONE else {}
        gone = []
        for key in left_out:
            source = said.get(key)
            if (isinstance(source, str) and source) and (
                not _inside(source, own) or os.path.lexists(source)
            ):
                continue
            source = _source_of(entries[key])
            if _inside(source, own) and not os.path.lexists(source):
                gone.append(key)
        if not gone:
            return gone
        return sorted(self._trusted_stale(gone, left_out, own))

    def _trusted_stale(
        self, gone: list[str], left_out: list[str], own: tuple[str, ...]
    ) -> Iterator[str]:
        """Yield the keys of ``gone`` whose claim to be stale can be trusted.

        An entry whose output is not its own input's name (``x.npy`` for
        ``gone.wav``: crafted, as any line in OUT may be) is dropped, with one
        line, its files kept: it would have deleted another input's output.
        One whose output an audio file beside a known input folder still
        writes (``x.npy`` of ``SRC/x.flac``, an input this run leaves out; by
        the SRC folders of its own input, and of the entries ``left_out``
        whose input is there, all inside the run's input folders ``own``) is
        left alone: that output is the live input's.
        """
        entries = self.entries
        untrusted = [
            k for k in gone if entries[k].get("stamps") and not own_key(k, entries[k])
        ]
        for key in untrusted:
            del entries[key]
        if untrusted:
            one = len(untrusted) == 1
            self.problems.append(
                f"{self.source}: dropped {len(untrusted)} "
                f"{'entry' if one else 'entries'} whose output is not named after "
                f"{'its' if one else 'their'} input (e.g. {untrusted[0]}); nothing "
                "is deleted because of "
                f"{'it' if one else 'them'}"
            )
        # The SRC folders of the entries whose input is there (a folder whose
        # every input the manifest knows is gone holds none of them: a
        # crafted entry's own folder is looked in for it alone), inside the
        # run's own.
        gone_now = set(gone)
        roots = {
            r
            for k in left_out
            if k in entries
            and k not in gone_now
            and (r := _root_of(entries[k]))
            and _inside(r, own)
        }
        roots.update(own)
        found = _Folders()
        for key in (k for k in gone if k in entries):
            stem = _output_stem(key)
            if stem is None:
                yield key
                continue
            mine = _root_of(entries[key])
            if mine is not None and not _inside(mine, own):
                mine = None
            if not any(found.writes(root, stem) for root in roots) and not (
                mine is not None and mine not in roots and found.writes(mine, stem)
            ):
                yield key

    def astray(self, keys: set[str], stale: Iterable[str]) -> list[str]:
        """Return the keys, not among ``keys`` nor ``stale``, of entries out of OUT.

        Those whose every output lies under a folder of OUT that leads out of
        it (a symbolic link): no run writes, reads or deletes through it, and
        every reader refuses OUT for such an entry. Its input is still there
        (not stale) but left out of this run, so nothing else would drop it.
        """
        entries, path = self.entries, self.outdir.path
        skip = set(stale)
        found = []
        for key in entries:
            if key in keys or key in skip:
                continue
            stamps = (entries.facts(key) or {}).get("stamps")
            if stamps and all(path(name) is None for name in stamps):
                found.append(key)
        return sorted(found)

    def vanished(self, keys: set[str], skip: Iterable[str]) -> list[str]:
        """Return the keys, not among ``keys`` nor ``skip``, of entries gone from OUT.

        Those that record outputs none of which is in OUT (deleted by hand,
        or never there: a crafted entry under another name of a live input,
        which no run rebuilds, nor ``--prune`` deletes, its input being
        there). Forgotten, they cost nothing: an input left out of this run
        whose outputs are gone is rebuilt by the next run that takes it, as
        it would be anyway; kept, ``melcli stats`` and the loader refuse OUT.
        """
        entries, holds = self.entries, self.outdir.holds_any
        skipped = set(skip)
        found = []
        for key in entries:
            if key in keys or key in skipped:
                continue
            stamps = (entries.facts(key) or {}).get("stamps")
            if isinstance(stamps, dict) and stamps and not holds(stamps):
                found.append(key)
        return sorted(found)

    def taken_now(
        self, keys: set[str], taken: Callable[[], Mapping[str, str]]
    ) -> list[str]:
        """Return the ``src:`` keys, not among ``keys``, of inputs this run takes.

        An input passed over (``--include`` left it out) or failed before any
        work is recorded under ``src:PATH``. A later run that takes it records
        it under its output's key, and the old entry says what is no longer
        so: unless the input was rebuilt (a new place forgets it), it stayed
        for good, the gallery counting the input as skipped too. ``taken``
        maps each of the run's inputs, by its path as reached, to its absolute
        path (made only if there is such an entry). Only the entries of those
        paths are read, to check that they are of the same file (a run from
        another working folder reaches another file by that path).
        """
        entries = self.entries
        passed = [k for k in entries if k.startswith("src:") and k not in keys]
        if not passed:
            return []
        inputs = taken()
        return [
            k
            for k in passed
            if (path := inputs.get(k[len("src:") :])) is not None
            and _source_of(entries.get(k) or {}) == path
        ]

    def forget(self, key: str) -> None:
        """Drop ``key``'s entry (one with no outputs left to delete)."""
        if key in self.entries:
            del self.entries[key]

    def own_outputs(self, key: str, entry: Entry) -> list[str]:
        """Return the files ``entry`` (under ``key``) records that are its own alone.

        Not those that are the output of another entry, or of one of the
        run's inputs (:attr:`OutDir.live`), under its own name: a segment
        file name ``a.001.npy`` that ``a.000.npy``'s entry records is
        ``SRC/a.001.wav``'s array too (crafted, or made with another segment
        layout). Deleting the one entry's files must not delete the other's.
        """
        names = [n for n in entry.get("stamps", {}) if isinstance(n, str)]
        if len(names) <= 1:  # the usual entry: its key alone
            return names
        live = self.outdir.live() if self.outdir.live is not None else ()
        entries = self.entries
        return [
            n
            for n in names
            if n == key or not (n in live or (n != key and n in entries))
        ]

    def prune(self, key: str) -> list[Path]:
        """Delete the outputs of ``key`` and forget it; return what was removed.

        If one cannot be deleted (:attr:`OutDir.failures` says why), ``key``
        is kept: its outputs are still there, and the next run tries again.
        """
        failed = len(self.outdir.failures)
        removed = self.outdir.remove(self.own_outputs(key, self.entries[key]))
        if len(self.outdir.failures) == failed:
            self.entries.pop(key)
        return removed


def _lstat_is(path: str | os.PathLike[str], kind: Callable[[int], bool]) -> bool:
    """Return whether ``path`` is of ``kind`` (``stat.S_ISDIR``), a link not followed.

    ``os.path.isdir`` follows a link: OUT's may lead anywhere, and nothing
    outside OUT is looked at because of what OUT holds.
    """
    try:
        return kind(os.lstat(path).st_mode)
    except OSError:
        return False


def _cut_torn_line(fd: int) -> None:
    """Cut what follows the last newline of the file ``fd`` (a torn line) off it."""
    size = end = os.fstat(fd).st_size
    while end > 0:
        start = max(0, end - (1 << 16))
        newline = os.pread(fd, end - start, start).rfind(b"\n")
        if newline >= 0:
            end = start + newline + 1
            break
        end = start
    if end < size:
        os.ftruncate(fd, end)


class _FolderOf:
    """One folder of OUT held open, to look files up in it by their names.

    Opened only once it is a safe name that :meth:`OutDir.folder_problem`
    finds inside OUT; none is open (:attr:`fd` below 0) for any other, or
    where the system cannot look a name up relative to a folder (then
    :meth:`OutDir.stamp` looks up each file). One folder at a time: a tree of
    many folders holds one descriptor.
    """

    def __init__(self, outdir: OutDir) -> None:
        self.outdir = outdir
        self.name: str | None = None
        self.fd = -1
        #: Where the folder held was found (its path, and a
        #: :data:`~melcli.outdir.Place`), and OUT's (device, inode).
        self._path = ""
        self._place: Place | None = None
        self._top = folder_id(outdir.out)

    def held(self, folder: str) -> int:
        """Return the descriptor of ``folder``, held open (opened now if not yet).

        The folder held since an earlier name is looked in only if it is
        still where it was opened (:func:`~melcli.outdir.in_place`): one moved
        out of OUT meanwhile (its descriptor follows it) is opened anew, by
        its name, from OUT down.
        """
        if folder != self.name:
            return self.open(folder)
        fd, place = self.fd, self._place
        if fd < 0 or (place is not None and in_place(fd, place, self._top, self._path)):
            return fd
        return self.open(folder)

    @property
    def deep(self) -> bool:
        """Whether the folder held is too deep to tell where it is (opened per name)."""
        return self.fd >= 0 and self._place is None

    def taken_back(
        self,
        found: list[Job],
        flips: bytearray,
        since: int,
        theirs: Sequence[tuple[int, int]] = (),
    ) -> list[Job]:
        """Take ``found[since:]`` (and their ``flips``) back if the folder moved.

        For a loop over many names (:meth:`Manifest.sift_unchanged`) that
        checks where the folder is once, when it is done with it, not before
        each name (a ``stat`` each: a no-op re-run of 20 000 inputs took 19%
        more CPU): the jobs found up to date in a folder moved out of OUT
        meanwhile are returned, to be decided again (their arrays are no
        longer in OUT). ``found[since:]``: those found in the folder held,
        but the ranges ``theirs`` (``(start, end)`` in order: added by the
        loop's caller, which decided them; taken back, they were decided
        twice, as if found in the folder).
        """
        place = self._place
        if (
            self.fd < 0
            or place is None
            or in_place(self.fd, place, self._top, self._path)
        ):
            return []
        moved: list[Job] = []
        kept: list[Job] = []
        kept_flips = bytearray()
        at = since
        for first, end in theirs:
            moved += found[at:first]
            kept += found[first:end]
            kept_flips += flips[first:end]
            at = end
        moved += found[at:]
        found[since:] = kept
        flips[since:] = kept_flips
        return moved

    def open(self, folder: str) -> int:
        """Hold ``folder`` (relative to OUT) open instead; return its descriptor."""
        self.close()
        self.name = folder
        if not _DIR_FD or (folder and not safe_name(folder)):
            return self.fd
        if self.outdir.folder_problem(folder) is not None:
            return self.fd
        if self.outdir.live is not None and self.outdir.aliased(folder):
            return self.fd  # by OutDir.stamp: another input's files, perhaps
        path = os.path.join(self.outdir.out, folder) if folder else self.outdir.out
        if not short_enough(path):  # found by name, but not by its path
            return self.fd
        # Opened from OUT down: a folder swapped for a link out of OUT since
        # folder_problem found it inside is not followed (by path, it was).
        with contextlib.suppress(OSError):  # missing: its files are too
            self.fd = open_folder(os.fspath(self.outdir.out), folder)
            # None (too deep to tell where it is): opened anew for each name.
            self._place, self._path = folder_place(self.fd, self._top), str(path)
        return self.fd

    def close(self) -> None:
        """Close the folder held open, if one is."""
        # Forgotten first: a signal right after the close would leave the
        # number, closed, for the ``finally`` that calls this again (EBADF
        # over the interrupt, or another file's descriptor closed).
        fd, self.name, self.fd, self._place = self.fd, None, -1, None
        if fd >= 0:
            os.close(fd)


#: Whether files can be looked up relative to an open folder, links not followed.
_DIR_FD = {
    os.stat,
    os.open,
} <= os.supports_dir_fd and os.stat in os.supports_follow_symlinks


def write_entries(path: Path, entries: Mapping[str, Entry]) -> None:
    """Write ``entries`` to ``path`` atomically, one JSON line each, sorted by key."""
    lines = b"".join(_dumps(entries[k]) + b"\n" for k in sorted(entries))
    atomic_write(path, lambda f: _write_all(f, lines))


def read_valid(path: Path) -> tuple[list[Entry], str]:
    """Return the valid entries of a manifest file, and what was dropped, if any.

    The second item is one line naming ``path`` and how many entries were
    dropped (wrong types, names outside OUT, lines that are not JSON
    objects), or why the file was not read; empty when all is well. A torn
    last line (a killed writer's) is dropped without a word.
    """
    try:
        f = open_regular(path)
        if f is None:
            return [], ""
        with f:  # read a block at a time: not the whole file at once
            too_long = [0]
            entries, dropped = _valid(_lines(f, too_long), torn_last=True)
    except OSError as exc:
        if _lstat_is(path, stat.S_ISDIR):
            # No file melcli wrote, so no entry lost; nor will a run remove
            # it (not melcli's to delete): said so, not "rebuilt" run after run.
            return [], f"{path}: not read (a folder, not a file: remove it)"
        return [], f"{path}: not read ({_reason(exc)}); its inputs are rebuilt"
    dropped += too_long[0]
    return entries, _dropped(path, dropped) if dropped else ""


#: Bytes of a manifest file read at once.
_BLOCK = 1 << 20


def _lines(f: BinaryIO, too_long: list[int]) -> Iterator[bytes]:
    """Yield the lines of ``f`` (without their newlines), read a block at a time.

    A line longer than :data:`manifest_db.MAX_ENTRY` is not held: it is
    counted in ``too_long[0]`` and passed over. So a crafted file of
    gigabytes takes a block and at most one line of memory, beyond the
    entries kept; one of melcli's is some 1 KiB a line.
    """
    cap = manifest_db.MAX_ENTRY
    head: list[bytes] = []  # the start of the line being read, over blocks
    size = 0  # its length so far; -1 once it is too long (passed over)
    while block := f.read(_BLOCK):
        lines = block.split(b"\n")
        rest = lines.pop()  # the start of a line that ends in a later block
        if lines:
            if size < 0 or size + len(lines[0]) > cap:
                too_long[0] += 1
                del lines[0]
            elif head:
                lines[0] = b"".join([*head, lines[0]])
            head, size = [], 0
            yield from lines  # (each shorter than a block, the first but)
        if size >= 0:
            size += len(rest)
            if size > cap:
                head, size = [], -1
            elif rest:
                head.append(rest)
    if size < 0:
        too_long[0] += 1
    else:  # empty after a last newline: what follows it is no torn line
        yield b"".join(head)


#: The usual facts, packed (:func:`lean_facts`): the input's stamp and the
#: array's, then ``status NUL settings`` in UTF-8.
_LEAN = struct.Struct("<4q")
#: Fields no usual entry has (the array alone: no PNG, no table row...).
_NOT_USUAL = ("format", "png", "shard", "render", "meta", "policies")


def lean_facts(entry: Entry) -> bytes:
    """Return the facts of ``entry`` packed, if it is the usual one; else ``b""``.

    The usual entry: one ``.npy`` under its own key, its input's and its
    stamps, no PNG, no table row, no shard; the key a safe name that JSON
    spells as it is (:data:`_PLAIN`). What the store's ``facts`` table holds,
    and what a run holds per such entry (a bytes object of some 60 bytes).
    """
    key, status, settings = entry.get("key"), entry.get("status"), entry.get("settings")
    stamps = entry.get("stamps")
    if not (
        type(key) is str
        and type(status) is str
        and type(settings) is str
        and entry.get("npy") == key
        and type(stamps) is dict
        and len(stamps) == 1
        and _is_stamp(stamps.get(key))
        and _is_stamp(entry.get("input"))
        and all(entry.get(name) is None for name in _NOT_USUAL)
        and _PLAIN_TEXT.fullmatch(f"{status}\0{settings}")
        and manifest_db.db_key(key) == key
        and safe_name(key)
    ):
        return b""
    return _pack(status, settings, *entry["input"], *stamps[key])


@functools.lru_cache(maxsize=8)
def _built(settings: str) -> dict[bytes, str]:
    """Return the packed tails of an entry built with ``settings``, to its status."""
    return {f"{s}\0{settings}".encode(): s for s in ("up-to-date", "written")}


def _pack(status: str, settings: str, *numbers: int) -> bytes:
    return _LEAN.pack(*numbers) + f"{status}\0{settings}".encode()


def _unpack(packed: bytes | bytearray) -> tuple[Any, ...]:
    """Return ``(status, settings, size, mtime, array size, array mtime)``."""
    status, _, settings = packed[_LEAN.size :].decode(errors="replace").partition("\0")
    return (status, settings, *_LEAN.unpack_from(packed))


def _repacked(packed: bytes, status: str) -> bytes:
    """Return ``packed`` facts with another status."""
    settings = packed[_LEAN.size :].partition(b"\0")[2]
    return packed[: _LEAN.size] + status.encode() + b"\0" + settings


#: A status and a settings fingerprint that JSON spells as they are (ASCII),
#: NUL between.
_PLAIN_TEXT = re.compile(r"[ !#-\[\]-~]*\x00[ !#-\[\]-~]*")

#: Lines parsed in one ``json.loads`` call: its key memo then shares each
#: field name among the entries of a chunk (a third of an entry's memory).
_CHUNK = 1024
#: Fields whose values repeat from entry to entry, held once.
_SHARED = ("status", "error", "settings", "format", "render", "melcli", "librosa")


def _valid(lines: Iterable[bytes], *, torn_last: bool) -> tuple[list[Entry], int]:
    """Return the valid entries among JSON ``lines``, and how many were dropped.

    With ``torn_last``, a last line that is not JSON is dropped without
    counting (a killed writer's).
    """
    entries: list[Entry] = []
    dropped = 0
    shared: dict[str, str] = {}
    it = iter(lines)
    chunk = list(itertools.islice(it, _CHUNK))
    while chunk:
        following = list(itertools.islice(it, _CHUNK))
        if max(map(len, chunk)) > manifest_db.MAX_ENTRY:  # crafted: not parsed
            short = [line for line in chunk if len(line) <= manifest_db.MAX_ENTRY]
            dropped += len(chunk) - len(short)
            chunk = short
        body = [line for line in chunk if line.strip()]
        parsed = _parse_all(body)
        if parsed is None:  # some line is not JSON: each alone
            parsed = []
            for n, line in enumerate(chunk):
                if not line.strip():
                    continue
                try:
                    parsed.append(json.loads(line))
                except (ValueError, RecursionError):
                    torn = not following and n == len(chunk) - 1
                    dropped += not (torn_last and torn)
        for entry in parsed:
            if entry_problem(entry) is not None:
                dropped += 1
                continue
            assert isinstance(entry, dict)
            _share(entry, shared)
            entries.append(entry)
        chunk = following
    return entries, dropped


def _share(entry: Entry, shared: dict[str, str]) -> None:
    """Hold the strings ``entry`` repeats (of itself, of other entries) once."""
    for name in _SHARED:
        value = entry.get(name)
        if type(value) is str:
            entry[name] = shared.setdefault(value, value)
    if entry.get("npy") == entry["key"]:
        entry["npy"] = entry["key"]
    if entry.get("source_abs") == entry.get("source_path"):
        entry["source_abs"] = entry.get("source_path")
    warnings = entry.get("warnings")
    if warnings:
        entry["warnings"] = [shared.setdefault(w, w) for w in warnings]


def _parse_all(lines: list[bytes]) -> list[object] | None:
    """Return the JSON value of each line, parsed at once; None if one is not JSON."""
    if not lines:
        return []
    try:
        values = json.loads(b"[" + b",".join(lines) + b"]")
    except (ValueError, RecursionError):
        return None
    # A line of two values ("{...}, {...}") is not an entry: each alone then.
    return values if len(values) == len(lines) else None


def _plain_facts(number: str) -> re.Pattern[str]:
    return re.compile(
        r'\["([ !#-\[\]-~]+)","([^"\\]*)","([^"\\]*)",null,'
        rf"\[({number}),({number})\],"
        rf'\{{"\1":\[({number}),({number})\]\}},"\1",null,null,null,null,null\]'
    )


#: The facts of one ``.npy`` with no PNG nor table row (nor shard, render,
#: meta, policies: the nulls), as SQLite writes them:
#: a key that JSON spells as it is, a status and settings, the input's stamp,
#: the array's (under the key), the array itself: the usual entry.
_PLAIN = _plain_facts("[0-9]{1,19}")
#: The same, of numbers that are below 2**63 by their shape (below 9 * 10**18).
_PLAIN_SHORT = _plain_facts("[0-8]?[0-9]{1,18}")


def _plain(column: str, text: str) -> bool:
    """Return whether ``text`` is the facts of a usual, valid entry under ``column``.

    As :func:`entry_problem` would find, without parsing: the key is a safe
    name (and its own column), every number is below 2**63.
    """
    return _plain_match(column, text) is not None


def _plain_match(column: str, text: str) -> re.Match[str] | None:
    """Return the match of :data:`_PLAIN` if :func:`_plain` holds, else None."""
    match = _PLAIN_SHORT.fullmatch(text)
    if match is None:  # a number of 19 digits from 9: compared
        match = _PLAIN.fullmatch(text)
        if match is None or not all(
            len(n) < 19 or n <= "9223372036854775807" for n in match.groups()[3:]
        ):
            return None
    return match if match[1] == column and safe_name(column) else None


def _read_facts(
    store: manifest_db.Store,
) -> tuple[dict[str, str | bytes | Entry], dict[str, Entry], int, bool]:
    """Read the facts of every stored entry (see :func:`_valid_facts`).

    The usual ones packed, as the store's ``facts`` table holds them (one
    query of a small table); the others from the entries' JSON. A store of
    version 1 has no such table: every entry's facts from its JSON. Last,
    whether every packed one is a row of that table (none packed from JSON).
    """
    if store.version == 1:
        return (*_valid_facts(store.facts(FACTS)), False)
    packed, others = store.packed()
    # A row of packed facts is the usual entry's by its size alone: its key,
    # as stored, is checked as an entry's is (a crafted "../x.npy" was held,
    # and a reader's remedy said to delete OUT/../x.npy). One found: dropped,
    # and the store checked whole (its rows deleted at the run's commit).
    bad = _unsafe_keys(packed)
    for key in bad:
        del packed[key]
    facts = cast(dict[str, str | bytes | Entry], packed)
    if not others and not bad:
        return facts, {}, 0, True
    more, samples, dropped = _valid_facts(store.facts(FACTS, others=True))
    dropped += len(bad)
    facts.update(more)
    return facts, samples, dropped, not any(type(v) is bytes for v in more.values())


def _unsafe_keys(packed: Mapping[str, bytes]) -> list[str]:
    """Return the keys of ``packed`` facts that no usual entry has.

    A usual entry's key is a safe name of an array (:func:`entry_problem`),
    spelt by JSON as it is (:func:`manifest_db.db_key`). Told of all keys at
    once, joined (a pass in C over 100 000 keys); only when one fails are
    they looked at one by one.
    """
    if not packed:
        return []
    joined = "\n" + "\n".join(packed) + "\n"
    if (
        joined.count(".npy\n") == len(packed)
        and joined.count("\n") == len(packed) + 1  # no key holds a newline
        and joined.isascii()
        and joined.replace("\n", "").isprintable()
        and not any(
            bad in joined for bad in ('"', "\\", "//", "\n/", "/\n", "\n.", "/.")
        )
    ):
        return []
    return [
        key
        for key in packed
        if not (
            key.endswith(".npy")
            and "\n" not in key
            and safe_name(key)
            and manifest_db.db_key(key) == key
        )
    ]


def _pack_match(plain: re.Match[str]) -> bytes:
    """Return the usual facts matched by :data:`_PLAIN`, packed (:func:`lean_facts`)."""
    status, settings, *numbers = plain.groups()[1:]
    return _pack(status, settings, *map(int, numbers))


def _valid_facts(
    rows: Iterable[tuple[str, str | None, str | None]],
    *,
    pack: Callable[[re.Match[str]], str | bytes] = _pack_match,
) -> tuple[dict[str, str | bytes | Entry], dict[str, Entry], int]:
    """Check the facts of stored entries (:meth:`manifest_db.Store.facts`).

    Return the facts kept by key (the usual ones as ``pack`` holds them),
    those of the samples in shards (read whole and checked, a chunk at a
    time, and held as :data:`SAMPLE_FACTS`; also among the facts), and how
    many were dropped: not JSON objects, or failing :func:`entry_problem` on
    their facts, or stored under another key.
    """
    facts: dict[str, str | bytes | Entry] = {}
    samples: dict[str, Entry] = {}
    dropped = 0
    it = iter(rows)
    while chunk := list(itertools.islice(it, _CHUNK)):
        matches = [
            (k, _plain_match(k, t)) for k, t, full in chunk if t and full is None
        ]
        plain = [(k, pack(m)) for k, m in matches if m is not None]
        facts.update(plain)  # the usual entry, checked by its shape alone
        if len(plain) == len(chunk):
            continue
        chunk = [row for row in chunk if row[0] not in facts]
        texts = [text for _, text, full in chunk if text is not None and full is None]
        whole = [
            full.encode("utf-8", "surrogateescape") for _, _, full in chunk if full
        ]
        entries, bad = _valid(whole, torn_last=False)
        dropped += bad
        for entry in entries:
            samples[entry["key"]] = _sample_facts(entry)
        dropped += sum(1 for _, text, _ in chunk if text is None)
        values = _facts_values(texts)
        pairs = (
            (key, text)
            for key, text, full in chunk
            if text is not None and full is None
        )
        for (column, text), value in zip(pairs, values, strict=True):
            if value is None:  # nested deeper than Python's parser goes
                dropped += 1
                continue
            fields = {n: v for n, v in zip(FACTS, value, strict=True) if v is not None}
            key = fields.get("key")
            if entry_problem(fields) is not None or not isinstance(key, str):
                dropped += 1
                continue
            if manifest_db.db_key(key) != column:
                dropped += 1
                continue
            facts[key] = text
    facts.update(samples)
    return facts, samples, dropped


def _sample_facts(entry: Entry) -> Entry:
    """Return the :data:`SAMPLE_FACTS` of the sample ``entry`` (those it has)."""
    return {name: entry[name] for name in SAMPLE_FACTS if name in entry}


def _check_entries(
    store: manifest_db.Store,
    facts: dict[str, str | bytes | Entry],
    whole: dict[str, Entry],
    array_differs: Callable[[Entry], bool] | None = None,
) -> tuple[int, list[str], list[Entry], list[str]]:
    """Check every stored entry whole, and against the facts a re-run decides on.

    For a store another program wrote since melcli last did
    (:meth:`manifest_db.Store.intact`): an entry changed in place may no
    longer be valid (a field of the wrong type, not JSON), or no longer
    say what its packed facts say (another status, settings or stamp), or
    (with ``array_differs``) what its array's header says (another shape or
    dtype); a row of facts may have no entry. The facts of each such entry
    are dropped from ``facts``, so that its input is rebuilt (those that
    disagree with their array are kept, and returned: the caller marks them
    changed, their outputs still theirs to prune). Returns how many stored
    entries are not kept (invalid, under another key, without facts or
    without an entry), the keys of the valid entries that disagreed with their
    packed facts, the entries that disagree with their array, and the stored keys
    of the rows to delete.
    """
    kept: set[str] = set()  # keys whose facts a valid entry confirms
    columns = {manifest_db.db_key(key) for key in itertools.chain(facts, whole)}
    odd = 0
    disagree: list[str] = []
    differ: list[Entry] = []
    it = store.rows()
    while chunk := list(itertools.islice(it, _CHUNK)):
        values = _parse_all([text for _, text in chunk])
        if values is None:  # one is not JSON: each alone
            values = [_parse_one(text) for _, text in chunk]
        for (column, text), entry in zip(chunk, values, strict=True):
            if column is None:  # a key melcli never writes: one entry dropped
                odd += 1
                continue
            columns.add(column)
            if entry_problem(entry) is not None or _line_break_in(text):
                continue
            assert isinstance(entry, dict)
            key = entry["key"]
            if manifest_db.db_key(key) != column or key in kept:
                continue
            packed = facts.get(key)
            if type(packed) is bytes and lean_facts(entry) != packed:
                disagree.append(key)
                continue
            if packed is not None or key in whole:
                kept.add(key)
                if array_differs is not None and array_differs(entry):
                    differ.append(entry)
    for key in [k for k in facts if k not in kept]:
        del facts[key]
    for key in [k for k in whole if k not in kept]:
        del whole[key]
    bad = columns - {manifest_db.db_key(key) for key in kept}
    return len(bad) - len(disagree) + odd, disagree, differ, sorted(bad)


def _line_break_in(text: bytes) -> bool:
    """Whether an entry's JSON ``text`` holds a line break, as melcli's never does.

    Its value may be whole (JSON takes one between tokens), but the text is
    the line of ``manifest.jsonl`` that tools read a line at a time: such an
    entry (a store edited by another program) is dropped, its input rebuilt.
    """
    return b"\n" in text or b"\r" in text


def _parse_one(text: bytes) -> object:
    """Return the JSON value of ``text``, or None if it is not JSON."""
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return None


def _facts_values(texts: list[str]) -> list[list[object] | None]:
    """Parse the facts ``texts`` (JSON arrays SQLite checked); None for one too deep.

    SQLite takes JSON nested up to 1000 deep, deeper than Python's parser
    goes (RecursionError): a crafted store's facts are then parsed each alone,
    and those Python cannot parse are dropped.
    """
    try:
        return json.loads("[" + ",".join(texts) + "]") if texts else []
    except (ValueError, RecursionError):
        values: list[list[object] | None] = []
        for text in texts:
            try:
                values.append(json.loads(text))
            except (ValueError, RecursionError):
                values.append(None)
        return values


class _StoreReader:
    """Reads stored entries whole when they are used, checking each."""

    def __init__(
        self,
        store: manifest_db.Store,
        problems: list[str],
        *,
        out: Path | None = None,
    ) -> None:
        self.store = store
        self.problems = problems
        #: OUT, for a reader that rebuilds nothing (``melcli stats``, the
        #: loader): the keys of the entries found unusable, said in one line.
        self.out = out
        self.unusable: list[str] = []
        self._said = ""

    def one(self, key: str) -> Entry | None:
        """Return the entry ``key``, or None (said in the problems) if unusable."""
        try:
            text = self.store.entry(key)
        except manifest_db.StoreError:
            text = None
        entries, _ = _valid([text] if text is not None else [], torn_last=False)
        if len(entries) == 1 and entries[0]["key"] == key:
            return entries[0]
        if self.out is None:  # a run: its input is rebuilt now
            self.problems.append(_dropped(self.store.path, 1))
            return None
        # Read whole only now, in a store whose facts a run trusts (as melcli
        # left it, by its stamps): the next run finds the array up to date by
        # them and reads no entry, so "run melcli mel again" was never so.
        self.unusable.append(key)
        line = _unusable(self.store.path, self.out, self.unusable)
        if self._said and self._said in self.problems:
            self.problems[self.problems.index(self._said)] = line
        else:
            self.problems.append(line)
        self._said = line
        return None

    def text(self, key: str) -> bytes | None:
        """Return the stored entry ``key``'s text as it is (unchecked), or None."""
        try:
            return self.store.entry(key)
        except manifest_db.StoreError:
            return None

    def sources(self) -> Iterator[tuple[object, object]]:
        """Yield every stored entry's key and ``source_abs``, as stored."""
        try:
            yield from self.store.sources()
        except manifest_db.StoreError:
            return

    def all(self) -> Iterator[tuple[str, Entry | None]]:
        """Yield every stored entry that can be used, by key."""
        try:  # what is dropped was said when the facts were read
            entries, _ = _valid(self.store.entries(), torn_last=False)
        except manifest_db.StoreError:
            return  # each is then read alone
        for entry in entries:
            yield entry["key"], entry


def _not_read(path: Path, exc: Exception) -> str:
    if isinstance(exc, manifest_db.StoreBlocked):
        return f"{path}: not read ({exc}){_STORE_BLOCKED}"
    return f"{path}: not read ({exc}){_STORE_REBUILT}"


#: How a problem's message ends where it was found by a run, which rebuilds.
_REBUILT = re.compile(r"; (its|their) inputs are rebuilt$")
_STORE_REBUILT = f"; {MANIFEST_NAME} is read instead, and the store rebuilt"
#: A folder in the store's place, or its journal's: no run writes the store.
_STORE_BLOCKED = f"; {MANIFEST_NAME} is read instead (no store is written until then)"


def read_only_problem(problem: str) -> str:
    """Say ``problem`` (one of :attr:`Manifest.problems`) as a command that only reads.

    ``melcli stats``, ``gallery`` and the data loader rebuild nothing: their
    words for what a run would do.
    """
    return _reworded(
        problem, "'melcli mel' rebuilds", "run 'melcli mel' again to rebuild"
    )


def dry_run_problem(problem: str) -> str:
    """Say ``problem`` (one of :attr:`Manifest.problems`) as ``--dry-run`` does.

    A dry run rebuilds nothing either: what a run would do, in the future.
    """
    return _reworded(problem, "a run rebuilds", "a run rebuilds")


def _reworded(problem: str, store: str, inputs: str) -> str:
    """Say ``problem`` in other words for what a run says it does.

    ``store`` before "the store", ``inputs`` before "its/their inputs".
    """
    if problem.endswith(_STORE_REBUILT):
        return (
            problem[: -len(_STORE_REBUILT)]
            + f"; {MANIFEST_NAME} is read instead ({store} the store)"
        )
    return _REBUILT.sub(rf"; {inputs} \1 inputs", problem)


def _unusable(path: Path, out: Path, keys: list[str]) -> str:
    """Say that the stored entries of ``keys`` cannot be used, and what mends them.

    One: its array deleted, the next run rebuilds it. More: the store
    deleted, the next run reads ``manifest.jsonl`` instead, checking every
    entry (and rebuilding the inputs of those it drops), and writes the
    store anew.
    """
    one = len(keys) == 1
    said = (
        f"{path}: {len(keys)} stored {'entry' if one else 'entries'} cannot be used "
        f"(e.g. that of {keys[0]}: not a JSON object of the expected fields and "
        "types, naming a file outside OUT, or not of its key), though the facts "
        f"stored beside {'it' if one else 'them'} say up to date: "
    )
    if one:
        return f"{said}delete {out / keys[0]} and run 'melcli mel' again to rebuild it"
    return (
        f"{said}delete {path} and run 'melcli mel' again (it reads "
        f"{out / MANIFEST_NAME} instead, checking every entry)"
    )


def _dropped(path: Path, dropped: int) -> str:
    noun = "entry" if dropped == 1 else "entries"
    return (
        f"{path}: dropped {dropped} invalid {noun} (not a JSON object of the "
        "expected fields and types, or naming a file outside OUT); their inputs "
        "are rebuilt"
    )


def _disagreed(path: Path, count: int) -> str:
    said = "entry changed by another program no longer agrees"
    if count != 1:
        said = "entries changed by another program no longer agree"
    return (
        f"{path}: {count} {said} with the facts stored beside them; their "
        "inputs are rebuilt"
    )


def arrays_differ(path: Path, count: int) -> str:
    """Say that ``count`` entries of ``path`` record another array than OUT's."""
    said = "entry records" if count == 1 else "entries record"
    return (
        f"{path}: {count} {said} another array than the one in OUT (another "
        "shape or dtype, or not a whole .npy file); their inputs are rebuilt"
    )


def _reason(exc: OSError) -> str:
    return os_reason(exc) if exc.strerror else str(exc)


# ------------------------------------------------------------------ schema
#: Sizes, offsets and times fit in 63 bits.
_LIMIT = 1 << 63


def _is_int(value: object) -> bool:
    return type(value) is int and 0 <= value < _LIMIT


def _is_number(value: object) -> bool:
    return type(value) in (int, float)


def _is_stamp(value: object) -> bool:
    """``[size, mtime_ns]``, ``[offset, size]``, ``[start, end]``."""
    if type(value) is not list or len(value) != 2:
        return False
    a, b = value
    return type(a) is int and type(b) is int and 0 <= a < _LIMIT and 0 <= b < _LIMIT


def _are_stamps(stamps: object) -> bool:
    """``{name in OUT: [size, mtime_ns] or null}``."""
    if type(stamps) is not dict:
        return False
    for name, stamp in stamps.items():
        if not safe_name(name) or not (stamp is None or _is_stamp(stamp)):
            return False
    return True


def _is_text_or_none(value: object) -> bool:
    return value is None or (type(value) is str and "\0" not in value)


def _is_name_or_none(value: object) -> bool:
    return value is None or safe_name(value)


def _is_stamp_or_none(value: object) -> bool:
    return value is None or _is_stamp(value)


def _are_ints(value: object) -> bool:
    return type(value) is list and all(
        type(v) is int and 0 <= v < _LIMIT for v in value
    )


def _are_texts(value: object) -> bool:
    return type(value) is list and all(type(v) is str for v in value)


def _is_sample_key(value: object) -> bool:
    """Return whether ``value`` is a key as ``sample_key`` writes it.

    A safe name with no dot and no control character (both escaped as ``%XX``):
    a tar member ``KEY.npy`` made from it stays where a reader expects it.
    """
    return (
        isinstance(value, str)
        and safe_name(value)
        and "." not in value
        and not any(ch < " " or ch == "\x7f" for ch in value)
    )


def _is_members(value: object) -> bool:
    """``{suffix: [offset, size]}``, suffixes such as ``npy``."""
    return isinstance(value, dict) and all(
        isinstance(k, str) and k.isalnum() and k.isascii() and _is_stamp(v)
        for k, v in value.items()
    )


def _optional(check: Callable[[object], bool]) -> Callable[[object], bool]:
    return lambda value: value is None or check(value)


def _list_of(check: Callable[[object], bool]) -> Callable[[object], bool]:
    return lambda value: isinstance(value, list) and all(map(check, value))


_NONE = type(None)

#: Each field the code reads: the JSON types its value may have (checked
#: inline: an up-to-date re-run validates every entry, and a call per field
#: would cost as much as parsing the line), or a check.
_SCHEMA: dict[str, tuple[type, ...] | Callable[[object], bool]] = {
    **dict.fromkeys(
        ("status", "error", "settings", "render", "melcli", "librosa"), (str, _NONE)
    ),
    "format": lambda v: v in (None, "npy", "webdataset"),
    "duration": (int, float),
    "params": (dict,),
    "silent": (bool,),
    **dict.fromkeys(("source", "source_path", "source_abs"), _is_text_or_none),
    "npy": _is_name_or_none,
    "png": _is_name_or_none,
    "stamps": _are_stamps,
    "input": _is_stamp_or_none,
    "shape": _are_ints,
    "sr": _is_int,
    "samplerate": _is_int,
    "channels": _is_int,
    "segments": _list_of(_is_number),
    "warnings": _are_texts,
    "shard": _optional(lambda v: isinstance(v, str) and shard_index(v) is not None),
    "sample": _is_sample_key,
    "members": _is_members,
    "samples": _optional(
        lambda v: (
            isinstance(v, dict)
            and all(_is_sample_key(k) and _is_members(m) for k, m in v.items())
        )
    ),
    "span": lambda v: _is_stamp(v) and v[0] <= v[1],  # type: ignore[index]
    "wave": is_wave,
    "policies": lambda v: (
        isinstance(v, dict)
        and all(isinstance(k, str) and isinstance(x, str) for k, x in v.items())
    ),
}


def entry_problem(entry: object) -> str | None:
    """Say what is wrong with a manifest line, or return None if it can be used.

    The one place that checks an entry read from OUT: every field the code
    reads has its type (``"stamps": 0``, ``"span": true`` or ``"shape": -1``
    do not pass), and every name of a file in OUT (``key``, ``npy``, ``png``,
    the ``stamps``, ``shard``, sample keys) is :func:`~melcli.outdir.safe_name`.
    A sample in a shard has its ``sample``, ``members`` and ``span``, each
    member inside the span. Returns the name of the first field that fails.
    """
    if type(entry) is not dict:
        return "not a JSON object"
    fields: dict[str, object] = entry
    key = entry.get("key")
    if not isinstance(key, str):
        return "key"
    # An output's key is its array's name: no other file of OUT (another
    # input's PNG, melcli's own files) is an entry's to delete.
    if not (key.startswith("src:") or (key.endswith(".npy") and safe_name(key))):
        return "key"
    for name, value in fields.items():
        spec = _SCHEMA.get(name)
        if spec is None:
            continue
        if type(spec) is tuple:
            if type(value) not in spec:
                return name
        elif not spec(value):  # type: ignore[operator]
            return name
    stamps = entry.get("stamps") or {}
    if entry.get("format") != "webdataset":  # an input's own files
        if entry.get("shard") is not None:
            return "shard"
        for name in stamps:
            if name != key and not _own_output(key, name):
                return "stamps"
        return None
    # A sample in a shard: stamps the shard, its members inside its span.
    for name in ("shard", "sample", "members", "span"):
        if not entry.get(name):
            return name
    if any(name != entry["shard"] for name in stamps):
        return "stamps"
    start, end = entry["span"]
    groups = entry.get("samples") or {"": entry["members"]}
    for members in groups.values():
        for offset, size in members.values():
            if offset < start or offset + size > end:
                return "members"
    return None


def _own_output(key: str, name: str) -> bool:
    """Return whether ``name`` can be an output of the input whose key is ``key``.

    ``a.npy`` writes ``a.npy`` and ``a.png``; with one file per segment,
    ``a.000.npy`` writes ``a.000.npy``, ``a.001.npy``, ... So a crafted entry
    cannot make a run delete another input's outputs, or melcli's own files.
    """
    if name == key:
        return True
    if name == key.removesuffix(".npy") + ".png":
        return True
    stem = key.removesuffix(".000.npy")
    return stem != key and segment_base(name) == stem


def _input_stem(source: str) -> str:
    """``dogs/a.wav`` -> ``dogs/a``: a source's output name less ``.npy``.

    As :func:`melcli.discover._job` makes it: the suffix of the last name,
    not of ``.x`` nor ``x.``.
    """
    dot = source.rfind(".")
    return source[:dot] if source.rfind("/") + 1 < dot < len(source) - 1 else source


def own_key(key: str, entry: Entry) -> bool:
    """Return whether ``key`` is the output name of ``entry``'s own input.

    An entry read from OUT whose key is not (``dogs/b.npy`` claiming to be of
    ``dogs/a.wav``) is crafted: nothing is deleted because of it.

    ``a.npy`` (or ``a.000.npy``, one file per segment) of ``a.wav``; by its
    path relative to SRC, else (an entry without one) by its file name.
    """
    source = entry.get("source")
    if not isinstance(source, str) or not source:
        source = os.path.basename(_source_of(entry))
        key = posixpath.basename(key)
    stem = _input_stem(source)
    return key in (f"{stem}.npy", f"{stem}.000.npy")


def _output_stem(key: str) -> str | None:
    """``dogs/a.npy`` and ``dogs/a.000.npy`` -> ``dogs/a``; None for no array."""
    if not key.endswith(".npy"):
        return None
    base = segment_base(posixpath.basename(key))
    if base is None:
        return key[: -len(".npy")]
    return posixpath.join(posixpath.dirname(key), base)


def _root_of(entry: Entry | None) -> str | None:
    """Return the SRC folder of ``entry``'s input, with a final ``/``, if sure."""
    if not entry:
        return None
    source, absolute = entry.get("source"), entry.get("source_abs")
    if not (isinstance(source, str) and isinstance(absolute, str) and source):
        return None
    if not absolute.endswith(f"/{source}"):
        return None
    return absolute[: -len(source)]


class _Folders:
    """Which audio files the folders of the run's SRC hold, each listed once."""

    def __init__(self) -> None:
        self._stems: dict[str, set[str]] = {}

    def writes(self, root: str, stem: str) -> bool:
        """Return whether an audio file ``root + stem + .EXT`` exists (as an input)."""
        folder, _, name = (root + stem).rpartition("/")
        stems = self._stems.get(folder)
        if stems is None:
            stems = self._stems[folder] = set()
            with contextlib.suppress(OSError, ValueError):
                for found in os.listdir(folder or "/"):
                    head, dot, ext = found.rpartition(".")
                    if dot and head and ext.lower() in DEFAULT_EXTENSIONS:
                        stems.add(head)
        return name in stems


def _inside(path: str, roots: tuple[str, ...]) -> bool:
    """Return whether ``path`` (as OUT records it) lies inside one of ``roots``.

    ``roots`` are absolute, each with a final ``/``. A path with a ``..``,
    ``.`` or empty part, or a NUL, is not: it could lead anywhere.
    """
    return (
        path.startswith(roots)
        and "\0" not in path
        and os.path.normpath(path) == path.rstrip("/")
    )


def _job_roots(jobs: Iterable[Job]) -> tuple[str, ...]:
    """Return the input folders of ``jobs``, absolute, each with a final ``/``."""
    roots: dict[str, None] = {}
    for job in jobs:
        name, rel = job.src_name, job.rel
        if name.endswith(f"/{rel}"):
            with contextlib.suppress(OSError):
                roots[os.path.join(os.path.abspath(name[: -len(rel)]), "")] = None
    return tuple(roots)


#: Up to this many entries left out of a run are each read whole by
#: :meth:`Manifest.stale`; more, their sources are first read in one query.
_READ_ALONE = 16


def _source_of(entry: Entry) -> str:
    """Return the input's absolute path, as ``source_abs`` records it.

    An older entry has none: its ``source_path`` (the path as that run
    reached it), made absolute from the working folder, as that version of
    melcli looked it up. Left relative, it was never inside the run's input
    folders: never stale, its outputs kept for good, even by ``--prune``.
    Not normalised: a path with a ``..`` part is still refused as leading
    anywhere (:func:`_inside`).
    """
    source = str(entry.get("source_abs") or entry.get("source_path", ""))
    if source and not entry.get("source_abs") and not os.path.isabs(source):
        with contextlib.suppress(OSError, ValueError):  # no working folder
            source = os.path.join(os.getcwd(), source)
    return source


def _write_all(f: BinaryIO, data: bytes) -> None:
    f.write(data)


def _dumps(entry: Entry) -> bytes:
    """Return ``entry`` as one JSON line: its status first, the rest sorted by name.

    The status first: the first re-run after a build changes every entry's
    status (``written`` to ``up-to-date``), which is then the line's head
    (:data:`manifest_db.HEAD_WRITTEN`), not a search through its text.
    """
    status = entry.get("status")
    if type(status) is not str or len(entry) < 2:
        return _SORTED(entry).encode("ascii")
    rest = dict(entry)
    del rest["status"]
    return f'{{"status": {_QUOTED(status)}, {_SORTED(rest)[1:]}'.encode("ascii")


#: ``json.dumps(obj, ensure_ascii=True, sort_keys=True)``, its encoder made
#: once: ``json.dumps`` with any option makes a new one per call, and a run
#: encodes an entry per file, in the process its pool workers wait on.
_SORTED = json.JSONEncoder(ensure_ascii=True, sort_keys=True).encode
#: ``json.dumps(text, ensure_ascii=True)`` for a string.
_QUOTED = json.encoder.encode_basestring_ascii

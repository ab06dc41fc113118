r"""``OUT/.melcli-manifest.db``: the manifest's store, updated rather than rewritten.

An SQLite database (the standard library's ``sqlite3``) of one row per entry:
the entry as the JSON line ``manifest.jsonl`` holds, under its key (table
``entries``); and beside it, per entry, the few facts a re-run decides on
(table ``facts``): for the usual entry (one ``.npy``, no PNG, no table row)
the input's and the array's ``[size, mtime_ns]``, its status and settings,
packed in a few dozen bytes (:func:`melcli.manifest.lean_facts`); for any other
entry an empty value (its facts are then read from its JSON). A re-run with
nothing to do reads that small table in one query, not the entries. A run
writes only the entries that changed, both tables in one transaction;
``manifest.jsonl`` is a view of it, written in the same commit whenever
something changed, for the readers of today's format (CI scripts,
``melcli merge``, older melcli).

The view is the way back in: the store records the ``manifest.jsonl`` it
wrote (size, mtime, inode). When the file there is another one (written by
``melcli merge``, an older melcli, a person: another size or mtime), it is
read instead, and the store rewritten from it: an OUT written before the
store existed is migrated on its first run, nothing rebuilt. A file of the
view's size and mtime is the view, whatever its inode (a copy with its times:
``cp -a``, a CI cache restored) and, by that rule, whatever its content
(:func:`same_view` says why that is safe).

A store of version 1 (``entries`` and ``state`` only, melcli before the
``facts`` table) is read as it is, and rewritten whole at the end of that
run: nothing is rebuilt, and nothing is said.

OUT is untrusted. The file is opened only when it is a regular file; its
schema must be exactly the one created here (no other table, view, index or
trigger; ``trusted_schema`` is off, no extension is ever loaded, nothing is
attached); every entry read goes through :func:`melcli.manifest.entry_problem`
as a line of ``manifest.jsonl`` does (its facts, :meth:`Store.facts`, when
the store is opened; the whole entry when it is used). A store that fails
any of this is not read (one warning) and is rebuilt at the end of the run.
The packed facts are only ever looked up by a key the run itself made, and
compared with what the run finds on disk: a crafted value can only make an
input look changed (rebuilt); a name from the store is used only through
:class:`melcli.outdir.OutDir`, or once its entry is read whole and checked.

Reading it from another tool::

    sqlite3 OUT/.melcli-manifest.db "SELECT entry FROM entries"    # JSON lines
    sqlite3 OUT/.melcli-manifest.db \
        "SELECT key, json_extract(entry, '$.status') FROM entries"
"""

from __future__ import annotations

import contextlib
import errno
import itertools
import json
import os
import sqlite3
import stat
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from . import interrupts
from .errors import os_reason

STORE_NAME = ".melcli-manifest.db"
#: The page size (bytes) of a store melcli makes (one made before keeps its
#: own). A row of a ``WITHOUT ROWID`` table is kept whole in its page only up
#: to about a quarter of the page (1002 bytes in SQLite's default 4096-byte
#: pages); melcli's entries are some 1.1 KB, so each took a 4-KiB overflow
#: page of its own besides: a store (and a run's stage) four times the size
#: of its entries, and each entry written about three times as dear (4800
#: Whisper entries: 10-11 against 3.7-3.9 us each, and a commit's pass over
#: them 2.6 against 0.9 us), in the process a pool's workers wait on
#: (bench/README.md, issue 19, "twenty-fourth round").
PAGE_SIZE = 16384
#: Bumped when the schema changes (a store of another version is rebuilt;
#: one of version 1 is read, then rewritten).
VERSION = 2
_ENTRIES = (
    "CREATE TABLE entries (key TEXT PRIMARY KEY NOT NULL, entry TEXT NOT NULL) "
    "WITHOUT ROWID"
)
_FACTS = (
    "CREATE TABLE facts (key TEXT PRIMARY KEY NOT NULL, facts BLOB NOT NULL) "
    "WITHOUT ROWID"
)
_STATE = (
    "CREATE TABLE state (name TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL) "
    "WITHOUT ROWID"
)
_SCHEMA = (_ENTRIES, _FACTS, _STATE)


def _master(schema: Iterable[str]) -> list[tuple[str, str, str, str]]:
    return sorted(("table", ddl.split()[2], ddl.split()[2], ddl) for ddl in schema)


#: What ``sqlite_master`` must hold, exactly, by version.
_MASTER = {VERSION: _master(_SCHEMA), 1: _master((_ENTRIES, _STATE))}
#: A row of ``facts`` that holds the usual facts (else: read the entry's JSON).
_PACKED = "typeof(key) = 'text' AND typeof(facts) = 'blob' AND length(facts) > 32"
_TEMP_SUFFIX = ".melcli-tmp"
#: The longest entry read (in characters): a longer one, crafted, is dropped
#: unread (its input rebuilt), not parsed into many times its size in memory.
#: melcli's own are some 1 KiB, and about 53 bytes more per segment with
#: ``--segment-layout files``: 16 MiB holds some 300 000 segments (a 12-hour
#: recording cut into 1-s segments takes 2.3 MB; tests/test_entry_cap_13.py).
MAX_ENTRY = 16 << 20
#: The longest entry a run records (in bytes), a little under :data:`MAX_ENTRY`:
#: room for its status to become ``up-to-date`` in place and for the spaces
#: ``manifest.jsonl`` ends its line with, so that what a run writes is always
#: read back. A longer one is not recorded: its input fails, its outputs
#: removed (:class:`melcli.manifest.EntryTooLong`).
MAX_RECORDED = MAX_ENTRY - 1024
#: The longest value SQLite reads from the store (in bytes) but while a run
#: writes it: room for an entry of :data:`MAX_ENTRY` characters, as melcli
#: writes them (ASCII). A longer one makes the store unread (rebuilt from
#: ``manifest.jsonl``), or its entry dropped, not loaded whole into memory.
MAX_VALUE = MAX_ENTRY + (1 << 20)
#: SQL: the entry is text no longer than :data:`MAX_ENTRY` (else not read).
_READABLE = f"typeof(entry) = 'text' AND length(entry) <= {MAX_ENTRY}"


#: What ``sqlite3`` raises for a store it cannot use. SQLite's message may
#: quote the file's bytes (``malformed database schema (state) - near
#: "CR\xe6ATE"``), which Python then fails to decode: UnicodeDecodeError.
SQLITE_ERRORS = (sqlite3.Error, UnicodeDecodeError)
#: SQLite's code for a store opened read-only that holds a hot journal.
_READONLY_ROLLBACK = getattr(sqlite3, "SQLITE_READONLY_ROLLBACK", 776)


class StoreError(Exception):
    """The store cannot be used: corrupt, crafted, or not a regular file."""

    @classmethod
    def of(cls, exc: sqlite3.Error | UnicodeDecodeError) -> StoreError:
        """Return the error for SQLite's ``exc``, worded as the OS would."""
        code = getattr(exc, "sqlite_errorcode", None)
        if code == sqlite3.SQLITE_FULL:
            return cls(os.strerror(errno.ENOSPC).lower())
        if code == getattr(sqlite3, "SQLITE_TOOBIG", 18):  # over MAX_VALUE
            return cls(f"a value of more than the {MAX_VALUE >> 20} MiB melcli reads")
        if code == _READONLY_ROLLBACK:  # opened read-only: not rolled back here
            return cls("a journal a run left, which the next run rolls back")
        if isinstance(exc, UnicodeDecodeError):  # SQLite's message, undecoded
            return cls(bytes(exc.object).decode("utf-8", "replace"))
        return cls(str(exc))


class StoreBlocked(StoreError):
    """A folder is where the store or its journal is written (not melcli's to delete).

    No store can be written while it is there; ``manifest.jsonl`` is read
    instead, and a run writes it whole.
    """


def db_key(key: str) -> str:
    r"""Return ``key`` as the store spells it: JSON-escaped (ASCII), no quotes.

    Names that are not valid UTF-8 hold ``\\udcXX`` escapes, which SQLite
    cannot store as text; ``dogs/bark1.npy`` stays as it is.
    """
    if key.isascii() and '"' not in key and "\\" not in key and key.isprintable():
        return key
    return json.dumps(key, ensure_ascii=True)[1:-1]


def file_id(path: Path) -> str | None:
    """Return what tells one ``manifest.jsonl`` from another, or None if none.

    None too for what is not a regular file (a link, FIFO, folder): no view
    that could be read instead of the store.
    """
    try:
        st = os.lstat(path)
    except OSError:
        return None
    return stat_id(st) if stat.S_ISREG(st.st_mode) else None


def stat_id(st: os.stat_result) -> str:
    """Return :func:`file_id` of the file whose status is ``st``."""
    return f"{st.st_size}:{st.st_mtime_ns}:{st.st_ino}"


def same_view(found: str | None, recorded: str | None) -> bool:
    """Return whether the view ``found`` (:func:`file_id`) is the one ``recorded``.

    Or a copy of it: the same size and mtime, any inode. An OUT copied with
    its times (``cp -a``, ``rsync -a``, a CI cache restored) holds such a
    copy, on every run of a CI job; a view written since by another program
    (``melcli merge``, an older melcli, a person) has another mtime.

    The mtime is compared to the nanosecond, but it is only as fine as the
    file system keeps it: a clock tick on Linux (1 to 10 ms), 2 s on FAT.
    So a file of the view's size written within the tick of melcli's last
    commit, or given the view's mtime on purpose (``touch -r``, ``os.utime``),
    is taken for the view though its content differs. That is a decision,
    not a hole: only which file is read depends on it, and neither is
    trusted more than the other. The store is then read and checked as it
    always is (its schema, every entry with :func:`melcli.manifest.entry_problem`
    when used, every name in OUT through :class:`melcli.outdir.OutDir`, every
    array's stamp against the disk), and the file at ``manifest.jsonl`` is
    neither read nor believed; it is written over whole at the next commit
    that changes an entry (or patched in place, line by line, where melcli's
    own lines are still there: :func:`melcli.manifest_view.patch`). Comparing
    the content instead would read the whole view on every run, the cost the
    store exists to avoid.
    """
    if found is None or recorded is None:
        return False
    return found.rpartition(":")[0] == recorded.rpartition(":")[0]


class Store:
    """One open store (a context manager closing it).

    With ``synced=False`` SQLite never syncs it to disk (for a store made
    under a temporary name: :func:`rebuild`). With ``read_only`` (the
    commands that only read OUT, the dry run, the data loader), nothing is
    written, created or deleted: a store SQLite would have to write to read
    (a journal a killed run left to roll back, a header asking for WAL) is
    not read (:class:`StoreError`); one with a ``-wal`` or ``-shm`` (never
    melcli's) is read as a run reads it, without them (:func:`_read_only_mode`).

    Raises
    ------
    StoreError
        From every method, when the file is not a store of this version.
    """

    def __init__(
        self,
        path: Path,
        *,
        create: bool = False,
        synced: bool = True,
        read_only: bool = False,
    ) -> None:
        self.path = path
        self.synced = synced
        self.read_only = read_only
        _check_file(path, missing_ok=create)
        if read_only:
            mode = _read_only_mode(path)
        else:
            _drop_odd_journal(path)
            mode = "rwc" if create else "rw"
        try:
            self.db = sqlite3.connect(
                f"file:{_quote(path)}?mode={mode}",
                uri=True,
                isolation_level=None,
                check_same_thread=False,
            )
        except SQLITE_ERRORS as exc:
            raise StoreError.of(exc) from None
        try:
            self._harden()
            if create:
                self._create()
            self._check_schema()
        except SQLITE_ERRORS as exc:
            self.close()
            raise StoreError.of(exc) from None
        except StoreError:
            self.close()
            raise

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection."""
        with contextlib.suppress(*SQLITE_ERRORS):
            self.db.close()

    def _harden(self) -> None:
        db = self.db
        # No value read is longer (SQLite's "string or blob too big", a
        # StoreError): a crafted row of a gigabyte is refused, not loaded
        # whole into memory to find its length. Lifted while this run writes
        # (write()): what it reads then was checked, or is its own.
        self._limit = db.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, MAX_VALUE)
        db.execute("PRAGMA trusted_schema = OFF")
        db.execute("PRAGMA cell_size_check = ON")
        db.execute("PRAGMA mmap_size = 0")
        if self.read_only:  # (a header asking for WAL was refused)
            db.execute("PRAGMA query_only = ON")
            return
        # A crafted header may ask for WAL: this store keeps one file.
        db.execute("PRAGMA journal_mode = DELETE")
        db.execute(f"PRAGMA synchronous = {'FULL' if self.synced else 'OFF'}")

    def _create(self) -> None:
        db = self.db
        # Set before anything is written (a new file: see rebuild).
        db.execute(f"PRAGMA page_size = {PAGE_SIZE}")
        db.execute("BEGIN IMMEDIATE")
        for ddl in _SCHEMA:
            db.execute(ddl)
        db.execute(f"PRAGMA user_version = {VERSION}")
        db.execute("COMMIT")

    def _check_schema(self) -> None:
        rows = self.db.execute(
            "SELECT type, name, tbl_name, sql FROM sqlite_master"
        ).fetchall()
        (version,) = self.db.execute("PRAGMA user_version").fetchone()
        if version not in _MASTER:
            raise StoreError(f"version {version}, not {VERSION}")
        if sorted(rows) != _MASTER[version]:
            raise StoreError("not the schema melcli writes")
        # Its text is read as UTF-8 bytes (rows(), a status flipped in place):
        # a store made to keep it in UTF-16 is one melcli did not write.
        (encoding,) = self.db.execute("PRAGMA encoding").fetchone()
        if encoding != "UTF-8":
            raise StoreError(f"text in {encoding}, not UTF-8")
        #: The schema's version: 1 has no ``facts`` (read, then rewritten).
        self.version: int = version

    def changes(self) -> str:
        """Return SQLite's file change counter of the store, as text ("" if unread).

        Bytes 24-27 of its header: every transaction that writes the file adds
        one, whoever writes it (the ``sqlite3`` shell, a script). So
        :meth:`write` records the value its own commit leaves, and a store
        written since by another program (an entry changed in place, which
        its packed facts would not show) is told by one read of 4 bytes.
        """
        return self._last_write()[0]

    def _last_write(self) -> tuple[str, str]:
        """Return :meth:`changes` and the store's mtime (ns, as text; "" if unread)."""
        flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
        try:
            fd = interrupts.os_open(self.path, flags)
        except OSError:
            return "", ""
        try:
            mtime = str(os.fstat(fd).st_mtime_ns)
            header = os.pread(fd, 4, 24)
        except OSError:
            return "", ""
        finally:
            os.close(fd)
        changes = str(int.from_bytes(header, "big")) if len(header) == 4 else ""
        return changes, mtime

    def intact(self) -> bool:
        """Return whether melcli's last commit is the last write to the store.

        False when another program wrote it since (see :meth:`changes`), or
        when no commit recorded it (a store of an older melcli). A program
        that writes the file's bytes itself (a script, ``dd``, an editor)
        keeps SQLite's change counter, but not the mtime each commit of
        melcli sets and records (:meth:`write`).

        Nor when ``entries`` and ``facts`` do not hold the same keys (each
        entry has one row of each): a store edited and given back both
        stamps, an entry's row deleted but not its facts (or another entry's
        row put in its place), had runs decide from facts no entry stood
        behind, for good, while every reader said to run again (:meth:`_paired`).
        """
        changes, mtime = self._last_write()
        recorded = self.state("mtime")  # "": a store melcli cannot stamp
        return (
            bool(changes)
            and self.state("changes") == changes
            and recorded in ("", mtime)
            and self._paired()
        )

    def _paired(self) -> bool:
        """Return whether ``entries`` and ``facts`` hold the same keys.

        As many rows, and no key of ``facts`` missing from ``entries``: the
        two tables' keys read side by side in key order, each table's own
        order (SQLite merges them: no look-up per key, no sort). On a no-op
        re-run of 100 000 inputs (4.26 G instructions, callgrind), a look-up
        of each key of one in the other cost 0.42 G; this costs 0.15 G.
        """
        if self.version == 1:  # no facts table
            return True
        sql = (
            "SELECT (SELECT count(*) FROM entries) = (SELECT count(*) FROM facts) "
            "AND NOT (SELECT count(*) FROM (SELECT key FROM facts EXCEPT "
            "SELECT key FROM entries ORDER BY 1))"
        )
        try:
            (same,) = self.db.execute(sql).fetchone()
        except SQLITE_ERRORS as exc:
            raise StoreError.of(exc) from None
        return bool(same)

    def rows(self) -> Iterator[tuple[str | None, bytes]]:
        """Yield each stored entry's key (as stored) and its JSON text, as bytes.

        As bytes, not decoded: a row whose text is not UTF-8 is one invalid
        entry, not a store that cannot be read. The key is None where it is
        not ASCII text (:func:`db_key` spells every key so), the text empty
        where the entry is not text.
        """
        sql = (
            f"SELECT CAST(key AS BLOB), CASE WHEN {_READABLE} THEN "
            "CAST(entry AS BLOB) ELSE x'' END, typeof(key) = 'text' FROM entries"
        )
        try:
            for key, text, is_text in self.db.execute(sql):
                name = key.decode("ascii", "replace") if is_text else "\ufffd"
                yield (name if name.isascii() else None), text
        except SQLITE_ERRORS as exc:
            raise StoreError.of(exc) from None

    def entries(
        self, bad: list[str] | None = None, *, keys: set[str] | None = None
    ) -> Iterator[bytes]:
        """Yield the stored entries, JSON text as bytes, in key order.

        Not those that are no line of JSON text: not text, not UTF-8, longer
        than :data:`MAX_ENTRY`, holding a line break (a store written by
        another program, made to look untouched): their keys as stored go to
        ``bad`` (for :meth:`drop_entries`), or with ``bad`` None, the first
        raises :class:`StoreError`. With ``keys`` (as stored), nor a row
        under another key: one no facts stand behind (another program's).
        Those yielded are taken out of ``keys``: what is left has no row.
        """
        sql = (
            f"SELECT key, {_READABLE}, CASE WHEN {_READABLE} THEN "
            "CAST(entry AS BLOB) END FROM entries ORDER BY key"
        )
        try:
            # As bytes: an entry as melcli writes it is ASCII, not decoded and
            # encoded again (a whole view written from 100 000 of them).
            for key, readable, line in self.db.execute(sql):
                problem = "" if readable else "an entry that is not text, or too long"
                if keys is not None:
                    if key in keys:
                        keys.discard(key)
                    elif not problem:
                        problem = "an entry of no facts"
                if not problem and not line.isascii():  # UTF-8, as SQLite reads
                    try:
                        line.decode()
                    except UnicodeDecodeError:  # (not SQLite's message: said so)
                        problem = "an entry that is not UTF-8 text"
                if not problem and (b"\n" in line or b"\r" in line):
                    problem = "an entry that holds a line break"
                if not problem:
                    yield line
                elif bad is None:
                    raise StoreError(problem)
                else:
                    bad.append(key)
        except SQLITE_ERRORS as exc:
            raise StoreError.of(exc) from None

    def drop_entries(self, keys: list[str]) -> None:
        """Delete the entries ``keys`` (as stored) and their facts, in a write."""
        try:
            self._drop_rows(keys)
        except SQLITE_ERRORS as exc:
            raise StoreError.of(exc) from None

    def packed(self) -> tuple[dict[str, bytes], int]:
        """Return the usual facts packed (``facts`` rows), by key; and how many else.

        The others (an entry of other facts, or a row not as melcli writes
        it) are read from the entries' JSON: :meth:`facts` with ``others``.
        """
        try:
            packed = dict(
                self.db.execute(f"SELECT key, facts FROM facts WHERE {_PACKED}")
            )
            # The rest (a plain count: no row's value looked at again).
            (rows,) = self.db.execute("SELECT count(*) FROM facts").fetchone()
        except SQLITE_ERRORS as exc:
            raise StoreError.of(exc) from None
        return packed, rows - len(packed)

    def facts(
        self, fields: Iterable[str], *, others: bool = False
    ) -> Iterator[tuple[str, str | None, str | None]]:
        """Yield each stored entry's key, ``fields`` and maybe its text, by key.

        The fields are one JSON array, SQLite's ``json_extract`` of each (null
        where missing); None when the entry is not JSON text. The whole entry
        comes along when it has a ``format`` (a sample in a shard, read whole).
        With ``others``: only the entries whose facts are not packed
        (:meth:`packed`).
        """
        paths = ", ".join(f"'$.{name}'" for name in fields)
        only = (
            f"WHERE key IN (SELECT key FROM facts WHERE NOT ({_PACKED}))"
            if others
            else ""
        )
        sql = (
            "SELECT key, CASE WHEN ok THEN json_extract(entry, "
            f"{paths}) END, CASE WHEN ok AND json_extract(entry, '$.format') "
            f"IS NOT NULL THEN entry END FROM (SELECT key, entry, {_READABLE} "
            f"AND json_valid(entry) AS ok FROM entries {only}) ORDER BY key"
        )
        try:
            for key, facts, whole in self.db.execute(sql):
                if type(key) is not str:
                    raise StoreError("a key that is not text")
                yield key, facts, whole
        except SQLITE_ERRORS as exc:
            raise StoreError.of(exc) from None

    def sources(self) -> Iterator[tuple[object, object]]:
        """Yield each stored entry's ``key`` and ``source_abs``, unchecked."""
        sql = (
            "SELECT json_extract(entry, '$.key'), json_extract(entry, '$.source_abs') "
            f"FROM entries WHERE {_READABLE} AND json_valid(entry)"
        )
        try:
            yield from self.db.execute(sql).fetchall()
        except SQLITE_ERRORS as exc:
            raise StoreError.of(exc) from None

    def entry(self, key: str) -> bytes | None:
        """Return the stored entry ``key`` (JSON text as bytes), or None."""
        try:
            rows = self.db.execute(
                f"SELECT CASE WHEN {_READABLE} THEN entry END FROM entries "
                "WHERE key = ?",
                (db_key(key),),
            ).fetchall()  # all: the statement is done, no lock held
        except SQLITE_ERRORS as exc:
            raise StoreError.of(exc) from None
        if len(rows) != 1 or type(rows[0][0]) is not str:
            return None
        text: str = rows[0][0]
        return text.encode("utf-8", "surrogateescape")

    def state(self, name: str) -> str | None:
        """Return the state value ``name``, or None."""
        try:
            row = self.db.execute(
                "SELECT value FROM state WHERE name = ?", (name,)
            ).fetchone()
        except SQLITE_ERRORS as exc:
            raise StoreError.of(exc) from None
        return row[0] if row is not None and type(row[0]) is str else None

    def write(
        self,
        put: Iterable[tuple[str, bytes, bytes]],
        *,
        drop: Iterable[str] = (),
        drop_rows: Iterable[str] | None = None,
        flip: Iterable[str] = (),
        flipped: Callable[[str], bytes] = lambda key: b"",
        every_written: int = 0,
        unpacked_flips: Iterable[str] = (),
        rewrite: Callable[[list[str]], Iterable[tuple[str, bytes, bytes]]]
        | None = None,
        state: dict[str, str] | None = None,
        then: Callable[[Store], dict[str, str]] | None = None,
    ) -> None:
        """Store ``put`` (key, JSON line, packed facts) and delete ``drop``, at once.

        In one transaction. ``drop_rows`` are deleted first, by their keys as
        stored, with every row whose key melcli never writes (not text, or
        not printable ASCII: :func:`db_key`); for a store found written by
        another program. The entries ``flip`` change their status from
        ``written`` to ``up-to-date``, in place (:meth:`flip_status`), their
        packed facts becoming ``flipped(key)``; those that cannot be changed
        so are stored as ``rewrite(keys)`` gives them. With ``every_written``
        (the first re-run after a build), ``flip`` holds every entry whose
        packed facts say ``written``, that many of them counting those also
        in ``put`` or ``drop``: they are flipped by one statement per table
        (:meth:`flip_every_written`), and only ``unpacked_flips``, the keys of
        ``flip`` whose facts are not packed, one by one. ``then`` runs inside
        the transaction, after the changes (it sees them), and returns more
        state to record; if it raises, nothing is changed.
        """
        db = self.db
        limit = db.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, self._limit)
        try:
            db.execute("BEGIN IMMEDIATE")
            try:
                # What the commit leaves in the header: one more (intact()).
                before = self.changes()
                after = str((int(before) + 1) % (1 << 32)) if before else ""
                # And the mtime it sets after the commit (_stamp): whole even
                # seconds, which every file system and tar keeps as they are.
                now = time.time_ns()
                mtime = now - now % 2_000_000_000 if self._may_stamp() else None
                if drop_rows is not None:
                    self._drop_rows(list(drop_rows))
                # Before the puts and drops: what they change is flipped too.
                if every_written and self.flip_every_written(every_written):
                    flip = unpacked_flips
                self._put(put)
                dropped = [(db_key(k),) for k in drop]
                db.executemany("DELETE FROM entries WHERE key = ?", dropped)
                db.executemany("DELETE FROM facts WHERE key = ?", dropped)
                flip = list(flip)
                self._put_facts((k, flipped(k)) for k in flip)
                odd = self.flip_status(flip)
                if odd and rewrite is not None:
                    self._put(rewrite(odd))
                more = then(self) if then is not None else {}
                db.executemany(
                    "INSERT OR REPLACE INTO state (name, value) VALUES (?, ?)",
                    {
                        **(state or {}),
                        **more,
                        "changes": after,
                        "mtime": "" if mtime is None else str(mtime),
                    }.items(),
                )
                db.execute("COMMIT")
                if mtime is not None:
                    self._stamp(mtime)
            except BaseException:
                # SQLite may have rolled back already (a full disk): a second
                # ROLLBACK would fail and hide the cause.
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise
        except SQLITE_ERRORS as exc:
            raise StoreError.of(exc) from None
        finally:
            db.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, limit)

    def _may_stamp(self) -> bool:
        """Return whether this process may set the store's mtime (it owns it).

        A store another user owns (a shared folder) cannot be stamped: its
        commits record no mtime, and only the change counter tells another
        program's writes, as before.
        """
        geteuid = getattr(os, "geteuid", None)
        if geteuid is None:  # not POSIX: no owners to refuse
            return True
        try:
            owner = os.stat(self.path, follow_symlinks=False).st_uid
        except OSError:
            return False
        return geteuid() in (0, owner)

    def _stamp(self, mtime: int) -> None:
        """Set the store's mtime to the one its last commit recorded.

        Where it still cannot be set, the next run finds the store not intact
        and checks every entry: slower, as safe.
        """
        with contextlib.suppress(OSError, NotImplementedError):
            os.utime(self.path, ns=(mtime, mtime), follow_symlinks=False)

    def _drop_rows(self, rows: list[str]) -> None:
        for table in ("entries", "facts"):
            self.db.executemany(
                f"DELETE FROM {table} WHERE key = ?", ((k,) for k in rows)
            )
            self.db.execute(
                f"DELETE FROM {table} WHERE typeof(key) != 'text' OR "
                "key GLOB '*[^ -~]*'"
            )
        # Facts of no entry (what a run reads of them was dropped already).
        self.db.execute("DELETE FROM facts WHERE key NOT IN (SELECT key FROM entries)")

    def _put(self, put: Iterable[tuple[str, bytes, bytes]]) -> None:
        it = iter(put)
        while chunk := list(itertools.islice(it, _FLIP_CHUNK)):  # streamed
            self.db.executemany(
                "INSERT OR REPLACE INTO entries (key, entry) VALUES (?, ?)",
                ((db_key(k), line.decode("ascii")) for k, line, _ in chunk),
            )
            self._put_facts((k, packed) for k, _, packed in chunk)

    def _put_facts(self, facts: Iterable[tuple[str, bytes]]) -> None:
        self.db.executemany(
            "INSERT OR REPLACE INTO facts (key, facts) VALUES (?, ?)",
            ((db_key(k), packed) for k, packed in facts),
        )

    def flip_every_written(self, count: int) -> bool:
        """Flip every entry whose packed facts say ``written``, if ``count`` do.

        Its status becomes ``up-to-date`` in its text (as :meth:`flip_status`
        changes it: the head of an entry as melcli writes it) and in its
        packed facts (their bytes after the stamps), by one statement per
        table, not one per entry. Unless exactly ``count`` entries and facts
        are changed so (an entry not as melcli writes it, a store changed
        meanwhile), nothing is, and False is returned: then flip them one by
        one. Call it inside a transaction.
        """
        db = self.db
        written = (
            f"{_PACKED} AND substr(facts, {_STAMPS + 1}, {len(_WRITTEN)}) = :written"
        )
        try:
            db.execute("SAVEPOINT flip")
            before = db.total_changes
            db.execute(
                f"UPDATE entries SET entry = {_FLIPPED} WHERE key IN "
                f"(SELECT key FROM facts WHERE {written}) AND {_FLIPPABLE}",
                {**_FLIP_TEXT, "written": _WRITTEN},
            )
            flipped = db.total_changes - before == count
            if flipped:
                before = db.total_changes
                # Blobs: what || joins is cast back (bytes kept, NULs too).
                db.execute(
                    "UPDATE facts SET facts = CAST(substr(facts, 1, "
                    f"{_STAMPS}) || :now || substr(facts, "
                    f"{_STAMPS + len(_WRITTEN) + 1}) AS BLOB) "
                    f"WHERE {written}",
                    {"now": _UP_TO_DATE, "written": _WRITTEN},
                )
                flipped = db.total_changes - before == count
            if not flipped:
                db.execute("ROLLBACK TO flip")
            db.execute("RELEASE flip")
        except SQLITE_ERRORS as exc:
            raise StoreError.of(exc) from None
        return flipped

    def flip_status(self, keys: Iterable[str]) -> list[str]:
        """Change the status of the entries ``keys`` from written to up-to-date.

        In place, with no entry read: an entry as melcli writes it has its
        head changed (:data:`HEAD_WRITTEN`), or in one of an older melcli
        (sorted keys), :data:`WRITTEN`, found once, replaced. Returns the keys
        whose entry is not so (nor changed): a caller writes them whole. Call
        it inside a transaction.
        """
        keys = list(keys)
        db = self.db
        try:
            before = db.total_changes
            db.executemany(
                f"UPDATE entries SET entry = {_FLIPPED} "
                f"WHERE key = :key AND {_FLIPPABLE}",
                ({**_FLIP_TEXT, "key": db_key(k)} for k in keys),
            )
            if db.total_changes - before == len(keys):
                return []  # the usual case: each was changed
            odd: list[str] = []  # not changed: no new status in their text
            it = iter(keys)
            while chunk := list(itertools.islice(it, _FLIP_CHUNK)):
                stored = [db_key(k) for k in chunk]
                marks = ",".join("?" * len(stored))
                changed = {
                    k
                    for (k,) in db.execute(
                        f"SELECT key FROM entries WHERE key IN ({marks}) AND "
                        "typeof(entry) = 'text' AND (substr(entry, 1, ?) = ? "
                        "OR instr(entry, ?) > 0)",
                        (*stored, len(HEAD_UP_TO_DATE), HEAD_UP_TO_DATE, UP_TO_DATE),
                    )
                }
                odd += [
                    k for k, s in zip(chunk, stored, strict=True) if s not in changed
                ]
        except SQLITE_ERRORS as exc:
            raise StoreError.of(exc) from None
        return odd


#: The head of an entry as melcli writes it (``manifest._dumps``: its status
#: first, the rest sorted by name), and what it becomes when the entry's
#: input is found up to date: a flip changes the first bytes of the text.
HEAD_WRITTEN = '{"status": "written", '
HEAD_UP_TO_DATE = '{"status": "up-to-date", '
#: The status of an entry as melcli wrote it before (``json.dumps``, sorted
#: keys: ``warnings``, a list, always comes next), found once in its text;
#: and what it becomes. Such an entry is flipped so, searched for (several
#: times the cost of a head changed), until its input is rebuilt.
WRITTEN = '"status": "written", "warnings": ['
UP_TO_DATE = '"status": "up-to-date", "warnings": ['
#: An entry's text flipped, from either form (the rest of the text of an
#: entry as melcli writes it taken as bytes: not read character by character);
#: which entries can be so.
_FLIPPED = (
    "CASE WHEN substr(entry, 1, :n) = :head THEN "
    "CAST(:new_head || substr(CAST(entry AS BLOB), :n + 1) AS TEXT) "
    "ELSE replace(entry, :was, :now) END"
)
_FLIPPABLE = (
    "typeof(entry) = 'text' AND (substr(entry, 1, :n) = :head OR "
    "length(replace(entry, :was, '')) = length(entry) - length(:was))"
)
_FLIP_TEXT = {
    "n": len(HEAD_WRITTEN),
    "head": HEAD_WRITTEN,
    "new_head": HEAD_UP_TO_DATE,
    "was": WRITTEN,
    "now": UP_TO_DATE,
}
#: In packed facts: the stamps' bytes, then the status ``written`` or
#: ``up-to-date`` and a NUL (see :func:`melcli.manifest.lean_facts`).
_STAMPS = 32
_WRITTEN, _UP_TO_DATE = b"written\0", b"up-to-date\0"
#: Entries looked up by one statement (below SQLite's 32 766 parameters).
_FLIP_CHUNK = 500


#: The stage's page size (bytes), as the store's (:data:`PAGE_SIZE`).
STAGE_PAGE_SIZE = 16384


class Stage:
    """Entries a run changed, waiting for its commit, out of memory.

    A private temporary SQLite database (``sqlite3.connect("")``): SQLite keeps
    its pages in a small cache, and beyond that in a file of its temporary
    folder (``SQLITE_TMPDIR``, ``TMPDIR``, ``/var/tmp``...) that has no name
    and is gone when the connection closes or the process dies, even killed.
    It is not the store: nothing here is committed anywhere, and a run killed
    before its commit recovers from its journal, as always.

    Raises
    ------
    StoreError
        From every method, when SQLite cannot (no room in its folder).
    """

    def __init__(self) -> None:
        try:
            self.db = sqlite3.connect("", isolation_level=None, check_same_thread=False)
            # Before the table is made (a database's page size is set then).
            self.db.execute(f"PRAGMA page_size = {STAGE_PAGE_SIZE}")
            self.db.execute("PRAGMA journal_mode = OFF")
            self.db.execute("PRAGMA synchronous = OFF")
            self.db.execute(
                "CREATE TABLE staged (key BLOB PRIMARY KEY NOT NULL, line BLOB NOT "
                "NULL, facts BLOB NOT NULL) WITHOUT ROWID"
            )
        except SQLITE_ERRORS as exc:
            raise StoreError.of(exc) from None

    def put(self, rows: Iterable[tuple[str, bytes, bytes]]) -> None:
        """Hold ``rows`` (key, JSON line, packed facts), replacing any of their keys."""
        try:
            self.db.executemany(
                "INSERT OR REPLACE INTO staged (key, line, facts) VALUES (?, ?, ?)",
                ((_stage_key(k), line, facts) for k, line, facts in rows),
            )
        except SQLITE_ERRORS as exc:
            raise StoreError.of(exc) from None

    def get(self, key: str) -> tuple[bytes, bytes] | None:
        """Return the JSON line and packed facts held under ``key``, or None."""
        try:
            row = self.db.execute(
                "SELECT line, facts FROM staged WHERE key = ?", (_stage_key(key),)
            ).fetchone()
        except SQLITE_ERRORS as exc:
            raise StoreError.of(exc) from None
        return None if row is None else (bytes(row[0]), bytes(row[1]))

    def rows(self) -> Iterator[tuple[str, bytes, bytes]]:
        """Yield every ``(key, JSON line, packed facts)`` held, in the keys' order."""
        try:
            cursor = self.db.execute("SELECT key, line, facts FROM staged ORDER BY key")
            for key, line, facts in cursor:
                name = bytes(key).decode("utf-8", "surrogatepass")
                yield name, bytes(line), bytes(facts)
        except SQLITE_ERRORS as exc:
            raise StoreError.of(exc) from None

    def drop(self, key: str) -> None:
        """Forget ``key``."""
        try:
            self.db.execute("DELETE FROM staged WHERE key = ?", (_stage_key(key),))
        except SQLITE_ERRORS as exc:
            raise StoreError.of(exc) from None

    def close(self) -> None:
        """Close the connection (and so delete the file)."""
        db = getattr(self, "db", None)  # None: it could not be opened
        if db is not None:
            with contextlib.suppress(*SQLITE_ERRORS):
                db.close()

    def __del__(self) -> None:
        self.close()


def _stage_key(key: str) -> bytes:
    """``key`` as bytes: a name that is not UTF-8 holds lone surrogates."""
    return key.encode("utf-8", "surrogatepass")


def rebuild(path: Path) -> Store:
    """Start a new, empty store to replace ``path``'s; :func:`swap` puts it there.

    Made under a temporary name: a store killed half-made is never the one
    read. And not synced to disk: no run reads it before :func:`swap` renames
    it into place, a process killed before that leaves only a temporary, and
    the outputs it records are renamed into place unsynced too. Its 8
    fdatasyncs took 70-150 ms at the end of a first run (issue 19,
    bench/README.md).
    """
    temp = path.with_name(path.name + _TEMP_SUFFIX)
    _refuse_folders(temp)
    _remove(temp)
    try:
        return Store(temp, create=True, synced=False)
    except BaseException:
        _remove(temp)
        raise


def _remove(store: Path) -> None:
    for name in (store, _journal_of(store)):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(name)


def discard(store: Store) -> None:
    """Close ``store`` (made by :func:`rebuild`) and delete it."""
    store.close()
    _remove(store.path)


def swap(store: Store, path: Path) -> None:
    """Close ``store`` (made by :func:`rebuild`) and rename it to ``path``.

    Raises :class:`StoreError` if a folder is in ``path``'s place (OUT is
    untrusted: it is not melcli's to delete), and deletes ``store``.
    """
    store.close()
    try:
        _refuse_folders(path)
    except StoreError:
        _remove(store.path)
        raise
    try:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(_journal_of(path))  # a hot journal of the store replaced
        os.replace(store.path, path)
    except BaseException:
        _remove(store.path)  # no store half made left in OUT
        raise


def _refuse_folders(path: Path) -> None:
    """Raise StoreError if a folder is in the place of the store ``path`` or journal.

    OUT is untrusted: a folder there is not melcli's to delete, and SQLite
    would fail on it with a message naming neither.
    """
    for name in (path, _journal_of(path)):
        try:  # a link is not followed (nor looked at through: it may lead anywhere)
            folder = stat.S_ISDIR(os.lstat(name).st_mode)
        except OSError:
            folder = False
        if folder:
            raise StoreBlocked(_folder_in_place(name))


def _folder_in_place(path: Path) -> str:
    return f"{path.name} is a folder, not a file (remove it)"


def _check_file(path: Path, *, missing_ok: bool) -> None:
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        if missing_ok:
            return
        raise StoreError("missing") from None
    except OSError as exc:
        raise StoreError(os_reason(exc)) from None
    if stat.S_ISLNK(st.st_mode):
        raise StoreError("a symbolic link, not a file")
    if stat.S_ISDIR(st.st_mode):
        raise StoreBlocked(_folder_in_place(path))
    if not stat.S_ISREG(st.st_mode):
        raise StoreError("not a regular file")
    if st.st_nlink > 1:  # SQLite writes in place: through the other names too
        raise StoreError("a hard link, whose other names may be outside OUT")


def _journal_of(path: Path) -> Path:
    return path.with_name(path.name + "-journal")


def _drop_odd_journal(path: Path) -> None:
    """Remove the files beside the store SQLite would open and write, unless its own.

    A ``-journal`` that is not a regular file of one name: SQLite would follow
    a symbolic link there when it writes its journal, and write over a hard
    link's other names. Any ``-wal`` and ``-shm``: this store never uses WAL,
    and a crafted header asking for it has SQLite open them before any
    pragma, and write the WAL index into an ``-shm`` hard-linked there.
    """
    journal = _journal_of(path)
    for companion, kept in (
        (journal, True),
        (path.with_name(path.name + "-wal"), False),
        (path.with_name(path.name + "-shm"), False),
    ):
        try:
            st = os.lstat(companion)
        except OSError:
            continue
        if kept and stat.S_ISREG(st.st_mode) and st.st_nlink == 1:
            continue
        if stat.S_ISDIR(st.st_mode):  # not melcli's to delete, nor to write
            raise StoreBlocked(_folder_in_place(companion))
        try:
            os.unlink(companion)
        except OSError as exc:
            raise StoreError(f"{companion} is not a file: {os_reason(exc)}") from None


def _read_only_mode(path: Path) -> str:
    """Return how SQLite opens the store ``path`` to read it without writing.

    ``ro``, or ``ro&immutable=1`` when a ``-wal`` or ``-shm`` is beside it.
    SQLite opens a ``-wal`` as a write-ahead log, whatever the header says,
    and writes the log's index into the ``-shm`` (created, or a hard link
    there to a file anywhere); melcli never writes either, and a run deletes
    them and reads the store: an immutable store is read so (the file
    alone, not locked: no run writes it meanwhile, or it would have deleted
    them). Raises :class:`StoreError` for a store that cannot be read so: a
    ``-journal`` that is not a regular file of one name (a FIFO would be
    waited on), one beside a ``-wal`` (SQLite would roll back neither), and
    a header asking for WAL. A journal a killed run left, SQLite refuses to
    roll back (:meth:`StoreError.of`).
    """
    wal = any(
        os.path.lexists(path.with_name(path.name + suffix))
        for suffix in ("-wal", "-shm")
    )
    journal = _journal_of(path)
    try:
        st = os.lstat(journal)
    except OSError:
        pass
    else:
        if stat.S_ISDIR(st.st_mode):
            raise StoreBlocked(_folder_in_place(journal))
        if not stat.S_ISREG(st.st_mode) or st.st_nlink != 1:
            raise StoreError(f"{journal.name} beside it is not a file of its own")
        if wal:
            raise StoreError(f"{journal.name} and a -wal or -shm beside it")
        return "ro"
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
    try:
        fd = interrupts.os_open(path, flags)
    except OSError as exc:
        raise StoreError(os_reason(exc)) from None
    try:
        header = os.pread(fd, 2, 18)  # the file format's write and read versions
    except OSError as exc:
        raise StoreError(os_reason(exc)) from None
    finally:
        os.close(fd)
    if len(header) == 2 and 2 in header:
        raise StoreError("its header asks for a write-ahead log, never melcli's")
    return "ro&immutable=1" if wal else "ro"


def _quote(path: Path) -> str:
    from urllib.parse import quote

    return quote(os.path.abspath(path))

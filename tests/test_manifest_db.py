"""OUT/.melcli-manifest.db: updated, not rewritten; migrated; untrusted."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import Result
from conftest import RUN_LIMIT, WriteAudio, mel, memory_grown_here

from melcli import manifest_db
from melcli.discover import Job
from melcli.errors import MelcliError
from melcli.manifest import Manifest, _pack, file_stamp, lean_facts
from melcli.params import MelParams

pytestmark = pytest.mark.usefixtures("isolated")

STORE = manifest_db.STORE_NAME


def summary(result: Result) -> str:
    return result.stderr.splitlines()[-1]


def warnings(result: Result) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("warning")]


def outputs(out: Path) -> dict[str, int]:
    """Every array under ``out``, by name: its mtime (a rebuild changes it)."""
    return {
        p.relative_to(out).as_posix(): p.stat().st_mtime_ns for p in out.rglob("*.npy")
    }


def stored(out: Path) -> dict[str, dict[str, object]]:
    """The store's entries by key (as JSON escapes spell it in its key column)."""
    with sqlite3.connect(out / STORE) as db:
        rows = db.execute("SELECT key, entry FROM entries").fetchall()
    entries = {e["key"]: e for e in (json.loads(entry) for _, entry in rows)}
    assert sorted(json.dumps(k)[1:-1] for k in entries) == sorted(k for k, _ in rows)
    return entries


def craft(out: Path, key: str, **fields: object) -> None:
    """Change some ``fields`` of the stored entry ``key``, behind melcli's back.

    Its packed facts too, as melcli would pack them.
    """
    with sqlite3.connect(out / STORE) as db:
        (text,) = db.execute(
            "SELECT entry FROM entries WHERE key = ?", (key,)
        ).fetchone()
        entry = {**json.loads(text), **fields}
        db.execute(
            "UPDATE entries SET entry = ? WHERE key = ?", (json.dumps(entry), key)
        )
        db.execute("UPDATE facts SET facts = ? WHERE key = ?", (lean_facts(entry), key))


def as_if_melcli_wrote(out: Path) -> None:
    """Record the next change counter and mtime, as a commit of melcli's does."""
    header = (out / STORE).read_bytes()[:100]
    after = (int.from_bytes(header[24:28], "big") + 1) % (1 << 32)
    mtime = 2_000_000_000
    with sqlite3.connect(out / STORE) as db:
        db.execute("UPDATE state SET value = ? WHERE name = 'changes'", (str(after),))
        db.execute("UPDATE state SET value = ? WHERE name = 'mtime'", (str(mtime),))
    os.utime(out / STORE, ns=(mtime, mtime))
    with manifest_db.Store(out / STORE) as store:
        assert store.intact()


def jsonl(out: Path) -> dict[str, dict[str, object]]:
    lines = (out / "manifest.jsonl").read_text().splitlines()
    return {e["key"]: e for e in map(json.loads, lines)}


@pytest.fixture
def built(dataset: Path, tmp_path: Path) -> Path:
    out = tmp_path / "out"
    assert mel(dataset, out).exit_code == 0
    return out


def test_the_store_and_its_view_agree(built: Path) -> None:
    assert stored(built) == jsonl(built)
    assert len(stored(built)) == 4


def test_an_out_of_todays_melcli_is_migrated_with_nothing_rebuilt(
    dataset: Path, built: Path
) -> None:
    """Before the store, OUT held manifest.jsonl alone."""
    (built / STORE).unlink()
    before = outputs(built)

    result = mel(dataset, built)

    assert summary(result) == "0 written, 4 up to date."
    assert warnings(result) == []
    assert outputs(built) == before
    assert set(stored(built)) == set(before)


def test_a_no_op_writes_neither_the_store_nor_the_view(
    dataset: Path, built: Path
) -> None:
    mel(dataset, built)  # entries become "up-to-date": written once
    files = [built / STORE, built / "manifest.jsonl"]
    before = [(p.stat().st_ino, p.stat().st_mtime_ns) for p in files]

    assert summary(mel(dataset, built)) == "0 written, 4 up to date."

    assert [(p.stat().st_ino, p.stat().st_mtime_ns) for p in files] == before


def test_a_no_op_leaves_out_as_it_was(dataset: Path, built: Path) -> None:
    """Not even a journal made and deleted: OUT's folder is not changed."""
    mel(dataset, built)
    before = built.stat().st_mtime_ns

    assert summary(mel(dataset, built)) == "0 written, 4 up to date."

    assert built.stat().st_mtime_ns == before


def test_a_run_writes_only_the_entries_that_changed(
    dataset: Path, built: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mel(dataset, built)
    written: list[list[str]] = []
    real = manifest_db.Store.write

    def spy(
        self: manifest_db.Store, put: list[tuple[str, bytes, bytes]], **kw: object
    ) -> None:
        put = list(put)
        written.append([key for key, *_ in put])
        real(self, put, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(manifest_db.Store, "write", spy)
    touched = dataset / "dogs" / "bark1.wav"
    os.utime(
        touched, ns=(touched.stat().st_atime_ns, touched.stat().st_mtime_ns + 10**9)
    )

    assert summary(mel(dataset, built)) == "1 written, 3 up to date."

    assert written == [["dogs/bark1.npy"]]
    assert stored(built) == jsonl(built)
    assert stored(built)["dogs/bark1.npy"]["input"][1] == touched.stat().st_mtime_ns


def test_a_view_written_by_another_is_read(dataset: Path, built: Path) -> None:
    """``melcli merge``, an older melcli or a person rewrote manifest.jsonl."""
    entries = jsonl(built)
    del entries["dogs/bark1.npy"]
    (built / "manifest.jsonl").write_text(
        "".join(json.dumps(e) + "\n" for e in entries.values())
    )

    assert summary(mel(dataset, built)) == "1 written, 3 up to date."
    assert set(stored(built)) == set(jsonl(built)) == set(outputs(built))


def test_a_missing_view_is_written_again(dataset: Path, built: Path) -> None:
    (built / "manifest.jsonl").unlink()
    assert summary(mel(dataset, built)) == "0 written, 4 up to date."
    assert stored(built) == jsonl(built)


@pytest.mark.parametrize(
    "craft",
    [
        "CREATE TABLE extra (x)",
        "CREATE VIEW v AS SELECT * FROM entries",
        "CREATE INDEX i ON entries (entry)",
        "CREATE TRIGGER t AFTER INSERT ON entries BEGIN DELETE FROM state; END",
    ],
)
def test_a_store_of_another_schema_is_not_read(
    dataset: Path, built: Path, craft: str
) -> None:
    with sqlite3.connect(built / STORE) as db:
        db.execute(craft)
    before = outputs(built)

    result = mel(dataset, built)

    assert summary(result) == "0 written, 4 up to date."  # from manifest.jsonl
    [warning] = warnings(result)
    assert STORE in warning
    assert "not the schema melcli writes" in warning
    assert outputs(built) == before
    with sqlite3.connect(built / STORE) as db:  # rebuilt as melcli writes it
        names = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
    assert names == {"entries", "facts", "state"}
    assert summary(mel(dataset, built)) == "0 written, 4 up to date."


@pytest.mark.parametrize("garbage", [b"", b"not a database at all" * 100])
def test_a_corrupt_store_is_one_warning_and_the_run_goes_on(
    dataset: Path, built: Path, garbage: bytes
) -> None:
    (built / STORE).write_bytes(garbage)

    result = mel(dataset, built)

    assert result.exit_code == 0
    assert summary(result) == "0 written, 4 up to date."
    assert len(warnings(result)) == 1
    assert "Traceback" not in result.stderr
    assert stored(built) == jsonl(built)


def test_a_store_linked_elsewhere_is_not_followed(
    dataset: Path, built: Path, tmp_path: Path
) -> None:
    victim = tmp_path / "victim.db"
    (built / STORE).rename(victim)
    (built / STORE).symlink_to(victim)
    kept = victim.read_bytes()

    result = mel(dataset, built)

    assert summary(result) == "0 written, 4 up to date."
    [warning] = warnings(result)
    assert "a symbolic link" in warning
    assert victim.read_bytes() == kept
    assert not (built / STORE).is_symlink()


def test_a_journal_linked_elsewhere_is_removed_not_written(
    dataset: Path, built: Path, tmp_path: Path
) -> None:
    victim = tmp_path / "victim"
    victim.write_bytes(b"keep me")
    (built / f"{STORE}-journal").symlink_to(victim)
    touched = dataset / "dogs" / "bark1.wav"
    os.utime(
        touched, ns=(touched.stat().st_atime_ns, touched.stat().st_mtime_ns + 10**9)
    )

    assert summary(mel(dataset, built)) == "1 written, 3 up to date."
    assert victim.read_bytes() == b"keep me"
    assert not os.path.lexists(built / f"{STORE}-journal")


def test_invalid_stored_entries_are_dropped_and_rebuilt(
    dataset: Path, built: Path
) -> None:
    craft(built, "dogs/bark1.npy", stamps={"../../victim": [1, 2]})

    result = mel(dataset, built)

    assert summary(result) == "1 written, 3 up to date."
    [warning] = warnings(result)
    assert "dropped 1 invalid entry" in warning


def test_non_utf8_names_are_stored(tmp_path: Path, write_audio: WriteAudio) -> None:
    plain = write_audio("plain.wav")
    raw = os.fsencode(plain.parent) + b"/caf\xe9.wav"
    os.link(plain, raw)
    out = tmp_path / "out"
    assert summary(mel(plain.parent, out)) == "2 written."
    assert summary(mel(plain.parent, out)) == "0 written, 2 up to date."
    assert set(stored(out)) == set(jsonl(out)) == {"plain.npy", "caf\udce9.npy"}


def test_the_python_api_commits_only_what_changed(built: Path) -> None:
    manifest = Manifest.load(built)
    entry = dict(manifest.entries["dogs/bark1.npy"])
    manifest.entries["dogs/bark1.npy"] = dict(entry)  # equal: no change
    assert not manifest.entries.changed  # type: ignore[attr-defined]
    manifest.forget("birds/tweet.npy")
    manifest.commit()
    assert (
        set(stored(built))
        == set(jsonl(built))
        == {
            "birds/deep/chirp.npy",
            "dogs/bark1.npy",
            "dogs/bark2.npy",
        }
    )


def test_a_commit_cut_between_the_view_and_the_store_loses_nothing(
    built: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As a kill -9 after manifest.jsonl is renamed, before the store commits."""
    manifest = Manifest.load(built)
    entry = dict(manifest.entries["dogs/bark1.npy"], warnings=["changed"])
    manifest.record(entry, journal=False)
    real = manifest_db.Store.write

    def cut(self: manifest_db.Store, put: list[tuple[str, bytes, bytes]], **kw: object):  # type: ignore[no-untyped-def]
        then = kw.pop("then")

        def view_then_die(store: manifest_db.Store) -> dict[str, str]:
            then(store)  # type: ignore[operator]
            raise KeyboardInterrupt

        return real(self, put, then=view_then_die, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(manifest_db.Store, "write", cut)
    with pytest.raises(KeyboardInterrupt):
        manifest.commit()
    monkeypatch.undo()

    assert stored(built)["dogs/bark1.npy"]["warnings"] != ["changed"]  # rolled back
    again = Manifest.load(built)
    assert again.problems == []
    assert again.entries["dogs/bark1.npy"]["warnings"] == ["changed"]  # the view's
    again.commit()
    assert stored(built) == jsonl(built)


class ReadsWhole:
    """Counts the stored entries read whole (one by one, or all at once)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.one: list[str] = []
        self.all = 0
        real_entry, real_entries = manifest_db.Store.entry, manifest_db.Store.entries

        def entry(store: manifest_db.Store, key: str) -> bytes | None:
            self.one.append(key)
            return real_entry(store, key)

        def entries(store: manifest_db.Store):  # type: ignore[no-untyped-def]
            self.all += 1
            return real_entries(store)

        monkeypatch.setattr(manifest_db.Store, "entry", entry)
        monkeypatch.setattr(manifest_db.Store, "entries", entries)


def test_a_no_op_reads_no_entry_whole(
    dataset: Path, built: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mel(dataset, built)  # entries become "up-to-date"
    reads = ReadsWhole(monkeypatch)

    assert summary(mel(dataset, built)) == "0 written, 4 up to date."

    assert (reads.one, reads.all) == ([], 0)


def test_a_touched_input_reads_its_own_entry_whole(
    dataset: Path, built: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mel(dataset, built)
    reads = ReadsWhole(monkeypatch)
    touched = dataset / "dogs" / "bark1.wav"
    os.utime(
        touched, ns=(touched.stat().st_atime_ns, touched.stat().st_mtime_ns + 10**9)
    )

    assert summary(mel(dataset, built)) == "1 written, 3 up to date."

    assert set(reads.one) == {"dogs/bark1.npy"}  # and its new line of the view
    assert reads.all == 0  # the view is not written whole


def test_the_first_no_op_after_a_build_writes_only_the_status(
    dataset: Path, built: Path
) -> None:
    before = stored(built)

    assert summary(mel(dataset, built)) == "0 written, 4 up to date."

    after = stored(built)
    assert {e["status"] for e in after.values()} == {"up-to-date"}
    for key, entry in after.items():
        assert {**entry, "status": "written"} == before[key]
    assert after == jsonl(built)


def test_the_first_no_op_after_a_build_reads_no_entry_but_for_the_view(
    dataset: Path, built: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each status is changed in the store's text, in place; and in the view."""
    reads = ReadsWhole(monkeypatch)

    assert summary(mel(dataset, built)) == "0 written, 4 up to date."

    assert (sorted(reads.one), reads.all) == (sorted(jsonl(built)), 0)  # the lines
    assert {e["status"] for e in stored(built).values()} == {"up-to-date"}


def test_an_entry_not_spelled_as_melcli_writes_it_gets_its_new_status_too(
    dataset: Path, built: Path
) -> None:
    """Its text (here without spaces) has no status to change in place."""
    with sqlite3.connect(built / STORE) as db:
        (text,) = db.execute(
            "SELECT entry FROM entries WHERE key = 'dogs/bark1.npy'"
        ).fetchone()
        tight = json.dumps(json.loads(text), separators=(",", ":"))
        db.execute(
            "UPDATE entries SET entry = ? WHERE key = 'dogs/bark1.npy'", (tight,)
        )
    before = stored(built)

    assert summary(mel(dataset, built)) == "0 written, 4 up to date."

    after = stored(built)
    for key, entry in after.items():
        assert entry == {**before[key], "status": "up-to-date"}
    assert after == jsonl(built)


@pytest.mark.parametrize("row", [b"", b"short", "text", None])
def test_facts_not_packed_are_read_from_the_entry(
    dataset: Path, built: Path, row: object
) -> None:
    """An entry of other facts (empty), or a row not as melcli writes it."""
    clean = Manifest.load(built).entries.facts("dogs/bark1.npy")
    with sqlite3.connect(built / STORE) as db:
        if row is None:
            db.execute("DELETE FROM facts WHERE key = 'dogs/bark1.npy'")
            db.execute("INSERT INTO facts VALUES ('dogs/bark1.npy', x'')")
        else:
            db.execute(
                "UPDATE facts SET facts = ? WHERE key = 'dogs/bark1.npy'", (row,)
            )
    loaded = Manifest.load(built)
    assert loaded.problems == []
    facts = loaded.entries.facts("dogs/bark1.npy")
    assert facts == clean
    assert facts is not None
    assert facts["stamps"] == jsonl(built)["dogs/bark1.npy"]["stamps"]

    assert summary(mel(dataset, built)) == "0 written, 4 up to date."


def test_an_entry_read_whole_when_used_is_checked_then(
    dataset: Path, built: Path
) -> None:
    """A field that does not decide a rebuild is checked when the entry is read.

    In a store crafted to look as melcli left it (its change counter as
    recorded): one written by another program is checked whole when opened.
    """
    craft(built, "dogs/bark1.npy", shape=-1)
    as_if_melcli_wrote(built)
    manifest = Manifest.load(built)
    assert manifest.problems == []

    entry = manifest.entries["dogs/bark1.npy"]

    assert entry["status"] == "failed"  # read as an input to build again
    assert "shape" not in entry
    [problem] = manifest.problems
    assert "dropped 1 invalid entry" in problem


def test_entries_held_by_their_facts_are_a_mapping(built: Path) -> None:
    manifest = Manifest.load(built)
    entries = manifest.entries
    assert len(entries) == 4
    assert "dogs/bark1.npy" in entries
    assert "dogs/none.npy" not in entries
    assert sorted(entries) == sorted(jsonl(built))
    facts = entries.facts("dogs/bark1.npy")
    assert facts is not None
    assert facts["stamps"] == jsonl(built)["dogs/bark1.npy"]["stamps"]
    assert facts["input"] == jsonl(built)["dogs/bark1.npy"]["input"]
    assert (facts["status"], facts["npy"]) == ("written", "dogs/bark1.npy")
    assert "wave" not in facts  # the rest is read when used
    assert entries == jsonl(built)
    del entries["birds/tweet.npy"]
    assert len(entries) == 3
    assert entries.changed == {"birds/tweet.npy"}


def test_a_commit_larger_than_sqlites_cache_reads_what_it_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The status of every entry changes (the first re-run after a build).

    SQLite spills a large transaction to the file, under an exclusive lock:
    the entries it writes must then be read through the same connection.
    """
    real_connect = sqlite3.connect
    monkeypatch.setattr(  # a lock waited for fails at once, not in 5 s
        sqlite3, "connect", lambda *a, **kw: real_connect(*a, **kw, timeout=0.01)
    )
    keys = [f"d/{i:05d}.npy" for i in range(1500)]
    first = Manifest(out=tmp_path)
    for key in keys:  # about 3 MB: more than SQLite's 2 MB page cache
        first.record(
            {"key": key, "status": "written", "warnings": ["x" * 2000]},
            journal=False,
        )
    first.commit()

    again = Manifest.load(tmp_path)
    for key in keys:
        again.entries.mark_up_to_date(key)
    again.commit()

    assert again.problems == []
    statuses = {e["status"] for e in stored(tmp_path).values()}
    assert statuses == {"up-to-date"}
    assert stored(tmp_path) == jsonl(tmp_path)


def test_an_unchanged_input_is_told_without_parsing_its_entry(
    dataset: Path, built: Path
) -> None:
    """The fast answer agrees with why_rebuild, and defers to it when unsure."""
    settings = MelParams().fingerprint()
    manifest = Manifest.load(built)
    sources = {key: e["source_abs"] for key, e in jsonl(built).items()}

    def both(key: str) -> tuple[str | None, str | None]:
        stamp = file_stamp(sources[key])
        return (
            manifest.unchanged(key, input_stamp=stamp, settings=settings),
            manifest.why_rebuild(key, input_stamp=stamp, settings=settings),
        )

    assert {both(key) for key in sources} == {("written", None)}
    touched = dataset / "dogs" / "bark1.wav"
    os.utime(
        touched, ns=(touched.stat().st_atime_ns, touched.stat().st_mtime_ns + 10**9)
    )
    assert both("dogs/bark1.npy") == (None, "input changed")
    assert (
        manifest.unchanged("dogs/bark2.npy", input_stamp=[1, 2], settings="x") is None
    )
    assert manifest.unchanged("nothing.npy", input_stamp=[1, 2], settings="x") is None
    stamp = file_stamp(sources["dogs/bark2.npy"])
    assert (
        manifest.unchanged(
            "dogs/bark2.npy", input_stamp=stamp, settings=settings, format="webdataset"
        )
        is None
    )


@pytest.mark.parametrize(
    ("column", "key", "mtime", "plain"),
    [
        ("d/a.npy", "d/a.npy", 2**63 - 1, True),
        ("d/a.npy", "d/a.npy", 2**63, False),  # entry_problem: not below 2**63
        ("../a.npy", "../a.npy", 1, False),  # not a safe name
        ("d/b.npy", "d/a.npy", 1, False),  # stored under another key
    ],
)
def test_the_usual_facts_are_checked_by_their_shape_as_entry_problem_would(
    column: str, key: str, mtime: int, plain: bool
) -> None:
    from melcli.manifest import FACTS, _plain, entry_problem

    values = [key, "written", "f00d", None, [1, mtime], {key: [2, 3]}, key]
    text = json.dumps(
        values + [None] * (len(FACTS) - len(values)), separators=(",", ":")
    )
    fields = {
        n: v for n, v in zip(FACTS, json.loads(text), strict=True) if v is not None
    }
    assert _plain(column, text) is plain
    assert (entry_problem(fields) is None and column == key) is plain


def test_a_second_commit_writes_only_what_changed_since_the_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    manifest = Manifest(out=tmp_path)
    manifest.record({"key": "a.npy", "status": "written"}, journal=False)
    manifest.commit()  # the first: the whole store, made anew
    written: list[list[str]] = []
    real = manifest_db.Store.write

    def spy(self: manifest_db.Store, put: list[tuple[str, bytes, bytes]], **kw: object):  # type: ignore[no-untyped-def]
        put = list(put)
        written.append([key for key, *_ in put])
        return real(self, put, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(manifest_db.Store, "write", spy)
    manifest.record({"key": "b.npy", "status": "written"}, journal=False)
    manifest.commit()

    assert written == [["b.npy"]]
    assert set(stored(tmp_path)) == set(jsonl(tmp_path)) == {"a.npy", "b.npy"}


def to_version_1(out: Path) -> None:
    """Make OUT's store as melcli wrote it before the ``facts`` table."""
    with sqlite3.connect(out / STORE) as db:
        db.execute("DROP TABLE facts")
        db.execute("PRAGMA user_version = 1")


def test_a_store_of_version_1_is_read_then_rewritten_with_nothing_rebuilt(
    dataset: Path, built: Path
) -> None:
    mel(dataset, built)  # entries become "up-to-date"
    to_version_1(built)
    before, entries = outputs(built), stored(built)

    result = mel(dataset, built)

    assert summary(result) == "0 written, 4 up to date."
    assert warnings(result) == []
    assert outputs(built) == before
    assert stored(built) == entries == jsonl(built)
    with sqlite3.connect(built / STORE) as db:
        assert db.execute("PRAGMA user_version").fetchone() == (manifest_db.VERSION,)
        packed = dict(db.execute("SELECT key, facts FROM facts"))
    assert packed == {key: lean_facts(entry) for key, entry in entries.items()}
    assert all(packed.values())  # the usual entries, all of them


def test_a_no_op_reads_the_packed_facts_not_the_entries(
    dataset: Path, built: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mel(dataset, built)
    asked: list[object] = []
    real = manifest_db.Store.facts

    def facts(store: manifest_db.Store, fields: object, **kw: object):  # type: ignore[no-untyped-def]
        asked.append(fields)
        return real(store, fields, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(manifest_db.Store, "facts", facts)

    assert summary(mel(dataset, built)) == "0 written, 4 up to date."
    assert asked == []


def test_packed_facts_are_kept_with_their_entries(dataset: Path, built: Path) -> None:
    """Written, flipped, rebuilt, dropped: each entry's packed facts follow it."""

    def agree() -> None:
        with sqlite3.connect(built / STORE) as db:
            packed = dict(db.execute("SELECT key, facts FROM facts"))
        assert packed == {k: lean_facts(e) for k, e in stored(built).items()}

    agree()  # written
    mel(dataset, built)
    agree()  # each status flipped to up-to-date
    touched = dataset / "dogs" / "bark1.wav"
    os.utime(
        touched, ns=(touched.stat().st_atime_ns, touched.stat().st_mtime_ns + 10**9)
    )
    (dataset / "dogs" / "bark2.flac").unlink()
    assert summary(mel(dataset, built, "--prune")) == (
        "1 written, 2 up to date, 1 stale output removed."
    )
    agree()  # one rebuilt, one dropped
    assert "dogs/bark2.npy" not in stored(built)
    mel(dataset, built, "--png")
    agree()  # entries with a PNG: not the usual facts, held as their JSON
    assert {lean_facts(e) for e in stored(built).values()} == {b""}


@pytest.mark.parametrize(
    "crafted",
    [
        b"\xff" * 32 + b"written\x00" + MelParams().fingerprint().encode(),
        b"\x00" * 32 + b"up-to-date\x00" + MelParams().fingerprint().encode(),
        b"\x01" * 40,
    ],
)
def test_crafted_packed_facts_can_only_make_an_input_rebuilt(
    dataset: Path, built: Path, crafted: bytes
) -> None:
    with sqlite3.connect(built / STORE) as db:
        db.execute(
            "UPDATE facts SET facts = ? WHERE key = 'dogs/bark1.npy'", (crafted,)
        )
        db.execute("INSERT INTO facts VALUES ('../../victim.npy', ?)", (crafted,))

    result = mel(dataset, built)

    assert summary(result) == "1 written, 3 up to date."
    assert stored(built) == jsonl(built)
    assert "../../victim.npy" not in stored(built)


def test_a_touched_input_rebuilt_in_its_place_reads_no_other_entry(
    dataset: Path, built: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its earlier places (found by every entry's source) were replaced before."""
    mel(dataset, built)
    reads = ReadsWhole(monkeypatch)
    asked: list[int] = []
    real = manifest_db.Store.sources

    def sources(store: manifest_db.Store):  # type: ignore[no-untyped-def]
        asked.append(1)
        return real(store)

    monkeypatch.setattr(manifest_db.Store, "sources", sources)
    touched = dataset / "dogs" / "bark1.wav"
    os.utime(
        touched, ns=(touched.stat().st_atime_ns, touched.stat().st_mtime_ns + 10**9)
    )

    assert summary(mel(dataset, built)) == "1 written, 3 up to date."

    assert asked == []
    assert set(reads.one) == {"dogs/bark1.npy"}
    assert stored(built) == jsonl(built)


def test_a_full_disk_while_storing_is_said_as_such(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # SQLite may roll a transaction back itself on SQLITE_FULL: the store's own
    # ROLLBACK then failed ("no transaction is active") and hid the cause.
    first = Manifest(out=tmp_path)
    first.record({"key": "a.npy", "status": "written"}, journal=False)
    first.commit()
    real_connect = sqlite3.connect

    def full(*args: object, **kwargs: object) -> sqlite3.Connection:
        db = real_connect(*args, **kwargs)  # type: ignore[arg-type]
        (pages,) = db.execute("PRAGMA page_count").fetchone()
        db.execute(f"PRAGMA max_page_count = {pages}")  # the disk is full
        return db

    monkeypatch.setattr(sqlite3, "connect", full)
    again = Manifest.load(tmp_path)
    for i in range(2000):
        again.record(
            {"key": f"d/{i:05d}.npy", "status": "written", "warnings": ["x" * 500]},
            journal=False,
        )
    with pytest.raises(MelcliError) as caught:
        again.commit()
    assert "no space left on device" in str(caught.value)
    assert "rollback" not in str(caught.value)
    monkeypatch.setattr(sqlite3, "connect", real_connect)
    assert set(stored(tmp_path)) == {"a.npy"}  # the store as it was


@pytest.mark.parametrize(
    "change", ["none", "deleted", "touched", "link", "folder-link", "folder-gone"]
)
def test_an_array_looked_up_in_its_open_folder_is_checked_as_by_path(
    dataset: Path, built: Path, tmp_path: Path, change: str
) -> None:
    """Found up to date only if the array is still a regular file, as recorded."""
    settings = MelParams().fingerprint()
    npy = built / "dogs" / "bark1.npy"
    copy = tmp_path / "elsewhere" / "dogs"
    copy.mkdir(parents=True)
    for array in (built / "dogs").iterdir():  # the same bytes and times
        os.link(array, copy / array.name)
    if change == "deleted":
        npy.unlink()
    elif change == "touched":
        st = npy.stat()
        os.utime(npy, ns=(st.st_atime_ns, st.st_mtime_ns + 1))
    elif change == "link":
        npy.unlink()
        npy.symlink_to(copy / "bark1.npy")
    elif change == "folder-link":  # a folder of OUT leading outside it
        os.rename(built / "dogs", tmp_path / "moved")
        (built / "dogs").symlink_to(copy)
    elif change == "folder-gone":
        os.rename(built / "dogs", tmp_path / "moved")
    manifest = Manifest.load(built)
    stamp = file_stamp(dataset / "dogs" / "bark1.wav")

    with manifest.unchanged_test(settings=settings) as test:
        found = [test(key, stamp) for key in ("birds/tweet.npy", "dogs/bark1.npy")]

    assert found[0] is None  # another input's stamp
    assert found[1] == ("written" if change == "none" else None)
    assert manifest.why_rebuild(
        "dogs/bark1.npy", input_stamp=stamp, settings=settings
    ) == (None if change == "none" else "output missing or changed")
    # A plan's jobs, sifted in one loop, as each is told.
    jobs = [
        Job(dataset / f"{n}.wav", f"{n}.wav", built / f"{n}.npy", stamp=stamp)
        for n in ("birds/tweet", "dogs/bark1")
    ]
    up: list[Job] = []
    flips = bytearray()
    rest = list(
        manifest.sift_unchanged(jobs, settings=settings, up_to_date=up, flips=flips)
    )
    assert up == (jobs[1:] if change == "none" else [])
    assert rest == (jobs[:1] if change == "none" else jobs)
    assert flips == (b"\x01" if change == "none" else b"")  # written, now up to date


def test_sifting_takes_only_the_usual_inputs_whose_facts_are_exactly_so(
    built: Path,
) -> None:
    """A status merely ending as melcli's, a PNG, a row, another OUT: the caller's."""
    settings = MelParams().fingerprint()
    manifest = Manifest.load(built)
    entries = jsonl(built)
    keys = sorted(entries)
    jobs = [
        Job(
            entries[key]["source_abs"],
            entries[key]["source"],
            built / key,
            stamp=file_stamp(entries[key]["source_abs"]),
        )
        for key in keys
    ]
    facts = manifest.entries._facts
    numbers = struct_of(facts[keys[0]])
    facts[keys[0]] = _pack("xup-to-date", settings, *numbers)  # crafted
    numbers = struct_of(facts[keys[1]])
    facts[keys[1]] = _pack("up-to-date", settings, *numbers)  # as a re-run leaves
    others = [
        jobs[2].replace(png=built / "x.png"),
        jobs[2].replace(meta=(("label", "dog"),)),
        jobs[2].replace(npy=built.parent / "other" / keys[2]),
    ]
    up: list[Job] = []
    flips = bytearray()

    rest = list(
        manifest.sift_unchanged(
            [*jobs, *others], settings=settings, up_to_date=up, flips=flips
        )
    )

    assert rest == [jobs[0], *others]
    assert up == jobs[1:]
    assert flips == bytes([0] + [1] * (len(jobs) - 2))


def struct_of(packed: bytes | str) -> tuple[int, ...]:
    """The four stamps' numbers of packed facts."""
    assert isinstance(packed, bytes)
    return tuple(int.from_bytes(packed[i : i + 8], "little") for i in range(0, 32, 8))


def test_statuses_changed_by_a_re_run_are_held_in_place_of_their_facts(
    built: Path,
) -> None:
    """The first re-run after a build flips every status: no set of keys is kept."""
    manifest = Manifest.load(built)
    keys = sorted(jsonl(built))
    for key in keys:
        manifest.entries.mark_up_to_date(key)

    assert manifest.entries._flipped == set()  # not a key each, held again
    assert sorted(manifest.entries.flipped()) == keys
    assert {manifest.entries.facts(k)["status"] for k in keys} == {"up-to-date"}
    assert all(manifest.entries.packed(k) is None for k in keys)
    manifest.commit()
    assert manifest.entries.flipped() == []
    assert {e["status"] for e in stored(built).values()} == {"up-to-date"}
    assert stored(built) == jsonl(built)
    again = Manifest.load(built)
    assert {again.entries.plain_facts(k)[0] for k in keys} == {"up-to-date"}


# ------------------------------------------------- a run's entries staged
def new_entry(i: int, **fields: object) -> dict[str, object]:
    """A new input's entry, of about the size of a real one."""
    key = f"d{i % 10}/f{i:05d}.npy"
    return {
        "key": key,
        "status": "written",
        "error": "",
        "warnings": [],
        "npy": key,
        "png": None,
        "stamps": {key: [1000 + i, 10**18 + i]},
        "input": [1600 + i, 10**18 + i],
        "settings": "ab" * 20,
        "source": f"d{i % 10}/f{i:05d}.wav",
        "source_abs": f"/data/audio/d{i % 10}/f{i:05d}.wav",
        "shape": [128, 3],
        "wave": {"env": "gh" * 128, "peak": 0.31, "rms": 0.1, "clip": 0.0},
        **fields,
    }


@pytest.mark.parametrize("first_run", [True, False])
def test_a_runs_new_entries_wait_for_the_commit_out_of_memory(
    built: Path, tmp_path: Path, first_run: bool
) -> None:
    out = tmp_path / "new" if first_run else built
    manifest = Manifest.load(out)
    before = set(manifest.entries)
    manifest.begin()
    n = 3000
    with memory_grown_here(__file__) as measured:
        for i in range(n):
            manifest.record(new_entry(i))
    grown = measured[0]
    assert grown < n * 300, f"{grown / n:.0f} bytes an entry"  # ~1.7 kB each, held

    # Still a mapping of every entry, the latest of each.
    entries = manifest.entries
    assert len(entries) == n + len(before)
    assert set(entries) == before | {new_entry(i)["key"] for i in range(n)}
    assert entries["d7/f00007.npy"] == new_entry(7)
    assert entries.facts("d7/f00007.npy")["stamps"] == new_entry(7)["stamps"]  # type: ignore[index]
    manifest.forget("d1/f00001.npy")
    manifest.record(new_entry(2, status="failed", error="cut short"))
    assert "d1/f00001.npy" not in entries
    assert entries["d2/f00002.npy"]["status"] == "failed"
    manifest.commit()

    keys = before | {new_entry(i)["key"] for i in range(n)} - {"d1/f00001.npy"}
    assert set(stored(out)) == set(jsonl(out)) == keys
    assert stored(out) == jsonl(out)
    assert stored(out)["d2/f00002.npy"] == new_entry(
        2, status="failed", error="cut short"
    )
    assert stored(out)["d9/f02999.npy"] == new_entry(2999)
    assert not manifest.journal_path.exists()
    assert manifest.entries["d9/f02999.npy"] == new_entry(2999)  # after the commit too


#: Records new entries into OUT's manifest, a batch at a time out of memory,
#: then dies (SIGKILL) before the commit.
KILLED_WHILE_STAGING = """
import os, signal, sys
from pathlib import Path
from melcli import manifest as m
m.STAGE_EVERY = 2
manifest = m.Manifest.load(Path(sys.argv[1]))
manifest.begin()
for i in range(int(sys.argv[2])):
    key = f"d/f{i:03d}.npy"
    manifest.record({"key": key, "status": "written", "npy": key, "warnings": []})
assert len(manifest.entries._staged) >= 4  # they went out of memory
os.kill(os.getpid(), signal.SIGKILL)
"""


@pytest.mark.parametrize("first_run", [True, False])
def test_a_run_killed_with_entries_staged_commits_nothing_and_is_recovered(
    built: Path, tmp_path: Path, first_run: bool
) -> None:
    out = tmp_path / "new" if first_run else built
    if not first_run:
        store_before, view_before = stored(out), (out / "manifest.jsonl").read_bytes()
    proc = subprocess.run(
        [sys.executable, "-c", KILLED_WHILE_STAGING, str(out), "5"],
        capture_output=True,
        text=True,
        timeout=RUN_LIMIT,
        check=False,
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr

    if first_run:  # nothing committed: no store, no view, the journal
        assert not (out / STORE).exists()
        assert not (out / "manifest.jsonl").exists()
    else:  # the store and its view as they were
        assert stored(out) == store_before
        assert (out / "manifest.jsonl").read_bytes() == view_before
    recovered = Manifest.load(out)
    assert recovered.recovered
    new = {f"d/f{i:03d}.npy" for i in range(5)}
    assert new <= set(recovered.entries)
    recovered.commit()
    assert new <= set(stored(out)) == set(jsonl(out))
    assert not (out / ".melcli-journal.jsonl").exists()


def test_a_recorded_entry_is_encoded_once_for_the_journal_and_the_stage(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from melcli import manifest as manifest_module

    encoded: list[object] = []
    real_dumps = manifest_module._dumps

    def dumps(entry: dict[str, object]) -> bytes:
        encoded.append(entry["key"])
        return real_dumps(entry)

    monkeypatch.setattr(manifest_module, "_dumps", dumps)
    manifest = Manifest.load(tmp_path)
    manifest.begin()
    n = 2 * manifest_module.STAGE_EVERY
    for i in range(n):
        manifest.record(new_entry(i))
    # Set again, not journaled, before its batch went: staged as it is now.
    late = new_entry(n - 1, status="up-to-date")
    manifest.record(late, journal=False)

    assert len(manifest.entries._staged) >= manifest_module.STAGE_EVERY
    assert len(encoded) == n  # once each, not again for the stage
    assert manifest.entries[late["key"]] == late  # type: ignore[index]
    assert manifest.entries["d3/f00003.npy"] == new_entry(3)  # read back staged
    manifest.commit()
    assert stored(tmp_path)[late["key"]] == late  # type: ignore[index]
    assert stored(tmp_path)["d3/f00003.npy"] == new_entry(3)


def test_the_journal_lines_of_a_batch_are_written_at_its_end(tmp_path: Path) -> None:
    manifest = Manifest.load(tmp_path)
    manifest.begin()
    manifest.record(new_entry(0))  # alone: written at once
    assert manifest.journal_path.read_bytes().count(b"\n") == 1
    with manifest.journal_batch():
        for i in range(1, 4):
            manifest.record(new_entry(i))
        assert manifest.journal_path.read_bytes().count(b"\n") == 1
    lines = manifest.journal_path.read_bytes().splitlines()
    assert [json.loads(line) for line in lines] == [new_entry(i) for i in range(4)]
    manifest.commit()
    assert not manifest.journal_path.exists()

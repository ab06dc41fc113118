"""The commands that only read OUT open its store read-only, and write nothing.

``melcli stats`` (of OUT, or of arrays given by path, whose OUT it finds
above them), ``melcli gallery``, ``--dry-run`` and the data loader hold no
lock of OUT's (or not the run's): they opened the store read-write, and
SQLite rolled back a journal a killed run left, while melcli deleted a
``-wal`` or ``-shm`` beside it. Opened read-only, SQLite still wrote the
index of a ``-wal`` into the ``-shm`` (a hard link there: a file anywhere).
Now nothing beside the store is written, created or deleted, and a store
that cannot be read so (a journal to roll back) is not read: one line says
``manifest.jsonl`` is read instead.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import invoke, mel

from melcli import manifest_db
from melcli.data import SpectrogramDataset
from melcli.stats import compute

pytestmark = pytest.mark.usefixtures("isolated")

STORE = manifest_db.STORE_NAME


def stats(out: Path) -> str:
    result = invoke("stats", out)
    assert result.exit_code == 0, result.stderr
    return result.stderr


def stats_of_paths(out: Path) -> str:
    """``melcli.stats.compute`` of bare paths, which finds their OUT above them."""
    said = []
    found = compute([out / "dogs/a.npy", out / "cats/b.npy"], left_out=said)
    return f"{found!r} " + "; ".join(said)


def dry_run(out: Path) -> str:
    result = mel(out.parent / "audio", out, "--dry-run")
    assert result.exit_code == 0, result.stderr
    return result.stderr


def loader(out: Path) -> str:
    return f"{len(SpectrogramDataset(out))} items"


def gallery(out: Path) -> str:
    result = invoke("gallery", out)
    assert result.exit_code == 0, result.stderr
    return result.stderr


READERS: list[Callable[[Path], str]] = [
    stats,
    stats_of_paths,
    dry_run,
    loader,
    gallery,
]


def files(out: Path) -> dict[str, bytes]:
    return {
        p.name: p.read_bytes()
        for p in out.iterdir()
        if p.name.startswith(STORE) and p.is_file()
    }


@pytest.mark.parametrize("read", READERS, ids=lambda f: f.__name__)
def test_a_wal_and_shm_beside_the_store_are_left_alone(
    built: Path, tmp_path: Path, read: Callable[[Path], str]
) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_bytes(b"not OUT's\n")
    (built / f"{STORE}-wal").write_bytes(b"")
    os.link(outside, built / f"{STORE}-shm")
    before = files(built)

    said = read(built)

    assert "not read" not in said  # the store is read, as a run reads it
    assert files(built) == before
    assert outside.read_bytes() == b"not OUT's\n"


def hot_journal(out: Path) -> None:
    """Leave the store as a run killed in the middle of its commit does."""
    store = out / STORE
    db = sqlite3.connect(store, isolation_level=None)
    db.execute("PRAGMA cache_size = 1")  # spill: pages written before the commit
    db.execute("BEGIN IMMEDIATE")
    db.execute("UPDATE entries SET entry = replace(entry, 'written', 'WRITTEN')")
    db.execute("INSERT INTO state VALUES ('x', hex(zeroblob(200000)))")
    shutil.copy(store, out / "store.copy")
    shutil.copy(out / f"{STORE}-journal", out / "journal.copy")
    db.execute("ROLLBACK")
    db.close()
    os.replace(out / "store.copy", store)
    os.replace(out / "journal.copy", out / f"{STORE}-journal")


@pytest.mark.parametrize("read", [stats, stats_of_paths, dry_run, gallery])
def test_a_journal_a_killed_run_left_is_not_rolled_back_by_a_reader(
    built: Path, read: Callable[[Path], str]
) -> None:
    hot_journal(built)
    before = files(built)
    assert f"{STORE}-journal" in before

    said = read(built)

    assert (
        "a journal a run left, which the next run rolls back" in said
        or read is stats_of_paths
    )  # (says none)
    assert files(built) == before
    result = mel(built.parent / "audio", built)  # the run rolls it back
    assert result.stderr == "0 written, 2 up to date.\n"
    assert not (built / f"{STORE}-journal").exists()


def test_the_loader_says_so_of_a_journal_to_roll_back(built: Path) -> None:
    hot_journal(built)
    before = files(built)
    with pytest.raises(Exception, match="a journal a run left") as raised:
        SpectrogramDataset(built)
    assert "Traceback" not in str(raised.value)
    assert files(built) == before


@pytest.mark.parametrize("read", READERS, ids=lambda f: f.__name__)
def test_a_fifo_journal_is_neither_waited_on_nor_deleted(
    built: Path, read: Callable[[Path], str]
) -> None:
    os.mkfifo(built / f"{STORE}-journal")
    try:
        said = read(built)
    except Exception as exc:  # the loader refuses a store it did not read
        said = str(exc)

    assert (
        "-journal beside it is not a file of its own" in said or read is stats_of_paths
    )  # (says none)
    assert (built / f"{STORE}-journal").is_fifo()


@pytest.mark.parametrize("read", READERS, ids=lambda f: f.__name__)
def test_a_header_asking_for_wal_is_not_read(
    built: Path, read: Callable[[Path], str]
) -> None:
    store = built / STORE
    with open(store, "r+b") as f:
        f.seek(18)
        f.write(b"\x02\x02")
    before = files(built)
    try:
        said = read(built)
    except Exception as exc:
        said = str(exc)

    assert "asks for a write-ahead log" in said or read is stats_of_paths  # (says none)
    assert files(built) == before

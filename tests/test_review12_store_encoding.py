"""A store whose text SQLite keeps in UTF-16 (crafted OUT): read as not melcli's."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from conftest import short_tones

import melcli
from melcli import manifest_db
from melcli.report import Status

pytestmark = pytest.mark.usefixtures("isolated")


def in_utf16(path: Path) -> None:
    """Make the store at ``path`` again, same schema and rows, its text in UTF-16."""
    with sqlite3.connect(path) as old:
        tables = old.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'table'"
        ).fetchall()
        rows = {
            name: old.execute(f"SELECT * FROM {name}").fetchall() for name, _ in tables
        }
        (version,) = old.execute("PRAGMA user_version").fetchone()
    old.close()
    path.unlink()
    new = sqlite3.connect(path)
    new.execute("PRAGMA encoding = 'UTF-16le'")
    for name, ddl in tables:
        new.execute(ddl)
        if rows[name]:
            marks = ",".join("?" * len(rows[name][0]))
            new.executemany(f"INSERT INTO {name} VALUES ({marks})", rows[name])
    new.execute(f"PRAGMA user_version = {version}")
    new.commit()
    assert new.execute("PRAGMA encoding").fetchone() == ("UTF-16le",)
    new.close()


def test_a_store_in_utf16_costs_no_rebuild_and_leaves_out_readable(
    tmp_path: Path,
) -> None:
    src = short_tones(tmp_path / "src")
    out = tmp_path / "out"
    store = out / manifest_db.STORE_NAME
    assert melcli.run(src, out, jobs=1).count(Status.WRITTEN) == 3
    in_utf16(store)

    again = melcli.run(src, out, jobs=1)
    assert any("UTF-16" in w for w in again.warnings), again.warnings
    assert again.count(Status.WRITTEN) == 0
    assert again.count(Status.UP_TO_DATE) == 3
    third = melcli.run(src, out, jobs=1)
    assert third.count(Status.WRITTEN) == 0

    # The view is JSON lines a tool reads, the store's entries JSON too.
    lines = (out / "manifest.jsonl").read_bytes().splitlines()
    assert [json.loads(line)["status"] for line in lines] == ["up-to-date"] * 3
    with sqlite3.connect(store) as db:
        statuses = db.execute(
            "SELECT json_extract(entry, '$.status') FROM entries"
        ).fetchall()
    assert statuses == [("up-to-date",)] * 3

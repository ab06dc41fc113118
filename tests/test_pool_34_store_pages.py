"""A run's entries, some 1.1 KB each, fit the pages of the store and the stage.

A row of an SQLite ``WITHOUT ROWID`` table is kept whole in its page only up
to about a quarter of the page; in 4-KiB pages every such entry also took an
overflow page of its own: a store four times the size of its entries, and
each entry written (in the run's process, which a pool's workers wait on)
about three times as dear (bench/README.md, issue 19, "twenty-fourth round").
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from melcli import manifest
from melcli.manifest import Manifest
from melcli.manifest_db import STORE_NAME

#: Entries of about the size melcli writes for a 5-s clip (its wave summary,
#: stamps and settings): 1.1 KB of JSON each.
COUNT = 600


def entry(i: int) -> dict[str, object]:
    return {
        "key": f"d{i % 3}/{i:05d}.npy",
        "status": "written",
        "error": "",
        "warnings": ["w" * 1000],
    }


def line_bytes() -> int:
    return sum(len(json.dumps(entry(i))) for i in range(COUNT))


def pages_in_use(db: sqlite3.Connection) -> int:
    (size,) = db.execute("PRAGMA page_size").fetchone()
    (count,) = db.execute("PRAGMA page_count").fetchone()
    (free,) = db.execute("PRAGMA freelist_count").fetchone()
    return int(size) * (int(count) - int(free))


def test_a_new_store_is_not_several_times_the_size_of_its_entries(
    tmp_path: Path,
) -> None:
    m = Manifest(out=tmp_path)
    m.begin()
    for i in range(COUNT):
        m.record(entry(i))
    m.commit()

    store = tmp_path / STORE_NAME
    with sqlite3.connect(store) as db:
        (rows,) = db.execute("SELECT count(*) FROM entries").fetchone()
        used = pages_in_use(db)
    assert rows == COUNT
    # Entries, their keys and their packed facts: well under twice the text
    # (with an overflow page each, 4.4 times it).
    assert store.stat().st_size < 1.6 * line_bytes()
    assert used < 1.6 * line_bytes()


def test_a_runs_stage_is_not_several_times_the_size_of_its_entries(
    tmp_path: Path,
) -> None:
    m = Manifest(out=tmp_path)
    m.begin()
    for i in range(COUNT):
        m.record(entry(i))
    staged = m.entries._stage
    assert staged is not None  # the run's entries went there
    assert len(m.entries._staged) >= COUNT - manifest.STAGE_EVERY
    assert pages_in_use(staged.db) < 1.6 * line_bytes()
    m.commit()
    lines = (tmp_path / "manifest.jsonl").read_text().splitlines()
    assert [json.loads(x)["key"] for x in lines] == sorted(
        str(entry(i)["key"]) for i in range(COUNT)
    )

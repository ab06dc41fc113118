"""``melcli.stats.compute`` of bare paths says what was wrong with their OUT's manifest.

Given arrays by path, ``compute`` finds their OUT above them and holds each
array to what its manifest entry records. When that manifest could not be
read as it should (the store not read, entries dropped), the arrays of the
entries lost are held to nothing, and ``compute`` said nothing of it, where
``melcli stats`` says it. Now the same lines go to ``left_out``, or, without
it, come as warnings.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from melcli import manifest_db
from melcli.stats import compute

pytestmark = pytest.mark.usefixtures("isolated")


def unreadable_store(out: Path) -> None:
    """A store that is not melcli's schema: ``manifest.jsonl`` is read instead."""
    db = sqlite3.connect(out / manifest_db.STORE_NAME)
    db.execute("CREATE TABLE extra (x)")
    db.commit()
    db.close()


def invalid_view_line(out: Path) -> None:
    """``manifest.jsonl`` written by another program, one entry crafted."""
    view = out / "manifest.jsonl"
    entries = [json.loads(line) for line in view.read_text().splitlines()]
    entries[0]["stamps"] = {"../../elsewhere.npy": [1, 2]}
    (out / manifest_db.STORE_NAME).unlink()
    view.write_text("".join(json.dumps(e) + "\n" for e in entries))


def test_a_store_not_read_is_said_in_left_out(built: Path) -> None:
    unreadable_store(built)
    said: list[str] = []

    found = compute([built / "dogs/a.npy", built / "cats/b.npy"], left_out=said)

    assert len(found.files) == 2
    assert said == [
        f"{built}/{manifest_db.STORE_NAME}: not read (not the schema melcli "
        "writes); manifest.jsonl is read instead ('melcli mel' rebuilds the store)"
    ]


def test_entries_dropped_are_said_once(built: Path) -> None:
    invalid_view_line(built)
    said: list[str] = []

    compute([built / "dogs/a.npy", built / "cats/b.npy"], left_out=said)

    assert len(said) == 1
    assert said[0].startswith(f"{built}/manifest.jsonl: dropped 1 invalid entry")
    assert said[0].endswith("run 'melcli mel' again to rebuild their inputs")


def test_without_left_out_it_is_a_warning(built: Path) -> None:
    unreadable_store(built)

    with pytest.warns(UserWarning, match="not read .not the schema melcli writes"):
        found = compute([built / "dogs/a.npy", built / "cats/b.npy"])

    assert len(found.files) == 2


def test_an_intact_out_says_nothing(built: Path) -> None:
    said: list[str] = []

    compute([built / "dogs/a.npy", built / "cats/b.npy"], left_out=said)

    assert said == []

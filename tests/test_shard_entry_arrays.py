"""A ``--shard`` run checks the entries it takes from the whole manifest, only those.

A shard completes its manifest part with its inputs' entries of the whole
manifest (a shard run after an unsharded one). It read ``manifest.jsonl``
alone, and checked every entry of it against its array, every shard run:
each warned of the entries of every shard ("2 entries ... their inputs are
rebuilt") while it rebuilt only its own, and went on warning, run after
run, of entries its part had long replaced. It now reads the whole manifest
as a run does (the store, unless ``manifest.jsonl`` replaced it) and checks
the entries it takes, as a run checks those it cannot trust.
"""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest
from conftest import mel

from melcli import manifest_db
from melcli.shard import Shard

pytestmark = pytest.mark.usefixtures("isolated")

SHARDS = ("0/2", "1/2")
WARNING = "entry records another array than the one in OUT"


def owner(key: str) -> str:
    source = key.removesuffix(".npy") + ".wav"
    return next(s for s in SHARDS if Shard.parse(s).owns(source))


def craft_view(out: Path) -> None:
    """Every entry records one frame more than its array: a view written by hand."""
    view = out / "manifest.jsonl"
    entries = [json.loads(line) for line in view.read_text().splitlines()]
    for entry in entries:
        entry["shape"] = [entry["shape"][0], entry["shape"][1] + 1]
    (out / "new.jsonl").write_text("".join(json.dumps(e) + "\n" for e in entries))
    os.replace(out / "new.jsonl", view)


def craft_store(out: Path) -> None:
    """The same, in the store, by another program (it is no longer intact)."""
    db = sqlite3.connect(out / manifest_db.STORE_NAME)
    for key, text in db.execute("SELECT key, entry FROM entries").fetchall():
        entry = json.loads(text)
        entry["shape"] = [entry["shape"][0], entry["shape"][1] + 1]
        db.execute(
            "UPDATE entries SET entry = ? WHERE key = ?", (json.dumps(entry), key)
        )
    db.commit()
    db.close()


@pytest.mark.parametrize("craft", [craft_view, craft_store], ids=["view", "store"])
def test_each_shard_repairs_its_own_and_says_only_those(
    built: Path, tmp_path: Path, craft: object
) -> None:
    assert callable(craft)
    craft(built)
    assert {owner("dogs/a.npy"), owner("cats/b.npy")} == set(SHARDS)  # one each

    first = [mel(tmp_path / "audio", built, "--shard", s) for s in SHARDS]
    again = [mel(tmp_path / "audio", built, "--shard", s) for s in SHARDS]

    for result in first:
        assert result.exit_code == 0, result.stderr
        assert f"1 {WARNING}" in result.stderr
        assert result.stderr.splitlines()[-1] == "1 written."
    for result in again:
        assert result.stderr == "0 written, 1 up to date.\n"


def test_a_store_not_read_is_said_as_a_reader_says_it(
    built: Path, tmp_path: Path
) -> None:
    """A shard rebuilds no store: the line does not say it does."""
    db = sqlite3.connect(built / manifest_db.STORE_NAME)
    db.execute("CREATE TABLE extra (x)")
    db.commit()
    db.close()

    result = mel(tmp_path / "audio", built, "--shard", "0/2")

    assert result.exit_code == 0, result.stderr
    assert result.stderr.splitlines() == [
        f"warning: {built}/{manifest_db.STORE_NAME}: not read (not the schema "
        "melcli writes); manifest.jsonl is read instead ('melcli mel' rebuilds the "
        "store)",
        "0 written, 1 up to date.",
    ]

"""A store forged to look untouched, and entries too long to read: a run recovers.

- A store edited by another program and given back melcli's change counter
  and mtime (so its rows are not checked) with an entry that is a blob, not
  UTF-8, or holds a raw line break made every run fail at ``cannot write
  manifest.jsonl`` until ``--force`` (or copied the line break into the view).
  Now the view is written without it, the row is dropped with one line, and
  the next run rebuilds its input.
- No entry had a size limit: a 50 MB crafted row (in the store, in
  ``manifest.jsonl``, in the journal) was parsed, kept and written again to
  the view. Now an entry longer than ``MAX_ENTRY`` is dropped unread, its
  input rebuilt.
"""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest
from conftest import mel, short_tones

from melcli import manifest_db

pytestmark = pytest.mark.usefixtures("isolated")

MAX_ENTRY = 16 << 20  # manifest_db.MAX_ENTRY (here too: the old code had none)
TOO_LONG = ["x" * (MAX_ENTRY + 1)]


def _forge(store: Path, kind: str) -> str:
    """Change the second entry so, then give the store melcli's own last stamps."""
    with sqlite3.connect(store) as db:
        key, text = db.execute(
            "SELECT key, entry FROM entries ORDER BY key LIMIT 1 OFFSET 1"
        ).fetchone()
        entry = json.loads(text)
        value: object
        if kind == "blob":
            value = text.encode()
        elif kind == "not UTF-8":
            value = text.encode().replace(b'"error": ""', b'"error": "\xff"')
            db.execute(
                "UPDATE entries SET entry = CAST(? AS TEXT) WHERE key = ?", (value, key)
            )
        elif kind == "line break":
            value = json.dumps(entry, indent=1)
        else:
            value = json.dumps({**entry, "warnings": TOO_LONG})
        if kind != "not UTF-8":
            db.execute("UPDATE entries SET entry = ? WHERE key = ?", (value, key))
        (mtime,) = db.execute("SELECT value FROM state WHERE name = 'mtime'").fetchone()
        (changes,) = db.execute(
            "SELECT value FROM state WHERE name = 'changes'"
        ).fetchone()
    db.close()
    with store.open("r+b") as f:  # the change counter melcli's commit left
        f.seek(24)
        f.write(int(changes).to_bytes(4, "big"))
    os.utime(store, ns=(int(mtime), int(mtime)))
    return str(key)


def _lines_are_entries(out: Path) -> None:
    for line in (out / "manifest.jsonl").read_text().splitlines():
        assert isinstance(json.loads(line), dict), line[:80]
        assert len(line) <= MAX_ENTRY


@pytest.mark.parametrize("kind", ["blob", "not UTF-8", "line break", "too long"])
def test_a_forged_store_recovers_by_itself(tmp_path: Path, kind: str) -> None:
    src = short_tones(tmp_path / "src", 3)
    out = tmp_path / "out"
    assert mel(src, out).exit_code == 0
    assert mel(src, out).exit_code == 0  # statuses flipped: as a CI cache holds it
    key = _forge(out / manifest_db.STORE_NAME, kind)
    first = sorted(src.iterdir())[0]
    (src / "zz.wav").write_bytes(first.read_bytes())  # the view written whole

    result = mel(src, out)

    assert result.exit_code == 0, result.stderr
    assert "cannot write" not in result.stderr
    warned = [line for line in result.stderr.splitlines() if "dropped 1" in line]
    assert len(warned) == 1, result.stderr
    assert len(warned[0]) < 400
    _lines_are_entries(out)
    again = mel(src, out)
    assert again.exit_code == 0, again.stderr
    assert again.stderr.splitlines()[-1] == "1 written, 3 up to date.", again.stderr
    assert "dropped" not in again.stderr
    assert (out / key).is_file()
    last = mel(src, out)
    assert last.stderr.splitlines()[-1] == "0 written, 4 up to date.", last.stderr


def test_a_too_long_entry_in_a_store_is_dropped_and_rebuilt(tmp_path: Path) -> None:
    src = short_tones(tmp_path / "src", 2)
    out = tmp_path / "out"
    assert mel(src, out).exit_code == 0
    with sqlite3.connect(out / manifest_db.STORE_NAME) as db:
        key, text = db.execute(
            "SELECT key, entry FROM entries ORDER BY key LIMIT 1"
        ).fetchone()
        crafted = json.dumps({**json.loads(text), "warnings": TOO_LONG})
        db.execute("UPDATE entries SET entry = ? WHERE key = ?", (crafted, key))
    db.close()

    result = mel(src, out)

    assert result.exit_code == 0, result.stderr
    assert result.stderr.splitlines()[-1] == "1 written, 1 up to date.", result.stderr
    assert "dropped 1 invalid entry" in result.stderr
    _lines_are_entries(out)
    assert "x" * 1000 not in (out / "manifest.jsonl").read_text()


@pytest.mark.parametrize("name", ["manifest.jsonl", ".melcli-journal.jsonl"])
def test_a_too_long_line_is_dropped_unread(tmp_path: Path, name: str) -> None:
    src = short_tones(tmp_path / "src", 2)
    out = tmp_path / "out"
    assert mel(src, out).exit_code == 0
    lines = (out / "manifest.jsonl").read_text().splitlines()
    (out / manifest_db.STORE_NAME).unlink()  # read from the view and journal
    entry = {**json.loads(lines[0]), "warnings": TOO_LONG}
    if name == "manifest.jsonl":
        lines[0] = json.dumps(entry)
    (out / "manifest.jsonl").write_text("\n".join(lines) + "\n")
    if name != "manifest.jsonl":
        (out / name).write_text(json.dumps(entry) + "\n")

    result = mel(src, out)

    assert result.exit_code == 0, result.stderr
    assert "dropped 1 invalid entry" in result.stderr, result.stderr
    # A journal's line dropped leaves the manifest's own entry: up to date.
    rebuilt = int(name == "manifest.jsonl")
    summary = f"{rebuilt} written, {2 - rebuilt} up to date."
    assert result.stderr.splitlines()[-1] == summary, result.stderr
    _lines_are_entries(out)

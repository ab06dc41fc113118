"""A store forged without an entry's row, its facts row kept, is not believed.

A run trusts a store melcli last wrote (its change counter and mtime as
melcli left them) without reading its rows: it decides from the ``facts``
table alone. A store edited by another program, given back those stamps,
that lost an entry's row in ``entries`` but kept its ``facts`` row had every
run say the input was up to date, while ``manifest.jsonl`` and the loader
had no entry for it (the loader refusing OUT for good). The two tables
must hold as many rows, a cheap count: else each row is checked, as for
any store not as melcli left it, and the input rebuilt.
"""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest
from conftest import mel, short_tones

from melcli import manifest_db
from melcli.data import SpectrogramDataset

pytestmark = pytest.mark.usefixtures("isolated")


def forge_without_an_entry_row(store: Path) -> str:
    """Delete one ``entries`` row (not its facts), then restore melcli's stamps."""
    with sqlite3.connect(store) as db:
        (key,) = db.execute("SELECT key FROM entries ORDER BY key LIMIT 1").fetchone()
        db.execute("DELETE FROM entries WHERE key = ?", (key,))
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


def test_an_input_whose_entry_row_is_gone_is_rebuilt(tmp_path: Path) -> None:
    src = short_tones(tmp_path / "src", 3)
    out = tmp_path / "out"
    assert mel(src, out).exit_code == 0
    assert mel(src, out).exit_code == 0  # statuses flipped: as a CI cache holds it
    key = forge_without_an_entry_row(out / manifest_db.STORE_NAME)

    result = mel(src, out)

    assert result.exit_code == 0, result.stderr
    assert result.stderr.splitlines()[-1] != "0 written, 3 up to date.", result.stderr
    lines = (out / "manifest.jsonl").read_text(encoding="utf-8").splitlines()
    keys = [json.loads(line)["key"] for line in lines]
    assert key in keys
    assert len(SpectrogramDataset(out)) == 3
    again = mel(src, out)
    assert again.stderr.splitlines()[-1] == "0 written, 3 up to date.", again.stderr

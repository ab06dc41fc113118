"""An entry that is not UTF-8, in a store that looks untouched: one short line."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest
from conftest import mel, short_tones

from melcli import manifest_db

pytestmark = pytest.mark.usefixtures("isolated")


def test_an_entry_not_utf8_is_named_so_not_quoted_whole(tmp_path: Path) -> None:
    src = short_tones(tmp_path / "src")
    out = tmp_path / "out"
    assert mel(src, out, "-j", "1").exit_code == 0
    store = out / manifest_db.STORE_NAME
    with sqlite3.connect(store) as db:
        key, text = db.execute(
            "SELECT key, entry FROM entries ORDER BY key LIMIT 1"
        ).fetchone()
        bad = text.encode().replace(b'"error": ""', b'"error": "\xff"')
        assert bad != text.encode()
        db.execute(
            "UPDATE entries SET entry = CAST(? AS TEXT) WHERE key = ?", (bad, key)
        )
        # As melcli's own last commit: the change counter this one leaves, and
        # (below) the mtime melcli recorded.
        (mtime,) = db.execute("SELECT value FROM state WHERE name = 'mtime'").fetchone()
        with store.open("rb") as f:
            counter = int.from_bytes(f.read(28)[24:], "big")
        db.execute(
            "UPDATE state SET value = ? WHERE name = 'changes'", (str(counter + 1),)
        )
    db.close()
    os.utime(store, ns=(int(mtime), int(mtime)))
    first = sorted(src.iterdir())[0]
    (src / "zz-copy.wav").write_bytes(first.read_bytes())  # the view written whole

    result = mel(src, out, "-j", "1")

    # Dropped in one line (its input rebuilt by the next run), the view written
    # without it: no error (test_out_store_forged_12 says more).
    assert result.exit_code == 0, result.stderr
    said = [line for line in result.stderr.splitlines() if "dropped 1" in line]
    assert said, result.stderr
    for line in said:
        assert '"stamps"' not in line  # not the entry's text
        assert len(line) < 400
    assert "Traceback" not in result.stderr

"""manifest.jsonl stays one JSON entry a line after a store edited elsewhere."""

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


@pytest.mark.parametrize("space", ["\n", "\r\n", "\r"])
@pytest.mark.parametrize("added", [True, False], ids=["input added", "re-run"])
def test_an_entry_with_line_breaks_between_its_tokens_leaves_the_view_json_lines(
    tmp_path: Path, space: str, added: bool
) -> None:
    # The store edited by another program (OUT is untrusted): an entry whose
    # JSON is valid, with line breaks where JSON allows whitespace. The view
    # that tools read a line at a time must still be JSON lines.
    src = short_tones(tmp_path / "src")
    out = tmp_path / "out"
    assert melcli.run(src, out, jobs=1).count(Status.WRITTEN) == 3
    with sqlite3.connect(out / manifest_db.STORE_NAME) as db:
        key, text = db.execute(
            "SELECT key, entry FROM entries ORDER BY key LIMIT 1"
        ).fetchone()
        # (Not at its status: a re-run flips that in place, the rest kept.)
        spaced = text.replace(', "key"', "," + space + '"key"')
        assert spaced != text
        assert json.loads(spaced) == json.loads(text)
        db.execute("UPDATE entries SET entry = ? WHERE key = ?", (spaced, key))
    db.close()

    if added:  # one input more: the view is written whole
        first = sorted(src.rglob("*.wav"))[0]
        (first.parent / "zz-copy.wav").write_bytes(first.read_bytes())
    melcli.run(src, out, jobs=1)
    melcli.run(src, out, jobs=1)

    raw = (out / "manifest.jsonl").read_bytes()
    assert b"\r" not in raw
    lines = raw.split(b"\n")
    assert lines[-1] == b""
    entries = [json.loads(line) for line in lines[:-1]]
    assert sorted(e["key"] for e in entries) == sorted(
        p.relative_to(out).as_posix() for p in out.rglob("*.npy")
    )
    with sqlite3.connect(out / manifest_db.STORE_NAME) as db:
        texts = [t for (t,) in db.execute("SELECT entry FROM entries")]
    db.close()
    assert not any("\n" in t or "\r" in t for t in texts)

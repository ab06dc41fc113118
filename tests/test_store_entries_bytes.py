"""The store's entries read as bytes: the text as stored, or a StoreError."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from melcli import manifest_db, manifest_view


def store_with(path: Path, *texts: object) -> None:
    store = manifest_db.rebuild(path)
    store.write([])
    manifest_db.swap(store, path)
    with sqlite3.connect(path) as db:
        db.executemany(
            "INSERT INTO entries (key, entry) VALUES (?, ?)",
            ((f"k{i}.npy", t) for i, t in enumerate(texts)),
        )


def test_entries_are_their_text_in_utf8(tmp_path: Path) -> None:
    path = tmp_path / manifest_db.STORE_NAME
    store_with(path, '{"a": 1}', '{"b": "caf\u00e9 \u266b"}')

    with manifest_db.Store(path) as store:
        lines = list(store.entries())

    assert lines == [b'{"a": 1}', '{"b": "caf\u00e9 \u266b"}'.encode()]


@pytest.mark.parametrize("text", [b'{"a": "\xff"}', b"{}"], ids=["not UTF-8", "blob"])
def test_an_entry_that_is_not_text_is_a_store_error(
    tmp_path: Path, text: bytes
) -> None:
    path = tmp_path / manifest_db.STORE_NAME
    store_with(path, '{"a": 1}')
    with sqlite3.connect(path) as db:
        if text != b"{}":  # text whose bytes are not UTF-8
            db.execute("UPDATE entries SET entry = CAST(? AS TEXT)", (text,))
        else:  # a blob, not text
            db.execute("UPDATE entries SET entry = ?", (text,))

    with manifest_db.Store(path) as store, pytest.raises(manifest_db.StoreError):
        list(store.entries())


def test_a_view_written_whole_pads_each_line_as_padded_does(tmp_path: Path) -> None:
    lines = [b"x" * n for n in range(40)]
    view = tmp_path / "manifest.jsonl"

    manifest_view.write_whole(view, lines)

    written = view.read_bytes().splitlines(keepends=True)
    assert written == [manifest_view.padded(line) for line in lines]
    for line, padded in zip(lines, written, strict=True):
        room = len(padded) - len(line) - 1
        assert room >= manifest_view.ROOM
        assert len(padded) % 16 == 0
        assert padded == line + b" " * room + b"\n"

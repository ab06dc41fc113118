"""A store made under a temporary name is written without fsyncs (issue 19).

No run reads it before :func:`manifest_db.swap` renames it into place, and a
process killed before that leaves only a temporary; a store changed in place
keeps SQLite's full syncs.
"""

from __future__ import annotations

from pathlib import Path

from melcli import manifest_db


def _synchronous(store: manifest_db.Store) -> int:
    value: int = store.db.execute("PRAGMA synchronous").fetchone()[0]
    return value


def test_a_store_being_made_is_not_synced_one_changed_in_place_is(
    tmp_path: Path,
) -> None:
    path = tmp_path / ".melcli-manifest.db"
    made = manifest_db.rebuild(path)
    try:
        assert _synchronous(made) == 0  # OFF
        made.write([("a.npy", b'{"src": "a.wav"}', b"")])
    except BaseException:
        manifest_db.discard(made)
        raise
    manifest_db.swap(made, path)
    with manifest_db.Store(path) as store:
        assert _synchronous(store) == 2  # FULL
        assert store.entry("a.npy") == b'{"src": "a.wav"}'

"""A row of packed facts in the store under a key no entry may have.

The store keeps each usual entry's facts packed beside it, and a run reads
those alone, checked by their size: their key, as stored, was not checked
as an entry's is. A store that looks as melcli left it (a CI cache, or one
edited and given its stamps back) holding facts under ``../outside/x.npy``
had the readers (the loader, ``melcli stats``, the gallery) say "delete
OUT/../outside/x.npy and run 'melcli mel' again": a file outside OUT to
delete; and the run, which dropped the entry, kept the row for good. Such a
row is now dropped on reading, the store checked whole, and the run's commit
deletes it.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from conftest import edit_store_as_if_untouched, invoke, mel, short_tones

from melcli.data import SpectrogramDataset
from melcli.errors import MelcliError

pytestmark = pytest.mark.usefixtures("isolated")


def _stored_keys(store: Path) -> set[str]:
    db = sqlite3.connect(store)
    try:
        return {k for (k,) in db.execute("SELECT key FROM facts")} | {
            k for (k,) in db.execute("SELECT key FROM entries")
        }
    finally:
        db.close()


@pytest.mark.parametrize(
    "key", ["../outside/x.npy", "/tmp/x.npy", "a//0.npy", "./0.npy", "0.wav"]
)
def test_a_packed_row_of_an_unsafe_key_is_dropped_and_deleted(
    tmp_path: Path, key: str
) -> None:
    src = short_tones(tmp_path / "src", 3)
    out = tmp_path / "out"
    assert mel(src, out).exit_code == 0
    assert mel(src, out).exit_code == 0  # the store as a re-run leaves it
    store = out / ".melcli-manifest.db"
    edit_store_as_if_untouched(
        store,
        f"INSERT INTO facts SELECT '{key}', facts FROM facts WHERE key = '0.npy'",
        f"INSERT INTO entries SELECT '{key}', replace(entry, '\"0.npy\"', "
        f"'\"{key}\"') FROM entries WHERE key = '0.npy'",
    )
    assert key in _stored_keys(store)
    with pytest.raises(MelcliError) as refused:
        SpectrogramDataset(out)
    said = str(refused.value)
    assert "dropped 1 invalid entry" in said, said
    assert "delete" not in said, said  # no file to delete: a run drops the row
    stats = invoke("stats", out)
    assert "dropped 1 invalid entry" in stats.stderr, stats.stderr
    assert "delete" not in stats.stderr, stats.stderr
    run = mel(src, out)
    assert run.exit_code == 0, run.stderr
    assert "0 written, 3 up to date." in run.stderr, run.stderr
    assert key not in _stored_keys(store)
    assert len(SpectrogramDataset(out)) == 3
    again = mel(src, out)
    assert "warning" not in again.stderr, again.stderr


@pytest.mark.parametrize("key", ["0.wav", "manifest.jsonl"])
def test_a_key_holding_a_newline_does_not_let_another_bad_key_pass(
    tmp_path: Path, key: str
) -> None:
    # "1.npy\n2.npy" ends in ".npy" twice once the keys are joined: the quick
    # check over all keys counted it as two good keys, and let ``key`` pass.
    src = short_tones(tmp_path / "src", 3)
    out = tmp_path / "out"
    assert mel(src, out).exit_code == 0
    assert mel(src, out).exit_code == 0
    store = out / ".melcli-manifest.db"
    statements = []
    for bad in (key, "1.npy\n2.npy"):
        quoted = bad.replace("\n", "' || char(10) || '")
        spelt = bad.replace("\n", "\\n")  # as JSON spells it in the entry
        statements += [
            f"INSERT INTO facts SELECT '{quoted}', facts FROM facts "
            "WHERE key = '0.npy'",
            f"INSERT INTO entries SELECT '{quoted}', replace(entry, '\"0.npy\"', "
            f"'\"{spelt}\"') FROM entries WHERE key = '0.npy'",
        ]
    edit_store_as_if_untouched(store, *statements)
    assert {key, "1.npy\n2.npy"} <= _stored_keys(store)
    with pytest.raises(MelcliError) as refused:
        SpectrogramDataset(out)
    assert "dropped 2 invalid entries" in str(refused.value), str(refused.value)
    run = mel(src, out)
    assert run.exit_code == 0, run.stderr
    assert "0 written, 3 up to date." in run.stderr, run.stderr
    assert _stored_keys(store) == {"0.npy", "1.npy", "2.npy"}
    assert len(SpectrogramDataset(out)) == 3

"""The bulk flip of a first re-run flips exactly the entries found up to date."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from conftest import mel

from melcli import manifest, manifest_db

STORE = manifest_db.STORE_NAME


def statuses(out: Path) -> dict[str, object]:
    with sqlite3.connect(out / STORE) as db:
        rows = db.execute("SELECT entry FROM entries").fetchall()
    entries = (json.loads(text) for (text,) in rows)
    return {e["key"]: e["status"] for e in entries if "npy" in e}


def test_an_entry_without_packed_facts_is_flipped_when_another_is_pruned(
    dataset: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its facts read from its text, an entry the run dropped in the count's place.

    Both counts of written entries agree (one the store flips but the run
    dropped, one the run flipped that the store's facts do not say), and yet
    they are not the same entries.
    """
    out = tmp_path / "out"
    assert mel(dataset, out).exit_code == 0
    monkeypatch.setattr(manifest, "EVERY_WRITTEN_FROM", 1)
    with sqlite3.connect(out / STORE) as db:  # its entry still says the same
        db.execute("UPDATE facts SET facts = x'' WHERE key = 'birds/tweet.npy'")
    (dataset / "dogs" / "bark2.flac").unlink()  # its input gone: pruned

    result = mel(dataset, out, "--prune")
    assert result.exit_code == 0, result.stderr

    assert statuses(out) == {
        "birds/deep/chirp.npy": "up-to-date",
        "birds/tweet.npy": "up-to-date",
        "dogs/bark1.npy": "up-to-date",
    }


def test_an_input_gone_and_pruned_leaves_the_flip_at_once(
    dataset: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its entry, still stored as written, is counted: not flipped key by key."""
    out = tmp_path / "out"
    assert mel(dataset, out).exit_code == 0
    monkeypatch.setattr(manifest, "EVERY_WRITTEN_FROM", 1)
    at_once: list[tuple[int, bool]] = []
    every = manifest_db.Store.flip_every_written

    def flip_every_written(store: manifest_db.Store, count: int) -> bool:
        at_once.append((count, every(store, count)))
        return at_once[-1][1]

    monkeypatch.setattr(manifest_db.Store, "flip_every_written", flip_every_written)
    (dataset / "dogs" / "bark2.flac").unlink()

    result = mel(dataset, out, "--prune")
    assert result.exit_code == 0, result.stderr

    assert at_once == [(4, True)]  # three flipped, one dropped
    assert statuses(out) == {
        "birds/deep/chirp.npy": "up-to-date",
        "birds/tweet.npy": "up-to-date",
        "dogs/bark1.npy": "up-to-date",
    }

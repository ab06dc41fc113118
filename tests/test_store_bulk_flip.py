"""The first re-run after a build: every status flipped at once, in the store."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest
from conftest import mel

from melcli import manifest, manifest_db
from melcli.manifest import lean_facts

STORE = manifest_db.STORE_NAME


def stored(out: Path) -> dict[str, dict[str, object]]:
    with sqlite3.connect(out / STORE) as db:
        rows = db.execute("SELECT entry FROM entries").fetchall()
    return {e["key"]: e for e in (json.loads(text) for (text,) in rows)}


def packed(out: Path) -> dict[str, bytes]:
    with sqlite3.connect(out / STORE) as db:
        return dict(db.execute("SELECT key, facts FROM facts"))


def jsonl(out: Path) -> dict[str, dict[str, object]]:
    lines = (out / "manifest.jsonl").read_text().splitlines()
    return {e["key"]: e for e in map(json.loads, lines)}


def summary(out: Path, *options: object, src: Path) -> str:
    result = mel(src, out, *options)
    assert result.exit_code == 0, result.stderr
    return str(result.stderr.splitlines()[-1])


class Flips:
    """What the store was asked to flip: at once (how many), and key by key."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.at_once: list[tuple[int, bool]] = []
        self.by_key: list[str] = []
        every, by_key = (
            manifest_db.Store.flip_every_written,
            manifest_db.Store.flip_status,
        )

        def flip_every_written(store: manifest_db.Store, count: int) -> bool:
            done = every(store, count)
            self.at_once.append((count, done))
            return done

        def flip_status(store: manifest_db.Store, keys: list[str]) -> list[str]:
            keys = list(keys)
            self.by_key += keys
            return by_key(store, keys)

        monkeypatch.setattr(manifest_db.Store, "flip_every_written", flip_every_written)
        monkeypatch.setattr(manifest_db.Store, "flip_status", flip_status)


@pytest.fixture
def built(dataset: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """OUT of a build, and a run flipping any number of entries at once."""
    out = tmp_path / "out"
    assert mel(dataset, out).exit_code == 0
    monkeypatch.setattr(manifest, "EVERY_WRITTEN_FROM", 1)
    return out


def agree(out: Path) -> None:
    """The store's entries, their packed facts and the view say the same."""
    entries = stored(out)
    assert packed(out) == {k: lean_facts(e) for k, e in entries.items()}
    assert jsonl(out) == entries


def test_every_status_is_flipped_at_once_not_key_by_key(
    dataset: Path, built: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = stored(built)
    flips = Flips(monkeypatch)

    assert summary(built, src=dataset) == "0 written, 4 up to date."

    assert (flips.at_once, flips.by_key) == ([(4, True)], [])
    after = stored(built)
    assert after == {k: {**e, "status": "up-to-date"} for k, e in before.items()}
    agree(built)


def test_a_rebuilt_input_keeps_its_new_entry_when_the_rest_are_flipped(
    dataset: Path, built: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    touched = dataset / "dogs" / "bark1.wav"
    st = touched.stat()
    os.utime(touched, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    flips = Flips(monkeypatch)

    assert summary(built, src=dataset) == "1 written, 3 up to date."

    assert (flips.at_once, flips.by_key) == ([(4, True)], [])  # its old one too
    statuses = {k: e["status"] for k, e in stored(built).items()}
    assert statuses.pop("dogs/bark1.npy") == "written"
    assert set(statuses.values()) == {"up-to-date"}
    assert stored(built)["dogs/bark1.npy"]["input"] == [
        touched.stat().st_size,
        touched.stat().st_mtime_ns,
    ]
    agree(built)


def test_entries_of_inputs_left_out_keep_their_status(
    dataset: Path, built: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    flips = Flips(monkeypatch)

    assert summary(built, "--include", "dogs/*", src=dataset) == (
        "0 written, 2 up to date, 2 skipped."
    )

    assert flips.at_once == []  # not every written entry flips: key by key
    assert sorted(flips.by_key) == ["dogs/bark1.npy", "dogs/bark2.npy"]
    statuses = {k: e["status"] for k, e in stored(built).items() if "npy" in e}
    assert statuses == {  # and two entries of files passed over
        "birds/deep/chirp.npy": "written",
        "birds/tweet.npy": "written",
        "dogs/bark1.npy": "up-to-date",
        "dogs/bark2.npy": "up-to-date",
    }
    agree(built)


def test_an_entry_not_as_melcli_writes_it_sends_the_flip_back_to_key_by_key(
    dataset: Path, built: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its text (without spaces) has no status to change in place: none is."""
    with sqlite3.connect(built / STORE) as db:
        (text,) = db.execute(
            "SELECT entry FROM entries WHERE key = 'dogs/bark1.npy'"
        ).fetchone()
        tight = json.dumps(json.loads(text), separators=(",", ":"))
        db.execute(
            "UPDATE entries SET entry = ? WHERE key = 'dogs/bark1.npy'", (tight,)
        )
    before = stored(built)
    flips = Flips(monkeypatch)

    assert summary(built, src=dataset) == "0 written, 4 up to date."

    assert flips.at_once == [(4, False)]
    assert sorted(flips.by_key) == sorted(before)
    after = stored(built)
    assert after == {k: {**e, "status": "up-to-date"} for k, e in before.items()}
    agree(built)


def test_flipped_packed_facts_are_those_each_entry_packs_to(tmp_path: Path) -> None:
    """Facts of any settings and stamps, NUL bytes among them, flipped as packed."""
    path = tmp_path / STORE
    entries = {
        f"k{i}.npy": {
            "key": f"k{i}.npy",
            "npy": f"k{i}.npy",
            "status": "written",
            "settings": settings,
            "input": [i, 10**18 + i],
            "stamps": {f"k{i}.npy": [0, 256 * i]},
            "warnings": [],
        }
        for i, settings in enumerate(["a", "", "0" * 40, "x y"])
    }
    lines = [
        (k, json.dumps(e, sort_keys=True).encode(), lean_facts(e))
        for k, e in entries.items()
    ]
    store = manifest_db.rebuild(path)
    store.write(lines)
    manifest_db.swap(store, path)

    with manifest_db.Store(path) as store:
        store.write([], every_written=len(entries))

    up = {k: {**e, "status": "up-to-date"} for k, e in entries.items()}
    assert stored(tmp_path) == up
    assert packed(tmp_path) == {k: lean_facts(e) for k, e in up.items()}

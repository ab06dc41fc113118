"""An entry's status first in its text: a re-run's flip changes the line's head."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from conftest import mel

from melcli import manifest, manifest_db
from melcli.manifest import lean_facts

STORE = manifest_db.STORE_NAME


def entry(i: int, status: str = "written") -> dict[str, object]:
    key = f"d/k{i}.npy"
    return {
        "key": key,
        "npy": key,
        "status": status,
        "settings": "s",
        "input": [i, 10**18 + i],
        "stamps": {key: [1, 256 * i]},
        "warnings": ["one"],
        "wave": {"env": "ab" * 4, "peak": 0.5},
    }


def texts(path: Path) -> dict[str, str]:
    with sqlite3.connect(path) as db:
        return dict(db.execute("SELECT key, entry FROM entries"))


def store_of(path: Path, lines: list[tuple[str, bytes, bytes]]) -> None:
    store = manifest_db.rebuild(path)
    store.write(lines)
    manifest_db.swap(store, path)


def test_a_build_writes_each_entry_status_first_the_rest_sorted(
    dataset: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    assert mel(dataset, out).exit_code == 0

    lines = (out / "manifest.jsonl").read_text().splitlines()
    assert lines
    for line in lines:
        assert line.startswith('{"status": "written", ')
        names = list(json.loads(line))
        assert names == ["status", *sorted(n for n in names if n != "status")]
    stored = texts(out / STORE)
    assert all(t.startswith(manifest_db.HEAD_WRITTEN) for t in stored.values())

    assert mel(dataset, out).exit_code == 0

    lines = (out / "manifest.jsonl").read_text().splitlines()
    assert all(line.startswith('{"status": "up-to-date", ') for line in lines)
    with sqlite3.connect(out / STORE) as db:
        statuses = db.execute(
            "SELECT DISTINCT json_extract(entry, '$.status') FROM entries"
        ).fetchall()
    assert statuses == [("up-to-date",)]


def test_the_line_of_an_entry_reads_back_as_the_entry() -> None:
    for value in (entry(1), {"status": "failed"}, {"key": "a", "status": 3}, {}):
        assert json.loads(manifest._dumps(value)) == value


def test_entries_written_status_first_are_flipped_at_once(tmp_path: Path) -> None:
    """Both forms in one store: the head changed, or the older text replaced."""
    path = tmp_path / STORE
    new, old = entry(1), entry(2)
    lines = [
        (str(new["key"]), manifest._dumps(new), lean_facts(new)),
        (str(old["key"]), json.dumps(old, sort_keys=True).encode(), lean_facts(old)),
    ]
    store_of(path, lines)

    with manifest_db.Store(path) as store:
        store.db.execute("BEGIN")
        assert store.flip_every_written(2)
        store.db.execute("COMMIT")

    after = {k: json.loads(t) for k, t in texts(path).items()}
    assert after == {e["key"]: {**e, "status": "up-to-date"} for e in (new, old)}
    assert texts(path)["d/k1.npy"].startswith(manifest_db.HEAD_UP_TO_DATE)


@pytest.mark.parametrize("form", ["head", "sorted"])
def test_entries_flipped_key_by_key_in_either_form(tmp_path: Path, form: str) -> None:
    path = tmp_path / STORE
    entries = [entry(i) for i in range(3)]
    dumps = manifest._dumps if form == "head" else manifest_db_sorted
    store_of(path, [(str(e["key"]), dumps(e), lean_facts(e)) for e in entries])

    with manifest_db.Store(path) as store:
        store.db.execute("BEGIN")
        assert store.flip_status([str(e["key"]) for e in entries[:2]]) == []
        store.db.execute("COMMIT")

    statuses = {k: json.loads(t)["status"] for k, t in texts(path).items()}
    assert statuses == {
        "d/k0.npy": "up-to-date",
        "d/k1.npy": "up-to-date",
        "d/k2.npy": "written",
    }


def test_a_head_only_at_a_later_place_is_not_flipped_at_once(tmp_path: Path) -> None:
    """The head must start the text: one found inside it is no status of its."""
    path = tmp_path / STORE
    odd = entry(1)
    text = b'{"a": ' + manifest._dumps(odd) + b"}"
    store_of(path, [(str(odd["key"]), text, lean_facts(odd))])

    with manifest_db.Store(path) as store:
        store.db.execute("BEGIN")
        assert not store.flip_every_written(1)
        assert store.flip_status([str(odd["key"])]) == [str(odd["key"])]
        store.db.execute("COMMIT")

    assert texts(path)[str(odd["key"])] == text.decode()


def manifest_db_sorted(value: dict[str, object]) -> bytes:
    """An entry as a melcli before this one wrote it: keys sorted."""
    return json.dumps(value, ensure_ascii=True, sort_keys=True).encode()

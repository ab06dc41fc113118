"""A commit reads the run's staged entries back in one pass, the newest of each."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from melcli import manifest, manifest_db
from melcli.manifest import Manifest


def stored(out: Path) -> dict[str, dict[str, object]]:
    with sqlite3.connect(out / manifest_db.STORE_NAME) as db:
        rows = db.execute("SELECT entry FROM entries").fetchall()
    return {e["key"]: e for e in (json.loads(entry) for (entry,) in rows)}


def view(out: Path) -> dict[str, dict[str, object]]:
    lines = (out / "manifest.jsonl").read_text().splitlines()
    return {e["key"]: e for e in map(json.loads, lines)}


@pytest.fixture
def staged_often(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Stage every 3 entries; note every key looked up in the stage one by one."""
    monkeypatch.setattr(manifest, "STAGE_EVERY", 3)
    looked_up: list[str] = []
    real = manifest_db.Stage.get

    def get(self: manifest_db.Stage, key: str) -> tuple[bytes, bytes] | None:
        looked_up.append(key)
        return real(self, key)

    monkeypatch.setattr(manifest_db.Stage, "get", get)
    return looked_up


def test_a_first_commit_reads_the_stage_in_one_pass(
    tmp_path: Path, staged_often: list[str]
) -> None:
    keys = [f"d{i % 3}/{i:04d}.npy" for i in range(50)]
    m = Manifest(out=tmp_path)
    m.begin()
    for key in keys:
        m.record({"key": key, "status": "written", "error": ""})
    assert len(m.entries._staged) == 48  # the last two wait in memory

    m.commit()

    assert staged_often == []  # not one look-up each
    want = {k: {"key": k, "status": "written", "error": ""} for k in keys}
    assert stored(tmp_path) == view(tmp_path) == want


def test_an_entry_set_again_after_it_was_staged_is_committed_as_set_last(
    tmp_path: Path, staged_often: list[str]
) -> None:
    m = Manifest(out=tmp_path)
    m.begin()
    for key in ["a.npy", "b.npy", "c.npy", "d.npy", "e.npy", "f.npy"]:
        m.record({"key": key, "status": "written", "error": ""})
    assert m.entries._staged == {"a.npy", "b.npy", "c.npy", "d.npy", "e.npy", "f.npy"}
    m.record({"key": "b.npy", "status": "failed", "error": "again"}, journal=False)
    m.forget("e.npy")

    m.commit()

    got = stored(tmp_path)
    assert got == view(tmp_path)
    assert sorted(got) == ["a.npy", "b.npy", "c.npy", "d.npy", "f.npy"]
    assert got["b.npy"] == {"key": "b.npy", "status": "failed", "error": "again"}
    assert got["a.npy"]["status"] == "written"


def test_a_second_commit_reads_only_what_changed_since(
    tmp_path: Path, staged_often: list[str]
) -> None:
    m = Manifest(out=tmp_path)
    m.begin()
    for i in range(9):
        m.record({"key": f"{i}.npy", "status": "written", "error": ""})
    m.commit()
    m.begin()
    for i in range(9, 12):
        m.record({"key": f"{i}.npy", "status": "written", "error": ""})

    m.commit()

    assert sorted(stored(tmp_path)) == sorted(f"{i}.npy" for i in range(12))
    assert stored(tmp_path) == view(tmp_path)

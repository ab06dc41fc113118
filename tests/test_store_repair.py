"""A store entry damaged in place is repaired by the next run, not trusted.

A re-run decides on the packed facts beside each entry and reads no entry
whole. An entry changed in place by another program (``sqlite3``'s
``json_set``, a script, garbage) was then never looked at: the run said
``up to date`` over it, while ``melcli stats`` and the data loader dropped it
and advised to run ``melcli mel`` again, which did nothing. The store now
records SQLite's change counter at each of melcli's commits; a store written
since by another program has every entry checked (valid, and agreeing with
its packed facts) when it is opened, the inputs of those that fail are
rebuilt with a warning, and the store is written again whole, clean.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from conftest import WriteAudio, invoke

from melcli import manifest, manifest_db
from melcli.cli import cli
from melcli.data import SpectrogramDataset
from melcli.manifest import entry_problem

pytestmark = pytest.mark.usefixtures("isolated")

STORE = manifest_db.STORE_NAME
KEY = "dogs/bark1.npy"


def mel(src: Path, out: Path, *args: str) -> Result:
    return CliRunner().invoke(
        cli, ["mel", str(src), "-o", str(out), "-j", "1", *args], catch_exceptions=False
    )


def summary(result: Result) -> str:
    return result.stderr.splitlines()[-1]


def warnings(result: Result) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("warning")]


def sql(out: Path, *statements: str) -> None:
    """Run ``statements`` on the store, as another program would."""
    db = sqlite3.connect(out / STORE)
    with db:
        for statement in statements:
            db.execute(statement)
    db.close()


def rows(out: Path) -> dict[str, str]:
    db = sqlite3.connect(out / STORE)
    with db:
        found = dict(db.execute("SELECT key, entry FROM entries"))
    db.close()
    return found


def assert_clean(out: Path, keys: int) -> None:
    """Every stored entry is valid, has its facts, and the view says the same."""
    stored = rows(out)
    assert len(stored) == keys
    for key, text in stored.items():
        entry = json.loads(text)
        assert entry_problem(entry) is None
        assert entry["key"] == key
        assert entry["status"] in ("written", "up-to-date")
    view = [
        json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines()
    ]
    assert view == [json.loads(stored[key]) for key in sorted(stored)]
    db = sqlite3.connect(out / STORE)
    with db:
        facts = {k for (k,) in db.execute("SELECT key FROM facts")}
    db.close()
    assert facts == set(stored)


def mtimes(out: Path) -> dict[str, int]:
    return {
        p.relative_to(out).as_posix(): p.stat().st_mtime_ns for p in out.rglob("*.npy")
    }


@pytest.fixture
def built(dataset: Path, tmp_path: Path) -> Path:
    out = tmp_path / "out"
    assert mel(dataset, out).exit_code == 0
    assert summary(mel(dataset, out)) == "0 written, 4 up to date."
    return out


DAMAGE = {
    "a field of the wrong type": (
        "UPDATE entries SET entry = json_set(entry, '$.shape', 'x') "
        f"WHERE key = '{KEY}'"
    ),
    "not JSON": f"UPDATE entries SET entry = 'garbage' WHERE key = '{KEY}'",
    "not an object": f"UPDATE entries SET entry = '[1, 2]' WHERE key = '{KEY}'",
    "not UTF-8": (
        f"UPDATE entries SET entry = CAST(x'7b22ff22' AS TEXT) WHERE key = '{KEY}'"
    ),
    "not text": f"UPDATE entries SET entry = x'7b7d' WHERE key = '{KEY}'",
    "its key gone": (
        f"UPDATE entries SET entry = json_remove(entry, '$.key') WHERE key = '{KEY}'"
    ),
    "another key": (
        "UPDATE entries SET entry = json_set(entry, '$.key', 'dogs/bark2.npy') "
        f"WHERE key = '{KEY}'"
    ),
    "a stamp naming a file outside OUT": (
        "UPDATE entries SET entry = json_set(entry, '$.stamps', "
        f"json('{{\"../../victim\": [1, 2]}}')) WHERE key = '{KEY}'"
    ),
    "other settings than its facts": (
        "UPDATE entries SET entry = json_set(entry, '$.settings', 'other') "
        f"WHERE key = '{KEY}'"
    ),
    "another status than its facts": (
        "UPDATE entries SET entry = json_set(entry, '$.status', 'failed') "
        f"WHERE key = '{KEY}'"
    ),
    "another input stamp than its facts": (
        "UPDATE entries SET entry = json_set(entry, '$.input[0]', 1) "
        f"WHERE key = '{KEY}'"
    ),
    "no entry beside its facts": f"DELETE FROM entries WHERE key = '{KEY}'",
}


@pytest.mark.parametrize("damage", DAMAGE.values(), ids=DAMAGE.keys())
def test_an_entry_damaged_in_place_is_rebuilt_and_the_store_cleaned(
    dataset: Path, built: Path, damage: str
) -> None:
    before = mtimes(built)
    sql(built, damage)

    result = mel(dataset, built)

    assert summary(result) == "1 written, 3 up to date."
    [warning] = warnings(result)
    assert f"{built / STORE}: " in warning
    assert warning.endswith("their inputs are rebuilt")
    after = mtimes(built)
    assert after[KEY] != before[KEY]
    assert {k: v for k, v in after.items() if k != KEY} == {
        k: v for k, v in before.items() if k != KEY
    }
    assert_clean(built, 4)
    again = mel(dataset, built)
    assert summary(again) == "0 written, 4 up to date."
    assert warnings(again) == []


def test_the_readers_advice_to_run_again_now_repairs(
    dataset: Path, built: Path
) -> None:
    sql(built, DAMAGE["a field of the wrong type"])
    stats = invoke("stats", built)
    assert "from 3 arrays" in stats.stderr
    assert "run 'melcli mel' again" in stats.stderr

    assert summary(mel(dataset, built)) == "1 written, 3 up to date."

    stats = invoke("stats", built)
    assert stats.exit_code == 0
    assert "from 4 arrays" in stats.stderr
    assert "warning" not in stats.stderr
    assert len(SpectrogramDataset(built)) == 4


def test_an_entry_with_a_png_damaged_in_place_is_rebuilt(
    dataset: Path, tmp_path: Path
) -> None:
    """Facts not packed (a PNG) come from the entry's JSON: the rest is checked."""
    out = tmp_path / "out"
    assert mel(dataset, out, "--png").exit_code == 0
    sql(
        out,
        "UPDATE entries SET entry = json_set(entry, '$.samplerate', -1) "
        f"WHERE key = '{KEY}'",
    )

    result = mel(dataset, out, "--png")

    assert summary(result) == "1 written, 3 up to date."
    assert len(warnings(result)) == 1
    assert_clean(out, 4)
    assert summary(mel(dataset, out, "--png")) == "0 written, 4 up to date."


def test_an_entry_added_without_facts_is_dropped(dataset: Path, built: Path) -> None:
    """A row the run cannot see (no facts) would stay in the store and its view."""
    ghost = json.loads(rows(built)[KEY])
    ghost.update(key="dogs/ghost.npy", npy="dogs/ghost.npy", stamps={})
    db = sqlite3.connect(built / STORE)
    with db:
        db.execute(
            "INSERT INTO entries VALUES ('dogs/ghost.npy', ?)", (json.dumps(ghost),)
        )
    db.close()

    result = mel(dataset, built)

    assert summary(result) == "0 written, 4 up to date."
    [warning] = warnings(result)
    assert "dropped 1 invalid entry" in warning
    assert_clean(built, 4)


@pytest.mark.parametrize("key", ["CAST(x'ff61' AS TEXT)", "'caf\u00e9.npy'", "7"])
def test_a_row_under_a_key_melcli_never_writes_is_dropped(
    dataset: Path, built: Path, key: str
) -> None:
    """Keys are stored ASCII (JSON's escapes): one not so is no entry of melcli's."""
    sql(built, f"INSERT INTO entries VALUES ({key}, '{{}}')")

    result = mel(dataset, built)

    assert summary(result) == "0 written, 4 up to date."
    [warning] = warnings(result)
    assert "dropped 1 invalid entry" in warning
    assert_clean(built, 4)


def test_a_damaged_entry_of_an_input_gone_leaves_the_store(
    dataset: Path, built: Path
) -> None:
    sql(built, DAMAGE["not JSON"])
    (dataset / "dogs" / "bark1.wav").unlink()

    result = mel(dataset, built)

    assert len(warnings(result)) == 1
    assert_clean(built, 3)
    again = mel(dataset, built)
    assert warnings(again) == []
    # What the entry named is not known any more: nothing is deleted for it.
    assert summary(again) == "0 written, 3 up to date."


def test_a_harmless_write_by_another_program_rebuilds_nothing(
    dataset: Path, built: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = mtimes(built)
    sql(built, f"UPDATE entries SET entry = entry WHERE key = '{KEY}'")
    sql(built, "VACUUM")

    result = mel(dataset, built)

    assert summary(result) == "0 written, 4 up to date."
    assert warnings(result) == []
    assert mtimes(built) == before
    assert_clean(built, 4)
    with manifest_db.Store(built / STORE) as store:
        assert store.intact()


class CheckCounter:
    """Counts the stores checked whole (written by another program)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls = 0
        real = manifest._check_entries

        def counted(*args: object, **kwargs: object) -> tuple[int, int]:
            self.calls += 1
            return real(*args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(manifest, "_check_entries", counted)


@pytest.mark.parametrize(
    "step",
    ["build", "first no-op", "no-op", "touched", "pruned", "png", "migrated"],
)
def test_melclis_own_commits_leave_the_store_intact(
    dataset: Path,
    tmp_path: Path,
    write_audio: WriteAudio,
    monkeypatch: pytest.MonkeyPatch,
    step: str,
) -> None:
    """So a re-run pays one read of 4 bytes, not a check of every entry."""
    out = tmp_path / "out"
    assert mel(dataset, out).exit_code == 0
    if step != "build":
        assert mel(dataset, out).exit_code == 0  # flips every status
    if step == "no-op":
        assert mel(dataset, out).exit_code == 0
    elif step == "touched":
        write_audio("dogs/bark1.wav")
        assert summary(mel(dataset, out)) == "1 written, 3 up to date."
    elif step == "pruned":
        (dataset / "dogs" / "bark1.wav").unlink()
        assert mel(dataset, out, "--prune").exit_code == 0
    elif step == "png":
        assert mel(dataset, out, "--png").exit_code == 0
    elif step == "migrated":  # the view rewritten by another: read, store rebuilt
        view = out / "manifest.jsonl"
        view.write_bytes(view.read_bytes())
        assert mel(dataset, out).exit_code == 0
    with manifest_db.Store(out / STORE) as store:
        assert store.intact()
    checks = CheckCounter(monkeypatch)

    result = mel(dataset, out, *(["--png"] if step == "png" else []))

    assert checks.calls == 0
    assert warnings(result) == []
    assert summary(result).startswith("0 written")


def test_a_commit_larger_than_sqlites_cache_leaves_the_store_intact(
    tmp_path: Path,
) -> None:
    """SQLite spills pages to the file mid-transaction: still one change."""
    store = manifest_db.rebuild(tmp_path / STORE)
    try:
        store.db.execute("PRAGMA cache_size = 10")
        rows = (
            (f"a{i:05}.npy", json.dumps({"key": f"a{i:05}.npy", "pad": "x" * 300}))
            for i in range(5000)
        )
        store.write((k, text.encode(), b"") for k, text in rows)
        assert store.intact()
        store.write([], state={"view": "x"})
        assert store.intact()
    finally:
        manifest_db.discard(store)

"""A store edited byte by byte, SQLite's change counter kept, is checked too.

Each commit of melcli records SQLite's change counter, and a run that finds
it changed checks every entry. But a program that writes the file's bytes
itself (a script, ``dd``, an editor, a sync tool) leaves the counter as it
was: an entry changed so was trusted by every run (its packed facts said up
to date) while ``melcli stats`` read the entry and left its array out. Each
commit now also sets the store's mtime to a value it records; such a write
changes the mtime.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from melcli import manifest_db
from melcli.cli import cli

pytestmark = pytest.mark.usefixtures("isolated")

STORE = manifest_db.STORE_NAME


def mel(src: Path, out: Path, *args: str) -> Result:
    return CliRunner().invoke(
        cli, ["mel", str(src), "-o", str(out), "-j", "1", *args], catch_exceptions=False
    )


@pytest.fixture
def built(built: Path, tmp_path: Path) -> Path:
    """conftest's OUT, run once more: its statuses up-to-date."""
    assert mel(tmp_path / "audio", built).exit_code == 0
    return built


def counter(store: Path) -> bytes:
    return store.read_bytes()[24:28]


def test_an_entry_edited_in_the_file_is_found_and_rebuilt(
    built: Path, tmp_path: Path
) -> None:
    store = built / STORE
    before = counter(store)
    text = store.read_bytes()
    start = text.index(b'"key": "dogs/a.npy"')
    # The entry's status, first in its text (before its key).
    status = text.rindex(b'"status": "up-to-date"', 0, start)
    assert start - status < 1000  # the same entry
    data = bytearray(text)
    data[status : status + 22] = b'"status":     "failed"'
    with open(store, "r+b") as f:
        f.seek(status)
        f.write(data[status : status + 22])
    assert counter(store) == before  # SQLite does not know

    stats = CliRunner().invoke(cli, ["stats", str(built)])
    assert "from 1 array" in stats.stderr  # the entry says failed

    result = mel(tmp_path / "audio", built)

    assert result.stderr.splitlines()[-1] == "1 written, 1 up to date."
    assert "no longer agrees with the facts" in result.stderr
    again = mel(tmp_path / "audio", built)
    assert again.stderr == "0 written, 2 up to date.\n"
    stats = CliRunner().invoke(cli, ["stats", str(built)])
    assert "from 2 arrays" in stats.stderr


def test_melclis_own_commits_keep_the_store_intact(built: Path, tmp_path: Path) -> None:
    with manifest_db.Store(built / STORE) as store:
        assert store.intact()
    (tmp_path / "audio" / "dogs" / "a.wav").touch()
    assert mel(tmp_path / "audio", built).stderr.startswith("1 written")
    with manifest_db.Store(built / STORE) as store:
        assert store.intact()


def test_a_store_of_another_owner_is_not_stamped_and_stays_intact(
    built: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Its mtime cannot be set: its commits record none, so that every run is
    # not made to check every entry (only the change counter tells).
    monkeypatch.setattr(os, "geteuid", lambda: 54321)
    (tmp_path / "audio" / "dogs" / "a.wav").touch()
    assert mel(tmp_path / "audio", built).stderr.startswith("1 written")
    with manifest_db.Store(built / STORE) as store:
        assert store.state("mtime") == ""
        assert store.intact()
    monkeypatch.undo()
    assert mel(tmp_path / "audio", built).stderr == "0 written, 2 up to date.\n"

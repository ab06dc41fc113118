"""A stored entry a reader cannot use, in a store that looks as melcli left it.

A store whose change counter and mtime are those its last commit recorded
(a copy with its times, a CI cache, or one edited and given them back) is
read by a run from the facts stored beside each entry: a re-run reads no
entry whole. An entry whose text no longer agrees (another key, a field of
the wrong type: bytes damaged in place, or a forged row) was found only by
the readers (``melcli stats``, ``gallery``, the loader), which read entries
whole and said "run 'melcli mel' again to rebuild their inputs": the run
found the array up to date by its facts, and said so, run after run, while
the loader refused OUT for good. A reader now names the remedy that works:
delete the array, and the next run rebuilds it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import edit_store_as_if_untouched, invoke, mel, short_tones

from melcli.data import SpectrogramDataset
from melcli.errors import MelcliError

pytestmark = pytest.mark.usefixtures("isolated")


@pytest.mark.parametrize(
    "sql",
    [
        # Another key in the entry than the row's.
        'UPDATE entries SET entry = replace(entry, \'"key": "0.npy"\', '
        "'\"key\": \"1.npy\"') WHERE key = '0.npy'",
        # A field of the wrong type.
        "UPDATE entries SET entry = replace(entry, '\"stamps\": {', "
        "'\"stamps\": 7, \"x\": {') WHERE key = '0.npy'",
    ],
    ids=["other-key", "wrong-type"],
)
def test_a_reader_names_what_rebuilds_an_unusable_stored_entry(
    tmp_path: Path, sql: str
) -> None:
    src = short_tones(tmp_path / "src", 3)
    out = tmp_path / "out"
    assert mel(src, out).exit_code == 0
    assert mel(src, out).exit_code == 0  # the store as a re-run leaves it
    edit_store_as_if_untouched(out / ".melcli-manifest.db", sql)
    assert "0 written, 3 up to date." in mel(src, out).stderr  # by its facts
    with pytest.raises(MelcliError) as refused:
        SpectrogramDataset(out)
    said = str(refused.value)
    assert f"delete {out / '0.npy'} and run 'melcli mel' again" in said, said
    stats = invoke("stats", out)
    assert f"delete {out / '0.npy'} and run 'melcli mel' again" in stats.stderr
    # As said: deleted, the next run rebuilds it, and every reader takes OUT.
    (out / "0.npy").unlink()
    assert "1 written, 2 up to date." in mel(src, out).stderr
    assert len(SpectrogramDataset(out)) == 3
    again = invoke("stats", out)
    assert again.exit_code == 0
    assert "warning" not in again.stderr, again.stderr


def test_several_unusable_stored_entries_are_said_once_with_a_remedy(
    tmp_path: Path,
) -> None:
    src = short_tones(tmp_path / "src", 3)
    out = tmp_path / "out"
    assert mel(src, out).exit_code == 0
    assert mel(src, out).exit_code == 0
    edit_store_as_if_untouched(
        out / ".melcli-manifest.db",
        "UPDATE entries SET entry = replace(entry, '\"stamps\": {', "
        "'\"stamps\": 7, \"x\": {') WHERE key != '2.npy'",
    )
    stats = invoke("stats", out)
    store = out / ".melcli-manifest.db"
    lines = [line for line in stats.stderr.splitlines() if str(store) in line]
    assert len(lines) == 1, stats.stderr
    assert "2 stored entries cannot be used" in lines[0]
    assert f"delete {store} and run 'melcli mel' again" in lines[0]
    store.unlink()  # as said
    assert mel(src, out).exit_code == 0
    assert len(SpectrogramDataset(out)) == 3
    again = invoke("stats", out)
    assert again.exit_code == 0
    assert "warning" not in again.stderr, again.stderr

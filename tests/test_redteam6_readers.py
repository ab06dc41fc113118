"""Readers of OUT say what they dropped of the store's entries read whole.

The store's entries are checked when they are read whole, and a reader that
only asked for the manifest's problems before reading them heard nothing of
one dropped then: the data loader, which refuses a training set with missing
items, gave one item fewer without a word, and ``melcli stats`` computed its
statistics over fewer arrays with no warning (``melcli gallery``, which reads
its entries first, said it). An entry whose packed facts are fine and whose
JSON is not: a store damaged or crafted in place.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from conftest import WriteAudio, invoke

from melcli.data import SpectrogramDataset
from melcli.errors import MelcliError
from melcli.manifest_db import STORE_NAME

pytestmark = pytest.mark.usefixtures("isolated")


@pytest.fixture
def out(write_audio: WriteAudio, tmp_path: Path) -> Path:
    for name in ("a", "b", "c"):
        write_audio(f"{name}.wav")
    out = tmp_path / "out"
    assert invoke("mel", tmp_path / "audio", "-o", out, "-j", "1").exit_code == 0
    with sqlite3.connect(out / STORE_NAME) as db:  # in place: its view stays its
        db.execute(
            "UPDATE entries SET entry = json_set(entry, '$.shape', 'x') "
            "WHERE key = 'b.npy'"
        )
    db.close()
    return out


def test_the_data_loader_refuses_a_store_entry_it_drops(out: Path) -> None:
    with pytest.raises(MelcliError, match=r"dropped 1 invalid entry"):
        SpectrogramDataset(out)


def test_stats_says_it_dropped_a_store_entry(out: Path) -> None:
    result = invoke("stats", out)
    assert "from 2 arrays" in result.stderr
    assert "dropped 1 invalid entry" in result.stderr

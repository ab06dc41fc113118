"""Entries of an older melcli, with no ``source_abs``, are found stale too.

An older melcli recorded only ``source_path``: the input's path as it was
reached (``src/dogs/0.wav``, relative to the working folder). A later run
looks only inside its own input folders (absolute) for inputs that are
gone: the relative path was never inside them, so such an entry was never
stale -- its input deleted, its array kept and counted by ``stats``, the
loader and the gallery for good, not even ``--prune`` removing it. It is
now taken from the working folder, as that melcli looked it up; still only
inside the run's own input folders, and never one whose output an input
there still writes.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from conftest import mel, short_tones

from melcli.manifest_db import STORE_NAME

pytestmark = pytest.mark.usefixtures("isolated")


def _as_older_melcli_wrote(out: Path) -> None:
    """Leave OUT's manifest as an older melcli wrote it: no ``source_abs``."""
    path = out / "manifest.jsonl"
    entries = [json.loads(line) for line in path.read_text().splitlines()]
    assert len(entries) == 3
    assert all("source_abs" in e for e in entries)
    for entry in entries:
        del entry["source_abs"]
    path.write_text("".join(json.dumps(e) + "\n" for e in entries))
    (out / STORE_NAME).unlink()  # no store then: manifest.jsonl alone


@pytest.fixture
def old_out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """src/dogs/{0,1,2}.wav built into out by relative paths, from tmp_path."""
    monkeypatch.chdir(tmp_path)
    Path("src").mkdir()
    short_tones(Path("src") / "dogs", 3)
    assert mel(Path("src"), Path("out")).exit_code == 0
    _as_older_melcli_wrote(tmp_path / "out")
    return tmp_path / "out"


def test_an_old_entry_of_a_gone_input_is_stale_and_pruned(old_out: Path) -> None:
    os.remove("src/dogs/1.wav")
    result = mel(Path("src"), Path("out"))
    assert result.exit_code == 0, result.stderr
    assert "1 stale output" in result.stderr
    assert (old_out / "dogs" / "1.npy").exists()  # reported, not deleted
    result = mel(Path("src"), Path("out"), "--prune")
    assert result.exit_code == 0, result.stderr
    assert "1 stale output removed" in result.stderr
    assert sorted(p.name for p in (old_out / "dogs").iterdir()) == ["0.npy", "2.npy"]
    lines = (old_out / "manifest.jsonl").read_text().splitlines()
    keys = [json.loads(line)["key"] for line in lines]
    assert sorted(keys) == ["dogs/0.npy", "dogs/2.npy"]


def test_old_entries_of_inputs_there_are_kept(old_out: Path) -> None:
    result = mel(Path("src"), Path("out"), "--prune")
    assert result.exit_code == 0, result.stderr
    assert "stale" not in result.stderr
    assert sorted(p.name for p in (old_out / "dogs").iterdir()) == [
        "0.npy",
        "1.npy",
        "2.npy",
    ]


def test_one_whose_output_an_input_still_writes_is_kept(old_out: Path) -> None:
    """Its input moved to another name of the same output (1.wav to 1.flac)."""
    import soundfile as sf

    y, sr = sf.read("src/dogs/1.wav")
    os.remove("src/dogs/1.wav")
    sf.write("src/dogs/1.flac", y, sr)
    result = mel(Path("src"), Path("out"), "--prune")
    assert result.exit_code == 0, result.stderr
    assert (old_out / "dogs" / "1.npy").exists()

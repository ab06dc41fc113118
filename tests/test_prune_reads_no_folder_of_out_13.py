"""``--prune`` lists no folder that only OUT's entries name.

To tell a stale output from one a live input still writes, ``--prune`` looks
for an audio file of the output's name in the SRC folders it knows: the run's
own, and those OUT's entries name. It listed both. A crafted entry naming a
folder outside every SRC (its source gone) then made the run list that folder:
something outside OUT read because of what OUT holds. Such a folder is now
looked up by name only, as an entry's own source always was.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from conftest import short_tones

import melcli

pytestmark = pytest.mark.usefixtures("isolated")


def _craft(out: Path, key: str, source_abs: str, **fields: str) -> None:
    """Make ``key``'s entry claim its input was ``source_abs`` (and ``fields``)."""
    lines = (out / "manifest.jsonl").read_text().splitlines()
    entries = [json.loads(line) for line in lines]
    for entry in entries:
        if entry["key"] == key:
            entry.update(source_path=source_abs, source_abs=source_abs, **fields)
    (out / "manifest.jsonl").write_text("".join(json.dumps(e) + "\n" for e in entries))


def test_a_folder_only_an_entry_names_is_not_listed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = short_tones(tmp_path / "src", 3)
    out = tmp_path / "out"
    melcli.run([src], out, jobs=1)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "notes.txt").write_text("not melcli's to read")
    (src / "1.wav").unlink()  # the entry's input is gone: --prune weighs it
    _craft(out, "1.npy", str(elsewhere / "1.wav"))
    listed: list[str] = []
    for name in ("listdir", "scandir"):
        real = getattr(os, name)

        def spy(path: object = ".", _real: object = real) -> object:
            listed.append(os.fsdecode(os.path.abspath(path)))  # type: ignore[arg-type]
            return _real(path)  # type: ignore[operator]

        monkeypatch.setattr(os, name, spy)

    report = melcli.run([src], out, jobs=1, prune=True)

    monkeypatch.undo()
    assert not [p for p in listed if p.startswith(str(elsewhere))], listed
    # Round 25: an input outside the run's SRC is not looked up at all: kept.
    assert report.pruned == []
    assert (out / "1.npy").exists()


def test_a_live_input_beside_a_narrower_src_still_keeps_its_output(
    tmp_path: Path,
) -> None:
    """Looked up by name, the input of an entry left out is still found."""
    src = tmp_path / "src"
    src.mkdir()
    short_tones(src / "dogs", 2)
    short_tones(src / "cats", 2)
    (src / "cats" / "1.wav").rename(src / "cats" / "1.WAV")
    out = tmp_path / "out"
    melcli.run([src], out, jobs=1)
    before = (out / "cats" / "1.npy").read_bytes()
    gone = str(tmp_path / "gone" / "cats" / "1.WAV")
    _craft(out, "cats/1.npy", gone, source="cats/1.WAV")

    report = melcli.run([src / "dogs"], out, jobs=1, prune=True)

    assert (out / "cats" / "1.npy").read_bytes() == before
    assert not any("cats" in str(p) for p in report.pruned)

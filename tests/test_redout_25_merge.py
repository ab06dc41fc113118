"""Hostile OUT, round 25: ``melcli merge`` counts as written only what OUT holds.

A manifest part is OUT's: its entries' outputs may since have been deleted,
or a folder on their way swapped for a symbolic link out of OUT. The merge
counted each as written (and wrote it into the manifest) all the same.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from conftest import two_classes

import melcli
from melcli.shard import merge


def test_merge_drops_entries_whose_folder_became_a_link_out(tmp_path: Path) -> None:
    src = two_classes(tmp_path / "src")
    out = tmp_path / "out"
    for i in range(2):
        assert melcli.run([src], out, jobs=1, shard=f"{i}/2").exit_code == 0
    folder = sorted(p for p in out.iterdir() if p.is_dir())[0]
    elsewhere = tmp_path / "elsewhere"
    shutil.move(folder, elsewhere)
    folder.symlink_to(elsewhere, target_is_directory=True)
    gone = sorted(p for p in out.iterdir() if p.is_dir() and not p.is_symlink())[0]
    next(gone.glob("*.npy")).unlink()

    report = merge(out)

    moved = len(list(elsewhere.glob("*.npy")))
    assert report.exit_code == 0
    assert report.counts.get("written", 0) == report.entries
    assert report.entries == len(list(src.rglob("*.wav"))) - moved - 1
    assert any("dropped 2 entries" in w and "rebuilt" in w for w in report.warnings)
    assert report.counts == {}

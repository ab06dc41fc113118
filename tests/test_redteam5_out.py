"""A folder in OUT where SQLite keeps the store's journal.

OUT is untrusted. With a folder named ``.melcli-manifest.db-journal`` there,
the run said ``cannot write OUT/manifest.jsonl: is a directory`` (the
manifest is a file: the folder is another name), and left the store it had
made, ``.melcli-manifest.db.melcli-tmp``, in OUT after every run. The
error now names the folder, and the store made is removed.
"""

from __future__ import annotations

from pathlib import Path

from conftest import short_tones

import melcli

STORE = ".melcli-manifest.db"


def test_a_folder_in_place_of_the_stores_journal_is_named(tmp_path: Path) -> None:
    src = short_tones(tmp_path / "audio", n=2)
    out = tmp_path / "out"
    assert melcli.run(src, out).exit_code == 0
    (out / f"{STORE}-journal").mkdir()
    (src / "0.wav").touch()

    report = melcli.run(src, out)

    assert report.exit_code == 1
    assert report.errors == [
        f"cannot write {out / 'manifest.jsonl'}: {STORE}-journal is a folder, "
        "not a file (remove it)"
    ]
    assert sorted(p.name for p in out.iterdir() if "tmp" in p.name) == []
    assert (out / "0.npy").is_file()

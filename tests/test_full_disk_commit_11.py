"""A manifest that cannot be written (a full disk) says the run's work is not lost.

The run said ``error: cannot write OUT/manifest.jsonl: no space left on
device`` then ``4 written.``: whether those arrays counted was left to guess.
They are in the journal, and the next run takes them up without rebuilding;
the error line now says so.
"""

from __future__ import annotations

import errno
from pathlib import Path

import pytest
from conftest import short_tones

import melcli
import melcli.manifest


def test_a_manifest_not_written_says_the_outputs_are_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = short_tones(tmp_path / "audio", 3)
    out = tmp_path / "out"

    def full(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    with monkeypatch.context() as patch:
        patch.setattr(melcli.manifest.Manifest, "_write_store", full)
        report = melcli.run(src, out, jobs=1)
    assert report.exit_code == 1
    assert report.errors == [
        f"cannot write {out / 'manifest.jsonl'}: no space left on device; the 3 "
        "outputs written are recorded in .melcli-journal.jsonl, and the next run "
        "that can write the manifest takes them up without rebuilding"
    ]
    # As it says: nothing rebuilt.
    again = melcli.run(src, out, jobs=1)
    assert again.summary() == "0 written, 3 up to date."
    assert (out / "manifest.jsonl").is_file()


def test_nothing_written_says_nothing_more(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = short_tones(tmp_path / "audio", 2)
    out = tmp_path / "out"
    melcli.run(src, out, jobs=1)

    def full(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(melcli.manifest.Manifest, "_write_store", full)
    report = melcli.run(src, out, jobs=1, force=True)
    assert report.errors[0].endswith("up without rebuilding")
    report = melcli.run(src, out, jobs=1)  # all up to date: nothing to keep
    assert report.errors == [
        f"cannot write {out / 'manifest.jsonl'}: no space left on device"
    ]

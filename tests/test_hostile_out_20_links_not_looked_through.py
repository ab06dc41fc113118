"""A link OUT holds in the place of melcli's files is not looked through.

OUT is untrusted: nothing outside it is read because of what it holds, its
files' status included. A run found a link at the store's ``-journal``
(or at the journal) with ``os.path.isdir`` / ``os.path.isfile``, which
follow it: a ``stat`` of whatever it leads to, anywhere on the machine
(``strace`` showed it). Now such a name is looked at with ``lstat`` alone.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import short_tones

import melcli
from melcli.manifest import JOURNAL_NAME
from melcli.manifest_db import STORE_NAME

pytestmark = pytest.mark.usefixtures("isolated")

NAMES = [f"{STORE_NAME}-journal", JOURNAL_NAME]


@pytest.mark.parametrize("name", NAMES)
def test_a_link_in_place_of_a_journal_is_not_followed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    src = short_tones(tmp_path / "src", 2)
    out = tmp_path / "out"
    melcli.run([src], out, jobs=1)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "victim").write_bytes(b"not OUT's")
    if name != JOURNAL_NAME:  # the store rebuilt (from manifest.jsonl), and put there
        (out / STORE_NAME).unlink()
    link = out / name
    os.symlink(elsewhere / "victim", link)
    (src / "0.wav").write_bytes((src / "1.wav").read_bytes())  # a change to commit

    followed: list[str] = []
    real_stat = os.stat

    def stat(path: object, *args: object, **kwargs: object) -> os.stat_result:
        if (
            kwargs.get("follow_symlinks", True)
            and kwargs.get("dir_fd") is None
            and isinstance(path, str | os.PathLike)
            and os.fspath(path) == str(link)
        ):
            followed.append(os.fspath(path))
        return real_stat(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "stat", stat)
    report = melcli.run([src], out, jobs=1)
    monkeypatch.undo()

    assert followed == []
    assert report.count(melcli.report.Status.WRITTEN) == 1
    assert (elsewhere / "victim").read_bytes() == b"not OUT's"

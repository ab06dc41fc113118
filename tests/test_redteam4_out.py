"""Files melcli writes in place in OUT, put there as hard links to files outside.

OUT is untrusted (a CI cache, a shared folder). A symbolic link in the place of
the lock, the journal or the manifest store was refused, but a hard link is a
regular file: opened in place, it was written through, and its other name may
be anywhere on the file system. The lock got the run's pid (now locked, not
written), the journal the
run's entries, the SQLite store the run's pages:
each an overwrite of a file outside OUT. Files written whole (a temporary name,
then a rename) only replace the name in OUT and were never at risk.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import invoke, two_classes

from melcli.manifest import JOURNAL_NAME
from melcli.manifest_db import STORE_NAME
from melcli.outdir import LOCK_NAME

pytestmark = pytest.mark.usefixtures("isolated")

SECRET = b"SECRET-OUTSIDE-OUT\n"


@pytest.fixture
def victim(tmp_path: Path) -> Path:
    folder = tmp_path / "victim"
    folder.mkdir()
    return folder


def mel(src: Path, out: Path, *options: object) -> tuple[int, str]:
    result = invoke("mel", src, "-o", out, "-j", "1", *options)
    return result.exit_code, result.stderr


def test_a_lock_that_is_a_hard_link_is_not_written_through(
    tmp_path: Path, victim: Path
) -> None:
    src = two_classes(tmp_path / "src")
    out = tmp_path / "out"
    out.mkdir()
    (victim / "lock").write_bytes(SECRET)
    os.link(victim / "lock", out / LOCK_NAME)

    code, stderr = mel(src, out)

    assert (victim / "lock").read_bytes() == SECRET
    assert code == 0, stderr
    assert stderr.splitlines()[-1] == "2 written."


def test_a_journal_that_is_a_hard_link_is_not_appended_to(
    tmp_path: Path, victim: Path
) -> None:
    src = two_classes(tmp_path / "src")
    out = tmp_path / "out"
    out.mkdir()
    (victim / "journal").write_bytes(SECRET)
    os.link(victim / "journal", out / JOURNAL_NAME)

    code, stderr = mel(src, out)

    assert (victim / "journal").read_bytes() == SECRET
    assert code == 0, stderr
    assert "hard link" in stderr
    assert not (out / JOURNAL_NAME).exists()
    assert mel(src, out)[1].splitlines()[-1] == "0 written, 2 up to date."


def test_a_store_that_is_a_hard_link_is_not_written_through(
    tmp_path: Path, victim: Path
) -> None:
    src = two_classes(tmp_path / "src")
    out = tmp_path / "out"
    assert mel(src, out)[0] == 0
    (src / "dogs" / "b.wav").write_bytes((src / "dogs" / "a.wav").read_bytes())
    outside = victim / "db"  # a store of the user's own, say, linked from OUT
    os.link(out / STORE_NAME, outside)
    before = outside.read_bytes()

    code, stderr = mel(src, out)

    assert outside.read_bytes() == before
    assert code == 0, stderr
    assert stderr.splitlines()[-1] == "1 written, 2 up to date."
    assert mel(src, out)[1].splitlines()[-1] == "0 written, 3 up to date."
    assert os.stat(out / STORE_NAME).st_nlink == 1

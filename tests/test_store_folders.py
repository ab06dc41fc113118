"""A folder in the place of one of the store's files is named, and left alone.

A store that cannot be read is rebuilt under a temporary name
(``.melcli-manifest.db.melcli-tmp``) and renamed into place. A folder of that
name (or of its ``-journal``) in OUT made every run fail with ``cannot write
OUT/manifest.jsonl: is a directory``, naming neither the folder nor what to
do, run after run. OUT is untrusted: the folder is not melcli's to delete.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import WriteAudio, invoke

pytestmark = pytest.mark.usefixtures("isolated")

FOLDERS = [
    ".melcli-manifest.db.melcli-tmp",
    ".melcli-manifest.db.melcli-tmp-journal",
    ".melcli-manifest.db",
]


@pytest.mark.parametrize("name", FOLDERS)
def test_a_folder_where_the_store_is_written_is_named(
    write_audio: WriteAudio, tmp_path: Path, name: str
) -> None:
    write_audio("dogs/a.wav")
    src, out = tmp_path / "audio", tmp_path / "out"
    assert invoke("mel", src, "-o", out, "-j", "1").exit_code == 0
    store = out / ".melcli-manifest.db"
    store.unlink() if name == FOLDERS[2] else store.write_bytes(b"not a database")
    (out / name).mkdir()
    (out / name / "kept").write_text("a file of someone's")

    result = invoke("mel", src, "-o", out, "-j", "1")

    assert result.exit_code == 1
    assert f"{name} is a folder, not a file (remove it)" in result.stderr
    assert "Traceback" not in result.stderr
    assert (out / name / "kept").read_text() == "a file of someone's"
    assert (out / "dogs" / "a.npy").is_file()

    (out / name / "kept").unlink()
    (out / name).rmdir()  # as the message says
    again = invoke("mel", src, "-o", out, "-j", "1")
    assert again.exit_code == 0, again.stderr
    assert (
        invoke("mel", src, "-o", out, "-j", "1").stderr == "0 written, 1 up to date.\n"
    )

"""A store whose damage SQLite quotes in bytes that are not UTF-8 is one bad store.

SQLite's message for a malformed schema quotes the file (``malformed
database schema (state) - near "CR\\xe6ATE": syntax error``), and Python's
``sqlite3`` fails to decode it: a ``UnicodeDecodeError``, not an
``sqlite3.Error``. Every command that read OUT (``melcli mel``, ``stats``,
``gallery``, the data loader) ended in a traceback on a store with one byte
changed. Found by flipping random bytes of a store.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import WriteAudio, invoke

from melcli.data import SpectrogramDataset
from melcli.errors import MelcliError
from melcli.gallery import build_gallery

pytestmark = pytest.mark.usefixtures("isolated")


@pytest.fixture
def out(write_audio: WriteAudio, tmp_path: Path) -> Path:
    write_audio("dogs/a.wav")
    write_audio("cats/b.wav")
    out = tmp_path / "out"
    assert invoke("mel", tmp_path / "audio", "-o", out, "-j", "1").exit_code == 0
    store = out / ".melcli-manifest.db"
    data = store.read_bytes()
    ddl = b"CREATE TABLE state"
    assert data.count(ddl) == 1
    store.write_bytes(data.replace(ddl, b"CR\xe6ATE TABLE state"))
    return out


WARNING = "warning: {}/.melcli-manifest.db: not read (malformed database schema"


def test_a_run_reads_the_view_and_rebuilds_the_store(out: Path, tmp_path: Path) -> None:
    result = invoke("mel", tmp_path / "audio", "-o", out, "-j", "1")

    assert result.exit_code == 0, result.stderr
    assert result.stderr.startswith(WARNING.format(out))
    assert result.stderr.splitlines()[-1] == "0 written, 2 up to date."
    again = invoke("mel", tmp_path / "audio", "-o", out, "-j", "1")
    assert again.stderr == "0 written, 2 up to date.\n"  # the store is whole again


def test_the_readers_say_so_and_go_on(out: Path) -> None:
    result = invoke("stats", out)
    assert result.exit_code == 0, result.stderr
    assert result.stderr.startswith(WARNING.format(out))

    report = build_gallery(out, waveforms=False, jobs=1)
    assert report.inputs == 2
    assert any("malformed database schema" in note for note in report.notes)

    # The loader refuses what may be a partial training set, saying what to do.
    with pytest.raises(MelcliError, match=r"not read .*'melcli mel' rebuilds the st"):
        SpectrogramDataset(out)
    assert invoke("mel", out.parent / "audio", "-o", out, "-j", "1").exit_code == 0
    ds = SpectrogramDataset(out)
    assert sorted(item.path for item in ds.items) == ["cats/b.npy", "dogs/a.npy"]


def test_the_message_holds_no_undecodable_byte(out: Path) -> None:
    result = invoke("mel", out.parent / "audio", "-o", out, "-j", "1", "--json")
    warnings = json.loads(result.stdout)["warnings"]
    assert len(warnings) == 1
    assert "\udce6" not in warnings[0]
    assert warnings[0].encode("utf-8")

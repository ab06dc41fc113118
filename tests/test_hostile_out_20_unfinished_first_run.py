"""A first run that left no manifest is not called "not the output of a run".

A run writes its manifest at its end. A first run that could not (a full
disk), or was killed, leaves its outputs and its journal alone in OUT; the
data loader then said ``OUT has no manifest.jsonl: not the output of a
run``, and the gallery ``run 'melcli mel' into it``, as for a folder no run
ever wrote. Now both say what happened and what finishes it; and while a
run still writes there, the loader says so (as the gallery did).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import short_tones

import melcli
from melcli import manifest_db
from melcli.data import SpectrogramDataset
from melcli.errors import MelcliError, UsageError
from melcli.gallery import build_gallery
from melcli.manifest import JOURNAL_NAME, MANIFEST_NAME
from melcli.outdir import OutputLock

pytestmark = pytest.mark.usefixtures("isolated")


def _unfinished(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """OUT of a first run whose manifest could not be written (a full disk)."""
    src = short_tones(tmp_path / "src", 2)
    out = tmp_path / "out"

    def full(path: Path) -> manifest_db.Store:
        raise manifest_db.StoreError("no space left on device")

    with monkeypatch.context() as m:
        m.setattr(manifest_db, "rebuild", full)
        report = melcli.run([src], out, jobs=1)
    assert report.exit_code == 1
    assert not (out / MANIFEST_NAME).exists()
    assert (out / JOURNAL_NAME).is_file()
    return out


def test_the_loader_and_the_gallery_say_the_run_did_not_finish(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = _unfinished(tmp_path, monkeypatch)
    said = (
        f"{out}: no {MANIFEST_NAME}: the run that wrote there was stopped or "
        f"could not write it (its journal, {JOURNAL_NAME}, is there); run "
        "'melcli mel' into it again to finish"
    )

    with pytest.raises(MelcliError) as loader:
        SpectrogramDataset(out)
    with pytest.raises(MelcliError) as gallery:
        build_gallery(out, jobs=1)

    assert str(loader.value) == said
    assert str(gallery.value) == said


def test_the_loader_says_a_run_still_writes_there(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = _unfinished(tmp_path, monkeypatch)
    lock = out / ".melcli.lock"

    with OutputLock(out):
        held = lock.read_bytes()
        with pytest.raises(MelcliError) as loader:
            SpectrogramDataset(out)
        assert lock.read_bytes() == held  # the loader writes nothing

    assert not isinstance(loader.value, UsageError)
    assert str(loader.value).startswith(
        f"{out}: no {MANIFEST_NAME} yet: another melcli run (pid "
    )
    assert str(loader.value).endswith(") is writing to it; wait for it to finish")
    with pytest.raises(MelcliError, match="the run that wrote there was stopped"):
        SpectrogramDataset(out)  # the lock released

"""A PNG drawn for an up-to-date array, whose entry is then too long, keeps the array.

Adding ``--png`` to an up-to-date run draws only the PNGs. An entry that
grows over what a run records (:data:`manifest_db.MAX_RECORDED`) with its
PNG's fields fails its input (``too much to record``), and the outputs of a
failed input are deleted: the array too, though it was up to date and its
earlier entry still true. Now, as for a failed ``--force`` rebuild, the
earlier array and entry are kept (``its earlier output, still up to date,
is kept``); only the new PNG, which no entry records, is deleted.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import soundfile as sf
from conftest import tone

import melcli
from melcli import manifest_db
from melcli.report import Status

pytestmark = pytest.mark.usefixtures("isolated")

SR = 8000


def _entries(out: Path) -> dict[str, dict[str, object]]:
    lines = (out / "manifest.jsonl").read_text().splitlines()
    return {e["key"]: e for e in map(json.loads, lines)}


def test_a_png_only_redraw_too_long_to_record_keeps_the_up_to_date_array(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    audio = tmp_path / "audio"
    audio.mkdir()
    for name in ("a", "b"):
        sf.write(audio / f"{name}.wav", tone(sr=SR, seconds=0.5), SR)
    table = tmp_path / "list.csv"
    table.write_text(f"path,note\na.wav,{'n' * 4000}\nb.wav,short\n")
    out = tmp_path / "out"
    run = {"jobs": 1, "files_from": table, "root": audio}
    assert melcli.run([], out, **run).exit_code == 0
    array = (out / "a.npy").read_bytes()
    before = _entries(out)["a.npy"]
    # The cap between the entry as it is and the entry with its PNG.
    line = (out / "manifest.jsonl").read_text().splitlines()
    longest = max(len(x.rstrip().encode()) for x in line)
    monkeypatch.setattr(manifest_db, "MAX_RECORDED", longest + 10)

    report = melcli.run([], out, png=True, **run)

    (failure,) = report.failures
    assert failure.src.name == "a.wav"
    assert "too much to record" in failure.reason
    assert "its earlier output, still up to date, is kept" in failure.reason
    assert (out / "a.npy").read_bytes() == array  # not deleted
    assert not (out / "a.png").exists()  # no file that no entry records
    assert (out / "b.png").exists()
    kept = _entries(out)["a.npy"]
    assert kept["stamps"] == before["stamps"]
    assert kept["npy"] == "a.npy"
    # The next run without --png finds it up to date.
    monkeypatch.undo()
    again = melcli.run([], out, **run)
    assert again.count(Status.UP_TO_DATE) == 2, again.failures

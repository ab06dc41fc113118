"""An entry longer than a run reads back is not written: its input fails.

A run drops an entry over ``manifest_db.MAX_ENTRY`` unread (taken for a
crafted one) and rebuilds its input. An entry that melcli wrote itself over
that size (tens of thousands of segments with ``--segment-layout files``, a
huge cell of a ``--files-from`` table) was written, then dropped and rebuilt
by every later run, with a warning about an invalid entry. Now the run that
would write it fails that input, saying why and what to give instead, and
leaves none of its outputs in OUT; the rest of the batch goes on.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import soundfile as sf
from conftest import invoke, tone

import melcli
from melcli import manifest_db
from melcli.report import Status

pytestmark = pytest.mark.usefixtures("isolated")

SR = 8000


def _entries(out: Path) -> dict[str, dict[str, object]]:
    lines = (out / "manifest.jsonl").read_text().splitlines()
    return {e["key"]: e for e in map(json.loads, lines)}


def test_a_huge_table_cell_fails_its_input_not_every_later_run(
    tmp_path: Path,
) -> None:
    audio = tmp_path / "audio"
    audio.mkdir()
    for name in ("big", "small"):
        sf.write(audio / f"{name}.wav", tone(sr=SR, seconds=0.5), SR)
    huge = "x" * (manifest_db.MAX_ENTRY + 1)  # one cell: 16 MiB and a byte
    table = tmp_path / "list.csv"
    table.write_text(f"path,note\nbig.wav,{huge}\nsmall.wav,fine\n")
    out = tmp_path / "out"
    options = ("mel", "--files-from", table, "--root", audio, "-o", out, "-j", "1")

    first = invoke(*options)

    assert first.exit_code == 1, first.stderr
    errors = [line for line in first.stderr.splitlines() if "big.wav" in line]
    assert len(errors) == 1
    assert "too much to record" in errors[0]
    assert "its row of the file list (16.0 MiB)" in errors[0]
    assert not (out / "big.npy").exists()  # no output that no entry records
    assert (out / "small.npy").exists()
    entries = _entries(out)
    assert entries["big.npy"]["status"] == "failed"
    assert "meta" not in entries["big.npy"]
    assert entries["small.npy"]["meta"] == {"note": "fine"}

    again = invoke(*options)

    assert again.exit_code == 1
    assert "invalid" not in again.stderr  # its entry was read back
    assert again.stderr.splitlines()[-1] == "0 written, 1 up to date, 1 failed."


@pytest.mark.parametrize("storage_format", ["npy", "webdataset"])
def test_too_many_segments_fail_their_input_with_what_to_give(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, storage_format: str
) -> None:
    """The cap made small: 40 segment files make an entry too long to record."""
    audio = tmp_path / "audio"
    audio.mkdir()
    sf.write(audio / "long.wav", tone(sr=SR, seconds=40), SR)
    sf.write(audio / "short.wav", tone(sr=SR, seconds=2), SR)
    out = tmp_path / "out"
    params = melcli.MelParams(
        sr=SR, n_fft=256, hop_length=128, segment=1.0, segment_layout="files"
    )
    run = {"jobs": 1, "params": params, "storage_format": storage_format}
    with monkeypatch.context() as m:
        m.setattr(manifest_db, "MAX_RECORDED", 2000, raising=False)
        report = melcli.run([audio], out, **run)

    (failure,) = report.failures
    assert failure.src.name == "long.wav"
    assert failure.reason.startswith("too much to record: its manifest entry")
    assert "its 40 segments; give --segment-layout stack" in failure.reason
    assert report.count(Status.WRITTEN) == 1
    entries = _entries(out)
    assert "long.000.npy" not in entries or entries["long.000.npy"]["status"] == (
        "failed"
    )
    assert not list(out.glob("long.*.npy"))
    # The cap as it is: the input is written, then up to date.
    assert melcli.run([audio], out, **run).count(Status.WRITTEN) == 1
    assert melcli.run([audio], out, **run).count(Status.UP_TO_DATE) == 2


def test_a_row_grown_huge_fails_its_up_to_date_input_keeping_its_array(
    tmp_path: Path,
) -> None:
    audio = tmp_path / "audio"
    audio.mkdir()
    sf.write(audio / "a.wav", tone(sr=SR, seconds=0.5), SR)
    table = tmp_path / "list.csv"
    table.write_text("path,note\na.wav,short\n")
    out = tmp_path / "out"
    options = ("mel", "--files-from", table, "--root", audio, "-o", out, "-j", "1")
    assert invoke(*options).exit_code == 0
    array = (out / "a.npy").read_bytes()
    table.write_text(f"path,note\na.wav,{'y' * (manifest_db.MAX_ENTRY + 1)}\n")

    grown = invoke(*options)

    assert grown.exit_code == 1, grown.stderr
    assert "too much to record" in grown.stderr
    assert "its earlier output, still up to date, is kept" in grown.stderr
    assert (out / "a.npy").read_bytes() == array
    assert _entries(out)["a.npy"]["meta"] == {"note": "short"}
    assert grown.stderr.splitlines()[-1] == "0 written, 1 failed."

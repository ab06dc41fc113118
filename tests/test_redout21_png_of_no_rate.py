"""A PNG to draw for an entry recording no rate makes its array again.

Adding ``--png`` to an up-to-date run draws only the PNGs, at the rate the
entry records (``sr``). An entry recording ``"sr": 0`` (crafted: any entry
of OUT may be) or none failed its input on every ``--png`` run with
``ZeroDivisionError: division by zero``. The array is made again now, with
its PNG, and the input is written.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import soundfile as sf
from conftest import tone

import melcli
from melcli.manifest import MANIFEST_NAME
from melcli.manifest_db import STORE_NAME
from melcli.report import Status

pytestmark = pytest.mark.usefixtures("isolated")

SR = 8000


@pytest.mark.parametrize("sr", [0, None])
def test_a_png_of_an_entry_with_no_rate_is_drawn(
    tmp_path: Path, sr: int | None
) -> None:
    src = tmp_path / "audio"
    src.mkdir()
    sf.write(src / "a.wav", tone(sr=SR, seconds=0.5), SR)
    out = tmp_path / "out"
    assert melcli.run([src], out, jobs=1).exit_code == 0
    (out / STORE_NAME).unlink()  # manifest.jsonl is read
    entry = json.loads((out / MANIFEST_NAME).read_text())
    if sr is None:
        del entry["sr"]
    else:
        entry["sr"] = sr
    (out / MANIFEST_NAME).write_text(json.dumps(entry) + "\n")

    report = melcli.run([src], out, jobs=1, png=True)

    assert report.failures == []
    assert report.count(Status.WRITTEN) == 1
    assert (out / "a.png").exists()
    again = melcli.run([src], out, jobs=1, png=True)
    assert again.count(Status.UP_TO_DATE) == 1

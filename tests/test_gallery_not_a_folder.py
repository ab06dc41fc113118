"""Something that is not a folder where the gallery goes: say what it is.

A FIFO at ``OUT/gallery`` gave ``cannot create OUT/gallery: file exists``,
which sends a user looking for a folder that is not there. The message now
says what is in the way, as melcli says it of OUT's other folders.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import invoke, mel, short_tones


@pytest.mark.parametrize(
    ("where", "make", "what"),
    [
        ("gallery", os.mkfifo, "not a folder (a FIFO)"),
        ("gallery", lambda p: Path(p).write_text("x"), "a file, not a folder"),
        ("gallery/thumbs", os.mkfifo, "not a folder (a FIFO)"),
        ("gallery/data", lambda p: Path(p).write_text("x"), "a file, not a folder"),
    ],
)
def test_what_is_in_the_way_is_named(
    tmp_path: Path, where: str, make: object, what: str
) -> None:
    out = tmp_path / "out"
    assert mel(short_tones(tmp_path / "audio", 1), out).exit_code == 0
    (out / "gallery").mkdir()
    blocker = out / where
    if blocker.exists():
        blocker.rmdir()
    make(blocker)  # type: ignore[operator]
    result = invoke("gallery", out)
    assert result.exit_code == 1
    assert result.stderr == f"error: cannot create {blocker}: {what}\n"

"""``melcli.run(..., stats=True)`` with no array says stats.npz was not written.

``melcli mel empty/ -o OUT --stats`` prints ``warning: no arrays: stats.npz
not written``; ``melcli.run`` said nothing, and a caller loading
``OUT/stats.npz`` next found no file.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import mel

import melcli

pytestmark = pytest.mark.usefixtures("isolated")


def test_no_arrays_is_said(tmp_path: Path) -> None:
    src = tmp_path / "audio"
    src.mkdir()
    (src / "broken.wav").write_text("not audio")
    report = melcli.run([src], tmp_path / "out", stats=True, jobs=1)
    assert report.warnings == ["no arrays: stats.npz not written"]
    assert not (tmp_path / "out" / "stats.npz").exists()
    command = mel(src, tmp_path / "out2", "--stats")
    assert "warning: no arrays: stats.npz not written" in command.stderr.splitlines()

"""``extensions`` given as a generator is read once, not checked and then found empty.

``melcli.run(src, out, extensions=(e for e in ...))`` checked the generator
(reading it whole), then chose files by what was left of it: nothing, so
every file was passed over and the run "succeeded" with 0 written.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf

import melcli


def _folder(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    src.mkdir()
    for name in ("a.wav", "b.flac"):
        sf.write(src / name, np.full(4000, 0.1, np.float32), 8000)
    return src


def test_run_takes_the_extensions_of_a_generator(tmp_path: Path) -> None:
    src = _folder(tmp_path)
    out = tmp_path / "out"
    report = melcli.run(src, out, extensions=(e for e in ["wav", "flac"]), jobs=1)
    assert report.exit_code == 0
    assert sorted(p.name for p in out.glob("*.npy")) == ["a.npy", "b.npy"]


def test_info_takes_the_extensions_of_a_generator(tmp_path: Path) -> None:
    src = _folder(tmp_path)
    inventory = melcli.info(src, extensions=(e for e in ["flac"]))
    assert [Path(row["path"]).name for row in inventory.rows] == ["b.flac"]

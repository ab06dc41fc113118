"""The hint for a dataset's table passed over in a walk gives a run that works.

``melcli mel ESC-50 -o features/`` said to ``give --files-from
ESC-50/meta/esc50.csv instead of the folder``; run as said, every file failed
(``no such file``): the table names files in ``ESC-50/audio``, relative to
which ``--root`` must be given too. The hint now gives it.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import numpy as np
import soundfile as sf
from conftest import invoke


def _dataset(tmp_path: Path, *, audio_beside: bool) -> Path:
    """An ESC-50-like tree: meta/esc50.csv, its audio in audio/ or beside it."""
    root = tmp_path / "ESC-50"
    audio = root / ("meta" if audio_beside else "audio")
    audio.mkdir(parents=True, exist_ok=True)
    (root / "meta").mkdir(exist_ok=True)
    rows = ["filename,fold,category"]
    for k, label in enumerate(("dog", "rain", "dog")):
        y = np.sin(np.arange(1600) * (0.1 + k / 10)).astype(np.float32) * 0.5
        sf.write(audio / f"{k + 1}-100-A-{k}.wav", y, 8000)
        rows.append(f"{k + 1}-100-A-{k}.wav,{k + 1},{label}")
    (root / "meta" / "esc50.csv").write_text("\n".join(rows) + "\n")
    return root


def _advised(tmp_path: Path, root: Path, name: str) -> list[str]:
    """Run over the folder, and return the options its hint advises."""
    walked = invoke("mel", root, "-o", tmp_path / name, "-j", "1")
    assert walked.exit_code == 0, walked.stderr
    said = re.search(r"give (--files-from .*) instead of the folder", walked.stderr)
    assert said is not None, walked.stderr
    return shlex.split(said.group(1))


def test_the_run_the_hint_gives_takes_every_file(tmp_path: Path) -> None:
    advised = _advised(tmp_path, _dataset(tmp_path, audio_beside=False), "walked")
    listed = invoke("mel", *advised, "-o", tmp_path / "listed", "-j", "1", "--json")
    assert listed.exit_code == 0, listed.stderr
    assert '"written": 3' in listed.stdout
    # No --root where the table's own folder holds the files.
    beside = _dataset(tmp_path / "b", audio_beside=True)
    assert "--root" not in _advised(tmp_path, beside, "beside")

"""``melcli info`` counts a file given twice once, as a run converts it once.

``melcli info a.wav a.wav`` (or ``audio audio/a.wav``, ``./a.wav``) listed
the file twice and counted its hours twice in ``--summary``, where
``melcli mel`` takes it once (one file, one output). A link of another name
is another input in both.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

import melcli
from melcli.report import Status

SR = 8000


@pytest.fixture
def audio(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "audio" / "sub").mkdir(parents=True)
    y = (0.3 * np.sin(np.arange(SR) * 0.05)).astype(np.float32)
    sf.write(tmp_path / "audio" / "a.wav", y, SR)
    os.symlink("../a.wav", tmp_path / "audio" / "sub" / "link.wav")
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize(
    "sources",
    [
        ["audio/a.wav", "audio/a.wav"],
        ["audio/a.wav", "./audio/a.wav"],
        ["audio", "audio/a.wav"],
    ],
)
def test_one_file_given_twice_is_one_row(audio: Path, sources: list[str]) -> None:
    inventory = melcli.info(sources)
    report = melcli.run(sources, audio / "out", jobs=1)
    converted = [r.src.name for r in report.results if r.status is Status.WRITTEN]
    listed = [Path(r["path"]).name for r in inventory.rows]
    assert sorted(listed) == sorted(converted)
    assert listed.count("a.wav") == 1
    assert inventory.summary()["seconds"] == len(listed) * 1.0


def test_a_link_of_another_name_is_another_row(audio: Path) -> None:
    inventory = melcli.info(["audio/a.wav", "audio/sub/link.wav"])
    assert sorted(Path(r["path"]).name for r in inventory.rows) == ["a.wav", "link.wav"]
    assert inventory.summary()["seconds"] == 2.0

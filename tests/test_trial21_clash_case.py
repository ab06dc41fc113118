"""The ``--exclude`` a name clash suggests matches the clashing files' own spelling.

Seen in a newcomer's trial: ``UPPER.WAV`` beside ``UPPER.flac`` both failed, and
the last line said ``such as with --exclude '*.wav'``; patterns match case and
all, so that left out every other ``.wav`` and not ``UPPER.WAV``, and the next
run failed the same two files again.
"""

from __future__ import annotations

from pathlib import Path

import soundfile as sf
from conftest import mel, tone


def _write(path: Path) -> None:
    sf.write(path, tone(sr=8000, seconds=0.2), 8000)


def test_the_suggested_exclude_takes_the_clash_away(tmp_path: Path) -> None:
    src = tmp_path / "audio"
    src.mkdir()
    for name in ("UPPER.WAV", "UPPER.flac", "other.wav"):
        _write(src / name)
    first = mel(src, tmp_path / "out")
    assert first.exit_code == 1
    hint = first.stderr.splitlines()[-2]
    assert hint.endswith(
        "keep one of each name, such as with --exclude '*.WAV', or rename them"
    )
    again = mel(src, tmp_path / "out", "--exclude", "*.WAV")
    assert again.exit_code == 0, again.stderr
    assert sorted(p.name for p in (tmp_path / "out").glob("*.npy")) == [
        "UPPER.npy",
        "other.npy",
    ]


def test_both_spellings_are_named_when_both_clash(tmp_path: Path) -> None:
    src = tmp_path / "audio"
    src.mkdir()
    for name in ("a.WAV", "a.flac", "b.wav", "b.flac"):
        _write(src / name)
    result = mel(src, tmp_path / "out")
    assert result.exit_code == 1
    assert "such as with --exclude '*.WAV' --exclude '*.wav', or" in result.stderr

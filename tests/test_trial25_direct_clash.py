"""A file given directly that clashes with another input gets a hint.

Session 25's trial: ``melcli mel x/a.wav audio/`` with an ``audio/a.wav``
failed both, each naming the other, and nothing said that a file given
directly is written at OUT's top, nor what to give instead.
"""

from __future__ import annotations

import shlex
import shutil
from pathlib import Path

from conftest import invoke, short_tones

import melcli


def _direct_hints(warnings: list[str]) -> list[str]:
    return [w for w in warnings if "given as a file" in w or "given as files" in w]


def test_a_file_given_directly_that_clashes_is_told_why(tmp_path: Path) -> None:
    audio = short_tones(tmp_path / "audio", 2)
    extra = tmp_path / "my extra"
    extra.mkdir()
    shutil.copy(audio / "0.wav", extra / "0.wav")
    report = melcli.run([extra / "0.wav", audio], tmp_path / "out", jobs=1)
    assert len(report.failures) == 2
    (hint,) = _direct_hints(report.warnings)
    assert hint.startswith(f"{extra / '0.wav'}, given as a file, is written at OUT's")
    folder = hint.split("as SRC instead (", 1)[1].split(";", 1)[0]
    assert shlex.split(folder) == [str(extra)]
    assert "every audio file in it is taken" in hint
    assert "--files-from list (their paths are mirrored)" in hint
    # The command says the same, in a dry run too.
    said = invoke("mel", extra / "0.wav", audio, "-o", tmp_path / "o2", "--dry-run")
    assert said.exit_code == 1
    assert f"warning: {hint}\n" in said.stderr


def test_files_given_directly_are_counted(tmp_path: Path) -> None:
    a = short_tones(tmp_path / "a", 2)
    b = short_tones(tmp_path / "b", 2)
    report = melcli.run([a / "0.wav", a / "1.wav", b], tmp_path / "out", jobs=1)
    (hint,) = _direct_hints(report.warnings)
    assert hint.startswith(f"2 inputs given as files ({a / '0.wav'}, {a / '1.wav'})")
    assert f"give their folder as SRC instead ({a};" in hint
    # Not said of a clash inside one folder (a.wav and a.flac).
    shutil.copy(b / "0.wav", b / "0.flac")
    report = melcli.run([b], tmp_path / "o2", jobs=1)
    assert len(report.failures) == 2
    assert _direct_hints(report.warnings) == []

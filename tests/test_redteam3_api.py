"""The Python API as the redteam3 trial called it.

- ``melcli.run("audio/", ...)`` took the string as a sequence of sources,
  letter by letter (``a``, ``u``, ...: each failed as missing), and a
  ``Path`` raised ``TypeError``; ``exclude="*_noisy.wav"`` was the patterns
  ``*``, ``_``, ``n``...: ``*`` excluded every file (``0 written, N
  skipped``, no error); ``include="dogs/*"`` took every file, and
  ``extensions="wav"`` none. (An absolute source, letter by letter, had the
  run walk ``/``.) A string is now one source or pattern, and
  ``extensions`` takes ``"wav,flac"`` as ``--ext`` does.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import soundfile as sf
from conftest import noise

import melcli

pytestmark = pytest.mark.usefixtures("isolated")


@pytest.fixture
def src(tmp_path: Path) -> Path:
    root = tmp_path / "src"
    for rel in ("dogs/bark.wav", "dogs/bark_noisy.wav", "cats/meow.flac"):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        sf.write(root / rel, noise(seconds=0.3), 22050)
    return root


def _built(plan: melcli.session.DryRun, src: Path) -> list[str]:
    return sorted(p.relative_to(src).as_posix() for p, _ in plan.builds)


@pytest.mark.parametrize("as_what", [str, Path])
def test_one_source_given_alone_is_one_source(
    src: Path, tmp_path: Path, as_what: type, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Relative, with no "/": taken letter by letter, it would not be the root.
    monkeypatch.chdir(tmp_path)
    report = melcli.run(as_what("src"), "out", jobs=1)
    assert report.summary() == "3 written."


def test_one_pattern_given_as_a_string_is_one_pattern(
    src: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    plan = melcli.run([src], out, dry_run=True, exclude="*_noisy.wav")
    assert _built(plan, src) == ["cats/meow.flac", "dogs/bark.wav"]
    plan = melcli.run([src], out, dry_run=True, include="dogs/*")
    assert _built(plan, src) == ["dogs/bark.wav", "dogs/bark_noisy.wav"]


@pytest.mark.parametrize("extensions", ["wav", ".WAV", "wav,mp3"])
def test_extensions_as_a_string_are_read_as_ext_reads_them(
    src: Path, tmp_path: Path, extensions: str
) -> None:
    plan = melcli.run([src], tmp_path / "out", dry_run=True, extensions=extensions)
    assert _built(plan, src) == ["dogs/bark.wav", "dogs/bark_noisy.wav"]

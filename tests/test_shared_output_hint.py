"""Inputs whose names differ only by extension: one line says how to keep one.

``a.wav`` and ``a.flac`` in one folder both make ``a.npy``; each fails,
naming the other. A dataset kept in two formats (every clip as ``.wav`` and
``.mp3``) failed whole, two lines a clip, and nothing said what to do. The
lines stay (each input's honest state); one warning before the summary says
what they share and how to keep one of each name.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import soundfile as sf
from conftest import invoke, mel, tone

from melcli.hints import shared_output_hint


def clips(root: Path, names: list[str]) -> Path:
    for k, rel in enumerate(names):
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        sf.write(path, tone(300.0 + 50 * k, sr=8000, seconds=0.2), 8000)
    return root


def warning(n: int, extensions: str, leave: str) -> str:
    """The hint; ``leave``: the extensions it leaves out, space-separated."""
    excludes = " ".join(f"--exclude '*.{e}'" for e in leave.split())
    return (
        f"warning: {n} inputs failed because another input has the same name "
        f"with another extension ({extensions}): keep one of each name, such "
        f"as with {excludes}, or rename them"
    )


def test_a_folder_in_two_formats_is_told_how_to_keep_one(tmp_path: Path) -> None:
    src = clips(tmp_path / "audio", ["a.wav", "a.flac", "b.wav", "b.ogg", "c.wav"])
    out = tmp_path / "out"
    result = mel(src, out)
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    # a.* and b.* clash in different pairs: one extension left out is not
    # enough (trial 36: '*.ogg' alone left a.wav and a.flac clashing).
    hint = warning(4, "flac, ogg, wav", "flac ogg")
    assert lines[-2:] == [hint, "1 written, 4 failed."]
    assert sum(" would also be written by " in line for line in lines) == 4
    plan = invoke("mel", src, "-o", out, "--dry-run")
    assert hint in plan.stderr.splitlines()
    fixed = mel(src, out, "--exclude", "*.ogg", "--exclude", "*.flac")
    assert fixed.exit_code == 0
    assert "warning" not in fixed.stderr


def test_quiet_keeps_the_errors_only(tmp_path: Path) -> None:
    src = clips(tmp_path / "audio", ["a.wav", "a.flac"])
    result = mel(src, tmp_path / "out", "-q")
    assert result.exit_code == 1
    assert "warning" not in result.stderr
    assert len(result.stderr.splitlines()) == 2


def test_names_given_twice_from_two_folders_get_no_extension_hint(
    tmp_path: Path,
) -> None:
    one = clips(tmp_path / "one", ["a.wav"])
    two = clips(tmp_path / "two", ["a.wav"])
    result = invoke("mel", one / "a.wav", two / "a.wav", "-o", tmp_path / "out")
    assert result.exit_code == 1
    assert "would also be written by" in result.stderr
    assert "another extension" not in result.stderr
    # What is said instead: files given directly go to OUT's top.
    assert "2 inputs given as files" in result.stderr


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        # Per folder: x/a.wav and y/a.flac do not share an output.
        (["x/a.wav", "y/a.flac"], None),
        (["x/a.wav", "x/a.FLAC"], ("2 inputs", "flac, wav", "wav")),
        # Three formats of a name: two are left out (trial 36: one was).
        (["x/a.wav", "x/a.mp3", "x/a.flac"], ("3 inputs", "flac, mp3, wav", "mp3 wav")),
        (["x/A.wav", "x/a.wav"], None),  # by case: not by extension
    ],
)
def test_which_inputs_count(names: list[str], expected: tuple[str, ...] | None) -> None:
    reason = "output out/a.npy would also be written by someone else"
    hint = shared_output_hint((Path(n), reason) for n in names)
    if expected is None:
        assert hint is None
    else:
        count, extensions, leave = expected
        assert hint == warning(int(count.split()[0]), extensions, leave)[9:]


def test_other_failures_are_not_counted() -> None:
    failures = [
        (Path("a.wav"), "not an audio file (format not recognised)"),
        (Path("a.flac"), "output out/a.npy would also be written by a.wav"),
    ]
    assert shared_output_hint(failures) is None


def test_the_pattern_suggested_is_quoted_for_the_shell() -> None:
    reason = "output out/a.npy would also be written by someone else"
    hint = shared_output_hint((Path(n), reason) for n in ["x/a.wav", "x/a.it's"])
    assert hint is not None
    assert "such as with --exclude '*.wav', or rename them" in hint
    hint = shared_output_hint((Path(n), reason) for n in ["x/a.w v", "x/a.z'z"])
    assert hint is not None
    assert "--exclude '*.z'\"'\"'z'," in hint

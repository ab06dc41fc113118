"""An ``--include``/``--exclude`` pattern that names a folder is said to match no file.

Seen in a newcomer's trial: ``melcli mel audio/ -o features/ --exclude dogs``
converted the files in ``audio/dogs/`` too, without a word (patterns are
matched against each file's path, ``dogs/bark1.wav``); ``--include dogs`` said
only that it took nothing. Both now say what to give instead, ``dogs/*``, in
the command's warnings and in the API's ``report.warnings``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import invoke, short_tones

import melcli


@pytest.fixture
def audio(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``audio/dogs/{0,1}.wav``, ``audio/cats/{0,1}.wav``; the cwd is their parent."""
    root = tmp_path / "audio"
    root.mkdir()
    short_tones(root / "dogs", n=2)
    short_tones(root / "cats", n=2)
    monkeypatch.chdir(tmp_path)
    return root


def _exclude_hint(pattern: str, rel: str) -> str:
    return (
        f"--exclude '{pattern}' names a folder, and patterns are matched against "
        "each file's path relative to its SRC: it leaves out no file; to match "
        f"the files in it, give --exclude '{rel}/*'"
    )


@pytest.mark.parametrize(
    ("pattern", "rel"),
    [("dogs", "dogs"), ("dogs/", "dogs"), ("./dogs", "dogs"), ("audio/dogs", "dogs")],
)
def test_an_exclude_naming_a_folder_is_said_with_the_pattern_to_give(
    audio: Path, pattern: str, rel: str
) -> None:
    report = melcli.run(["audio"], "out", exclude=pattern, jobs=1)
    assert report.count(melcli.Status.WRITTEN) == 4  # as before: nothing left out
    assert report.warnings == [_exclude_hint(pattern, rel)]
    result = invoke("mel", "audio", "-o", "out2", "-j", "1", "--exclude", pattern)
    assert result.exit_code == 0, result.stderr
    assert f"warning: {_exclude_hint(pattern, rel)}\n" in result.stderr


def test_an_include_naming_a_folder_says_the_same_instead_of_took_none(
    audio: Path,
) -> None:
    result = invoke("mel", "audio", "-o", "out", "-j", "1", "--include", "dogs")
    assert result.exit_code == 0, result.stderr
    warnings = [line for line in result.stderr.splitlines() if "warning" in line]
    assert warnings == [
        "warning: --include 'dogs' names a folder, and patterns are matched "
        "against each file's path relative to its SRC: it takes no file; to "
        "match the files in it, give --include 'dogs/*'"
    ]
    # With another pattern that takes files, the folder's is still said.
    plan = melcli.run(["audio"], "out", include=["dogs", "cats/*"], dry_run=True)
    assert len(plan.builds) == 2
    assert [w.split(" names")[0] for w in plan.warnings] == ["--include 'dogs'"]


@pytest.mark.parametrize("pattern", ["dogs/*", "dog*", "birds", ".", "..", "../audio"])
def test_patterns_that_match_files_or_no_folder_get_no_such_warning(
    audio: Path, pattern: str
) -> None:
    report = melcli.run(["audio"], "out", exclude=pattern, jobs=1)
    assert not any("names a folder" in w for w in report.warnings), report.warnings


def test_a_folder_under_a_lists_root_is_said_too(audio: Path) -> None:
    Path("meta.csv").write_text("path\ndogs/0.wav\ncats/0.wav\n")
    report = melcli.run([], "out", files_from="meta.csv", root="audio", exclude="dogs")
    assert report.count(melcli.Status.WRITTEN) == 2
    assert report.warnings == [_exclude_hint("dogs", "dogs")]

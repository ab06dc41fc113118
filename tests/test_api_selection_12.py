"""The file selection is taken alike by melcli.run, melcli.merge and the command.

``--ext wav,flac`` given once or repeated, and one string for one pattern:
``merge(extensions="wav")`` was read letter by letter (no file is ``.w``),
``merge(include="zz*")`` too (``"*"`` took every file), ``merge(extensions="")``
was taken where ``--ext ''`` is refused, and ``run(extensions=["wav,flac"])``
(``--ext wav,flac`` repeated, as ``melcli.info`` takes it) took no file.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import invoke, short_tones

import melcli
from melcli import ParameterError


@pytest.fixture
def sharded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """OUT ``out`` of two shards over ``audio/`` (3 tones), and one input more."""
    monkeypatch.chdir(tmp_path)
    short_tones(Path("audio"))
    for shard in ("0/2", "1/2"):
        assert (
            invoke("mel", "audio", "-o", "out", "-j", "1", "--shard", shard).exit_code
            == 0
        )
    short_tones(Path("audio/new"), n=1)  # in no shard
    return tmp_path


@pytest.mark.parametrize(
    "selection",
    [
        {},
        {"extensions": "wav"},
        {"extensions": ".WAV,flac"},
        {"extensions": ["wav,flac"]},
        {"include": "new/*"},
        {"exclude": "zz*"},
    ],
)
def test_merge_takes_the_selection_as_run_does(
    sharded: Path, selection: dict[str, object]
) -> None:
    report = melcli.merge("out", sources="audio", **selection)  # type: ignore[arg-type]
    assert report.uncovered == [Path("audio/new/0.wav")]


@pytest.mark.parametrize(
    "selection", [{"extensions": "flac"}, {"include": "zz*"}, {"exclude": "new/*"}]
)
def test_merge_leaves_out_what_the_selection_leaves_out(
    sharded: Path, selection: dict[str, object]
) -> None:
    report = melcli.merge("out", sources="audio", **selection)  # type: ignore[arg-type]
    assert report.uncovered == []


def test_merge_refuses_extensions_that_name_none(sharded: Path) -> None:
    with pytest.raises(ParameterError) as caught:
        melcli.merge("out", sources="audio", extensions="")
    assert caught.value.param == "extensions"
    assert invoke("merge", "out", "audio", "--ext", "").exit_code == 2


def test_extensions_repeated_are_taken_by_run_as_by_info(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    short_tones(Path("audio"))
    for extensions in (["wav,flac"], ["flac", ".WAV"], "wav,flac"):
        plan = melcli.run("audio", "out", extensions=extensions, dry_run=True)
        assert len(plan.builds) == 3
        assert len(melcli.info("audio", extensions=extensions).rows) == 3
    result = invoke("mel", "audio", "-o", "out", "--ext", "flac", "--ext", "wav,mp3")
    assert result.exit_code == 0
    assert "3 written" in result.stderr

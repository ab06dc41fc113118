"""``melcli.run`` refuses the inputs the command refuses, as typed errors.

``melcli.run(src, os.environ.get("OUT", ""))`` wrote its arrays and a
manifest into the current folder (``-o ''`` is refused by the command);
``run([""], out)`` walked the current folder; ``extensions=""`` took no file
and "succeeded"; ``path_column`` or ``root`` without ``files_from`` were
ignored; ``run([], out)`` said ``0 written.``. Each is now a
:class:`melcli.ParameterError` naming the parameter, and the command's
messages come from the same checks.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import invoke, short_tones

import melcli
from melcli import ParameterError

pytestmark = pytest.mark.usefixtures("isolated")  # cwd: tmp_path / "cwd"


@pytest.mark.parametrize("dry_run", [False, True])
def test_an_empty_out_is_refused(tmp_path: Path, dry_run: bool) -> None:
    src = short_tones(tmp_path / "audio", 1)
    with pytest.raises(ParameterError) as caught:
        melcli.run([src], "", jobs=1, dry_run=dry_run)  # type: ignore[call-overload]
    assert caught.value.param == "out"
    assert str(caught.value) == (
        "out='' is an empty name (for the current folder, give '.')"
    )
    assert list(Path.cwd().iterdir()) == []


def test_an_empty_source_is_refused(tmp_path: Path) -> None:
    short_tones(Path.cwd() / "here", 1)  # what a walk of the current folder takes
    with pytest.raises(ParameterError) as caught:
        melcli.run([""], tmp_path / "out", jobs=1)
    assert caught.value.param == "sources"
    assert not (tmp_path / "out").exists()


def test_no_input_at_all_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ParameterError) as caught:
        melcli.run([], tmp_path / "out")
    assert caught.value.param == "sources"
    assert str(caught.value) == (
        "no input: give sources (audio files or folders) or files_from"
    )
    assert not (tmp_path / "out").exists()
    result = invoke("mel", "-o", tmp_path / "out")  # the command's words
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == (
        "Error: Missing argument 'SRC...' (or --files-from FILE)."
    )


@pytest.mark.parametrize("extensions", ["", " , ", ".", [], [""]])
def test_extensions_naming_none_are_refused(
    tmp_path: Path, extensions: str | list[str]
) -> None:
    src = short_tones(tmp_path / "audio", 1)
    with pytest.raises(ParameterError) as caught:
        melcli.run([src], tmp_path / "out", extensions=extensions)
    assert caught.value.param == "extensions"
    assert "names no extension (such as 'wav,flac')" in str(caught.value)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("given", "param", "message"),
    [
        ({"path_column": "filename"}, "path_column", "path_column='filename'"),
        ({"root": "audio"}, "root", "root='audio'"),
    ],
)
def test_list_options_without_a_list_are_refused(
    tmp_path: Path, given: dict[str, str], param: str, message: str
) -> None:
    src = short_tones(tmp_path / "audio", 1)
    with pytest.raises(ParameterError) as caught:
        melcli.run([src], tmp_path / "out", **given)  # type: ignore[arg-type]
    assert caught.value.param == param
    assert str(caught.value) == f"{message} needs files_from"
    assert not (tmp_path / "out").exists()


def test_both_list_options_are_named(tmp_path: Path) -> None:
    src = short_tones(tmp_path / "audio", 1)
    with pytest.raises(ParameterError) as caught:
        melcli.run([src], tmp_path / "out", path_column="f", root="a")
    assert str(caught.value) == "path_column='f' and root='a' need files_from"


def test_the_command_keeps_its_words(tmp_path: Path) -> None:
    src = short_tones(tmp_path / "audio", 1)
    empty_out = invoke("mel", src, "-o", "")
    assert empty_out.stderr.splitlines()[-1] == (
        "Error: Invalid value for '-o' / '--out': an empty name (for the "
        "current folder, give '.')"
    )
    no_ext = invoke("mel", src, "-o", tmp_path / "out", "--ext", ",")
    assert no_ext.stderr.splitlines()[-1] == (
        "Error: Invalid value for '--ext': ',' names no extension (such as "
        "--ext wav,flac)"
    )
    both = invoke(
        "mel", src, "-o", tmp_path / "out", "--root", src, "--path-column", "f"
    )
    assert both.stderr.splitlines()[-1] == (
        "Error: Invalid value for '--path-column' / '--root': needs --files-from"
    )
    assert not (tmp_path / "out").exists()

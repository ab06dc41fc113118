"""What :func:`melcli.run` and :func:`read_list` say for what they do not take."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from conftest import WriteAudio, invoke

import melcli
from melcli.errors import ParameterError
from melcli.filelist import read_list


@pytest.mark.parametrize(
    ("keyword", "value", "told"),
    [
        ("n_mels", 64, "params=melcli.params.MelParams(n_mels=64)"),
        ("cmap", "magma", "render=melcli.params.RenderParams(cmap='magma')"),
        ("job", 2, "did you mean 'jobs'?"),
    ],
)
def test_a_setting_given_to_run_is_told_where_it_goes(
    write_audio: WriteAudio, tmp_path: Path, keyword: str, value: object, told: str
) -> None:
    write_audio("a.wav")
    with pytest.raises(TypeError) as raised:
        melcli.run(tmp_path / "audio", tmp_path / "out", **{keyword: value})
    said = str(raised.value)
    assert said.startswith(f"run() got an unexpected keyword argument {keyword!r}")
    assert said.endswith(told)
    assert not (tmp_path / "out").exists()


def test_the_told_setting_works_as_told(
    write_audio: WriteAudio, tmp_path: Path
) -> None:
    write_audio("a.wav")
    with pytest.raises(TypeError) as raised:
        melcli.run(tmp_path / "audio", tmp_path / "out", n_mels=64)
    told = str(raised.value).rsplit("params=", 1)[1]
    report = melcli.run(tmp_path / "audio", tmp_path / "out", params=eval(told))
    assert report.exit_code == 0
    assert report.results[0].shape[0] == 64


@pytest.mark.parametrize("files_from", [5, b"list.txt", ["a.wav"]])
def test_a_list_that_is_no_list_is_refused_not_read_from_stdin(
    write_audio: WriteAudio,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    files_from: object,
) -> None:
    write_audio("a.wav")
    monkeypatch.setattr("sys.stdin", io.StringIO("a.wav\n"))  # what was read before
    with pytest.raises(ParameterError) as raised:
        melcli.run([], tmp_path / "out", files_from=files_from)  # type: ignore[arg-type]
    assert raised.value.param == "files_from"
    assert f"files_from={files_from!r} must be" in str(raised.value)
    assert not (tmp_path / "out").exists()
    with pytest.raises(TypeError, match="must be a path, '-' or an open text stream"):
        read_list(files_from)  # type: ignore[arg-type]


def test_a_stream_and_stdin_are_still_lists(
    write_audio: WriteAudio, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    audio = write_audio("a.wav").parent
    listed = read_list(io.StringIO("a.wav\n"), root=audio)
    assert [f.rel for f in listed.files] == ["a.wav"]
    monkeypatch.setattr("sys.stdin", io.StringIO("a.wav\n"))
    assert [f.rel for f in read_list("-", root=audio).files] == ["a.wav"]


@pytest.mark.parametrize("cell", [".", "./", "sub/.."])
def test_a_row_naming_the_root_itself_says_so(
    write_audio: WriteAudio, tmp_path: Path, cell: str
) -> None:
    audio = write_audio("sub/a.wav").parent.parent
    (audio / "list.csv").write_text(f"path,label\n{cell},dog\nsub/a.wav,cat\n")
    result = invoke("mel", "--files-from", audio / "list.csv", "-o", tmp_path / "out")
    assert result.exit_code == 1
    assert (
        f"line 2 of {audio / 'list.csv'}: is the root folder {audio}, not a file"
        in (result.stderr)
    )
    assert "not inside the root folder" not in result.stderr
    assert (tmp_path / "out" / "sub" / "a.npy").exists()

"""``melcli merge`` takes the list the shards ran over, as ``melcli mel`` does.

Seen in a newcomer's trial: UrbanSound8K sharded by its table (``melcli mel
--files-from UrbanSound8K.csv --path-column 'fold{fold}/{slice_file_name}'
--root audio --shard I/N``) could be merged, but not checked for inputs no
shard covered: ``merge`` took SRC folders only, and the API's ``merge`` no
``files_from``. Both now take ``--files-from``/``--path-column``/``--root``
(``files_from``, ``path_column``, ``root``), and refuse them as ``mel`` does.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import invoke, short_tones

import melcli
from melcli import ParameterError

LIST = ("--files-from", "meta.csv", "--path-column", "fold{fold}/{name}")


@pytest.fixture
def sharded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """OUT ``out``: 2 shards over ``meta.csv`` (``audio/fold1``, ``fold2``)."""
    monkeypatch.chdir(tmp_path)
    Path("audio").mkdir()
    short_tones(Path("audio/fold1"), n=2)
    short_tones(Path("audio/fold2"), n=2)
    rows = [f"{k}.wav,{fold},dog" for fold in (1, 2) for k in (0, 1)]
    Path("meta.csv").write_text("\n".join(["name,fold,label", *rows]) + "\n")
    for shard in ("0/2", "1/2"):
        args = ["mel", *LIST, "--root", "audio", "-o", "out", "-j", "1"]
        assert invoke(*args, "--shard", shard).exit_code == 0
    return tmp_path


def _one_more_row() -> Path:
    """A file listed after the shards ran: in no shard."""
    short_tones(Path("audio/fold3"), n=1)
    with Path("meta.csv").open("a") as table:
        table.write("0.wav,3,cat\n")
    return Path("audio/fold3/0.wav")


def test_merge_with_the_list_finds_every_row_covered(sharded: Path) -> None:
    result = invoke("merge", "out", *LIST, "--root", "audio")
    assert result.exit_code == 0, result.stderr
    assert result.stderr.splitlines() == ["merged 2 shards: 4 inputs (4 written)."]
    report = melcli.merge(
        "out", files_from="meta.csv", path_column="fold{fold}/{name}", root="audio"
    )
    assert (report.written, report.uncovered) == (True, [])


def test_merge_with_the_list_names_a_row_no_shard_covered(sharded: Path) -> None:
    late = _one_more_row()
    result = invoke("merge", "out", *LIST, "--root", "audio")
    assert result.exit_code == 1, result.stderr
    assert result.stderr.splitlines() == [
        f"error: {late}: in no shard",
        "merged 2 shards: 4 inputs (4 written). In no shard: 1 of the inputs given.",
    ]
    report = melcli.merge(
        "out", files_from="meta.csv", path_column="fold{fold}/{name}", root="audio"
    )
    assert report.uncovered == [late]
    assert report.exit_code == 1
    # As melcli.run takes it: a list already read, rows a program has.
    rows = melcli.filelist.rows_of(
        [{"path": "fold3/0.wav"}], path_column="path", root="audio"
    )
    assert melcli.merge("out", files_from=rows).uncovered == [late]


def test_merge_refuses_list_options_without_a_list(sharded: Path) -> None:
    result = invoke("merge", "out", "--root", "audio")
    assert result.exit_code == 2
    assert "Invalid value for '--root': needs --files-from" in result.stderr
    with pytest.raises(ParameterError) as caught:
        melcli.merge("out", path_column="name")
    assert caught.value.param == "path_column"


def test_merge_says_a_list_it_cannot_read_as_mel_does(sharded: Path) -> None:
    merged = invoke("merge", "out", "--files-from", "nothere.csv")
    run = invoke("mel", "--files-from", "nothere.csv", "-o", "out2")
    assert merged.exit_code == run.exit_code == 2
    assert merged.stderr.splitlines()[-1] == run.stderr.splitlines()[-1]
    assert "nothere.csv" in merged.stderr

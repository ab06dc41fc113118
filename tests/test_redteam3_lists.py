"""Dataset lists (``--files-from``) as the redteam3 trial found them.

- a ``--path-column`` template with a brace missing its pair
  (``fold{fold/{slice_file_name}``) was taken as it was: every row failed as
  missing from a folder named ``fold{fold``. Now it is a usage error naming
  the brace;
- a column whose name holds braces could not be named by ``--path-column``:
  it was taken as a template of a column that does not exist;
- a file listed twice with different rows (two labels for one clip) was
  taken once with the first row's label, said only under ``-v`` (as
  "skipped"): a label conflict resolved silently. It now fails, naming the
  lines and the columns; a file listed twice with the same row is still
  taken once.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import soundfile as sf
from conftest import invoke, tone

import melcli
from melcli.errors import UsageError
from melcli.filelist import read_list

pytestmark = pytest.mark.usefixtures("isolated")


@pytest.fixture
def urbansound(tmp_path: Path) -> Path:
    """UrbanSound8K's layout: audio/foldN/NAME, metadata/UrbanSound8K.csv."""
    for fold, name in ((1, "100032-3-0-0.wav"), (2, "100263-2-0-117.wav")):
        (tmp_path / f"audio/fold{fold}").mkdir(parents=True, exist_ok=True)
        sf.write(tmp_path / f"audio/fold{fold}/{name}", tone(seconds=0.2), 22050)
    table = tmp_path / "metadata/UrbanSound8K.csv"
    table.parent.mkdir()
    table.write_text(
        "slice_file_name,fsID,fold,class\n"
        "100032-3-0-0.wav,100032,1,dog_bark\n"
        "100263-2-0-117.wav,100263,2,children_playing\n"
    )
    return table


@pytest.mark.parametrize(
    "template", ["fold{fold/{slice_file_name}", "fold{fold}}/{slice_file_name}"]
)
def test_a_template_brace_without_its_pair_is_a_usage_error(
    urbansound: Path, tmp_path: Path, template: str
) -> None:
    result = invoke(
        "mel", "--files-from", urbansound, "--path-column", template,
        "--root", tmp_path / "audio", "-o", tmp_path / "out",
    )  # fmt: skip
    assert result.exit_code == 2
    assert f"--path-column {template!r}: a brace without its pair" in result.stderr
    assert not (tmp_path / "out").exists()
    with pytest.raises(UsageError, match="a brace without its pair"):
        melcli.run([], tmp_path / "out", files_from=urbansound, path_column=template)


def test_the_template_of_urbansound8k_still_works(
    urbansound: Path, tmp_path: Path
) -> None:
    report = melcli.run(
        [],
        tmp_path / "out",
        files_from=urbansound,
        path_column="fold{fold}/{slice_file_name}",
        root=tmp_path / "audio",
        jobs=1,
    )
    assert report.summary() == "2 written."
    assert (tmp_path / "out/fold2/100263-2-0-117.npy").is_file()


def test_a_column_named_with_braces_is_that_column(tmp_path: Path) -> None:
    sf.write(tmp_path / "a.wav", tone(seconds=0.2), 22050)
    table = tmp_path / "list.csv"
    table.write_text("{file},label\na.wav,x\n")
    listed = read_list(table, path_column="{file}")
    assert [(f.rel, dict(f.meta)) for f in listed.files] == [("a.wav", {"label": "x"})]


def test_a_file_listed_twice_with_different_labels_fails(tmp_path: Path) -> None:
    for name in ("a.wav", "b.wav"):
        sf.write(tmp_path / name, tone(seconds=0.2), 22050)
    table = tmp_path / "meta.csv"
    table.write_text("filename,fold,category\na.wav,1,dog\nb.wav,1,cat\na.wav,1,bird\n")
    result = invoke("mel", "--files-from", table, "-o", tmp_path / "out", "-j", "1")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        f"error: {tmp_path / 'a.wav'}: listed 2 times in {table} with different rows "
        "(lines 2, 4, which differ in category): keep one row per file"
    )
    assert not (tmp_path / "out/a.npy").exists()
    assert (tmp_path / "out/b.npy").is_file()


def test_a_file_listed_twice_with_the_same_row_is_taken_once(tmp_path: Path) -> None:
    sf.write(tmp_path / "a.wav", tone(seconds=0.2), 22050)
    table = tmp_path / "meta.csv"
    table.write_text("filename,category\na.wav,dog\na.wav,dog\n")
    listed = read_list(table)
    assert [f.rel for f in listed.files] == ["a.wav"]
    assert not listed.problems
    assert [s.reason for s in listed.skipped] == [
        f"listed 2 times in {table} (lines 2, 3); taken once"
    ]

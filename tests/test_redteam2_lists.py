"""A dataset's file list as a demanding user meets it: odd bytes, odd headers.

- a path holding a NUL byte (a list that is binary garbage, a cell pasted
  from somewhere): no file can be named so, and ``os.stat`` raises
  ``ValueError`` on it. That line fails in words and the batch goes on,
  instead of a traceback, from the command and from the Python API alike;
- a table whose header names a column twice (``category`` exported twice):
  each row is read as ``{column: cell}``, so one of the cells would be lost
  without a word. The run stops before any work (exit status 2) and names
  the column.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import soundfile as sf
from conftest import invoke, tone

import melcli
from melcli.data import SpectrogramDataset
from melcli.errors import UsageError
from melcli.filelist import read_list

pytestmark = pytest.mark.usefixtures("isolated")


@pytest.fixture
def audio(tmp_path: Path) -> Path:
    root = tmp_path / "audio"
    root.mkdir()
    for name in ("a.wav", "b.wav"):
        sf.write(root / name, tone(440.0, sr=8000, seconds=0.3), 8000)
    return root


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("list.txt", b"nul\x00x.wav\na.wav\n"),
        ("meta.csv", b"filename,fold\nnul\x00x.wav,1\na.wav,2\n"),
    ],
)
def test_a_listed_path_with_a_nul_byte_fails_that_line_only(
    audio: Path, tmp_path: Path, name: str, text: bytes
) -> None:
    listing = tmp_path / name
    listing.write_bytes(text)
    out = tmp_path / "out"
    result = invoke("mel", "--files-from", listing, "--root", audio, "-o", out)
    assert result.exit_code == 1, result.stderr
    line = 1 if name.endswith(".txt") else 2
    assert f"line {line} of {listing}: the path holds a NUL byte" in result.stderr
    assert "1 written, 1 failed." in result.stderr
    assert (out / "a.npy").is_file()


def test_the_api_reads_such_a_list_as_the_command_does(
    audio: Path, tmp_path: Path
) -> None:
    listing = tmp_path / "meta.csv"
    listing.write_bytes(b"path,label\na.wav,x\nb\x00.wav,y\n")
    listed = read_list(listing, root=audio)
    assert [f.rel for f in listed.files] == ["a.wav"]
    assert [p.reason for p in listed.problems] == [
        f"line 3 of {listing}: the path holds a NUL byte"
    ]
    report = melcli.run([], tmp_path / "out", files_from=listing, root=audio)
    assert [f.reason for f in report.failures] == [
        f"line 3 of {listing}: the path holds a NUL byte"
    ]
    assert report.count(melcli.Status.WRITTEN) == 1


def test_a_list_named_with_a_nul_byte_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="NUL byte"):
        read_list(str(tmp_path / "meta\x00.csv"))


def test_a_header_naming_a_column_twice_stops_the_run(
    audio: Path, tmp_path: Path
) -> None:
    listing = tmp_path / "meta.csv"
    listing.write_text("filename,category,fold,category\na.wav,dog,1,cat\n")
    out = tmp_path / "out"
    result = invoke("mel", "--files-from", listing, "--root", audio, "-o", out)
    assert result.exit_code == 2
    assert (
        f"{listing}: its header names the column 'category' more than once"
        in result.stderr
    )
    assert not out.exists()


def test_a_header_with_distinct_columns_keeps_every_cell(
    audio: Path, tmp_path: Path
) -> None:
    listing = tmp_path / "meta.csv"
    listing.write_bytes(
        b'\xef\xbb\xbf"filename","category","fold"\r\n"a.wav","dog, big","1"\r\n'
    )
    listed = read_list(listing, root=audio)
    assert [f.meta for f in listed.files] == [(("category", "dog, big"), ("fold", "1"))]


# ------------------------------------------- UrbanSound8K: a path template
@pytest.fixture
def urbansound(tmp_path: Path) -> Path:
    """UrbanSound8K's layout: audio/fold{fold}/{slice_file_name}, the CSV apart."""
    root = tmp_path / "UrbanSound8K"
    rows = [("100-3-0-0.wav", "1", "dog_bark"), ("200-1-0-0.wav", "2", "car_horn")]
    for name, fold, _ in rows:
        path = root / "audio" / f"fold{fold}" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        sf.write(path, tone(440.0, sr=8000, seconds=0.3), 8000)
    meta = root / "metadata" / "UrbanSound8K.csv"
    meta.parent.mkdir()
    lines = ["slice_file_name,fsID,fold,class"]
    lines += [f"{name},{name[:3]},{fold},{label}" for name, fold, label in rows]
    meta.write_text("\n".join(lines) + "\n")
    return root


def test_a_path_template_finds_files_in_their_fold_folders(
    urbansound: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    result = invoke(
        "mel",
        "--files-from",
        urbansound / "metadata" / "UrbanSound8K.csv",
        "--path-column",
        "fold{fold}/{slice_file_name}",
        "--root",
        urbansound / "audio",
        "-o",
        out,
    )
    assert result.exit_code == 0, result.stderr
    assert (out / "fold1" / "100-3-0-0.npy").is_file()
    assert (out / "fold2" / "200-1-0-0.npy").is_file()
    ds = SpectrogramDataset(out, label_column="class")
    assert ds.classes == ["car_horn", "dog_bark"]
    assert [item.meta["slice_file_name"] for item in ds.items] == [
        "100-3-0-0.wav",
        "200-1-0-0.wav",
    ]


def test_a_template_naming_no_column_is_a_usage_error(urbansound: Path) -> None:
    meta = urbansound / "metadata" / "UrbanSound8K.csv"
    with pytest.raises(UsageError, match=r"has no column 'folds' \(in --path-column"):
        read_list(meta, path_column="fold{folds}/{slice_file_name}")


def test_a_row_with_an_empty_templated_cell_has_no_path(urbansound: Path) -> None:
    meta = urbansound / "metadata" / "UrbanSound8K.csv"
    meta.write_text(meta.read_text() + "300-1-0-0.wav,300,,car_horn\n")
    listed = read_list(
        meta, path_column="fold{fold}/{slice_file_name}", root=urbansound / "audio"
    )
    assert len(listed.files) == 2
    assert [p.reason for p in listed.problems] == [f"line 4 of {meta}: no path"]


def test_a_header_quoted_in_an_error_cannot_forge_the_terminal(
    audio: Path, tmp_path: Path
) -> None:
    listing = tmp_path / "meta.csv"
    listing.write_bytes(b"na\x1b[31mme\xff,x\na.wav,1\n")
    result = invoke("mel", "--files-from", listing, "-o", tmp_path / "out")
    assert result.exit_code == 2
    assert "(its columns: na\\x1b[31mme\\xff, x)" in result.stderr
    assert "\x1b" not in result.stderr

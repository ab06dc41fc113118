"""Dataset lists (``--files-from``) as users and tools write them.

Odd bytes and headers, path templates, files listed twice, UTF-16 and
NUL-separated lists, lists read from a pipe.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import soundfile as sf
from click.testing import CliRunner
from conftest import invoke, short_tones, tone, two_classes

import melcli
from melcli.cli import cli
from melcli.data import SpectrogramDataset
from melcli.errors import UsageError
from melcli.filelist import read_list

pytestmark = pytest.mark.usefixtures("isolated")

needs_dev_fd = pytest.mark.skipif(
    not os.path.isdir("/dev/fd") or sys.platform == "win32",
    reason="process substitution's /dev/fd",
)


# -----------------------------------------------------------------------------
# A dataset's file list as a demanding user meets it: odd bytes, odd headers.
#
# - a path holding a NUL byte (a list that is binary garbage, a cell pasted
#   from somewhere): no file can be named so, and ``os.stat`` raises
#   ``ValueError`` on it. That line fails in words and the batch goes on,
#   instead of a traceback, from the command and from the Python API alike;
# - a table whose header names a column twice (``category`` exported twice):
#   each row is read as ``{column: cell}``, so one of the cells would be lost
#   without a word. The run stops before any work (exit status 2) and names
#   the column.


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


# -----------------------------------------------------------------------------
# Dataset lists (``--files-from``) as the redteam3 trial found them.
#
# - a ``--path-column`` template with a brace missing its pair
#   (``fold{fold/{slice_file_name}``) was taken as it was: every row failed as
#   missing from a folder named ``fold{fold``. Now it is a usage error naming
#   the brace;
# - a column whose name holds braces could not be named by ``--path-column``:
#   it was taken as a template of a column that does not exist;
# - a file listed twice with different rows (two labels for one clip) was
#   taken once with the first row's label, said only under ``-v`` (as
#   "skipped"): a label conflict resolved silently. It now fails, naming the
#   lines and the columns; a file listed twice with the same row is still
#   taken once.


@pytest.fixture
def urbansound_meta(tmp_path: Path) -> Path:
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
    urbansound_meta: Path, tmp_path: Path, template: str
) -> None:
    result = invoke(
        "mel", "--files-from", urbansound_meta, "--path-column", template,
        "--root", tmp_path / "audio", "-o", tmp_path / "out",
    )  # fmt: skip
    assert result.exit_code == 2
    assert f"--path-column {template!r}: a brace without its pair" in result.stderr
    assert not (tmp_path / "out").exists()
    with pytest.raises(UsageError, match="a brace without its pair"):
        melcli.run(
            [], tmp_path / "out", files_from=urbansound_meta, path_column=template
        )


def test_the_template_of_urbansound8k_still_works(
    urbansound_meta: Path, tmp_path: Path
) -> None:
    report = melcli.run(
        [],
        tmp_path / "out",
        files_from=urbansound_meta,
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


# -----------------------------------------------------------------------------
# A dataset's list saved as UTF-16: Excel's "Unicode Text", PowerShell's ``>``.
#
# Read as UTF-8, every other byte was a NUL: the run stopped with ``has no
# path column`` and a header of escapes (``\xff\xfef\x00i\x00l\x00e...``).
# A UTF-16 byte-order mark now means UTF-16, as a UTF-8 one means UTF-8.


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_a_table_saved_as_utf16_is_read(tmp_path: Path, encoding: str) -> None:
    src = short_tones(tmp_path / "audio", n=2)
    table = tmp_path / "meta.txt"
    text = "filename\tcategory\r\n0.wav\tcafé\r\n1.wav\tdog\r\n"
    bom = "" if encoding == "utf-16" else "\ufeff"  # "utf-16" writes its own
    table.write_bytes((bom + text).encode(encoding))
    out = tmp_path / "out"

    listed = ["--files-from", str(table), "--path-column", "filename"]
    result = CliRunner().invoke(
        cli, ["mel", *listed, "--root", str(src), "-o", str(out)]
    )

    assert result.exit_code == 0, result.stderr
    lines = (out / "manifest.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["meta"] for line in lines] == [
        {"category": "café"},
        {"category": "dog"},
    ]


# -----------------------------------------------------------------------------
# Lists as the shell and Windows tools write them.
#
# A list read from a pipe resolves its paths as one read from standard input.
#
# ``melcli mel --files-from <(find audio -name '*.wav') -o features/`` hands
# melcli ``/dev/fd/63``, a pipe, and the list's paths were taken relative to
# its folder, ``/dev/fd``: every file failed as missing, with the advice to give
# ``--root``. ``find audio ... | melcli mel --files-from -`` worked. A list that
# is no regular file now defaults to the current folder, as ``-`` does.
#
# ``find audio -print0 | melcli mel --files-from -`` (the one way to list a
# name holding a newline) was one path of every name joined by NULs, failed
# as "the path holds a NUL byte"; a list ending with a NUL is now NUL-separated.
# A UTF-16 list saved with no byte-order mark (every other byte a NUL) is read
# as UTF-16, as one with a mark already was.


@contextmanager
def _pipe_holding(text: str) -> Iterator[str]:
    """Give the ``/dev/fd/N`` path of a pipe holding ``text``, as bash's <(...)."""
    read, write = os.pipe()
    os.write(write, text.encode())
    os.close(write)
    try:
        yield f"/dev/fd/{read}"
    finally:
        os.close(read)


@needs_dev_fd
def test_a_list_from_a_pipe_is_relative_to_the_current_folder() -> None:
    short_tones(Path("audio"), n=2)
    with _pipe_holding("audio/0.wav\naudio/1.wav\n") as piped:
        listed = read_list(piped)
    assert listed.problems == []
    assert listed.root == Path(os.curdir)
    assert [f.rel for f in listed.files] == ["audio/0.wav", "audio/1.wav"]


@needs_dev_fd
def test_the_command_converts_a_list_from_a_pipe() -> None:
    short_tones(Path("audio"), n=2)
    with _pipe_holding("audio/0.wav\n") as piped:
        result = invoke("mel", "--files-from", piped, "-o", "out", "-j", "1")
    assert result.exit_code == 0, result.stderr
    assert sorted(p.name for p in Path("out/audio").iterdir()) == ["0.npy"]


@needs_dev_fd
def test_a_nul_separated_list_is_read_as_find_print0_writes_it() -> None:
    short_tones(Path("audio"), n=2)
    odd = Path("audio/odd\nname.wav")  # only a NUL-separated list can name it
    Path("audio/0.wav").rename(odd)
    listing = Path("list.bin")
    listing.write_bytes(b"audio/odd\nname.wav\0audio/1.wav\0")
    result = invoke("mel", "--files-from", listing, "--root", ".", "-o", "out")
    assert result.exit_code == 0, result.stderr
    assert sorted(p.name for p in Path("out/audio").iterdir()) == [
        "1.npy",
        "odd\nname.npy",
    ]


@needs_dev_fd
@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_a_utf16_list_with_no_byte_order_mark_is_read(encoding: str) -> None:
    short_tones(Path("audio"), n=2)
    Path("list.txt").write_bytes("audio/0.wav\r\naudio/1.wav\r\n".encode(encoding))
    listed = read_list("list.txt")
    assert listed.problems == []
    assert [f.rel for f in listed.files] == ["audio/0.wav", "audio/1.wav"]


# -----------------------------------------------------------------------------
# A file listed twice with two labels fails: the hint that no listed file was
# found (a wrong --root) is not given then.


def test_a_list_whose_files_are_there_does_not_blame_the_root(tmp_path: Path) -> None:
    """A file listed twice with two labels fails; the warning that no listed
    file was found (the wrong --root) was printed too, and was false."""
    src = two_classes(tmp_path / "src")
    listing = src / "meta.csv"
    listing.write_text("path,label\ndogs/a.wav,dog\ndogs/a.wav,cat\nnone.wav,x\n")

    result = invoke("mel", "--files-from", listing, "-o", tmp_path / "out")

    assert result.exit_code == 1
    assert "listed 2 times" in result.stderr
    assert "no file listed" not in result.stderr

    listing.write_text("path,label\nnone.wav,x\n")  # nothing there: then it helps
    result = invoke("mel", "--files-from", listing, "-o", tmp_path / "out")
    assert f"no file listed in {listing} was found" in result.stderr

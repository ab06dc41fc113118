"""--files-from: lists of inputs, as text or tables, and what is wrong in them."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from melcli.discover import plan
from melcli.errors import UsageError
from melcli.filelist import read_list, rows_of


def touch(root: Path, *rels: str) -> Path:
    for rel in rels:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch()
    return root


def test_a_text_list_resolves_against_its_own_folder(tmp_path: Path) -> None:
    touch(tmp_path / "data", "a.wav", "sub/b c.wav", "sub/d.flac", "e\x0cf.wav")
    listing = tmp_path / "data/list.txt"
    listing.write_bytes(b"a.wav\n\nsub/b c.wav\n./sub/../sub/d.flac\r\ne\x0cf.wav")
    got = read_list(listing)
    assert [(f.rel, f.line, f.meta) for f in got.files] == [
        ("a.wav", 1, ()),
        ("sub/b c.wav", 3, ()),
        ("sub/d.flac", 4, ()),
        ("e\x0cf.wav", 5, ()),
    ]
    assert got.files[1].path == tmp_path / "data/sub/b c.wav"
    assert got.problems == []
    assert got.skipped == []


def test_a_csv_keeps_the_other_columns_as_meta(tmp_path: Path) -> None:
    touch(tmp_path / "audio", "1-1.wav", "1-2.wav")
    table = tmp_path / "meta.csv"
    table.write_text(
        '\ufefffilename,fold,category\n1-1.wav,1,dog\n"1-2.wav",2,"crying, baby"\n'
    )
    got = read_list(table, root=tmp_path / "audio")
    assert [(f.rel, dict(f.meta)) for f in got.files] == [
        ("1-1.wav", {"fold": "1", "category": "dog"}),
        ("1-2.wav", {"fold": "2", "category": "crying, baby"}),
    ]
    assert got.columns == ("filename", "fold", "category")


def test_a_cell_longer_than_the_csv_modules_limit_is_read(tmp_path: Path) -> None:
    import csv

    touch(tmp_path / "audio", "a.wav")
    transcript = "word " * 60_000  # 300 kB: the csv module stops at 128 KiB
    table = tmp_path / "meta.csv"
    table.write_text(f'path,text\na.wav,"{transcript}"\n')
    limit = csv.field_size_limit()
    got = read_list(table, root=tmp_path / "audio")
    assert [(f.rel, dict(f.meta)["text"]) for f in got.files] == [("a.wav", transcript)]
    assert csv.field_size_limit() == limit  # the process's setting is left as it was


def test_a_tsv_and_a_named_column(tmp_path: Path) -> None:
    touch(tmp_path, "x.wav")
    table = tmp_path / "utts.tsv"
    table.write_text("utt\tspeaker\taudio_path\nu1\tS1\tx.wav\n")
    with pytest.raises(UsageError, match="no column 'wav'"):
        read_list(table, path_column="wav")
    got = read_list(table, path_column="audio_path")
    assert [(f.rel, f.meta) for f in got.files] == [
        ("x.wav", (("utt", "u1"), ("speaker", "S1")))
    ]


def test_the_path_column_is_recognised_only_when_unambiguous(tmp_path: Path) -> None:
    touch(tmp_path, "x.wav")
    (tmp_path / "a.csv").write_text("file,label\nx.wav,1\n")
    assert [f.rel for f in read_list(tmp_path / "a.csv").files] == ["x.wav"]
    (tmp_path / "b.csv").write_text("file,filename\nx.wav,x.wav\n")
    with pytest.raises(UsageError, match=r"several columns .*file, filename"):
        read_list(tmp_path / "b.csv")
    (tmp_path / "c.csv").write_text("name,label\nx.wav,1\n")
    with pytest.raises(UsageError, match=r"no path column.*name, label"):
        read_list(tmp_path / "c.csv")


def test_missing_outside_and_empty_rows_are_problems_naming_the_line(
    tmp_path: Path,
) -> None:
    touch(tmp_path / "root", "ok.wav", "dir/x.wav")
    touch(tmp_path, "outside.wav")
    table = tmp_path / "root/list.csv"
    table.write_text("path,label\nok.wav,a\ngone.wav,b\n../outside.wav,c\n,d\ndir,e\n")
    got = read_list(table)
    assert [f.rel for f in got.files] == ["ok.wav"]
    reasons = [p.reason for p in got.problems]
    assert reasons == [
        f"line 3 of {table}: no such file or directory",
        f"line 4 of {table}: not inside the root folder {tmp_path / 'root'}",
        f"line 5 of {table}: no path",
        f"line 6 of {table}: is a folder, not a file",
    ]
    assert got.problems[0].path == tmp_path / "root/gone.wav"
    # As listed, so that the line's own text is seen: not outside.wav alone.
    assert got.problems[1].path == tmp_path / "root/../outside.wav"


def test_a_file_listed_twice_is_taken_once_and_reported_once(tmp_path: Path) -> None:
    touch(tmp_path, "a.wav", "b.wav")
    listing = tmp_path / "l.txt"
    listing.write_text("a.wav\nb.wav\n./a.wav\na.wav\n")
    got = read_list(listing)
    assert [f.rel for f in got.files] == ["a.wav", "b.wav"]
    assert [(s.path.name, s.reason) for s in got.skipped] == [
        ("a.wav", f"listed 3 times in {listing} (lines 1, 3, 4); taken once")
    ]


def test_standard_input_resolves_against_the_current_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    touch(tmp_path, "audio/a.wav")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(b"audio/a.wav\n")))
    got = read_list("-")
    assert [(f.path, f.rel) for f in got.files] == [
        (Path("audio/a.wav"), "audio/a.wav")
    ]
    absolute = io.StringIO(f"{tmp_path / 'audio/a.wav'}\n")
    got = read_list(absolute, root=tmp_path / "audio")
    assert [f.rel for f in got.files] == ["a.wav"]


def test_rows_from_a_program_and_the_plan_of_a_list(tmp_path: Path) -> None:
    touch(tmp_path / "audio", "dog/1.wav", "cat/2.wav")
    listed = rows_of(
        [{"path": "dog/1.wav", "label": 1}, {"path": "cat/2.wav", "label": None}],
        root=tmp_path / "audio",
    )
    out = tmp_path / "out"
    the_plan = plan([], out, listed=listed, exclude=["cat/*"])
    assert [(j.npy, j.rel, j.meta) for j in the_plan.jobs] == [
        (out / "dog/1.npy", "dog/1.wav", (("label", "1"),))
    ]
    assert [s.reason for s in the_plan.skipped] == ["matches --exclude"]


def test_an_unreadable_list_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="cannot read"):
        read_list(tmp_path / "nope.txt")
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(UsageError, match="is empty"):
        read_list(tmp_path / "empty.csv")

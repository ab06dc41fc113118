"""A ``--path-column`` that holds no file names is named, not the root.

``--path-column category`` over ESC-50's table looked for ``audio/dog``,
``audio/rooster`` ... and the hint said ``give --root the folder that holds
them``, though the root was right and the column was the mistake.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import soundfile as sf
from conftest import invoke, tone

import melcli

pytestmark = pytest.mark.usefixtures("isolated")


def esc50(root: Path, header: str = "filename,fold,category") -> Path:
    audio = root / "ESC-50" / "audio"
    audio.mkdir(parents=True)
    rows = [header]
    for k, category in enumerate(("dog", "rooster", "rain")):
        sf.write(audio / f"1-{k}-A-{k}.wav", tone(sr=8000, seconds=0.2), 8000)
        rows.append(f"1-{k}-A-{k}.wav,1,{category}")
    (root / "ESC-50" / "meta").mkdir()
    table = root / "ESC-50" / "meta" / "esc50.csv"
    table.write_text("\n".join(rows) + "\n")
    return table


def test_a_column_of_labels_is_named_and_the_file_column_offered(
    tmp_path: Path,
) -> None:
    table = esc50(tmp_path)
    audio = tmp_path / "ESC-50" / "audio"
    said = (
        f"no file listed in {table} was found; its paths are taken relative to "
        f"{audio}, and its column 'category' holds no file names (such as 'dog'): "
        "give --path-column filename"
    )
    args = ("--files-from", table, "--path-column", "category", "--root", audio)
    result = invoke("mel", "-o", tmp_path / "out", "-j", "1", *args)
    assert result.exit_code == 1
    assert f"warning: {said}" in result.stderr.splitlines()
    report = melcli.run(
        [],
        tmp_path / "out2",
        files_from=table,
        path_column="category",
        root=audio,
        jobs=1,
    )
    assert said in report.warnings
    # As it says: the file column takes them all.
    report = melcli.run(
        [], tmp_path / "out3", files_from=table, path_column="filename", root=audio
    )
    assert report.summary() == "3 written."


def test_without_a_column_of_file_names_the_others_are_listed(tmp_path: Path) -> None:
    table = esc50(tmp_path, header="name,fold,category")
    audio = tmp_path / "ESC-50" / "audio"
    report = melcli.run(
        [], tmp_path / "out", files_from=table, path_column="category", root=audio
    )
    (said,) = report.warnings
    assert said.endswith(
        "its column 'category' holds no file names (such as 'dog'): give "
        "--path-column the column of file names (of name, fold)"
    )


@pytest.mark.parametrize(("sep", "what"), [(",", "commas"), ("\t", "tabs")])
def test_a_table_read_as_a_path_a_line_is_named(
    tmp_path: Path, sep: str, what: str
) -> None:
    esc50(tmp_path)
    audio = tmp_path / "ESC-50" / "audio"
    listed = tmp_path / "meta.txt"  # not .csv: read as one path a line
    listed.write_text(f"filename{sep}fold\n1-0-A-0.wav{sep}1\n")
    args = ("--files-from", listed, "--root", audio)
    result = invoke("mel", "-o", tmp_path / "out", "-j", "1", *args)
    assert result.exit_code == 1
    # It said: give --root the folder that holds them.
    assert result.stderr.splitlines()[-2] == (
        f"warning: no file listed in {listed} was found; its paths are taken "
        f"relative to {audio}, and its lines hold {what}, as a table's rows do "
        "(the first: filename, fold): give --path-column filename to read it as "
        "a table"
    )
    # As it says.
    result = invoke("mel", "-o", tmp_path / "out", "--path-column", "filename", *args)
    assert result.stderr.splitlines()[-1] == "1 written."

"""A gallery of a list's inputs all in one folder says how to group them.

A table that labels each file in a column of another name than those grouped
by default (``species``, not ``label``, ``class`` or ``category``), its files
all in one folder: the page showed one group, with nothing said of
``--group-by species``.
"""

from __future__ import annotations

from pathlib import Path

from conftest import invoke, short_tones

import melcli


def _listed(tmp_path: Path, header: str, rows: list[str]) -> Path:
    """Run over a list of ``audio/`` (3 tones) with ``header``; return OUT."""
    src = short_tones(tmp_path / "audio")
    listed = tmp_path / "meta.csv"
    listed.write_text("\n".join([header, *rows]) + "\n")
    out = tmp_path / "out"
    melcli.run([], out, files_from=listed, root=src, jobs=1)
    return out


NOTE = (
    "every input is in one folder, so in one group; --group-by COLUMN groups "
    "them by a column of their list: fold, species"
)


def test_one_folder_of_labelled_inputs_gets_a_note(tmp_path: Path) -> None:
    out = _listed(
        tmp_path,
        "filename,fold,species",
        ["0.wav,1,dog", "1.wav,2,cat", "2.wav,1,dog"],
    )
    assert melcli.build_gallery(out, jobs=1).notes == [NOTE]
    result = invoke("gallery", out, "-j", "1")
    assert result.exit_code == 0
    assert f"note: {NOTE}\n" in result.stderr
    # Grouped as told, or by 'label': nothing to say.
    assert melcli.build_gallery(out, jobs=1, group_by="folder").notes == []
    report = melcli.build_gallery(out, jobs=1, group_by="species")
    assert (report.groups, report.notes) == (2, [])


def test_a_label_column_or_no_list_gets_none(tmp_path: Path) -> None:
    out = _listed(tmp_path, "filename,label", ["0.wav,dog", "1.wav,cat", "2.wav,dog"])
    assert melcli.build_gallery(out, jobs=1).notes == []
    src = short_tones(tmp_path / "plain")
    melcli.run(src, tmp_path / "out2", jobs=1)
    assert melcli.build_gallery(tmp_path / "out2", jobs=1).notes == []

"""Without ``label_column``, the loader takes a dataset's class column.

UrbanSound8K keeps its clips in ``fold1/`` ... ``fold10/`` and names each
one's class in its table's ``class`` column; ESC-50's table has
``category``. A newcomer's ``SpectrogramDataset("us8k/")`` gave the folds as
classes (``['fold1', 'fold2']``), and ESC-50's none at all, without a word.
The loader (and the gallery, by the same rule) now takes the first of
``label``, ``class`` and ``category`` that every input has, and
``ds.label_column`` says which it took.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import soundfile as sf
from conftest import tone

import melcli
from melcli.data import SpectrogramDataset

pytestmark = pytest.mark.usefixtures("isolated")

US8K = {  # (fold, file): class
    (1, "100-3-0-0.wav"): "dog_bark",
    (1, "101-6-0-0.wav"): "gun_shot",
    (2, "102-3-0-0.wav"): "dog_bark",
    (2, "103-0-0-0.wav"): "air_conditioner",
}


def us8k(tmp_path: Path, *, header: str = "slice_file_name,fold,classID,class") -> Path:
    """An UrbanSound8K-like tree run from its table; return OUT."""
    audio = tmp_path / "UrbanSound8K" / "audio"
    rows = [header]
    for k, ((fold, name), label) in enumerate(sorted(US8K.items())):
        (audio / f"fold{fold}").mkdir(parents=True, exist_ok=True)
        sf.write(audio / f"fold{fold}" / name, tone(300 + 50 * k, sr=8000), 8000)
        cells = {"slice_file_name": name, "fold": str(fold), "classID": str(k)}
        cells.update({"class": label, "label": label.upper()})
        rows.append(",".join(cells[c] for c in header.split(",")))
    table = tmp_path / "UrbanSound8K" / "metadata" / "UrbanSound8K.csv"
    table.parent.mkdir(parents=True)
    table.write_text("\n".join(rows) + "\n")
    out = tmp_path / "us8k"
    report = melcli.run(
        [],
        out,
        files_from=table,
        path_column="fold{fold}/{slice_file_name}",
        root=audio,
        jobs=1,
    )
    assert report.summary() == "4 written."
    return out


def test_urbansound8k_is_labelled_by_its_class_not_its_folds(tmp_path: Path) -> None:
    ds = SpectrogramDataset(us8k(tmp_path))
    assert ds.label_column == "class"
    assert ds.classes == sorted(set(US8K.values()))
    assert [item.label_name for item in ds.items] == [
        US8K[int(item.meta["fold"]), Path(item.source).name] for item in ds.items
    ]
    # The gallery groups them by the same rule.
    gallery = melcli.build_gallery(tmp_path / "us8k", jobs=1, waveforms=False)
    assert gallery.groups == len(set(US8K.values()))


def test_a_label_column_comes_first(tmp_path: Path) -> None:
    out = us8k(tmp_path, header="slice_file_name,fold,class,label")
    ds = SpectrogramDataset(out)
    assert ds.label_column == "label"
    assert ds.classes == sorted({label.upper() for label in US8K.values()})


def test_esc50_is_labelled_by_its_category(tmp_path: Path) -> None:
    audio = tmp_path / "ESC-50" / "audio"
    audio.mkdir(parents=True)
    rows = ["filename,fold,target,category"]
    for k, label in enumerate(("dog", "rain", "dog")):
        sf.write(audio / f"{k + 1}-10{k}-A-0.wav", tone(300 + 50 * k, sr=8000), 8000)
        rows.append(f"{k + 1}-10{k}-A-0.wav,{k + 1},{k},{label}")
    table = tmp_path / "esc50.csv"
    table.write_text("\n".join(rows) + "\n")
    out = tmp_path / "esc"
    melcli.run([], out, files_from=table, root=audio, jobs=1)
    ds = SpectrogramDataset(out)
    assert (ds.label_column, ds.classes) == ("category", ["dog", "rain"])
    assert ds.labels == [0, 1, 0]


def test_folders_are_said_as_no_column(tmp_path: Path) -> None:
    for k, rel in enumerate(("dogs/a.wav", "cats/b.wav")):
        (tmp_path / "audio" / rel).parent.mkdir(parents=True, exist_ok=True)
        sf.write(tmp_path / "audio" / rel, tone(300 + 50 * k, sr=8000), 8000)
    melcli.run([tmp_path / "audio"], tmp_path / "out", jobs=1)
    ds = SpectrogramDataset(tmp_path / "out")
    assert (ds.label_column, ds.classes) == (None, ["cats", "dogs"])
    chosen = SpectrogramDataset(tmp_path / "out", label_column=None)
    assert chosen.label_column is None

"""The hint for a table passed over in a walk finds files in per-class subfolders.

``melcli mel E2 -o out`` passed over ``E2/meta/t.csv``, whose files lie in
``E2/audio/dogs/`` and ``E2/audio/cats/``, and advised ``--files-from
E2/meta/t.csv`` alone: run as said, it wrote nothing ("0 written, 2 failed").
The walk's hint and the failed run's now look for the table's first rows'
files the same way (:func:`melcli.hints.table_place`), and advise what makes
them found: ``--root``, and a ``--path-column`` template when a column names
the subfolders; or say that none does, advising no run.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import numpy as np
import soundfile as sf
from conftest import invoke


def _dataset(tmp_path: Path, folders: dict[str, str]) -> Path:
    """E2/meta/t.csv (filename,label), each file in E2/audio/<its folder>/."""
    root = tmp_path / "E2"
    (root / "meta").mkdir(parents=True)
    rows = ["filename,label"]
    for k, (label, folder) in enumerate(folders.items()):
        (root / "audio" / folder).mkdir(parents=True)
        y = np.sin(np.arange(1600) * (0.1 + k / 10)).astype(np.float32) * 0.5
        sf.write(root / "audio" / folder / f"1-10{k}-A-{k}.wav", y, 8000)
        rows.append(f"1-10{k}-A-{k}.wav,{label}")
    (root / "meta" / "t.csv").write_text("\n".join(rows) + "\n")
    return root


def _walk_hint(tmp_path: Path, root: Path) -> str:
    walked = invoke("mel", root, "-o", tmp_path / "walked", "-j", "1")
    assert walked.exit_code == 0, walked.stderr
    assert "t.csv was passed over" in walked.stderr, walked.stderr
    return walked.stderr


def _written(tmp_path: Path, options: list[str], name: str) -> int:
    run = invoke("mel", *options, "-o", tmp_path / name, "-j", "1", "--json")
    assert run.exit_code == 0, run.stderr
    said = re.search(r'"written": (\d+)', run.stdout)
    assert said is not None, run.stdout
    return int(said.group(1))


def test_the_walk_hint_run_takes_files_in_subfolders(tmp_path: Path) -> None:
    # The reviewer's layout: folder "dogs" for label "dog".
    root = _dataset(tmp_path, {"dog": "dogs", "cat": "cats"})
    said = re.search(
        r"give (--files-from .*) instead of the folder", _walk_hint(tmp_path, root)
    )
    assert said is not None
    advised = shlex.split(said.group(1))
    assert _written(tmp_path, advised, "listed") == 2
    assert sorted(p.parent.name for p in (tmp_path / "listed").rglob("*.npy")) == [
        "cats",
        "dogs",
    ]


def test_folders_named_as_the_column(tmp_path: Path) -> None:
    root = _dataset(tmp_path, {"dog": "dog", "rain": "rain", "cat": "cat"})
    said = re.search(
        r"give (--files-from .*) instead of the folder", _walk_hint(tmp_path, root)
    )
    assert said is not None
    assert _written(tmp_path, shlex.split(said.group(1)), "listed") == 3


def test_no_run_advised_when_no_column_names_the_folders(tmp_path: Path) -> None:
    root = _dataset(tmp_path, {"dog": "a", "cat": "b"})
    hint = _walk_hint(tmp_path, root)
    assert "instead of the folder" not in hint
    assert "subfolders a, b of" in hint
    assert "would take none of them" in hint


def test_the_failed_run_hint_gives_the_same_template(tmp_path: Path) -> None:
    root = _dataset(tmp_path, {"dog": "dogs", "cat": "cats"})
    table = root / "meta" / "t.csv"
    failed = invoke("mel", "--files-from", table, "-o", tmp_path / "failed", "-j", "1")
    assert failed.exit_code != 0
    said = re.search(r"give (--root .*)$", failed.stderr, re.MULTILINE)
    assert said is not None, failed.stderr
    options = shlex.split(said.group(1))
    assert "--path-column" in options
    assert _written(tmp_path, ["--files-from", str(table), *options], "fixed") == 2


def test_the_failed_run_hint_says_no_column_names_the_folders(tmp_path: Path) -> None:
    root = _dataset(tmp_path, {"dog": "a", "cat": "b"})
    table = root / "meta" / "t.csv"
    failed = invoke("mel", "--files-from", table, "-o", tmp_path / "failed", "-j", "1")
    assert failed.exit_code != 0
    assert "which no column of its first rows names" in failed.stderr, failed.stderr

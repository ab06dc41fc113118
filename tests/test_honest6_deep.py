"""A listed file a thousand folders deep is written like any other: folders
in OUT are made without recursion (``os.makedirs`` and ``Path.mkdir`` recurse
once per missing parent, and ran out of stack: ``RecursionError``)."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from click.testing import CliRunner

from melcli.cli import cli

#: Deeper than Python's recursion limit (1000), within the kernel's 4 KB path.
DEPTH = 1200


@pytest.fixture
def tmp_path(tmp_path: Path) -> Iterator[Path]:
    """The test's folder, emptied afterwards without recursion.

    pytest deletes old test folders with ``shutil.rmtree``, which recurses
    per folder level too (Python 3.11): a tree this deep left behind would
    break every later pytest run on the machine.
    """
    yield tmp_path
    remove_tree(str(tmp_path))


def remove_tree(top: str) -> None:
    """Delete ``top`` and everything under it, deepest first, with a stack."""
    stack = [(top, False)]
    while stack:
        path, emptied = stack.pop()
        if emptied:
            os.rmdir(path)
            continue
        stack.append((path, True))
        with os.scandir(path) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    stack.append((entry.path, False))
                else:
                    os.unlink(entry.path)


def deep_folder(root: Path, depth: int = DEPTH) -> Path:
    folder = str(root)
    for _ in range(depth):
        folder = os.path.join(folder, "d")
        os.mkdir(folder)
    return Path(folder)


def test_a_listed_file_deeper_than_the_recursion_limit(tmp_path: Path) -> None:
    assert sys.getrecursionlimit() < DEPTH
    audio = tmp_path / "audio"
    audio.mkdir()
    folder = deep_folder(audio)
    with open(folder / "a.wav", "wb") as f:  # libsndfile takes 1 KB paths
        sf.write(f, np.full(4410, 0.1, dtype=np.float32), 22050, format="WAV")
    listed = tmp_path / "list.txt"
    listed.write_text(str((folder / "a.wav").relative_to(audio)) + "\n")
    out = tmp_path / "out"

    result = CliRunner().invoke(
        cli,
        ["mel", "--files-from", str(listed), "--root", str(audio), "-o", str(out),
         "-j", "1", "--png"],
    )  # fmt: skip

    assert result.exit_code == 0, result.stderr[-300:]
    assert result.stderr.splitlines()[-1] == "1 written."
    written = out / (folder / "a.npy").relative_to(audio)
    assert np.load(written).shape == (128, 9)
    assert written.with_suffix(".png").is_file()


def test_make_folders_as_makedirs(tmp_path: Path) -> None:
    from melcli.write import make_folders

    deep = os.path.join(tmp_path, *["d"] * DEPTH)
    make_folders(deep)
    assert os.path.isdir(deep)
    make_folders(deep)  # already there
    make_folders(tmp_path / "x" / "." / "y" / "..")  # dots, as makedirs takes
    assert (tmp_path / "x" / "y").is_dir()
    (tmp_path / "file").write_text("")
    with pytest.raises(NotADirectoryError):  # a part is a file, as makedirs says
        make_folders(tmp_path / "file" / "a")
    with pytest.raises(FileExistsError):
        make_folders(tmp_path / "file")

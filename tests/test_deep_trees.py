"""Folders nested a thousand deep, in SRC, in OUT, or named by a list.

Nothing recurses once per level (Python allows some 1000 frames).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from click.testing import CliRunner
from conftest import short_tones

import melcli
from melcli import discover
from melcli.cli import cli
from melcli.manifest import JOURNAL_NAME

# -----------------------------------------------------------------------------
# Folders nested a thousand deep, in OUT (untrusted) and under SRC.
#
# Python 3.11's ``os.walk`` recurses once per level, and so did the walk of
# SRC folders: a tree deeper than Python's recursion limit ended the command
# in a RecursionError traceback.
#
# - OUT after a killed run (its journal left): the next run sweeps OUT for the
#   temporary files the killed run left; an OUT holding a folder nested a
#   thousand deep (a crafted CI cache, a runaway script) failed every later
#   run (the tests lower Python's recursion limit instead);
# - ``melcli stats`` of an OUT without a manifest walks it for arrays;
# - a SRC folder nested a thousand deep is walked and converted (the walk of
#   SRC recursed, and then stopped at 200 levels with a problem); a symbolic
#   link loop down there is passed over as one near the top is.


#: Deeper than a walk that recurses goes in :func:`few_frames`; shallow
#: enough that shutil.rmtree, which recurses too, can remove it should a test
#: be stopped half way.
DEPTH = 600
#: SRC folders nested this deep are walked (the walk of SRC recursed once, two
#: frames a level, and stopped at 200 levels).
SRC_DEPTH = 1000


@pytest.fixture
def few_frames() -> Iterator[None]:
    """Allow 400 frames more than the test uses: less than a walk of DEPTH
    folders needs if it recurses (as Python 3.11's os.walk does), and more
    than a run needs otherwise."""
    frame, depth = sys._getframe(), 0
    while frame is not None:
        frame, depth = frame.f_back, depth + 1
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(depth + 400)
    yield
    sys.setrecursionlimit(limit)


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


def nest(top: Path, depth: int) -> Path:
    """Make ``top/a/a/.../a`` (``depth`` folders), one at a time (no recursion)."""
    top.mkdir(exist_ok=True)
    folder = top
    for _ in range(depth):
        folder = folder / "a"
        folder.mkdir()
    return folder


@pytest.mark.usefixtures("few_frames")
def test_a_run_after_a_killed_one_sweeps_a_deep_out(tmp_path: Path) -> None:
    src = short_tones(tmp_path / "audio", n=2)
    out = tmp_path / "out"
    assert melcli.run(src, out).exit_code == 0
    (out / JOURNAL_NAME).touch()  # as a run killed with kill -9 leaves it
    leftover = nest(out / "deep", DEPTH) / ".x.npy.abcd1234.melcli-tmp"
    leftover.write_bytes(b"partial")
    (src / "0.wav").touch()  # something to do

    result = CliRunner().invoke(cli, ["mel", str(src), "-o", str(out)])

    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines()[-1] == "1 written, 1 up to date."
    assert not leftover.exists()


@pytest.mark.usefixtures("few_frames")
def test_stats_walks_an_out_without_manifest_however_deep(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    np.save(out / "top.npy", np.zeros((4, 3), np.float32))
    np.save(nest(out, DEPTH) / "deep.npy", np.ones((4, 5), np.float32))

    stats = melcli.write_stats(out)

    assert stats.count == 8
    assert np.allclose(stats.mean, 5 / 8)


@pytest.mark.usefixtures("few_frames")
def test_a_source_folder_a_thousand_deep_is_converted(tmp_path: Path) -> None:
    src = short_tones(tmp_path / "audio", n=1)
    deep = nest(src, SRC_DEPTH)
    with open(deep / "x.wav", "wb") as f:  # libsndfile takes paths up to 1 KB
        sf.write(f, np.zeros(800, np.float32), 8000, format="WAV")
    out = tmp_path / "out"

    report = melcli.run(src, out, jobs=1)

    assert report.exit_code == 0, report.summary()
    assert report.count(melcli.Status.WRITTEN) == 2
    deep_out = out.joinpath(*deep.relative_to(src).parts)
    assert np.load(deep_out / "x.npy").ndim == 2
    again = melcli.run(src, out, jobs=1)
    assert again.count(melcli.Status.UP_TO_DATE) == 2, again.summary()


@pytest.mark.usefixtures("few_frames")
def test_a_symlink_loop_deep_in_a_source_folder_is_passed_over(tmp_path: Path) -> None:
    src = short_tones(tmp_path / "audio", n=1)
    deep = nest(src, SRC_DEPTH)
    (deep / "up").symlink_to(src, target_is_directory=True)
    (deep / "here").symlink_to(deep, target_is_directory=True)
    (deep / "x.wav").touch()

    found = discover.find_audio([src])

    assert [rel.count("/") for _, rel in found.files] == [0, SRC_DEPTH]
    loops = [s for s in found.skipped if s.reason == "symlink loop"]
    assert sorted(s.path.name for s in loops) == ["here", "up"]
    assert not found.problems


# -----------------------------------------------------------------------------
# A listed file a thousand folders deep is written like any other: folders
# in OUT are made without recursion (``os.makedirs`` and ``Path.mkdir`` recurse
# once per missing parent, and ran out of stack: ``RecursionError``).


#: Deeper than Python's recursion limit (1000), within the kernel's 4 KB path.
LIST_DEPTH = 1200


def deep_folder(root: Path, depth: int = LIST_DEPTH) -> Path:
    folder = str(root)
    for _ in range(depth):
        folder = os.path.join(folder, "d")
        os.mkdir(folder)
    return Path(folder)


def test_a_listed_file_deeper_than_the_recursion_limit(tmp_path: Path) -> None:
    assert sys.getrecursionlimit() < LIST_DEPTH
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

    deep = os.path.join(tmp_path, *["d"] * LIST_DEPTH)
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

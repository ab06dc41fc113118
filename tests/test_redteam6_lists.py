"""A list read from a pipe resolves its paths as one read from standard input.

``melcli mel --files-from <(find audio -name '*.wav') -o features/`` hands
melcli ``/dev/fd/63``, a pipe, and the list's paths were taken relative to
its folder, ``/dev/fd``: every file failed as missing, with the advice to give
``--root``. ``find audio ... | melcli mel --files-from -`` worked. A list that
is no regular file now defaults to the current folder, as ``-`` does.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from conftest import invoke, short_tones

from melcli.filelist import read_list

pytestmark = [
    pytest.mark.usefixtures("isolated"),
    pytest.mark.skipif(
        not os.path.isdir("/dev/fd") or sys.platform == "win32",
        reason="process substitution's /dev/fd",
    ),
]


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


def test_a_list_from_a_pipe_is_relative_to_the_current_folder() -> None:
    short_tones(Path("audio"), n=2)
    with _pipe_holding("audio/0.wav\naudio/1.wav\n") as piped:
        listed = read_list(piped)
    assert listed.problems == []
    assert listed.root == Path(os.curdir)
    assert [f.rel for f in listed.files] == ["audio/0.wav", "audio/1.wav"]


def test_the_command_converts_a_list_from_a_pipe() -> None:
    short_tones(Path("audio"), n=2)
    with _pipe_holding("audio/0.wav\n") as piped:
        result = invoke("mel", "--files-from", piped, "-o", "out", "-j", "1")
    assert result.exit_code == 0, result.stderr
    assert sorted(p.name for p in Path("out/audio").iterdir()) == ["0.npy"]

"""Lists as the shell and Windows tools write them.

A list read from a pipe resolves its paths as one read from standard input.

``melcli mel --files-from <(find audio -name '*.wav') -o features/`` hands
melcli ``/dev/fd/63``, a pipe, and the list's paths were taken relative to
its folder, ``/dev/fd``: every file failed as missing, with the advice to give
``--root``. ``find audio ... | melcli mel --files-from -`` worked. A list that
is no regular file now defaults to the current folder, as ``-`` does.

``find audio -print0 | melcli mel --files-from -`` (the one way to list a
name holding a newline) was one path of every name joined by NULs, failed
as "the path holds a NUL byte"; a list ending with a NUL is now NUL-separated.
A UTF-16 list saved with no byte-order mark (every other byte a NUL) is read
as UTF-16, as one with a mark already was.
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


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_a_utf16_list_with_no_byte_order_mark_is_read(encoding: str) -> None:
    short_tones(Path("audio"), n=2)
    Path("list.txt").write_bytes("audio/0.wav\r\naudio/1.wav\r\n".encode(encoding))
    listed = read_list("list.txt")
    assert listed.problems == []
    assert [f.rel for f in listed.files] == ["audio/0.wav", "audio/1.wav"]

"""A stop signal right after a folder's descriptor is closed, as OUT is read.

Found by injecting SIGINT at the run's ``close`` system calls (``strace -e
inject=close:signal=INT``): the signal's KeyboardInterrupt came right after
``os.close`` in ``_FolderOf.close``, before the descriptor was forgotten, and
the ``finally`` that calls it again closed the number a second time: an
``OSError: [Errno 9] Bad file descriptor`` traceback over the interrupt (status
1), or, had the number been taken again meanwhile, another file's descriptor
closed. The descriptor is now forgotten before it is closed.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from melcli import manifest
from melcli.outdir import OutDir


def test_a_signal_right_after_the_close_does_not_close_it_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "a").mkdir()
    folder_of = manifest._FolderOf(OutDir(tmp_path))
    fd = folder_of.open("a")
    assert fd >= 0
    real_close = os.close
    closed: list[int] = []

    def close_then_signal(number: int) -> None:
        real_close(number)
        closed.append(number)
        if len(closed) == 1:
            raise KeyboardInterrupt  # the handler, right after the system call

    monkeypatch.setattr(os, "close", close_then_signal)
    with pytest.raises(KeyboardInterrupt):
        folder_of.close()
    folder_of.close()  # the finally of the loop that held it: nothing to close
    assert closed == [fd]
    assert folder_of.fd == -1

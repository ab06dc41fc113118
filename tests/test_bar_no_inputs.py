"""A run with no input shows no progress bar on a terminal.

``melcli mel --files-from - -o out`` ended with an empty list (Ctrl-D at
once), or a folder with no audio: the terminal showed ``0file [00:00,
?file/s]`` above ``warning: no audio files found``, a bar of nothing.
"""

from __future__ import annotations

import io

import pytest

from melcli.cli.console import Console


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(("total", "bar"), [(0, False), (3, True)])
def test_a_bar_only_for_inputs(
    monkeypatch: pytest.MonkeyPatch, total: int, bar: bool
) -> None:
    terminal = Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    console = Console(quiet=False, verbose=False)
    console.started(total)
    assert (console.bar is not None) is bar
    console.close()
    assert ("0file" in terminal.getvalue()) is False

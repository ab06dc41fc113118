"""``--files-from -`` typed at a prompt says it reads the list from the terminal.

``melcli mel --files-from - -o out`` in a terminal waited for standard input
without a word: a newcomer saw nothing happen. It now says how to end the
list (Ctrl-D) or pipe it; piped, it says nothing more.
"""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO, RUN_LIMIT, short_tones

HINT = (
    "reading the list from the terminal: one path a line, then Ctrl-D (or pipe "
    "it: find audio -name '*.wav' | melcli ... --files-from -)"
)


@pytest.mark.slow  # a whole process
def test_a_terminal_is_told_how_to_end_the_list(tmp_path: Path) -> None:
    src = short_tones(tmp_path / "audio", 1)
    main, terminal = pty.openpty()
    command = [sys.executable, "-m", "melcli", "mel", "--files-from", "-"]
    done = subprocess.Popen(
        [*command, "--root", str(src), "-o", str(tmp_path / "out"), "-j", "1"],
        stdin=terminal,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        text=True,
    )
    os.close(terminal)
    os.write(main, b"0.wav\n\x04")
    _, stderr = done.communicate(timeout=RUN_LIMIT)
    os.close(main)
    assert done.returncode == 0, stderr
    assert stderr.splitlines() == [HINT, "1 written."]


def test_a_pipe_is_not_told(tmp_path: Path) -> None:
    src = short_tones(tmp_path / "audio", 1)
    command = [sys.executable, "-m", "melcli", "mel", "--files-from", "-"]
    done = subprocess.run(
        [*command, "--root", str(src), "-o", str(tmp_path / "out"), "-j", "1"],
        input="0.wav\n",
        capture_output=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        text=True,
        timeout=RUN_LIMIT,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == "1 written.\n"

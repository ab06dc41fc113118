"""``--dry-run`` fails as the run does when OUT is there and is no folder.

A FIFO, or a symbolic link to nothing, in OUT's place: the run fails at once
(``cannot write to OUT: not a folder (a FIFO)``, exit 2) while the dry run
said every input would be built, exit 0.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import WriteAudio, mel

pytestmark = pytest.mark.usefixtures("isolated")


@pytest.mark.parametrize(
    "plant",
    [
        lambda out: os.mkfifo(out),
        lambda out: out.symlink_to(out.parent / "nowhere"),
    ],
    ids=["fifo", "dangling-link"],
)
def test_the_dry_run_fails_as_the_run_does(
    write_audio: WriteAudio, tmp_path: Path, plant: Callable[[Path], None]
) -> None:
    write_audio("a.wav")
    out = tmp_path / "out"
    plant(out)

    dry = mel(tmp_path / "audio", out, "--dry-run")
    run = mel(tmp_path / "audio", out)

    assert run.exit_code == 2
    assert run.stderr.startswith(f"Error: cannot write to {out}: ")
    assert (dry.exit_code, dry.stdout, dry.stderr) == (2, "", run.stderr)
    assert not os.path.isdir(out)

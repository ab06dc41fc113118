"""The journal of a run in progress: what a killed run leaves, and the next one."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from conftest import RUN_LIMIT

from melcli.manifest import JOURNAL_NAME, Manifest

#: Records the entries named on the command line in OUT's journal (each
#: flushed as it is recorded), then dies (SIGKILL) before the commit.
RECORD_AND_DIE = """
import os, signal, sys
from pathlib import Path
from melcli.manifest import Manifest
manifest = Manifest.load(Path(sys.argv[1]))
manifest.begin()
for key in sys.argv[2:]:
    manifest.record({"key": key, "status": "written", "npy": key, "warnings": []})
os.kill(os.getpid(), signal.SIGKILL)
"""


def _line(key: str) -> bytes:
    return b'{"key": "%s", "status": "written", "npy": "%s", "warnings": []}' % (
        key.encode(),
        key.encode(),
    )


def test_a_run_after_one_killed_mid_line_journals_its_entries_whole(
    tmp_path: Path,
) -> None:
    # A run killed while its journal's last line was half written (a batch's
    # lines go in more than one write): the torn line ends the file.
    torn = _line("b.npy")
    (tmp_path / JOURNAL_NAME).write_bytes(_line("a.npy") + b"\n" + torn[:25])
    assert set(Manifest.load(tmp_path).entries) == {"a.npy"}

    # The next run appends its own entries, then is killed in turn.
    proc = subprocess.run(
        [sys.executable, "-c", RECORD_AND_DIE, str(tmp_path), "c.npy", "d.npy"],
        capture_output=True,
        text=True,
        timeout=RUN_LIMIT,
        check=False,
    )
    assert proc.returncode < 0, proc.stderr

    # Its entries are whole: not glued to the torn line, and so dropped.
    recovered = Manifest.load(tmp_path)
    assert set(recovered.entries) == {"a.npy", "c.npy", "d.npy"}
    assert recovered.problems == []

"""A stop signal while the command's first modules load: status 128+n, no traceback.

``melcli.__main__`` took the signals in hand in ``main()``, after its own
imports (``melcli._collector``, ``melcli.interrupts``): a Ctrl-C during them
met Python's handler, a traceback and status -2, or, raised inside an
import's weakref callback, was dropped ("Exception ignored") and the command
ran to its end, status 0. The signals are now held (blocked) from the first
statement of ``melcli.__main__``; ``stop_on_signals`` unblocks them, and one
that arrived meanwhile stops the command as any other does.

Earlier than that (Python's own start-up, its ``site`` module: "Fatal Python
error: init_import_site"), no code of melcli's has run yet: see
docs/bad-input.md.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import RUN_LIMIT

#: Sends ``signum`` to itself as the import system looks for ``module``.
SCRIPT = """
import os, sys
signum, module, src = int(sys.argv[1]), sys.argv[2], sys.argv[3]
class SignalOnImport:
    def find_spec(self, name, path=None, target=None):
        if name == module:
            os.kill(os.getpid(), signum)
        return None
sys.meta_path.insert(0, SignalOnImport())
sys.argv = ["melcli", "info", src]
from melcli.__main__ import main
main()
"""


@pytest.mark.parametrize("module", ["melcli._collector", "melcli.interrupts"])
@pytest.mark.parametrize(
    "signum", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP], ids=lambda s: s.name
)
def test_a_signal_while_the_first_modules_load_stops_cleanly(
    tmp_path: Path, module: str, signum: signal.Signals
) -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(int(signum)), module, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=RUN_LIMIT,
    )
    assert "Traceback" not in done.stderr, done.stderr
    assert done.stderr == "interrupted\n"
    assert done.returncode == 128 + signum

"""A stop signal while ``melcli.__main__`` loads its own first modules: no traceback.

The command held its stop signals from the first statement of
``melcli.__main__``, after ``import atexit, os, signal, sys``; ``signal`` and
``atexit`` are not loaded when Python starts, and a Ctrl-C while they (or
``melcli.__main__`` itself) were found and read met Python's handler: a
``KeyboardInterrupt`` traceback. The signals are now held from the first
statement of the package, ``melcli/__init__.py``, which both the console
script and ``python -m melcli`` import first (and which imports nothing that
Python has not loaded already). Only while the package's own file is read,
before any statement of melcli runs, does Python's handling remain.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO, RUN_LIMIT, clean_env

pytestmark = pytest.mark.skipif(
    not hasattr(signal, "pthread_sigmask"), reason="signal masks: POSIX"
)

#: Sends ``signum`` to this process as the import system looks for ``module``
#: (once), as a Ctrl-C at that moment would.
HOOK = """
import os
class SignalOnImport:
    def __init__(self, signum, module):
        self.signum, self.module = signum, module
    def find_spec(self, name, path=None, target=None):
        if name == self.module:
            self.module = None
            os.kill(os.getpid(), self.signum)
        return None
"""

#: The console script (``melcli``), as pip writes it.
SCRIPT = (
    HOOK
    + """
import sys
signum, module, src = int(sys.argv[1]), sys.argv[2], sys.argv[3]
sys.meta_path.insert(0, SignalOnImport(signum, module))
sys.argv = [sys.argv[0].rpartition("/")[0] + "/bin/melcli", "info", src]
from melcli.__main__ import main
sys.exit(main())
"""
)

MODULES = ["signal", "atexit", "melcli.__main__"]
SIGNALS = [signal.SIGINT, signal.SIGTERM, signal.SIGHUP]


def _check(done: subprocess.CompletedProcess[str], signum: int) -> None:
    assert "Traceback" not in done.stderr, done.stderr
    assert done.stderr == "interrupted\n"
    assert done.returncode == 128 + signum


@pytest.mark.parametrize("module", MODULES)
@pytest.mark.parametrize("signum", SIGNALS, ids=lambda s: s.name)
def test_a_signal_as_the_console_script_starts_stops_cleanly(
    tmp_path: Path, module: str, signum: signal.Signals
) -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(int(signum)), module, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=RUN_LIMIT,
        env=clean_env(),
    )
    _check(done, signum)


@pytest.mark.parametrize("module", MODULES)
@pytest.mark.parametrize("signum", SIGNALS, ids=lambda s: s.name)
def test_a_signal_as_python_m_melcli_starts_stops_cleanly(
    tmp_path: Path, module: str, signum: signal.Signals
) -> None:
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    # Python imports sitecustomize (found on PYTHONPATH) before it runs -m.
    (hooks / "sitecustomize.py").write_text(
        HOOK
        + "import sys\n"
        + f"sys.meta_path.insert(0, SignalOnImport({int(signum)}, {module!r}))\n"
    )
    path = os.pathsep.join([str(hooks), str(REPO), os.environ.get("PYTHONPATH", "")])
    done = subprocess.run(
        [sys.executable, "-m", "melcli", "info", str(tmp_path / "hooks")],
        capture_output=True,
        text=True,
        timeout=RUN_LIMIT,
        env=clean_env(PYTHONPATH=path),
    )
    _check(done, signum)


#: Imports melcli as ``python -m`` of another package would (its
#: ``__init__`` importing melcli), then prints the signals blocked.
OTHER = """
import signal
print(sorted(int(s) for s in signal.pthread_sigmask(signal.SIG_BLOCK, [])))
"""


def test_python_m_of_another_package_importing_melcli_blocks_nothing(
    tmp_path: Path,
) -> None:
    package = tmp_path / "other"
    package.mkdir()
    (package / "__init__.py").write_text("import melcli\n")
    (package / "__main__.py").write_text(OTHER)
    path = os.pathsep.join([str(tmp_path), str(REPO)])
    done = subprocess.run(
        [sys.executable, "-m", "other"],
        capture_output=True,
        text=True,
        timeout=RUN_LIMIT,
        env=clean_env(PYTHONPATH=path),
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"

"""A program of one's own named ``melcli`` that imports melcli keeps its stop signals.

``melcli/__init__.py`` holds SIGINT, SIGTERM and SIGHUP from its first
statement when the process is the command, for ``melcli.__main__.main()`` to
take in hand. It took any program whose ``argv[0]`` is named ``melcli`` for
the command: a wrapper of one's own by that name that imports melcli and calls
the API (never ``main()``) ran with Ctrl-C and SIGTERM blocked for its whole
life, and so did every program it started (the mask is inherited).
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

#: Prints the stop signals blocked once melcli is imported, in Python and in
#: a program it starts.
BODY = """
import signal, subprocess, sys
{imports}
print(sorted(int(s) for s in signal.pthread_sigmask(signal.SIG_BLOCK, [])))
print(subprocess.run([sys.executable, "-c", "import signal; print(sorted(int(s) "
    "for s in signal.pthread_sigmask(signal.SIG_BLOCK, [])))"],
    capture_output=True, text=True).stdout.strip())
"""


def _blocked(tmp_path: Path, imports: str) -> list[str]:
    script = tmp_path / "bin" / "melcli"
    script.parent.mkdir()
    script.write_text(f"#!{sys.executable}\n" + BODY.format(imports=imports))
    script.chmod(0o755)
    path = os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])
    done = subprocess.run(
        [str(script)],
        capture_output=True,
        text=True,
        timeout=RUN_LIMIT,
        env=clean_env(PYTHONPATH=path),
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


@pytest.mark.parametrize("imports", ["import melcli", "from melcli import write"])
def test_a_script_named_melcli_importing_the_package_blocks_nothing(
    tmp_path: Path, imports: str
) -> None:
    assert _blocked(tmp_path, imports) == ["[]", "[]"]

"""The early fork server under a TMPDIR too long for a socket's path.

A socket's path holds at most 107 bytes. Under a long TMPDIR (a CI runner's,
pytest's own folders) the server's socket could not be bound, and the run
went on without the server, silently: numpy and the pipeline were imported
by the run itself before its first worker, on one core.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import RUN_LIMIT, clean_env, short_tones

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux") or sys.version_info >= (3, 12),
    reason="the early server replaces forked workers: Linux, Python 3.11",
)


def test_a_long_tmpdir_still_gets_the_server(tmp_path: Path) -> None:
    tmp = tmp_path / ("t" * 120)
    tmp.mkdir()
    src = short_tones(tmp_path / "audio", n=6)
    seen = tmp_path / "seen"
    code = (
        "import atexit, sys\n"
        f"atexit.register(lambda: open({str(seen)!r}, 'w').write("
        "str(sorted(m for m in ('numpy', 'melcli.pipeline') if m in sys.modules))))\n"
        f"sys.argv = ['melcli', 'mel', {str(src)!r}, '-o', "
        f"{str(tmp_path / 'out')!r}, '-j', '2']\n"
        "from melcli.__main__ import main\n"
        "main()\n"
    )
    env = clean_env(TMPDIR=str(tmp))
    proc = subprocess.Popen(
        [sys.executable, "-c", code],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    _, stderr = proc.communicate(timeout=RUN_LIMIT)
    assert proc.returncode == 0, stderr
    assert "6 written" in stderr
    assert seen.read_text() == "[]"  # the workers came from the server
    # Its folder went to /tmp, and is gone with the run.
    assert not list(Path("/tmp").glob(f"melcli-server-{proc.pid}-*"))
    assert not list(tmp.iterdir())

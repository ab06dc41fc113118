"""A re-run with nothing to build imports only what deciding needs (issue 20).

A no-op re-run is what a Makefile or CI step pays every time; modules that
only a run with work uses (spilling results, making tars, probing the case of
a new OUT, reading the C library's version from the executable) are imported
where that work is done.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import RUN_LIMIT

#: Modules a no-op re-run does not need: the report's spill (pickle,
#: tempfile), tar shards (tarfile), the case probe of a new OUT (tempfile),
#: and ``platform.libc_ver``, which reads the whole Python executable.
NOT_FOR_A_NOOP = ("pickle", "tempfile", "tarfile", "platform")

#: Runs ``main()`` with argv, then prints its exit status and which of
#: NOT_FOR_A_NOOP the process imported (click itself imports ``platform``
#: through ``uuid``, so that one is told by who asked for ``libc_ver``).
_MAIN_THEN_MODULES = f"""
import sys
sys.argv = ["melcli", *sys.argv[1:]]
import platform
asked = []
platform.libc_ver = lambda *a, **k: asked.append(1) or ("glibc", "")
from melcli.cli import main
try:
    main()
except SystemExit as exc:
    found = [m for m in {NOT_FOR_A_NOOP!r} if m in sys.modules and m != "platform"]
    print(exc.code, *found, *(["libc_ver"] if asked else []))
"""


def modules_after(*args: object) -> list[str]:
    """Run melcli with ``args``; return its exit status and what it imported."""
    proc = subprocess.run(
        [sys.executable, "-c", _MAIN_THEN_MODULES, *(str(a) for a in args)],
        capture_output=True,
        text=True,
        timeout=RUN_LIMIT,
        check=False,
    )
    assert proc.stdout, proc.stderr
    return proc.stdout.splitlines()[-1].split()  # after what melcli printed


@pytest.mark.parametrize("options", [(), ("--format", "webdataset")])
def test_a_no_op_re_run_imports_no_spill_tar_or_probe(
    dataset: Path, tmp_path: Path, options: tuple[str, ...]
) -> None:
    args = ("mel", dataset, "-o", tmp_path / "out", "-j", "1", "-q", *options)
    first = modules_after(*args)
    assert first[0] == "0"
    assert "tempfile" in first[1:]  # the test can tell: a first run probes OUT
    assert modules_after(*args) == ["0"]

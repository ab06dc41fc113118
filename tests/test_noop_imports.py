"""A run imports only what its work needs (issue 20).

A no-op re-run is what a Makefile or CI step pays every time. It decides from
the manifest alone, so it loads no audio stack (numpy, soundfile and soxr are
about half of an up-to-date re-run's time, bench (r)), and modules that only a
run with work uses (spilling results, making tars, probing the case of a new
OUT, reading the C library's version from the executable) are imported where
that work is done.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import RUN_LIMIT

#: What decoding and computing need; planning a run needs none of it.
AUDIO_STACK = ("numpy", "soundfile", "soxr", "matplotlib", "scipy", "librosa")

#: Modules a no-op re-run does not need: the report's spill (pickle,
#: tempfile), tar shards (tarfile), the case probe of a new OUT (tempfile),
#: and ``platform.libc_ver``, which reads the whole Python executable.
NOT_FOR_A_NOOP = ("pickle", "tempfile", "tarfile", "platform")

#: Runs ``main()`` with argv[2:], then prints its exit status and which of the
#: comma-separated modules in argv[1] the process imported. click itself
#: imports ``platform`` through ``uuid``, so that one is told by who asked for
#: ``libc_ver``.
_MAIN_THEN_MODULES = """
import sys
watched = sys.argv[1].split(",")
sys.argv = ["melcli", *sys.argv[2:]]
import platform
asked = []
platform.libc_ver = lambda *a, **k: asked.append(1) or ("glibc", "")
from melcli.cli import main
try:
    main()
except SystemExit as exc:
    found = [m for m in watched if m in sys.modules and m != "platform"]
    libc = ["libc_ver"] if asked and "platform" in watched else []
    print(exc.code, *found, *libc)
"""


def modules_after(watched: tuple[str, ...], *args: object) -> list[str]:
    """Run melcli with ``args``; its exit status, then which ``watched`` it loaded."""
    proc = subprocess.run(
        [sys.executable, "-c", _MAIN_THEN_MODULES, ",".join(watched), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=RUN_LIMIT,
        check=False,
    )
    assert proc.stdout, proc.stderr
    return proc.stdout.splitlines()[-1].split()  # after what melcli printed


@pytest.mark.parametrize(
    "options",
    [(), ("--png",), ("--format", "webdataset"), ("--segment", "0.5")],
    ids=["npy", "png", "webdataset", "segment"],
)
@pytest.mark.slow
def test_an_up_to_date_re_run_loads_no_audio_stack(
    dataset: Path, tmp_path: Path, options: tuple[str, ...]
) -> None:
    args = ("mel", dataset, "-o", tmp_path / "out", "-j", "1", "-q", *options)
    first = modules_after(AUDIO_STACK, *args)
    assert first[0] == "0"
    assert {"numpy", "soundfile", "soxr"} <= set(first[1:])  # the test can tell
    assert modules_after(AUDIO_STACK, *args) == ["0"]


def test_help_and_version_load_no_audio_stack() -> None:
    assert modules_after(AUDIO_STACK, "--version") == ["0"]
    assert modules_after(AUDIO_STACK, "mel", "--help") == ["0"]


@pytest.mark.parametrize("options", [(), ("--format", "webdataset")])
def test_a_no_op_re_run_imports_no_spill_tar_or_probe(
    dataset: Path, tmp_path: Path, options: tuple[str, ...]
) -> None:
    args = ("mel", dataset, "-o", tmp_path / "out", "-j", "1", "-q", *options)
    first = modules_after(NOT_FOR_A_NOOP, *args)
    assert first[0] == "0"
    assert "tempfile" in first[1:]  # the test can tell: a first run probes OUT
    assert modules_after(NOT_FOR_A_NOOP, *args) == ["0"]

"""Process-level settings of the runners (the pool itself is tested through the CLI)."""

from __future__ import annotations

import os
import platform
import subprocess
import sys

import pytest

from melcli.runners import MALLOC_SETTINGS

PROBE = (
    "import os; from melcli.runners import tune_allocator; "
    "print(tune_allocator(), os.environ.get('MALLOC_MMAP_THRESHOLD_'))"
)

glibc_only = pytest.mark.skipif(
    sys.platform != "linux" or platform.libc_ver()[0] != "glibc",
    reason="the allocator settings are glibc's",
)


def probe(**extra: str) -> list[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    done = subprocess.run(
        [sys.executable, "-c", PROBE],
        env={**env, **extra},
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.split()


@glibc_only
def test_tune_allocator_applies_and_passes_settings_to_new_processes() -> None:
    # The environment is what a fork server or a spawned worker reads at start.
    assert probe() == ["True", str(MALLOC_SETTINGS["MALLOC_MMAP_THRESHOLD_"])]


@glibc_only
def test_tune_allocator_leaves_the_users_settings_alone() -> None:
    assert probe(MALLOC_MMAP_THRESHOLD_="131072") == ["False", "131072"]
    assert probe(MALLOC_TRIM_THRESHOLD_="65536") == ["False", "None"]

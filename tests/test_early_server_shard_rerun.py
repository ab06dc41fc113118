"""No fork server at the start of a shard's re-run, nor for ``--print-config``.

``melcli mel`` forks the pool's fork server as it starts, unless OUT holds a
manifest (a re-run: most build nothing). A ``--shard`` run keeps its own
manifest part, which that test did not know: every up-to-date re-run of a
shard forked a server and killed it, 0.17 s of CPU become 0.30 s. Nor does
``--print-config`` run a pool.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from conftest import short_tones

import melcli
from melcli import _zygote

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux") or sys.version_info >= (3, 12),
    reason="the early server replaces forked workers: Linux, Python 3.11",
)


@pytest.mark.parametrize("shard", ["1/2", "0/3"])
def test_no_server_for_a_shard_re_run(tmp_path: Path, shard: str) -> None:
    src, out = tmp_path / "src", tmp_path / "out"
    short_tones(src, 4)
    argv = ["mel", str(src), "-o", str(out), "-j", "2", "--shard", shard]
    assert _zygote.wanted(argv)  # its first run
    melcli.run(src, out, jobs=1, shard=shard)  # writes its manifest part
    assert not _zygote.wanted(argv)
    # Another shard's first run still gets one.
    other = f"{(int(shard[0]) + 1) % int(shard[2])}/{shard[2]}"
    assert _zygote.wanted([*argv[:-1], other])


def test_no_server_to_print_the_settings(tmp_path: Path) -> None:
    out = str(tmp_path / "out")
    assert _zygote.wanted(["mel", "a", "-o", out, "-j", "2"])
    assert not _zygote.wanted(["mel", "a", "-o", out, "-j", "2", "--print-config"])

"""A Python caller's own code runs with its own BLAS threads during a run.

melcli's -j 1 run keeps BLAS to one thread while it computes a file (the
pool's workers do the same), and gives the caller's setting back between
files: an ``on_result`` callback (a training loop fed file by file) must
not run single-threaded for the whole run. A hold from the first file to
the last, tried for ~1% fewer instructions a Whisper file, did that.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import soundfile as sf
from conftest import tone

import melcli

threadpoolctl = pytest.importorskip("threadpoolctl")


def blas_threads() -> set[int]:
    return {
        pool["num_threads"]
        for pool in threadpoolctl.threadpool_info()
        if pool["user_api"] == "blas"
    }


def test_on_result_sees_the_callers_blas_threads(tmp_path: Path) -> None:
    if not blas_threads():
        pytest.skip("threadpoolctl sees no BLAS library in this process")
    src = tmp_path / "src"
    src.mkdir()
    for i in range(3):
        sf.write(src / f"{i}.wav", tone(sr=16000, seconds=0.5), 16000)
    seen: list[set[int]] = []
    with threadpoolctl.threadpool_limits(limits=2, user_api="blas"):
        report = melcli.run(
            [src],
            tmp_path / "out",
            jobs=1,
            on_result=lambda r: seen.append(blas_threads()),
        )
        after = blas_threads()
    assert report.count(melcli.Status.WRITTEN) == 3
    assert seen == [{2}] * 3
    assert after == {2}

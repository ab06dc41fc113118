"""The folder a run was started in deleted during the run (``rm -rf`` of it).

Its relative inputs are gone with it: each fails as not found, the run ends
with its summary, and the manifest that cannot be written any more is said
in one line. ``os.getcwd`` fails from then on: the entries of the failed
files (``os.path.abspath``) and the manifest's folder raised a traceback.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

import melcli
from melcli.report import Result, Status

SR = 8000


def _tone() -> np.ndarray:
    return (0.3 * np.sin(np.arange(SR // 2) * 0.05)).astype(np.float32)


@pytest.mark.parametrize("out", ["out", "absolute"])
def test_working_folder_deleted_mid_run_fails_the_rest_without_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, out: str
) -> None:
    here = tmp_path / "here"
    (here / "audio").mkdir(parents=True)
    for name in ("a", "b", "c"):
        sf.write(here / "audio" / f"{name}.wav", _tone(), SR)
    target = str(tmp_path / "out") if out == "absolute" else "out"
    monkeypatch.chdir(here)
    seen: list[Result] = []

    def delete_here(result: Result) -> None:
        seen.append(result)
        if len(seen) == 1:
            shutil.rmtree(here)

    report = melcli.run(["audio"], target, jobs=1, on_result=delete_here)
    # A relative OUT went with the working folder, and the array written in it
    # (test_out_deleted_mid_run_12): not counted written.
    first = Status.FAILED if out == "out" else Status.WRITTEN
    assert [r.status for r in report.results] == [first, Status.FAILED, Status.FAILED]
    assert [r.reason for r in report.results[1:]] == ["file not found"] * 2
    if out == "out":  # the manifest's folder went with the working folder
        assert report.errors == [
            "out: deleted or replaced during the run: 1 of the outputs it wrote "
            "is gone (counted failed, rebuilt by the next run)",
            "cannot write out/manifest.jsonl: no such file or directory",
        ]
    else:
        assert report.errors == []
        assert (tmp_path / "out" / "manifest.jsonl").is_file()

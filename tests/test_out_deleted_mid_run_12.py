"""OUT deleted during a run: what it took along is not counted written.

``rm -rf OUT`` in the middle of a run (an absolute OUT: the run goes on,
making it again for the next outputs) still said "99 written." and recorded
all 99 in the manifest. Now the outputs that are gone are counted failed, in
one line, and forgotten: the next run builds exactly those again.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import short_tones

import melcli
from melcli.report import Result, Status

pytestmark = pytest.mark.usefixtures("isolated")


def test_outputs_deleted_with_out_are_not_counted_written(tmp_path: Path) -> None:
    src = short_tones(tmp_path / "src", 4)
    out = tmp_path / "out"
    seen: list[Result] = []

    def on_result(result: Result) -> None:
        seen.append(result)
        if len(seen) == 2:
            shutil.rmtree(out)  # the first two outputs go with it

    report = melcli.run([src], out, jobs=1, on_result=on_result)

    kept = sorted(p.name for p in out.glob("*.npy"))
    assert len(kept) == 2
    assert report.count(Status.WRITTEN) == 2, report.summary()
    assert report.count(Status.FAILED) == 2
    failed = [r for r in report.results if r.status is Status.FAILED]
    assert {r.src.stem for r in failed} == {r.src.stem for r in seen[:2]}
    assert all("deleted during the run" in r.reason for r in failed)
    (line,) = report.errors
    assert line.startswith(f"{out}: deleted or replaced during the run: 2 of")
    again = melcli.run([src], out, jobs=1)
    assert again.count(Status.WRITTEN) == 2, again.summary()
    assert again.count(Status.UP_TO_DATE) == 2

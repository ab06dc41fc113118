"""Entries changed by another program: the run says which inputs it rebuilds.

"N entries changed by another program no longer agree ...; their inputs are
rebuilt" was said by a run that left those inputs out (``--include``) and
rebuilt none of them. Now such a run says they are rebuilt by the next run
that takes them, and a run that takes them says what it said before.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from conftest import short_tones

import melcli
from melcli import manifest_db
from melcli.report import Status

pytestmark = pytest.mark.usefixtures("isolated")


def _change(out: Path, *keys: str) -> None:
    with sqlite3.connect(out / manifest_db.STORE_NAME) as db:
        for key in keys:
            db.execute(
                "UPDATE entries SET entry = json_set(entry, '$.settings', "
                "'0000000000000000') WHERE key = ?",
                (key,),
            )
    db.close()


def _said(report: melcli.Report) -> str:
    (line,) = [w for w in report.warnings if "changed by another program" in w]
    return line


@pytest.mark.parametrize("include", ["1.wav", "0.wav"])
def test_inputs_left_out_are_not_said_rebuilt(tmp_path: Path, include: str) -> None:
    src = short_tones(tmp_path / "src", 3)
    out = tmp_path / "out"
    melcli.run([src], out, jobs=1)
    _change(out, "0.npy", "2.npy")

    report = melcli.run([src], out, jobs=1, include=include)

    line = _said(report)
    assert not line.endswith("their inputs are rebuilt"), line
    rebuilt = report.count(Status.WRITTEN)
    if rebuilt:
        assert line.endswith(
            "1 of their inputs is rebuilt now, the 1 left out of this run by the "
            "next run that takes it"
        ), line
    else:
        assert line.endswith(
            "their inputs are left out of this run: rebuilt by the next run that "
            "takes them"
        ), line
    again = melcli.run([src], out, jobs=1)
    assert again.count(Status.WRITTEN) == 2 - rebuilt, again.summary()


def test_a_run_that_takes_them_says_they_are_rebuilt(tmp_path: Path) -> None:
    src = short_tones(tmp_path / "src", 3)
    out = tmp_path / "out"
    melcli.run([src], out, jobs=1)
    _change(out, "0.npy")

    report = melcli.run([src], out, jobs=1)

    assert _said(report).endswith("; their inputs are rebuilt")
    assert report.count(Status.WRITTEN) == 1

"""``melcli gallery`` started while the first run into OUT is still going.

OUT has no manifest yet (the first run writes it at its end), and the gallery
said ``no manifest.jsonl (run 'melcli mel' into it)``, exit 1: advice to start
the run that is running. It must say what ``melcli stats`` says: another run
is writing to OUT, exit 2.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import invoke

import melcli
from melcli.outdir import OutputLock


def test_gallery_names_the_run_holding_out(tmp_path: Path) -> None:
    out = tmp_path / "features"
    out.mkdir()
    with OutputLock(out):  # as a first run holds it, before its manifest
        result = invoke("gallery", out)
        assert result.exit_code == 2
        assert "another melcli run" in result.stderr
        assert f"is writing to {out}; wait for it to finish" in result.stderr
        with pytest.raises(melcli.UsageError, match="another melcli run"):
            melcli.build_gallery(out)


def test_gallery_of_a_folder_melcli_never_wrote_says_no_manifest(
    tmp_path: Path,
) -> None:
    out = tmp_path / "features"
    out.mkdir()
    result = invoke("gallery", out)
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: {out}: no manifest.jsonl: not the output of a run; give the OUT "
        "folder a run wrote ('melcli mel SRC -o OUT' makes one)\n"
    )
    assert sorted(out.iterdir()) == []  # no lock file left in someone's folder

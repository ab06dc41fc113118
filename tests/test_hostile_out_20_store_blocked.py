"""A folder where the store or its journal goes: one honest line, run after run.

OUT is untrusted, and such a folder is not melcli's to delete: every run
fails to write the store while it is there (exit 1). But what it said was
not so: ``cannot write OUT/manifest.jsonl`` (that file was written: the run
rebuilds the store and writes the view before putting the store in place),
after a warning that the store would be rebuilt (it never is), and that
the run's outputs were kept in the journal for "the next run that can
write the manifest". ``stats``, the gallery and the loader said
"'melcli mel' rebuilds the store" (no run can), the dry run "the store
rebuilt". Now each says what is so: the store is not written while the
folder is there, and ``manifest.jsonl`` records the run.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import invoke, mel, short_tones

from melcli.manifest import JOURNAL_NAME, MANIFEST_NAME
from melcli.manifest_db import STORE_NAME

pytestmark = pytest.mark.usefixtures("isolated")

PLACES = [f"{STORE_NAME}-journal", STORE_NAME]


@pytest.mark.parametrize("name", PLACES)
def test_the_run_says_the_store_is_not_written_and_the_view_records_it(
    tmp_path: Path, name: str
) -> None:
    src = short_tones(tmp_path / "audio", n=2)
    out = tmp_path / "out"
    assert mel(src, out).exit_code == 0
    if name == STORE_NAME:
        (out / STORE_NAME).unlink()
    (out / name).mkdir()
    (src / "0.wav").write_bytes((src / "1.wav").read_bytes())  # changed

    first = mel(src, out)

    said = (
        f"error: cannot write {out / STORE_NAME}: {name} is a folder, not a file "
        f"(remove it); {MANIFEST_NAME} records this run (and is read whole by "
        "every run until then)"
    )
    assert first.exit_code == 1
    assert first.stderr.splitlines() == [said, "1 written, 1 up to date."]
    assert not (out / JOURNAL_NAME).exists()  # the view holds the run
    lines = (out / MANIFEST_NAME).read_text().splitlines()
    assert {json.loads(line)["status"] for line in lines} == {"written", "up-to-date"}

    again = mel(src, out)

    assert again.exit_code == 1
    assert again.stderr.splitlines() == [said, "0 written, 2 up to date."]
    dry = mel(src, out, "--dry-run")
    assert "rebuilt" not in dry.stderr
    assert "no store is written until then" in dry.stderr
    stats = invoke("stats", out)
    assert stats.exit_code == 0, stats.stderr
    assert "rebuilds the store" not in stats.stderr
    assert f"{name} is a folder, not a file (remove it)" in stats.stderr

    (out / name).rmdir()  # as said
    assert mel(src, out).stderr == "0 written, 2 up to date.\n"
    assert (out / STORE_NAME).is_file()

"""A huge row in the store is refused by SQLite, not loaded to learn its length.

The store is in OUT, untrusted. An entry over ``MAX_ENTRY`` was dropped, but
to find its length SQLite loaded it whole (``length(entry)`` of a text): a
crafted row of 400 MB took 450 MB in a run and 860 MB in ``melcli stats``,
up to SQLite's own limit of a gigabyte a value. Now the connection's
``SQLITE_LIMIT_LENGTH`` is a little over the cap: SQLite refuses such a
value ("too big") before it is read, the store is not read (one warning)
and a run rebuilds it from ``manifest.jsonl``.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import short_tones

import melcli
from melcli import manifest_db
from melcli.manifest import MANIFEST_NAME
from melcli.report import Status

pytestmark = pytest.mark.usefixtures("isolated")

ROW = 160 << 20  # bytes of the crafted row

#: Reads OUT as the readers do, then prints the problems and its peak RSS (KiB:
#: VmHWM, this program's own; getrusage's would count the forked parent's).
READ = """
import json, re, sys
from pathlib import Path
from melcli.manifest import Manifest
manifest = Manifest.load(Path(sys.argv[1]), read_only=True)
status = Path("/proc/self/status").read_text()
peak = int(re.search(r"VmHWM:\\s*(\\d+) kB", status).group(1))
print(json.dumps([len(manifest.entries), manifest.problems, peak]))
"""


def _crafted(tmp_path: Path) -> tuple[Path, Path]:
    src = short_tones(tmp_path / "src", 2)
    out = tmp_path / "out"
    melcli.run([src], out, jobs=1)
    db = sqlite3.connect(out / manifest_db.STORE_NAME)
    huge = json.dumps({"key": "zz.npy", "x": "y" * ROW})
    db.execute("INSERT INTO entries (key, entry) VALUES ('zz.npy', ?)", (huge,))
    db.commit()
    db.close()
    return src, out


def _read(out: Path) -> tuple[int, list[str], int]:
    done = subprocess.run(
        [sys.executable, "-c", READ, str(out)],
        capture_output=True,
        text=True,
        check=True,
    )
    entries, problems, peak = json.loads(done.stdout)
    return entries, problems, peak << 10


def test_a_reader_does_not_load_a_huge_row(tmp_path: Path) -> None:
    _, out = _crafted(tmp_path)

    entries, problems, peak = _read(out)

    assert peak < ROW * 3 // 4  # not the row in memory
    assert entries == 2  # from manifest.jsonl
    (problem,) = problems
    assert problem == (
        f"{out / manifest_db.STORE_NAME}: not read (a value of more than the 17 "
        f"MiB melcli reads); {MANIFEST_NAME} is read instead, and the store rebuilt"
    )


def test_a_run_rebuilds_the_store_without_the_row(tmp_path: Path) -> None:
    src, out = _crafted(tmp_path)

    report = melcli.run([src], out, jobs=1)

    assert report.count(Status.UP_TO_DATE) == 2
    assert (out / manifest_db.STORE_NAME).stat().st_size < 1 << 20
    assert _read(out)[:2] == (2, [])

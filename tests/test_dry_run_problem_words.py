"""``--dry-run`` says what a run would do about OUT's problems, not that it did.

It said ``manifest.jsonl is read instead, and the store rebuilt`` of an
unreadable store, and ``their inputs are rebuilt`` of dropped entries, while
it writes nothing: the store stayed as it was.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import mel, short_tones

pytestmark = pytest.mark.usefixtures("isolated")


@pytest.fixture
def out(tmp_path: Path) -> Path:
    out = tmp_path / "out"
    assert mel(short_tones(tmp_path / "audio"), out).exit_code == 0
    return out


def _warnings(result: object) -> list[str]:
    lines = result.stderr.splitlines()  # type: ignore[attr-defined]
    return [line for line in lines if line.startswith("warning:")]


def test_an_unreadable_store(out: Path, tmp_path: Path) -> None:
    store = out / ".melcli-manifest.db"
    store.write_bytes(b"not a database")
    dry = mel(tmp_path / "audio", out, "--dry-run")
    assert dry.exit_code == 0, dry.stderr
    [line] = _warnings(dry)
    assert line.endswith("manifest.jsonl is read instead (a run rebuilds the store)")
    assert store.read_bytes() == b"not a database"
    run = mel(tmp_path / "audio", out)
    [line] = _warnings(run)
    assert line.endswith("manifest.jsonl is read instead, and the store rebuilt")
    assert store.read_bytes() != b"not a database"


def test_dropped_entries(out: Path, tmp_path: Path) -> None:
    (out / ".melcli-manifest.db").unlink()
    with (out / "manifest.jsonl").open("a") as f:
        f.write('{"bad": 1}\n')
    dry = mel(tmp_path / "audio", out, "--dry-run")
    [line] = _warnings(dry)
    assert "dropped 1 invalid entry" in line
    assert line.endswith("; a run rebuilds their inputs")
    [line] = _warnings(mel(tmp_path / "audio", out))
    assert line.endswith("; their inputs are rebuilt")

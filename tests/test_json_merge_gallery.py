"""``melcli merge --json`` and ``melcli gallery --json``, for scripts and CI.

``mel``, ``info`` and ``stats`` printed what they did as JSON; ``merge`` and
``gallery`` only said it in words on stderr.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import invoke, short_tones

pytestmark = pytest.mark.usefixtures("isolated")


@pytest.fixture
def sharded(tmp_path: Path) -> tuple[Path, Path]:
    """Two shards' runs over three tones and a broken file."""
    src = short_tones(tmp_path / "audio", n=3)
    (src / "broken.wav").write_bytes(b"RIFF not really")
    out = tmp_path / "out"
    for i in (0, 1):
        invoke("mel", src, "-o", out, "-j", "1", "--shard", f"{i}/2")
    return src, out


def _statuses(out: Path) -> dict[str, int]:
    counts: dict[str, int] = {}
    for line in (out / "manifest.jsonl").read_text().splitlines():
        status = json.loads(line)["status"]
        counts[status] = counts.get(status, 0) + 1
    return counts


def test_merge(sharded: tuple[Path, Path], tmp_path: Path) -> None:
    src, out = sharded
    (src / "late.wav").write_bytes((src / "0.wav").read_bytes())  # in no shard
    result = invoke("merge", out, src, "--json")
    assert result.exit_code == 1
    found = json.loads(result.stdout)
    assert found["merged"] is True
    assert found["shards"] == found["parts"] == 2
    assert found["counts"] == _statuses(out) == {"failed": 1, "written": 3}
    assert found["inputs"] == 4
    [failure] = found["failures"]
    assert failure["path"].endswith("broken.wav")
    assert failure["reason"]
    assert found["uncovered"] == [str(src / "late.wav")]
    assert found["errors"] == []
    assert found["exit_code"] == 1
    assert "merged 2 shards" in result.stderr  # the words, as without --json


def test_merge_nothing_merged(sharded: tuple[Path, Path]) -> None:
    _, out = sharded
    (out / "manifest.shard-0001-of-0002.jsonl").unlink()
    result = invoke("merge", out, "--json")
    assert result.exit_code == 2
    found = json.loads(result.stdout)
    assert found["merged"] is False
    assert found["errors"]
    assert found["exit_code"] == 2


def test_gallery(sharded: tuple[Path, Path]) -> None:
    _, out = sharded
    assert invoke("merge", out).exit_code == 1
    result = invoke("gallery", out, "-j", "1", "--json")
    assert result.exit_code == 0, result.stderr
    found = json.loads(result.stdout)
    assert Path(found["index"]) == out / "gallery" / "index.html"
    assert (out / "gallery" / "index.html").is_file()
    assert found["inputs"] == 3
    assert found["failed"] == 1
    assert found["drawn"] == 3
    assert found["reused"] == 0
    again = json.loads(invoke("gallery", out, "-j", "1", "--json", "-q").stdout)
    assert again["drawn"] == 0
    assert again["reused"] == 3

"""The gallery's common reasons count a kind of reason once, whatever it names.

Session 25's trial: three pairs of inputs that clash (``a.wav``/``a.flac``
...) made six "common reasons", one per file, each with a count of 1.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from conftest import short_tones

import melcli


def _reasons(out: Path) -> list[list[object]]:
    html = (out / "gallery" / "index.html").read_text()
    match = re.search(
        r'<script id="melcli-data" type="application/json">(.*?)</script>', html, re.S
    )
    assert match is not None
    data = json.loads(match.group(1))
    return list(data["reasons"])


def test_clashing_pairs_are_one_common_reason(tmp_path: Path) -> None:
    src = short_tones(tmp_path / "audio", 4)
    for k in range(3):
        shutil.copy(src / f"{k}.wav", src / f"{k}.flac")
    (src / "bad one.wav").write_bytes(b"not audio" * 50)
    (src / "bad two.wav").write_bytes(b"not audio either" * 50)
    out = tmp_path / "out"
    report = melcli.run([src], out, jobs=1)
    assert len(report.failures) == 8
    melcli.build_gallery(out, jobs=1)
    reasons = _reasons(out)
    assert [n for _, n in reasons] == [6, 2]
    clash, bad = (text for text, _ in reasons)
    assert clash == "output \u2026 would also be written by \u2026"
    # Reasons that are the same words are said whole.
    (bad_reason,) = {f.reason for f in report.failures if f.src.stem.startswith("bad")}
    assert bad == bad_reason

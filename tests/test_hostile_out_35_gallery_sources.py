"""``melcli gallery`` looks at no file outside OUT that the manifest names.

The gallery linked each input's source file, if ``os.path.isfile`` found it
where the manifest says: any path a crafted manifest named (``~/.ssh/id_rsa``)
was looked up, and the page (a CI artifact, say) told whether it is there.
Without ``--read-sources`` (an OUT you trust) no source is looked up now: the
page links each as the manifest names it, and says on the card when its
player cannot play it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from conftest import invoke, mel, short_tones

import melcli

pytestmark = pytest.mark.usefixtures("isolated")


def _crafted(tmp_path: Path) -> Path:
    """An OUT whose manifest names a private file as an input's source."""
    src = short_tones(tmp_path / "src", 2)
    (tmp_path / "private").mkdir()
    secret = tmp_path / "private" / "id_rsa"
    secret.write_text("secret")
    out = tmp_path / "out"
    assert mel(src, out).exit_code == 0
    lines = (out / "manifest.jsonl").read_text().splitlines()
    entries = [json.loads(line) for line in lines]
    for entry in entries:
        if entry["key"] == "0.npy":
            entry["source_abs"] = entry["source_path"] = str(secret)
            del entry["wave"]  # as an older melcli's: --read-sources would read it
    (out / ".melcli-manifest.db").unlink()
    (out / "manifest.jsonl").write_text("".join(json.dumps(e) + "\n" for e in entries))
    return out


def test_the_gallery_looks_up_no_source_the_manifest_names(
    tmp_path: Path, looked_up: list[str]
) -> None:
    out = _crafted(tmp_path)
    looked_up.clear()
    result = invoke("gallery", out, "-j", "1")
    assert result.exit_code == 0, result.stderr
    assert looked_up == []
    report = melcli.build_gallery(out, jobs=1)
    assert report.inputs == 2
    assert looked_up == []
    assert "source file not found" not in result.stderr


def test_the_gallery_follows_no_link_of_out_to_a_file_outside(
    tmp_path: Path, looked_up: list[str]
) -> None:
    """Arrays replaced by links out of OUT: said missing, their targets not looked at.

    The gallery resolved each array's path (``os.path.realpath``: an
    ``lstat`` of every part of where a link leads) before refusing one that
    leads out of OUT, so a crafted OUT had it look up any path.
    """
    src = short_tones(tmp_path / "src", 3)
    out = tmp_path / "out"
    assert mel(src, out).exit_code == 0
    private = tmp_path / "private"
    private.mkdir()
    (private / "secret.npy").write_bytes((out / "0.npy").read_bytes())
    os.mkfifo(private / "fifo")
    for name, target in (("0.npy", "secret.npy"), ("1.npy", "fifo")):
        (out / name).unlink()
        (out / name).symlink_to(private / target)
    looked_up.clear()
    report = melcli.build_gallery(out, jobs=1)
    assert looked_up == []
    missing = sorted(name for name, why in report.input_notes if "missing" in why)
    assert missing == ["0.wav", "1.wav"], report.input_notes
    assert report.inputs == 3

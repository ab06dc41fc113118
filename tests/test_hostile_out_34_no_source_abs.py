"""An entry that records no absolute input path: --prune finds its input by its place.

An entry of an older melcli (before ``source_abs``), or one edited, records
its input's ``source`` (its path as mirrored into OUT) and ``source_path``
(relative to the folder that run was started in). Deciding which entries are
stale looked only at ``source_abs``, else at ``source_path`` as an absolute
path: such an entry was never stale, its output never pruned, its input gone
or not, run after run, without a word. Its input is now looked for where the
run's own SRC folders mirror its ``source``: gone when its folder is there
and it is not. An entry whose place no SRC of the run mirrors (another SRC
folder's, a run of two before) is still kept, as an input left out is.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import invoke, mel, short_tones


def _strip_source_abs(out: Path) -> None:
    """Rewrite OUT's manifest as an older melcli wrote it: no ``source_abs``."""
    manifest = out / "manifest.jsonl"
    entries = [json.loads(line) for line in manifest.read_text().splitlines()]
    assert all("source_abs" in e for e in entries)
    for entry in entries:
        del entry["source_abs"]
    manifest.write_text("".join(json.dumps(e) + "\n" for e in entries))


def test_prune_removes_the_output_of_a_gone_input_whose_entry_is_old(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # source_path relative to it, as usual
    src = short_tones(Path("src"), 3)
    out = Path("out")
    assert mel(src, out).exit_code == 0
    _strip_source_abs(out)
    (src / "1.wav").unlink()
    elsewhere = tmp_path / "elsewhere"  # a run from another folder, as CI's
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    result = mel(tmp_path / src, tmp_path / out, "--prune")
    monkeypatch.chdir(tmp_path)
    assert result.exit_code == 0, result.output
    assert not (out / "1.npy").exists()
    assert (out / "0.npy").exists()
    assert (out / "2.npy").exists()
    assert "1 stale output removed" in result.stderr
    lines = (out / "manifest.jsonl").read_text().splitlines()
    keys = [json.loads(line)["key"] for line in lines]
    assert keys == ["0.npy", "2.npy"]


def test_an_old_entry_of_another_src_is_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``mel A B`` then ``mel A --prune``: B's old entries are not A's to prune."""
    monkeypatch.chdir(tmp_path)
    a = short_tones(Path("a"), 2)
    b = short_tones(Path("b"), 2)
    out = Path("out")
    assert invoke("mel", a, b, "-o", out, "-j", "1").exit_code == 0
    _strip_source_abs(out)
    (a / "0.wav").unlink()
    result = mel(a, out, "--prune")  # a alone: its inputs go to OUT/, not OUT/a/
    assert result.exit_code == 0, result.output
    assert (out / "b" / "0.npy").exists()
    assert (out / "b" / "1.npy").exists()
    again = invoke("mel", a, b, "-o", out, "-j", "1", "--prune")
    assert again.exit_code == 0, again.output
    assert not (out / "a" / "0.npy").exists()  # its input gone: pruned now
    assert (out / "a" / "1.npy").exists()
    assert (out / "b" / "0.npy").exists()

"""``--prune`` with other settings after an entry was forgotten at the run's start.

A run forgets, before anything else, the entries of inputs it leaves out whose
outputs are all gone (``Manifest.vanished``) or lie under a link out of OUT
(``Manifest.astray``). Made with other settings than the run's, such an entry
was also among those ``--prune`` deletes, looked up again once forgotten:
``KeyError`` and a traceback, the manifest left as it was, so every later run
with ``--prune`` failed the same way.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import mel, short_tones

import melcli
from melcli import MelParams

pytestmark = pytest.mark.usefixtures("isolated")


def _keys(out: Path) -> list[str]:
    lines = (out / "manifest.jsonl").read_text().splitlines()
    return sorted(json.loads(line)["key"] for line in lines)


def test_prune_with_other_settings_after_an_array_of_a_left_out_input_was_deleted(
    tmp_path: Path,
) -> None:
    src = short_tones(tmp_path / "src", 3)
    out = tmp_path / "out"
    assert mel(src, out).exit_code == 0
    (out / "1.npy").unlink()  # by hand; 1.wav is left out below

    pruned = mel(src, out, "--n-mels", "64", "--include", "0.wav", "--prune")

    assert pruned.exit_code == 0, pruned.stderr
    assert "1 written, 2 skipped, 1 stale output removed." in pruned.stderr
    assert sorted(p.name for p in out.glob("*.npy")) == ["0.npy"]
    assert [k for k in _keys(out) if not k.startswith("src:")] == ["0.npy"]


def test_prune_with_other_settings_after_an_entry_under_a_link_out_of_out(
    tmp_path: Path,
) -> None:
    src = short_tones(tmp_path / "src", 2)
    out = tmp_path / "out"
    melcli.run([src], out, jobs=1)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "0.npy").write_bytes((out / "0.npy").read_bytes())
    (out / "evil").symlink_to(elsewhere)
    lines = (out / "manifest.jsonl").read_text().splitlines()
    entry = next(json.loads(line) for line in lines if '"0.npy"' in line)
    stamp = entry["stamps"]["0.npy"]
    entry.update(key="evil/0.npy", npy="evil/0.npy", stamps={"evil/0.npy": stamp})
    (out / "manifest.jsonl").write_text("\n".join([*lines, json.dumps(entry)]) + "\n")
    params = MelParams(n_mels=64)

    report = melcli.run([src], out, jobs=1, params=params, prune=True, include="1.wav")

    assert report.exit_code == 0
    assert any("evil/0.npy" in line for line in report.warnings)
    assert [k for k in _keys(out) if not k.startswith("src:")] == ["1.npy"]
    assert sorted(p.name for p in elsewhere.iterdir()) == ["0.npy"]  # not OUT's

"""``--prune``: what it deletes is said, interrupted or not, and ``--dry-run``
predicts it exactly (the same checks on the same OUT, links included)."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path
from typing import Any

import pytest
import soundfile as sf
from click.testing import Result
from conftest import invoke, tone

from melcli import outdir
from melcli.manifest import MANIFEST_NAME

pytestmark = pytest.mark.usefixtures("isolated")


def mel(src: Path, out: Path, *options: object) -> Result:
    return invoke("mel", src, "-o", out, "-j", "1", *options)


def entries(out: Path) -> list[dict[str, Any]]:
    return [json.loads(x) for x in (out / MANIFEST_NAME).read_text().splitlines()]


@pytest.fixture
def src(tmp_path: Path) -> Path:
    root = tmp_path / "src"
    for k, name in enumerate(["a", "b", "c", "d", "keep"]):
        (root / "dogs").mkdir(parents=True, exist_ok=True)
        sf.write(root / "dogs" / f"{name}.wav", tone(300.0 + 50 * k), 22050)
    return root


def test_an_interrupted_prune_says_what_it_had_deleted(
    src: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    assert mel(src, out, "--png").exit_code == 0
    for name in "abcd":
        (src / "dogs" / f"{name}.wav").unlink()
    removing = outdir.remove_files
    calls = []

    def ctrl_c_on_the_second(paths: Any) -> list[Path]:
        # A real SIGINT, while the second input's files are being deleted.
        calls.append(1)
        if len(calls) == 2:
            os.kill(os.getpid(), signal.SIGINT)
        return removing(paths)

    monkeypatch.setattr(outdir, "remove_files", ctrl_c_on_the_second)
    result = mel(src, out, "--prune", "-v")

    assert result.exit_code == 130
    gone = [out / "dogs" / f"{n}.{ext}" for n in "ab" for ext in ("npy", "png")]
    removed = [f"removed stale {p}" for p in gone]
    assert [x for x in result.stderr.splitlines() if x.startswith("removed")] == (
        removed
    )
    assert result.stderr.splitlines()[-1] == (
        "interrupted: 0 written, 2 stale outputs removed. Run again to finish."
    )
    assert not any(p.exists() for p in gone)
    assert (out / "dogs" / "c.npy").is_file()
    # The manifest says so: what was deleted is forgotten, the rest is not.
    keys = {e["key"] for e in entries(out)}
    assert keys == {"dogs/c.npy", "dogs/d.npy", "dogs/keep.npy"}

    monkeypatch.setattr(outdir, "remove_files", removing)
    again = mel(src, out, "--prune", "--json")
    assert again.exit_code == 0, again.stderr
    summary = json.loads(again.stdout)
    assert summary["pruned"] == [
        str(out / "dogs" / f"{n}.{ext}") for n in "cd" for ext in ("npy", "png")
    ]
    assert again.stderr.splitlines()[-1] == (
        "0 written, 1 up to date, 2 stale outputs removed."
    )

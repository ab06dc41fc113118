"""Stale outputs are counted as files left in OUT, as ``--prune`` finds them.

An input gone whose outputs had been deleted too (a person tidying both by
hand) was still counted: ``2 stale outputs (--prune removes them)`` on every
run, though ``--prune --dry-run`` would delete one file and ``--prune`` said
``1 stale output removed``; the same for the outputs of inputs left out that
were made with other settings. An entry none of whose outputs is left is now
forgotten, as one of an input that had failed (nothing on disk) always was.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import soundfile as sf
from click.testing import Result
from conftest import invoke, tone

from melcli.manifest import MANIFEST_NAME

pytestmark = pytest.mark.usefixtures("isolated")


def mel(src: Path, out: Path, *options: object) -> Result:
    return invoke("mel", src, "-o", out, "-j", "1", *options)


def keys(out: Path) -> list[str]:
    lines = (out / MANIFEST_NAME).read_text().splitlines()
    return sorted(json.loads(line)["key"] for line in lines)


@pytest.fixture
def src(tmp_path: Path) -> Path:
    root = tmp_path / "src"
    (root / "sub").mkdir(parents=True)
    for k, name in enumerate(["a", "b", "c", "sub/d"]):
        sf.write(root / f"{name}.wav", tone(300.0 + 50 * k), 22050)
    return root


def test_an_input_gone_with_its_outputs_is_no_stale_output(
    src: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    assert mel(src, out, "--png").exit_code == 0
    for name in ("a.wav", "b.wav", "sub/d.wav"):
        (src / name).unlink()
    for name in ("a.npy", "a.png", "sub/d.npy", "sub/d.png"):
        (out / name).unlink()
    (out / "sub").rmdir()

    dry = mel(src, out, "--png", "--dry-run")
    assert dry.stdout == f"stale {out / 'b.npy'}: its input is gone\n"
    ran = mel(src, out, "--png")
    assert ran.stderr.splitlines()[-1] == (
        "0 written, 1 up to date, 1 stale output (--prune removes them)."
    )
    assert keys(out) == ["b.npy", "c.npy"]  # nothing of a or d is left to tell
    pruned = mel(src, out, "--png", "--prune")
    assert pruned.stderr.splitlines()[-1] == (
        "0 written, 1 up to date, 1 stale output removed (2 files)."
    )


def test_outputs_of_other_settings_are_counted_as_they_are_left(
    src: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    assert mel(src, out, "--n-mels", "64").exit_code == 0
    (out / "c.npy").unlink()  # the output of an input the next run leaves out

    for dry in ("--dry-run", None):
        ran = mel(src, out, "--include", "a*", *([dry] if dry else []))
        assert "outputs of 2 inputs made with other settings" in ran.stderr
    assert "c.npy" not in keys(out)

"""The summary's note on stale outputs agrees in number: it, or them."""

from __future__ import annotations

from pathlib import Path

from conftest import mel, short_tones


def test_one_stale_output_is_it_and_two_are_them(tmp_path: Path) -> None:
    src = short_tones(tmp_path / "audio", n=4)
    out = tmp_path / "out"
    assert mel(src, out).exit_code == 0
    (src / "0.wav").unlink()
    one = mel(src, out)
    assert one.stderr.splitlines()[-1] == (
        "0 written, 3 up to date, 1 stale output (--prune removes it)."
    )
    plan = mel(src, out, "--dry-run")
    assert plan.stderr.splitlines()[-1] == (
        "0 to build, 3 up to date, 1 stale output (--prune removes it) "
        "(dry run: nothing written, nothing decoded)."
    )
    (src / "1.wav").unlink()
    two = mel(src, out)
    assert two.stderr.splitlines()[-1] == (
        "0 written, 2 up to date, 2 stale outputs (--prune removes them)."
    )

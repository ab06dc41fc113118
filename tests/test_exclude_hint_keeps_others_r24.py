"""The clash hint's ``--exclude '*.EXT'`` leaves out no input that does not clash.

One ``a.flac`` beside a folder of WAVs (``a.wav``, ``b.wav``, ``c.wav``): the
hint said ``--exclude '*.wav'``, and the run it suggests took ``a.flac``
alone, every other WAV left out. It now suggests an extension only clashing
inputs have, or none when each extension has others.
"""

from __future__ import annotations

from pathlib import Path

import soundfile as sf
from conftest import invoke, mel, tone

from melcli.hints import shared_output_hint

REASON = "output OUT/x.npy would also be written by x"


def clips(root: Path, names: list[str]) -> Path:
    for k, rel in enumerate(names):
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        sf.write(path, tone(300.0 + 50 * k, sr=8000, seconds=0.2), 8000)
    return root


def hint_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if "same name" in line]


def test_the_suggested_run_keeps_the_inputs_that_do_not_clash(tmp_path: Path) -> None:
    names = ["d/a.wav", "d/a.flac", "d/b.wav", "d/c.wav"]
    src = clips(tmp_path / "audio", names)
    out = tmp_path / "out"
    result = mel(src, out)
    assert result.exit_code == 1
    (hint,) = hint_lines(result.stderr)
    assert hint.endswith("such as with --exclude '*.flac', or rename them"), hint
    plan = invoke("mel", src, "-o", out, "--dry-run")
    assert hint_lines(plan.stderr) == [hint]
    # The run it suggests: every WAV written, nothing failing.
    fixed = mel(src, out, "--exclude", "*.flac")
    assert fixed.exit_code == 0, fixed.stderr
    assert sorted(p.name for p in (out / "d").glob("*.npy")) == [
        "a.npy",
        "b.npy",
        "c.npy",
    ]


def test_the_lossy_copy_is_still_the_one_left_out_when_it_is_safe() -> None:
    failures = [(Path("x/a.wav"), REASON), (Path("x/a.mp3"), REASON)]
    hint = shared_output_hint(failures, taken=lambda: [Path("x/b.wav")])
    assert hint is not None
    assert "--exclude '*.mp3'" in hint

"""A dataset of ``.m4a`` files on a machine without ffmpeg: one cause, said once.

Every file fails with the same words (``MP4/AAC audio needs ffmpeg, which is
not installed (install it: ...)``): VoxCeleb2's million clips gave a million
such lines. The machine is at fault, not the files: three are shown, the rest
counted in one line; ``-v`` shows each, the manifest records each. A file that
fails for its own reason is still named, whatever the others.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import invoke

pytestmark = pytest.mark.skipif(
    shutil.which("ffmpeg") is None, reason="ffmpeg is not installed (make tools)"
)

N = 7
NEEDS = (
    "MP4/AAC audio needs ffmpeg, which is not installed (install it: apt install "
    "ffmpeg, brew install ffmpeg, or conda install ffmpeg)"
)


def m4a_clips(root: Path) -> Path:
    root.mkdir()
    for k in range(N):
        subprocess.run(
            [
                "ffmpeg", "-loglevel", "error", "-f", "lavfi",
                "-i", f"sine=frequency={300 + 50 * k}:duration=0.2",
                "-c:a", "aac", str(root / f"{k}.m4a"),
            ],
            check=True,
        )  # fmt: skip
    (root / "junk.wav").write_text("<html>not audio</html>")
    return root


def test_a_missing_decoder_is_said_for_three_files_then_counted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = m4a_clips(tmp_path / "audio")
    nobin = tmp_path / "nobin"
    nobin.mkdir()
    monkeypatch.setenv("PATH", str(nobin))
    out = tmp_path / "out"
    result = invoke("mel", src, "-o", out, "-j", "1")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"error: {src / '0.m4a'}: {NEEDS}",
        f"error: {src / '1.m4a'}: {NEEDS}",
        f"error: {src / '2.m4a'}: {NEEDS}",
        f"error: {src / 'junk.wav'}: not an audio file (format not recognised)",
        f"error: {N - 3} more files failed the same way (such as: {NEEDS}); -v "
        "lists each, and the manifest records every file's reason",
        f"0 written, {N + 1} failed.",
    ]
    verbose = invoke("mel", src, "-o", out, "-j", "1", "-v")
    errors = [line for line in verbose.stderr.splitlines() if NEEDS in line]
    assert len(errors) == N
    info = invoke("info", src)
    assert info.exit_code == 1
    assert info.stderr.splitlines()[-1] == (
        f"error: {N - 3} more files failed the same way (such as: {NEEDS}); "
        "-v lists each"
    )

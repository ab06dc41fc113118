"""``melcli info``: every failure folded is counted, whenever it came.

With a list none of whose files is found, the count of the folded failures was
said before the files were probed: the failures of a decoder not installed
that came after it (``.m4a`` files under SRC, on a machine without ffmpeg)
were shown for three files and the others never said, not even counted.
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

N = 5


def test_decoder_failures_after_a_list_not_found_are_counted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = tmp_path / "audio"
    src.mkdir()
    for k in range(N):
        subprocess.run(
            [
                "ffmpeg", "-loglevel", "error", "-f", "lavfi",
                "-i", f"sine=frequency={300 + 50 * k}:duration=0.2",
                "-c:a", "aac", str(src / f"{k}.m4a"),
            ],
            check=True,
        )  # fmt: skip
    table = tmp_path / "meta.csv"
    table.write_text("path\n" + "".join(f"gone{k}.wav\n" for k in range(N)))
    nobin = tmp_path / "nobin"
    nobin.mkdir()
    monkeypatch.setenv("PATH", str(nobin))
    result = invoke("info", src, "--files-from", table)
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    named = [line for line in lines if "m4a: MP4/AAC audio needs ffmpeg" in line]
    counted = [line for line in lines if line.startswith(f"error: {N - 3} more")]
    assert len(named) == 3
    assert len(counted) == 2, lines  # the list's and the decoder's
    assert any("needs ffmpeg" in line for line in counted)
    assert lines[-1].startswith(f"warning: no file listed in {table} was found")

"""``melcli info``: every failure folded is counted, whenever it came.

With a list none of whose files is found, the count of the folded failures was
said before the files were probed: the failures of a decoder not installed
that came after it (``.m4a`` files under SRC, on a machine without ffmpeg)
were shown for three files and the others never said, not even counted.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import invoke
from test_missing_decoder_folded import NEEDS, N, m4a_clips, pytestmark  # noqa: F401


def test_decoder_failures_after_a_list_not_found_are_counted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = m4a_clips(tmp_path / "audio")  # N clips, and junk.wav
    table = tmp_path / "meta.csv"
    table.write_text("path\n" + "".join(f"gone{k}.wav\n" for k in range(N)))
    nobin = tmp_path / "nobin"
    nobin.mkdir()
    monkeypatch.setenv("PATH", str(nobin))
    result = invoke("info", src, "--files-from", table)
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert sum(NEEDS in line and ".m4a: " in line for line in lines) == 3
    assert f"error: {src / 'junk.wav'}: not an audio file" in result.stderr
    counted = [line for line in lines if line.startswith(f"error: {N - 3} more")]
    assert len(counted) == 2, lines  # the list's and the decoder's
    assert any(NEEDS in line for line in counted)
    assert lines[-1].startswith(f"warning: no file listed in {table} was found")

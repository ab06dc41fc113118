"""The gallery's summary line counts failed and skipped inputs apart, as a run does.

It said ``3 failed or skipped`` where the run it shows said ``1 skipped, 2
failed.`` (and its page, ``2 failed 1 skipped``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from conftest import invoke, tone

import melcli

pytestmark = pytest.mark.usefixtures("isolated")


def test_failed_and_skipped_are_counted_apart(tmp_path: Path) -> None:
    src = tmp_path / "audio"
    src.mkdir()
    sf.write(src / "long.wav", tone(sr=8000, seconds=1.0), 8000)
    sf.write(src / "short.wav", np.zeros(400, np.float32), 8000)  # 0.05 s
    (src / "bad.wav").write_text("not audio")
    (src / "worse.wav").write_text("not audio either")
    out = tmp_path / "out"
    run = invoke("mel", src, "-o", out, "-j", "1", "--min-duration", "0.5")
    assert run.stderr.splitlines()[-1] == "1 written, 1 skipped, 2 failed."
    result = invoke("gallery", out, "-j", "1")
    assert result.exit_code == 0
    assert "1 input in 1 group, 2 failed, 1 skipped; " in result.stderr
    report = melcli.build_gallery(out, jobs=1)
    assert (report.failed, report.skipped, report.problems) == (2, 1, 3)

"""A gallery's progress starts before its first page, and counts inputs.

``build_gallery`` called ``progress`` only after each page was drawn, so the
command's bar and its log lines started their clock when the first page was
already done: that page's time was left out of the rate and of the time left
(a 5-input gallery of 1-input pages started at "2/5 ... 1253.9 files/s").
The lines also said "files" where the gallery counts inputs.
"""

from __future__ import annotations

from pathlib import Path

from conftest import short_tones

import melcli
from melcli.report import Progress


def test_progress_is_called_before_the_first_page(tmp_path: Path) -> None:
    src = short_tones(tmp_path / "audio", 3)
    out = tmp_path / "out"
    melcli.run([src], out, jobs=1)
    calls: list[tuple[int, int]] = []
    melcli.build_gallery(
        out, jobs=1, page_size=1, progress=lambda d, t: calls.append((d, t))
    )
    assert calls == [(0, 3), (1, 3), (2, 3), (3, 3)]


def test_a_gallery_progress_line_counts_inputs() -> None:
    now = [0.0]
    progress = Progress(total=4, interval=1.0, clock=lambda: now[0], unit="inputs")
    now[0] = 2.0
    assert progress.update(2) == (
        "progress: 2/4 inputs (50%), 1.0 inputs/s, 2s elapsed, about 2s left"
    )

"""A real run's manifest entry fits under the cap on what is read from OUT.

``manifest_db.MAX_ENTRY`` bounds what a run reads of a store row, a line of
``manifest.jsonl`` or of the journal: a longer one is taken as crafted,
dropped unread and its input rebuilt. An entry melcli writes itself must
never be that long, or a long recording cut into ``--segment-layout files``
would be rebuilt by every run. The cap was 1 MiB at first: a 12-hour
recording in 1-s segments makes an entry of some 2.3 MB.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import soundfile as sf
from conftest import mel, tone

from melcli import manifest_db

pytestmark = pytest.mark.usefixtures("isolated")

NAME = "field_recording_2026-12-05_site-north"  # a long, realistic name
SR = 16000


def _entry_length(tmp_path: Path, seconds: int) -> int:
    src, out = tmp_path / f"src{seconds}", tmp_path / f"out{seconds}"
    src.mkdir()
    sf.write(src / f"{NAME}.wav", tone(sr=SR, seconds=seconds), SR)
    result = mel(src, out, "--segment", "1", "--segment-layout", "files")
    assert result.exit_code == 0, result.stderr
    (line,) = (out / "manifest.jsonl").read_text().splitlines()
    assert len(json.loads(line)["stamps"]) == seconds
    return len(line.encode())


def test_a_twelve_hour_recording_in_one_second_segments_fits(tmp_path: Path) -> None:
    short, long = _entry_length(tmp_path, 120), _entry_length(tmp_path, 240)
    per_segment = (long - short) / 120
    # 43 200 segments: their names have 5 digits, not 3 (2 bytes more each).
    twelve_hours = short + (per_segment + 2) * (43_200 - 120)
    assert twelve_hours < manifest_db.MAX_ENTRY


def test_a_long_segmented_input_is_up_to_date_on_the_next_run(tmp_path: Path) -> None:
    src, out = tmp_path / "src", tmp_path / "out"
    src.mkdir()
    sf.write(src / f"{NAME}.wav", tone(sr=SR, seconds=60), SR)
    assert mel(src, out, "--segment", "1", "--segment-layout", "files").exit_code == 0

    again = mel(src, out, "--segment", "1", "--segment-layout", "files")

    assert again.exit_code == 0, again.stderr
    assert again.stderr.splitlines()[-1] == "0 written, 1 up to date."

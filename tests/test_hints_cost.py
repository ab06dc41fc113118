"""The hints said after a run make no result of the inputs found up to date.

A re-run of 100 000 up-to-date inputs records each as its path only (the
report makes a ``Result`` when asked for every one): the hints look at the
skipped and failed results, which are few, and at every result only when a
file passed over may hold audio (to name the extensions taken).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from melcli import report as report_module
from melcli.cli.hints import run_hints
from melcli.discover import DEFAULT_EXTENSIONS
from melcli.report import Report, Result, Status


@pytest.fixture
def no_results_made(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(src: str) -> Result:
        raise AssertionError(f"made the result of {src}, up to date")

    monkeypatch.setattr(report_module, "up_to_date_result", refuse)


def a_rerun(*skipped: str) -> Report:
    report = Report()
    report.add_all_up_to_date([f"audio/{k}.wav" for k in range(1000)])
    for name in skipped:
        report.add(
            Result(
                src=Path(name), status=Status.SKIPPED, reason="not an audio extension"
            )
        )
    return report


@pytest.mark.usefixtures("no_results_made")
def test_a_rerun_with_files_passed_over_makes_no_result() -> None:
    report = a_rerun("audio/README.md", "audio/meta.csv")
    hints = run_hints(report, include=(), sources=(), extensions=DEFAULT_EXTENSIONS)
    assert hints == []  # and nothing said: 1000 inputs were taken


def test_a_file_that_may_hold_audio_reads_the_extensions_taken() -> None:
    report = a_rerun("audio/clip.mp4")
    hints = run_hints(report, include=(), sources=(), extensions=DEFAULT_EXTENSIONS)
    assert hints == [
        "1 file passed over by its extension (mp4) may hold audio, which melcli "
        "decodes: to take it too, give --ext mp4,wav"
    ]

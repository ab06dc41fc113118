"""The hints said after a run do not look at every input's result.

A re-run of 100 000 up-to-date inputs records each as its path only (the
report makes a ``Result`` of each when asked for all): the hints look at the
skipped results the console kept as they came, and at the failed, which are
few; at every result only when a file passed over may hold audio (to name
the extensions taken).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from melcli import report as report_module
from melcli.discover import DEFAULT_EXTENSIONS
from melcli.hints import run_hints
from melcli.report import Report, Result, Status


@pytest.fixture
def no_look_at_every_result(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object) -> Result:
        raise AssertionError(f"looked at every result: {args}")

    def with_status(self: Report, status: Status) -> list[Result]:
        if self.count(status):  # none: said at once, without a look
            refuse(status)
        return []

    monkeypatch.setattr(report_module, "up_to_date_result", refuse)
    monkeypatch.setattr(Report, "with_status", with_status)


def a_rerun(*skipped: str) -> tuple[Report, list[Result]]:
    report = Report()
    report.add_all_up_to_date([f"audio/{k}.wav" for k in range(1000)])
    passed = [
        Result(src=Path(name), status=Status.SKIPPED, reason="not an audio extension")
        for name in skipped
    ]
    for result in passed:
        report.add(result)
    return report, passed


def hints_of(report: Report, passed: list[Result]) -> list[str]:
    return run_hints(
        report, passed, include=(), sources=(), extensions=DEFAULT_EXTENSIONS
    )


@pytest.mark.usefixtures("no_look_at_every_result")
def test_a_rerun_with_files_passed_over_looks_at_those_only() -> None:
    report, passed = a_rerun("audio/README.md", "audio/meta.csv")
    assert hints_of(report, passed) == []  # and nothing said: 1000 were taken


def test_a_file_that_may_hold_audio_reads_the_extensions_taken() -> None:
    report, passed = a_rerun("audio/clip.mp4")
    assert hints_of(report, passed) == [
        "1 file passed over by its extension (mp4) may hold audio, which melcli "
        "decodes: to take it too, give --ext mp4,wav"
    ]

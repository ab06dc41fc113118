"""The garbage collector paused for the command's start-up runs again for its work."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import short_tones

import melcli
from melcli import _collector
from melcli.report import Result

pytestmark = pytest.mark.usefixtures("isolated")


@pytest.fixture(autouse=True)
def collector_restored() -> Iterator[None]:
    """Leave the collector as it was: on, nothing frozen, nothing paused."""
    yield
    _collector._paused = False
    gc.unfreeze()
    gc.enable()


def test_a_run_starts_the_collector_paused_for_start_up(tmp_path: Path) -> None:
    src = short_tones(tmp_path / "src")
    on_while_running: list[bool] = []

    def on_result(result: Result) -> None:
        on_while_running.append(gc.isenabled())

    _collector.pause()
    assert not gc.isenabled()
    report = melcli.run(src, tmp_path / "out", jobs=1, on_result=on_result)
    assert report.summary() == "3 written."
    # On while the files were done, and after; start-up's objects frozen.
    assert on_while_running == [True, True, True]
    assert gc.isenabled()
    assert gc.get_freeze_count() > 0


def test_a_run_without_the_pause_leaves_the_collector_alone(tmp_path: Path) -> None:
    src = short_tones(tmp_path / "src")
    melcli.run(src, tmp_path / "out", jobs=1)
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0


def test_a_collector_stopped_by_its_program_stays_stopped(tmp_path: Path) -> None:
    # A program using the API that runs without the collector keeps it so,
    # even if it stopped it before pause() was called.
    gc.disable()
    _collector.pause()
    _collector.resume()
    assert not gc.isenabled()
    src = short_tones(tmp_path / "src")
    melcli.run(src, tmp_path / "out", jobs=1)
    assert not gc.isenabled()
    assert gc.get_freeze_count() == 0

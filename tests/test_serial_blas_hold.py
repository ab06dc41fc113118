"""A ``-j 1`` run sets BLAS's one-thread limit once, not once a file, and restores it.

Each file's mel product runs on one BLAS thread (reproducible rounding). A run
in its own process used to set the limit and restore it around every file
(threadpoolctl's look at every library, twice a file); it now holds it from
its first file to its last (bench/README.md, issue 19, "twenty-ninth round").
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile as sf
from conftest import tone

import melcli
from melcli import transform

FILES = 5


@pytest.fixture
def src(tmp_path: Path) -> Path:
    folder = tmp_path / "src"
    folder.mkdir()
    for i in range(FILES):
        sf.write(folder / f"t{i}.wav", tone(220.0 * (i + 1), sr=16000), 16000)
    return folder


def counted_limits(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count the BLAS limits entered (their ``limits`` arguments), as made."""
    controller = transform._blas_controller()
    made: list[int] = []
    real = controller.limit

    def limit(*args: Any, **kwargs: Any) -> Any:
        made.append(kwargs.get("limits", args[0] if args else None))
        return real(*args, **kwargs)

    monkeypatch.setattr(controller, "limit", limit)
    monkeypatch.setattr(transform, "_ONE_THREAD_FOR_GOOD", False)
    return made


def test_a_serial_run_sets_the_blas_limit_once(
    src: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = counted_limits(monkeypatch)
    report = melcli.run(
        src, tmp_path / "out", jobs=1, params=melcli.preset_params("whisper")
    )
    assert report.summary() == f"{FILES} written."
    assert made == [1]  # one limit of one thread for the FILES files
    assert getattr(transform, "_HELD", 0) == 0  # the hold ended with the run


def test_the_arrays_match_those_made_one_by_one(
    src: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Held for the run or set for each call, the same numbers.
    monkeypatch.setattr(transform, "_ONE_THREAD_FOR_GOOD", False)
    melcli.run(src, tmp_path / "out", jobs=1, params=melcli.preset_params("whisper"))
    params = melcli.preset_params("whisper")
    for wav in sorted(src.iterdir()):
        alone = melcli.mel_spectrogram(wav, params=params)
        written = np.load(tmp_path / "out" / wav.with_suffix(".npy").name)
        assert np.array_equal(written, alone)


def test_the_limit_is_restored_after_the_run(
    src: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(transform, "_ONE_THREAD_FOR_GOOD", False)
    before = [
        (c.filepath, c.num_threads)
        for c in transform._blas_controller().lib_controllers
        if c.user_api == "blas"
    ]
    melcli.run(src, tmp_path / "out", jobs=1, params=melcli.preset_params("whisper"))
    after = [
        (c.filepath, c.num_threads)
        for c in transform._blas_controller().lib_controllers
        if c.user_api == "blas"
    ]
    assert after == before
    assert getattr(transform, "_HELD", 0) == 0

"""Kaldi's empty mel filter is the settings' warning, said once, whatever the workers.

Seen in a newcomer's first run, ``melcli mel audio/ -o ast/ --preset ast`` on
two CPUs: ``warning: audio/dogs/bark1.wav: 1 of 128 Kaldi mel filters holds no
FFT bin ...`` for the first file of each worker, though the preset's own filter
is meant to be silent (``melcli presets ast``), and without the preset the same
warning once for the settings and again per worker. Workers that do not inherit
the run's filterbank (forked from the fork server the command starts with, or
a fork server's on Python 3.12) compute it first, quietly
(:func:`melcli.runners._warm_up`): the mel basis was computed so, Kaldi's
filterbank was not.
"""

from __future__ import annotations

import os
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
import soundfile as sf
from conftest import REPO, RUN_LIMIT, speechlike

import melcli
from melcli import MelParams, fbank, runners

SR = 16000
EMPTY = "Kaldi mel filters holds no FFT bin"


def _fbank_128() -> MelParams:
    """AST's filters chosen without the preset: bin 3 holds no FFT bin."""
    return MelParams(kind="fbank", sr=SR, num_mel_bins=128, window_type="hanning")


@pytest.mark.parametrize(
    "params",
    [_fbank_128(), melcli.preset_params("ast")],
    ids=["fbank-128", "preset-ast"],
)
def test_a_workers_warm_up_computes_kaldis_filterbank_quietly(
    params: MelParams,
) -> None:
    fbank._filters.cache_clear()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        runners._warm_up(params)
    assert [str(w.message) for w in caught] == []
    # A file's own computation then finds the filters made: it warns of nothing.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fbank.filters(float(SR), params=params)
    assert [str(w.message) for w in caught] == []


def test_a_warm_up_leaves_settings_no_frame_fits_to_each_file() -> None:
    # 1 ms at 100 Hz is no sample: each file fails saying so; the worker lives.
    params = MelParams(kind="fbank", sr=100, frame_length=1.0, num_mel_bins=2)
    with pytest.raises(melcli.MelcliError, match="at least one sample"):
        fbank.frame_samples(100, params)
    runners._warm_up(params)


def _first_run(tmp_path: Path, *options: str) -> subprocess.CompletedProcess[str]:
    """``melcli mel SRC -o OUT -j 2 OPTIONS`` as a user types it, into a new OUT."""
    src = tmp_path / "audio"
    src.mkdir()
    for i in range(4):
        sf.write(src / f"clip{i}.wav", speechlike(22050, seconds=0.5, seed=i), 22050)
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    command = [sys.executable, "-m", "melcli", "mel", str(src), "-o", str(out)]
    return subprocess.run(
        [*command, "-j", "2", *options],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=RUN_LIMIT,
    )


@pytest.mark.slow
def test_the_ast_preset_warns_of_nothing_in_a_first_run_with_workers(
    tmp_path: Path,
) -> None:
    result = _first_run(tmp_path, "--preset", "ast")
    assert result.returncode == 0, result.stderr
    assert EMPTY not in result.stderr
    assert result.stderr.strip().splitlines()[-1] == "4 written."


@pytest.mark.slow
def test_the_empty_filter_is_said_once_for_the_settings_with_workers(
    tmp_path: Path,
) -> None:
    options = ["--kind", "fbank", "--sr", str(SR), "--num-mel-bins", "128"]
    result = _first_run(tmp_path, *options)
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stderr.splitlines() if EMPTY in line]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("warning: settings: 1 of 128 Kaldi mel filters")

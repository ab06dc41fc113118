"""The Python API says and refuses what ``melcli mel`` says and refuses.

The command is a thin layer over :func:`melcli.run`: a missing SRC, a
setting the chosen kind does not read, ``--stats``: each is found by the
library, in its words, and the command only formats it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import invoke, short_tones

import melcli
from melcli import ParameterError


@pytest.mark.parametrize(
    ("name", "said"),
    [
        ("missing.wav", "Path 'missing.wav' does not exist."),
        ("missing/", "Path 'missing/' does not exist."),
        ("loop", "Path 'loop' is a symbolic link loop."),
        (
            "dangling.wav",
            "Path 'dangling.wav' is a symbolic link to 'nowhere.wav', which does "
            "not exist.",
        ),
    ],
)
def test_a_missing_src_is_refused_by_the_api_as_by_the_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, said: str
) -> None:
    monkeypatch.chdir(tmp_path)
    short_tones(tmp_path / "audio")
    os.symlink("loop", "loop")
    os.symlink("nowhere.wav", "dangling.wav")
    # The API refused nothing: the run went on, the name a failed "file not found".
    with pytest.raises(ParameterError) as caught:
        melcli.run(["audio", name], "out")
    assert caught.value.param == "sources"
    assert str(caught.value) == said
    with pytest.raises(ParameterError, match=r"^Path 'missing\.wav' does not exist"):
        melcli.run(["audio", "missing.wav"], "out", dry_run=True)
    assert not Path("out").exists()
    with pytest.raises(ParameterError) as caught:
        melcli.info(["audio", name])
    assert str(caught.value) == said
    # The command says the same words, formatted as a usage error.
    result = invoke("mel", "audio", name, "-o", "out")
    assert result.exit_code == 2
    assert f"Error: Invalid value for '[SRC]...': {said}\n" in result.stderr
    assert not Path("out").exists()


def test_settings_the_kind_does_not_read_are_warned_of_by_the_api(
    tmp_path: Path,
) -> None:
    src = short_tones(tmp_path / "audio")
    params = melcli.MelParams(kind="fbank", n_mels=64, fmin=20.0, pad="repeat")
    said = [
        "pad='repeat' does nothing without clip_duration",
        "n_mels=64 does not apply to kind='fbank'; use num_mel_bins",
        "fmin=20.0 does not apply to kind='fbank'; use low_freq",
    ]
    plan = melcli.run(src, tmp_path / "out", params=params, dry_run=True)
    assert plan.warnings[:3] == said
    report = melcli.run(src, tmp_path / "out", params=params, jobs=1)
    assert report.warnings[:3] == said
    assert report.exit_code == 0
    # The command says the same of its options, in its spelling.
    result = invoke(
        *("mel", src, "-o", tmp_path / "out2", "-j", "1", "--kind", "fbank"),
        *("--n-mels", "64", "--fmin", "20", "--pad", "repeat"),
    )
    assert result.exit_code == 0
    assert [line for line in result.stderr.splitlines() if "warning:" in line][:3] == [
        "warning: --pad does nothing without --clip-duration",
        "warning: --n-mels does not apply to --kind fbank; use --num-mel-bins",
        "warning: --fmin does not apply to --kind fbank; use --low-freq",
    ]


def test_png_and_shard_settings_a_run_does_not_read_are_warned_of(
    tmp_path: Path,
) -> None:
    from melcli.params import RenderParams

    src = short_tones(tmp_path / "audio")
    report = melcli.run(
        src,
        tmp_path / "out",
        params=melcli.MelParams(kind="stft", n_mels=64),
        render=RenderParams(waveform=True),
        shard_size="1MB",
        jobs=1,
    )
    assert report.warnings[:3] == [
        "render.waveform=True does nothing without png=True",
        "shard_size='1MB' does nothing without storage_format='webdataset'",
        "n_mels=64 does not apply to kind='stft' (only to kind mel, mfcc)",
    ]
    # Settings the run reads, or left at their defaults, are not named.
    report = melcli.run(
        src,
        tmp_path / "out3",
        params=melcli.preset_params("whisper"),
        render=RenderParams(waveform=True),
        png=True,
        jobs=1,
    )
    assert report.warnings == []


def test_run_with_stats_returns_the_statistics_it_wrote(tmp_path: Path) -> None:
    import numpy as np

    src = short_tones(tmp_path / "audio")
    out = tmp_path / "out"
    report = melcli.run(src, out, stats=True, jobs=1)
    # The command prints "wrote OUT/stats.npz: 128 bands, N frames from 3
    # arrays"; the API gave nothing back but the file.
    stats = report.stats
    assert stats is not None
    assert len(stats.files) == len(report.results) == 3
    with np.load(out / "stats.npz") as saved:
        assert stats.count == int(saved["count"])
        np.testing.assert_array_equal(stats.mean, saved["mean"])
        np.testing.assert_array_equal(stats.std, saved["std"])
    # Without stats, or with no array to take them over: none.
    assert melcli.run(src, out, jobs=1).stats is None
    empty = tmp_path / "empty"
    empty.mkdir()
    report = melcli.run(empty, tmp_path / "out2", stats=True, jobs=1)
    assert report.stats is None
    assert "no arrays: stats.npz not written" in report.warnings


def test_merge_refuses_a_missing_source_as_the_command_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    short_tones(tmp_path / "audio", 2)
    for shard in ("0/2", "1/2"):
        assert melcli.run("audio", "out", shard=shard, jobs=1).exit_code == 0
    # merge(sources=["gone"]) listed it as an input no shard covered.
    with pytest.raises(ParameterError) as caught:
        melcli.merge("out", sources=["gone"])
    assert (caught.value.param, str(caught.value)) == (
        "sources",
        "Path 'gone' does not exist.",
    )
    result = invoke("merge", "out", "gone")
    assert result.exit_code == 2
    assert "Error: Invalid value for '[SRC]...': Path 'gone' does not exist.\n" in (
        result.stderr
    )
    # One path alone is one source, not its letters.
    report = melcli.merge("out", sources="audio")
    assert (report.written, report.uncovered) == (True, [])


def test_a_kind_a_preset_chose_is_said_to_come_from_it(tmp_path: Path) -> None:
    src = short_tones(tmp_path / "audio", 1)
    result = invoke(
        *("mel", src, "-o", tmp_path / "out", "--dry-run"),
        *("--preset", "ast", "--n-mels", "64"),
    )
    assert result.exit_code == 0
    # It said "--kind fbank", which the user had not typed.
    assert (
        "warning: --n-mels does not apply to --kind fbank (from --preset ast); use "
        "--num-mel-bins"
    ) in result.stderr.splitlines()
    # The API's settings are one MelParams: its kind is said as it is.
    plan = melcli.run(
        src,
        tmp_path / "out",
        params=melcli.preset_params("ast", n_mels=64),
        dry_run=True,
    )
    assert plan.warnings[0] == (
        "n_mels=64 does not apply to kind='fbank'; use num_mel_bins"
    )

"""Small messages of ``melcli mel`` and the Python API, said once and alike.

A typo of a word (``--preset wisper``) names the nearest, as click does for
a command or an option; an option refused is said as the error only; an
empty value is shown quoted; a pattern the shell expanded is named; the
options a run does not read are left out under ``-q`` but kept in
``--json``, as :func:`melcli.run`'s report keeps them.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import invoke, short_tones

import melcli
from melcli import ParameterError
from melcli.params import MelParams, RenderParams


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (("mel", "a", "-o", "o", "--preset", "wisper"), "'whisper'"),
        (("mel", "a", "-o", "o", "--kind", "mell"), "'mel'"),
        (("mel", "a", "-o", "o", "--format", "webdatset"), "'webdataset'"),
        (("mel", "a", "-o", "o", "--window", "han"), "'hann'"),
        (("presets", "wisper"), "'whisper'"),
    ],
)
def test_a_word_mistyped_names_the_nearest(args: tuple[str, ...], said: str) -> None:
    result = invoke(*args)
    assert result.exit_code == 2
    assert result.stderr.endswith(f". Did you mean {said}?\n")


def test_a_word_like_none_names_none() -> None:
    result = invoke("mel", "a", "-o", "o", "--preset", "zzzz")
    assert result.exit_code == 2
    assert "Did you mean" not in result.stderr
    assert "'zzzz' is not one of 'whisper'" in result.stderr


def test_the_api_names_the_nearest_too() -> None:
    with pytest.raises(ParameterError) as caught:
        melcli.preset_params("wisper")
    assert str(caught.value).endswith("; did you mean 'whisper'?")
    assert caught.value.param == "preset"
    with pytest.raises(ParameterError, match=r"; did you mean 'mel'\?$"):
        MelParams(kind="Mell").validate()
    with pytest.raises(ParameterError, match=r"; did you mean 'image'\?$"):
        RenderParams(style="imag").validate()
    with pytest.raises(ParameterError) as caught:
        melcli.preset_params("zzzz")
    assert "did you mean" not in str(caught.value)


def test_an_option_refused_is_not_also_an_option_not_read(tmp_path: Path) -> None:
    # --cmvn mean with --kind mel said "warning: --cmvn does not apply to
    # --kind mel", then the error refusing it.
    src = short_tones(tmp_path / "audio", n=1)
    result = invoke("mel", src, "-o", tmp_path / "out", "--cmvn", "mean")
    assert result.exit_code == 2
    assert "warning" not in result.stderr
    assert result.stderr.endswith(
        "Error: Invalid value for '--cmvn': --cmvn mean needs --kind fbank "
        "(--kind mel)\n"
    )


@pytest.mark.parametrize("command", ["mel", "gallery"])
def test_an_empty_value_is_shown_quoted(tmp_path: Path, command: str) -> None:
    # "--jobs  must be a whole number": the value vanished.
    args = ("mel", "a", "-o", "o") if command == "mel" else ("gallery", tmp_path)
    result = invoke(*args, "-j", "")
    assert result.exit_code == 2
    assert "'-j' / '--jobs': --jobs '' must be a whole number" in result.stderr


def test_an_include_the_shell_expanded_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # "--include audio/*.wav" unquoted: "--include audio/0.wav audio/1.wav
    # audio/2.wav"; the first is the pattern, the others are taken as SRC.
    monkeypatch.chdir(tmp_path)
    short_tones(Path("audio"))
    said = (
        "--include 'audio/0.wav' names a file, and 2 more files in its folder "
        "were given as SRC: the shell expanded an unquoted pattern; quote the "
        "pattern, such as --include '*.wav'"
    )
    result = invoke(
        *("mel", "audio", "-o", "out", "-j", "1", "--include", "audio/0.wav"),
        *("audio/1.wav", "audio/2.wav"),
    )
    assert f"warning: {said}\n" in result.stderr
    report = melcli.run(
        ["audio", "audio/1.wav", "audio/2.wav"],
        "out2",
        jobs=1,
        include="audio/0.wav",
    )
    assert said in report.warnings
    # --exclude audio/*.wav: the files it should leave out were converted.
    result = invoke(
        *("mel", "audio/0.wav", "-o", "out3", "-j", "1"),
        *("--exclude", "audio/1.wav", "audio/2.wav"),
    )
    assert (
        "warning: --exclude 'audio/1.wav' names a file, and 2 more files in its "
        "folder were given as SRC"
    ) in result.stderr


def test_a_file_named_as_an_include_alone_is_no_expansion(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    short_tones(Path("audio"))
    result = invoke("mel", ".", "-o", "out", "-j", "1", "--include", "audio/0.wav")
    assert result.exit_code == 0
    assert "expanded" not in result.stderr


def test_options_not_read_are_quiet_under_q_and_kept_in_json(tmp_path: Path) -> None:
    src = short_tones(tmp_path / "audio", n=1)
    options = ("-j", "1", "--kind", "fbank", "--n-mels", "64", "-q", "--json")
    said = "--n-mels does not apply to --kind fbank; use --num-mel-bins"
    for dry_run in ((), ("--dry-run",)):
        result = invoke("mel", src, "-o", tmp_path / "out", *options, *dry_run)
        assert result.exit_code == 0
        assert result.stderr == ""  # -q: "print only errors"
        assert json.loads(result.stdout)["warnings"] == [said]
    # As melcli.run's report holds them (in its own spelling).
    report = melcli.run(
        src, tmp_path / "out2", jobs=1, params=MelParams(kind="fbank", n_mels=64)
    )
    assert report.to_json()["warnings"] == [
        "n_mels=64 does not apply to kind='fbank'; use num_mel_bins"
    ]


def test_a_gallery_column_mistyped_names_the_nearest(tmp_path: Path) -> None:
    src = tmp_path / "audio"
    short_tones(src, n=1)
    listed = tmp_path / "meta.csv"
    listed.write_text("filename,category\n0.wav,dog\n")
    melcli.run([], tmp_path / "out", files_from=listed, root=src, jobs=1)
    with pytest.raises(ParameterError, match=r"; did you mean 'category'\?$"):
        melcli.build_gallery(tmp_path / "out", group_by="categry")
    result = invoke("gallery", tmp_path / "out", "--group-by", "categry")
    assert result.exit_code == 2
    assert result.stderr.endswith("; did you mean 'category'?\n")


def test_a_mistyped_setting_given_to_a_preset_names_the_nearest() -> None:
    # As click says "No such option '--n-mel'. (Did you mean ... '--n-mels'?)";
    # preset_params raised Python's TypeError from MelParams.
    with pytest.raises(ParameterError) as caught:
        melcli.preset_params("whisper", n_mel=64)
    assert caught.value.param == "n_mel"
    assert str(caught.value) == (
        "'n_mel' is not a setting (a MelParams field); did you mean 'n_mels'?"
    )
    assert melcli.preset_params("whisper", n_mels=64).n_mels == 64

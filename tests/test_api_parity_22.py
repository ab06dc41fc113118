"""What the command cannot be given wrong, the API refuses; what it prints, it returns.

An on/off option of ``melcli`` is a flag: the API's keyword took any value,
and a string is truthy (``MelParams(mono="no")`` averaged the channels,
``run(..., force="no")`` rebuilt everything). A ``params`` or ``render`` of
the wrong type, or an ``on_result`` that is no function, raised an
AttributeError or TypeError from deep inside (the latter after the first file
was written). ``melcli stats --json`` and ``melcli presets --json`` built
their rows in the command: the API now returns them (``to_json()``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import invoke, short_tones

import melcli
from melcli import MelParams, ParameterError
from melcli.params import RenderParams
from melcli.presets import PRESETS

#: Every on/off setting of MelParams: a ``--x/--no-x`` option of the command.
FLAGS = [
    name
    for name, f in MelParams.__dataclass_fields__.items()
    if isinstance(getattr(MelParams(), name), bool)
]


def test_the_flags_are_the_ones_the_command_has() -> None:
    # Not an empty parametrization below.
    assert {"mono", "center", "htk", "snip_edges", "use_energy"} <= set(FLAGS)


@pytest.mark.parametrize("name", FLAGS)
@pytest.mark.parametrize("value", ["no", "false", 1, None])
def test_a_flag_setting_must_be_true_or_false(name: str, value: object) -> None:
    with pytest.raises(ParameterError) as caught:
        MelParams(**{name: value}).validate()
    assert caught.value.param == name
    assert str(caught.value) == f"{name}={value!r} must be True or False"


def test_the_render_flag_must_be_true_or_false() -> None:
    with pytest.raises(ParameterError) as caught:
        RenderParams(waveform="no").validate()
    assert caught.value.param == "waveform"


@pytest.mark.parametrize(
    "keyword", ["png", "force", "prune", "fail_fast", "stats", "dry_run"]
)
def test_a_run_flag_must_be_true_or_false(tmp_path: Path, keyword: str) -> None:
    src = short_tones(tmp_path / "audio")
    out = tmp_path / "out"
    with pytest.raises(ParameterError) as caught:
        melcli.run([src], out, jobs=1, **{keyword: "no"})
    assert caught.value.param == keyword
    assert str(caught.value) == f"{keyword}='no' must be True or False"
    assert not out.exists()  # refused before any work


def test_mono_no_is_refused_not_taken_for_mono(tmp_path: Path) -> None:
    # mono="no" was truthy: arrays of one channel, where mono=False keeps two.
    src = tmp_path / "audio"
    src.mkdir()
    import soundfile as sf

    y = np.stack([np.sin(np.arange(4000) / 9.0), np.zeros(4000)], axis=1)
    sf.write(src / "st.wav", y.astype(np.float32), 8000)
    with pytest.raises(ParameterError):
        melcli.run([src], tmp_path / "out", jobs=1, params=MelParams(mono="no"))
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("keyword", ["waveforms", "read_sources"])
def test_a_gallery_flag_must_be_true_or_false(tmp_path: Path, keyword: str) -> None:
    src = short_tones(tmp_path / "audio", n=1)
    out = tmp_path / "out"
    melcli.run([src], out, jobs=1)
    with pytest.raises(ParameterError) as caught:
        melcli.build_gallery(out, jobs=1, **{keyword: "no"})
    assert caught.value.param == keyword
    assert not (out / "gallery").exists()


@pytest.mark.parametrize(
    ("keyword", "value", "said"),
    [
        (
            "params",
            {"n_mels": 64},
            "params must be a melcli.MelParams or None, not dict",
        ),
        (
            "render",
            {"style": "image"},
            "render must be a melcli.params.RenderParams or None, not dict",
        ),
        ("on_result", 3, "on_result must be a function of a Result, or None, not int"),
    ],
)
def test_a_keyword_of_the_wrong_type_is_a_parameter_error(
    tmp_path: Path, keyword: str, value: object, said: str
) -> None:
    src = short_tones(tmp_path / "audio")
    out = tmp_path / "out"
    with pytest.raises(ParameterError) as caught:
        melcli.run([src], out, jobs=1, png=True, **{keyword: value})
    assert caught.value.param == keyword
    assert str(caught.value).startswith(said)
    assert not out.exists()  # on_result=3 raised only after a file was written


@pytest.mark.parametrize(
    ("name", "value", "option"),
    [
        ("sr", "native", "--sr native"),
        ("fmax", "none", "--fmax none"),
        ("top_db", "None", "--top-db none"),
        ("norm", "none", "--norm none"),
        ("num_frames", "none", "--num-frames none"),
    ],
)
def test_the_commands_word_for_none_names_none(
    name: str, value: str, option: str
) -> None:
    # "sr='native' must be a positive integer" did not say to give None.
    with pytest.raises(ParameterError) as caught:
        MelParams(**{name: value}).validate()
    assert caught.value.param == name
    assert str(caught.value) == (
        f"{name}={value!r} must be None, not a string (None is {option})"
    )


def test_a_setting_the_command_has_no_word_for_says_none_plainly() -> None:
    with pytest.raises(
        ParameterError, match=r"^hop_length='none' must be None, not a string$"
    ):
        MelParams(hop_length="none").validate()


def test_the_flags_the_command_gives_still_run(tmp_path: Path) -> None:
    src = short_tones(tmp_path / "audio", n=1)
    report = melcli.run(
        [src], tmp_path / "out", jobs=1, params=MelParams(mono=False, center=False)
    )
    assert report.exit_code == 0
    assert report.to_json()["written"] == 1


def _json_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def test_stats_json_is_what_write_stats_returns(tmp_path: Path) -> None:
    src = short_tones(tmp_path / "audio")
    out = tmp_path / "out"
    melcli.run([src], out, jobs=1)
    printed = _json_lines(invoke("stats", out, "--json", "-q").stdout)
    stats = melcli.write_stats(out)
    assert stats.path == out / "stats.npz"
    assert printed == [stats.to_json()]
    assert printed[0]["arrays"] == 3
    assert printed[0]["n_bands"] == 128


def test_presets_json_is_what_each_preset_returns() -> None:
    to_json: Callable[[Any], dict[str, Any]] = lambda p: p.to_json()  # noqa: E731
    printed = _json_lines(invoke("presets", "--json").stdout)
    assert printed == [to_json(p) for p in PRESETS.values()]
    assert [row["name"] for row in printed] == list(PRESETS)
    assert printed[0]["settings"] == dict(next(iter(PRESETS.values())).settings)


def test_gallery_says_last_what_its_report_summary_says(tmp_path: Path) -> None:
    # The line was made in the command only; a notebook had to rebuild it.
    src = short_tones(tmp_path / "audio")
    out = tmp_path / "out"
    melcli.run([src], out, jobs=1)
    invoke("gallery", out, "-j", "1")  # draws the pictures; then both keep them
    report = melcli.build_gallery(out, jobs=1)
    said = invoke("gallery", out, "-j", "1").stderr.splitlines()[-1]
    assert said.endswith(f": {report.summary()}")
    assert report.summary() == (
        "3 inputs in 1 group, 0 failed, 0 skipped; 0 pictures drawn, 3 kept."
    )


def _raised(call: Callable[[], object]) -> ParameterError:
    with pytest.raises(ParameterError) as caught:
        call()
    return caught.value


def test_a_run_keyword_of_the_wrong_type_names_it(tmp_path: Path) -> None:
    # AttributeError from the Dask client, TypeErrors from os.fspath / iter.
    src = short_tones(tmp_path / "audio", n=1)
    out = tmp_path / "out"
    listed = tmp_path / "list.txt"
    listed.write_text("0.wav\n")
    for keyword, call in [
        ("scheduler", lambda: melcli.run([src], out, scheduler=3)),
        ("extensions", lambda: melcli.run([src], out, extensions=3)),
        ("root", lambda: melcli.run([], out, files_from=listed, root=3)),
        ("out", lambda: melcli.run([src], 3)),  # type: ignore[arg-type]
    ]:
        assert _raised(call).param == keyword
    assert not out.exists()
    assert _raised(lambda: melcli.info([src], extensions=3)).param == "extensions"


@pytest.mark.parametrize(
    "function", [melcli.write_stats, melcli.build_gallery, melcli.merge]
)
def test_an_out_that_is_no_path_names_out(function: Callable[[Any], object]) -> None:
    caught = _raised(lambda: function(3))
    assert caught.param == "out"
    assert str(caught) == "out must be a path, not int"


def test_mel_spectrogram_names_the_keyword_given_wrong() -> None:
    y = np.full(4000, 0.1, np.float32)
    cases = [
        ("params", lambda: melcli.mel_spectrogram(y, sr=8000, params={"n_mels": 3})),
        ("sr", lambda: melcli.mel_spectrogram(y)),  # was a MelcliError
        ("sr", lambda: melcli.mel_spectrogram(y, sr="x")),  # param was None
        ("source", lambda: melcli.mel_spectrogram([0.1] * 4000, sr=8000)),
    ]
    for keyword, call in cases:
        assert _raised(call).param == keyword


def test_mel_spectrogram_of_a_file_does_not_pass_over_sr(tmp_path: Path) -> None:
    # sr=16000 with a file was ignored: the array was at params.sr, 22050.
    path = short_tones(tmp_path / "audio", n=1) / "0.wav"
    caught = _raised(lambda: melcli.mel_spectrogram(path, sr=16000))
    assert caught.param == "sr"
    assert "params=melcli.MelParams(sr=16000)" in str(caught)
    wanted = melcli.mel_spectrogram(path, params=MelParams(sr=16000))
    assert wanted.shape == (128, 7)  # 0.2 s at 16 kHz, hop 512: 7 frames

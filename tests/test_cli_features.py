"""--kind, the scale options and --preset from the command line; melcli presets."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner, Result
from conftest import WriteAudio, noise

import melcli
from melcli import MelParams, presets
from melcli.cli import cli

pytestmark = pytest.mark.usefixtures("isolated")


def invoke(*args: object, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(
        cli, [str(a) for a in args], catch_exceptions=False, env=env
    )


@pytest.fixture
def clip(write_audio: WriteAudio) -> Path:
    return write_audio("clip.wav", noise(seconds=1.5, seed=4) * 0.3)


def build(clip: Path, out: Path, *options: object, env: dict[str, str] | None = None):
    result = invoke("mel", clip, "-o", out, "-j", "1", *options, env=env)
    assert result.exit_code == 0, result.stderr
    return np.load(out / "clip.npy")


def manifest_settings(out: Path) -> str:
    lines = (out / "manifest.jsonl").read_text().splitlines()
    return str(json.loads(lines[0])["settings"])


@pytest.mark.parametrize(
    ("options", "params"),
    [
        (("--kind", "stft"), MelParams(kind="stft")),
        (("--kind", "mfcc", "--n-mfcc", "13"), MelParams(kind="mfcc", n_mfcc=13)),
        (
            ("--scale", "log10", "--clamp", "8", "--shift", "4", "--divisor", "4"),
            MelParams(scale="log10", clamp=8.0, shift=4.0, divisor=4.0),
        ),
        (
            ("--pad-length", "384", "--pad-mode", "reflect", "--stft-eps", "1e-9"),
            MelParams(pad_length=384, pad_mode="reflect", stft_eps=1e-9),
        ),
        (("--drop-last-frame",), MelParams(drop_last_frame=True)),
    ],
)
def test_feature_options_reach_the_array(
    clip: Path, tmp_path: Path, options: tuple[str, ...], params: MelParams
) -> None:
    S = build(clip, tmp_path / "out", *options)
    expected = melcli.mel_spectrogram(clip, params=params)
    assert S.shape == expected.shape
    np.testing.assert_array_equal(S, expected)
    assert manifest_settings(tmp_path / "out") == params.fingerprint()


def test_changing_the_scale_rebuilds(clip: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    build(clip, out)
    result = invoke("mel", clip, "-o", out, "-j", "1", "--scale", "log", "--dry-run")
    assert "settings changed" in result.stdout


@pytest.mark.parametrize("name", list(presets.PRESETS))
def test_preset_gives_the_api_preset(clip: Path, tmp_path: Path, name: str) -> None:
    S = build(clip, tmp_path / "out", "--preset", name)
    params = melcli.preset_params(name)
    np.testing.assert_array_equal(S, melcli.mel_spectrogram(clip, params=params))
    assert manifest_settings(tmp_path / "out") == params.fingerprint()


def test_explicit_options_beat_the_preset(clip: Path, tmp_path: Path) -> None:
    S = build(clip, tmp_path / "a", "--preset", "whisper", "--n-mels", "40")
    assert S.shape[0] == 40
    params = melcli.preset_params("whisper", n_mels=40)
    assert manifest_settings(tmp_path / "a") == params.fingerprint()
    S = build(clip, tmp_path / "b", "--preset", "whisper", env={"MELCLI_N_MELS": "32"})
    assert S.shape[0] == 32
    (tmp_path / "c.toml").write_text("n-mels = 24\npreset = 'whisper'\n")
    S = build(clip, tmp_path / "c", "--config", tmp_path / "c.toml")
    assert S.shape[0] == 24
    assert S.shape[1] == 1 + int(1.5 * 16000) // 160 - 1  # the rest is Whisper's


@pytest.mark.parametrize(
    ("options", "text", "fix"),
    [
        (
            ("--preset", "whisper", "--scale", "db"),
            "Error: Invalid value for '--clamp': --clamp 8 applies to scale 'log' or "
            "'log10' only (--scale db; the dB scale uses --top-db) (--clamp 8 comes "
            "from --preset whisper; set --clamp too, such as --clamp none)",
            ("--clamp", "none"),
        ),
        (
            ("--preset", "hifigan", "--no-center"),
            "Error: Invalid value for '--pad-length': --pad-length 384 needs "
            "--center (it is the padding --center adds) (--pad-length 384 comes "
            "from --preset hifigan; set --pad-length too, such as --pad-length none)",
            ("--pad-length", "none"),
        ),
        (
            ("--preset", "seamless-m4t", "--kind", "mel", "--cmvn", "none"),
            "Error: Invalid value for '--frame-stack': --frame-stack 2 needs "
            "--kind fbank (--kind mel) (--frame-stack 2 comes from --preset "
            "seamless-m4t; set --frame-stack too, such as --frame-stack 1)",
            ("--frame-stack", "1"),
        ),
    ],
)
def test_an_option_the_rest_of_the_preset_rejects_says_what_to_set(
    clip: Path,
    tmp_path: Path,
    options: tuple[str, ...],
    text: str,
    fix: tuple[str, ...],
) -> None:
    result = invoke("mel", clip, "-o", tmp_path / "out", *options)
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == text
    S = build(clip, tmp_path / "fixed", *options, *fix)
    name = options[1]
    overrides: dict[str, object] = {
        "whisper": {"scale": "db", "clamp": None},
        "hifigan": {"center": False, "pad_length": None},
        "seamless-m4t": {"kind": "mel", "cmvn": "none", "frame_stack": 1},
    }[name]
    if "kind" in overrides:  # as the command, it says so
        with pytest.warns(UserWarning, match=f"the output is not {name}'s$"):
            params = melcli.preset_params(name, **overrides)
    else:
        params = melcli.preset_params(name, **overrides)
    np.testing.assert_array_equal(S, melcli.mel_spectrogram(clip, params=params))


def test_preset_from_the_environment(clip: Path, tmp_path: Path) -> None:
    S = build(clip, tmp_path / "out", env={"MELCLI_PRESET": "panns"})
    assert S.shape == (64, 1 + int(1.5 * 32000) // 320)


def test_print_config_says_which_values_the_preset_set(tmp_path: Path) -> None:
    (tmp_path / "c.toml").write_text("hop-length = 200\n")
    result = invoke(
        "mel",
        "--preset",
        "whisper-v3",
        "--n-fft",
        "512",
        "--config",
        tmp_path / "c.toml",
        "--print-config",
    )
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert 'preset = "whisper-v3"  # command line' in lines
    assert "n_mels = 128  # preset whisper-v3" in lines
    assert 'scale = "log10"  # preset whisper-v3' in lines
    assert "clamp = 8.0  # preset whisper-v3" in lines
    assert "n_fft = 512  # command line" in lines
    assert any(line.startswith("hop_length = 200  # config ") for line in lines)
    assert "dtype = " + '"float32"  # default' in lines


def test_unknown_preset_is_a_usage_error(clip: Path, tmp_path: Path) -> None:
    result = invoke("mel", clip, "-o", tmp_path / "out", "--preset", "bert")
    assert result.exit_code == 2
    assert "'bert' is not one of" in result.stderr


@pytest.mark.parametrize(
    ("options", "text"),
    [
        (("--clamp", "8"), "--clamp 8 applies to scale 'log' or 'log10'"),
        (("--kind", "mfcc", "--n-mfcc", "500"), "--n-mfcc 500 must be at most"),
        (("--divisor", "0"), "--divisor 0 must not be zero"),
    ],
)
def test_bad_feature_options_name_the_option(
    clip: Path, tmp_path: Path, options: tuple[str, ...], text: str
) -> None:
    result = invoke("mel", clip, "-o", tmp_path / "out", *options)
    assert result.exit_code == 2
    assert text in result.stderr
    option = text.split()[0]
    assert f"Invalid value for '{option}':" in result.stderr


def test_presets_lists_each_with_sources_and_test_kind() -> None:
    result = invoke("presets", "--all")
    assert result.exit_code == 0
    for preset in presets.PRESETS.values():
        assert f"{preset.name}: {preset.summary}" in result.stdout
    assert "tested:   against the reference code" in result.stdout
    assert "tested:   against the documented arithmetic" in result.stdout
    assert "openai/whisper: whisper/audio.py" in result.stdout


def test_presets_json_round_trips_to_the_same_params() -> None:
    result = invoke("presets", "--json", "clap", "hifigan")
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["name"] for r in rows] == ["clap", "hifigan"]
    for row in rows:
        assert MelParams(**row["settings"]) == melcli.preset_params(row["name"])
        assert row["tested"] in (presets.REFERENCE_CODE, presets.DOCUMENTED_ARITHMETIC)


def test_presets_settings_line_works_as_options(clip: Path, tmp_path: Path) -> None:
    result = invoke("presets", "hifigan")
    text = result.stdout.split("settings:", 1)[1].split("source:", 1)[0]
    options = text.split()
    S = build(clip, tmp_path / "out", *options)
    expected = melcli.mel_spectrogram(clip, params=melcli.preset_params("hifigan"))
    np.testing.assert_array_equal(S, expected)

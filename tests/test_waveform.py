"""melcli.waveform: the waveform at a glance, recorded by the run for the gallery.

Checked on generated signals: the envelope is each stretch's min and max, the
levels are the signal's, a clipped signal is flagged and a clean one is not;
the run records it in the manifest (also through PNG-only and up-to-date
re-runs) and a crafted one is dropped on load, like any bad field.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile as sf
from click.testing import CliRunner
from conftest import WriteAudio, noise, speechlike, tone

from melcli import waveform
from melcli.cli import cli
from melcli.manifest import Manifest, entry_problem

pytestmark = pytest.mark.usefixtures("isolated")


def entries(out: Path) -> dict[str, dict[str, Any]]:
    lines = (out / "manifest.jsonl").read_text().splitlines()
    return {e["key"]: e for e in map(json.loads, lines)}


def mel(src: Path, out: Path, *options: str) -> None:
    args = ["mel", str(src), "-o", str(out), "-j", "1", *options]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.stderr


@pytest.mark.parametrize("n", [1, 50, 128, 22050, 22051])
@pytest.mark.parametrize("channels", [1, 3])
def test_envelope_is_each_stretchs_min_and_max_over_channels(
    n: int, channels: int
) -> None:
    rng = np.random.default_rng(n)
    y = (rng.random((channels, n)) - 0.5).astype(np.float32)
    pairs = waveform.envelope(y if channels > 1 else y[0])
    k = min(waveform.COLUMNS, n)
    assert pairs.shape == (k, 2)
    bounds = [i * n // k for i in range(k + 1)]
    for i in range(k):
        stretch = y[:, bounds[i] : bounds[i + 1]]
        assert pairs[i, 0] == stretch.min()
        assert pairs[i, 1] == stretch.max()


def test_encode_and_decode_round_to_31_levels_either_side() -> None:
    pairs = np.array([[-1.0, 1.0], [-0.5, 0.5], [0.0, 0.01], [-3.0, 2.0]])
    text = waveform.encode(pairs)
    assert len(text) == 8
    assert waveform.is_envelope(text)
    expected = np.array([[-31, 31], [-16, 16], [0, 0], [-31, 31]])  # clipped to 1
    np.testing.assert_array_equal(waveform.decode(text) * waveform.LEVELS, expected)


def test_summary_levels_are_the_signals() -> None:
    y = tone(440.0, seconds=2.0, amplitude=0.5)
    wave = waveform.summarize(y)
    assert wave is not None
    assert waveform.is_wave(wave)
    assert wave["peak"] == pytest.approx(0.5, abs=1e-3)
    assert wave["rms"] == pytest.approx(0.5 / np.sqrt(2), rel=1e-3)
    assert wave["clip"] == 0.0
    assert not waveform.is_clipped(wave)
    assert len(str(wave["env"])) == 2 * waveform.COLUMNS
    assert len(json.dumps({"wave": wave})) < 330  # what it adds to an entry
    silent = waveform.summarize(np.zeros(1000, np.float32))
    assert silent is not None
    assert (silent["peak"], silent["rms"], silent["clip"]) == (0.0, 0.0, 0.0)
    assert waveform.summarize(np.zeros(0, np.float32)) is None


def test_a_clipped_signal_is_flagged() -> None:
    y = np.clip(tone(440.0, amplitude=2.0), -1.0, 1.0)  # a third of it at 1
    wave = waveform.summarize(y)
    assert wave is not None
    assert wave["peak"] == 1.0
    assert 0.3 < float(wave["clip"]) < 0.8  # type: ignore[arg-type]
    assert waveform.is_clipped(wave)
    # Speech normalised to full scale touches it a few times: not clipped.
    normalised = speechlike(22050)
    normalised /= np.abs(normalised).max()
    wave = waveform.summarize(normalised)
    assert wave is not None
    assert wave["peak"] == 1.0
    assert not waveform.is_clipped(wave)


GOOD = {"env": "AB+/", "peak": 0.5, "rms": 0.25, "clip": 0.0}


@pytest.mark.parametrize(
    "wave",
    [
        None,
        [],
        "AB+/",
        {**GOOD, "env": "ABC"},  # odd: not (min, max) pairs
        {**GOOD, "env": ""},
        {**GOOD, "env": "AB=="},  # base64 padding is no level
        {**GOOD, "env": '</script><img src=x onerror="alert(1)">'},
        {**GOOD, "env": "AA" * (waveform.MAX_COLUMNS + 1)},
        {**GOOD, "env": 12},
        {**GOOD, "peak": -0.1},
        {**GOOD, "peak": float("nan")},
        {**GOOD, "rms": float("inf")},
        {**GOOD, "rms": "0.1"},
        {**GOOD, "peak": True},
        {**GOOD, "clip": 1.5},
        {k: v for k, v in GOOD.items() if k != "rms"},
    ],
)
def test_a_crafted_wave_field_is_refused(wave: object) -> None:
    assert not waveform.is_wave(wave)
    entry = {"key": "a.npy", "status": "written", "npy": "a.npy", "wave": wave}
    assert entry_problem(entry) == "wave"


def test_a_wave_field_from_a_later_melcli_may_hold_more() -> None:
    assert waveform.is_wave({**GOOD, "crest": 3.0, "peak": 1})
    entry = {"key": "a.npy", "status": "written", "npy": "a.npy", "wave": GOOD}
    assert entry_problem(entry) is None


def test_the_run_records_the_wave_of_what_it_computed(
    write_audio: WriteAudio, tmp_path: Path
) -> None:
    write_audio("a.wav", tone(440.0, amplitude=0.5))
    stereo = np.stack([noise(seed=3), 0.25 * noise(seed=4)], axis=1)
    write_audio("b.wav", stereo)
    write_audio("c.wav", np.zeros(22050, np.float32))
    src, out = tmp_path / "audio", tmp_path / "out"
    mel(src, out, "--no-mono")
    recorded = entries(out)
    for key in ("a.npy", "b.npy", "c.npy"):
        assert waveform.is_wave(recorded[key]["wave"]), key
    # At the file's own rate: the envelope is the file's, quantised.
    stored = sf.read(src / "b.wav", dtype="float32", always_2d=True)[0]
    expected = np.clip(waveform.envelope(stored.T), -1, 1)
    got = waveform.decode(recorded["b.npy"]["wave"]["env"])
    np.testing.assert_allclose(got, expected, atol=0.5 / waveform.LEVELS + 1e-6)
    assert recorded["b.npy"]["wave"]["peak"] == pytest.approx(
        np.abs(stored).max(), rel=1e-3
    )
    assert recorded["b.npy"]["wave"]["rms"] == pytest.approx(
        np.sqrt(np.mean(stored.astype(np.float64) ** 2)), rel=1e-3
    )
    assert recorded["c.npy"]["wave"]["peak"] == 0.0
    assert recorded["c.npy"]["silent"] is True


def test_a_segmented_input_records_the_whole_inputs_wave(
    write_audio: WriteAudio, tmp_path: Path
) -> None:
    write_audio("a.wav", tone(440.0, seconds=3.0, amplitude=0.25))
    src, out = tmp_path / "audio", tmp_path / "out"
    mel(src, out, "--segment", "1")
    (entry,) = entries(out).values()
    assert len(entry["segments"]) == 3
    assert entry["wave"]["peak"] == pytest.approx(0.25, abs=1e-3)
    assert len(entry["wave"]["env"]) == 2 * waveform.COLUMNS


def test_the_wave_stays_through_re_runs(
    write_audio: WriteAudio, tmp_path: Path
) -> None:
    write_audio("a.wav", tone(440.0))
    src, out = tmp_path / "audio", tmp_path / "out"
    mel(src, out)
    wave = entries(out)["a.npy"]["wave"]
    mel(src, out)  # up to date
    assert entries(out)["a.npy"]["wave"] == wave
    mel(src, out, "--png")  # the picture drawn, the array kept
    assert entries(out)["a.npy"]["png"] == "a.png"
    assert entries(out)["a.npy"]["wave"] == wave


def test_a_crafted_wave_in_out_is_dropped_on_load(
    write_audio: WriteAudio, tmp_path: Path
) -> None:
    write_audio("a.wav", tone(440.0))
    write_audio("b.wav", tone(880.0))
    src, out = tmp_path / "audio", tmp_path / "out"
    mel(src, out)
    recorded = entries(out)
    recorded["a.npy"]["wave"]["env"] = "<b>x</b>"
    lines = "".join(json.dumps(e) + "\n" for e in recorded.values())
    (out / "manifest.jsonl").write_text(lines)
    manifest = Manifest.load(out)
    assert set(manifest.entries) == {"b.npy"}
    assert any("dropped 1 invalid" in p for p in manifest.problems)

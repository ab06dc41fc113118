"""--png-style image (exact, invertible), --waveform, --cmap, and re-rendering."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
from conftest import WriteAudio, invoke, noise, tone
from PIL import Image

import melcli
from melcli import MelParams
from melcli.render import (
    IMAGE_RANGES,
    RenderParams,
    image_range,
    read_image,
    render_png,
    waveform_envelope,
    write_image,
)

pytestmark = pytest.mark.usefixtures("isolated")


def signal() -> np.ndarray:
    return tone(300.0, seconds=1.2) + noise(seconds=1.2, seed=9) * 0.05


# ------------------------------------------------------------ image style
@pytest.mark.parametrize(
    ("options", "channels"),
    [
        ({}, 1),
        ({"mono": False}, 2),
        (dict(melcli.preset_params("whisper").to_dict(), sr=22050), 1),
        ({"scale": "log", "power": 1.0, "amin": 1e-5}, 1),
        ({"kind": "stft", "ref": 1.0, "top_db": None}, 1),
        ({"kind": "mfcc"}, 1),
        ({"scale": "none"}, 1),
    ],
    ids=["db", "stereo", "whisper", "ln", "stft", "mfcc", "none"],
)
def test_image_round_trip_within_one_grey_level(
    tmp_path: Path, options: dict[str, object], channels: int
) -> None:
    y = signal()
    if channels == 2:
        y = np.stack([y, y * 0.1])
    p = MelParams(**options).validate()
    S = melcli.mel_spectrogram(y, sr=22050, params=p)
    path = tmp_path / "x.png"
    write_image(path, S, params=p)
    with Image.open(path) as image:
        assert image.size == (S.shape[-1], p.n_bins * channels)  # (width, height)
        assert image.mode.startswith("I")  # 16-bit grey
    back = read_image(path)
    assert back.shape == S.shape
    limits = image_range(p)
    lo, hi = limits if limits is not None else (float(S.min()), float(S.max()))
    level = (hi - lo) / 65535
    expected = np.clip(S.astype(np.float64), lo, hi)
    assert np.abs(back - expected).max() <= level


def test_image_mapping_is_the_documented_one(tmp_path: Path) -> None:
    p = MelParams(ref=1.0)  # a numeric reference: no range the settings fix
    S = np.array([[-120.0, -60.0, 0.0, 60.0, 100.0], [-200.0, -80.0, -40.0, -1.0, 0.5]])
    S = S.astype(np.float32)
    write_image(tmp_path / "x.png", S, params=p)
    with Image.open(tmp_path / "x.png") as image:
        grey = np.asarray(image).astype(int)
    lo, hi = IMAGE_RANGES["db"]
    assert (lo, hi) == (-120.0, 60.0)
    formula = np.rint((np.clip(S, lo, hi) - lo) / (hi - lo) * 65535).astype(int)
    np.testing.assert_array_equal(grey, formula[::-1])  # low bands at the bottom
    assert grey[1, 0] == 0  # -120 dB
    assert grey[1, 3] == 65535  # +60 dB


def test_default_mapping_is_minus_top_db_to_zero(tmp_path: Path) -> None:
    S = np.array([[-80.0, -60.0, -40.0, -20.0, 0.0], [-90.0, -79.5, -0.25, 0, 0]])
    write_image(tmp_path / "x.png", S.astype(np.float32), params=MelParams())
    with Image.open(tmp_path / "x.png") as image:
        grey = np.asarray(image).astype(int)
    formula = np.rint((np.clip(S, -80, 0) + 80) / 80 * 65535).astype(int)
    np.testing.assert_array_equal(grey, formula[::-1])
    assert grey[1].tolist() == [0, 16384, 32768, 49151, 65535]


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({}, (-80.0, 0.0)),
        ({"top_db": 60.0}, (-60.0, 0.0)),
        ({"top_db": None}, (-120.0, 0.0)),
        ({"ref": 1.0}, (-120.0, 60.0)),
        ({"ref": 1.0, "top_db": None}, (-120.0, 60.0)),
        ({"kind": "stft"}, (-80.0, 0.0)),
        ({"shift": 80.0, "divisor": 80.0}, (0.0, 1.0)),
        ({"scale": "log10"}, (-12.0, 6.0)),
    ],
)
def test_image_range_follows_the_settings(
    options: dict[str, object], expected: tuple[float, float]
) -> None:
    assert image_range(MelParams(**options).validate()) == expected  # type: ignore[arg-type]


def test_image_range_follows_shift_and_divisor() -> None:
    whisper = melcli.preset_params("whisper")
    assert image_range(whisper) == ((-12 + 4) / 4, (6 + 4) / 4)
    assert image_range(MelParams(kind="mfcc")) is None


def test_image_of_a_default_run_spans_its_value_range(tmp_path: Path) -> None:
    # The complaint: a default run's image used 44% of the grey scale.
    from conftest import SAMPLE_AUDIO

    src = SAMPLE_AUDIO / "speech" / "quick_brown_fox.wav"
    out = tmp_path / "out"
    result = invoke("mel", src, "-o", out, "--png", "--png-style", "image", "-j", "1")
    assert result.exit_code == 0, result.stderr
    with Image.open(out / "quick_brown_fox.png") as image:
        grey = np.asarray(image).astype(np.float64)
    assert (grey.max() - grey.min()) / 65535 >= 0.9
    back = read_image(out / "quick_brown_fox.png")
    array = np.load(out / "quick_brown_fox.npy")
    np.testing.assert_allclose(back, array, atol=80 / 65535)


def test_low_frequencies_are_at_the_bottom(tmp_path: Path) -> None:
    y = tone(200.0, seconds=1.0)
    p = MelParams()
    S = melcli.mel_spectrogram(y, sr=22050, params=p)
    write_image(tmp_path / "x.png", S, params=p)
    with Image.open(tmp_path / "x.png") as image:
        grey = np.asarray(image).astype(float)
    brightest_row = int(grey.mean(axis=1).argmax())
    assert brightest_row > 0.75 * grey.shape[0]  # near the bottom


@pytest.mark.parametrize("cmap", ["magma", "inferno"])  # 256 distinct colours
def test_colormap_image_round_trips_within_one_of_256_levels(
    tmp_path: Path, cmap: str
) -> None:
    p = MelParams()
    S = melcli.mel_spectrogram(signal(), sr=22050, params=p)
    write_image(tmp_path / "x.png", S, params=p, cmap=cmap)
    with Image.open(tmp_path / "x.png") as image:
        assert image.mode == "RGB"
        assert image.size == (S.shape[1], S.shape[0])
    lo, hi = IMAGE_RANGES["db"]
    back = read_image(tmp_path / "x.png")
    assert np.abs(back - S).max() <= (hi - lo) / 255


def test_reading_a_colormap_image_takes_memory_of_the_image_size(
    tmp_path: Path,
) -> None:
    import tracemalloc

    S = np.random.default_rng(4).uniform(-110, 50, (128, 600)).astype(np.float32)
    write_image(tmp_path / "x.png", S, params=MelParams(ref=1.0), cmap="magma")
    tracemalloc.start()
    try:
        back = read_image(tmp_path / "x.png")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    lo, hi = IMAGE_RANGES["db"]
    assert np.abs(back - S).max() <= (hi - lo) / 255
    # Not a distance to each of the 256 colours per pixel (3 kB a pixel).
    assert peak < 100 * S.size


# ------------------------------------------------------------ figure style
def test_waveform_panel_makes_the_figure_taller(
    tmp_path: Path, write_audio: WriteAudio
) -> None:
    src = write_audio("a.wav", signal())
    S = melcli.mel_spectrogram(src)
    sizes = []
    for waveform in (False, True):
        path = tmp_path / f"{waveform}.png"
        render = RenderParams(waveform=waveform)
        render_png(
            path, S, sr=22050, params=MelParams(), title="a", render=render, source=src
        )
        with Image.open(path) as image:
            sizes.append(image.size)
    assert sizes[0][0] == sizes[1][0]
    assert sizes[1][1] > sizes[0][1]


def test_waveform_envelope_bounds_the_samples(write_audio: WriteAudio) -> None:
    y = signal()
    y[:2000] = 0.0
    src = write_audio("a.wav", y, subtype="FLOAT")
    envelope, seconds = waveform_envelope(src, MelParams(), columns=100)
    assert envelope.shape[:2] == (1, 2)
    assert envelope.shape[2] <= 100
    assert seconds == pytest.approx(len(y) / 22050)
    assert envelope[0, 1].max() == pytest.approx(y.max())
    assert envelope[0, 0].min() == pytest.approx(y.min())
    assert envelope[0, :, 0].tolist() == [0.0, 0.0]  # the silent start
    _, seconds = waveform_envelope(
        src, MelParams(offset=0.2, duration=0.5), columns=100
    )
    assert seconds == pytest.approx(0.5, abs=1e-4)


def test_render_params_are_validated() -> None:
    with pytest.raises(melcli.ParameterError, match="cmap='nope' is not a matplotlib"):
        RenderParams(cmap="nope").validate()
    with pytest.raises(melcli.ParameterError, match="needs style='figure'"):
        RenderParams(style="image", waveform=True).validate()
    with pytest.raises(melcli.ParameterError, match="style='svg'"):
        RenderParams(style="svg").validate()


# --------------------------------------------------------------------- CLI
def manifest(out: Path) -> dict[str, dict[str, object]]:
    lines = (out / "manifest.jsonl").read_text().splitlines()
    return {e["key"]: e for e in map(json.loads, lines)}


def test_changing_the_png_style_re_renders_only_pngs(
    write_audio: WriteAudio, tmp_path: Path
) -> None:
    src = write_audio("a.wav", signal())
    out = tmp_path / "out"
    assert invoke("mel", src, "-o", out, "--png", "-j", "1").exit_code == 0
    npy_stamp = os.stat(out / "a.npy").st_mtime_ns
    dry = invoke("mel", src, "-o", out, "--png", "--png-style", "image", "--dry-run")
    assert "PNG style changed" in dry.stdout
    result = invoke("mel", src, "-o", out, "--png", "--png-style", "image", "-j", "1")
    assert result.exit_code == 0
    assert os.stat(out / "a.npy").st_mtime_ns == npy_stamp  # array kept
    back = read_image(out / "a.png")
    np.testing.assert_allclose(back, np.load(out / "a.npy"), atol=80 / 65535)
    again = invoke("mel", src, "-o", out, "--png", "--png-style", "image", "-j", "1")
    assert "1 up to date" in again.stderr
    for options in (("--cmap", "viridis"), ("--waveform",)):
        result = invoke("mel", src, "-o", out, "--png", *options, "-j", "1")
        assert "1 written" in result.stderr
        assert os.stat(out / "a.npy").st_mtime_ns == npy_stamp
    entry = manifest(out)["a.npy"]
    assert entry["render"] == RenderParams(waveform=True).fingerprint()


def test_old_manifests_without_render_are_the_default_figure(
    write_audio: WriteAudio, tmp_path: Path
) -> None:
    src = write_audio("a.wav", signal())
    out = tmp_path / "out"
    invoke("mel", src, "-o", out, "--png", "-j", "1")
    lines = (out / "manifest.jsonl").read_text().splitlines()
    entries = [json.loads(line) for line in lines]
    for entry in entries:
        entry.pop("render", None)
    text = "".join(json.dumps(e, sort_keys=True) + "\n" for e in entries)
    (out / "manifest.jsonl").write_text(text)
    result = invoke("mel", src, "-o", out, "--png", "-j", "1")
    assert "1 up to date" in result.stderr


@pytest.mark.parametrize(
    ("options", "text"),
    [
        (("--cmap", "nope"), "Invalid value for '--cmap': --cmap nope is not"),
        (("--png-style", "image", "--waveform"), "Invalid value for '--waveform'"),
        (("--png-style", "svg"), "'svg' is not one of 'figure', 'image'"),
    ],
)
def test_bad_image_options_are_usage_errors(
    write_audio: WriteAudio, tmp_path: Path, options: tuple[str, ...], text: str
) -> None:
    src = write_audio("a.wav")
    result = invoke("mel", src, "-o", tmp_path / "out", "--png", *options)
    assert result.exit_code == 2
    assert text in result.stderr

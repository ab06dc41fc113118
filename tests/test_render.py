"""PNG renders: melcli.render.render_png directly and through ``melcli mel --png``.

PNGs are never compared pixel by pixel (fonts differ between machines): the
tests check the file is a valid PNG of about the expected size, and that the
figure drawn maps back to the array (values, colour limits, axis extents,
labels).
"""

from __future__ import annotations

import collections
import contextlib
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile as sf
from click.testing import CliRunner
from conftest import WriteAudio, tone
from matplotlib.figure import Figure
from matplotlib.image import AxesImage
from PIL import Image

from melcli import audio, render
from melcli.cli import cli
from melcli.params import MelParams
from melcli.pipeline import mel_spectrogram
from melcli.render import render_png

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
TEMP_MARK = ".melcli-tmp"


def png_size(path: Path) -> tuple[int, int]:
    """Return (width, height) from the IHDR chunk, checking the PNG framing."""
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE
    length, kind = struct.unpack(">I4s", data[8:16])
    assert (length, kind) == (13, b"IHDR")
    width, height = struct.unpack(">II", data[16:24])
    assert data[-8:-4] == b"IEND"
    return width, height


def tone_db(*, channels: int = 1, params: MelParams | None = None) -> np.ndarray:
    y = tone(1000.0, seconds=0.5, channels=channels)
    if channels > 1:
        y = y.T
    return mel_spectrogram(y, sr=22050, params=params or MelParams(mono=channels == 1))


@pytest.fixture
def captured(monkeypatch: pytest.MonkeyPatch) -> list[Figure]:
    """Figures drawn into PNGs, after they have really been drawn."""
    figures: list[Figure] = []
    draw = render._draw

    def capture(canvas: Any, key: Any) -> Any:
        image = draw(canvas, key)
        figures.append(canvas.fig)
        return image

    monkeypatch.setattr(render, "_draw", capture)
    return figures


# ------------------------------------------------------------------- file
def test_writes_valid_png_of_expected_size(tmp_path: Path) -> None:
    from matplotlib.image import imread

    path = tmp_path / "x.png"
    render_png(path, tone_db(), sr=22050, params=MelParams(), title="x.wav")

    width, height = png_size(path)
    assert 900 <= width <= 1100
    assert 300 <= height <= 500
    pixels = imread(path)
    assert pixels.shape[:2] == (height, width)
    assert pixels.shape[2] in (3, 4)
    assert np.ptp(pixels[..., :3]) > 0  # not a blank canvas


def test_leaves_no_temp_file(tmp_path: Path) -> None:
    path = tmp_path / "x.png"
    render_png(path, tone_db(), sr=22050, params=MelParams(), title="x.wav")
    assert [p.name for p in tmp_path.iterdir()] == ["x.png"]


def test_creates_parent_folders(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "x.png"
    render_png(path, tone_db(), sr=22050, params=MelParams(), title="x.wav")
    png_size(path)


def test_failed_save_leaves_nothing_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "x.png"

    from PIL import Image

    def broken(self: Any, *args: Any, **kwargs: Any) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(Image.Image, "save", broken)
    with pytest.raises(RuntimeError, match="disk on fire"):
        render_png(path, tone_db(), sr=22050, params=MelParams(), title="x.wav")
    assert list(tmp_path.iterdir()) == []


def test_replaces_existing_file(tmp_path: Path) -> None:
    path = tmp_path / "x.png"
    path.write_bytes(b"old")
    render_png(path, tone_db(), sr=22050, params=MelParams(), title="x.wav")
    png_size(path)
    assert not [p for p in tmp_path.iterdir() if TEMP_MARK in p.name]


def test_multichannel_is_taller_than_mono(tmp_path: Path) -> None:
    mono, stereo = tmp_path / "mono.png", tmp_path / "stereo.png"
    S_mono = tone_db()
    S_stereo = tone_db(channels=2)
    assert S_stereo.shape == (2, *S_mono.shape)
    render_png(mono, S_mono, sr=22050, params=MelParams(), title="m")
    render_png(stereo, S_stereo, sr=22050, params=MelParams(mono=False), title="s")

    (w_mono, h_mono), (w_stereo, h_stereo) = png_size(mono), png_size(stereo)
    assert w_stereo == w_mono
    assert h_stereo > h_mono * 1.3


def test_colour_scale_without_top_db_is_the_range_in_whole_db() -> None:
    S_db = np.array([[-41.3, -2.2], [-10.0, -0.4]], dtype=np.float32)
    assert render.colour_limits(S_db, top_db=None) == (-42.0, 0.0)
    assert render.colour_limits(S_db, top_db=60.0) == pytest.approx((-60.4, -0.4))
    assert render.colour_limits(np.zeros((2, 2)), top_db=None) == (-1.0, 0.0)


def test_the_image_pixels_follow_the_array(tmp_path: Path) -> None:
    # Left half loud, right half silent: the PNG's plot area must show it.
    from PIL import Image

    S_db = np.full((128, 100), -80.0, dtype=np.float32)
    S_db[:, :50] = 0.0
    path = tmp_path / "x.png"
    render_png(path, S_db, sr=22050, params=MelParams(), title="halves")
    pixels = np.asarray(Image.open(path).convert("L"), dtype=float)
    fig = render._canvas(1).fig
    x0, y0, x1, y1 = fig.axes[0].get_window_extent().extents
    height = pixels.shape[0]
    row = int(height - (y0 + y1) / 2)
    left = pixels[row, int(x0) + 5 : int((x0 + x1) / 2) - 5]
    right = pixels[row, int((x0 + x1) / 2) + 5 : int(x1) - 5]
    assert left.min() > right.max()  # bright (0 dB) left of dark (-80 dB)


@pytest.mark.parametrize(
    "S_db",
    [
        np.zeros((128, 20), np.float32),
        np.full((128, 20), -80.0, np.float32),
        np.full((2, 128, 20), -80.0, np.float32),
        np.zeros((128, 1), np.float32),
        np.linspace(-80, 0, 128 * 20).reshape(128, 20).astype(np.float16),
    ],
    ids=["zeros", "floor", "stereo-floor", "one-frame", "float16"],
)
def test_degenerate_arrays_render(tmp_path: Path, S_db: np.ndarray) -> None:
    path = tmp_path / "x.png"
    render_png(
        path, S_db, sr=22050, params=MelParams(mono=S_db.ndim == 2), title="quiet"
    )
    width, height = png_size(path)
    assert width > 0
    assert height > 0


# ----------------------------------------------------------------- figure
def test_figure_has_title_axis_labels_and_db_colorbar(
    tmp_path: Path, captured: list[Figure]
) -> None:
    render_png(
        tmp_path / "x.png", tone_db(), sr=22050, params=MelParams(), title="dogs/a.wav"
    )

    (fig,) = captured
    mesh = fig.axes[0].images[0]
    ax = mesh.axes
    assert ax.get_title() == "dogs/a.wav"
    assert "Time" in ax.get_xlabel()
    assert "Hz" in ax.get_ylabel()
    colorbar = mesh.colorbar
    assert colorbar is not None
    assert colorbar.ax in fig.axes
    assert colorbar.ax is not ax
    ticks = [t.get_text() for t in colorbar.ax.get_yticklabels() if t.get_text()]
    assert ticks
    assert all("dB" in t for t in ticks)


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("caf\udcc3\udca9\udcff.wav", "caf\\xc3\\xa9\\xff.wav"),  # not UTF-8
        ("$\\foo$ 100$.wav", "\\$\\foo\\$ 100\\$.wav"),  # not mathtext
        ("a\tb\u202e.wav", "a\\tb\\u202e.wav"),  # no glyph, no reordering
    ],
)
def test_any_file_name_can_be_a_title(
    tmp_path: Path, captured: list[Figure], name: str, shown: str
) -> None:
    png = tmp_path / "x.png"
    render_png(png, tone_db(), sr=22050, params=MelParams(), title=name)

    assert png_size(png)[0] > 0
    (fig,) = captured
    assert fig.axes[0].get_title() == shown


def test_image_maps_back_to_the_array(tmp_path: Path, captured: list[Figure]) -> None:
    S_db = tone_db()
    render_png(tmp_path / "x.png", S_db, sr=22050, params=MelParams(), title="x")

    (fig,) = captured
    mesh = fig.axes[0].images[0]
    image = np.asarray(mesh.get_array()).reshape(S_db.shape)
    np.testing.assert_array_equal(image, S_db)
    # The colour scale spans top_db below the peak (the default top_db=80).
    assert mesh.get_clim() == pytest.approx((S_db.max() - 80.0, S_db.max()))


@pytest.mark.parametrize(
    ("sr", "params"),
    [
        (22050, MelParams()),
        (22050, MelParams(hop_length=256)),
        (16000, MelParams(sr=16000, fmax=4000.0, n_mels=64, n_fft=1024)),
    ],
    ids=["defaults", "hop256", "sr16k-fmax4k"],
)
def test_axes_use_the_arrays_settings(
    tmp_path: Path, captured: list[Figure], sr: int, params: MelParams
) -> None:
    """Time spans frames * hop / sr seconds; frequency tops out at fmax."""
    frames = 50
    S_db = np.linspace(-80.0, 0.0, params.n_mels * frames, dtype=np.float32)
    S_db = S_db.reshape(params.n_mels, frames)
    render_png(tmp_path / "x.png", S_db, sr=sr, params=params, title="x")

    (fig,) = captured
    ax = fig.axes[0].images[0].axes
    left, right = ax.get_xlim()
    seconds = frames * params.effective_hop_length / sr
    assert right - left == pytest.approx(seconds, rel=0.02)
    # The frequency axis is mel-scaled: its top tick sits at the top and reads fmax.
    top_tick = ax.get_yticks()[-1]
    assert top_tick == pytest.approx(ax.get_ylim()[1])
    assert ax.get_yticklabels()[-1].get_text() == f"{params.effective_fmax(sr):.0f}"


def test_multichannel_panels_share_labels_and_colour_scale(
    tmp_path: Path, captured: list[Figure]
) -> None:
    S_db = tone_db(channels=2)
    render_png(
        tmp_path / "x.png", S_db, sr=22050, params=MelParams(mono=False), title="st"
    )

    (fig,) = captured
    colorbar = fig.axes[0].images[0].colorbar
    assert colorbar is not None
    panels = [ax for ax in fig.axes if ax is not colorbar.ax]
    meshes = [c for ax in panels for c in ax.images if isinstance(c, AxesImage)]
    assert len(meshes) == 2
    top, bottom = (m.axes for m in meshes)
    assert top.get_title() == "st"
    assert bottom.get_title() == ""
    assert "Time" in bottom.get_xlabel()
    for channel, mesh in enumerate(meshes):
        assert "Hz" in mesh.axes.get_ylabel()
        assert mesh.get_clim() == pytest.approx((S_db.max() - 80.0, S_db.max()))
        np.testing.assert_array_equal(
            np.asarray(mesh.get_array()).reshape(S_db[channel].shape), S_db[channel]
        )


# -------------------------------------------------------------- via CLI
def test_cli_png_titles_each_render_with_its_relative_path(
    write_audio: WriteAudio, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # One figure is reused from file to file: read the title when it is drawn.
    titles: set[str] = set()
    draw = render._draw

    def capture(canvas: Any, key: Any) -> Any:
        titles.add(canvas.fig.axes[0].get_title())
        return draw(canvas, key)

    monkeypatch.setattr(render, "_draw", capture)
    write_audio("dogs/bark.wav")
    write_audio("cats/meow.flac")
    out = tmp_path / "out"
    result = CliRunner().invoke(
        cli,
        ["mel", str(tmp_path / "audio"), "-o", str(out), "-j", "1", "--png"],
        catch_exceptions=False,
    )

    assert result.exit_code == 0, result.stderr
    assert titles == {"dogs/bark.wav", "cats/meow.flac"}
    for rel in ("dogs/bark.png", "cats/meow.png"):
        width, height = png_size(out / rel)
        assert 900 <= width <= 1100
        assert 300 <= height <= 500


def test_cli_png_no_mono_stereo_is_taller(
    write_audio: WriteAudio, tmp_path: Path
) -> None:
    write_audio("mono.wav", tone())
    write_audio("stereo.wav", tone(channels=2))
    out = tmp_path / "out"
    args = ["mel", str(tmp_path / "audio"), "-o", str(out), "-j", "1", "--png"]
    result = CliRunner().invoke(cli, [*args, "--no-mono"], catch_exceptions=False)

    assert result.exit_code == 0, result.stderr
    assert png_size(out / "stereo.png")[1] > png_size(out / "mono.png")[1]
    assert not [p for p in out.rglob("*") if TEMP_MARK in p.name]


# ------------------------------------------------- figures that read well
def colorbar_label(fig: Figure) -> str:
    colorbar = fig.axes[0].images[0].colorbar
    assert colorbar is not None
    return str(colorbar.ax.get_ylabel())


@pytest.mark.parametrize(
    ("params", "label"),
    [
        (MelParams(), "dB re peak"),
        (MelParams(ref=1.0), "dB re 1"),
        (MelParams(kind="stft"), "dB re peak"),
        (MelParams(scale="log"), "ln(power)"),
        (MelParams(scale="log", power=1.0), "ln(magnitude)"),
        (MelParams(scale="log10"), "log10(power)"),
        (MelParams(scale="none"), "power (linear)"),
        (MelParams(kind="mfcc"), "MFCC value"),
    ],
    ids=["db", "db-ref1", "stft", "log", "log-magnitude", "log10", "none", "mfcc"],
)
@pytest.mark.slow
def test_every_colorbar_says_what_its_colours_measure(
    tmp_path: Path, captured: list[Figure], params: MelParams, label: str
) -> None:
    S = mel_spectrogram(tone(1000.0, seconds=0.5), sr=22050, params=params)
    render_png(tmp_path / "x.png", S, sr=22050, params=params, title="x")
    (fig,) = captured
    assert label in colorbar_label(fig)


def test_whisper_colorbar_names_the_scale_and_its_range(
    tmp_path: Path, captured: list[Figure]
) -> None:
    import melcli

    params = melcli.preset_params("whisper")
    S = mel_spectrogram(tone(1000.0, seconds=0.5), sr=22050, params=params)
    render_png(tmp_path / "x.png", S, sr=16000, params=params, title="x")
    (fig,) = captured
    assert colorbar_label(fig) == "(log10(power) + 4) / 4, Whisper scale"
    mesh = fig.axes[0].images[0]
    # The clamp (8 log10 units, / 4) is the colour range, as top_db is for dB.
    assert mesh.get_clim() == pytest.approx((S.max() - 2.0, S.max()))


def test_mfcc_figure_scales_colours_to_c1_and_up(
    tmp_path: Path, captured: list[Figure]
) -> None:
    from conftest import SAMPLE_AUDIO

    params = MelParams(kind="mfcc", n_mfcc=20)
    src = SAMPLE_AUDIO / "speech" / "quick_brown_fox.wav"
    S = mel_spectrogram(src, params=params)
    render_png(tmp_path / "x.png", S, sr=22050, params=params, title="x")
    (fig,) = captured
    vmin, vmax = fig.axes[0].images[0].get_clim()
    rest = S[1:]
    # c1..c19 fill the colour range; c0 (far below) is left out of it.
    assert (rest.max() - rest.min()) / (vmax - vmin) >= 0.9
    assert S[0].min() < vmin
    # ... and the PNG shows them: many grey levels in the c1..c19 rows.
    from PIL import Image

    pixels = np.asarray(Image.open(tmp_path / "x.png").convert("L"), dtype=float)
    x0, y0, x1, y1 = fig.axes[0].get_window_extent().extents
    height = pixels.shape[0]
    band = (y1 - y0) / 20
    top, bottom = int(height - y1) + 2, int(height - (y0 + band)) - 2  # c1..c19
    area = pixels[top:bottom, int(x0) + 2 : int(x1) - 2]
    assert np.ptp(area) > 150  # from near black to near white, not one colour


def test_a_file_shorter_than_one_frame_says_so(
    tmp_path: Path, captured: list[Figure]
) -> None:
    from PIL import Image

    params = MelParams()
    short = np.zeros((128, 1), np.float32)
    bands = np.linspace(-80.0, 0.0, 128, dtype=np.float32)[:, np.newaxis]
    longer = np.repeat(bands, 40, axis=1)  # each row one colour
    for name, S in (("short", short), ("long", longer)):
        render_png(tmp_path / f"{name}.png", S, sr=22050, params=params, title=name)
        note = captured[-1].axes[0].texts[0].get_text()
        assert ("shorter than one frame" in note) == (name == "short")
    assert render.short_note(4, params) != ""  # 4 * 512 <= 2048
    assert render.short_note(5, params) == ""
    fig = captured[-1]
    x0, y0, x1, y1 = fig.axes[0].get_window_extent().extents
    for name, ink in (("short", True), ("long", False)):
        pixels = np.asarray(Image.open(tmp_path / f"{name}.png").convert("L"))
        height = pixels.shape[0]
        middle = pixels[int(height - (y0 + y1) / 2), int(x0) + 2 : int(x1) - 2]
        assert (np.ptp(middle) > 100) == ink  # text across the solid box


def test_a_constant_array_says_so(tmp_path: Path, captured: list[Figure]) -> None:
    params = MelParams()
    render_png(
        tmp_path / "x.png", np.zeros((128, 40), np.float32), sr=22050, params=params,
        title="silence",
    )  # fmt: skip
    assert "digital silence" in captured[-1].axes[0].texts[0].get_text()
    render_png(tmp_path / "y.png", tone_db(), sr=22050, params=params, title="tone")
    assert captured[-1].axes[0].texts[0].get_text() == ""


# -----------------------------------------------------------------------------
# ``melcli mel --png --waveform`` decodes each input once: the waveform panel is
# drawn from the samples the spectrogram was computed from.


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> collections.Counter[str]:
    """Count the times each file is opened for decoding."""
    counts: collections.Counter[str] = collections.Counter()
    real = audio.open_audio

    @contextlib.contextmanager
    def open_audio(path, params) -> Iterator[object]:  # type: ignore[no-untyped-def]
        counts[Path(path).name] += 1
        with real(path, params) as opened:
            yield opened

    monkeypatch.setattr(audio, "open_audio", open_audio)
    return counts


@pytest.mark.parametrize("options", [[], ["--sr", "16000", "--no-mono"]])
def test_each_input_is_decoded_once(
    tmp_path: Path, opened: collections.Counter[str], options: list[str]
) -> None:
    src = tmp_path / "audio"
    src.mkdir()
    t = np.arange(44100) / 44100
    tone = 0.5 * np.sin(2 * np.pi * 440 * t)
    sf.write(src / "a.wav", tone, 44100)
    sf.write(src / "b.flac", np.stack([tone, tone / 2], axis=1), 44100)
    out = tmp_path / "out"

    result = CliRunner().invoke(
        cli,
        ["mel", str(src), "-o", str(out), "--png", "--waveform", "-j", "1", *options],
    )

    assert result.exit_code == 0, result.stderr
    assert opened == {"a.wav": 1, "b.flac": 1}
    for name in ("a", "b"):
        with Image.open(out / f"{name}.png") as image:
            image.verify()


def test_samples_envelope_bounds_the_samples() -> None:
    from melcli.render import samples_envelope

    y = np.stack([np.linspace(-0.5, 0.25, 22050), np.zeros(22050)])
    envelope, seconds = samples_envelope(y, sr=22050, columns=100)
    assert envelope.shape == (2, 2, 100)
    assert seconds == pytest.approx(1.0)
    assert envelope[0, 0].min() == pytest.approx(-0.5)
    assert envelope[0, 1].max() == pytest.approx(0.25)
    assert not envelope[1].any()

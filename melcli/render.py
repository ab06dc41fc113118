"""PNG renders a person can look at.

matplotlib is imported here only, lazily, through its object-oriented Figure
API: no pyplot, no global figure state, safe in worker processes.

The figure is the one ``librosa.display.specshow(x_axis="time", y_axis="mel")``
plus a dB colorbar draws, made cheaply: each mel band is one row of an image
(``imshow``, not a mesh of quads), the frequency axis is labelled in Hz at the
bands where those frequencies fall, the layout is fixed rather than solved,
and one figure per process is reused from file to file. Setting up a figure
and laying it out costs more than everything else in a render; after it, text.
So everything but the image and the title - axes, ticks, labels, colorbar - is
drawn once per distinct set of axis limits and kept as a background; a file
then costs one image, one title and the PNG encoding.

The colour scale is fixed per file: with ``top_db`` (or ``clamp``) it spans
``[peak - top_db, peak]`` (so files of a dataset share colours), else the
data's range rounded out to whole units; for MFCCs, the range of c1 and up,
so that coefficient 0 (ten times larger) does not flatten the others. The
colorbar names what its colours measure (:func:`colour_label`), and a file
shorter than one analysis frame, or whose array is one value throughout
(digital silence), says so on its panel.

Two styles (:class:`RenderParams`): ``figure``, the above (optionally with a
waveform panel on top), and ``image``, one pixel per frame and band and
nothing else, through a documented value-to-grey mapping fixed by the
settings (:func:`image_range`: ``[-top_db, 0]`` dB with ``ref="max"``) so
that grey levels compare across files and :func:`read_image` gives the array
back within one grey level.
"""

from __future__ import annotations

import functools
import os
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from . import audio
from .params import CMAP, IMAGE_CMAP, MelParams, RenderParams
from .report import display_path
from .transform import hz_to_mel
from .write import atomic_write

#: Figure width, and height per channel panel, in inches (at 100 dpi).
WIDTH, PANEL_HEIGHT, MARGIN_HEIGHT = 10.0, 3.0, 1.0
#: Height of the --waveform panel, in inches.
WAVE_HEIGHT = 1.5
#: Columns of the waveform envelope (min and max per column).
WAVE_COLUMNS = 1000

#: The image style's fixed value range per scale, before ``(x + shift) /
#: divisor``, where the settings do not fix a narrower one (see
#: :func:`image_range`): values outside it are clipped. dB covers 180 dB
#: (0.0027 dB per 16-bit grey level); ln and log10 cover 1e-12 to about 1e6.
IMAGE_RANGES = {"db": (-120.0, 60.0), "log": (-28.0, 14.0), "log10": (-12.0, 6.0)}


#: zlib level of the PNG: 1 encodes much faster than the default 6, for
#: slightly larger files (bench/README.md, "Figures behind the code").
PNG_COMPRESS_LEVEL = 1


@dataclass
class _Canvas:
    """A figure with ``n`` spectrogram panels and a colorbar, reused per process."""

    fig: Any
    axes: list[Any]
    images: list[Any]
    notes: list[Any]
    colorbar: Any
    agg: Any
    backgrounds: dict[tuple[Any, ...], Any]
    wave_ax: Any = None


def title_text(name: str) -> str:
    r"""Return a file name as a figure can show it, character for character.

    Bytes that are not UTF-8 (``surrogateescape``) and control characters are
    shown as escapes (:func:`melcli.report.display_path`; the font has no glyph
    for them), and ``$`` is escaped so that matplotlib does not read
    ``$...$`` as mathematical text (``$\foo$.wav`` would fail to draw).
    """
    shown = "\\".join(display_path(part) for part in name.split("\\"))
    return shown.replace("$", r"\$")


def render_png(
    path: Path,
    S_db: np.ndarray,
    *,
    sr: int,
    params: MelParams,
    title: str,
    render: RenderParams | None = None,
    source: str | os.PathLike[str] | None = None,
    key: str = "",
    y: np.ndarray | None = None,
) -> None:
    """Draw ``S_db`` with time, mel-frequency and dB scales, and save it atomically.

    The figure has a time axis in seconds, a mel-scaled frequency axis labelled
    in Hz, a colorbar in dB and ``title`` on top; a multichannel array gets one
    panel per channel, sharing the colour scale. The axes use the same ``sr``,
    ``hop_length``, ``fmin``, ``fmax`` and ``htk`` as the array.

    Parameters
    ----------
    path : Path
        Where the PNG goes.
    S_db : np.ndarray [shape=(n_mels, t) or (channels, n_mels, t)]
        The spectrogram in dB.
    sr : int
        Sampling rate the array was computed at.
    params : MelParams
        The settings the array was computed with.
    title : str
        Shown above the (first) panel; usually the input's relative path.
    render : RenderParams or None
        Style, waveform panel and colormap; the default figure when omitted.
    source : path-like or None
        The audio file, read again for the waveform panel (block by block),
        unless ``y`` is given.
    key : str
        The file's path relative to its input folder: with ``clip_duration``
        and ``crop="random"``, which window the waveform panel shows.
    y : np.ndarray [shape=(n,) or (channels, n)] or None
        The samples ``S_db`` was computed from, at ``sr``: the waveform panel
        is drawn from them, and the file is not decoded a second time.
    """
    render = render or RenderParams()
    if render.style == "image":
        write_image(path, S_db, params=params, cmap=render.effective_cmap)
        return
    panels = S_db[np.newaxis] if S_db.ndim == 2 else S_db
    n_panels, n_mels, frames = panels.shape
    title = title_text(title)
    label = colour_label(params)
    canvas = _canvas(n_panels, render.waveform, render.effective_cmap, label)
    vmin, vmax = _colour_limits_for(panels, params)
    note = short_note(frames, params) or constant_note(panels)
    seconds = frames * _frame_seconds(params, sr)
    fmin = float(params.fmin)
    fmax = params.effective_fmax(sr)
    ticks, labels, ylabel = _y_axis(params, n_mels, sr)
    wave = None
    if render.waveform:
        if y is not None:
            wave = samples_envelope(y, sr=sr)
        elif source is None:
            raise ValueError("the waveform panel needs the source file or samples")
        else:
            wave = waveform_envelope(source, params, key=key)
        canvas.axes[0].set_xlim(0.0, seconds)
    for channel, (ax, image) in enumerate(zip(canvas.axes, canvas.images, strict=True)):
        canvas.notes[channel].set_text(note)
        image.set_data(panels[channel].astype(np.float32, copy=False))
        image.set_extent((0.0, seconds, 0.0, float(n_mels)))
        image.set_clim(vmin, vmax)
        ax.set_xlim(0.0, seconds)
        ax.set_ylim(0.0, float(n_mels))
        ax.set_yticks(ticks, labels)
        ax.set_ylabel(ylabel if n_panels == 1 else f"{ylabel} (channel {channel})")
        ax.set_title(title if channel == 0 and wave is None else "")
    if wave is not None:
        canvas.wave_ax.set_xlim(0.0, seconds)
        canvas.wave_ax.set_title(title)
    limits = (n_panels, seconds, n_mels, fmin, fmax, vmin, vmax, ticks[-1], ylabel)
    image_rgb = _draw(canvas, limits) if wave is None else _draw(canvas, limits, wave)

    def write(f: BinaryIO) -> None:
        image_rgb.save(f, format="PNG", compress_level=PNG_COMPRESS_LEVEL)

    atomic_write(path, write)


def colour_limits(panels: np.ndarray, *, top_db: float | None) -> tuple[float, float]:
    """Return the colour scale: ``[peak - top_db, peak]``, or the range rounded out."""
    vmax = float(np.max(panels))
    if top_db is not None and top_db > 0:
        return vmax - float(top_db), vmax
    vmin = float(np.floor(np.min(panels)))
    vmax = float(np.ceil(vmax))
    return (vmin - 1.0, vmax) if vmin == vmax else (vmin, vmax)


def _colour_limits_for(panels: np.ndarray, params: MelParams) -> tuple[float, float]:
    """Return the colour scale of ``panels`` [shape=(channels, n_bins, t)].

    MFCCs: the range of c1 and up (c0, the log energy, is some ten times
    larger and would leave the others one flat colour; it is drawn clipped).
    dB with ``top_db``, log and log10 with ``clamp``: ``[peak - span, peak]``,
    the span passed through the final ``/ divisor``.
    """
    if params.kind == "mfcc":
        rest = panels[:, 1:] if panels.shape[1] > 1 else panels
        return colour_limits(rest, top_db=None)
    if params.kind == "fbank":  # its own log step: no top_db, no clamp
        return colour_limits(panels, top_db=None)
    span = params.top_db if params.scale == "db" else params.clamp
    if params.scale not in ("db", "log", "log10") or not span:
        return colour_limits(panels, top_db=None)
    return colour_limits(panels, top_db=float(span) / abs(params.divisor))


def colour_label(params: MelParams) -> str:
    """Return what the colours of a figure measure: the colorbar's label.

    The quantity (mel or STFT power or magnitude), its scale (dB and its
    reference, ln, log10, linear), any ``(x + shift) / divisor``, the preset
    whose scale step this is (``whisper``); for MFCCs, that c0 is clipped.
    """
    if params.kind == "mfcc":
        return "MFCC value (range of c1+; c0 clipped)"
    if params.kind == "fbank":
        return _fbank_label(params)
    quantity = {2.0: "power", 1.0: "magnitude"}.get(
        float(params.power), f"|X|^{params.power:g}"
    )
    if params.scale == "db":
        ref = "peak" if params.ref == "max" else f"{params.ref:g}"
        text = f"dB re {ref}"
    elif params.scale in ("log", "log10"):
        text = f"{'ln' if params.scale == 'log' else 'log10'}({quantity})"
    else:
        text = f"{quantity} (linear)"
    if params.shift or params.divisor != 1:
        text = f"({text} + {params.shift:g}) / {params.divisor:g}"
    preset = _scale_preset(params)
    return f"{text}, {preset} scale" if preset else text


def _fbank_label(params: MelParams) -> str:
    """Return the colorbar's label of a Kaldi filterbank figure."""
    quantity = f"filterbank {'power' if params.use_power else 'magnitude'}"
    text = f"ln({quantity})" if params.use_log_fbank else f"{quantity} (linear)"
    if params.cmvn != "none":
        text = f"{text}, {params.cmvn} normalised per bin"
    if params.shift or params.divisor != 1:
        text = f"({text} + {params.shift:g}) / {params.divisor:g}"
    return text


def _scale_preset(params: MelParams) -> str:
    """Return the preset whose log step (scale, clamp, shift, divisor) this is."""
    from .presets import PRESETS

    fields = ("scale", "clamp", "shift", "divisor")
    if not params.shift and params.divisor == 1:
        return ""  # a plain scale needs no preset's name
    for name, preset in PRESETS.items():
        if all(
            k in preset.settings and preset.settings[k] == getattr(params, k)
            for k in fields
        ):
            return name.split("-")[0].capitalize()
    return ""


def short_note(frames: int, params: MelParams) -> str:
    """Return what a figure says of an input shorter than one frame, or "".

    ``frames * hop_length <= n_fft`` means the input had fewer than ``n_fft``
    samples: its few frames are mostly padding, not a picture of its sound.
    """
    if frames * params.effective_hop_length > params.n_fft:
        return ""
    return (
        f"shorter than one frame (n_fft = {params.n_fft} samples): "
        f"{frames} padded frame{'s' if frames != 1 else ''}, no picture of its sound"
    )


def constant_note(panels: np.ndarray) -> str:
    """Return what a figure says of an array with one value throughout, or "".

    A file of digital silence (or any constant signal) gives one value, drawn
    as a box of the colorbar's top colour: it would read as loud.
    """
    low, high = float(np.min(panels)), float(np.max(panels))
    if low != high:
        return ""
    return f"every value is {low:g}: digital silence or a constant signal"


#: matplotlib's warning for a character its fonts cannot draw.
_MISSING_GLYPH = r"Glyph \d+ .* missing from font"


def _draw(
    canvas: _Canvas,
    key: tuple[Any, ...],
    wave: tuple[np.ndarray, float] | None = None,
) -> Any:
    """Draw the figure, reusing the background for these limits; return an RGB image."""
    from PIL import Image

    agg = canvas.agg
    axes_titled = list(canvas.axes)
    if canvas.wave_ax is not None:
        axes_titled.append(canvas.wave_ax)
    background = canvas.backgrounds.get(key)
    if background is None:
        titles = [ax.get_title() for ax in axes_titled]
        for ax in axes_titled:
            ax.set_title("")
        for image in canvas.images:
            image.set_visible(False)
        for note in canvas.notes:
            note.set_visible(False)
        agg.draw()
        background = agg.copy_from_bbox(canvas.fig.bbox)
        if len(canvas.backgrounds) >= 8:
            canvas.backgrounds.pop(next(iter(canvas.backgrounds)))
        canvas.backgrounds[key] = background
        for image in canvas.images:
            image.set_visible(True)
        for ax, title in zip(axes_titled, titles, strict=True):
            ax.set_title(title)
    agg.restore_region(background)
    for ax, image, note in zip(canvas.axes, canvas.images, canvas.notes, strict=True):
        ax.draw_artist(image)
        for spine in ax.spines.values():
            ax.draw_artist(spine)
        if note.get_text():
            note.set_visible(True)
            ax.draw_artist(note)
            note.set_visible(False)
    with warnings.catch_warnings():
        # A name in a script the font lacks (CJK, with DejaVu Sans alone) is
        # drawn with boxes for those characters: matplotlib warns once per
        # character, which would be nine warnings of the file for "日本語 フォ
        # ルダ/音声", none about its audio.
        warnings.filterwarnings("ignore", message=_MISSING_GLYPH)
        for ax in axes_titled:
            ax.draw_artist(ax.title)
    if wave is not None and canvas.wave_ax is not None:
        envelope, seconds = wave
        ax = canvas.wave_ax
        times = (np.arange(envelope.shape[-1]) + 0.5) * seconds / envelope.shape[-1]
        for channel in envelope:
            band = ax.fill_between(
                times, channel[0], channel[1], color="#1f77b4", alpha=0.6, lw=0
            )
            ax.draw_artist(band)
            band.remove()
    width, height = agg.get_width_height()
    rgba = Image.frombuffer("RGBA", (width, height), agg.buffer_rgba(), "raw")
    return rgba.convert("RGB")


@functools.cache
def _canvas(
    n_panels: int, waveform: bool = False, cmap: str = CMAP, label: str = "dB re peak"
) -> _Canvas:
    from matplotlib.figure import Figure

    wave_h = WAVE_HEIGHT + 0.25 if waveform else 0.0
    height = MARGIN_HEIGHT + PANEL_HEIGHT * n_panels + wave_h
    fig = Figure(figsize=(WIDTH, height), dpi=100)
    # Fixed margins (in inches, converted to figure fractions): a solved
    # layout would cost more than drawing.
    left, right, top, bottom, gap = 0.8, 1.3, 0.4, 0.6, 0.25
    panel_h = (height - wave_h - top - bottom - gap * (n_panels - 1)) / n_panels
    wave_ax = None
    if waveform:
        wave_ax = fig.add_axes(
            (
                left / WIDTH,
                (height - top - WAVE_HEIGHT) / height,
                1 - (left + right) / WIDTH,
                WAVE_HEIGHT / height,
            )
        )
        wave_ax.set_ylim(-1.0, 1.0)
        wave_ax.set_ylabel("Amplitude")
        wave_ax.tick_params(labelbottom=False)
    axes, images, notes = [], [], []
    for i in range(n_panels):
        y0 = height - top - wave_h - (i + 1) * panel_h - i * gap
        ax = fig.add_axes(
            (left / WIDTH, y0 / height, 1 - (left + right) / WIDTH, panel_h / height)
        )
        image = ax.imshow(
            np.zeros((2, 2), dtype=np.float32),
            origin="lower",
            aspect="auto",
            interpolation="nearest",
            cmap=cmap,
        )
        ax.set_ylabel("Hz" if n_panels == 1 else f"Hz (channel {i})")
        if i < n_panels - 1:
            ax.tick_params(labelbottom=False)
        note = ax.text(
            0.5,
            0.5,
            "",
            transform=ax.transAxes,
            ha="center",
            va="center",
            visible=False,
            bbox={"facecolor": "white", "alpha": 0.85, "edgecolor": "none"},
        )
        axes.append(ax)
        images.append(image)
        notes.append(note)
    axes[-1].set_xlabel("Time (s)")
    cax = fig.add_axes(
        (
            1 - (right - 0.2) / WIDTH,
            bottom / height,
            0.2 / WIDTH,
            1 - (top + bottom + wave_h) / height,
        )
    )
    fmt = "%+2.0f dB" if label.startswith("dB") else "%+.3g"
    colorbar = fig.colorbar(images[0], cax=cax, format=fmt)
    colorbar.set_label(label, fontsize=9)
    for image in images[1:]:
        image.colorbar = colorbar
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    return _Canvas(
        fig=fig,
        axes=axes,
        images=images,
        notes=notes,
        colorbar=colorbar,
        agg=FigureCanvasAgg(fig),
        backgrounds={},
        wave_ax=wave_ax,
    )


@functools.lru_cache(maxsize=32)
def _frequency_ticks(
    n_mels: int, fmin: float, fmax: float, htk: bool
) -> tuple[list[float], list[str]]:
    """Tick positions (in bands) and Hz labels for a mel axis, a few per octave.

    Candidates are fmin, then 64 Hz doubling up to fmax, then fmax; a tick
    closer than 6% of the axis to the previous one is dropped (fmax is kept).
    """
    lo, hi = float(hz_to_mel(fmin, htk=htk)), float(hz_to_mel(fmax, htk=htk))

    def position(hz: float) -> float:
        return (float(hz_to_mel(hz, htk=htk)) - lo) / (hi - lo) * n_mels

    candidates = [fmin]
    hz = 64.0
    while hz < fmax:
        if hz > fmin:
            candidates.append(hz)
        hz *= 2
    ticks: list[float] = []
    labels: list[str] = []
    for hz in candidates:
        if not ticks or position(hz) - ticks[-1] >= 0.06 * n_mels:
            ticks.append(position(hz))
            labels.append(f"{hz:.0f}")
    if n_mels - ticks[-1] < 0.06 * n_mels and len(ticks) > 1:
        ticks.pop()
        labels.pop()
    ticks.append(float(n_mels))
    labels.append(f"{fmax:.0f}")
    return ticks, labels


def _frame_seconds(params: MelParams, sr: int) -> float:
    """Seconds between frames (a stacked fbank frame spans ``frame_stack``)."""
    if params.kind == "fbank":
        shift = int(sr * 0.001 * params.frame_shift)  # Kaldi's, in samples
        return shift * params.frame_stack / sr
    return params.effective_hop_length / sr


def _y_axis(
    params: MelParams, n_bins: int, sr: int
) -> tuple[list[float], list[str], str]:
    """Ticks (in rows), their labels and the axis label for the array's kind."""
    if params.kind in ("mfcc", "fbank"):
        step = 5 if n_bins > 10 else 1
        if n_bins > 50:
            step = 10 if n_bins <= 100 else 20
        rows = list(range(0, n_bins, step))
        label = "MFCC" if params.kind == "mfcc" else "Kaldi fbank row"
        return [r + 0.5 for r in rows], [str(r) for r in rows], label
    if params.kind == "stft":
        nyquist = sr / 2.0
        step = next(
            (s for s in (100, 200, 500, 1000, 2000, 5000, 10000) if nyquist / s <= 8),
            20000,
        )
        hz = np.arange(0.0, nyquist + 1e-9, step)
        return [float(h / nyquist * n_bins) for h in hz], [f"{h:.0f}" for h in hz], "Hz"
    fmax = params.effective_fmax(sr)
    ticks, labels = _frequency_ticks(n_bins, float(params.fmin), fmax, params.htk)
    return ticks, labels, "Hz"


def waveform_envelope(
    path: str | os.PathLike[str],
    params: MelParams,
    *,
    columns: int = WAVE_COLUMNS,
    key: str = "",
) -> tuple[np.ndarray, float]:
    """Return the min/max envelope of ``path``'s samples, and its length in s.

    The file is read block by block (bounded memory, whatever its length),
    from ``params.offset`` for ``params.duration``, mixed to mono with
    ``params.mono``, at its own rate. With ``params.clip_duration``, the
    envelope is that of the clip the spectrogram was computed from (resampled,
    cropped and padded as :func:`melcli.clip.load` makes it, ``key`` choosing
    a random crop), so that the panel lines up with the spectrogram.

    Returns
    -------
    envelope : np.ndarray [shape=(channels, 2, k)], float32
        ``envelope[c, 0]`` the minimum and ``envelope[c, 1]`` the maximum of
        each of ``k <= columns`` equal stretches of samples.
    seconds : float
    """
    if params.clip_duration is not None:
        from . import clip

        wave = clip.load(path, params, key=key)
        return samples_envelope(wave.y, sr=wave.sr, columns=columns)
    with audio.open_audio(path, params) as (f, info, _notes):
        start = audio.frames_in(params.offset, info.samplerate)
        want = audio.frames_to_read(info, params)
        total = info.frames - start if want < 0 else min(want, info.frames - start)
        total = max(total, 1)
        channels = 1 if params.mono else info.channels
        done = [0]

        def blocks() -> Iterator[np.ndarray]:
            while done[0] < total:
                block = f.read(
                    frames=min(1 << 18, total - done[0]),
                    dtype="float32",
                    always_2d=True,
                )
                if not len(block):
                    return
                done[0] += len(block)
                yield audio.to_mono(block)[:, np.newaxis] if params.mono else block

        envelope = _envelope(blocks(), total, channels, columns)
    return envelope, done[0] / info.samplerate


def samples_envelope(
    y: np.ndarray, *, sr: int, columns: int = WAVE_COLUMNS
) -> tuple[np.ndarray, float]:
    """Return the min/max envelope of decoded samples, and their length in s.

    As :func:`waveform_envelope`, for samples already in memory ``y``
    [shape=(n,) or (channels, n)] at ``sr``.
    """
    frames = np.atleast_2d(y).T  # (n, channels)
    envelope = _envelope([frames], len(frames), frames.shape[1], columns)
    return envelope, len(frames) / sr


def _envelope(
    blocks: Iterable[np.ndarray], total: int, channels: int, columns: int
) -> np.ndarray:
    """Return min/max of ``columns`` stretches of ``total`` samples [shape=(n, c)]."""
    per_column = -(-total // columns)
    k = -(-total // per_column)
    low = np.full((channels, k), np.inf, dtype=np.float32)
    high = np.full((channels, k), -np.inf, dtype=np.float32)
    done = 0
    for y in blocks:
        cols = np.minimum((done + np.arange(len(y))) // per_column, k - 1)
        starts = np.flatnonzero(np.r_[True, cols[1:] != cols[:-1]])
        c = cols[starts]
        low[:, c] = np.minimum(low[:, c], np.minimum.reduceat(y, starts, axis=0).T)
        high[:, c] = np.maximum(high[:, c], np.maximum.reduceat(y, starts, axis=0).T)
        done += len(y)
    low[~np.isfinite(low)] = 0.0
    high[~np.isfinite(high)] = 0.0
    return np.stack([low, high], axis=1)


# ------------------------------------------------------------------ image
def image_range(params: MelParams) -> tuple[float, float] | None:
    """Return the image style's fixed value range, or None if it has none.

    Where the settings fix the range, it is that range, so that a default run
    uses the whole grey scale: ``scale="db"`` with ``ref="max"`` puts every
    file's peak at 0 dB and, with ``top_db``, nothing below ``-top_db``; the
    range is then ``[-top_db, 0]`` (``[-120, 0]`` without ``top_db``).
    Otherwise (a numeric ``ref``, log and log10) it is :data:`IMAGE_RANGES`.
    Either is passed through ``(x + shift) / divisor``, and is the same for
    every file of a run, so grey levels compare across a dataset. MFCCs, Kaldi
    filterbanks and ``scale="none"`` have no natural range: each image then
    spans its own array's minimum to maximum. The range is recorded in the PNG.
    """
    if params.kind in ("mfcc", "fbank") or params.scale not in IMAGE_RANGES:
        return None
    natural = IMAGE_RANGES[params.scale]
    if params.scale == "db" and params.ref == "max":
        natural = (-float(params.top_db), 0.0) if params.top_db else (natural[0], 0.0)
    lo, hi = ((v + params.shift) / params.divisor for v in natural)
    return (min(lo, hi), max(lo, hi))


def write_image(
    path: Path, S: np.ndarray, *, params: MelParams, cmap: str = IMAGE_CMAP
) -> None:
    """Write ``S`` as an image of one pixel per frame and band, atomically.

    Width ``frames``, height ``n_bins`` (times the channels, stacked with
    channel 0 on top); the lowest band is the bottom row. A value ``v`` in the
    range ``[lo, hi]`` of :func:`image_range` becomes grey level
    ``round((v - lo) / (hi - lo) * L)``, clipped to ``[0, L]``, with
    ``L = 65535`` (16-bit grey, ``cmap="gray"``) or ``L = 255`` (8-bit index
    into another colormap's 256 colours, written as RGB). The range, levels,
    colormap and channels are stored in PNG text chunks ``melcli:*``;
    :func:`read_image` inverts the mapping.
    """
    from PIL import Image, PngImagePlugin

    panels = S[np.newaxis] if S.ndim == 2 else S
    rows = np.concatenate([p[::-1] for p in np.asarray(panels, np.float64)], axis=0)
    limits = image_range(params)
    if limits is None:
        lo, hi = float(rows.min()), float(rows.max())
        hi = hi if hi > lo else lo + 1.0
    else:
        lo, hi = limits
    x = np.clip((rows - lo) / (hi - lo), 0.0, 1.0)
    info = PngImagePlugin.PngInfo()
    grey = cmap in ("gray", "grey")
    levels = 65535 if grey else 255
    for key, value in {
        "range": f"{lo!r} {hi!r}",
        "levels": str(levels),
        "cmap": cmap,
        "channels": str(len(panels)),
    }.items():
        info.add_text(f"melcli:{key}", value)
    index = np.rint(x * levels)
    if grey:
        image = Image.fromarray(index.astype(np.uint16))
    else:
        image = Image.fromarray(_lut(cmap)[index.astype(np.uint8)], mode="RGB")

    def write(f: BinaryIO) -> None:
        image.save(f, format="PNG", pnginfo=info, compress_level=PNG_COMPRESS_LEVEL)

    atomic_write(path, write)


@functools.cache
def _lut(cmap: str) -> np.ndarray:
    from matplotlib import colormaps

    rgba = colormaps[cmap](np.arange(256))
    lut: np.ndarray = np.rint(np.asarray(rgba)[:, :3] * 255).astype(np.uint8)
    return lut


def _colour_index(rgb: np.ndarray, lut: np.ndarray) -> np.ndarray:
    """Return, per pixel of ``rgb`` [shape=(h, w, 3)], its nearest ``lut`` index.

    The nearest colour is looked up once per distinct colour of the image (at
    most 256 in an image :func:`write_image` made), not once per pixel: memory
    stays a few times the image's, whatever its size. Ties go to the lower index.
    """
    codes = rgb.astype(np.int64) @ np.array([1 << 16, 1 << 8, 1], dtype=np.int64)
    unique, inverse = np.unique(codes, return_inverse=True)
    colours = np.stack([unique >> 16, (unique >> 8) & 255, unique & 255], axis=-1)
    distance = ((colours[:, np.newaxis, :] - lut.astype(np.int64)) ** 2).sum(-1)
    nearest = distance.argmin(axis=-1).astype(np.float64)
    index: np.ndarray = nearest[inverse.reshape(codes.shape)]
    return index


def read_image(path: str | os.PathLike[str]) -> np.ndarray:
    """Recover the array from a PNG written with ``png_style="image"``.

    Returns
    -------
    S : np.ndarray [shape=(n_bins, t) or (channels, n_bins, t)], float64
        Within one grey level (``(hi - lo) / L``) of the array written, for
        values inside the range.
    """
    from PIL import Image

    with Image.open(os.fspath(path)) as image:
        text = dict(image.text)  # type: ignore[attr-defined]
        pixels = np.asarray(image)
    lo, hi = (float(v) for v in text["melcli:range"].split())
    levels = int(text["melcli:levels"])
    channels = int(text["melcli:channels"])
    if pixels.ndim == 3:  # RGB through a colormap: back to the index
        index = _colour_index(pixels[..., :3], _lut(text["melcli:cmap"]))
    else:
        index = pixels.astype(np.float64)
    rows = lo + index / levels * (hi - lo)
    panels: np.ndarray = rows.reshape(channels, -1, rows.shape[-1])[:, ::-1]
    return panels[0] if channels == 1 else panels

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

The colour scale is fixed per file: with ``top_db`` it spans
``[peak - top_db, peak]`` (so files of a dataset share colours), else the
data's range rounded out to whole dB.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from .params import MelParams
from .transform import hz_to_mel
from .write import atomic_write

#: Figure width, and height per channel panel, in inches (at 100 dpi).
WIDTH, PANEL_HEIGHT, MARGIN_HEIGHT = 10.0, 3.0, 1.0
CMAP = "magma"
#: zlib level of the PNG: 1 is several times faster to encode than the
#: default 6, for files about 15% larger.
PNG_COMPRESS_LEVEL = 1


@dataclass
class _Canvas:
    """A figure with ``n`` spectrogram panels and a colorbar, reused per process."""

    fig: Any
    axes: list[Any]
    images: list[Any]
    colorbar: Any
    agg: Any
    backgrounds: dict[tuple[Any, ...], Any]


def render_png(
    path: Path,
    S_db: np.ndarray,
    *,
    sr: int,
    params: MelParams,
    title: str,
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
    """
    panels = S_db[np.newaxis] if S_db.ndim == 2 else S_db
    n_panels, n_mels, frames = panels.shape
    canvas = _canvas(n_panels)
    vmin, vmax = colour_limits(panels, top_db=params.top_db)
    seconds = frames * params.effective_hop_length / sr
    fmin = float(params.fmin)
    fmax = params.effective_fmax(sr)
    ticks, labels = _frequency_ticks(n_mels, fmin, fmax, params.htk)
    for channel, (ax, image) in enumerate(zip(canvas.axes, canvas.images, strict=True)):
        image.set_data(panels[channel].astype(np.float32, copy=False))
        image.set_extent((0.0, seconds, 0.0, float(n_mels)))
        image.set_clim(vmin, vmax)
        ax.set_xlim(0.0, seconds)
        ax.set_ylim(0.0, float(n_mels))
        ax.set_yticks(ticks, labels)
        ax.set_title(title if channel == 0 else "")
    image_rgb = _draw(canvas, (n_panels, seconds, n_mels, fmin, fmax, vmin, vmax))

    def write(f: BinaryIO) -> None:
        image_rgb.save(f, format="PNG", compress_level=PNG_COMPRESS_LEVEL)

    atomic_write(path, write)


def colour_limits(panels: np.ndarray, *, top_db: float | None) -> tuple[float, float]:
    """Return the colour scale: ``[peak - top_db, peak]``, or the range in whole dB."""
    vmax = float(np.max(panels))
    if top_db is not None and top_db > 0:
        return vmax - float(top_db), vmax
    vmin = float(np.floor(np.min(panels)))
    vmax = float(np.ceil(vmax))
    return (vmin - 1.0, vmax) if vmin == vmax else (vmin, vmax)


def _draw(canvas: _Canvas, key: tuple[Any, ...]) -> Any:
    """Draw the figure, reusing the background for these limits; return an RGB image."""
    from PIL import Image

    agg = canvas.agg
    background = canvas.backgrounds.get(key)
    if background is None:
        titles = [ax.get_title() for ax in canvas.axes]
        for ax, image in zip(canvas.axes, canvas.images, strict=True):
            image.set_visible(False)
            ax.set_title("")
        agg.draw()
        background = agg.copy_from_bbox(canvas.fig.bbox)
        if len(canvas.backgrounds) >= 8:
            canvas.backgrounds.pop(next(iter(canvas.backgrounds)))
        canvas.backgrounds[key] = background
        for ax, image, title in zip(canvas.axes, canvas.images, titles, strict=True):
            image.set_visible(True)
            ax.set_title(title)
    agg.restore_region(background)
    for ax, image in zip(canvas.axes, canvas.images, strict=True):
        ax.draw_artist(image)
        for spine in ax.spines.values():
            ax.draw_artist(spine)
        ax.draw_artist(ax.title)
    width, height = agg.get_width_height()
    rgba = Image.frombuffer("RGBA", (width, height), agg.buffer_rgba(), "raw")
    return rgba.convert("RGB")


@functools.cache
def _canvas(n_panels: int) -> _Canvas:
    from matplotlib.figure import Figure

    height = MARGIN_HEIGHT + PANEL_HEIGHT * n_panels
    fig = Figure(figsize=(WIDTH, height), dpi=100)
    # Fixed margins (in inches, converted to figure fractions): a solved
    # layout would cost more than drawing.
    left, right, top, bottom, gap = 0.8, 1.3, 0.4, 0.6, 0.25
    panel_h = (height - top - bottom - gap * (n_panels - 1)) / n_panels
    axes, images = [], []
    for i in range(n_panels):
        y0 = height - top - (i + 1) * panel_h - i * gap
        ax = fig.add_axes(
            (left / WIDTH, y0 / height, 1 - (left + right) / WIDTH, panel_h / height)
        )
        image = ax.imshow(
            np.zeros((2, 2), dtype=np.float32),
            origin="lower",
            aspect="auto",
            interpolation="nearest",
            cmap=CMAP,
        )
        ax.set_ylabel("Hz" if n_panels == 1 else f"Hz (channel {i})")
        if i < n_panels - 1:
            ax.tick_params(labelbottom=False)
        axes.append(ax)
        images.append(image)
    axes[-1].set_xlabel("Time (s)")
    cax = fig.add_axes(
        (
            1 - (right - 0.2) / WIDTH,
            bottom / height,
            0.2 / WIDTH,
            1 - (top + bottom) / height,
        )
    )
    colorbar = fig.colorbar(images[0], cax=cax, format="%+2.0f dB")
    for image in images[1:]:
        image.colorbar = colorbar
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    return _Canvas(
        fig=fig,
        axes=axes,
        images=images,
        colorbar=colorbar,
        agg=FigureCanvasAgg(fig),
        backgrounds={},
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

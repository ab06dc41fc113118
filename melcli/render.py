"""PNG renders a person can look at.

matplotlib is imported here only, lazily, through its object-oriented Figure
API: no pyplot, no global figure state, safe in worker processes.
"""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

import numpy as np

from .params import MelParams
from .write import atomic_write


def render_png(
    path: Path,
    S_db: np.ndarray,
    *,
    sr: int,
    params: MelParams,
    title: str,
) -> None:
    """Draw ``S_db`` as ``librosa.display.specshow`` would and save it atomically.

    The figure has a time axis in seconds, a mel-scaled frequency axis labelled
    in Hz, a colorbar in dB and ``title`` on top; a multichannel array gets one
    panel per channel, sharing the colorbar. The axes use the same ``sr``,
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
    import librosa.display
    from matplotlib.figure import Figure

    panels = S_db[np.newaxis] if S_db.ndim == 2 else S_db
    n = panels.shape[0]
    fig = Figure(figsize=(10, 1.0 + 3.0 * n), layout="constrained")
    axes = fig.subplots(n, 1, squeeze=False, sharex=True)[:, 0]
    vmin = float(np.min(panels))
    vmax = float(np.max(panels))
    if vmin == vmax:
        vmin -= 1.0
    images = []
    for channel, ax in enumerate(axes):
        images.append(
            librosa.display.specshow(
                panels[channel].astype(np.float32, copy=False),
                sr=sr,
                hop_length=params.effective_hop_length,
                n_fft=params.n_fft,
                win_length=params.effective_win_length,
                x_axis="time",
                y_axis="mel",
                fmin=params.fmin,
                fmax=params.effective_fmax(sr),
                htk=params.htk,
                vmin=vmin,
                vmax=vmax,
                cmap="magma",
                ax=ax,
            )
        )
        if n > 1:
            ax.set_ylabel(f"channel {channel}\nHz")
        ax.set_xlabel("Time (s)" if channel == n - 1 else "")
    axes[0].set_title(title)
    fig.colorbar(images[0], ax=list(axes), format="%+2.0f dB", label="dB")

    def write(f: BinaryIO) -> None:
        fig.savefig(f, format="png", dpi=100)

    atomic_write(path, write)

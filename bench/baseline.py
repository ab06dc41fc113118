"""The benchmark's baseline: the loop a librosa user writes from the docs.

    python bench/baseline.py DATA OUT [--png] [--joblib]

DATA is a folder (every ``*.wav`` under it, the tree mirrored into OUT) or one
audio file (written as ``OUT/<stem>.npy``). Each file goes through the chain
librosa's documentation shows, one file at a time, or with ``--joblib`` through
``joblib.Parallel(n_jobs=-1)``. With ``--png`` it also draws the usual pyplot
figure.

Each mode imports only what a hand-written script for that mode would import
(no matplotlib without ``--png``, no joblib without ``--joblib``), so the
baseline pays the same start-up cost a user pays, and no more.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import librosa
import numpy as np


def convert(path: Path, rel: Path, out: Path, png: bool) -> None:
    """Write ``out/rel.npy`` (and ``out/rel.png``) for the audio file ``path``."""
    y, sr = librosa.load(path, sr=22050)
    S = librosa.feature.melspectrogram(y=y, sr=sr)
    S_db = librosa.power_to_db(S, ref=np.max)
    npy_path = out / rel.with_suffix(".npy")
    npy_path.parent.mkdir(parents=True, exist_ok=True)
    np.save(npy_path, S_db)
    if png:
        save_png(S_db, sr, str(rel), npy_path.with_suffix(".png"))


def save_png(S_db: np.ndarray, sr: float, title: str, png_path: Path) -> None:
    """The usual figure from librosa's docs."""
    import librosa.display
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(10, 4))
    img = librosa.display.specshow(S_db, sr=sr, x_axis="time", y_axis="mel", ax=ax)
    fig.colorbar(img, ax=ax, format="%+2.0f dB")
    ax.set(title=title)
    fig.savefig(png_path)
    plt.close(fig)


def find_audio(data: Path) -> list[tuple[Path, Path]]:
    """Return ``(path, path relative to data)`` for every input, sorted."""
    if data.is_file():
        return [(data, Path(data.name))]
    return [(path, path.relative_to(data)) for path in sorted(data.rglob("*.wav"))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path, help="a folder of .wav files, or one file")
    parser.add_argument("out", type=Path, help="output folder (tree mirrored)")
    parser.add_argument("--png", action="store_true", help="also draw a PNG per file")
    parser.add_argument("--joblib", action="store_true", help="joblib, every CPU")
    args = parser.parse_args()

    files = find_audio(args.data)
    if args.joblib:
        from joblib import Parallel, delayed

        Parallel(n_jobs=-1)(
            delayed(convert)(path, rel, args.out, args.png) for path, rel in files
        )
    else:
        for path, rel in files:
            convert(path, rel, args.out, args.png)


if __name__ == "__main__":
    main()

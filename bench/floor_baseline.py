"""(f)'s floor as a program: each stage of the chain once per file, nothing else.

    python bench/floor_baseline.py DATA OUT [--preset NAME] [--times NPY]

For every file under DATA (sorted), the stages melcli's chain runs, each
written with plain numpy, soxr and soundfile as librosa computes it (float64
FFT frames, a dense mel product, one BLAS thread): decode (soundfile), mix,
soxr resample, STFT power, mel, scale (dB, or the preset's log10, clamp and
affine step), ``np.save`` into OUT (the tree mirrored). No checks, no
bookkeeping, no atomic writes: what a program doing nothing but that
arithmetic pays. Only the settings come from melcli (``MelParams()``, or the
preset's).

librosa's arithmetic is more than melcli's in two stages, and the floor keeps
it (the issue defines the floor so): the dense mel product (melcli's banded
one is about 2.5x faster) and ``np.log10`` (numpy calls the C library per
element; melcli takes a vectorised ``np.log`` times ``1 / ln 10``, 3x faster:
about 0.2 ms of a 5-s Whisper file, 0.27 ms of a 10-s clip). bench/README.md
states both offsets.

(f) runs it as a whole process, beside melcli's runs, on the same N and N/2
files, and takes its cost per file the way it takes melcli's (CPU time, the
difference over N/2: start-up and imports set aside), so that the two sides
are measured at the same moments, by the same clock. Each stage is also
timed where it runs (``--times``: CPU seconds per file and stage), and (f)'s
per-stage floor is the least of those over its rounds: the stages as a
process doing only them runs them, once per file, each new output a new
file, its allocator tuned as melcli's is (bench/README.md, issue 19,
seventeenth round, says why not in (f)'s own process, back to back).

(f) passes ``--filters``: the window and mel filterbank, computed by librosa
in its own process, so that this one does not import librosa. Like melcli's
command line, it keeps glibc from mapping each FFT block's
temporaries afresh (:func:`melcli.runners.tune_allocator`): a program that
did not would pay page faults, not arithmetic.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf


def settings_of(options: tuple[str, ...]) -> Any:
    import melcli

    if "--preset" in options:
        return melcli.preset_params(options[options.index("--preset") + 1])
    return melcli.MelParams()


class Stages:
    """Each stage of one settings' chain, as the least arithmetic librosa does.

    Only the numbers come from melcli (its settings); the work is written here.
    The analysis window and the mel filterbank are librosa's, or ``filters``
    (``window``, ``M``) computed by librosa in another process: importing
    librosa costs over a second, whose noise would swamp a short run's
    difference over N/2.
    """

    def __init__(
        self, params: Any, sr_in: int, filters: dict[str, np.ndarray] | None = None
    ) -> None:
        self.p = params
        self.sr = params.sr or sr_in
        self.sr_in = sr_in
        hop = params.effective_hop_length
        self.hop = hop
        if filters is not None:
            self.window, self.M = filters["window"], filters["M"]
            return
        import librosa

        win = librosa.filters.get_window(
            params.window, params.effective_win_length, fftbins=True
        )
        self.window = librosa.util.pad_center(win, size=params.n_fft)
        self.M = librosa.filters.mel(
            sr=self.sr,
            n_fft=params.n_fft,
            n_mels=params.n_mels,
            fmin=params.fmin,
            fmax=params.effective_fmax(self.sr),
            htk=params.htk,
            norm=params.norm,
        )

    def decode(self, path: Path) -> np.ndarray:
        data, _ = sf.read(str(path), dtype="float32", always_2d=True)
        return data

    def mix(self, data: np.ndarray) -> np.ndarray:
        """``librosa.to_mono``'s mean, summed column by column (numpy's reduction
        across a row of two interleaved channels is several times slower)."""
        y = data[:, 0].copy()
        if data.shape[1] > 1:
            for c in range(1, data.shape[1]):
                y += data[:, c]
            y /= np.float32(data.shape[1])
        return y

    def resample(self, y: np.ndarray) -> np.ndarray:
        if self.sr == self.sr_in:
            return y
        import soxr

        return np.asarray(
            soxr.resample(y, self.sr_in, self.sr, quality=self.p.res_type)
        )

    def stft(self, y: np.ndarray) -> np.ndarray:
        """Power, frames first, in blocks of 256 KB of float64 frames.

        melcli's block size, and the floor's fastest too: against 512 KB
        blocks, 0.90-1.02x (median 0.97x) on a 10-s clip, 0.92-0.97x on a
        5-s Whisper file (least CPU of 15, five alternating rounds).
        """
        n_fft = self.p.n_fft
        x = np.pad(y, n_fft // 2, mode=self.p.pad_mode) if self.p.center else y
        frames = np.lib.stride_tricks.sliding_window_view(x, n_fft)[:: self.hop]
        if self.p.drop_last_frame:
            frames = frames[:-1]
        out = np.empty((frames.shape[0], 1 + n_fft // 2), dtype=np.float32)
        step = max(1, (1 << 18) // (8 * n_fft))
        for start in range(0, frames.shape[0], step):
            D = np.fft.rfft(frames[start : start + step] * self.window, axis=-1)
            D = D.astype(np.complex64)
            S = np.square(D.real)
            S += np.square(D.imag)
            out[start : start + step] = S
        return out

    def mel(self, S: np.ndarray) -> np.ndarray:
        return np.asarray(self.M @ S.T)

    def scale(self, S: np.ndarray) -> np.ndarray:
        p = self.p
        if p.scale == "db":
            out = 10.0 * np.log10(np.maximum(p.amin, S))
            out -= 10.0 * np.log10(max(p.amin, float(S.max())))
            if p.top_db is not None:
                np.maximum(out, out.max() - p.top_db, out=out)
        else:
            out = np.log10(np.maximum(S, p.amin))
            if p.clamp is not None:
                np.maximum(out, out.max() - p.clamp, out=out)
        if p.shift or p.divisor != 1.0:
            out = (out + np.float32(p.shift)) / np.float32(p.divisor)
        return np.asarray(out, dtype=np.float32)

    def save(self, S: np.ndarray, path: Path) -> None:
        with path.open("wb") as f:
            np.save(f, S, allow_pickle=False)


#: The chain's stages, in order: the columns of ``--times``.
STAGES = ("decode", "mix", "resample", "stft", "mel", "scale", "save")


def run(stages: Stages, data: Path, out: Path, files: list[Path]) -> np.ndarray:
    """Run the chain on every file; return each stage's CPU seconds, file by file.

    Shape ``(len(files), len(STAGES))``. Each stage is timed where it runs,
    once per file, in the chain: its input just made by the stage before,
    its output a new file. Timing costs eight reads of the process's CPU
    clock per file (a few microseconds), paid by every run of the program.
    """
    clock = time.process_time
    times = np.zeros((len(files), len(STAGES)))
    for index, path in enumerate(files):
        target = out / path.relative_to(data).with_suffix(".npy")
        target.parent.mkdir(parents=True, exist_ok=True)
        t0 = clock()
        v = stages.decode(path)
        t1 = clock()
        v = stages.mix(v)
        t2 = clock()
        v = stages.resample(v)
        t3 = clock()
        v = stages.stft(v)
        t4 = clock()
        v = stages.mel(v)
        t5 = clock()
        v = stages.scale(v)
        t6 = clock()
        stages.save(v, target)
        t7 = clock()
        times[index] = (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4, t6 - t5, t7 - t6)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path, help="a folder of audio files")
    parser.add_argument("out", type=Path, help="output folder (tree mirrored)")
    parser.add_argument("--preset", help="a melcli preset's settings")
    parser.add_argument(
        "--filters", type=Path, help="an .npz of the window and mel filterbank"
    )
    parser.add_argument(
        "--times",
        type=Path,
        help="write each file's CPU seconds per stage here (.npy, files x stages)",
    )
    args = parser.parse_args()
    from threadpoolctl import threadpool_limits

    from melcli.runners import tune_allocator

    tune_allocator()
    options = ("--preset", args.preset) if args.preset else ()
    files = sorted(p for p in args.data.rglob("*") if p.is_file())
    if not files:
        raise SystemExit(f"no files under {args.data}")
    filters = dict(np.load(args.filters)) if args.filters else None
    sr_in = sf.info(str(files[0])).samplerate
    stages = Stages(settings_of(options), sr_in, filters)
    with threadpool_limits(1, "blas"):
        times = run(stages, args.data, args.out, files)
    if args.times:
        with args.times.open("wb") as f:
            np.save(f, times, allow_pickle=False)


if __name__ == "__main__":
    main()

"""The benchmark's baselines for Kaldi filterbanks (workloads f and g).

    python bench/fbank_baseline.py knf-stream FILE OUT.npy
    python bench/fbank_baseline.py ast-loop DATA OUT

``knf-stream``: what a user of kaldi-native-fbank writes for a long file:
decode blocks with soundfile, average the channels, resample to 16 kHz with
soxr's streaming resampler (melcli's resampler, same quality), feed
``OnlineFbank`` with its default options (dither 0), and save the
``(bins, frames)`` array. Memory stays bounded: only the features are kept.

``ast-loop``: the closest runnable stand-in for a loop over transformers'
``ASTFeatureExtractor``, which transformers 5 runs only with torch: for each
``*.wav`` under DATA, ``librosa.load(sr=16000)``, then the extractor's numpy
path called step by step (``transformers.audio_utils.spectrogram`` with AST's
window, Kaldi mel filters and options), its padding or cutting to 1024 frames
and its normalisation, saved as ``(128, 1024)`` (melcli's orientation) into
OUT, the tree mirrored. kaldi-native-fbank cannot stand in: it refuses AST's
128 bins at 16 kHz ("You may have set num_mel_bins too large").
"""

from __future__ import annotations

import argparse
import math
import warnings
from pathlib import Path

import numpy as np

SR = 16000
BLOCK = 1 << 18


def knf_stream(src: Path, out: Path) -> None:
    import kaldi_native_fbank as knf
    import soundfile as sf
    import soxr

    opts = knf.FbankOptions()
    opts.frame_opts.dither = 0.0
    fbank = knf.OnlineFbank(opts)
    frames: list[np.ndarray] = []
    with sf.SoundFile(src) as f:
        resampler = soxr.ResampleStream(f.samplerate, SR, 1, dtype="float32")
        n_in = n_out = 0
        while True:
            block = f.read(BLOCK, dtype="float32", always_2d=True)
            last = len(block) < BLOCK
            n_in += len(block)
            y = resampler.resample_chunk(block.mean(axis=1), last=last)
            if last:  # as librosa: exactly ceil(n * 16000 / sr) samples
                want = math.ceil(n_in * SR / f.samplerate) - n_out
                y = np.pad(y[:want], (0, max(0, want - len(y))))
            n_out += len(y)
            fbank.accept_waveform(SR, y)
            ready = fbank.num_frames_ready
            frames.extend(fbank.get_frame(i) for i in range(len(frames), ready))
            if last:
                break
        fbank.input_finished()
        ready = fbank.num_frames_ready
        frames.extend(fbank.get_frame(i) for i in range(len(frames), ready))
    out.parent.mkdir(parents=True, exist_ok=True)
    np.save(out, np.stack(frames).T)


def ast_loop(data: Path, out: Path) -> None:
    import librosa
    from transformers.audio_utils import mel_filter_bank, spectrogram, window_function

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # an empty filter at 128 bins, as torchaudio
        filters = mel_filter_bank(
            num_frequency_bins=257,
            num_mel_filters=128,
            min_frequency=20,
            max_frequency=SR // 2,
            sampling_rate=SR,
            norm=None,
            mel_scale="kaldi",
            triangularize_in_mel_space=True,
        )
    window = window_function(400, "hann", periodic=False)
    for path in sorted(data.rglob("*.wav")):
        y, _ = librosa.load(path, sr=SR)
        fb = spectrogram(
            y,
            window,
            frame_length=400,
            hop_length=160,
            fft_length=512,
            power=2.0,
            center=False,
            preemphasis=0.97,
            mel_filters=filters,
            log_mel="log",
            mel_floor=1.192092955078125e-07,
            remove_dc_offset=True,
        ).T
        fb = np.pad(fb, ((0, max(0, 1024 - len(fb))), (0, 0)))[:1024]
        fb = (fb - (-4.2677393)) / (4.5689974 * 2)
        dest = out / path.relative_to(data).with_suffix(".npy")
        dest.parent.mkdir(parents=True, exist_ok=True)
        np.save(dest, fb.T.astype(np.float32))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=["knf-stream", "ast-loop"])
    parser.add_argument("src", type=Path)
    parser.add_argument("out", type=Path)
    args = parser.parse_args()
    if args.mode == "knf-stream":
        knf_stream(args.src, args.out)
    else:
        ast_loop(args.src, args.out)


if __name__ == "__main__":
    main()

"""The option bundles of the pipeline's settings: librosa's, the features, Kaldi's."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from ..params import (
    CMVN_MODES,
    DTYPES,
    KINDS,
    PAD_MODES,
    RES_TYPES,
    SCALES,
    WINDOW_TYPES,
    WINDOWS,
    MelParams,
)
from ..presets import PRESETS
from .help import FBANK, FEATURES, PIPELINE, help_group
from .options import with_options
from .types import NORM, OPTIONAL_FLOAT, OPTIONAL_INT, REF, SAMPLE_RATE, Choice

F = TypeVar("F", bound=Callable[..., Any])


@help_group(PIPELINE)
def pipeline_options(fn: F) -> F:
    """Every setting of :class:`MelParams`, with librosa's names and defaults."""
    d = MelParams()
    return with_options(fn, [*_load_options(d), *_stft_options(d), *_mel_options(d)])


def _load_options(d: MelParams) -> list[Callable[[Any], Any]]:
    """Return the decoding options: rate, channels, part of each file, resampler."""
    return [
        click.option(
            "--sr",
            type=SAMPLE_RATE,
            default=str(d.sr),
            show_default=True,
            help="Target sampling rate in Hz; 'native' keeps each file's rate.",
        ),
        click.option(
            "--mono/--no-mono",
            default=d.mono,
            show_default=True,
            help="Average the channels. --no-mono keeps them: arrays become "
            "(channels, n_mels, frames).",
        ),
        click.option(
            "--offset",
            type=float,
            default=d.offset,
            show_default=True,
            help="Start reading this many seconds into each file.",
        ),
        click.option(
            "--duration",
            type=float,
            default=None,
            help="Read at most this many seconds of each file.",
        ),
        click.option(
            "--res-type",
            type=Choice(RES_TYPES),
            default=d.res_type,
            show_default=True,
            help="Resampler, as in librosa.resample.",
        ),
    ]


def _stft_options(d: MelParams) -> list[Callable[[Any], Any]]:
    """Return the STFT options: size, hop, window, padding and power."""
    return [
        click.option(
            "--n-fft", type=int, default=d.n_fft, show_default=True, help="FFT size."
        ),
        click.option(
            "--hop-length",
            type=int,
            default=None,
            help="Samples between frames. [default: win-length // 4]",
        ),
        click.option(
            "--win-length",
            type=int,
            default=None,
            help="Window length, at most n-fft. [default: n-fft]",
        ),
        click.option(
            "--window",
            type=Choice(WINDOWS),
            default=d.window,
            show_default=True,
            # The names in the text, wrapped: as a metavar they made a line
            # of 120 characters.
            metavar="NAME",
            help=f"Window function: {', '.join(WINDOWS)}.",
        ),
        click.option(
            "--center/--no-center",
            default=d.center,
            show_default=True,
            help="Pad so that frame t is centred at t * hop-length.",
        ),
        click.option(
            "--pad-mode",
            type=Choice(PAD_MODES),
            default=d.pad_mode,
            show_default=True,
            help="Padding used with --center.",
        ),
        click.option(
            "--power",
            type=float,
            default=d.power,
            show_default=True,
            help="Exponent of the magnitude: 2 for power, 1 for magnitude.",
        ),
    ]


def _mel_options(d: MelParams) -> list[Callable[[Any], Any]]:
    """Return the mel filterbank, dB step and array type options."""
    return [
        click.option(
            "--n-mels",
            type=int,
            default=d.n_mels,
            show_default=True,
            help="Number of mel bands.",
        ),
        click.option(
            "--fmin",
            type=float,
            default=d.fmin,
            show_default=True,
            help="Lowest frequency of the mel filterbank, in Hz.",
        ),
        click.option(
            "--fmax",
            type=OPTIONAL_FLOAT,
            default=None,
            help="Highest frequency of the mel filterbank, in Hz. [default: sr / 2]",
        ),
        click.option(
            "--htk/--slaney-mel",
            "htk",
            default=d.htk,
            show_default=True,
            help="Use the HTK mel formula instead of Slaney's.",
        ),
        click.option(
            "--norm",
            type=NORM,
            default=str(d.norm),
            show_default=True,
            help="Mel filter normalisation: 'slaney' (equal area), 'none', or a "
            "p-norm order.",
        ),
        click.option(
            "--ref",
            type=REF,
            default=str(d.ref),
            show_default=True,
            help="Power that maps to 0 dB: 'max' (the file's peak, all channels "
            "together) or a number.",
        ),
        click.option(
            "--amin",
            type=float,
            default=d.amin,
            show_default=True,
            help="Floor on power before the logarithm.",
        ),
        click.option(
            "--top-db",
            type=OPTIONAL_FLOAT,
            default=str(d.top_db),
            show_default=True,
            help="Clamp at this many dB below the peak; 'none' disables.",
        ),
        click.option(
            "--dtype",
            type=Choice(DTYPES),
            default=d.dtype,
            show_default=True,
            help="Type of the arrays written.",
        ),
    ]


@help_group(FEATURES)
def feature_options(fn: F) -> F:
    """``--kind``, ``--n-mfcc``, the scale step, and ``--preset``."""
    d = MelParams()
    options = [
        click.option(
            "--preset",
            type=Choice(list(PRESETS), case_sensitive=False),  # WHISPER too
            default=None,
            metavar="NAME",  # as --window's
            help=f"Set every setting a model's front end pins: {', '.join(PRESETS)} "
            "(see 'melcli presets'). Options given explicitly, in the environment "
            "or in a config file still win.",
        ),
        click.option(
            "--kind",
            type=Choice(KINDS),
            default=d.kind,
            show_default=True,
            help="mel bands (n_mels, frames); linear STFT bins (1 + n_fft // 2, "
            "frames); MFCCs (n_mfcc, frames), the DCT of the scaled mel bands; or "
            "Kaldi's filterbank (num_mel_bins, frames), with the --kind fbank "
            "options below instead of the STFT, mel and scale ones.",
        ),
        click.option(
            "--n-mfcc",
            type=int,
            default=d.n_mfcc,
            show_default=True,
            help="Number of MFCCs with --kind mfcc.",
        ),
        click.option(
            "--scale",
            type=Choice(SCALES),
            default=d.scale,
            show_default=True,
            help="The log step: db (power_to_db with --ref, --amin, --top-db), "
            "log or log10 of max(S, amin) (with --clamp), or none.",
        ),
        click.option(
            "--clamp",
            type=OPTIONAL_FLOAT,
            default=None,
            help="With --scale log/log10: clamp at this many units below the "
            "peak (Whisper: 8).  [default: none]",
        ),
        click.option(
            "--shift",
            type=float,
            default=d.shift,
            show_default=True,
            help="Last step: (x + shift) / divisor (Whisper: 4 and 4).",
        ),
        click.option(
            "--divisor",
            type=float,
            default=d.divisor,
            show_default=True,
            help="See --shift.",
        ),
        click.option(
            "--pad-length",
            type=OPTIONAL_INT,
            default=None,
            help="Samples --center pads on each side; none: n-fft // 2 (librosa). "
            "[default: none]",
        ),
        click.option(
            "--drop-last-frame/--keep-last-frame",
            default=d.drop_last_frame,
            show_default=True,
            help="Drop the last STFT frame, as Whisper does.",
        ),
        click.option(
            "--stft-eps",
            type=float,
            default=d.stft_eps,
            show_default=True,
            help="Added to |STFT|^2 before the power (HiFi-GAN: 1e-9).",
        ),
    ]
    return with_options(fn, options)


@help_group(FBANK)
def fbank_options(fn: F) -> F:
    """Kaldi's filterbank options (``--kind fbank``), under Kaldi's names."""
    d = MelParams()
    return with_options(fn, [*_frame_options(d), *_filterbank_options(d)])


def _flag(name: str, default: bool, text: str) -> Callable[[Any], Any]:
    return click.option(
        f"--{name}/--no-{name}", default=default, show_default=True, help=text
    )


def _number(name: str, default: Any, text: str, kind: Any = float) -> Any:
    return click.option(
        f"--{name}", type=kind, default=default, show_default=True, help=text
    )


def _frame_options(d: MelParams) -> list[Callable[[Any], Any]]:
    """Return the ``--kind fbank`` framing options (dither, window, FFT size)."""
    return [
        _number("frame-length", d.frame_length, "--kind fbank: frame length in ms."),
        _number("frame-shift", d.frame_shift, "--kind fbank: frame shift in ms."),
        _number(
            "dither",
            d.dither,
            "--kind fbank: Gaussian noise of this standard deviation added to "
            "each frame, seeded by --seed (Kaldi's default is 1 on 16-bit "
            "samples; 0 keeps outputs reproducible).",
        ),
        _number(
            "preemphasis-coefficient",
            d.preemphasis_coefficient,
            "--kind fbank: x[i] -= c * x[i-1] in each frame.",
        ),
        _flag(
            "remove-dc-offset",
            d.remove_dc_offset,
            "--kind fbank: subtract each frame's mean.",
        ),
        click.option(
            "--window-type",
            type=Choice(WINDOW_TYPES),
            default=d.window_type,
            show_default=True,
            help="--kind fbank: Kaldi's window; hanning is symmetric (Kaldi, "
            "torchaudio), hann periodic (kaldi-native-fbank).",
        ),
        _flag(
            "round-to-power-of-two",
            d.round_to_power_of_two,
            "--kind fbank: zero-pad each frame to a power of two for the FFT.",
        ),
        _flag(
            "snip-edges",
            d.snip_edges,
            "--kind fbank: only whole frames; --no-snip-edges centres frame i "
            "on (i + 1/2) * shift and mirrors the signal at its edges.",
        ),
    ]


def _filterbank_options(d: MelParams) -> list[Callable[[Any], Any]]:
    """Return the ``--kind fbank`` filter, energy, log, CMVN and stacking options."""
    return [
        _number("num-mel-bins", d.num_mel_bins, "--kind fbank: mel filters.", kind=int),
        _number("low-freq", d.low_freq, "--kind fbank: lowest filter edge in Hz."),
        _number(
            "high-freq",
            d.high_freq,
            "--kind fbank: highest filter edge in Hz; 0 or negative: an offset "
            "from the Nyquist frequency.",
        ),
        _flag(
            "use-energy",
            d.use_energy,
            "--kind fbank: add the frame's log energy as row 0.",
        ),
        _number(
            "energy-floor",
            d.energy_floor,
            "--kind fbank: floor of the energy (not its log); 0 for none.",
        ),
        _flag(
            "use-log-fbank",
            d.use_log_fbank,
            "--kind fbank: log(max(x, float32 eps)) of the filter outputs.",
        ),
        _flag(
            "use-power",
            d.use_power,
            "--kind fbank: filter |X|^2; --no-use-power filters |X|.",
        ),
        _number(
            "waveform-scale",
            d.waveform_scale,
            "--kind fbank: multiply the samples first (32768: Kaldi's 16-bit "
            "range, as Speech2Text and WeNet).",
        ),
        click.option(
            "--num-frames",
            type=OPTIONAL_INT,
            default=None,
            help="--kind fbank: pad with zero frames or cut to this many frames, "
            "right after the filterbank (AST: 1024).  [default: none]",
        ),
        click.option(
            "--cmvn",
            type=Choice(CMVN_MODES),
            default=d.cmvn,
            show_default=True,
            help="--kind fbank: per bin, over the file's frames: mean subtracts "
            "the mean; mean-var also divides by sqrt(var + --cmvn-eps).",
        ),
        _number(
            "cmvn-ddof",
            d.cmvn_ddof,
            "--kind fbank: 0 or 1, the variance's delta degrees of freedom.",
            kind=int,
        ),
        _number("cmvn-eps", d.cmvn_eps, "--kind fbank: added to the variance."),
        _number(
            "frame-stack",
            d.frame_stack,
            "--kind fbank: last, stack this many consecutive frames into one "
            "(SeamlessM4T: 2), padding with zero frames to a multiple.",
            kind=int,
        ),
    ]

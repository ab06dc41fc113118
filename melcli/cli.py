"""The ``melcli`` command: click only.

This layer parses options, calls the library, prints, and turns library
exceptions into click errors. Human-facing text goes to stderr; stdout carries
only what an option asks for (``melcli info``'s table or JSON).
"""

from __future__ import annotations

import contextlib
import functools
import gc
import json
import os
import platform
import signal
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from . import __version__, interrupts, segment
from . import shard as sharding
from .batch import decide, other_settings_warning, run_plan
from .discover import DEFAULT_EXTENSIONS, Plan, find_audio, normalize_extensions, plan
from .errors import MelcliError, ParameterError, UsageError
from .filelist import FileList, read_list
from .manifest import Manifest, relative_key
from .outdir import OutputLock, remove_leftovers
from .params import (
    CMVN_MODES,
    CROPS,
    DTYPES,
    KINDS,
    NON_FINITE_POLICIES,
    PAD_MODES,
    PADS,
    RES_TYPES,
    SCALES,
    SEGMENT_LAYOUTS,
    STYLES,
    TRUNCATED_POLICIES,
    WINDOW_TYPES,
    WINDOWS,
    MelParams,
    RenderParams,
)
from .presets import PRESETS
from .report import PROGRESS_INTERVAL, Progress, Report, Result, Status, display_path
from .runners import (
    DEFAULT_TIMEOUT,
    Runner,
    default_jobs,
    make_runner,
    tune_allocator,
)
from .storage import FORMATS, webdataset
from .storage.tarshards import parse_size
from .storage.webdataset import DEFAULT_SHARD_SIZE, Recorder, SampleStore

# numpy, soundfile and the DSP modules are imported only where something is
# computed (melcli.batch imports the pipeline when a run has work; `info` and
# `stats` import theirs): an up-to-date re-run, --help and --version never
# load them, and take about 40% less time (110 ms -> 70 ms, measured).
if TYPE_CHECKING:
    from .stats import DatasetStats

F = TypeVar("F", bound=Callable[..., Any])


# ---------------------------------------------------------------- value types
class _NumberOr(click.ParamType):  # type: ignore[type-arg]
    """A number, or one of a few words (``native``, ``max``, ``none``)."""

    def __init__(self, words: dict[str, Any], number: type = float) -> None:
        self.words = words
        self.number = number
        kinds = "an integer" if number is int else "a number"
        self.name = " or ".join([kinds, *(repr(w) for w in words)])

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> Any:
        if not isinstance(value, str):
            return value
        key = value.strip().lower()
        if key in self.words:
            return self.words[key]
        try:
            return self.number(value)
        except ValueError:
            self.fail(f"{value!r} is not {self.name}", param, ctx)

    def get_metavar(self, param: click.Parameter, ctx: click.Context) -> str:
        return "|".join(["NUMBER" if self.number is float else "INT", *self.words])


SAMPLE_RATE = _NumberOr({"native": None}, number=int)
REF = _NumberOr({"max": "max"})
OPTIONAL_FLOAT = _NumberOr({"none": None})
OPTIONAL_INT = _NumberOr({"none": None}, number=int)
NORM = _NumberOr({"slaney": "slaney", "none": None})


class _ShardType(click.ParamType):  # type: ignore[type-arg]
    """``I/N``: shard I of N."""

    name = "I/N"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> Any:
        if isinstance(value, sharding.Shard):
            return value
        try:
            return sharding.Shard.parse(str(value))
        except MelcliError as exc:
            self.fail(str(exc), param, ctx)


SHARD = _ShardType()


# -------------------------------------------------------------- help layout
#: The headings of ``melcli mel --help``, in order. Each option bundle below
#: names its heading (``@_help_group``); options declared on the command itself
#: are placed by :data:`_OPTION_HEADINGS`; an option in neither (a new one)
#: lands under :data:`OTHER_OPTIONS`, still shown.
COMMON_OPTIONS = "Common options"
INPUT_SELECTION = "Input selection"
PIPELINE = "Pipeline (librosa's settings)"
FEATURES = "Features and scale"
FBANK = "Kaldi filterbank (--kind fbank)"
CLIPS = "Fixed-length clips and segments"
OUTPUT = "Output"
BAD_INPUT = "Bad input"
SCALE_OUT = "Scale-out"
RUN_CONTROL = "Run control"
OTHER_OPTIONS = "Other options"
HELP_HEADINGS = (
    COMMON_OPTIONS,
    INPUT_SELECTION,
    PIPELINE,
    FEATURES,
    FBANK,
    CLIPS,
    OUTPUT,
    BAD_INPUT,
    SCALE_OUT,
    RUN_CONTROL,
    OTHER_OPTIONS,
)

#: Headings by option name: the common options first (in this order), and the
#: options declared on ``mel`` itself. These win over a bundle's heading.
_OPTION_HEADINGS = {
    "out": COMMON_OPTIONS,
    "preset": COMMON_OPTIONS,
    "png": COMMON_OPTIONS,
    "clip_duration": COMMON_OPTIONS,
    "jobs": COMMON_OPTIONS,
    "force": COMMON_OPTIONS,
    "dry_run": COMMON_OPTIONS,
    "with_stats": OUTPUT,
    "prune": RUN_CONTROL,
    "fail_fast": RUN_CONTROL,
    "as_json": RUN_CONTROL,
    "config": RUN_CONTROL,
    "print_config": RUN_CONTROL,
    "quiet": RUN_CONTROL,
    "verbose": RUN_CONTROL,
    "progress_interval": RUN_CONTROL,
}
_COMMON_ORDER = [k for k, v in _OPTION_HEADINGS.items() if v == COMMON_OPTIONS]

#: The heading an option bundle gave each option it added.
_BUNDLE_HEADINGS: dict[int, str] = {}

#: ``melcli mel --help`` ends with these: (command, what it does).
MEL_EXAMPLES = (
    ("melcli mel audio/ -o features/", "arrays with librosa's defaults"),
    ("melcli mel audio/ -o features/ --png -j 4", "arrays and PNGs, on 4 processes"),
    ("melcli mel audio/ -o features/ --dry-run", "what a run would build, and why"),
    (
        "melcli mel audio/ -o whisper/ --preset whisper --clip-duration 30",
        "Whisper's model input",
    ),
    ("melcli gallery features/", "a page to look at and listen to the result"),
)


def _help_group(heading: str) -> Callable[[F], F]:
    """Place the options an option bundle adds under ``heading`` in ``--help``."""

    def mark(bundle: F) -> F:
        @functools.wraps(bundle)
        def with_heading(fn: Any) -> Any:
            before = len(getattr(fn, "__click_params__", ()))
            fn = bundle(fn)
            for param in getattr(fn, "__click_params__", [])[before:]:
                _BUNDLE_HEADINGS.setdefault(id(param), heading)
            return fn

        return with_heading  # type: ignore[return-value]

    return mark


def help_heading(param: click.Parameter) -> str:
    """Return the ``--help`` heading of ``param`` (:data:`OTHER_OPTIONS` if none)."""
    named = _OPTION_HEADINGS.get(param.name or "")
    return named or _BUNDLE_HEADINGS.get(id(param), OTHER_OPTIONS)


class _GroupedHelp(click.Command):
    """A command whose ``--help`` lists options under headings, then examples."""

    def __init__(
        self, *args: Any, examples: Sequence[tuple[str, str]] = (), **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.examples = tuple(examples)

    def format_options(
        self, ctx: click.Context, formatter: click.HelpFormatter
    ) -> None:
        sections: dict[str, list[tuple[int, tuple[str, str]]]] = {}
        help_option = self.get_help_option(ctx)
        for param in self.get_params(ctx):
            record = param.get_help_record(ctx)
            if record is None or not isinstance(param, click.Option):
                continue
            heading = RUN_CONTROL if param is help_option else help_heading(param)
            rank = _COMMON_ORDER.index(param.name) if param.name in _COMMON_ORDER else 0
            sections.setdefault(heading, []).append((rank, record))
        for heading in sorted(sections, key=_heading_rank):
            rows = [row for _, row in sorted(sections[heading], key=lambda r: r[0])]
            with formatter.section(heading):
                formatter.write_dl(rows)

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        if not self.examples:
            return
        with formatter.section("Examples"):
            indent = " " * formatter.current_indent
            for command, what in self.examples:
                formatter.write(f"{indent}# {what}\n{indent}{command}\n")


def _heading_rank(heading: str) -> int:
    return (
        HELP_HEADINGS.index(heading) if heading in HELP_HEADINGS else len(HELP_HEADINGS)
    )


# ----------------------------------------------------------- option bundles
def _with_options(fn: F, options: Sequence[Callable[[Any], Any]]) -> F:
    """Decorate ``fn`` with ``options``, listed in the order --help shows them."""
    for option in reversed(options):
        fn = option(fn)
    return fn


@_help_group(INPUT_SELECTION)
def selection_options(fn: F) -> F:
    """``--ext``, ``--include``, ``--exclude``: which files to take."""
    options = [
        click.option(
            "--ext",
            "extensions",
            multiple=True,
            metavar="EXT[,EXT...]",
            help="Audio extensions to look for in folders, case-insensitive "
            "(repeat or comma-separate). [default: "
            + ", ".join(sorted(DEFAULT_EXTENSIONS))
            + "]",
        ),
        click.option(
            "--include",
            multiple=True,
            metavar="GLOB",
            help="Only take files whose path relative to SRC matches GLOB "
            "(fnmatch; '*' also matches '/'; repeatable).",
        ),
        click.option(
            "--exclude",
            multiple=True,
            metavar="GLOB",
            help="Pass over files whose path relative to SRC matches GLOB "
            "(repeatable).",
        ),
    ]
    return _with_options(fn, options)


@_help_group(INPUT_SELECTION)
def list_options(fn: F) -> F:
    """``--files-from``, ``--path-column``, ``--root``: inputs listed in a file."""
    options = [
        click.option(
            "--files-from",
            metavar="FILE",
            help="Also take the files listed in FILE ('-': standard input): one "
            "path a line, or a CSV/TSV table with a header (.csv/.tsv, or with "
            "--path-column) whose other columns go into each input's manifest "
            "entry as 'meta'. Outputs mirror the paths relative to --root.",
        ),
        click.option(
            "--path-column",
            metavar="NAME",
            help="The table column holding the paths. [default: 'path', else "
            "the one column named like filename, file, audio...]",
        ),
        click.option(
            "--root",
            "list_root",
            type=click.Path(file_okay=False, path_type=Path),
            metavar="DIR",
            help="The folder the listed paths are relative to, and mirrored "
            "from. [default: the folder of FILE; for '-' the current folder]",
        ),
    ]
    return _with_options(fn, options)


@_help_group(PIPELINE)
def pipeline_options(fn: F) -> F:
    """Every setting of :class:`MelParams`, with librosa's names and defaults."""
    d = MelParams()
    options = [
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
            type=click.Choice(RES_TYPES),
            default=d.res_type,
            show_default=True,
            help="Resampler, as in librosa.resample.",
        ),
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
            type=click.Choice(WINDOWS),
            default=d.window,
            show_default=True,
            help="Window function.",
        ),
        click.option(
            "--center/--no-center",
            default=d.center,
            show_default=True,
            help="Pad so that frame t is centred at t * hop-length.",
        ),
        click.option(
            "--pad-mode",
            type=click.Choice(PAD_MODES),
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
            type=click.Choice(DTYPES),
            default=d.dtype,
            show_default=True,
            help="Type of the arrays written.",
        ),
    ]
    return _with_options(fn, options)


@_help_group(OUTPUT)
def storage_options(fn: F) -> F:
    """``--format``, ``--shard-size``: one .npy per input, or tar shards."""
    options = [
        click.option(
            "--format",
            "storage_format",
            type=click.Choice(FORMATS),
            default="npy",
            show_default=True,
            help="npy: one .npy per input, mirroring SRC. webdataset: samples "
            "KEY.npy + KEY.json (+ KEY.png) in tar shards OUT/shard-NNNNNN.tar.",
        ),
        click.option(
            "--shard-size",
            metavar="SIZE",
            default=DEFAULT_SHARD_SIZE,
            show_default=True,
            help="With --format webdataset: the largest a shard may grow, in "
            "bytes or with a unit (500MB, 64MiB).",
        ),
    ]
    return _with_options(fn, options)


@_help_group(CLIPS)
def clip_options(fn: F) -> F:
    """``--clip-duration``, ``--pad``, ``--crop``, ``--seed``: fixed-length clips."""
    d = MelParams()
    options = [
        click.option(
            "--clip-duration",
            type=float,
            default=None,
            metavar="SECONDS",
            help="Cut or pad every waveform (after resampling) to exactly "
            "round(SECONDS * sr) samples: every array gets the same shape.",
        ),
        click.option(
            "--pad",
            type=click.Choice(PADS),
            default=d.pad,
            show_default=True,
            help="How --clip-duration completes a shorter waveform, at its end.",
        ),
        click.option(
            "--crop",
            type=click.Choice(CROPS),
            default=d.crop,
            show_default=True,
            help="Which part of a longer waveform --clip-duration keeps.",
        ),
        click.option(
            "--seed",
            type=click.IntRange(min=0),
            default=d.seed,
            show_default=True,
            help="Seed of --crop random; each file's draw depends only on it and "
            "the file's path relative to SRC.",
        ),
    ]
    return _with_options(fn, options)


@_help_group(FEATURES)
def feature_options(fn: F) -> F:
    """``--kind``, ``--n-mfcc``, the scale step, and ``--preset``."""
    d = MelParams()
    options = [
        click.option(
            "--preset",
            type=click.Choice(list(PRESETS)),
            default=None,
            help="Set every setting a model's front end pins (see 'melcli "
            "presets'); options given explicitly, in the environment or in a "
            "config file still win.",
        ),
        click.option(
            "--kind",
            type=click.Choice(KINDS),
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
            type=click.Choice(SCALES),
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
    return _with_options(fn, options)


@_help_group(FBANK)
def fbank_options(fn: F) -> F:
    """Kaldi's filterbank options (``--kind fbank``), under Kaldi's names."""
    d = MelParams()

    def flag(name: str, default: bool, text: str) -> Callable[[Any], Any]:
        return click.option(
            f"--{name}/--no-{name}", default=default, show_default=True, help=text
        )

    def number(name: str, default: Any, text: str, kind: Any = float) -> Any:
        return click.option(
            f"--{name}", type=kind, default=default, show_default=True, help=text
        )

    options = [
        number("frame-length", d.frame_length, "--kind fbank: frame length in ms."),
        number("frame-shift", d.frame_shift, "--kind fbank: frame shift in ms."),
        number(
            "dither",
            d.dither,
            "--kind fbank: Gaussian noise of this standard deviation added to "
            "each frame, seeded by --seed (Kaldi's default is 1 on 16-bit "
            "samples; 0 keeps outputs reproducible).",
        ),
        number(
            "preemphasis-coefficient",
            d.preemphasis_coefficient,
            "--kind fbank: x[i] -= c * x[i-1] in each frame.",
        ),
        flag(
            "remove-dc-offset",
            d.remove_dc_offset,
            "--kind fbank: subtract each frame's mean.",
        ),
        click.option(
            "--window-type",
            type=click.Choice(WINDOW_TYPES),
            default=d.window_type,
            show_default=True,
            help="--kind fbank: Kaldi's window; hanning is symmetric (Kaldi, "
            "torchaudio), hann periodic (kaldi-native-fbank).",
        ),
        flag(
            "round-to-power-of-two",
            d.round_to_power_of_two,
            "--kind fbank: zero-pad each frame to a power of two for the FFT.",
        ),
        flag(
            "snip-edges",
            d.snip_edges,
            "--kind fbank: only whole frames; --no-snip-edges centres frame i "
            "on (i + 1/2) * shift and mirrors the signal at its edges.",
        ),
        number("num-mel-bins", d.num_mel_bins, "--kind fbank: mel filters.", kind=int),
        number("low-freq", d.low_freq, "--kind fbank: lowest filter edge in Hz."),
        number(
            "high-freq",
            d.high_freq,
            "--kind fbank: highest filter edge in Hz; 0 or negative: an offset "
            "from the Nyquist frequency.",
        ),
        flag(
            "use-energy",
            d.use_energy,
            "--kind fbank: add the frame's log energy as row 0.",
        ),
        number(
            "energy-floor",
            d.energy_floor,
            "--kind fbank: floor of the energy (not its log); 0 for none.",
        ),
        flag(
            "use-log-fbank",
            d.use_log_fbank,
            "--kind fbank: log(max(x, float32 eps)) of the filter outputs.",
        ),
        flag(
            "use-power",
            d.use_power,
            "--kind fbank: filter |X|^2; --no-use-power filters |X|.",
        ),
        number(
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
            type=click.Choice(CMVN_MODES),
            default=d.cmvn,
            show_default=True,
            help="--kind fbank: per bin, over the file's frames: mean subtracts "
            "the mean; mean-var also divides by sqrt(var + --cmvn-eps).",
        ),
        number(
            "cmvn-ddof",
            d.cmvn_ddof,
            "--kind fbank: 0 or 1, the variance's delta degrees of freedom.",
            kind=int,
        ),
        number("cmvn-eps", d.cmvn_eps, "--kind fbank: added to the variance."),
        number(
            "frame-stack",
            d.frame_stack,
            "--kind fbank: last, stack this many consecutive frames into one "
            "(SeamlessM4T: 2), padding with zero frames to a multiple.",
            kind=int,
        ),
    ]
    return _with_options(fn, options)


def _storage_from(kwargs: dict[str, Any]) -> tuple[str, int]:
    """Pop ``--format`` and ``--shard-size``; return the format and size in bytes."""
    fmt = kwargs.pop("storage_format")
    try:
        return fmt, parse_size(kwargs.pop("shard_size"))
    except ParameterError as exc:
        raise click.BadParameter(str(exc), param_hint="'--shard-size'") from None


def _sample_store(
    manifest: Manifest, *, params: MelParams, fmt: str, shard_size: int
) -> Callable[[Recorder], SampleStore] | None:
    """Return what makes the run's shard writer, or None for ``--format npy``."""
    if fmt != "webdataset":
        return None

    def make(record: Recorder) -> SampleStore:
        return SampleStore(
            manifest, params=params, shard_size=shard_size, record=record
        )

    return make


@_help_group(CLIPS)
def segment_options(fn: F) -> F:
    """``--segment``, ``--segment-hop``, ``--segment-layout``: fixed windows."""
    d = MelParams()
    options = [
        click.option(
            "--segment",
            type=float,
            default=None,
            metavar="SECONDS",
            help="Cut each file into windows of SECONDS (the last one zero-padded).",
        ),
        click.option(
            "--segment-hop",
            type=float,
            default=None,
            metavar="SECONDS",
            help="Seconds between the starts of windows. [default: --segment]",
        ),
        click.option(
            "--segment-layout",
            type=click.Choice(SEGMENT_LAYOUTS),
            default=d.segment_layout,
            show_default=True,
            help="'stack': one (n_segments, n_mels, frames) array per file; "
            "'files': NAME.000.npy, NAME.001.npy, ...",
        ),
    ]
    return _with_options(fn, options)


def stats_option(fn: F) -> F:
    """``--stats``: write OUT/stats.npz at the end of the run."""
    return click.option(
        "--stats",
        "with_stats",
        is_flag=True,
        help="At the end, write per-band mean, std, min, max and frame count of "
        "the run's arrays to OUT/stats.npz (as `melcli stats OUT`). Not with "
        "--shard: run `melcli stats OUT` after `melcli merge OUT`.",
    )(fn)


@_help_group(OUTPUT)
def image_options(fn: F) -> F:
    """``--png-style``, ``--waveform``, ``--cmap``: how PNGs are drawn."""
    options = [
        click.option(
            "--png-style",
            type=click.Choice(STYLES),
            default="figure",
            show_default=True,
            help="figure: axes, labels and colorbar; image: exactly frames x bins "
            "pixels, low frequencies at the bottom, a fixed value-to-grey mapping "
            "(16-bit grey by default) that melcli.render.read_image inverts.",
        ),
        click.option(
            "--waveform",
            is_flag=True,
            help="With --png-style figure: a waveform panel above the spectrogram.",
        ),
        click.option(
            "--cmap",
            default=None,
            metavar="NAME",
            help="matplotlib colormap. [default: magma for figures, 16-bit gray "
            "for images]",
        ),
    ]
    return _with_options(fn, options)


def _render_from(settings: dict[str, Any]) -> RenderParams:
    """Build and validate the PNG settings, as a usage error naming the option."""
    render = RenderParams(
        style=settings.pop("png_style"),
        waveform=settings.pop("waveform"),
        cmap=settings.pop("cmap"),
    )
    try:
        return render.validate()
    except ParameterError as exc:
        hint = f"--{(exc.param or '').replace('_', '-')}"
        raise click.BadParameter(str(exc), param_hint=hint) from None


@_help_group(BAD_INPUT)
def bad_input_options(fn: F) -> F:
    """Add ``--truncated``, ``--non-finite``, ``--min-duration``, ``--timeout``."""
    options = [
        click.option(
            "--truncated",
            type=click.Choice(TRUNCATED_POLICIES),
            default=MelParams.truncated,
            show_default=True,
            help="A file whose audio ends before its header says (cut download, "
            "damaged frames) fails, or with 'keep' is written from what was "
            "decoded, with a warning saying how much.",
        ),
        click.option(
            "--non-finite",
            type=click.Choice(NON_FINITE_POLICIES),
            default=MelParams.non_finite,
            show_default=True,
            help="A file with NaN or Inf samples fails, or with 'zero' they are "
            "replaced by 0, with a warning.",
        ),
        click.option(
            "--min-duration",
            type=click.FloatRange(min=0),
            default=MelParams.min_duration,
            metavar="SECONDS",
            help="Skip files shorter than SECONDS (as their header says, before "
            "--offset/--duration), naming each under --verbose; skipped files "
            "are counted but do not make the exit status 1.",
        ),
        click.option(
            "--timeout",
            type=click.FloatRange(min=0),
            default=None,
            metavar="SECONDS",
            help="Fail a file still unfinished after SECONDS (its worker process "
            "is killed and replaced; the run goes on); 0 disables. With -j 1 or a "
            "single file, setting it runs them in one worker process. [default: "
            f"{DEFAULT_TIMEOUT:g} with several workers, none with -j 1]",
        ),
    ]
    return _with_options(fn, options)


_PARAM_NAMES = tuple(MelParams.__dataclass_fields__)


def _apply_preset(ctx: click.Context, settings: dict[str, Any]) -> None:
    """Fill in ``settings`` from ``--preset`` where nothing else set them.

    Precedence: command line > environment > config file > preset > defaults.
    Each value taken from the preset is noted for ``--print-config``.
    """
    from click.core import ParameterSource

    name = settings.pop("preset", None)
    if name is None:
        return
    taken = ctx.meta.setdefault("melcli.preset", {})
    for key, value in PRESETS[name].settings.items():
        if ctx.get_parameter_source(key) in (ParameterSource.DEFAULT, None):
            settings[key] = value
            taken[key] = (name, value)


def _params_from(
    kwargs: dict[str, Any], *, from_preset: dict[str, tuple[str, Any]] | None = None
) -> MelParams:
    """Build and validate the settings, as a usage error naming the option.

    ``from_preset`` maps the settings a ``--preset`` filled in to ``(preset,
    value)``: when one of them is the bad setting (an explicit option that
    does not fit the rest of the preset), the message says so.
    """
    settings = {name: kwargs.pop(name) for name in _PARAM_NAMES}
    try:
        return MelParams(**settings).validate()
    except ParameterError as exc:
        hint = f"--{exc.param.replace('_', '-')}" if exc.param else None
        message = str(exc)
        preset = (from_preset or {}).get(exc.param or "")
        if preset is not None:
            message += f" ({hint} comes from --preset {preset[0]}; set it too)"
        raise click.BadParameter(message, param_hint=hint) from None


def _extensions(values: tuple[str, ...]) -> frozenset[str]:
    if not values:
        return DEFAULT_EXTENSIONS
    return normalize_extensions(e for value in values for e in value.split(","))


@_help_group(SCALE_OUT)
def scale_options(fn: F) -> F:
    """``--scheduler``, ``--shard``: spread the work over machines."""
    options = [
        click.option(
            "--scheduler",
            metavar="local|ADDRESS|FILE",
            default=None,
            help="Run the per-file work on a Dask cluster: 'local' starts one "
            "here with -j worker processes; tcp://HOST:PORT (or a scheduler "
            "file) uses a running one, whose workers must see SRC and OUT at "
            "the same paths. Needs: pip install 'melcli[dask]'.",
        ),
        click.option(
            "--shard",
            type=SHARD,
            metavar="I/N",
            default=None,
            help="Process only shard I of N (0 <= I < N): the inputs whose "
            "relative path hashes to I, so N machines split SRC with no "
            "coordinator. Each shard keeps OUT/manifest.shard-I-of-N.jsonl; "
            "'melcli merge OUT' combines them. Not with --format webdataset "
            "or --stats.",
        ),
    ]
    return _with_options(fn, options)


# ----------------------------------------------------------------- commands
def _print_version(ctx: click.Context) -> None:
    click.echo(_version_message())
    ctx.exit()


def _version_message() -> str:
    from importlib import metadata

    try:
        librosa_version = metadata.version("librosa")
    except metadata.PackageNotFoundError:  # pragma: no cover
        librosa_version = "not installed"
    return (
        f"melcli {__version__} (librosa {librosa_version}, "
        f"Python {platform.python_version()})"
    )


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "-V",
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=lambda ctx, param, value: _print_version(ctx) if value else None,
    help="Show the version and exit.",
)
def cli() -> None:
    """Turn folders of audio into log-mel spectrograms for machine learning.

    With default options every array equals the plain librosa chain:
    librosa.load(sr=22050) -> librosa.feature.melspectrogram ->
    librosa.power_to_db(ref=np.max).
    """


@cli.command(cls=_GroupedHelp, examples=MEL_EXAMPLES)
@click.argument("src", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option(
    "-o",
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Output folder; the input tree is mirrored into it.  [required]",
)
@click.option("--png", is_flag=True, help="Also write a PNG render of each array.")
@image_options
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(min=1),
    default=None,
    help="Worker processes; 1 runs in this process. [default: number of CPUs]",
)
@selection_options
@list_options
@pipeline_options
@scale_options
@bad_input_options
@storage_options
@clip_options
@segment_options
@stats_option
@feature_options
@fbank_options
@click.option(
    "--force", is_flag=True, help="Rebuild everything, even what is up to date."
)
@click.option(
    "--dry-run",
    is_flag=True,
    help="List on stdout what would be built and why; write nothing.",
)
@click.option(
    "--prune",
    is_flag=True,
    help="Delete outputs whose input is gone (reported as stale otherwise), and "
    "outputs of inputs this run leaves out that were made with other settings.",
)
@click.option(
    "--fail-fast", is_flag=True, help="Stop at the first file that fails (exit 1)."
)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print a machine-readable summary of the run on stdout.",
)
@click.option(
    "--config",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    is_eager=True,
    expose_value=False,
    callback=lambda ctx, param, value: _load_config(ctx, value),
    help="Read option defaults from this TOML file. [default: the [tool.melcli] "
    "table of ./pyproject.toml, if any]",
)
@click.option(
    "--print-config",
    is_flag=True,
    help="Print the effective settings, and where each comes from, then exit.",
)
@click.option("-q", "--quiet", is_flag=True, help="Print only errors.")
@click.option(
    "-v",
    "--verbose",
    is_flag=True,
    help="Also list every file written and every path passed over, with why.",
)
@click.option(
    "--progress-interval",
    type=click.FloatRange(min=0),
    default=PROGRESS_INTERVAL,
    show_default=True,
    metavar="SECONDS",
    help="When stderr is not a terminal (CI logs), print a progress line this "
    "often: done/total, files/s, elapsed, time left; 0 turns it off.",
)
@click.pass_context
def mel(
    ctx: click.Context,
    /,
    src: tuple[Path, ...],
    out: Path | None,
    png: bool,
    jobs: int | None,
    extensions: tuple[str, ...],
    include: tuple[str, ...],
    exclude: tuple[str, ...],
    force: bool,
    dry_run: bool,
    prune: bool,
    fail_fast: bool,
    as_json: bool,
    print_config: bool,
    quiet: bool,
    verbose: bool,
    progress_interval: float,
    files_from: str | None,
    path_column: str | None,
    list_root: Path | None,
    scheduler: str | None,
    shard: sharding.Shard | None,
    timeout: float | None,
    **settings: Any,
) -> None:
    """Write one log-mel spectrogram .npy per audio file under SRC into OUT.

    SRC are audio files and folders. Folders are walked recursively in sorted
    order, hidden files and folders are passed over, and the tree is mirrored:
    SRC/dogs/bark1.wav becomes OUT/dogs/bark1.npy (and OUT/dogs/bark1.png with
    --png). With two or more SRC folders, each is mirrored into a subfolder
    named after it (OUT/Pirate/..., OUT/Robot/...). A file given directly
    becomes OUT/<stem>.npy; a file listed with --files-from mirrors its path
    relative to --root.

    Arrays are float32 (n_mels, frames); --no-mono keeps the channels:
    (channels, n_mels, frames).

    Runs are incremental: OUT/manifest.jsonl records each input's fingerprint
    and settings, and a run rebuilds only what changed. Every option can also
    come from MELCLI_<OPTION> environment variables (MELCLI_N_MELS=64) or a
    config file; the command line wins, then the environment, then the file.

    Exit status: 0 all written or up to date, 1 some file failed, 2 usage
    error or OUT locked by another run, 130/143 interrupted.
    """
    with_stats = settings.pop("with_stats")
    _apply_preset(ctx, settings)
    render = _render_from(settings)
    params = _params_from(settings, from_preset=ctx.meta.get("melcli.preset"))
    fmt, shard_size = _storage_from(settings)
    try:
        segment.check_png(png, params)
    except ParameterError as exc:
        raise click.BadParameter(str(exc), param_hint="'--segment'") from None
    if print_config:
        _print_config(ctx)
        return
    if not src and files_from is None:
        raise click.UsageError("Missing argument 'SRC...' (or --files-from FILE).")
    if out is None:
        raise click.UsageError("Missing option '-o' / '--out'.")
    _check_out(src, out)
    if files_from is None and (path_column is not None or list_root is not None):
        raise click.BadParameter(
            "needs --files-from", param_hint="'--path-column' / '--root'"
        )
    listed = _read_listed(files_from, path_column, list_root)
    if shard is not None and fmt == webdataset.FORMAT:
        # Concurrent shards would pick the same tar names, and each would
        # delete the tars its own manifest part does not list.
        raise click.BadParameter(
            "cannot be combined with --format webdataset (the shards would "
            "share tar names); give each shard its own OUT instead",
            param_hint="'--shard'",
        )
    if shard is not None and with_stats:
        # A shard's own arrays are 1/N of the dataset, and N shards would
        # overwrite one OUT/stats.npz in turn.
        raise click.BadParameter(
            "cannot be combined with --stats (a shard sees 1/N of the arrays); "
            "run 'melcli stats OUT' after 'melcli merge OUT'",
            param_hint="'--shard'",
        )
    if scheduler is not None and timeout:
        # Dask cannot stop a task that is running; the scheduler's own
        # allowed-failures settle files that kill their worker.
        raise click.BadParameter(
            "cannot be combined with --scheduler (a Dask task cannot be "
            "stopped once it runs)",
            param_hint="'--timeout'",
        )
    if scheduler is not None and not dry_run:
        from . import cluster

        if scheduler == cluster.LOCAL:  # its workers import, meanwhile
            cluster.start_fork_server()
        _require_dask()
    the_plan = plan(
        src,
        out,
        extensions=_extensions(extensions),
        include=include,
        exclude=exclude,
        png=png,
        listed=listed,
    )
    if shard is not None:
        the_plan = sharding.select(the_plan, shard)
    if dry_run:
        try:
            _dry_run(
                the_plan,
                out,
                params=params,
                force=force,
                quiet=quiet,
                fmt=fmt,
                prune=prune,
                render=render,
                shard=shard,
            )
        except MelcliError as exc:
            raise _CannotStart(str(exc)) from None
        return
    try:
        with _lock(out, shard):
            report = _build(
                the_plan,
                out,
                params=params,
                jobs=jobs,
                scheduler=scheduler,
                shard=shard,
                force=force,
                prune=prune,
                fail_fast=fail_fast,
                quiet=quiet,
                verbose=verbose,
                fmt=fmt,
                shard_size=shard_size,
                render=render,
                timeout=timeout,
                progress_interval=progress_interval,
            )
            stats_ok = True
            if with_stats and report.interrupted_by is None:
                stats_ok = _run_stats(report, out, quiet=quiet)
    except MelcliError as exc:
        raise _CannotStart(str(exc)) from None
    if as_json:
        click.echo(json.dumps(report.to_json(), ensure_ascii=True))
    sys.exit(report.exit_code or (0 if stats_ok else 1))


def _run_stats(report: Report, out: Path, *, quiet: bool) -> bool:
    """``--stats``: the statistics of this run's arrays; return False on failure.

    The arrays are read through the manifest (just committed): ``.npy`` files,
    or with ``--format webdataset`` the ``.npy`` members of the shards.
    """
    from .stats import STATS_NAME, arrays_of, write_stats

    done = (Status.WRITTEN, Status.UP_TO_DATE)
    arrays = arrays_of(out, sources=[r.src for r in report.results if r.status in done])
    if not arrays:
        if not quiet:
            click.echo(f"warning: no arrays: {STATS_NAME} not written", err=True)
        return True
    try:
        stats = write_stats(out, paths=arrays)
    except MelcliError as exc:
        _error(out / STATS_NAME, str(exc))
        return False
    if not quiet:
        click.echo(_stats_line(stats, out / STATS_NAME), err=True)
    return True


def _stats_line(stats: DatasetStats, dest: Path) -> str:
    return (
        f"wrote {display_path(dest)}: {len(stats.mean)} bands, "
        f"{stats.count} frames from {len(stats.files)} arrays"
    )


class _CannotStart(click.ClickException):
    """The run could not start (OUT is locked by another run): exit status 2."""

    exit_code = 2


def _build(
    the_plan: Plan,
    out: Path,
    *,
    params: MelParams,
    jobs: int | None,
    scheduler: str | None,
    shard: sharding.Shard | None,
    force: bool,
    prune: bool,
    fail_fast: bool,
    quiet: bool,
    verbose: bool,
    fmt: str = "npy",
    shard_size: int = 0,
    render: RenderParams | None = None,
    timeout: float | None = None,
    progress_interval: float = 0.0,
) -> Report:
    """Run the plan under OUT's lock, turning SIGINT/SIGTERM into a clean stop."""
    manifest = _load_manifest(out, shard)
    # A shard removes only its own temp files: other shards may be writing.
    owned = (
        sharding.owned_outputs(the_plan, params=params) if shard is not None else None
    )
    sweep = functools.partial(remove_leftovers, out, owned=owned)
    if manifest.recovered:
        # The last run did not finish: a killed worker may have left temp files.
        for leftover in sweep():
            if verbose:
                click.echo(f"removed leftover {display_path(leftover)}", err=True)
    total = len(the_plan.jobs) + len(the_plan.problems) + len(the_plan.skipped)
    console = _Console(
        total=total, quiet=quiet, verbose=verbose, progress_interval=progress_interval
    )
    runner = _runner(
        the_plan, out, params=params, jobs=jobs, scheduler=scheduler, timeout=timeout
    )
    try:
        with _sigterm_interrupts():
            report = run_plan(
                the_plan,
                params=params,
                runner=runner,
                manifest=manifest,
                force=force,
                prune=prune,
                fail_fast=fail_fast,
                on_result=console.on_result,
                store=_sample_store(
                    manifest, params=params, fmt=fmt, shard_size=shard_size
                ),
                render=render,
            )
            if getattr(runner, "lost_workers", False):
                # A Dask worker died mid-file: its temp files are left. (Only now:
                # until the run ends, tar shards are being written under temp names.)
                sweep()
    except KeyboardInterrupt as exc:
        report = getattr(exc, "report", None) or Report(
            interrupted_by=interrupts.signal_number(exc)
        )
        # The workers are gone; one hit twice may not have removed its temp file.
        with interrupts.deferred():
            sweep()
    finally:
        console.close()
    # The summary is printed whole; a signal meanwhile acts after it.
    with interrupts.deferred():
        _print_outcome(
            report,
            total=total,
            quiet=quiet,
            verbose=verbose,
            recap=console.progressed,
        )
    return report


def _print_outcome(
    report: Report, *, total: int, quiet: bool, verbose: bool, recap: bool
) -> None:
    """Print what a run did: removed and stale outputs, warnings, the summary.

    With ``recap`` (progress lines were shown), the failures again, by path.
    """
    if verbose:
        for path in report.pruned:
            click.echo(f"removed stale {display_path(path)}", err=True)
        for path in report.stale:
            click.echo(f"stale {display_path(path)}: its input is gone", err=True)
    if not quiet:
        for warning in report.warnings:
            click.echo(f"warning: {display_path(_one_line(warning))}", err=True)
    for error in report.errors:
        click.echo(f"error: {display_path(_one_line(error))}", err=True)
    if not quiet or report.interrupted_by is not None:
        if total == 0:
            click.echo("warning: no audio files found", err=True)
        click.echo(report.summary(), err=True)
    if not quiet and recap and report.failures:
        # In a long log the errors are far apart: all of them once more.
        failures = sorted(report.failures, key=lambda r: os.fsencode(r.src))
        click.echo(f"{len(failures)} failed, by path:", err=True)
        for r in failures:
            click.echo(
                f"  {display_path(r.src)}: {display_path(_one_line(r.reason))}",
                err=True,
            )


@contextlib.contextmanager
def _sigterm_interrupts() -> Iterator[None]:
    """Let SIGTERM stop a run as Ctrl-C does, unless its handler is set already.

    (:func:`main` sets both for the whole command; this is for ``cli`` called
    from Python, as tests do.)
    """
    if signal.getsignal(signal.SIGTERM) != signal.SIG_DFL:
        yield
        return
    previous = signal.signal(signal.SIGTERM, interrupts.raise_interrupted)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _runner(
    the_plan: Plan,
    out: Path,
    *,
    params: MelParams,
    jobs: int | None,
    scheduler: str | None,
    timeout: float | None = None,
) -> Runner:
    """Return the local pool, or with ``--scheduler`` a Dask cluster."""
    jobs = jobs if jobs is not None else default_jobs()
    if scheduler is not None:
        from .cluster import make_dask_runner

        return make_dask_runner(scheduler, jobs=jobs, out=out, params=params)
    png = any(job.png is not None for job in the_plan.jobs)
    total = len(the_plan.jobs) + len(the_plan.problems)
    return make_runner(jobs, total, png=png, params=params, timeout=timeout)


def _require_dask() -> None:
    from .cluster import require_dask

    try:
        require_dask()
    except MelcliError as exc:
        raise _CannotStart(str(exc)) from None


@contextlib.contextmanager
def _lock(out: Path, shard: sharding.Shard | None) -> Iterator[None]:
    """Lock OUT for a whole run, or share it with the other shards of a run."""
    if shard is None:
        with OutputLock(out):
            yield
    else:
        shard_lock = OutputLock(out, name=sharding.lock_name(shard))
        with OutputLock(out, shared=True), shard_lock:
            yield


def _load_manifest(out: Path, shard: sharding.Shard | None) -> Manifest:
    if shard is None:
        return Manifest.load(out)
    return sharding.ShardManifest.load_part(out, shard)


def _dry_run(
    the_plan: Plan,
    out: Path,
    *,
    params: MelParams,
    force: bool,
    quiet: bool,
    fmt: str = "npy",
    prune: bool = False,
    render: RenderParams | None = None,
    shard: sharding.Shard | None = None,
) -> None:
    """List what a run would build and why, on stdout; write nothing."""
    manifest = _load_manifest(out, shard) if out.is_dir() else None
    build = decide(
        the_plan, manifest, params=params, force=force, format=fmt, render=render
    )
    for task in build.tasks:
        reason = build.reasons.get(task.job.src, "new")
        click.echo(f"would build {display_path(task.job.src)}: {reason}")
    for key in build.stale:
        assert manifest is not None
        click.echo(f"stale {display_path(_shown(manifest, key))}: its input is gone")
    if manifest is not None and (
        fmt == "webdataset" or webdataset.holds_samples(manifest)
    ):
        # A rebuilt input supersedes its sample, and its other segment layout's.
        rebuilt = [
            relative_key(npy, out)
            for task in build.tasks
            for npy in (task.job.npy, segment.other_layout(task.job.npy, params=params))
        ]
        for line in webdataset.plan_cleanup(
            manifest, rebuilt=rebuilt, gone=build.stale, prune=prune
        ):
            click.echo(line)
    for problem in the_plan.problems:
        _error(problem.path, problem.reason)
    for job, why in build.refused:
        _error(job.src, why)
    if manifest is not None and not quiet:
        warnings = list(manifest.problems)
        if build.other_settings and not prune:
            count = len(build.other_settings)
            warnings.append(other_settings_warning(count, out))
        for warning in warnings:
            click.echo(f"warning: {display_path(warning)}", err=True)
    if manifest is not None and build.other_settings and prune:
        for key in build.other_settings:
            shown = display_path(_shown(manifest, key))
            click.echo(f"would delete {shown}: made with other settings")
    if not quiet:
        click.echo(
            f"{len(build.tasks)} to build, {len(build.up_to_date)} up to date "
            "(dry run: nothing written).",
            err=True,
        )


def _shown(manifest: Manifest, key: str) -> Path:
    """Return how to show the output of ``key``: a ``.npy``, or a sample."""
    if webdataset.is_sample(manifest.entries[key]):
        return webdataset.sample_path(manifest, key)
    return manifest.out / key


# --------------------------------------------------------------- config
def _option_keys(command: click.Command) -> dict[str, str]:
    """Map config keys (long option names, - or _) to parameter names."""
    keys = {}
    for param in command.params:
        if not isinstance(param, click.Option) or param.name in _NOT_CONFIGURABLE:
            continue
        long_names = [o for o in param.opts if o.startswith("--")]
        assert param.name is not None
        for name in [*long_names, f"--{param.name}"]:
            key = name[2:]
            keys[key] = param.name
            keys[key.replace("-", "_")] = param.name
    return keys


_NOT_CONFIGURABLE = {"config", "print_config", "dry_run", "help"}


def _option_name(param: click.Option) -> str:
    """Return the option's long name as a config key: ``--n-fft`` -> ``n_fft``."""
    long_names = [o for o in param.opts if o.startswith("--")]
    return long_names[0][2:].replace("-", "_") if long_names else str(param.name)


_MULTIPLE = {"extensions", "include", "exclude"}


def _load_config(ctx: click.Context, path: Path | None) -> None:
    """Read the config file into ``ctx.default_map``, rejecting unknown keys."""
    source = path
    table: dict[str, Any] = {}
    if path is not None:
        data = _read_toml(path)
        table = data.get("tool", {}).get("melcli", data) if "tool" in data else data
    else:
        pyproject = Path("pyproject.toml")
        if pyproject.is_file():
            table = _read_toml(pyproject).get("tool", {}).get("melcli", {})
            source = pyproject
    if not table:
        return
    keys = _option_keys(ctx.command)
    defaults = {}
    for key, value in table.items():
        if key not in keys:
            raise click.BadParameter(
                f"unknown key {key!r} in {source}", param_hint="'--config'"
            )
        name = keys[key]
        if isinstance(value, str) and name in _MULTIPLE:
            # As on the command line: ext = "wav,flac"; include = "dogs/*".
            value = value.split(",") if name == "extensions" else [value]
        defaults[name] = value
    ctx.default_map = {**(ctx.default_map or {}), **defaults}
    ctx.meta["melcli.config"] = source


def _read_toml(path: Path) -> dict[str, Any]:
    import tomllib

    try:
        with open(path, "rb") as f:
            return tomllib.load(f)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise click.BadParameter(f"{path}: {exc}", param_hint="'--config'") from None


def _print_config(ctx: click.Context) -> None:
    """Print every configurable setting as TOML, with where its value comes from."""
    from click.core import ParameterSource

    origin = {
        ParameterSource.COMMANDLINE: "command line",
        ParameterSource.ENVIRONMENT: "environment",
        ParameterSource.DEFAULT_MAP: f"config {ctx.meta.get('melcli.config')}",
        ParameterSource.DEFAULT: "default",
    }
    click.echo("[tool.melcli]")
    from_preset = ctx.meta.get("melcli.preset", {})
    for param in ctx.command.params:
        if not isinstance(param, click.Option) or param.name in _NOT_CONFIGURABLE:
            continue
        if param.name in ("quiet", "verbose") or param.name is None:
            continue
        value = ctx.params.get(param.name)
        source = ctx.get_parameter_source(param.name)
        where = origin.get(source, "default") if source else "default"
        if param.name in from_preset:
            preset, value = from_preset[param.name]
            where = f"preset {preset}"
        key = _option_name(param)
        shown = _toml_value(param, value)
        if shown is None:  # unset, with no word for it: keep the line valid TOML
            click.echo(f"# {key} is unset  # {where}")
        else:
            click.echo(f"{key} = {shown}  # {where}")


def _toml_value(param: click.Parameter, value: Any) -> str | None:
    if value is None:
        words = getattr(param.type, "words", {})
        word = next((w for w, v in words.items() if v is None), None)
        return json.dumps(word) if word else None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple | list):
        return json.dumps([os.fsdecode(v) if isinstance(v, Path) else v for v in value])
    if isinstance(value, Path):
        return json.dumps(os.fsdecode(value))
    if isinstance(value, int | float):
        return repr(value)
    return json.dumps(value if isinstance(value, str) else str(value))


@cli.command("presets")
@click.argument("names", nargs=-1, type=click.Choice(list(PRESETS)))
@click.option("--json", "as_json", is_flag=True, help="One JSON object per preset.")
def presets_command(names: tuple[str, ...], as_json: bool) -> None:
    """List the model presets, their settings, and where each comes from.

    For each preset (or only NAMES): the settings it pins, as melcli options;
    the sources of those facts (repository: file); and whether the tests
    compare it with the reference code itself or with its documented
    arithmetic, within 1e-4. Use one with 'melcli mel --preset NAME'.
    """
    chosen = [PRESETS[n] for n in names] if names else list(PRESETS.values())
    for i, preset in enumerate(chosen):
        if as_json:
            row = {
                "name": preset.name,
                "summary": preset.summary,
                "settings": dict(preset.settings),
                "sources": list(preset.sources),
                "tested": preset.tested,
                "test": preset.test,
                "notes": preset.notes,
            }
            click.echo(json.dumps(row))
            continue
        if i:
            click.echo("")
        click.echo(f"{preset.name}: {preset.summary}")
        options = " ".join(
            _as_option(key, value) for key, value in preset.settings.items()
        )
        _echo_wrapped("settings", options)
        for source in preset.sources:
            _echo_wrapped("source", source)
        _echo_wrapped("tested", f"against the {preset.tested}: {preset.test}")
        if preset.notes:
            _echo_wrapped("notes", preset.notes)


def _as_option(key: str, value: Any) -> str:
    """Write one setting as the command-line option that sets it."""
    flag = key.replace("_", "-")
    if key == "htk":
        return "--htk" if value else "--slaney-mel"
    if key == "drop_last_frame":
        return "--drop-last-frame" if value else "--keep-last-frame"
    if isinstance(value, bool):
        return f"--{flag}" if value else f"--no-{flag}"
    if value is None:
        nullable = ("fmax", "top_db", "clamp", "norm", "num_frames")
        return f"--{flag} none" if key in nullable else ""
    if isinstance(value, float):  # as short as it reads back exactly
        short = f"{value:g}"
        return f"--{flag} {short if float(short) == value else repr(value)}"
    return f"--{flag} {value}"


def _echo_wrapped(label: str, text: str) -> None:
    import textwrap

    lines = textwrap.wrap(" ".join(text.split()), width=78, break_on_hyphens=False)
    for j, line in enumerate(lines):
        click.echo(f"  {label + ':' if j == 0 else '':<10}{line}")


@cli.command()
@click.argument("src", nargs=-1, type=click.Path(exists=True, path_type=Path))
@selection_options
@list_options
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@click.option(
    "--summary",
    is_flag=True,
    help="Print the totals a dataset card needs instead of one row per file.",
)
def info(
    src: tuple[Path, ...],
    extensions: tuple[str, ...],
    include: tuple[str, ...],
    exclude: tuple[str, ...],
    files_from: str | None,
    path_column: str | None,
    list_root: Path | None,
    as_json: bool,
    summary: bool,
) -> None:
    """Show format, encoding, rate, channels and length of the audio under SRC.

    A table on stdout, or with --json one object per line with the keys path,
    format, subtype, samplerate, channels, frames and duration (seconds).

    With --summary, totals instead: files, hours, files per sample rate,
    channel count and format, the shortest and the longest file (with --json,
    one object with the keys files, unreadable, seconds, hours, samplerates,
    channels, formats, subtypes, shortest and longest).

    Unreadable files are reported on stderr; the exit status is then 1.
    """
    from .audio import probe

    if not src and files_from is None:
        raise click.UsageError("Missing argument 'SRC...' (or --files-from FILE).")
    found = find_audio(
        src, extensions=_extensions(extensions), include=include, exclude=exclude
    )
    listed = _read_listed(files_from, path_column, list_root)
    if listed is not None:
        found.problems.extend(listed.problems)
        found.files.extend((f.path, f.rel) for f in listed.files)
    failed = 0
    for problem in found.problems:
        _error(problem.path, problem.reason)
        failed += 1
    rows: list[dict[str, Any]] = []
    for path, _rel in found.files:
        try:
            header = probe(path)
        except MelcliError as exc:
            _error(path, str(exc))
            failed += 1
            continue
        row = {
            "path": os.fsdecode(path),
            "format": header.format,
            "subtype": header.subtype,
            "samplerate": header.samplerate,
            "channels": header.channels,
            "frames": header.frames,
            "duration": round(header.duration, 6),
        }
        if as_json and not summary:
            # A name that is not valid UTF-8 is written with \udcXX escapes,
            # which json.loads and os.fsencode turn back into its bytes.
            ascii_only = not _is_utf8(os.fsdecode(path))
            click.echo(json.dumps(row, ensure_ascii=ascii_only))
        else:
            rows.append(row)
    if summary:
        totals = _summary(rows, unreadable=failed)
        if as_json:
            click.echo(json.dumps(totals, ensure_ascii=True))
        else:
            _print_summary(totals)
    elif not as_json:
        _print_table(rows)
    sys.exit(1 if failed else 0)


def _summary(rows: list[dict[str, Any]], *, unreadable: int) -> dict[str, Any]:
    """Totals of ``info`` rows: what a dataset card says about its audio."""
    from collections import Counter

    def counts(key: str) -> dict[str, int]:
        found = Counter(str(r[key]) for r in rows)
        return dict(sorted(found.items(), key=lambda kv: (-kv[1], kv[0])))

    seconds = sum(r["duration"] for r in rows)
    by_length = sorted(rows, key=lambda r: (r["duration"], os.fsencode(r["path"])))

    def one(r: dict[str, Any] | None) -> dict[str, Any] | None:
        return None if r is None else {"path": r["path"], "duration": r["duration"]}

    return {
        "files": len(rows),
        "unreadable": unreadable,
        "seconds": round(seconds, 3),
        "hours": round(seconds / 3600, 4),
        "samplerates": counts("samplerate"),
        "channels": counts("channels"),
        "formats": counts("format"),
        "subtypes": counts("subtype"),
        "shortest": one(by_length[0] if rows else None),
        "longest": one(by_length[-1] if rows else None),
    }


def _print_summary(totals: dict[str, Any]) -> None:
    def listing(counts: dict[str, int], unit: str = "") -> str:
        return ", ".join(f"{k}{unit}: {n}" for k, n in counts.items()) or "-"

    seconds = totals["seconds"]
    files = f"{totals['files']}"
    if totals["unreadable"]:
        files += f" ({totals['unreadable']} unreadable, not counted)"
    lines = [
        ("files", files),
        ("duration", f"{totals['hours']:.2f} h ({seconds:.1f} s)"),
        ("sample rates", listing(totals["samplerates"], " Hz")),
        ("channels", listing(totals["channels"])),
        ("formats", listing(totals["formats"])),
        ("encodings", listing(totals["subtypes"])),
    ]
    for end in ("shortest", "longest"):
        if totals[end] is not None:
            r = totals[end]
            lines.append((end, f"{r['duration']:.3f} s  {display_path(r['path'])}"))
    width = max(len(label) for label, _ in lines)
    for label, value in lines:
        click.echo(f"{label.ljust(width)}  {value}")


@cli.command()
@click.argument("out", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Also print count, n_bands, arrays and the per-band values as JSON.",
)
@click.option("-q", "--quiet", is_flag=True, help="Print only errors.")
def stats(out: Path, as_json: bool, quiet: bool) -> None:
    """Write per-band mean, std, min, max and the frame count to OUT/stats.npz.

    OUT is the output folder of `melcli mel`. The arrays counted are those its
    manifest.jsonl records as written or up to date: .npy files, or with
    --format webdataset the .npy members of the samples in the shards (without a
    manifest: every *.npy under OUT). Bands are the second-to-last axis of each
    array; every other axis (channels, segments, frames) is pooled. std is the
    population standard deviation. Values are float64, accumulated stably.

    Exit status: 0 written, 1 no arrays or an unreadable one, 2 usage error.
    """
    from .stats import STATS_NAME, select_arrays, write_stats

    dest = out / STATS_NAME
    try:
        with OutputLock(out):
            chosen = select_arrays(out)
            if not quiet:
                for warning in chosen.warnings:
                    click.echo(f"warning: {display_path(warning)}", err=True)
                if n := chosen.other_settings:
                    click.echo(
                        f"warning: left out the arrays of {n} "
                        f"input{'s' if n > 1 else ''} made with other settings "
                        "than the latest ones ('melcli mel ... --prune' deletes "
                        "them)",
                        err=True,
                    )
            result = write_stats(out, paths=chosen.arrays)
    except UsageError as exc:
        raise _CannotStart(str(exc)) from None
    except MelcliError as exc:
        _error(dest, str(exc))
        sys.exit(1)
    if as_json:
        row = {
            "path": os.fsdecode(dest),
            "arrays": len(result.files),
            "count": result.count,
            "n_bands": len(result.mean),
            **{k: getattr(result, k).tolist() for k in ("mean", "std", "min", "max")},
        }
        click.echo(json.dumps(row))
    if not quiet:
        click.echo(_stats_line(result, dest), err=True)


@cli.command()
@click.argument("out", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.argument("src", nargs=-1, type=click.Path(exists=True, path_type=Path))
@selection_options
def merge(
    out: Path,
    src: tuple[Path, ...],
    extensions: tuple[str, ...],
    include: tuple[str, ...],
    exclude: tuple[str, ...],
) -> None:
    """Combine the manifests of 'melcli mel --shard I/N' runs into OUT/manifest.jsonl.

    Every shard 0..N-1 must have finished, and no input may be in two shards'
    manifests; with SRC (and the --ext/--include/--exclude the shards used),
    the inputs no shard covered are listed too. A later run without --shard
    then finds everything up to date. The shards' manifests are kept: a shard
    can be run again and merged again.

    Exit status: 0 every input written or up to date; 1 merged, but some
    inputs failed or no shard covered them; 2 nothing merged (a shard missing,
    interrupted or still running, shards of different N, an input in two
    shards).
    """
    try:
        with OutputLock(out):
            report = sharding.merge(
                out,
                sources=src,
                extensions=_extensions(extensions),
                include=include,
                exclude=exclude,
            )
    except MelcliError as exc:
        raise _CannotStart(str(exc)) from None
    for warning in report.warnings:
        click.echo(f"warning: {display_path(warning)}", err=True)
    for error in report.errors:
        click.echo(f"error: {display_path(error)}", err=True)
    for path, reason in report.failed:
        _error(Path(path), f"failed in its shard: {_one_line(reason)}")
    for missed in report.uncovered:
        click.echo(f"error: {display_path(missed)}: in no shard", err=True)
    click.echo(report.summary(), err=True)
    sys.exit(report.exit_code)


@cli.command()
@click.argument("out", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--group-by",
    metavar="folder|COLUMN",
    default=None,
    help="Group inputs by their folder, or by this column of the manifest's "
    "meta labels (--files-from). [default: the 'label' column if the entries "
    "have one, else folder]",
)
@click.option(
    "--waveforms/--no-waveforms",
    default=True,
    show_default=True,
    help="Draw each input's waveform (reads every source file once; kept "
    "until the file changes).",
)
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(min=1),
    default=None,
    help="Processes drawing pages; 1 draws in this process. [default: number of CPUs]",
)
@click.option("-q", "--quiet", is_flag=True, help="Print only errors.")
def gallery(
    out: Path, group_by: str | None, waveforms: bool, jobs: int | None, quiet: bool
) -> None:
    """Write OUT/gallery/index.html: look at and listen to the run's inputs.

    A static page (open it from disk; no server, no network) with, per input,
    its spectrogram (the run's PNG, or a small picture of its array), its
    waveform, an audio player for its source file, its duration, shape and
    warnings; grouped, with counts per group, a filter box, silent inputs
    flagged, and the failed and skipped inputs with their reasons. Inputs are
    shown a page at a time: the page weighs the same for 100 files or 100 000.
    A re-run draws only the pictures of what changed.

    Exit status: 0 written, 1 no manifest in OUT or OUT/gallery not writable,
    2 usage error.
    """
    from .gallery import build_gallery

    try:
        report = build_gallery(out, group_by=group_by, waveforms=waveforms, jobs=jobs)
    except MelcliError as exc:
        click.echo(f"error: {display_path(str(exc))}", err=True)
        sys.exit(1)
    if not quiet:
        for note in report.notes:
            click.echo(f"note: {display_path(_one_line(note))}", err=True)
        click.echo(
            f"{display_path(report.index)}: {report.inputs} inputs in "
            f"{report.groups} groups, {report.problems} failed or skipped; "
            f"{report.drawn} pictures drawn, {report.reused} kept.",
            err=True,
        )


# ------------------------------------------------------------------ helpers
def _read_listed(
    files_from: str | None, path_column: str | None, root: Path | None
) -> FileList | None:
    """Read ``--files-from`` (None without it); a bad list is a usage error."""
    if files_from is None:
        return None
    try:
        listed = read_list(files_from, path_column=path_column, root=root)
    except UsageError as exc:
        raise click.BadParameter(str(exc), param_hint="'--files-from'") from None
    if listed.problems and not listed.files:
        click.echo(
            f"warning: no file listed in {display_path(listed.name)} was found; "
            f"its paths are taken relative to {display_path(listed.root)} "
            "(--root)",
            err=True,
        )
    return listed


def _check_out(src: tuple[Path, ...], out: Path) -> None:
    out_real = os.path.realpath(out)
    for s in src:
        if s.is_dir() and os.path.realpath(s) == out_real:
            raise click.BadParameter(
                f"{display_path(out)} is also an input folder; choose another "
                "output folder",
                param_hint="'-o' / '--out'",
            )


def _is_utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _error(path: Path, reason: str) -> None:
    click.echo(f"error: {display_path(path)}: {display_path(reason)}", err=True)


def _one_line(text: str) -> str:
    return " ".join(text.split())


class _Console:
    """Progress bar on a terminal, plain lines elsewhere; all on stderr.

    Elsewhere (a CI log), a :class:`Progress` line every ``progress_interval``
    seconds as files finish. ``progressed`` tells whether any was printed: a
    log that long ends with a recap of the failures.
    """

    def __init__(
        self,
        *,
        total: int,
        quiet: bool,
        verbose: bool,
        progress_interval: float = 0.0,
    ) -> None:
        self.quiet = quiet
        self.verbose = verbose and not quiet
        self.bar: Any = None
        self.progress: Progress | None = None
        self.progressed = False
        if not quiet and not sys.stderr.isatty() and progress_interval > 0:
            self.progress = Progress(total=total, interval=progress_interval)
        if not quiet and sys.stderr.isatty():
            from tqdm import tqdm  # 30 ms of import: only when a bar is shown

            # No monitor thread: worker processes may be forked after this.
            tqdm.monitor_interval = 0
            self.bar = tqdm(
                total=total, unit="file", file=sys.stderr, dynamic_ncols=True
            )

    def echo(self, line: str) -> None:
        if self.bar is not None:
            self.bar.write(line, file=sys.stderr)
        else:
            click.echo(line, err=True)

    def on_result(self, result: Result) -> None:
        self._show(result)
        if self.progress is not None and (line := self.progress.update()):
            self.progressed = True
            self.echo(line)

    def _show(self, result: Result) -> None:
        if self.bar is not None:
            self.bar.update(1)
        if result.status is Status.SKIPPED:
            if self.verbose:
                self.echo(f"skipped {display_path(result.src)}: {result.reason}")
            return
        if not self.quiet:
            for warning in result.warnings:
                self.echo(
                    f"warning: {display_path(result.src)}: "
                    f"{display_path(_one_line(warning))}"
                )
        if result.status is Status.FAILED:
            self.echo(
                f"error: {display_path(result.src)}: "
                f"{display_path(_one_line(result.reason))}"
            )
        elif self.verbose and result.status is Status.WRITTEN:
            outputs = ", ".join(display_path(p) for p in result.outputs)
            self.echo(f"wrote {outputs}")

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _print_table(rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    headers = ["path", "format", "subtype", "sr", "channels", "frames", "duration"]
    table = [
        [
            display_path(r["path"]),
            r["format"],
            r["subtype"],
            str(r["samplerate"]),
            str(r["channels"]),
            str(r["frames"]),
            f"{r['duration']:.3f} s",
        ]
        for r in rows
    ]
    widths = [
        max(len(h), *(len(row[i]) for row in table)) for i, h in enumerate(headers)
    ]
    numeric = {3, 4, 5, 6}

    def fmt(cells: list[str]) -> str:
        return "  ".join(
            c.rjust(w) if i in numeric else c.ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    click.echo(fmt(headers))
    for row in table:
        click.echo(fmt(row))


def _add_envvars(command: click.Command) -> None:
    """Let each option of ``command`` come from ``MELCLI_<NAME>`` (MELCLI_N_MELS)."""
    for param in command.params:
        if isinstance(param, click.Option) and param.name not in _NOT_CONFIGURABLE:
            param.envvar = f"MELCLI_{_option_name(param).upper()}"


_add_envvars(mel)


def main() -> None:
    """Run the ``melcli`` command and exit with its status.

    SIGINT and SIGTERM stop it wherever they arrive (see
    :func:`melcli.interrupts.stop_on_signals`; :func:`melcli.__main__.main`
    sets that up before this module is even imported): what finished is
    recorded, and the exit status is 130 or 143, also when the signal comes
    after the run, while the summary is printed.
    """
    try:
        try:
            interrupts.stop_on_signals()
            code = _run_command()
        finally:
            interrupts.note_signals()  # from here on a signal changes the status
    except KeyboardInterrupt as exc:
        click.echo("interrupted", err=True)
        code = 128 + interrupts.signal_number(exc)
    # The process ends here: spare it the garbage collector's last pass over
    # every object it made. With Dask loaded (--scheduler local) that pass
    # took 60-80 ms of each run (measured); the system reclaims it all.
    gc.freeze()
    _exit(code)


def _run_command() -> int:
    """Run click without its own Ctrl-C handling (``Aborted!``, exit 1)."""
    tune_allocator()
    try:
        try:
            cli.main(prog_name="melcli", standalone_mode=False)
        except click.Abort as exc:
            if isinstance(exc.__context__, KeyboardInterrupt):
                raise exc.__context__ from None
            click.echo("Aborted!", err=True)
            return 1
        except click.ClickException as exc:
            exc.show()
            return exc.exit_code
    except SystemExit as exc:
        if exc.code is None or isinstance(exc.code, int):
            return exc.code or 0
        click.echo(exc.code, err=True)
        return 1
    return 0


def _exit(code: int) -> None:
    """Exit with ``code``, or 128 + the signal if one arrived unanswered."""
    signum = interrupts.block_for_exit()
    if signum is not None and code != 128 + signum:
        with contextlib.suppress(OSError):
            click.echo("interrupted", err=True)
        code = 128 + signum
    with contextlib.suppress(OSError):  # stdout closed early (| head)
        sys.stdout.flush()
    sys.exit(code)

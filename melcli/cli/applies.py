"""Which pipeline options each ``--kind`` reads, and a warning for the others.

An option the chosen kind does not read changes nothing (``--kind fbank
--n-mels 64`` still gives 23 bins): set explicitly, on the command line, in
the environment or in a config file, it gets one warning line naming it, the
kind, and the option to use instead when there is one. docs/kinds.md shows
the same table.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

#: The STFT's options: every kind but Kaldi's filterbank.
STFT = (
    "n_fft",
    "hop_length",
    "win_length",
    "window",
    "center",
    "pad_mode",
    "power",
    "pad_length",
    "drop_last_frame",
    "stft_eps",
)
#: The mel filterbank's options: mel and mfcc.
MEL_FILTERS = ("n_mels", "fmin", "fmax", "htk", "norm")
#: The log step's options: every kind but Kaldi's filterbank.
SCALE = ("scale", "ref", "amin", "top_db", "clamp")
#: Kaldi's filterbank options: only ``--kind fbank``.
FBANK = (
    "frame_length",
    "frame_shift",
    "dither",
    "preemphasis_coefficient",
    "remove_dc_offset",
    "window_type",
    "round_to_power_of_two",
    "snip_edges",
    "num_mel_bins",
    "low_freq",
    "high_freq",
    "use_energy",
    "energy_floor",
    "use_log_fbank",
    "use_power",
    "waveform_scale",
    "num_frames",
    "cmvn",
    "cmvn_ddof",
    "cmvn_eps",
    "frame_stack",
)

#: The kind-specific options each kind reads (the rest apply to every kind).
APPLIES: dict[str, frozenset[str]] = {
    "mel": frozenset((*STFT, *MEL_FILTERS, *SCALE)),
    "stft": frozenset((*STFT, *SCALE)),
    "mfcc": frozenset((*STFT, *MEL_FILTERS, *SCALE, "n_mfcc")),
    "fbank": frozenset(FBANK),
}
KIND_SPECIFIC = frozenset().union(*APPLIES.values())

#: The nearest option of the other family: librosa's name <-> Kaldi's.
_EQUIVALENT = {
    "n_mels": "num_mel_bins",
    "fmin": "low_freq",
    "fmax": "high_freq",
    "window": "window_type",
    "power": "use_power",
    "win_length": "frame_length",
    "hop_length": "frame_shift",
}
_EQUIVALENT.update({kaldi: librosa for librosa, kaldi in list(_EQUIVALENT.items())})
#: What differs between the two, said after the name.
_UNITS = {
    "frame_length": " (in ms)",
    "frame_shift": " (in ms)",
    "win_length": " (in samples)",
    "hop_length": " (in samples)",
}


def inapplicable(kind: str, names: list[str]) -> list[tuple[str, str | None]]:
    """Return each of ``names`` that ``kind`` does not read, with its equivalent.

    The equivalent is the option of ``kind`` that does the same job, or None.
    """
    reads = APPLIES[kind]
    found = []
    for name in names:
        if name not in KIND_SPECIFIC or name in reads:
            continue
        other = _EQUIVALENT.get(name)
        found.append((name, other if other in reads else None))
    return found


#: Options that do something only with another one: the other, as given, and
#: whether the run has it (from the settings by option name).
_NEEDS: dict[str, tuple[str, Callable[[dict[str, Any]], bool]]] = {
    "waveform": ("--png", lambda v: bool(v["png"])),
    "png_style": ("--png", lambda v: bool(v["png"])),
    "cmap": ("--png", lambda v: bool(v["png"])),
    "shard_size": ("--format webdataset", lambda v: v["storage_format"] != "npy"),
    "pad": ("--clip-duration", lambda v: v["clip_duration"] is not None),
    "crop": ("--clip-duration", lambda v: v["clip_duration"] is not None),
    "segment_layout": ("--segment", lambda v: v["segment"] is not None),
}


def warn_inapplicable(ctx: click.Context, values: dict[str, Any]) -> None:
    """Warn once per option set explicitly that the run does not read.

    Those ``values["kind"]`` does not read, and those that need another
    option the run does not have (``--waveform`` without ``--png``).
    """
    from click.core import ParameterSource

    explicit = (
        ParameterSource.COMMANDLINE,
        ParameterSource.ENVIRONMENT,
        ParameterSource.DEFAULT_MAP,
    )
    kind = values["kind"]
    options = {p.name: p for p in ctx.command.params if isinstance(p, click.Option)}
    chosen = [n for n in options if ctx.get_parameter_source(n) in explicit]
    settings = {**ctx.params, **values}  # with a preset's
    for name in chosen:
        if name in _NEEDS and not _NEEDS[name][1](settings):
            said = _option_as_given(options[name], settings.get(name))
            click.echo(
                f"warning: {said} does nothing without {_NEEDS[name][0]}", err=True
            )
    for name, other in inapplicable(kind, chosen):
        said = _option_as_given(options[name], values.get(name))
        if other is None:
            kinds = ", ".join(k for k, reads in APPLIES.items() if name in reads)
            advice = f" (only to --kind {kinds})"
        else:
            advice = f"; use --{other.replace('_', '-')}{_UNITS.get(other, '')}"
        click.echo(f"warning: {said} does not apply to --kind {kind}{advice}", err=True)
    _warn_preset_dropped(ctx, kind, options)


def _warn_preset_dropped(
    ctx: click.Context, kind: str, options: dict[str, click.Option]
) -> None:
    """Warn when ``--kind`` leaves out settings a ``--preset`` filled in.

    ``--preset whisper --kind fbank`` would otherwise give Kaldi's 23 bins
    with nothing said: none of Whisper's settings reach a filterbank.
    """
    taken: dict[str, tuple[str, Any]] = ctx.meta.get("melcli.preset", {})
    dropped = [name for name, _ in inapplicable(kind, list(taken))]
    if not dropped:
        return
    preset = taken[dropped[0]][0]
    shown = [_option_as_given(options[n], taken[n][1]) for n in dropped]
    listed = ", ".join(shown[:4]) + (
        f" and {len(shown) - 4} more" if len(shown) > 4 else ""
    )
    click.echo(
        f"warning: --kind {kind} does not read --preset {preset}'s {listed}: "
        f"the output is not {preset}'s",
        err=True,
    )


def _option_as_given(param: click.Option, value: Any) -> str:
    """``--n-mels``; for a flag, the spelling that gives ``value`` (--no-center)."""
    if param.secondary_opts and value is False:
        return param.secondary_opts[0]
    return next(o for o in param.opts if o.startswith("--"))

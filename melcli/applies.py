"""Which settings each kind reads, and a warning for those a run does not read.

A setting the chosen kind does not read changes nothing (``kind="fbank",
n_mels=64`` still gives 23 bins), nor does one that needs another the run
does not have (``waveform`` without ``png``). :func:`melcli.run` says so in
its warnings, for each setting that differs from its default; ``melcli mel``
says the same, spelled as its options, for each option set explicitly.
docs/kinds.md shows the table.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .params import MelParams, RenderParams

#: The STFT's settings: every kind but Kaldi's filterbank.
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
#: The mel filterbank's settings: mel and mfcc.
MEL_FILTERS = ("n_mels", "fmin", "fmax", "htk", "norm")
#: The log step's settings: every kind but Kaldi's filterbank.
SCALE = ("scale", "ref", "amin", "top_db", "clamp")
#: Kaldi's filterbank settings: only ``kind="fbank"``.
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

#: The kind-specific settings each kind reads (the rest apply to every kind).
APPLIES: dict[str, frozenset[str]] = {
    "mel": frozenset((*STFT, *MEL_FILTERS, *SCALE)),
    "stft": frozenset((*STFT, *SCALE)),
    "mfcc": frozenset((*STFT, *MEL_FILTERS, *SCALE, "n_mfcc")),
    "fbank": frozenset(FBANK),
}
KIND_SPECIFIC = frozenset().union(*APPLIES.values())

#: The nearest setting of the other family: librosa's name <-> Kaldi's.
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


def inapplicable(kind: str, names: Iterable[str]) -> list[tuple[str, str | None]]:
    """Return each of ``names`` that ``kind`` does not read, with its equivalent.

    The equivalent is the setting of ``kind`` that does the same job, or None.
    """
    reads = APPLIES[kind]
    found = []
    for name in names:
        if name not in KIND_SPECIFIC or name in reads:
            continue
        other = _EQUIVALENT.get(name)
        found.append((name, other if other in reads else None))
    return found


#: A setting named alone, not with a value (``spell(name, NAME)``).
NAME = object()
#: How a message names a setting: ``(name, value)`` -> ``n_mels=64`` or ``--n-mels``.
Spell = Callable[[str, Any], str]


def keyword(name: str, value: Any = NAME) -> str:
    """Name a setting as the Python API takes it: ``n_mels=64``, or ``n_mels``."""
    return name if value is NAME else f"{name}={value!r}"


#: Settings that do something only with another one: the other, as a
#: ``(name, value)`` to spell, and whether the run has it (from the settings).
NEEDS: dict[str, tuple[tuple[str, Any], Callable[[dict[str, Any]], bool]]] = {
    "waveform": (("png", True), lambda v: bool(v["png"])),
    "png_style": (("png", True), lambda v: bool(v["png"])),
    "cmap": (("png", True), lambda v: bool(v["png"])),
    "shard_size": (
        ("storage_format", "webdataset"),
        lambda v: v["storage_format"] != "npy",
    ),
    "pad": (("clip_duration", NAME), lambda v: v["clip_duration"] is not None),
    "crop": (("clip_duration", NAME), lambda v: v["clip_duration"] is not None),
    "segment_layout": (("segment", NAME), lambda v: v["segment"] is not None),
}


def unread_warnings(
    given: dict[str, Any], settings: dict[str, Any], *, spell: Spell = keyword
) -> list[str]:
    """Return a warning for each of ``given`` that a run of ``settings`` does not read.

    ``given`` are the settings the caller chose, by name (``n_mels``,
    ``png_style``, ``shard_size``...) with their values; ``settings`` all of
    the run's (``kind``, ``png``, ``storage_format``, ``clip_duration``,
    ``segment``). First those that need another setting the run does not
    have (``waveform=True does nothing without png=True``), then those the
    kind does not read (``n_mels=64 does not apply to kind='fbank'; use
    num_mel_bins``). ``spell`` names a setting: the command's are options.
    """
    lines = []
    for name, value in given.items():
        if name in NEEDS and not NEEDS[name][1](settings):
            needed = spell(*NEEDS[name][0])
            lines.append(f"{spell(name, value)} does nothing without {needed}")
    kind = settings["kind"]
    for name, other in inapplicable(kind, given):
        if other is None:
            kinds = ", ".join(k for k, reads in APPLIES.items() if name in reads)
            advice = f" (only to {spell('kind', NAME)} {kinds})"
        else:
            advice = f"; use {spell(other, NAME)}{_UNITS.get(other, '')}"
        said = spell(name, given[name])
        lines.append(f"{said} does not apply to {spell('kind', kind)}{advice}")
    return lines


#: How :func:`melcli.run` takes the PNG settings: in ``render``.
_RENDER_FIELDS = {"png_style": "style", "waveform": "waveform", "cmap": "cmap"}


def _api_name(name: str, value: Any = NAME) -> str:
    """Name a setting as :func:`melcli.run` takes it (``render.style='image'``)."""
    if name in _RENDER_FIELDS:
        name = f"render.{_RENDER_FIELDS[name]}"
    return keyword(name, value)


def run_warnings(
    params: MelParams,
    *,
    render: RenderParams | None = None,
    png: bool = False,
    storage_format: str = "npy",
    shard_size: int | str | None = None,
) -> list[str]:
    """Return what :func:`melcli.run` says of the settings it does not read.

    The settings given are those that differ from their defaults (a value
    equal to its default cannot be told from one left out): ``params``
    (a :class:`~melcli.params.MelParams`), ``render``, and ``shard_size``.
    The command says the same of the options set explicitly.
    """
    from .params import RenderParams
    from .storage.tarshards import parse_size
    from .storage.webdataset import DEFAULT_SHARD_SIZE

    given = {k: v for k, v in params.changed().items() if k != "kind"}
    if render is not None:
        default = RenderParams()
        for name, field in _RENDER_FIELDS.items():
            if (value := getattr(render, field)) != getattr(default, field):
                given[name] = value
    if shard_size is not None and parse_size(shard_size) != parse_size(
        DEFAULT_SHARD_SIZE
    ):
        given["shard_size"] = shard_size  # as given: "1MB"
    settings = {
        "kind": params.kind,
        "png": png,
        "storage_format": storage_format,
        "clip_duration": params.clip_duration,
        "segment": params.segment,
    }
    return unread_warnings(given, settings, spell=_api_name)

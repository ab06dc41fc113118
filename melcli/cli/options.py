"""The option bundles of ``melcli mel`` (and ``info``, ``merge``), and their values.

A bundle is a plain decorator that adds a few options under one ``--help``
heading; the functions after them turn the parsed values into the library's
objects (:class:`MelParams`, :class:`RenderParams`, a file list), raising
click's usage errors that name the option.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click

from .. import inputs
from ..discover import DEFAULT_EXTENSIONS
from ..errors import ParameterError
from ..params import (
    CROPS,
    NON_FINITE_POLICIES,
    PADS,
    SEGMENT_LAYOUTS,
    STYLES,
    TRUNCATED_POLICIES,
    MelParams,
    RenderParams,
)
from ..presets import PRESETS
from ..report import PROGRESS_INTERVAL
from ..session import (
    DEFAULT_SHARD_SIZE,
    DEFAULT_TIMEOUT,
    FORMATS,
    RunOptions,
    parse_size,
)
from .config import option_hint
from .help import (
    BAD_INPUT,
    CLIPS,
    INPUT_SELECTION,
    OUTPUT,
    SCALE_OUT,
    help_group,
)
from .lists import list_option_error, source_error
from .types import SECONDS, SHARD, Choice, ListRoot

F = TypeVar("F", bound=Callable[..., Any])


class _Jobs(click.ParamType):  # type: ignore[type-arg]
    """``-j``: worker processes, refused as :func:`melcli.run` refuses them.

    click's range said ``0 is not in the range x>=1.``, not what -j takes.
    """

    name = "integer"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> Any:
        from .console import as_options

        try:
            jobs = int(value) if isinstance(value, str) else value
        except ValueError:
            jobs = value
        try:
            inputs.check_jobs(jobs)
        except ParameterError as exc:
            self.fail(as_options(str(exc), run_options=True), param, ctx)
        return jobs


JOBS = _Jobs()


def with_options(fn: F, options: Sequence[Callable[[Any], Any]]) -> F:
    """Decorate ``fn`` with ``options``, listed in the order --help shows them."""
    for option in reversed(options):
        fn = option(fn)
    return fn


@help_group(INPUT_SELECTION)
def selection_options(fn: F) -> F:
    """``--ext``, ``--include``, ``--exclude``: which files to take."""
    options = [
        click.option(
            "--ext",
            "extensions",
            multiple=True,
            metavar="EXT[,EXT...]",
            callback=_names_extensions,
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
            "(fnmatch, case-sensitive; '*' also matches '/'; repeatable).",
        ),
        click.option(
            "--exclude",
            multiple=True,
            metavar="GLOB",
            help="Pass over files whose path relative to SRC matches GLOB "
            "(repeatable).",
        ),
    ]
    return with_options(fn, options)


def make_list_options(
    *, table: str, root: str, take: str = "Also take the files listed in FILE"
) -> Callable[[F], F]:
    """Make the ``--files-from`` bundle, saying what the command does with the list."""

    @help_group(INPUT_SELECTION)
    def bundle(fn: F) -> F:
        options = [
            click.option(
                "--files-from",
                metavar="FILE",
                help=f"{take} ('-': standard input): "
                "one path a line, or a CSV/TSV table with a header (.csv/.tsv, or "
                f"with --path-column){table}",
            ),
            click.option(
                "--path-column",
                metavar="NAME",
                help="The table column holding the paths, or a template naming "
                "columns in braces: 'fold{fold}/{slice_file_name}'. [default: "
                "'path', else the one column named like filename, file, audio...]",
            ),
            click.option(
                "--root",
                "list_root",
                type=ListRoot(path_type=Path),
                metavar="DIR",
                help=f"The folder the listed paths are relative to{root}. "
                "[default: the folder of FILE; for '-' or a pipe the current "
                "folder]",
            ),
        ]
        return with_options(fn, options)

    return bundle


#: ``mel``'s: the other columns become labels, outputs mirror the paths.
list_options = make_list_options(
    table=" whose other columns go into each input's manifest entry as 'meta'. "
    "Outputs mirror the paths relative to --root.",
    root=", and mirrored from",
)
#: ``merge``'s: the list the shards ran over, to find the inputs none covered.
merge_list_options = make_list_options(
    table=", as the shards were given it: its files that no shard covered are listed.",
    root="",
)
#: ``info``'s: it only reads the files (a table's other columns are not shown).
info_list_options = make_list_options(
    table="; the other columns are not shown.", root=""
)


@help_group(OUTPUT)
def format_options(fn: F) -> F:
    """``--format``, ``--shard-size``: one .npy per input, or tar shards."""
    options = [
        click.option(
            "--format",
            "storage_format",
            type=Choice(FORMATS),
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
    return with_options(fn, options)


@help_group(CLIPS)
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
            type=Choice(PADS),
            default=d.pad,
            show_default=True,
            help="How --clip-duration completes a shorter waveform, at its end.",
        ),
        click.option(
            "--crop",
            type=Choice(CROPS),
            default=d.crop,
            show_default=True,
            help="Which part of a longer waveform --clip-duration keeps.",
        ),
        click.option(
            "--seed",
            type=int,
            default=d.seed,
            show_default=True,
            help="Seed of --crop random; each file's draw depends only on it and "
            "the file's path relative to SRC.",
        ),
    ]
    return with_options(fn, options)


@help_group(CLIPS)
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
            type=Choice(SEGMENT_LAYOUTS),
            default=d.segment_layout,
            show_default=True,
            help="'stack': one (n_segments, n_mels, frames) array per file; "
            "'files': NAME.000.npy, NAME.001.npy, ...",
        ),
    ]
    return with_options(fn, options)


def progress_option(fn: F) -> F:
    """``--progress-interval``: a progress line this often in a log (mel, gallery).

    From ``MELCLI_PROGRESS_INTERVAL`` too (for ``mel``, as every option is),
    so a CI log sets it once for both commands.
    """
    return click.option(
        "--progress-interval",
        type=SECONDS,
        default=PROGRESS_INTERVAL,
        show_default=True,
        metavar="SECONDS",
        envvar="MELCLI_PROGRESS_INTERVAL",
        help="When stderr is not a terminal (CI logs), print a progress line this "
        "often: done/total, files/s, elapsed, time left; 0 turns it off.",
    )(fn)


def stats_option(fn: F) -> F:
    """``--stats``: write OUT/stats.npz at the end of the run."""
    return click.option(
        "--stats",
        "with_stats",
        is_flag=True,
        help="At the end, write per-band mean, std, min, max and frame count of "
        "the run's arrays to OUT/stats.npz (as 'melcli stats OUT'). Not with "
        "--shard: run 'melcli stats OUT' after 'melcli merge OUT'.",
    )(fn)


@help_group(OUTPUT)
def image_options(fn: F) -> F:
    """``--png-style``, ``--waveform``, ``--cmap``: how PNGs are drawn."""
    options = [
        click.option(
            "--png-style",
            type=Choice(STYLES),
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
    return with_options(fn, options)


@help_group(BAD_INPUT)
def bad_input_options(fn: F) -> F:
    """Add ``--truncated``, ``--non-finite``, ``--min-duration``, ``--timeout``."""
    options = [
        click.option(
            "--truncated",
            type=Choice(TRUNCATED_POLICIES),
            default=MelParams.truncated,
            show_default=True,
            help="A file whose audio ends before its header says (cut download, "
            "damaged frames) fails, or with 'keep' is written from what was "
            "decoded, with a warning saying how much.",
        ),
        click.option(
            "--non-finite",
            type=Choice(NON_FINITE_POLICIES),
            default=MelParams.non_finite,
            show_default=True,
            help="A file with NaN or Inf samples fails, or with 'zero' they are "
            "replaced by 0, with a warning.",
        ),
        click.option(
            "--min-duration",
            type=float,
            default=MelParams.min_duration,
            metavar="SECONDS",
            help="Skip files shorter than SECONDS (as their header says, before "
            "--offset/--duration), naming each under --verbose; skipped files "
            "are counted but do not make the exit status 1.",
        ),
        click.option(
            "--timeout",
            type=SECONDS,
            default=None,
            metavar="SECONDS",
            help="Fail a file still unfinished after SECONDS (its worker process "
            "is killed and replaced; the run goes on); 0 disables. With -j 1 or a "
            "single file, setting it runs them in one worker process. [default: "
            f"{DEFAULT_TIMEOUT:g} with several workers, none with -j 1]",
        ),
    ]
    return with_options(fn, options)


@help_group(SCALE_OUT)
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
            "coordinator. Each shard keeps its manifest in OUT, for 3/10 "
            "manifest.shard-0003-of-0010.jsonl; 'melcli merge OUT' combines "
            "them. Not with --format webdataset or --stats.",
        ),
    ]
    return with_options(fn, options)


def check_png_option(png: bool, params: MelParams) -> None:
    """``--png`` with segments in files is a usage error naming ``--segment``."""
    from ..segment import check_png
    from .console import as_options

    try:
        check_png(png, params)
    except ParameterError as exc:
        raise click.BadParameter(
            as_options(str(exc)), param_hint="'--segment'"
        ) from None


def check_inputs(
    src: tuple[str, ...],
    out: Path | None,
    files_from: str | None,
    *,
    path_column: str | None,
    root: Path | None,
) -> None:
    """Say what is missing or wrong in SRC, ``-o`` and ``--files-from``.

    The library's checks (:func:`melcli.inputs.check_inputs`), in the
    command's words.
    """
    if src and out is None:
        from ..hints import out_meant

        raise click.UsageError("Missing option '-o' / '--out'." + out_meant(src))
    try:
        inputs.check_inputs(
            src, out or ".", files_from=files_from, path_column=path_column, root=root
        )
    except ParameterError as exc:
        if exc.param == "sources":
            raise source_error(exc, src) from None
        if exc.param == "out":
            raise click.BadParameter(str(exc), param_hint="'-o' / '--out'") from None
        raise list_option_error(path_column, root) from None
    if out is None:
        raise click.UsageError("Missing option '-o' / '--out'.")


#: The options of ``mel`` that say how the run goes (:class:`RunOptions`).
_RUN_OPTIONS = ("jobs", "scheduler", "shard", "timeout", "force", "prune", "fail_fast")


def run_options(values: dict[str, Any], *, dry_run: bool) -> RunOptions:
    """Pop the run's options from ``values``; ``--shard-size`` read in bytes."""
    try:
        shard_size = parse_size(values.pop("shard_size"))
    except ParameterError as exc:
        from .console import as_options

        message = as_options(str(exc), run_options=True)
        raise click.BadParameter(message, param_hint="'--shard-size'") from None
    return RunOptions(
        **{name: values.pop(name) for name in _RUN_OPTIONS},
        storage_format=values.pop("storage_format"),
        shard_size=shard_size,
        dry_run=dry_run,
        stats=values.pop("with_stats"),
    )


def check_run_options(options: RunOptions) -> None:
    """Raise a usage error naming the option that does not fit the others.

    The library's message names both options as the API spells them
    (``timeout=30 cannot be combined with scheduler='local'``); here they
    are the command's (``--timeout 30 cannot be combined with --scheduler
    local``).
    """
    from .console import as_options

    try:
        options.validate()
    except ParameterError as exc:
        raise click.UsageError(as_options(str(exc), run_options=True)) from None


def render_from(values: dict[str, Any]) -> RenderParams:
    """Build and validate the PNG settings, as a usage error naming the option."""
    render = RenderParams(
        style=values.pop("png_style"),
        waveform=values.pop("waveform"),
        cmap=values.pop("cmap"),
    )
    try:
        return render.validate()
    except ParameterError as exc:
        from .console import as_options

        # RenderParams names its own keywords: style is --png-style.
        said = re.sub(r"\bstyle=", "png_style=", str(exc))
        param = "png_style" if exc.param == "style" else exc.param or ""
        raise click.BadParameter(
            as_options(said), param_hint=option_hint(param)
        ) from None


_PARAM_NAMES = tuple(MelParams.__dataclass_fields__)


def apply_preset(ctx: click.Context, values: dict[str, Any]) -> None:
    """Fill in ``values`` (the options) from ``--preset`` where nothing else set them.

    Precedence: command line > environment > config file > preset > defaults.
    Each value taken from the preset is noted for ``--print-config``.
    """
    from click.core import ParameterSource

    name = values.pop("preset", None)
    if name is None:
        return
    taken = ctx.meta.setdefault("melcli.preset", {})
    for key, value in PRESETS[name].settings.items():
        if ctx.get_parameter_source(key) in (ParameterSource.DEFAULT, None):
            values[key] = value
            taken[key] = (name, value)


def params_from(
    values: dict[str, Any], *, from_preset: dict[str, tuple[str, Any]] | None = None
) -> MelParams:
    """Build and validate the settings, as a usage error naming the option.

    ``from_preset`` maps the settings a ``--preset`` filled in to ``(preset,
    value)``: when one of them is the bad setting (an explicit option that
    does not fit the rest of the preset), the message says so.
    """
    fields = {name: values.pop(name) for name in _PARAM_NAMES}
    try:
        return MelParams(**fields).validate()
    except ParameterError as exc:
        from .console import as_options

        hint = option_hint(exc.param) if exc.param else None
        message = as_options(str(exc))
        preset = (from_preset or {}).get(exc.param or "")
        if preset is not None:
            message += " " + preset_clash(exc.param or "", *preset)
        raise click.BadParameter(message, param_hint=hint) from None


def preset_clash(name: str, preset: str, value: Any) -> str:
    """Say that the bad setting ``name`` came from ``preset``, and what to give.

    ``(--clamp 8 comes from --preset whisper; set --clamp too, such as --clamp
    none)``: the suggestion is the option's own default, what it is without
    the preset.
    """
    flag = f"--{name.replace('_', '-')}"
    shown = f"{value:g}" if isinstance(value, float) else str(value)
    text = f"({flag} {shown} comes from --preset {preset}; set {flag} too"
    ctx = click.get_current_context(silent=True)
    param = (
        next((p for p in ctx.command.params if p.name == name), None) if ctx else None
    )
    if isinstance(param, click.Option) and (default := _as_given(param)):
        text += f", such as {default}"
    return text + ")"


def _as_given(option: click.Option) -> str | None:
    """``option``'s default as it is written on the command line, if it has one."""
    default = option.default
    if option.is_flag and option.secondary_opts:
        return option.opts[-1] if default else option.secondary_opts[0]
    if default is None:
        kind = option.type
        words = kind.choices if isinstance(kind, click.Choice) else ()
        takes_none = "none" in getattr(kind, "words", words)
        return f"{option.opts[-1]} none" if takes_none else None
    shown = f"{default:g}" if isinstance(default, float) else str(default)
    return f"{option.opts[-1]} {shown}"


def _names_extensions(
    ctx: click.Context, param: click.Parameter, values: tuple[str, ...]
) -> tuple[str, ...]:
    """Refuse an ``--ext`` that names no extension (``--ext "$EXTS"``, unset).

    It would take no file: every one passed over, and the run "succeeds".
    """
    for value in values:
        try:
            inputs.check_extensions(value)
        except ParameterError:
            raise click.BadParameter(
                f"{value!r} names no extension (such as --ext wav,flac)"
            ) from None
    return values


def chosen_extensions(values: tuple[str, ...]) -> frozenset[str]:
    """Return the ``--ext`` values (repeated or comma-separated), or the default."""
    return inputs.extension_set(values) if values else DEFAULT_EXTENSIONS

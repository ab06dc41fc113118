"""``--help`` laid out under headings, with examples at the end."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])


#: The headings of ``melcli mel --help``, in order. Each option bundle below
#: names its heading (``@help_group``); options declared on the command itself
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


def help_group(heading: str) -> Callable[[F], F]:
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


class GroupedHelp(click.Command):
    """A command whose ``--help`` lists options under headings, then examples."""

    def __init__(
        self, *args: Any, examples: Sequence[tuple[str, str]] = (), **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.examples = tuple(examples)

    def format_options(
        self, ctx: click.Context, formatter: click.HelpFormatter
    ) -> None:
        """Write the options under their headings, in :data:`HELP_HEADINGS` order."""
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
        """Write the examples, each under a comment saying what it does."""
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

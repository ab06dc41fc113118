"""``melcli presets``: the model presets, their settings and sources."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import click

from ..presets import PRESETS, Preset
from .group import cli, echo_whole
from .types import Choice


@cli.command("presets", short_help="List the model presets and where they come from.")
@click.argument(
    "names",
    nargs=-1,
    type=Choice(list(PRESETS), case_sensitive=False),  # as --preset takes them
    metavar="[NAME]...",
)
@click.option(
    "-a",
    "--all",
    "show_all",
    is_flag=True,
    help="Every preset's settings and sources (without NAME or --all: one line each).",
)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per preset.")
def presets_command(names: tuple[str, ...], show_all: bool, as_json: bool) -> None:
    """List the model presets, their settings, and where each comes from.

    Without NAME: one line per preset, its name and what it is. For each NAME
    given (or every preset, with --all): the settings it pins, as melcli
    options; the sources of those facts (repository: file); and whether the
    tests compare it with the reference code itself or with its documented
    arithmetic, within 1e-4. Use one with 'melcli mel --preset NAME'.
    """
    chosen = [PRESETS[n] for n in names] if names else list(PRESETS.values())
    if as_json:
        echo_whole(json.dumps(preset.to_json()) for preset in chosen)
        return
    if not names and not show_all:
        _echo_short(chosen)
        return
    lines: list[str] = []
    for i, preset in enumerate(chosen):
        if i:
            lines.append("")
        lines.extend(_long(preset))
    echo_whole(lines)


def _echo_short(chosen: list[Preset]) -> None:
    """One line per preset; then, on stderr, how to see one in full."""
    width = max(len(preset.name) for preset in chosen) + 2
    echo_whole(f"{preset.name:<{width}}{preset.summary}" for preset in chosen)
    click.echo(
        "\nUse one with 'melcli mel --preset NAME'. 'melcli presets NAME' shows its "
        "settings and sources; --all shows every preset's.",
        err=True,
    )


def _long(preset: Preset) -> Iterator[str]:
    """Yield a preset's settings, sources, test and notes, wrapped, line by line."""
    yield f"{preset.name}: {preset.summary}"
    options = " ".join(_as_option(key, value) for key, value in preset.settings.items())
    yield from _wrapped("settings", options)
    for source in preset.sources:
        yield from _wrapped("source", source)
    yield from _wrapped("tested", f"against the {preset.tested}: {preset.test}")
    if preset.notes:
        yield from _wrapped("notes", preset.notes)


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


def _wrapped(label: str, text: str) -> Iterator[str]:
    import textwrap

    # A source path longer than a line stays whole, to be copied as it is.
    lines = textwrap.wrap(
        " ".join(text.split()),
        width=78,
        break_on_hyphens=False,
        break_long_words=False,
    )
    for j, line in enumerate(lines):
        yield f"  {label + ':' if j == 0 else '':<10}{line}"

"""``melcli presets``: the model presets, their settings and sources."""

from __future__ import annotations

import json
from typing import Any

import click

from ..errors import nearest
from ..presets import PRESETS
from .group import cli


class PresetName(click.Choice):  # type: ignore[type-arg]
    """A preset's name; anything else is an error listing them all."""

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> Any:
        """Return ``value`` if it names a preset, else fail listing them."""
        if value in PRESETS:
            return value
        near = nearest(value, PRESETS)
        raise click.BadParameter(
            f"{value!r} is not a preset; the presets are: {', '.join(PRESETS)}"
            + ("" if near is None else f". Did you mean {near!r}?"),
            ctx=ctx,
            param=param,
            param_hint="'NAME'",
        )


@cli.command("presets", short_help="List the model presets and where they come from.")
@click.argument("names", nargs=-1, type=PresetName(list(PRESETS)), metavar="[NAME]...")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per preset.")
def presets_command(names: tuple[str, ...], as_json: bool) -> None:
    """List the model presets, their settings, and where each comes from.

    For each preset (or each NAME given): the settings it pins, as melcli options;
    the sources of those facts (repository: file); and whether the tests
    compare it with the reference code itself or with its documented
    arithmetic, within 1e-4. Use one with 'melcli mel --preset NAME'.
    """
    chosen = [PRESETS[n] for n in names] if names else list(PRESETS.values())
    for i, preset in enumerate(chosen):
        if as_json:
            click.echo(json.dumps(preset.to_json()))
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

    # A source path longer than a line stays whole, to be copied as it is.
    lines = textwrap.wrap(
        " ".join(text.split()),
        width=78,
        break_on_hyphens=False,
        break_long_words=False,
    )
    for j, line in enumerate(lines):
        click.echo(f"  {label + ':' if j == 0 else '':<10}{line}")

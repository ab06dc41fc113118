"""The warning for options a run does not read, as the command spells them.

An option the chosen kind does not read changes nothing (``--kind fbank
--n-mels 64`` still gives 23 bins): set explicitly, on the command line, in
the environment or in a config file, it gets one warning line naming it, the
kind, and the option to use instead when there is one. The library finds
them and words them (:mod:`melcli.applies`, as :func:`melcli.run` says them);
here they are named as options. docs/kinds.md shows the table.
"""

from __future__ import annotations

from typing import Any

import click

from ..applies import APPLIES, NAME, inapplicable, unread_warnings

__all__ = ["APPLIES", "warn_inapplicable"]

#: The options a warning names with their value (``--kind fbank``).
_WITH_VALUE = ("kind", "storage_format")


def warn_inapplicable(
    ctx: click.Context, values: dict[str, Any], *, quiet: bool = False
) -> list[str]:
    """Warn once per option set explicitly that the run does not read.

    Those ``values["kind"]`` does not read, and those that need another
    option the run does not have (``--waveform`` without ``--png``).
    Return the warnings (also with ``quiet``, which prints none): ``--json``
    holds them, as :func:`melcli.run`'s report does.
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

    preset: dict[str, tuple[str, Any]] = ctx.meta.get("melcli.preset", {})

    def spell(name: str, value: Any) -> str:
        flag = _option_as_given(options[name], value)
        if name not in _WITH_VALUE or value is NAME:
            return flag
        if name in preset:  # --kind fbank, which the user did not type
            return f"{flag} {value} (from --preset {preset[name][0]})"
        return f"{flag} {value}"

    given = {name: settings.get(name) for name in chosen}
    lines = unread_warnings(given, settings, spell=spell)
    if dropped := _preset_dropped(ctx, kind, options):
        lines.append(dropped)
    if not quiet:
        for line in lines:
            click.echo(f"warning: {line}", err=True)
    return lines


def _preset_dropped(
    ctx: click.Context, kind: str, options: dict[str, click.Option]
) -> str | None:
    """Warn when ``--kind`` leaves out settings a ``--preset`` filled in.

    ``--preset whisper --kind fbank`` would otherwise give Kaldi's 23 bins
    with nothing said: none of Whisper's settings reach a filterbank.
    """
    taken: dict[str, tuple[str, Any]] = ctx.meta.get("melcli.preset", {})
    dropped = [name for name, _ in inapplicable(kind, list(taken))]
    if not dropped:
        return None
    preset = taken[dropped[0]][0]
    shown = [_option_as_given(options[n], taken[n][1]) for n in dropped]
    listed = ", ".join(shown[:4]) + (
        f" and {len(shown) - 4} more" if len(shown) > 4 else ""
    )
    return (
        f"--kind {kind} does not read --preset {preset}'s {listed}: "
        f"the output is not {preset}'s"
    )


def _option_as_given(param: click.Option, value: Any) -> str:
    """``--n-mels``; for a flag, the spelling that gives ``value`` (--no-center)."""
    if param.secondary_opts and value is False:
        return param.secondary_opts[0]
    return next(o for o in param.opts if o.startswith("--"))

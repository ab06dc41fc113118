"""Option defaults from a config file, ``MELCLI_*`` variables, ``--print-config``."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

import click

from ..errors import nearest
from ..report import display_path
from .group import echo_whole


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


def _default_extensions() -> list[str]:
    from ..discover import DEFAULT_EXTENSIONS

    return sorted(DEFAULT_EXTENSIONS)


#: Options that name a file or folder: ``~`` starts a home folder there, as in a
#: shell (a TOML file is read by no shell: ``out = "~/features"`` made a folder
#: named ``~`` in the current one).
_PATHS = {"out", "files_from", "list_root"}

#: Options whose empty value stands for a default list (--print-config shows it).
_EMPTY_MEANS = {"extensions": _default_extensions}


def load_config(ctx: click.Context, path: Path | None) -> None:
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
    flags = {p.name for p in ctx.command.params if getattr(p, "is_flag", False)}
    lists = {p.name for p in ctx.command.params if p.multiple or p.nargs != 1}
    defaults = {}
    for key, value in table.items():
        if key not in keys:
            spelled = [k for k in keys if "_" not in k]  # n-mels, not n_mels too
            # Compared as spelled there: "n_mel" is as close to it as "n-mel".
            close = nearest(key.replace("_", "-"), spelled, cutoff=0.75)
            hint = f" (did you mean {close!r}?)" if close else ""
            raise click.BadParameter(
                f"unknown key {key!r} in {source}{hint}", param_hint="'--config'"
            )
        name = keys[key]
        if isinstance(value, str) and name in _PATHS and value.startswith("~"):
            value = os.path.expanduser(value)
        if isinstance(value, str) and name in _MULTIPLE:
            # As on the command line: ext = "wav,flac"; include = "dogs/*".
            value = value.split(",") if name == "extensions" else [value]
        kind = "flag" if name in flags else "list" if name in lists else ""
        defaults[name] = _as_given(value, key, source, kind=kind)
    ctx.default_map = {**(ctx.default_map or {}), **defaults}
    ctx.meta["melcli.config"] = source


def _as_given(value: Any, key: str, source: Path | None, *, kind: str) -> Any:
    """Return a config value as click should see it, or refuse a table.

    ``kind`` is ``"flag"``, ``"list"`` (an option taking several values) or
    ``""``. A TOML value click would turn into a traceback instead of a
    message is passed on as the text it stands for (``inf``, ``nan``;
    ``true`` for an option that is no flag; any float, which click would cut
    to an integer option's whole part), so the option's own check words the
    error, as for the same text in a ``MELCLI_*`` variable.
    """
    if isinstance(value, list) and kind == "list":
        if any(isinstance(v, list | dict) for v in value):
            raise click.BadParameter(
                f"{key} in {source} holds a list or table, not plain values",
                param_hint="'--config'",
            )
        return [_as_given(v, key, source, kind="") for v in value]
    if isinstance(value, dict | list):
        raise click.BadParameter(
            f"{key} in {source} is a {'table' if isinstance(value, dict) else 'list'}"
            ", not a value",
            param_hint="'--config'",
        )
    if isinstance(value, bool):
        return value if kind == "flag" else str(value).lower()
    if isinstance(value, float):
        # As its text, checked as a MELCLI_* variable's: click would cut
        # n-mels = 64.5 to 64 without a word.
        return repr(value)
    if isinstance(value, int | float | str):
        return value
    return str(value)  # a TOML date or time: as written


def _read_toml(path: Path) -> dict[str, Any]:
    import tomllib

    try:
        # Non-blocking: a FIFO named as the config file is read, not waited on.
        with os.fdopen(os.open(path, os.O_RDONLY | os.O_NONBLOCK), "rb") as f:
            if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
                raise click.BadParameter(
                    f"{path}: not a regular file", param_hint="'--config'"
                )
            return tomllib.load(f)
    except OSError as exc:
        reason = (exc.strerror or str(exc)).lower()
        raise click.BadParameter(f"{path}: {reason}", param_hint="'--config'") from None
    except UnicodeDecodeError:
        raise click.BadParameter(
            f"{path}: not UTF-8 text, as TOML must be", param_hint="'--config'"
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise click.BadParameter(f"{path}: {exc}", param_hint="'--config'") from None
    except RecursionError:  # tomllib parses nested arrays and tables recursively
        raise click.BadParameter(
            f"{path}: nested too deep to read", param_hint="'--config'"
        ) from None


def print_effective_config(ctx: click.Context) -> None:
    """Print every configurable setting as TOML, with where its value comes from."""
    from click.core import ParameterSource

    origin = {
        ParameterSource.COMMANDLINE: "command line",
        ParameterSource.ENVIRONMENT: "environment",
        ParameterSource.DEFAULT_MAP: f"config {ctx.meta.get('melcli.config')}",
        ParameterSource.DEFAULT: "default",
    }
    lines = ["[tool.melcli]"]
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
        if param.name in _EMPTY_MEANS and not value:
            value = _EMPTY_MEANS[param.name]()  # what the run takes
        shown = _toml_value(param, value)
        if shown is None:  # unset, with no word for it: keep the line valid TOML
            lines.append(f"# {key} is unset  # {where}")
        else:
            lines.append(f"{key} = {shown}  # {where}")
    echo_whole(lines)  # whole: '| head -3' ends as for 'seq 3'


def tell_outside_settings(ctx: click.Context, *, verbose: bool) -> None:
    """Say on stderr what the environment and a config file did to this run.

    Each ``MELCLI_*`` variable that names no option is a warning; with
    ``verbose``, one line per source names the settings it set
    (:func:`settings_from_elsewhere`).
    """
    warn_unknown_envvars(ctx.command)
    if verbose:
        for line in settings_from_elsewhere(ctx):
            click.echo(display_path(line), err=True)


#: Options that change only what is printed: not news in -v's list.
_OF_THE_MESSAGES = frozenset({"quiet", "verbose", "progress_interval"})


def settings_from_elsewhere(ctx: click.Context) -> list[str]:
    """Say which settings came from a config file or the environment (for -v).

    One line per source, in the order of the options: a ``[tool.melcli]``
    table in ``./pyproject.toml`` applies without a word otherwise. Those of
    the messages (``MELCLI_PROGRESS_INTERVAL``) are left out.
    """
    from click.core import ParameterSource

    lines: dict[str, list[str]] = {}
    for param in ctx.command.params:
        if not isinstance(param, click.Option) or param.name is None:
            continue
        if param.name in _OF_THE_MESSAGES:
            continue
        source = ctx.get_parameter_source(param.name)
        value = _toml_value(param, ctx.params.get(param.name))
        if source is ParameterSource.DEFAULT_MAP:
            where = f"config {ctx.meta.get('melcli.config')}"
            said = f"{_option_name(param)} = {value}"
        elif source is ParameterSource.ENVIRONMENT:
            where = "the environment"
            said = f"{param.envvar}={os.environ.get(str(param.envvar), '')}"
        else:
            continue
        lines.setdefault(where, []).append(said)
    return [
        f"settings from {where}: {', '.join(said)}" for where, said in lines.items()
    ]


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


def add_envvars(command: click.Command) -> None:
    """Let each option of ``command`` come from ``MELCLI_<NAME>`` (MELCLI_N_MELS)."""
    for param in command.params:
        if isinstance(param, click.Option) and param.name not in _NOT_CONFIGURABLE:
            param.envvar = f"MELCLI_{_option_name(param).upper()}"


ENV_PREFIX = "MELCLI_"


def warn_unknown_envvars(command: click.Command) -> None:
    """Warn about each ``MELCLI_*`` variable that names no option of ``command``.

    A warning, not an error: other tools may use the prefix too. The closest
    real name is suggested (MELCLI_NMELS: MELCLI_N_MELS).
    """
    known = [p.envvar for p in command.params if isinstance(p.envvar, str)]
    suffixes = [k.removeprefix(ENV_PREFIX) for k in known]
    for name in sorted(os.environ):
        if not name.startswith(ENV_PREFIX) or name in known:
            continue
        close = nearest(name.removeprefix(ENV_PREFIX), suffixes, cutoff=0.75)
        hint = f" (did you mean {ENV_PREFIX}{close}?)" if close else ""
        click.echo(
            f"warning: {name} is set but names no option of melcli "
            f"{command.name}{hint}; it is ignored",
            err=True,
        )


def name_the_source(exc: click.BadParameter) -> None:
    """Say in ``exc`` where a bad value came from, when not the command line.

    ``Invalid value for '--n-mels' (from MELCLI_N_MELS): 'abc' is not a
    valid integer.`` (or ``(from config pyproject.toml)``).
    """
    if exc.ctx is None or exc.param is None or exc.param.name is None:
        return
    where = value_source(exc.ctx, exc.param)
    if where is not None:
        hint = exc.param_hint or exc.param.get_error_hint(exc.ctx)
        exc.param_hint = f"{hint} (from {where})"


def option_hint(name: str) -> str:
    """``'--n-mels'``, with ``(from MELCLI_N_MELS)`` when its value came from there.

    ``name`` is the parameter's name (``n_mels``); for the errors found once
    the options are parsed, in the command being run.
    """
    hint = f"'--{name.replace('_', '-')}'"  # quoted, as click's own hints
    ctx = click.get_current_context(silent=True)
    param = None
    if ctx is not None:
        param = next((p for p in ctx.command.params if p.name == name), None)
    where = value_source(ctx, param) if ctx and param else None
    return hint if where is None else f"{hint} (from {where})"


def value_source(ctx: click.Context, param: click.Parameter) -> str | None:
    """Return ``MELCLI_X`` or ``config FILE`` when the value came from there."""
    from click.core import ParameterSource

    source = ctx.get_parameter_source(param.name or "")
    if source is ParameterSource.ENVIRONMENT and isinstance(param.envvar, str):
        return param.envvar
    if source is ParameterSource.DEFAULT_MAP:
        return f"config {ctx.meta.get('melcli.config')}"
    return None

"""Option defaults from a config file, ``MELCLI_*`` variables, ``--print-config``."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import click


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


def print_effective_config(ctx: click.Context) -> None:
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


def add_envvars(command: click.Command) -> None:
    """Let each option of ``command`` come from ``MELCLI_<NAME>`` (MELCLI_N_MELS)."""
    for param in command.params:
        if isinstance(param, click.Option) and param.name not in _NOT_CONFIGURABLE:
            param.envvar = f"MELCLI_{_option_name(param).upper()}"

"""The ``melcli`` command group, ``--version``, and the exit status of a refusal."""

from __future__ import annotations

from typing import Any

import click

from .. import __version__


def _print_version(ctx: click.Context) -> None:
    click.echo(_version_message())
    ctx.exit()


def _version_message() -> str:
    import platform  # here: not on every command
    from importlib import metadata

    try:
        librosa_version = metadata.version("librosa")
    except metadata.PackageNotFoundError:  # pragma: no cover
        librosa_version = "not installed"
    return (
        f"melcli {__version__} (librosa {librosa_version}, "
        f"Python {platform.python_version()})"
    )


class ClosedPipe(Exception):
    """Stdout was closed by its reader (``melcli presets | head -1``).

    Not an :class:`OSError`, which click would turn into exit status 1.
    """


class _Group(click.Group):
    """The command group; a closed stdout becomes :class:`ClosedPipe`.

    While the options are parsed (``--version``, ``--help``) and while the
    command runs.
    """

    def make_context(self, *args: Any, **kwargs: Any) -> click.Context:
        try:
            return super().make_context(*args, **kwargs)
        except BrokenPipeError:
            raise ClosedPipe from None

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except BrokenPipeError:
            raise ClosedPipe from None


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
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


class CannotStart(click.ClickException):
    """The run could not start (OUT is locked by another run): exit status 2."""

    exit_code = 2

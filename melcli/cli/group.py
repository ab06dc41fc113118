"""The ``melcli`` command group, ``--version``, and the exit status of a refusal."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
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


def echo_whole(lines: Iterable[str]) -> None:
    """Print ``lines`` on stdout in one write, as ``seq 3`` does at its exit.

    ``click.echo`` flushes each line: a reader that stops after the first
    (``melcli presets --all | head -1``) closed the pipe before the next
    write, which then failed (exit status 141), or not, as the two processes
    happened to run. Written whole, an output the pipe holds (64 KiB) is in
    it before the reader can close it: exit status 0, every time.
    """
    shown = list(lines)
    if shown:
        click.echo("\n".join(shown))


class ClosedPipe(Exception):
    """Stdout was closed by its reader (``melcli presets | head -1``).

    Not an :class:`OSError`, which click would turn into exit status 1.
    """


class StdoutFailed(Exception):
    """Writing to stdout failed otherwise: a full disk (``> /dev/full``), EIO.

    Its message is the system's reason (``No space left on device``).
    """


def _stdout_error(exc: OSError) -> Exception:
    """``exc`` as :class:`ClosedPipe` or :class:`StdoutFailed` if stdout raised it.

    The frame that raised holds the stream it wrote to (click's ``echo``
    holds ``file``, :func:`json.dump` ``fp``): stdout is the one on fd 1.
    Any other :class:`OSError` is returned as it is.
    """
    if isinstance(exc, BrokenPipeError):
        return ClosedPipe()
    tb = exc.__traceback__
    if tb is None:
        return exc
    while tb.tb_next is not None:
        tb = tb.tb_next
    for value in tb.tb_frame.f_locals.values():
        if value is sys.stdout or _on_fd(value, 1):
            return StdoutFailed(exc.strerror or str(exc))
    return exc


def _on_fd(stream: object, fd: int) -> bool:
    """Whether ``stream`` is a file object that writes to ``fd``."""
    if not hasattr(stream, "write"):
        return False
    try:
        return bool(stream.fileno() == fd)  # type: ignore[attr-defined]
    except (AttributeError, OSError, ValueError):
        return False


class _Group(click.Group):
    """The command group; stdout closed or failing becomes an exception of its own.

    :class:`ClosedPipe` or :class:`StdoutFailed`, not click's traceback.

    While the options are parsed (``--version``, ``--help``) and while the
    command runs.
    """

    def make_context(self, *args: Any, **kwargs: Any) -> click.Context:
        try:
            return super().make_context(*args, **kwargs)
        except OSError as exc:
            failed = _stdout_error(exc)
            if failed is exc:
                raise
            raise failed from None

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        """Refuse an unknown command; one that is a path was meant for ``mel``.

        ``melcli audio/ -o features/`` (the subcommand forgotten) says how to
        convert it, besides click's ``No such command 'audio/'``; ``melcli
        help`` (as git and pip spell it) names ``--help``.
        """
        name = args[0] if args else ""
        if name == "help" and self.get_command(ctx, name) is None:
            topic = args[1] if len(args) > 1 else ""  # melcli help mel
            topic = topic if self.get_command(ctx, topic) else "COMMAND"
            ctx.fail(
                "No such command 'help'. The commands and what they do: melcli "
                f"--help; a command's options: melcli {topic} --help"
            )
        if (
            name
            and not name.startswith("-")
            and self.get_command(ctx, name) is None
            and os.path.exists(name)
        ):
            import shlex  # here: only for this error

            from ..report import display_path

            what = "the audio under it" if os.path.isdir(name) else "it"
            ctx.fail(
                f"No such command {display_path(repr(name))}. To convert {what}: "
                f"melcli mel {display_path(shlex.quote(name))} -o OUT"
            )
        return super().resolve_command(ctx, args)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.NoSuchOption as exc:
            # 'melcli mel --version': click suggested --duration or --json.
            if exc.option_name not in ("--version", "-V"):
                raise
            raise click.NoSuchOption(
                exc.option_name,
                message=f"No such option '{exc.option_name}' for a command; "
                "the version: melcli --version",
                ctx=exc.ctx,
            ) from None
        except OSError as exc:
            failed = _stdout_error(exc)
            if failed is exc:
                raise
            raise failed from None


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

"""Option value types: a number or a word, seconds, ``I/N`` shards, existing paths."""

from __future__ import annotations

import math
import os
from typing import Any

import click

from .. import shard as sharding
from ..errors import MelcliError, ParameterError, nearest
from ..inputs import EMPTY_NAME, check_name
from ..params import rate_meant
from ..session import MAX_SECONDS


class _NumberOr(click.ParamType):  # type: ignore[type-arg]
    """A number, or one of a few words (``native``, ``max``, ``none``)."""

    def __init__(self, words: dict[str, Any], number: type = float) -> None:
        self.words = words
        self.number = number
        kinds = "an integer" if number is int else "a number"
        self.name = " or ".join([kinds, *(repr(w) for w in words)])

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> Any:
        if not isinstance(value, str):
            return value
        key = value.strip().lower()
        if key in self.words:
            return self.words[key]
        try:
            return self.number(value)
        except ValueError:
            self.fail(f"{value!r} is not {self.name}{self.hint(value)}", param, ctx)

    def get_metavar(self, param: click.Parameter, ctx: click.Context) -> str:
        return "|".join(["NUMBER" if self.number is float else "INT", *self.words])

    def hint(self, value: str) -> str:
        """Return what to give instead of ``value``, after a ``; ``, or ``""``."""
        return ""


class _SampleRate(_NumberOr):
    """A rate in Hz, or ``native``: ``16k`` is refused, naming ``16000``."""

    def hint(self, value: str) -> str:
        meant = rate_meant(value)
        return "" if meant is None else f"; give {meant} (in Hz)"


SAMPLE_RATE = _SampleRate({"native": None}, number=int)
REF = _NumberOr({"max": "max"})
OPTIONAL_FLOAT = _NumberOr({"none": None})
OPTIONAL_INT = _NumberOr({"none": None}, number=int)
NORM = _NumberOr({"slaney": "slaney", "none": None})


class Choice(click.Choice):  # type: ignore[type-arg]
    """click's choice of words, naming the nearest for a typo.

    ``--preset wisper``: ``'wisper' is not one of 'whisper', ... Did you mean
    'whisper'?``, as click suggests a command (``mle``) or an option
    (``--n-mel``); the library's message suggests the same
    (:func:`melcli.errors.one_of`).
    """

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> Any:
        """Return the choice ``value`` names, or fail naming the nearest."""
        try:
            return super().convert(value, param, ctx)
        except click.BadParameter as exc:
            near = nearest(value, [str(choice) for choice in self.choices])
            if near is None:
                raise
            self.fail(f"{exc.message} Did you mean {near!r}?", param, ctx)


class _Seconds(click.ParamType):  # type: ignore[type-arg]
    """A length of time in seconds: a finite number from 0 to :data:`MAX_SECONDS`.

    NaN, infinity and numbers too large for the system's clocks are usage
    errors (a timer of ``1e300`` s cannot be waited on).
    """

    name = "seconds"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> Any:
        try:
            seconds = float(value)
        except (TypeError, ValueError):
            self.fail(f"{value!r} is not a number of seconds", param, ctx)
        if not (math.isfinite(seconds) and 0 <= seconds <= MAX_SECONDS):
            self.fail(
                f"{value} is not a number of seconds from 0 to {MAX_SECONDS:g}",
                param,
                ctx,
            )
        return seconds


SECONDS = _Seconds()


class _ShardType(click.ParamType):  # type: ignore[type-arg]
    """``I/N``: shard I of N."""

    name = "I/N"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> Any:
        if isinstance(value, sharding.Shard):
            return value
        from .console import as_options

        try:
            return sharding.Shard.parse(str(value))
        except MelcliError as exc:
            self.fail(as_options(str(exc), run_options=True), param, ctx)


SHARD = _ShardType()


class Given(click.ParamType):  # type: ignore[type-arg]
    """A path as given (SRC, a run's OUT to read), checked by the library, not here.

    :func:`melcli.run`, :func:`melcli.info`, :func:`melcli.write_stats`,
    :func:`melcli.build_gallery` and :func:`melcli.merge` refuse a path that
    does not exist, once, when they check their inputs
    (:func:`melcli.inputs.check_each_source`, :func:`~melcli.inputs.check_out_folder`),
    and the command says their words (``Path 'x' is a symbolic link loop.``).
    :class:`click.Path` would have looked at it first (``stat``, again for
    ``exists``), in its own words (``Directory 'x' does not exist.`` for a
    loop), and at parse time: before ``--print-config``, which needs none.
    """

    name = "path"

    def __init__(self, completes: str = "file") -> None:
        self.completes = completes  # what the shell offers: "file" or "dir"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> Any:
        """Return ``value`` as given: the library checks it."""
        # As given: a Path would take "" (``"$SRC"`` unset) for the current
        # folder, which the library refuses by name.
        return value

    def shell_complete(
        self, ctx: click.Context, param: click.Parameter, incomplete: str
    ) -> list[Any]:
        """Let the shell complete a file (or folder) name."""
        from click.shell_completion import CompletionItem

        return [CompletionItem(incomplete, type=self.completes)]


#: An SRC: a file or a folder.
SOURCE = Given()
#: The OUT of a run, to read (``stats``, ``gallery``, ``merge``).
RUN_FOLDER = Given("dir")


class OutFolder(click.Path):
    """The output folder (``-o``): an empty name is refused.

    ``-o "$OUT"`` with ``OUT`` unset is ``-o ''``, which a path takes as the
    current folder: the outputs and a manifest were written there. What is
    in OUT's place is the run's to say (``cannot write to x: a file, not a
    folder``), as :func:`melcli.run` says it: click said ``Directory 'x' is
    a file.`` for a file, and let a link loop through to the run.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(file_okay=False, **kwargs)

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> Any:
        """Refuse an empty name; leave the rest to the run."""
        self.refuse_empty(value, param, ctx)
        return self.coerce_path_result(value)

    def refuse_empty(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> None:
        """Fail if ``value`` is an empty name."""
        if isinstance(value, (str, bytes, os.PathLike)):
            try:
                check_name(value, param="out")
            except ParameterError:
                self.fail(EMPTY_NAME, param, ctx)


class ListRoot(OutFolder):
    """The folder a list's paths are relative to (``--root``): an empty name is refused.

    ``--root "$ROOT"`` with ``ROOT`` unset took the current folder, not the
    list's own (the default), without a word. The rest is checked as
    :class:`click.Path` checks it.
    """

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> Any:
        """Refuse an empty name; check the rest as :class:`click.Path` does."""
        self.refuse_empty(value, param, ctx)
        return click.Path.convert(self, value, param, ctx)

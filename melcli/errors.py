"""Exceptions raised by melcli.

Every exception melcli raises on purpose derives from :class:`MelcliError`, and
its message is one line a user can act on: it names the parameter or the file
and says what is wrong, in words.
"""

from __future__ import annotations

import os

TYPE_CHECKING = False
if TYPE_CHECKING:  # nothing imported at start-up for these
    from collections.abc import Iterable, Sequence


class MelcliError(Exception):
    """Base class of every error melcli raises on purpose."""


def number(value: object) -> str:
    """Write a number a user gave exactly: ``8000.123``, ``1e-05``, ``8000``.

    ``:g`` kept six digits: ``fmin=8000.12 must be below fmax=8000.12`` for
    8000.123 and 8000.12, and ``offset=1.23457e+06``.
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        return repr(value)
    value = float(value)  # a numpy float's repr names its type
    if value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    return repr(value)


def nearest(
    value: object, choices: Iterable[str], *, cutoff: float = 0.6
) -> str | None:
    """Return the one of ``choices`` that ``value`` looks like a typo of, or None.

    ``"wisper"`` gives ``"whisper"``; a value like none of them gives None.
    ``cutoff``: how alike they must be (:func:`difflib.get_close_matches`).
    A name cut short is the start of the one meant: of those alike, one that
    begins with ``value`` is taken first (``file``: ``filename``, not
    ``src_file``, as alike by letters).
    """
    if not isinstance(value, str):
        return None
    from difflib import get_close_matches  # here: only for an error

    by_lower = {choice.lower(): choice for choice in choices}
    typed = value.lower()
    found = get_close_matches(
        typed, list(by_lower), n=len(by_lower) or 1, cutoff=cutoff
    )
    begun = [name for name in found if name.startswith(typed)]
    return by_lower[(begun or found)[0]] if found else None


def did_you_mean(value: object, choices: Iterable[str]) -> str:
    """Return ``"; did you mean 'whisper'?"`` for the :func:`nearest`, or ``""``."""
    near = nearest(value, choices)
    return "" if near is None else f"; did you mean {near!r}?"


def one_of(name: str, value: object, choices: Sequence[str]) -> str:
    """Say that ``value`` of the setting ``name`` is none of ``choices``.

    ``preset='wisper' must be one of whisper, ...; did you mean 'whisper'?``:
    the nearest, as click suggests a command or option for a typo.
    """
    text = f"{name}={value!r} must be one of {', '.join(choices)}"
    return text + did_you_mean(value, choices)


def shell_word(word: str | os.PathLike[str]) -> str:
    """Return ``word`` as a shell reads it back: ``features``, ``'my features'``.

    For the commands and options messages tell a user to give (``give --root
    'ESC 50/audio'``): pasted into a shell, a name with spaces or quotes is
    one word. A name with a single quote is put in double quotes when it
    holds nothing a shell expands there (``"dog's"``).
    """
    import shlex  # here: only for a message

    text = os.fsdecode(word)
    if "'" in text and text and not set(text) & set('"$`\\!'):
        return f'"{text}"'
    return shlex.quote(text)


def shell_command(*words: str | os.PathLike[str]) -> str:
    """Return a command a message tells to run, quoted: ``'melcli stats features'``.

    Each word after the first two is a name (:func:`shell_word`). A command
    holding single quotes is shown in double quotes (``"melcli stats 'my
    out'"``), and one holding both kinds as it is, so that its own quotes
    stay those a shell reads.
    """
    text = " ".join([*map(os.fsdecode, words[:2]), *map(shell_word, words[2:])])
    if "'" not in text:
        return f"'{text}'"
    return f'"{text}"' if '"' not in text else text


def os_reason(exc: OSError) -> str:
    """Return the cause of ``exc`` in words: ``no space left on device``."""
    return (exc.strerror or type(exc).__name__).lower()


def describe_exception(exc: BaseException) -> str:
    """Say in one line what went wrong, for an error melcli did not anticipate."""
    text = str(exc).strip()
    if isinstance(exc, OSError) and exc.strerror:
        return f"cannot write output: {exc.strerror.lower()}"
    if type(exc).__module__.startswith("librosa"):
        return text or type(exc).__name__
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class ParameterError(MelcliError, ValueError):
    """A setting is invalid: the message names it and echoes its value.

    Examples
    --------
    >>> raise ParameterError("hop_length=0 must be a positive integer")
    Traceback (most recent call last):
    ...
    melcli.errors.ParameterError: hop_length=0 must be a positive integer
    """

    def __init__(self, message: str, *, param: str | None = None) -> None:
        super().__init__(message)
        #: The name of the offending setting (a :class:`MelParams` field).
        self.param = param


class UsageError(MelcliError):
    """The command as a whole cannot run (missing input, output inside input...)."""

    def __init__(self, message: str, *, param: str | None = None) -> None:
        super().__init__(message)
        #: The keyword (option) at fault, when one is: ``path_column`` for a
        #: ``--path-column`` the list has no column for.
        self.param = param


class AudioError(MelcliError):
    """One input file cannot be turned into a spectrogram; the batch goes on."""

"""A decoder capture abandoned by a signal, closed later, leaves the next one whole.

A signal's exception raised while :func:`melcli.audio._native_stderr` is
suspended (its swaps of fds 1 and 2 undone by the caller) leaves the
generator to be closed whenever the garbage collector gets to it: possibly
in the middle of another file's capture. Its ``finally`` then undid that
capture's swaps and read its notes: the second capture lost what the
decoder printed, and when the collector ran between the second capture's
two swaps, fd 2 stayed on the capture file for good (seen once in CI, as
the tracer test of test_interrupt_decoder_capture.py failing at one moment).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

from melcli import MelParams, audio


def identity(fd: int) -> tuple[int, int]:
    st = os.fstat(fd)
    return st.st_dev, st.st_ino


def capture_closing(stale: Any) -> None:
    """Run a capture that closes ``stale`` between its two swaps.

    It has listed its fd 2 swap, not yet its fd 1 one: the moment the
    collector ran in CI, emulated by closing ``stale`` from the list's append.
    """

    class Closing(list):  # type: ignore[type-arg]
        def append(self, item: object) -> None:
            super().append(item)
            if len(self) == 1:
                stale.gen.close()

    saved = audio._SWAPS
    audio._SWAPS = Closing()
    try:
        current = audio._native_stderr()
        current.__enter__()
        current.__exit__(None, None, None)
    finally:
        audio._SWAPS = saved


def test_a_capture_closed_late_leaves_the_next_one_alone() -> None:
    err, out = identity(2), identity(1)
    stale = audio._native_stderr()
    stale.__enter__()
    audio._undo_swaps(0)  # as a caller does when a signal's exception passes
    assert identity(2) == err

    current = audio._native_stderr()
    notes = current.__enter__()
    try:
        swapped = identity(2)
        assert swapped != err
        stale.gen.close()  # the collector, now
        assert identity(2) == swapped  # still this capture's
        os.write(2, b"note from the decoder\n")
    finally:
        current.__exit__(None, None, None)
    assert notes == ["note from the decoder"]
    assert (identity(2), identity(1)) == (err, out)
    assert audio._SWAPS == []


def test_a_capture_closed_late_between_the_next_ones_swaps() -> None:
    err, out = identity(2), identity(1)
    stale = audio._native_stderr()
    stale.__enter__()
    audio._undo_swaps(0)

    capture_closing(stale)
    assert (identity(2), identity(1)) == (err, out)


def test_an_open_audio_closed_late_between_the_next_captures_swaps(
    tmp_path: Path,
) -> None:
    # open_audio, abandoned at its yield by a signal whose handler put fds 1
    # and 2 back, then closed by the collector in another capture's middle:
    # its own clean-up undid that capture's first swap (seen in CI under
    # 3.12 as the tracer test failing at one moment).
    clip = tmp_path / "a.wav"
    sf.write(clip, np.full(800, 0.1, dtype=np.float32), 8000)
    err, out = identity(2), identity(1)
    stale = audio.open_audio(clip, MelParams(sr=None).validate())
    stale.__enter__()
    audio._undo_swaps(0)  # as melcli's stop handler does before it raises

    capture_closing(stale)
    assert (identity(2), identity(1)) == (err, out)

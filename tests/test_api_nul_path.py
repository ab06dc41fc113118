"""A path holding a NUL byte is a bad input, not a ValueError from deep inside.

No file can have such a name, but a Python caller can pass one (a name read
from a binary field, a C string with its terminator). ``melcli.probe`` and
``melcli.mel_spectrogram`` raised ``ValueError: embedded null byte`` from
``os.stat``; ``melcli.run`` stopped the whole run with it, none of the other
files written. Now the file fails with a reason and the run goes on.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

import melcli
from melcli import AudioError

BAD = "a\0b.wav"
SAID = "not a file name: the path holds a NUL byte"


def test_probe_and_mel_spectrogram_say_why() -> None:
    with pytest.raises(AudioError, match=f"^{SAID}"):
        melcli.probe(BAD)
    with pytest.raises(AudioError, match=f"^{SAID}"):
        melcli.mel_spectrogram(BAD)


def test_a_run_fails_that_source_and_goes_on(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    sf.write(src / "a.wav", np.full(800, 0.1, np.float32), 8000)
    out = tmp_path / "out"
    for _ in range(2):  # and again, with the manifest that records it
        report = melcli.run([src, BAD], out, jobs=1)
        failed = [r for r in report.results if r.reason]
        assert [(str(r.src), r.reason) for r in failed] == [(BAD, SAID)]
    assert (out / "a.npy").is_file()

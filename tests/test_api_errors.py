"""``melcli.mel_spectrogram(path)`` failing says which file, in its traceback.

A newcomer loops over a dataset with the README's one-liner; a bad file ends
the script with ``AudioError: not an audio file (format not recognised)``
and the file's name is nowhere. The error keeps the command's words (its
message) and names the file in a note, which the traceback prints.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

import melcli
from melcli import AudioError, MelParams
from melcli.audio import TooShort


def test_a_file_that_fails_is_named_in_a_note(tmp_path: Path) -> None:
    broken = tmp_path / "broken.wav"
    broken.write_text("<html>not audio</html>")
    with pytest.raises(AudioError) as caught:
        melcli.mel_spectrogram(broken)
    assert caught.value.__notes__ == [f"while computing {broken}"]
    assert str(broken) not in str(caught.value)  # the command's reason, as it was


def test_the_error_keeps_its_kind(tmp_path: Path) -> None:
    short = tmp_path / "three.wav"
    sf.write(short, np.array([0.1, 0.2, 0.3], np.float32), 22050)
    with pytest.raises(TooShort) as caught:
        melcli.mel_spectrogram(short, params=MelParams(min_duration=0.5))
    assert caught.value.__notes__ == [f"while computing {short}"]


def test_an_uncaught_failure_prints_the_file(tmp_path: Path) -> None:
    missing = tmp_path / "gone.wav"
    script = f"import melcli; melcli.mel_spectrogram({str(missing)!r})"
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False
    )
    assert done.returncode == 1
    assert done.stderr.splitlines()[-2:] == [
        "melcli.errors.AudioError: file not found",
        f"while computing {missing}",
    ]

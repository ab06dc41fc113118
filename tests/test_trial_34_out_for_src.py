"""An OUT given where SRC goes says so, in both directions.

``melcli mel audio/ features/`` (a target last, as ``cp`` takes it) said only
``Missing option '-o' / '--out'.``; ``melcli mel features/ -o x`` and ``melcli
info features/`` (a run's OUT given as audio) said ``no audio files found: 3
files passed over for their extension (jsonl, npy)``, as for any folder.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from conftest import invoke

import melcli
from melcli.manifest import MANIFEST_NAME


@pytest.fixture
def audio(tmp_path: Path) -> Path:
    folder = tmp_path / "audio"
    folder.mkdir()
    sf.write(folder / "a.wav", np.full(4000, 0.1, dtype=np.float32), 8000)
    return folder


@pytest.mark.parametrize("made", [False, True])
def test_a_target_given_last_is_named_for_o(
    audio: Path, tmp_path: Path, made: bool
) -> None:
    features = tmp_path / "features"
    if made:  # the OUT of an earlier run
        assert invoke("mel", audio, "-o", features, "-j", "1").exit_code == 0
    result = invoke("mel", audio, features)
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == (
        f"Error: Missing option '-o' / '--out'. To write into {features}, give it "
        f"as -o {features}: each SRC is read, only -o is written"
    )
    # An input folder that exists and is no OUT is not taken for one.
    # Nor is a missing file with an audio extension (a typo, not a folder).
    for last in (audio, tmp_path / "typo.wav"):
        other = invoke("mel", audio, last)
        assert other.stderr.splitlines()[-1] == "Error: Missing option '-o' / '--out'."


def test_a_runs_out_given_as_audio_is_named(audio: Path, tmp_path: Path) -> None:
    from melcli.hints import _MANIFEST_NAME

    assert _MANIFEST_NAME == MANIFEST_NAME
    out = tmp_path / "features"
    assert invoke("mel", audio, "-o", out, "-j", "1").exit_code == 0
    said = (
        f"no audio files found: {out} is the output of 'melcli mel' (it holds "
        "manifest.jsonl), not audio: give the audio folder it was made from; "
    )
    again = invoke("mel", out, "-o", tmp_path / "again", "-j", "1")
    assert again.exit_code == 0
    assert f"warning: {said}" in again.stderr
    info = invoke("info", out)
    assert f"warning: {said}" in info.stderr
    assert said in melcli.info([out]).warnings[0]

"""A SRC inside the run's own OUT has its links followed, run after run.

A dataset root used as OUT, its ``audio/`` a farm of symbolic links
(``melcli mel proj/audio -o proj``): from the second run on, the walk found
OUT's lock file above the SRC and passed over every link as one in an
untrusted output folder, so a changed input was skipped and a new one never
taken, with exit 0. Links are passed over only in an output folder that is
not the run's own OUT; ``melcli info`` (no OUT of its own) and a run whose
SRC lies in another OUT still pass them over.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import soundfile as sf
from conftest import invoke, mel, short_tones, tone

pytestmark = pytest.mark.usefixtures("isolated")


def _farm(tmp_path: Path) -> tuple[Path, Path, Path]:
    """Return ``(store, proj, proj/audio)``: ``audio/0.wav`` a link into ``store``."""
    store = short_tones(tmp_path / "store", 2)
    proj = tmp_path / "proj"
    audio = proj / "audio"
    audio.mkdir(parents=True)
    os.symlink(store / "0.wav", audio / "0.wav")
    return store, proj, audio


def test_a_changed_link_target_is_rebuilt_in_a_src_inside_its_own_out(
    tmp_path: Path,
) -> None:
    store, proj, audio = _farm(tmp_path)
    first = mel(audio, proj)
    assert first.exit_code == 0, first.stderr
    assert "1 written" in first.stderr
    assert (proj / ".melcli.lock").is_file()  # the second run finds its own lock
    npy = proj / "0.npy"
    before = npy.read_bytes()
    sf.write(store / "0.wav", tone(900.0, sr=8000, seconds=0.3), 8000)
    later = os.stat(npy).st_mtime + 10
    os.utime(store / "0.wav", (later, later))
    second = mel(audio, proj)
    assert second.exit_code == 0, second.stderr
    assert "1 written" in second.stderr
    assert npy.read_bytes() != before


def test_a_new_link_is_taken_in_a_src_inside_its_own_out(tmp_path: Path) -> None:
    store, proj, audio = _farm(tmp_path)
    assert "1 written" in mel(audio, proj).stderr
    os.symlink(store / "1.wav", audio / "1.wav")
    second = mel(audio, proj, "-v")
    assert "1 written" in second.stderr
    assert "symbolic link in an output folder" not in second.stderr
    assert (proj / "1.npy").is_file()


def test_links_of_another_out_are_still_passed_over(tmp_path: Path) -> None:
    _, proj, audio = _farm(tmp_path)
    assert "1 written" in mel(audio, proj).stderr
    # melcli info has no OUT of its own: proj's links are untrusted.
    listed = invoke("info", "--json", "-v", audio)
    assert [json.loads(x) for x in listed.stdout.splitlines()] == []
    assert "a symbolic link in an output folder" in listed.stderr
    # A run writing elsewhere takes proj/audio as inside another OUT.
    other = mel(audio, tmp_path / "other", "-v")
    assert "0 written" in other.stderr
    assert not (tmp_path / "other" / "0.npy").exists()

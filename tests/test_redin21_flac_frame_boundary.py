"""A FLAC cut exactly between two frames is said cut in the same words by all.

libFLAC finds no next frame after the last whole one, and libsndfile said
``internal psf_fseek() failed``: a run failed such a file as ``corrupt or
truncated: decoding stopped at 0.29 s of 1.50 s (internal psf_fseek()
failed)`` where ``melcli info`` said ``(its frames end there)``, the cause.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from click.testing import CliRunner

from melcli import MelParams, audio
from melcli.cli import cli

SR = 16000
#: FLAC frame headers begin with this sync code (fixed block size).
SYNC = b"\xff\xf8"


def frame_boundaries(tmp_path: Path) -> tuple[Path, list[int]]:
    """A 1.5-s noise FLAC, and where each of its frames but the first starts."""
    rng = np.random.default_rng(21)
    path = tmp_path / "whole.flac"
    sf.write(path, rng.uniform(-0.5, 0.5, (SR * 3 // 2, 2)), SR, subtype="PCM_16")
    data = path.read_bytes()
    first = data.find(SYNC)
    starts = [i for i in range(first + 1, len(data)) if data.startswith(SYNC, i)]
    assert len(starts) >= 3
    return path, starts


def test_a_flac_cut_between_frames_fails_in_the_words_info_uses(tmp_path: Path) -> None:
    whole, starts = frame_boundaries(tmp_path)
    data = whole.read_bytes()
    checked = 0
    for at in starts:
        piece = tmp_path / f"cut{at}.flac"
        piece.write_bytes(data[:at])
        try:
            audio.probe(piece)
        except audio.AudioError as told:
            said = str(told)
        else:
            continue  # a sync code inside a frame's audio: not a boundary
        if not said.endswith("(its frames end there)"):
            continue
        with pytest.raises(audio.AudioError) as run:
            audio.load(piece, MelParams())
        assert str(run.value) == said
        assert "psf_fseek" not in str(run.value)
        checked += 1
    assert checked >= 2


def test_kept_with_the_same_words(tmp_path: Path) -> None:
    whole, starts = frame_boundaries(tmp_path)
    src, out = tmp_path / "src", tmp_path / "out"
    src.mkdir()
    (src / "cut.flac").write_bytes(whole.read_bytes()[: starts[1]])
    run = ["mel", str(src), "-o", str(out), "-j", "1"]
    failed = CliRunner().invoke(cli, run)
    assert failed.exit_code == 1
    assert failed.stderr.rstrip().splitlines()[0].endswith("(its frames end there)")
    kept = CliRunner().invoke(cli, [*run, "--truncated", "keep"])
    assert kept.exit_code == 0, kept.stderr
    assert "(its frames end there); kept what was decoded" in kept.stderr

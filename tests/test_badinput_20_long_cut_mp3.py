"""A long MP3 cut short says what decodes of it, not its header's length.

A file longer than ``stream.STREAM_SECONDS`` is handed from the in-memory path
to the streaming one before any decoding; the check done at that hand-over
said a cut MP3's length as "decoded": ``truncated: decoded 700.00 s, then the
last MPEG frame is cut off`` of a file cut in half (libsndfile's length of an
MP3 is its Xing header's, not what it holds). With ``--truncated keep`` the
hand-over also warned before the streaming path decoded, so the file carried
two warnings, one of them that false length. Now the hand-over says the cut
as ``melcli info`` does, and with ``keep`` leaves it to the decoding.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import warnings
from pathlib import Path

import pytest
from click.testing import CliRunner

from melcli import MelParams, audio, stream
from melcli.cli import cli

pytestmark = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="no ffmpeg")


@pytest.fixture
def cut_mp3(tmp_path: Path) -> Path:
    whole = tmp_path / "whole.mp3"
    cmd = ["ffmpeg", "-nostdin", "-v", "error", "-f", "lavfi", "-i", "sine=d=4"]
    subprocess.run([*cmd, "-c:a", "libmp3lame", "-b:a", "64k", str(whole)], check=True)
    data = whole.read_bytes()
    path = tmp_path / "cut.mp3"
    path.write_bytes(data[: len(data) // 2 + 7])
    return path


def test_hand_over_says_no_false_length(cut_mp3: Path) -> None:
    with pytest.raises(audio.AudioError) as said:
        audio.probe(cut_mp3)
    with pytest.raises(audio.AudioError) as run:
        audio.load(cut_mp3, MelParams().validate(), max_seconds=1.0)
    assert (
        str(run.value)
        == str(said.value)
        == ("truncated: the last MPEG frame is cut off")
    )


def test_hand_over_with_keep_warns_nothing(cut_mp3: Path) -> None:
    params = MelParams(truncated="keep").validate()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert audio.load(cut_mp3, params, max_seconds=1.0) is None
    assert [str(w.message) for w in caught] == []


@pytest.mark.parametrize("keep", [False, True])
def test_streamed_run(
    cut_mp3: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, keep: bool
) -> None:
    monkeypatch.setattr(stream, "STREAM_SECONDS", 1.0)
    out = tmp_path / "out"
    args = ["mel", str(cut_mp3), "-o", str(out), "-j", "1"]
    result = CliRunner().invoke(cli, args + ["--truncated", "keep"] * keep)
    (entry,) = map(json.loads, (out / "manifest.jsonl").read_text().splitlines())
    if not keep:
        assert result.exit_code == 1
        assert entry["error"] == "truncated: the last MPEG frame is cut off"
        return
    assert result.exit_code == 0, result.stderr
    (warning,) = entry["warnings"]
    words = warning.split()  # truncated: decoded 1.99 s of 4.00 s; kept ...
    decoded, total = float(words[2]), float(words[5])
    assert decoded < 0.6 * total
    assert abs(entry["duration"] - decoded) < 0.01

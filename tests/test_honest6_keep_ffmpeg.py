"""``--truncated keep`` keeps what ffmpeg decoded before a cut, as it does for
what libsndfile decodes; a cut that leaves nothing decodable says none is kept."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import ffmpeg_tone

from melcli.cli import cli

pytestmark = pytest.mark.skipif(
    shutil.which("ffmpeg") is None or shutil.which("ffprobe") is None,
    reason="ffmpeg is not installed (make tools installs it)",
)


def cut_in_half(path: Path, *options: str) -> None:
    """Three seconds of a tone, encoded by ffmpeg with ``options``, then cut."""
    data = ffmpeg_tone(path, *options)
    path.write_bytes(data[: len(data) // 2])


def flac_of_unknown_length(path: Path) -> None:
    """A FLAC written to a pipe (no length in its header), cut mid-frame."""
    data = subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-f", "lavfi", "-i",
         "anoisesrc=duration=3:seed=1", "-ar", "22050", "-f", "flac", "-"],
        check=True, capture_output=True,
    ).stdout  # fmt: skip
    path.write_bytes(data[: len(data) // 2 + 7])


@pytest.mark.parametrize(
    ("name", "make", "said"),
    [
        (
            "fast.m4a",
            lambda p: cut_in_half(p, "-c:a", "aac", "-movflags", "+faststart"),
            r"corrupt or truncated: decoding stopped at (1\.\d\d) s of 3\.00 s "
            r"\(ffmpeg: .+\)",
        ),
        (
            "bare.aac",
            lambda p: cut_in_half(p, "-c:a", "aac", "-f", "adts"),
            r"corrupt or truncated: decoding stopped at (1\.\d\d) s \(ffmpeg: .+\)",
        ),
        (
            "piped.flac",
            flac_of_unknown_length,
            r"corrupt or truncated: decoding stopped at (1\.\d\d) s \(ffmpeg: .+\)",
        ),
    ],
)
def test_keep_writes_what_ffmpeg_decoded(tmp_path: Path, name, make, said) -> None:
    src = tmp_path / name
    make(src)
    out = tmp_path / "out"

    result = CliRunner().invoke(
        cli, ["mel", str(src), "-o", str(out), "--truncated", "keep"]
    )

    assert result.exit_code == 0, result.stderr
    line = result.stderr.splitlines()[0]
    assert line.startswith(f"warning: {src}: "), line
    message = line.split(": ", 2)[2]
    match = re.fullmatch(said + "; kept what was decoded", message)
    assert match, line
    kept = float(match.group(1))
    S_db = np.load(out / (src.stem + ".npy"))
    # The frames held are those of the audio kept (hop 512 at 22050 Hz).
    assert S_db.shape[1] == pytest.approx(1 + kept * 22050 / 512, abs=2)
    entry = json.loads((out / "manifest.jsonl").read_text().splitlines()[0])
    assert entry["duration"] == pytest.approx(kept, abs=0.01)
    assert entry["warnings"] == [message]


def test_keep_says_when_nothing_decodes(tmp_path: Path) -> None:
    """An MP4 cut before its index holds no audio ffmpeg can find."""
    src = tmp_path / "plain.m4a"
    cut_in_half(src, "-c:a", "aac")

    result = CliRunner().invoke(
        cli, ["mel", str(src), "-o", str(tmp_path / "out"), "--truncated", "keep"]
    )

    assert result.exit_code == 1
    assert re.fullmatch(
        rf"error: {re.escape(str(src))}: corrupt or truncated: ffprobe cannot read"
        r" it \(moov atom not found; .+\); no audio decodes, so none is kept",
        result.stderr.splitlines()[0],
    ), result.stderr

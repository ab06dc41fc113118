"""A chained Ogg file whose links share a serial number is not its first link.

Only a last page of another serial number than the first page's marked a
chained file: a file joined to a copy of itself (``cat a.ogg a.ogg``), or
links from a writer that reuses its serial number, were decoded by
libsndfile as their first link, and written as that without a word;
``melcli info`` showed the first link's length for every chained file. A page
that begins a stream after the first link's audio now marks a chain too, and
``info`` counts the length as decoded. ffmpeg's raw output no longer fails a
chain of links whose time stamps start again ("non monotonically increasing
dts", as ffmpeg's own Vorbis links do).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from click.testing import CliRunner

from melcli import MelParams, audio, containers
from melcli.cli import cli

SR = 16000
PARAMS = MelParams(sr=None).validate()
pytestmark = pytest.mark.skipif(
    shutil.which("ffmpeg") is None or shutil.which("ffprobe") is None,
    reason="ffmpeg is not installed (make tools installs it)",
)


def tone(seconds: float, freq: float) -> np.ndarray:
    t = np.arange(int(seconds * SR)) / SR
    return (0.3 * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def vorbis(path: Path, seconds: float, freq: float) -> bytes:
    sf.write(path, tone(seconds, freq), SR, format="OGG", subtype="VORBIS")
    return path.read_bytes()


def test_a_file_joined_to_itself_is_decoded_whole(tmp_path: Path) -> None:
    one = vorbis(tmp_path / "one.ogg", 1.0, 440)
    path = tmp_path / "twice.ogg"
    path.write_bytes(one + one)  # both links of one serial number
    assert containers.ogg_chained(path)
    assert not containers.ogg_chained(tmp_path / "one.ogg")
    y = audio.load(path, PARAMS).y
    assert abs(len(y) - 2 * SR) < 1024, len(y)  # within a Vorbis block per link
    assert np.abs(y[-SR // 2 :]).max() > 0.2  # the second link's tone is there


def test_info_gives_the_length_of_every_link(tmp_path: Path) -> None:
    one = vorbis(tmp_path / "one.ogg", 1.0, 440)
    two = vorbis(tmp_path / "two.ogg", 2.0, 880)
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "same.ogg").write_bytes(one + one)
    (tmp_path / "in" / "other.ogg").write_bytes(one + two)
    result = CliRunner().invoke(cli, ["info", "--json", str(tmp_path / "in")])
    assert result.exit_code == 0, result.output
    rows = {
        Path(r["path"]).name: r for r in map(json.loads, result.stdout.splitlines())
    }
    assert abs(rows["same.ogg"]["frames"] - 2 * SR) < 1024, rows
    assert abs(rows["other.ogg"]["frames"] - 3 * SR) < 1024, rows


def test_links_encoded_by_ffmpeg_are_decoded(tmp_path: Path) -> None:
    links = []
    for i, (seconds, freq) in enumerate([(2.0, 440), (1.0, 880)]):
        wav, ogg = tmp_path / f"{i}.wav", tmp_path / f"{i}.ogg"
        # This tone's first link ends with a short block, which the second
        # link's first packet's time stamp repeats (libvorbis in ffmpeg 5.1).
        sf.write(wav, tone(seconds, freq) / 0.3 * 0.5, SR)
        run = [shutil.which("ffmpeg") or "ffmpeg", "-v", "error", "-i", str(wav)]
        done = subprocess.run([*run, "-c:a", "libvorbis", str(ogg)], check=False)
        if done.returncode != 0:
            pytest.skip("this ffmpeg has no libvorbis encoder")
        links.append(ogg.read_bytes())
    path = tmp_path / "chained.ogg"
    path.write_bytes(b"".join(links))
    y = audio.load(path, PARAMS).y
    assert abs(len(y) - 3 * SR) < 1024, len(y)


def test_an_opus_file_joined_to_itself_is_not_written_as_its_first_link(
    tmp_path: Path,
) -> None:
    path = tmp_path / "one.opus"
    sf.write(path, tone(1.0, 440), SR, format="OGG", subtype="OPUS")
    one = path.read_bytes()
    single = audio.load(path, PARAMS)
    path.write_bytes(one + one)
    # ffmpeg took the second link's header for a damaged packet (the file
    # failed at 1.0 s); each link is now decoded on its own (session 22),
    # and the file is both, where libsndfile wrote its first link as the whole.
    wave = audio.load(path, PARAMS)  # through ffmpeg: at 48 kHz
    assert len(wave.y) / wave.sr == 2 * len(single.y) / single.sr
    assert np.abs(wave.y).max() < 0.4  # no noise where the second link begins

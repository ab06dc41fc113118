"""MP3 bytes lost to zeros (at its start, inside, at its end) are said so.

A download or copy written into a file made at its full size, that never
got some of its bytes, holds zeros there. libmpg123 skips zeros as junk
without a word: an MP3 whose first frames were zeroed was written whole (a
shorter stream); one zeroed inside failed in a run as libsndfile's
``unspecified internal error`` while ``melcli info`` listed it, or as its
Xing count; one zeroed to its end without a Xing header was written as a
whole, shorter stream. Each now fails with where the zeros are, in a run
and in ``melcli info`` alike.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import warnings
from pathlib import Path

import pytest
from conftest import invoke, mel

import melcli
from melcli import MelParams, audio

pytestmark = pytest.mark.skipif(shutil.which("lame") is None, reason="no lame")

#: LAME's options: with its Info header (CBR, VBR), and without (-t).
KINDS = {"cbr": ["-b", "128"], "vbr": ["-V", "4"], "bare": ["-t", "-b", "128"]}


@pytest.fixture(scope="module")
def encoded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    root = tmp_path_factory.mktemp("mp3")
    wav = root / "tone.wav"
    subprocess.run(
        ["sox", "-R", "-n", "-r", "44100", "-c", "2", "-b", "16", str(wav),
         "synth", "4", "sine", "440", "sine", "660", "vol", "0.5"],
        check=True,
    )  # fmt: skip
    out = {}
    for kind, options in KINDS.items():
        mp3 = root / f"{kind}.mp3"
        subprocess.run(["lame", "--quiet", *options, str(wav), str(mp3)], check=True)
        out[kind] = mp3.read_bytes()
    return out


def zeroed(data: bytes, where: str) -> bytes:
    size = len(data)
    if where == "start":
        return bytes(4000) + data[4000:]
    if where == "middle":
        return data[: size // 2] + bytes(4000) + data[size // 2 + 4000 :]
    return data[: size * 6 // 10] + bytes(size - size * 6 // 10)


def both(path: Path, tmp_path: Path) -> tuple[str, str]:
    """What ``melcli info`` and ``melcli mel`` say of ``path``, and nothing written."""
    info = invoke("info", path)
    assert info.exit_code == 1
    result = mel(path, tmp_path / "out")
    assert result.exit_code == 1
    assert "0 written, 1 failed" in result.stderr
    assert not list((tmp_path / "out").rglob("*.npy"))
    return info.stderr, result.stderr


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_first_frames_zeroed(
    encoded: dict[str, bytes], tmp_path: Path, kind: str
) -> None:
    path = tmp_path / "lost.mp3"
    data = zeroed(encoded[kind], "start")
    path.write_bytes(data)
    # The encoded bytes after the zeroed ones may begin with zeros of their
    # own: the run is all of them (sox -R: the same bytes in every run).
    end = len(data) - len(data.lstrip(b"\0"))
    assert end >= 4000
    said = f"its bytes 0 to {end}, before its first MPEG frame, are all zeros"
    with pytest.raises(audio.AudioError, match=f"^corrupt: {said}"):
        melcli.probe(path)
    with pytest.raises(audio.AudioError, match=f"^corrupt: {said}"):
        melcli.mel_spectrogram(path)
    for stderr in both(path, tmp_path):
        assert f"lost.mp3: corrupt: {said}: the audio there is lost" in stderr


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_zeros_among_frames(
    encoded: dict[str, bytes], tmp_path: Path, kind: str
) -> None:
    path = tmp_path / "lost.mp3"
    path.write_bytes(zeroed(encoded[kind], "middle"))
    said = r"its bytes \d+ to \d+, among its MPEG frames, are all zeros"
    with pytest.raises(audio.AudioError, match=f"^corrupt: {said}"):
        melcli.probe(path)
    info, run = both(path, tmp_path)
    assert re.search(f"lost.mp3: corrupt: {said}", info), info
    stopped = r"corrupt or truncated: decoding stopped at [\d.]+ s of [\d.]+ s"
    assert re.search(f"lost.mp3: {stopped} \\({said}", run), run


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_zeros_to_the_end(encoded: dict[str, bytes], tmp_path: Path, kind: str) -> None:
    path = tmp_path / "lost.mp3"
    path.write_bytes(zeroed(encoded[kind], "end"))
    said = r"only zeros from byte \d+ to the end \(a file preallocated"
    info, run = both(path, tmp_path)
    assert re.search(f"lost.mp3: truncated: {said}", info), info
    assert re.search(f"lost.mp3: truncated: decoded [\\d.]+ s, then {said}", run), run


def test_kept_with_truncated_keep(encoded: dict[str, bytes], tmp_path: Path) -> None:
    """A file whose start was lost is kept, with a warning that says so."""
    path = tmp_path / "lost.mp3"
    path.write_bytes(zeroed(encoded["bare"], "start"))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        wave = audio.load(path, MelParams(sr=None, truncated="keep").validate())
    assert wave.y.size > 0
    assert any("before its first MPEG frame" in str(w.message) for w in caught)

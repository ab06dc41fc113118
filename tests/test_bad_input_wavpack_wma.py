"""WavPack (``.wv``) and WMA (``.wma``) decode through ffmpeg; a cut one fails.

libsndfile reads neither, and melcli said ``not an audio file (format not
recognised)`` of both, though ffmpeg decodes them. They now go through
ffmpeg as MP4/AAC does, recognised by their content. ffmpeg decodes a file
cut between two WavPack blocks or two ASF packets without a word, as a whole,
shorter one: the WavPack's first block gives the stream's length, the ASF
data object its size, and a file shorter than they say fails as cut.
"""

from __future__ import annotations

import shutil
import struct
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from melcli import MelParams, audio
from melcli.cli import cli
from tests.conftest import ffmpeg_tone

pytestmark = pytest.mark.skipif(
    shutil.which("ffmpeg") is None or shutil.which("ffprobe") is None,
    reason="ffmpeg is not installed (make tools installs it)",
)
PARAMS = MelParams(sr=None).validate()


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    folder = tmp_path_factory.mktemp("made")
    return {
        "wav": ffmpeg_tone(folder / "a.wav"),
        "wv": ffmpeg_tone(folder / "a.wv", "-c:a", "wavpack", "-frame_size", "8192"),
        "wma": ffmpeg_tone(folder / "a.wma", "-c:a", "wmav2"),
    }


def wavpack_blocks(data: bytes) -> list[int]:
    """Where each WavPack block of ``data`` starts."""
    starts, pos = [], 0
    while data[pos : pos + 4] == b"wvpk":
        starts.append(pos)
        pos += 8 + struct.unpack_from("<I", data, pos + 4)[0]
    return starts


def test_wavpack_decodes_as_the_wav_it_was_made_from(
    made: dict[str, bytes], tmp_path: Path
) -> None:
    (tmp_path / "a.wav").write_bytes(made["wav"])
    (tmp_path / "a.wv").write_bytes(made["wv"])
    expected = audio.load(tmp_path / "a.wav", PARAMS).y
    np.testing.assert_array_equal(audio.load(tmp_path / "a.wv", PARAMS).y, expected)
    assert audio.probe(tmp_path / "a.wv").frames == 3 * 22050


def test_wma_decodes_about_as_long_as_its_source(
    made: dict[str, bytes], tmp_path: Path
) -> None:
    (tmp_path / "a.wma").write_bytes(made["wma"])
    y = audio.load(tmp_path / "a.wma", PARAMS).y
    assert abs(y.size - 3 * 22050) < 4096  # a lossy codec's frames
    assert 0.1 < np.abs(y).max() < 0.2  # lavfi sine: 1/8 of full scale


def test_a_wavpack_cut_between_two_blocks_fails_as_cut(
    made: dict[str, bytes], tmp_path: Path
) -> None:
    data = made["wv"]
    starts = wavpack_blocks(data)
    assert len(starts) > 3
    path = tmp_path / "cut.wv"
    path.write_bytes(data[: starts[2]])
    with pytest.raises(
        audio.AudioError, match=r"^truncated: decoded .* whole WavPack block, "
    ):
        audio.load(path, PARAMS)
    path.write_bytes(data[:20])
    with pytest.raises(audio.AudioError, match="inside its first WavPack block"):
        audio.load(path, PARAMS)


def test_a_wma_cut_anywhere_in_its_data_fails(
    made: dict[str, bytes], tmp_path: Path
) -> None:
    data = made["wma"]
    path = tmp_path / "cut.wma"
    header = int.from_bytes(data[16:24], "little")
    for size in range(header + 200, len(data) - 1, len(data) // 23):
        path.write_bytes(data[:size])
        with pytest.raises(audio.AudioError, match="truncated"):
            audio.load(path, PARAMS)
    path.write_bytes(data[:40])
    with pytest.raises(audio.AudioError, match="inside its ASF header object"):
        audio.load(path, PARAMS)


def test_the_command_writes_them_and_says_each_cut_one(
    made: dict[str, bytes], tmp_path: Path
) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.wv").write_bytes(made["wv"])
    (src / "b.wma").write_bytes(made["wma"])
    (src / "c.wv").write_bytes(made["wv"][: wavpack_blocks(made["wv"])[1]])
    (src / "d.wma").write_bytes(made["wma"][: len(made["wma"]) * 2 // 3])
    for jobs in ("1", "2"):
        out = tmp_path / f"out{jobs}"
        result = CliRunner().invoke(
            cli, ["mel", str(src), "-o", str(out), "-j", jobs, "--ext", "wv,wma"]
        )
        assert result.exit_code == 1, result.stderr
        assert "2 written, 2 failed" in result.stderr
        assert "c.wv: truncated: decoded " in result.stderr
        assert "d.wma: " in result.stderr
        assert "Traceback" not in result.stderr
        assert sorted(p.name for p in out.glob("*.npy")) == ["a.npy", "b.npy"]
    result = CliRunner().invoke(cli, ["info", str(src / "a.wv"), str(src / "b.wma")])
    assert result.exit_code == 0, result.stderr
    assert "not an audio file" not in result.stderr


def test_a_wavpack_cut_inside_its_first_block_says_so(
    made: dict[str, bytes], tmp_path: Path
) -> None:
    data = made["wv"]
    path = tmp_path / "cut.wv"
    path.write_bytes(data[: wavpack_blocks(data)[1] - 100])  # ffprobe reads it
    for truncated in ("fail", "keep"):
        params = MelParams(sr=None, truncated=truncated).validate()
        with pytest.raises(
            audio.AudioError,
            match=r"^truncated: decoded 0.00 s, then the file ends inside its first ",
        ):
            audio.load(path, params)

"""``melcli info`` (``melcli.info``, ``melcli.probe``) fails a cut file as a run does.

info read the header alone: a WAV cut in its audio data showed the length
it still held, a cut WMA or ADTS stream the length its header gives, an
Opus file cut inside a page what its last page said, a header without
audio 0 s, and a FLAC cut inside its metadata its whole length, each as a
row with no word of the damage, where ``melcli mel`` fails every one. The
claims a run checks without decoding are checked here too, with a run's
words: the same reason, word for word, for what libsndfile opens.
"""

from __future__ import annotations

import shutil
import struct
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from conftest import ffmpeg_tone, tone

import melcli
from melcli.errors import AudioError
from melcli.report import Status

SR = 22050


def _pcm(fmt: str) -> Callable[[Path], None]:
    def write(path: Path) -> None:
        sf.write(path, tone(seconds=1.0), SR, format=fmt, subtype="PCM_16")

    return write


def _opus(path: Path) -> None:
    sf.write(path, tone(seconds=2.0), 48000, format="OGG", subtype="OPUS")


def _flac(path: Path) -> None:
    """A FLAC with a PADDING block after STREAMINFO, as the flac tool writes."""
    sf.write(path, tone(seconds=1.0), SR, format="FLAC")
    data = path.read_bytes()
    assert not data[4] & 0x80, "more metadata blocks follow STREAMINFO"
    padding = b"\x01" + (4000).to_bytes(3, "big") + bytes(4000)
    path.write_bytes(data[:42] + padding + data[42:])


def _wav_with_list(path: Path) -> None:
    sf.write(path, tone(seconds=1.0), SR, subtype="PCM_16")
    info = b"INFOISFT" + struct.pack("<I", 400) + b"x" * 400
    whole = bytearray(path.read_bytes() + b"LIST" + struct.pack("<I", len(info)) + info)
    whole[4:8] = struct.pack("<I", len(whole) - 8)
    path.write_bytes(bytes(whole))


def _au_header(data: bytes) -> bytes:
    (offset,) = struct.unpack_from(">I", data, 4)
    return data[:offset]


def _flac_metadata(data: bytes) -> bytes:
    return data[:44]  # STREAMINFO whole, the header of the PADDING after it cut


#: How to write a whole file, and how to cut it (None: it has no audio).
CASES: dict[str, tuple[Callable[[Path], None], Callable[[bytes], bytes] | None]] = {
    "in_data.wav": (_pcm("WAV"), lambda d: d[:20_000]),
    "in_data.w64": (_pcm("W64"), lambda d: d[:20_000]),
    "in_data.aiff": (_pcm("AIFF"), lambda d: d[:20_000]),
    "before_data.au": (_pcm("AU"), _au_header),
    "in_page.opus": (_opus, lambda d: d[: len(d) * 3 // 4]),
    "in_list.wav": (_wav_with_list, lambda d: d[:-300]),
    "in_metadata.flac": (_flac, _flac_metadata),
    "header_only.wav": (
        lambda p: sf.write(p, np.zeros(0, np.float32), SR, subtype="PCM_16"),
        None,
    ),
}


def _run_reason(path: Path, out: Path) -> str:
    report = melcli.run([path], out, jobs=1)
    (result,) = report.results
    assert result.status is Status.FAILED, result
    return result.reason


@pytest.mark.parametrize("name", sorted(CASES))
def test_info_fails_a_cut_file_with_the_reason_a_run_gives(
    tmp_path: Path, name: str
) -> None:
    path = tmp_path / name
    write, cut = CASES[name]
    write(path)
    if cut is not None:
        assert melcli.info([path]).failures == []  # whole, it is a row
        path.write_bytes(cut(path.read_bytes()))
    said = _run_reason(path, tmp_path / "out")
    inventory = melcli.info([path])
    assert inventory.rows == []
    assert inventory.failures == [(path, said)]
    with pytest.raises(AudioError) as caught:
        melcli.probe(path)
    assert str(caught.value) == said


needs_ffmpeg = pytest.mark.skipif(
    shutil.which("ffmpeg") is None or shutil.which("ffprobe") is None,
    reason="ffmpeg is not installed",
)


@needs_ffmpeg
@pytest.mark.parametrize(
    ("name", "options", "cut", "said"),
    [
        ("a.aac", ["-c:a", "aac", "-f", "adts"], 0.5, "the last ADTS frame is cut off"),
        (
            "a.wma",
            ["-c:a", "wmav2"],
            0.5,
            "the file ends inside its ASF data object, ",
        ),
        ("b.wma", ["-c:a", "wmav2"], 0.999, "the file ends inside its ASF data object"),
        (
            "a.mka",
            ["-c:a", "libvorbis"],
            0.6,
            "the file ends inside its Matroska segment",
        ),
    ],
)
def test_info_fails_a_cut_file_ffmpeg_decodes(
    tmp_path: Path, name: str, options: list[str], cut: float, said: str
) -> None:
    whole = tmp_path / f"whole{Path(name).suffix}"
    data = ffmpeg_tone(whole, *options)
    assert melcli.info([whole]).failures == []
    path = tmp_path / name
    path.write_bytes(data[: int(len(data) * cut)])
    _run_reason(path, tmp_path / "out")  # fails as cut (in ffmpeg's words)
    inventory = melcli.info([path])
    assert inventory.rows == []
    ((_, reason),) = inventory.failures
    assert reason.startswith(f"truncated: {said}"), reason

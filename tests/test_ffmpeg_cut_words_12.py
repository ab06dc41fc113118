"""A file ffmpeg decodes, cut short, is said cut in its own bytes' words.

An ADTS, MP4, Matroska/WebM, ASF (WMA) or WavPack file cut short is judged
by its frames, boxes, sizes or blocks: ``melcli info`` says how it was cut
from them (``the last ADTS frame is cut off``). A run said the same of one
cut where ffmpeg decodes without a word (between two packets, in its last
bytes), but ``corrupt or truncated: decoding stopped at 0.77 s (ffmpeg:
Input buffer exhausted …)`` of one cut where ffmpeg stops (``-xerror``): one
cut, two sentences, and ``info`` and ``mel`` disagreeing on the same file.
A run now says ``truncated: decoded 0.77 s, then the last ADTS frame is cut
off`` wherever the cut is; damage ffmpeg finds in a whole file keeps
ffmpeg's own words.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from conftest import ffmpeg_tone

from melcli import AudioError, MelParams, audio

pytestmark = [
    pytest.mark.usefixtures("isolated"),
    pytest.mark.skipif(
        shutil.which("ffmpeg") is None or shutil.which("ffprobe") is None,
        reason="ffmpeg is not installed (make tools installs it)",
    ),
]

KINDS = {
    "bare.aac": ("-c:a", "aac", "-f", "adts"),
    "fast.m4a": ("-c:a", "aac", "-movflags", "+faststart"),
    "frag.m4a": ("-c:a", "aac", "-movflags", "frag_keyframe+empty_moov"),
    "flac.mka": ("-c:a", "flac"),
    "opus.webm": ("-c:a", "libopus", "-ar", "48000"),
    "wmav2.wma": ("-c:a", "wmav2"),
    "pack.wv": ("-c:a", "wavpack"),
}


@pytest.mark.parametrize("name", sorted(KINDS))
def test_a_run_says_a_cut_as_info_does_wherever_the_cut_is(
    tmp_path: Path, name: str
) -> None:
    data = ffmpeg_tone(tmp_path / name, *KINDS[name])
    cuts = {len(data) * k // 8 for k in range(2, 8)} | {len(data) - 200}
    said = []
    for size in sorted(cuts):
        path = tmp_path / f"cut{size}{Path(name).suffix}"
        path.write_bytes(data[:size])
        with pytest.raises(AudioError) as by_info:
            audio.probe(path)
        with pytest.raises(AudioError) as by_run:
            audio.load(path, MelParams())
        info, run = str(by_info.value), str(by_run.value)
        assert info.startswith("truncated: "), info
        how = info.removeprefix("truncated: ").removeprefix("decoded 0.00 s, then ")
        assert re.fullmatch(
            rf"truncated: decoded \d+\.\d\d s, then {re.escape(how)}", run
        ), (size, info, run)
        said.append(run)
    assert len(said) == len(cuts)


def test_damage_inside_a_whole_stream_keeps_ffmpeg_s_words(tmp_path: Path) -> None:
    data = bytearray(ffmpeg_tone(tmp_path / "whole.aac", *KINDS["bare.aac"]))
    middle = len(data) // 2
    data[middle : middle + 64] = bytes(range(64))  # no frame header in it
    path = tmp_path / "damaged.aac"
    path.write_bytes(bytes(data))
    with pytest.raises(AudioError) as failed:
        audio.load(path, MelParams())
    # Said plainly, then ffmpeg's own words, without the decoder's address.
    assert re.match(
        r"corrupt or truncated: decoding stopped at \d+\.\d\d s \(ffmpeg: (?!\[)"
        r"(?!.*0x[0-9a-f]{6})",
        str(failed.value),
    ), failed.value

"""A file cut inside its header, or its audio data chunk's header, fails as cut.

libsndfile opens such a W64, RF64, IFF 8SVX/16SV, AVR, Psion WVE, AU, NIST
SPHERE or MIDI Sample Dump with 0 frames (it said "no audio samples (0
frames)", as if the file announced none), or calls it bad. Every cut from the
end of the format's magic to the first audio byte is tried; a cut on a chunk's
boundary (every chunk whole, none of them audio) keeps libsndfile's reason, as
for WAV and AIFF (docs/bad-input.md).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from melcli import MelParams, audio

SR = 8000
FAIL = MelParams(sr=None).validate()
KEEP = MelParams(sr=None, truncated="keep").validate()
CUT = re.compile(r"^truncated: decoded 0\.00 s(, then the file ends| of )")


def first_audio_byte(data: bytes, fmt: str) -> int:
    """Where the audio data starts, found from the file's own bytes."""
    if fmt == "W64":
        return data.index(b"data") + 24
    if fmt in ("RF64", "WAV"):
        return data.index(b"data") + 8
    if fmt == "SVX":
        return data.index(b"BODY") + 8
    if fmt == "AU":
        return int.from_bytes(data[4:8], "big")
    if fmt == "NIST":
        return int(data.split(b"\n")[1])
    return {"AVR": 128, "WVE": 32, "SDS": 21}[fmt]


#: The format, the bytes that make libsndfile take a file for it, and the
#: offsets of chunk boundaries before the audio (libsndfile's reason stands).
FORMATS = {
    "W64": ("PCM_16", 40),
    "RF64": ("PCM_16", 12),
    "SVX": ("PCM_16", 12),
    "AVR": ("PCM_16", 4),
    "WVE": ("ALAW", 15),
    "AU": ("PCM_16", 4),
    "NIST": ("PCM_16", 8),
    "SDS": ("PCM_16", 4),
}


def chunk_boundaries(data: bytes, fmt: str, end: int) -> set[int]:
    """Offsets before ``end`` at which a chunk ends (RIFF-like formats)."""
    if fmt == "W64":
        at, found = 40, set()
        while at < end:
            found.add(at)
            size = int.from_bytes(data[at + 16 : at + 24], "little")
            at += (size + 7) & ~7
        return found
    if fmt in ("RF64", "SVX"):
        order = "little" if fmt == "RF64" else "big"
        at, found = 12, set()
        while at < end:
            found.add(at)
            size = int.from_bytes(data[at + 4 : at + 8], order)
            at += 8 + size + (size & 1)
        return found
    return set()


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_a_cut_inside_a_header_fails_as_cut_never_as_no_samples(
    fmt: str, tmp_path: Path
) -> None:
    subtype, magic = FORMATS[fmt]
    whole = tmp_path / f"whole.{fmt.lower()}"
    y = (0.3 * np.sin(2 * np.pi * 440 * np.arange(SR) / SR)).astype(np.float32)
    sf.write(whole, y, SR, format=fmt, subtype=subtype)
    data = whole.read_bytes()
    start = first_audio_byte(data, fmt)
    boundaries = chunk_boundaries(data, fmt, start)
    wrong = []
    for at in range(magic, start + 1):
        cut = tmp_path / f"cut{at}.{fmt.lower()}"
        cut.write_bytes(data[:at])
        for params in (FAIL, KEEP):
            try:
                audio.load(cut, params)
            except audio.AudioError as exc:
                reason = str(exc)
            else:
                reason = "written"
            # On a chunk's boundary libsndfile's reason stands: not written.
            ok = reason != "written" if at in boundaries else bool(CUT.search(reason))
            if not ok:
                wrong.append((at, params.truncated, reason))
    assert not wrong, wrong[:5]


def test_a_header_cut_is_said_by_name(tmp_path: Path) -> None:
    y = np.zeros(SR, np.float32)
    sf.write(tmp_path / "a.w64", y, SR, format="W64", subtype="PCM_16")
    data = (tmp_path / "a.w64").read_bytes()
    (tmp_path / "cut.w64").write_bytes(data[: first_audio_byte(data, "W64") - 3])
    with pytest.raises(audio.AudioError) as failed:
        audio.load(tmp_path / "cut.w64", FAIL)
    assert str(failed.value) == (
        "truncated: decoded 0.00 s, then the file ends inside a chunk header, "
        "before its audio data"
    )
    sf.write(tmp_path / "a.wve", y, SR, format="WVE", subtype="ALAW")
    (tmp_path / "cut.wve").write_bytes((tmp_path / "a.wve").read_bytes()[:20])
    with pytest.raises(audio.AudioError) as failed:
        audio.load(tmp_path / "cut.wve", FAIL)
    assert str(failed.value) == (
        "truncated: decoded 0.00 s, then the file ends inside its Psion WVE header"
    )


def test_short_files_that_only_start_like_a_format_are_not_called_cut(
    tmp_path: Path,
) -> None:
    for name, data in {
        "dot.au": b".s",
        "two.avr": b"2B",
        "sysex.sds": b"\xf0\x7e\x00\x02" + bytes(20),
    }.items():
        (tmp_path / name).write_bytes(data)
        with pytest.raises(audio.AudioError) as failed:
            audio.load(tmp_path / name, FAIL)
        assert not str(failed.value).startswith("truncated"), (name, failed.value)

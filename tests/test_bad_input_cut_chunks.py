"""A CAF, WAV or AIFF cut before libsndfile can open it is said as cut.

libsndfile refuses a CAF cut anywhere but in its last few percent as
``supported file format but file is malformed``, and a WAV or AIFF cut
before its audio data (inside a large ``LIST``/``bext``/``iXML`` chunk, or
its ``fmt``) as ``No 'data' chunk marker``, ``channel count is zero`` and the
like. The chunk sizes in the file's own header tell the cut: it fails as
any cut file does, ``truncated: decoded 0.00 s, then the file ends inside
its 'LIST' chunk, before its audio data``, also in ``melcli info``. A file
whose chunks are whole keeps libsndfile's own reason.
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from click.testing import CliRunner

from melcli import MelParams, audio
from melcli.cli import cli

SR = 8000
FAIL = MelParams(sr=None).validate()
KEEP = MelParams(sr=None, truncated="keep").validate()
CUT = r"^truncated: decoded \d+\.\d\d s(, then | of )"


def tone(seconds: float = 2.0) -> np.ndarray:
    t = np.arange(int(seconds * SR)) / SR
    return (0.3 * np.sin(2 * np.pi * 440 * t)).astype("f4")


def fails_as_cut(path: Path, said: str = CUT) -> None:
    for params in (FAIL, KEEP):
        with pytest.raises(audio.AudioError, match=said):
            audio.load(path, params)


@pytest.mark.parametrize("subtype", ["PCM_16", "FLOAT", "ULAW", "ALAC_16"])
def test_a_caf_cut_anywhere_fails_as_cut(tmp_path: Path, subtype: str) -> None:
    whole = tmp_path / "whole.caf"
    sf.write(whole, tone(), SR, format="CAF", subtype=subtype)
    data = whole.read_bytes()
    path = tmp_path / "cut.caf"
    for fraction in (0.01, 0.1, 0.3, 0.6):
        path.write_bytes(data[: int(len(data) * fraction)])
        fails_as_cut(path)
        if fraction == 0.3:  # inside the audio: the bytes held and claimed
            with pytest.raises(audio.AudioError, match=CUT + "the file ends"):
                audio.probe(path)


def wav_with_list_chunk(path: Path, list_bytes: int) -> bytes:
    """A 16-bit WAV with a ``LIST`` chunk of ``list_bytes`` before its data."""
    pcm = (tone() * 32767).astype("<i2").tobytes()
    fmt = struct.pack("<HHIIHH", 1, 1, SR, 2 * SR, 2, 16)
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt
    body += b"LIST" + struct.pack("<I", list_bytes) + b"INFO" + bytes(list_bytes - 4)
    body += b"data" + struct.pack("<I", len(pcm)) + pcm
    data = b"RIFF" + struct.pack("<I", len(body)) + body
    path.write_bytes(data)
    return data


def test_a_wav_cut_inside_a_chunk_before_its_data_fails_as_cut(
    tmp_path: Path,
) -> None:
    whole = tmp_path / "whole.wav"
    data = wav_with_list_chunk(whole, 8000)
    assert audio.load(whole, FAIL).y.shape == (2 * SR,)
    path = tmp_path / "cut.wav"
    path.write_bytes(data[:5000])
    said = CUT + "the file ends inside its 'LIST' chunk, before its audio data$"
    fails_as_cut(path, said)
    path.write_bytes(data[:30])  # inside the fmt chunk
    fails_as_cut(path, CUT + "the file ends inside its 'fmt ' chunk")
    result = CliRunner().invoke(
        cli, ["mel", str(path), "-o", str(tmp_path / "out"), "-j", "1"]
    )
    assert result.exit_code == 1
    assert "cut.wav: truncated: decoded 0.00 s, then the file ends" in result.stderr
    assert not (tmp_path / "out" / "cut.npy").exists()


def test_an_aiff_cut_inside_its_comm_chunk_fails_as_cut(tmp_path: Path) -> None:
    whole = tmp_path / "whole.aiff"
    sf.write(whole, tone(), SR, format="AIFF", subtype="PCM_16")
    path = tmp_path / "cut.aiff"
    path.write_bytes(whole.read_bytes()[:30])
    fails_as_cut(path, CUT + "the file ends inside its 'COMM' chunk")


def test_a_whole_file_libsndfile_refuses_keeps_its_reason(tmp_path: Path) -> None:
    path = tmp_path / "odd_codec.wav"
    data = bytearray(wav_with_list_chunk(path, 100))
    data[20:22] = struct.pack("<H", 0x1234)  # a format tag nobody knows
    path.write_bytes(bytes(data))
    with pytest.raises(audio.AudioError) as failed:
        audio.load(path, FAIL)
    assert not str(failed.value).startswith("truncated"), str(failed.value)


def test_a_file_of_whole_chunks_and_no_audio_data_keeps_libsndfiles_reason(
    tmp_path: Path,
) -> None:
    # A WAV of 'fmt ' and 'LIST' only, and an AIFF whose COMM says 0 frames
    # with no SSND chunk (the AIFF spec allows it): no chunk is cut, so the
    # file is not said to be (one cut on a chunk's end looks the same).
    fmt = struct.pack("<HHIIHH", 1, 1, SR, 2 * SR, 2, 16)
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt
    body += b"LIST" + struct.pack("<I", 12) + b"INFO" + bytes(8)
    wav = tmp_path / "no_data.wav"
    wav.write_bytes(b"RIFF" + struct.pack("<I", len(body)) + body)
    rate = b"\x40\x0b\xfa\x00" + bytes(6)  # 8000.0 as an 80-bit float
    comm = struct.pack(">hIh", 1, 0, 16) + rate
    body = b"AIFF" + b"COMM" + struct.pack(">I", len(comm)) + comm
    aiff = tmp_path / "empty.aiff"
    aiff.write_bytes(b"FORM" + struct.pack(">I", len(body)) + body)
    for path in (wav, aiff):
        with pytest.raises(audio.AudioError) as failed:
            audio.load(path, FAIL)
        assert not str(failed.value).startswith("truncated"), str(failed.value)

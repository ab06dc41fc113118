"""Files passed over by extension that melcli could decode: say the ``--ext``.

A folder of ``.mp4`` clips (VGGSound ships them so) gave ``0 written, 3
skipped.`` and exit 0, and ``info`` only ``no audio files found``: the
newcomer had to guess ``-v``, then ``--ext``. One line now names the
extensions and the ``--ext`` that takes them, keeping the extensions of the
files taken (``--ext`` replaces the default list). Not said when ``--ext`` was
given: the user chose.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import soundfile as sf
from conftest import invoke, mel, tone

from melcli.discover import DEFAULT_EXTENSIONS
from melcli.hints import DECODABLE_NOT_DEFAULT, extension_hint

needs_ffmpeg = pytest.mark.skipif(
    shutil.which("ffmpeg") is None, reason="ffmpeg is not installed (make tools)"
)


def mp4(path: Path) -> None:
    subprocess.run(
        [
            "ffmpeg", "-loglevel", "error", "-f", "lavfi",
            "-i", "sine=frequency=440:duration=0.3", "-c:a", "aac", str(path),
        ],
        check=True,
    )  # fmt: skip


def hint(n: int, found: str, them: str, ext: str) -> str:
    files = "1 file" if n == 1 else f"{n} files"
    its = "its" if n == 1 else "their"
    return (
        f"warning: {files} passed over by {its} extension ({found}) may hold "
        f"audio, which melcli decodes: to take {them}, give --ext {ext}"
    )


@needs_ffmpeg
def test_a_folder_of_mp4_clips_is_told_the_ext_and_it_works(tmp_path: Path) -> None:
    src = tmp_path / "clips"
    src.mkdir()
    for k in range(3):
        mp4(src / f"{k}.mp4")
    (src / "README.txt").write_text("not audio")
    out = tmp_path / "out"
    result = mel(src, out)
    assert result.exit_code == 0
    line = hint(3, "mp4", "them", "mp4")
    assert result.stderr.splitlines() == [line, "0 written, 4 skipped."]
    info = invoke("info", src)
    assert info.stderr.splitlines() == [line]  # as the run says it
    # What it says works.
    taken = mel(src, out, "--ext", "mp4")
    assert taken.exit_code == 0
    assert taken.stderr.splitlines() == ["3 written, 1 skipped."]


def test_the_ext_keeps_what_was_taken(tmp_path: Path) -> None:
    src = tmp_path / "audio"
    src.mkdir()
    sf.write(src / "a.wav", tone(sr=8000, seconds=0.2), 8000)
    sf.write(src / "b.FLAC", tone(sr=8000, seconds=0.2), 8000)
    for name in ("c.webm", "d.MKV", "e.mkv", "notes.txt"):
        (src / name).write_bytes(b"")  # by name only: nothing is read
    result = mel(src, tmp_path / "out")
    assert result.stderr.splitlines()[-2] == hint(
        3, "mkv, webm", "them too", "flac,mkv,wav,webm"
    )
    info = invoke("info", src)
    assert info.stderr.splitlines() == [
        hint(3, "mkv, webm", "them too", "flac,mkv,wav,webm")
    ]


def test_one_file_and_no_hint_with_ext_or_quiet(tmp_path: Path) -> None:
    src = tmp_path / "audio"
    src.mkdir()
    sf.write(src / "a.wav", tone(sr=8000, seconds=0.2), 8000)
    (src / "talk.m4b").write_bytes(b"")
    out = tmp_path / "out"
    assert mel(src, out).stderr.splitlines()[0] == hint(1, "m4b", "it too", "m4b,wav")
    for options in (("--ext", "wav"), ("-q",)):
        result = mel(src, out, *options)
        assert "warning" not in result.stderr
    assert "warning" not in invoke("info", src, "--ext", "wav").stderr


def test_other_extensions_passed_over_say_nothing(tmp_path: Path) -> None:
    src = tmp_path / "audio"
    src.mkdir()
    sf.write(src / "a.wav", tone(sr=8000, seconds=0.2), 8000)
    for name in ("meta.csv", "a.npy", "b.json", "c.mid"):
        (src / name).write_bytes(b"")
    result = mel(src, tmp_path / "out")
    assert result.stderr.splitlines() == ["1 written, 4 skipped."]


def test_the_decodable_extensions_are_not_default_ones() -> None:
    assert not DECODABLE_NOT_DEFAULT & DEFAULT_EXTENSIONS


def test_only_extensions_a_walk_takes_are_kept() -> None:
    # A file listed or named directly is taken whatever its extension: --ext
    # need not name it (and "it's" would break the command pasted).
    hint = extension_hint(
        [Path("a/v.mp4")], [Path("a/x.wav"), Path("listed/y.it's"), Path("z")]
    )
    assert hint == (
        "1 file passed over by its extension (mp4) may hold audio, which melcli "
        "decodes: to take it too, give --ext mp4,wav"
    )

"""What the command says: warnings shown for a few files then counted, usage
errors for absurd values, one line for a full disk.
"""

from __future__ import annotations

import errno
import json
import os
import re
from pathlib import Path

import pytest
import soundfile as sf
from conftest import invoke, tone

pytestmark = pytest.mark.usefixtures("isolated")


# -----------------------------------------------------------------------------
# The command as the redteam3 trial ran it.
#
# - a short file with the defaults warns ``n_fft=2048 is too large...`` (as
#   librosa does): one line per file, so 100 000 lines for a dataset of short
#   clips. Now a kind of warning (its words, whatever the numbers) is shown for
#   three files and the rest are counted in one line; ``-v`` shows each, and
#   the report and the manifest keep every file's warnings;
# - ``--clip-duration 1e12`` (or ``--segment 1e12``) failed every file with
#   ``MemoryError: Unable to allocate 78.3 PiB``; now a usage error (with
#   ``--sr native``, each file fails saying so before anything is allocated);
# - ``melcli gallery`` on a full disk ended in a traceback (``OSError: [Errno
#   28]`` from a picture being saved); now one line and exit status 1.


NFFT = "n_fft=2048 is too large for input signal of length="


@pytest.fixture
def short_clips(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    src.mkdir()
    for k in range(6):  # 0.05 s and up: fewer samples than n_fft=2048
        sf.write(src / f"{k}.wav", tone(440.0, sr=22050, seconds=0.05 + k / 200), 22050)
    return src


def test_a_warning_many_files_share_is_shown_for_three_then_counted(
    short_clips: Path, tmp_path: Path
) -> None:
    result = invoke("mel", short_clips, "-o", tmp_path / "out")
    assert result.exit_code == 0
    src = re.escape(str(short_clips))
    lines = result.stderr.splitlines()
    shown = [line for line in lines if NFFT in line and "more files" not in line]
    assert len(shown) == 3  # in the order the files finish
    assert all(re.fullmatch(rf"warning: {src}/[0-5]\.wav: {NFFT}\d+", x) for x in shown)
    folded = [line for line in lines if "more files" in line]
    assert len(folded) == 1
    assert re.fullmatch(
        rf"warning: 3 more files warned the same way \(such as: {NFFT}\d+\); "
        r"-v lists each, and the manifest records every file's warnings",
        folded[0],
    )
    manifest = [
        json.loads(line)
        for line in (tmp_path / "out/manifest.jsonl").read_text().split("\n")
        if line
    ]
    assert sum(NFFT in w for e in manifest for w in e["warnings"]) == 6


def test_verbose_shows_every_files_warning(short_clips: Path, tmp_path: Path) -> None:
    result = invoke("mel", short_clips, "-o", tmp_path / "out", "-v")
    assert result.stderr.count(NFFT) == 6
    assert "more files" not in result.stderr


def test_warnings_of_other_kinds_are_counted_apart(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    for k in range(5):
        sf.write(src / f"s{k}.wav", tone(440.0, sr=22050, seconds=0.05), 22050)
        sf.write(src / f"z{k}.wav", tone(440.0, sr=22050, seconds=1.0) * 0, 22050)
    result = invoke("mel", src, "-o", tmp_path / "out")
    folded = [line for line in result.stderr.splitlines() if "more files" in line]
    assert len(folded) == 2
    assert all(
        line.startswith("warning: 2 more files warned the same way") for line in folded
    )
    assert result.stderr.count("digital silence") == 4  # three files and the count


@pytest.mark.parametrize("option", ["--clip-duration", "--segment"])
def test_a_clip_of_petabytes_is_a_usage_error(
    short_clips: Path, tmp_path: Path, option: str
) -> None:
    result = invoke("mel", short_clips, "-o", tmp_path / "out", option, "1e12")
    assert result.exit_code == 2
    assert (
        f"{option} 1000000000000 s is more than 2147483648 "
        "samples at 22050 Hz (at most 97392 s)"
    ) in result.stderr
    assert "MemoryError" not in result.stderr


def test_a_clip_of_petabytes_at_the_files_own_rate_fails_each_file(
    short_clips: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    result = invoke(
        "mel", short_clips / "0.wav", "-o", out, "--clip-duration", "1e12",
        "--sr", "native", "-j", "1",
    )  # fmt: skip
    assert result.exit_code == 1
    assert "is more than 2147483648 samples at 22050 Hz" in result.stderr
    assert "MemoryError" not in result.stderr


def test_a_file_counts_once_per_kind_of_warning() -> None:
    from melcli.cli.console import FoldedWarnings

    folded = FoldedWarnings(shown=1)
    notes = ["decoder note at 1.5 s", "decoder note at 2.5 s"]
    assert folded.shown_of(notes) == notes  # the first file: all of its notes
    assert folded.shown_of(notes) == []
    assert folded.shown_of(["decoder note at 9 s"]) == []
    assert folded.lines() == [
        "2 more files warned the same way (such as: decoder note at 1.5 s); -v "
        "lists each, and the manifest records every file's warnings"
    ]


def test_the_folded_line_quotes_a_file_it_folds_not_one_shown() -> None:
    from melcli.cli.console import FoldedWarnings

    folded = FoldedWarnings(shown=1)
    assert folded.shown_of(["decoder note at 1.5 s"]) == ["decoder note at 1.5 s"]
    assert folded.shown_of(["decoder note at 7 s", "decoder note at 8 s"]) == []
    assert folded.shown_of(["decoder note at 9 s"]) == []
    assert folded.lines() == [
        "2 more files warned the same way (such as: decoder note at 7 s); -v "
        "lists each, and the manifest records every file's warnings"
    ]


def test_the_gallery_on_a_full_disk_is_one_line(
    short_clips: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from melcli import gallery

    out = tmp_path / "out"
    assert invoke("mel", short_clips, "-o", out, "-q").exit_code == 0

    def full(path: object, write: object) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(gallery, "atomic_write", full)
    result = invoke("gallery", out, "-j", "1")  # no traceback (invoke checks)
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: cannot write {out / 'gallery'}: no space left on device\n"
    )

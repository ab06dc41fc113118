"""``melcli info -v``: every unreadable file named, every path passed over told.

Without it, a failure one cause explains (a decoder that is not installed) is
shown for three files, then counted, and the count says how to see the rest;
``info`` had no way to see them. ``-v`` lists them all, and the paths passed
over with why, as ``melcli mel -v`` does.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import invoke
from test_missing_decoder_folded import NEEDS, N, m4a_clips, pytestmark  # noqa: F401


def clips_without_ffmpeg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``m4a_clips``, then a PATH without ffmpeg."""
    src = m4a_clips(tmp_path / "audio")
    nobin = tmp_path / "nobin"
    nobin.mkdir()
    monkeypatch.setenv("PATH", str(nobin))
    return src


def test_the_count_of_folded_failures_says_how_to_see_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = clips_without_ffmpeg(tmp_path, monkeypatch)
    result = invoke("info", src)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == (
        f"error: {N - 3} more files failed the same way (such as: {NEEDS}); "
        "-v lists each"
    )


@pytest.mark.parametrize("flag", ["-v", "--verbose"])
def test_verbose_lists_every_unreadable_file_and_what_was_passed_over(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, flag: str
) -> None:
    src = clips_without_ffmpeg(tmp_path, monkeypatch)
    (src / "notes.txt").write_text("recorded in a hurry")
    for args in [(src, flag), (src, flag, "--summary"), (src, flag, "--json")]:
        result = invoke("info", *args)
        assert result.exit_code == 1
        lines = result.stderr.splitlines()
        assert lines == [
            f"skipped {src / 'notes.txt'}: not an audio extension",
            *(f"error: {src / f'{k}.m4a'}: {NEEDS}" for k in range(N)),
            f"error: {src / 'junk.wav'}: not an audio file (format not recognised)",
        ]


def test_without_verbose_nothing_passed_over_is_listed(tmp_path: Path) -> None:
    src = tmp_path / "audio"
    src.mkdir()
    (src / "notes.txt").write_text("recorded in a hurry")
    result = invoke("info", src)
    assert result.exit_code == 0
    assert result.stderr == (
        "warning: no audio files found: 1 file passed over for its extension "
        "(txt); -v lists each, --ext chooses the extensions\n"
    )

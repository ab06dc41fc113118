"""OUT inside SRC, where the user keeps audio: its audio is not taken, and said so.

``melcli mel audio -o audio/speech`` with ``audio/speech`` a folder of clips:
OUT is never walked as input, so those clips were passed over, and only ``-v``
said ``skipped audio/speech: output folder``; the summary counted one path
skipped. A newcomer is now told in one line, without ``-v``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import mel, short_tones

from melcli import hints


def hint(out: Path, count: str, example: Path, more: str = "") -> str:
    return (
        f"warning: {out} holds {count} ({example}{more}), not taken: it is OUT, "
        "which is never read as input; give -o a folder of its own"
    )


def test_audio_in_out_is_said_to_be_left_out(tmp_path: Path) -> None:
    src = short_tones(tmp_path / "audio", 2)
    out = short_tones(src / "speech", 3)  # 0.wav 1.wav 2.wav, and below
    short_tones(out / "deep", 1)
    short_tones(out / ".hidden", 1)  # passed over by any walk: not counted
    (out / "notes.txt").write_text("not audio")
    result = mel(src, out)
    assert result.exit_code == 0
    assert result.stderr.splitlines() == [
        hint(out, "4 audio files", out / "0.wav", ", ..."),
        "2 written, 1 skipped.",
    ]
    again = mel(src, out)  # said on every run: its audio is never taken
    assert again.stderr.splitlines()[0] == hint(
        out, "4 audio files", out / "0.wav", ", ..."
    )


def test_one_audio_file_is_named(tmp_path: Path) -> None:
    src = short_tones(tmp_path / "audio", 1)
    out = src / "features"
    (out / "deep").mkdir(parents=True)
    (out / "deep" / "x.FLAC").write_bytes(b"")
    result = mel(src, out)
    assert result.stderr.splitlines()[0] == hint(
        out, "1 audio file", out / "deep/x.FLAC"
    )


def test_the_extensions_looked_for_are_the_runs(tmp_path: Path) -> None:
    src = short_tones(tmp_path / "audio", 1)
    out = short_tones(src / "features", 1)
    result = mel(src, out, "--ext", "flac")
    assert "holds" not in result.stderr


@pytest.mark.parametrize("runs", [1, 2])
def test_an_out_of_outputs_only_says_nothing(tmp_path: Path, runs: int) -> None:
    src = short_tones(tmp_path / "audio", 2)
    out = src / "features"
    for _ in range(runs):  # the second run finds OUT full of outputs
        result = mel(src, out, "--png")
        assert result.exit_code == 0
        assert "warning" not in result.stderr


def test_quiet_says_nothing(tmp_path: Path) -> None:
    src = short_tones(tmp_path / "audio", 1)
    out = short_tones(src / "speech", 1)
    result = mel(src, out, "-q")
    assert result.exit_code == 0
    assert result.stderr == ""


@pytest.mark.parametrize("budget", [5, 50])
def test_a_huge_out_is_looked_at_only_so_far(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, budget: int
) -> None:
    # OUT's outputs are many: only so many of its entries are looked at.
    monkeypatch.setattr(hints, "OUT_ENTRIES_LOOKED_AT", budget)
    src = short_tones(tmp_path / "audio", 1)
    out = src / "features"
    out.mkdir()
    for k in range(10):
        (out / f"old{k}.npy").write_bytes(b"")
    short_tones(out / "later", 1)  # past the first 5 entries
    stderr = mel(src, out).stderr
    if budget == 5:
        assert "holds" not in stderr
    else:
        assert stderr.splitlines()[0] == hint(out, "1 audio file", out / "later/0.wav")


def test_audio_seen_before_the_limit_is_said_uncounted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(hints, "OUT_ENTRIES_LOOKED_AT", 5)
    src = short_tones(tmp_path / "audio", 1)
    out = short_tones(src / "speech", 6)  # with 0.npy and the manifest: 8
    line = mel(src, out).stderr.splitlines()[0]
    assert line.startswith(f"warning: {out} holds audio files ({out / ''}")
    assert line.endswith(
        ".wav, ...), not taken: it is OUT, which is never read as input; "
        "give -o a folder of its own"
    )

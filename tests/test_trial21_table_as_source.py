"""A dataset's table given as an input says to give it to ``--files-from``.

Seen in a newcomer's trial: ``melcli mel ESC-50/meta/esc50.csv -o features/``
failed the table as ``not an audio file`` and said no more. Its rows name the
audio: a last warning now says ``give --files-from ...``, from ``melcli info``
and ``melcli.run``/``melcli.info`` alike. An audio file that is not audio gets
no such line.
"""

from __future__ import annotations

from pathlib import Path

from conftest import invoke, short_tones

import melcli
from melcli.inventory import summarize


def _table(tmp_path: Path, name: str = "meta.csv") -> Path:
    short_tones(tmp_path / "audio", n=2)
    table = tmp_path / name
    table.write_text("filename,fold\n0.wav,1\n1.wav,2\n")
    return table


def test_mel_says_to_give_the_table_to_files_from(tmp_path: Path) -> None:
    table = _table(tmp_path, "my meta.csv")
    result = invoke("mel", table, "-o", tmp_path / "out", "-j", "1")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-2] == (
        f"warning: {table} is not audio; to take the files it lists (a table, or "
        f"one path a line), give --files-from '{table}'"
    )


def test_info_and_the_api_say_it_too(tmp_path: Path) -> None:
    table = _table(tmp_path)
    result = invoke("info", table)
    assert result.exit_code == 1
    assert f"give --files-from {table}" in result.stderr
    said = f"{table} is not audio; to take the files it lists"
    assert any(said in w for w in melcli.run([table], tmp_path / "out").warnings)
    assert any(said in w for w in melcli.info([table]).warnings)


def test_a_bad_audio_file_gets_no_such_line(tmp_path: Path) -> None:
    bad = tmp_path / "x.wav"
    bad.write_bytes(b"filename,fold\n0.wav,1\n")
    result = invoke("mel", bad, "-o", tmp_path / "out", "-j", "1")
    assert result.exit_code == 1
    assert "--files-from" not in result.stderr


def test_summary_ties_are_in_order_of_value() -> None:
    """``info --summary``: rates counted as often are listed 8000 before 11025."""
    rows = [
        {
            "path": f"{k}.wav",
            "samplerate": sr,
            "channels": ch,
            "format": "WAV",
            "subtype": "PCM_16",
            "duration": 1.0,
        }
        for k, (sr, ch) in enumerate(
            [(44100, 2), (44100, 1), (8000, 10), (37800, 1), (11025, 2)]
        )
    ]
    totals = summarize(rows)
    assert list(totals["samplerates"]) == ["44100", "8000", "11025", "37800"]
    assert list(totals["channels"]) == ["1", "2", "10"]

"""``melcli info --files-from`` takes ``--include``/``--exclude`` as ``mel`` does.

Listed files are matched against their path relative to the root. ``info``
ignored the patterns for listed files and showed every row, so its totals
were not those of the files ``mel`` then took with the same options.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import invoke, short_tones


@pytest.fixture
def table(tmp_path: Path) -> Path:
    audio = short_tones(tmp_path / "audio", 4)  # 0.wav ... 3.wav
    (audio / "dogs").mkdir()
    (audio / "2.wav").rename(audio / "dogs" / "2.wav")
    (audio / "3.wav").rename(audio / "dogs" / "3.wav")
    meta = audio / "meta.csv"
    meta.write_text("path,label\n0.wav,a\n1.wav,b\ndogs/2.wav,c\ndogs/3.wav,d\n")
    return meta


def listed(result_stdout: str) -> list[str]:
    return [Path(json.loads(line)["path"]).name for line in result_stdout.splitlines()]


@pytest.mark.parametrize(
    ("options", "taken"),
    [
        ((), ["0.wav", "1.wav", "2.wav", "3.wav"]),
        (("--include", "dogs/*"), ["2.wav", "3.wav"]),
        (("--exclude", "dogs/*"), ["0.wav", "1.wav"]),
        (("--include", "*.wav", "--exclude", "*3.wav"), ["0.wav", "1.wav", "2.wav"]),
    ],
)
def test_info_takes_the_listed_files_mel_takes(
    table: Path, tmp_path: Path, options: tuple[str, ...], taken: list[str]
) -> None:
    info = invoke("info", "--files-from", table, "--json", *options)
    assert info.exit_code == 0
    assert listed(info.stdout) == taken
    plan = invoke(
        "mel", "--files-from", table, "-o", tmp_path / "out", "--dry-run", *options
    )
    assert plan.stdout.count("would build") == len(taken)
    summary = invoke("info", "--files-from", table, "--summary", "--json", *options)
    assert json.loads(summary.stdout)["files"] == len(taken)


def test_verbose_says_why_a_listed_file_is_passed_over(table: Path) -> None:
    result = invoke("info", "--files-from", table, "--exclude", "dogs/3.wav", "-v")
    assert result.exit_code == 0
    audio = table.parent
    assert result.stderr == f"skipped {audio / 'dogs/3.wav'}: matches --exclude\n"

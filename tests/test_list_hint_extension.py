"""A list whose names lack their extension: the hint says to add it.

FSD50K's tables name each clip by its number (``fname`` 64760, the file
``64760.wav``). Given with the right ``--root``, every row failed and the
hint said ``give --root the folder that holds them``: the root was right,
the paths were not. It now says the files are there with ``.wav`` added, and
the template that adds it.
"""

from __future__ import annotations

from pathlib import Path

from conftest import WriteAudio, invoke


def fsd_like(write_audio: WriteAudio, tmp_path: Path) -> tuple[Path, Path]:
    audio = tmp_path / "FSD50K" / "dev_audio"
    for name in ("101", "102", "64760"):
        write_audio(f"{name}.wav", root=audio)
    table = tmp_path / "FSD50K" / "ground_truth" / "dev.csv"
    table.parent.mkdir(parents=True)
    table.write_text(
        'fname,labels,split\n101,"Bark,Dog",train\n102,Speech,val\n64760,Speech,train\n'
    )
    return table, audio


def last_warning(stderr: str) -> str:
    return [line for line in stderr.splitlines() if line.startswith("warning:")][-1]


def test_names_without_their_extension_get_the_template(
    write_audio: WriteAudio, tmp_path: Path
) -> None:
    table, audio = fsd_like(write_audio, tmp_path)
    expected = (
        f"warning: no file listed in {table} was found; its paths are taken "
        f"relative to {audio}, and they are there with .wav added: make each "
        "path from its row with --path-column '{fname}.wav'"
    )
    for command in ("mel", "info"):
        extra = ["-o", tmp_path / "out", "-j", "1"] if command == "mel" else []
        result = invoke(command, "--files-from", table, "--root", audio, *extra)
        assert result.exit_code == 1
        assert last_warning(result.stderr) == expected
    # What it says works.
    right = invoke(
        "mel", "--files-from", table, "--root", audio, "-o", tmp_path / "out",
        "--path-column", "{fname}.wav", "-j", "1",
    )  # fmt: skip
    assert right.exit_code == 0, right.stderr
    assert right.stderr == "3 written.\n"


def test_a_template_or_a_plain_list_is_told_to_add_it(
    write_audio: WriteAudio, tmp_path: Path
) -> None:
    table, audio = fsd_like(write_audio, tmp_path)
    result = invoke(
        "info", "--files-from", table, "--root", audio.parent,
        "--path-column", "dev_audio/{fname}",
    )  # fmt: skip
    assert last_warning(result.stderr).endswith(
        "and they are there with .wav added: add .wav to the --path-column template"
    )
    plain = tmp_path / "names.txt"
    plain.write_text("101\n102\n")
    result = invoke("info", "--files-from", plain, "--root", audio)
    assert last_warning(result.stderr).endswith(
        "and they are there with .wav added: add .wav to each path"
    )


def test_some_names_with_no_such_file_keep_the_plain_hint(
    write_audio: WriteAudio, tmp_path: Path
) -> None:
    table, audio = fsd_like(write_audio, tmp_path)
    (audio / "102.wav").unlink()  # not every name is NAME.wav: no guess
    result = invoke("info", "--files-from", table, "--root", audio)
    assert last_warning(result.stderr) == (
        f"warning: no file listed in {table} was found; its paths are taken "
        f"relative to {audio}: give --root the folder that holds them"
    )

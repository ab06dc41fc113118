"""What a run says when not one file a ``--files-from`` list names is found.

The hint after the per-file errors must point at the real cause: a table
apart from its audio (``--root``), the audio one folder further down
(``--root`` that folder), or a table that gives file names without their
subfolder, as UrbanSound8K's does (a ``--path-column`` template).
"""

from __future__ import annotations

from pathlib import Path

from conftest import WriteAudio, invoke


def last_warning(stderr: str) -> str:
    return [line for line in stderr.splitlines() if line.startswith("warning:")][-1]


def test_names_spread_over_subfolders_point_at_a_template(
    write_audio: WriteAudio, tmp_path: Path
) -> None:
    # UrbanSound8K: audio/fold1/..., audio/fold2/..., and only the file name
    # in the table (with its fold in another column).
    for rel in ("fold1/a.wav", "fold1/b.wav", "fold2/c.wav", "fold3/d.wav"):
        write_audio(rel)
    table = tmp_path / "meta.csv"
    table.write_text(
        "slice_file_name,fold\na.wav,1\nb.wav,1\nc.wav,2\nd.wav,3\n",
    )
    audio = tmp_path / "audio"
    for command in ("mel", "info"):
        extra = ["-o", tmp_path / "out", "-j", "1"] if command == "mel" else []
        result = invoke(command, "--files-from", table, "--root", audio, *extra)
        assert result.exit_code == 1
        assert last_warning(result.stderr) == (
            f"warning: no file listed in {table} was found; its paths are taken "
            f"relative to {audio}, and they are in its subfolders fold1, "
            "fold2, fold3: give --path-column 'fold{fold}/{slice_file_name}'"
        )
    # The template the hint names works.
    right = invoke(
        "mel", "--files-from", table, "--root", audio, "-o", tmp_path / "out",
        "--path-column", "fold{fold}/{slice_file_name}", "-j", "1",
    )  # fmt: skip
    assert right.exit_code == 0, right.stderr
    assert right.stderr.splitlines()[-1] == "4 written."


def test_names_all_in_one_subfolder_point_at_that_folder(
    write_audio: WriteAudio, tmp_path: Path
) -> None:
    # The table at the top of the dataset, the audio in its audio/ folder.
    dataset = tmp_path / "ESC-50"
    for name in ("1-1-A-0.wav", "2-2-A-1.wav"):
        write_audio(name, root=dataset / "audio")
    table = dataset / "esc50.csv"
    table.write_text("filename,fold\n1-1-A-0.wav,1\n2-2-A-1.wav,2\n")
    result = invoke("mel", "--files-from", table, "-o", tmp_path / "out", "-j", "1")
    assert result.exit_code == 1
    assert last_warning(result.stderr) == (
        f"warning: no file listed in {table} was found; its paths are taken "
        f"relative to {dataset}, and they are in {dataset / 'audio'}: "
        f"give --root {dataset / 'audio'}"
    )


def test_names_found_nowhere_near_keep_the_plain_hint(
    write_audio: WriteAudio, tmp_path: Path
) -> None:
    write_audio("far/away/elsewhere/a.wav")  # three levels from the table
    (tmp_path / "meta").mkdir()
    (tmp_path / "meta/sub").mkdir()  # a subfolder without the names
    table = tmp_path / "meta/list.csv"
    table.write_text("filename\na.wav\n")
    result = invoke("mel", "--files-from", table, "-o", tmp_path / "out", "-j", "1")
    assert result.exit_code == 1
    assert last_warning(result.stderr) == (
        f"warning: no file listed in {table} was found; its paths are taken "
        f"relative to {table.parent}: give --root the folder that holds them"
    )


def test_a_name_too_long_to_look_for_keeps_the_plain_hint(
    write_audio: WriteAudio, tmp_path: Path
) -> None:
    # Looking for the names in the subfolders must not fail on one that no
    # file system takes (ENAMETOOLONG), nor on a folder that cannot be read.
    write_audio("a.wav", root=tmp_path / "meta/audio")
    table = tmp_path / "meta/list.csv"
    table.write_text(f"filename\n{'x' * 300}.wav\na.wav\n")
    result = invoke("mel", "--files-from", table, "-o", tmp_path / "out", "-j", "1")
    assert result.exit_code == 1, result.stderr
    assert last_warning(result.stderr) == (
        f"warning: no file listed in {table} was found; its paths are taken "
        f"relative to {table.parent}: give --root the folder that holds them"
    )

"""UrbanSound8K's table given as it ships, without --root or a template.

``metadata/UrbanSound8K.csv`` names each file without its folder, and the
audio is two levels away: ``audio/fold1/...``. The hint must name both
fixes, the root and the template, rather than only "give --root the folder
that holds them" (no one folder holds them).
"""

from __future__ import annotations

from pathlib import Path

from conftest import WriteAudio, invoke


def test_names_in_the_subfolders_of_a_folder_beside_the_table(
    write_audio: WriteAudio, tmp_path: Path
) -> None:
    dataset = tmp_path / "UrbanSound8K"
    rows = [("1-0-0-0.wav", 1), ("2-1-0-1.wav", 2), ("3-2-0-2.wav", 3)]
    for name, fold in rows:
        write_audio(f"fold{fold}/{name}", root=dataset / "audio")
    table = dataset / "metadata/UrbanSound8K.csv"
    table.parent.mkdir()
    table.write_text(
        "slice_file_name,fold,class\n"
        + "".join(f"{name},{fold},dog\n" for name, fold in rows)
    )
    audio = dataset / "audio"
    for command in ("mel", "info"):
        extra = ["-o", tmp_path / "out", "-j", "1"] if command == "mel" else []
        result = invoke(command, "--files-from", table, *extra)
        assert result.exit_code == 1
        warnings = [
            line for line in result.stderr.splitlines() if line.startswith("warning")
        ]
        assert warnings == [
            f"warning: no file listed in {table} was found; its paths are taken "
            f"relative to {table.parent}, and they are in the subfolders fold1, "
            f"fold2, fold3 of {audio}: give --root {audio} --path-column "
            "'fold{fold}/{slice_file_name}'"
        ]
    # What the hint says works.
    right = invoke(
        "mel", "--files-from", table, "--root", audio, "-o", tmp_path / "out",
        "--path-column", "fold{fold}/{slice_file_name}", "-j", "1",
    )  # fmt: skip
    assert right.exit_code == 0, right.stderr
    assert right.stderr.splitlines()[-1] == "3 written."

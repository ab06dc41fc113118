"""A ``--format webdataset`` run stages its arrays under names nothing in OUT holds.

Each array of a webdataset run is written to a hidden staging file at OUT's
top (``.stage-N.npy.melcli-tmp``), then appended to a shard. The names were
``.stage-0...``, ``.stage-1...`` whatever OUT held: a folder planted under
one (OUT is untrusted) failed every input staged there, run after run, with
``cannot write output: is a directory``, naming no file. A name something is
found under is now passed over.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import WriteAudio, mel, tone

pytestmark = pytest.mark.usefixtures("isolated")


def test_a_folder_under_a_staging_name_is_passed_over(
    write_audio: WriteAudio, tmp_path: Path
) -> None:
    write_audio("dogs/a.wav")
    write_audio("cats/b.wav", tone(700.0))
    out = tmp_path / "out"
    out.mkdir()
    planted = [
        out / f".stage-{n}.{s}.melcli-tmp" for n in (0, 1) for s in ("npy", "png")
    ]
    for folder in planted:
        (folder / "x").mkdir(parents=True)
    elsewhere = tmp_path / "elsewhere.npy"
    elsewhere.write_bytes(b"not OUT's")
    (out / ".stage-2.npy.melcli-tmp").symlink_to(elsewhere)

    result = mel(tmp_path / "audio", out, "--format", "webdataset", "--png")

    assert result.exit_code == 0, result.stderr
    assert result.stderr == "2 written.\n"
    assert all((folder / "x").is_dir() for folder in planted)
    assert elsewhere.read_bytes() == b"not OUT's"
    again = mel(tmp_path / "audio", out, "--format", "webdataset", "--png")
    assert again.stderr == "0 written, 2 up to date.\n"

"""A walk of an output folder of melcli follows none of its links (``melcli info OUT``).

OUT is untrusted (a CI cache, a shared folder): nothing outside it is read
because of what it holds. ``melcli info OUT`` (and ``melcli mel OUT -o X``)
walked it as any input folder, following its symbolic links: a link
``OUT/x.wav`` to a file anywhere had that file's header read and listed, a
link to a folder had the folder walked. A folder that holds melcli's lock
file (``.melcli.lock``), and every folder below it, is an OUT: its links are
passed over, each said under ``-v``. Links in other folders are followed, as
before.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from conftest import invoke, mel, short_tones

pytestmark = pytest.mark.usefixtures("isolated")


def _out_with_links(tmp_path: Path) -> tuple[Path, Path]:
    src = short_tones(tmp_path / "src", 2)
    short_tones(src / "deep", 1)
    out = tmp_path / "out"
    assert mel(src, out).exit_code == 0
    outside = short_tones(tmp_path / "outside", 2)
    os.symlink(outside / "0.wav", out / "link.wav")
    os.symlink(outside, out / "linked")
    os.symlink(outside / "1.wav", out / "deep" / "link.wav")
    return out, outside


def test_info_of_out_reads_nothing_its_links_lead_to(tmp_path: Path) -> None:
    out, outside = _out_with_links(tmp_path)
    result = invoke("info", "--json", "-v", out)
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert rows == []
    for link in (out / "link.wav", out / "linked", out / "deep" / "link.wav"):
        assert f"skipped {link}: a symbolic link in an output folder" in result.stderr
    below = invoke("info", "--json", out / "deep")  # inside OUT: alike
    assert below.stdout == ""
    assert str(outside) not in below.stdout


def test_a_run_taking_out_as_input_follows_none_of_its_links(tmp_path: Path) -> None:
    out, _ = _out_with_links(tmp_path)
    other = tmp_path / "other"
    result = mel(out, other)
    assert not (other / "link.npy").exists()
    assert not (other / "linked").exists()
    assert not (other / "deep" / "link.npy").exists()
    assert "0 written" in result.stderr


def test_links_of_a_folder_that_is_no_out_are_followed(tmp_path: Path) -> None:
    src = short_tones(tmp_path / "src", 1)
    outside = short_tones(tmp_path / "outside", 1)
    os.symlink(outside / "0.wav", src / "link.wav")
    rows = [json.loads(x) for x in invoke("info", "--json", src).stdout.splitlines()]
    assert sorted(Path(r["path"]).name for r in rows) == ["0.wav", "link.wav"]

"""An entry of an input left out of the run, whose outputs are all gone, is forgotten.

A crafted entry under another name of a live input (``ghost.npy`` for
``SRC/d0/f000.wav``, which the run writes as ``d0/f000.npy``) recorded an
output that is not there. No run rebuilt it (its key is none of the run's),
nor did ``--prune`` delete it (its input is there): it stayed, and ``melcli
stats`` failed on it run after run, saying ``run 'melcli mel' again to
rebuild it``, which did not. An entry whose outputs were all deleted by hand
(of an input this run leaves out) is the same: it is forgotten now, and the
next run that takes its input builds it, as it would have.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import invoke, mel, short_tones

from melcli.manifest import MANIFEST_NAME
from melcli.manifest_db import STORE_NAME

pytestmark = pytest.mark.usefixtures("isolated")


def _keys(out: Path) -> list[str]:
    lines = (out / MANIFEST_NAME).read_text().splitlines()
    return [json.loads(line)["key"] for line in lines]


@pytest.mark.parametrize("key", ["ghost.npy", "x" * 300 + ".npy"])
def test_a_crafted_entry_of_no_file_is_forgotten_by_the_next_run(
    tmp_path: Path, key: str
) -> None:
    src = short_tones(tmp_path / "src", 2)
    out = tmp_path / "out"
    assert mel(src, out).exit_code == 0
    (out / STORE_NAME).unlink()  # manifest.jsonl is read
    lines = (out / MANIFEST_NAME).read_text().splitlines()
    entry = {**json.loads(lines[0]), "key": key, "npy": key, "stamps": {key: [1, 2]}}
    with open(out / MANIFEST_NAME, "a") as f:
        f.write(json.dumps(entry) + "\n")
    assert invoke("stats", out).exit_code == 1  # as before: the array is missing

    again = mel(src, out)

    assert again.exit_code == 0, again.stderr
    assert again.stderr == "0 written, 2 up to date.\n"
    assert key not in _keys(out)
    stats = invoke("stats", out)
    assert stats.exit_code == 0, stats.stderr


def test_a_left_out_input_whose_array_was_deleted_is_built_when_taken(
    tmp_path: Path,
) -> None:
    src = short_tones(tmp_path / "src", 2)
    out = tmp_path / "out"
    assert mel(src, out).exit_code == 0
    (out / "1.npy").unlink()

    left_out = mel(src, out, "--exclude", "1.wav")

    assert left_out.exit_code == 0, left_out.stderr
    assert "1.npy" not in _keys(out)
    assert invoke("stats", out).exit_code == 0
    taken = mel(src, out)
    assert taken.stderr == "1 written, 1 up to date.\n"
    assert (out / "1.npy").is_file()

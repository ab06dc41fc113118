"""A crafted entry claiming to be of another input cannot make a run delete its file.

A rebuilt input replaces its outputs at earlier places in OUT (found by the
entries whose ``source_abs`` is that input: a new place when several SRC
folders got subfolders, the other segment layout). An entry keyed
``dogs/b.npy`` that claims to be of ``dogs/a.wav`` is crafted (its key is
not named after its input), yet building ``dogs/a.wav`` anew deleted
``dogs/b.npy``, the array of ``dogs/b.wav``, an input the run left out.
Such an entry is now only forgotten: nothing is deleted because of it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import soundfile as sf
from conftest import invoke, tone

from melcli.manifest import MANIFEST_NAME
from melcli.manifest_db import STORE_NAME

pytestmark = pytest.mark.usefixtures("isolated")

SR = 8000


def test_a_new_input_does_not_delete_a_file_a_crafted_entry_gives_it(
    tmp_path: Path,
) -> None:
    src = tmp_path / "audio"
    (src / "dogs").mkdir(parents=True)
    for name in ("a", "b"):
        sf.write(src / "dogs" / f"{name}.wav", tone(sr=SR, seconds=0.5), SR)
    out = tmp_path / "out"
    assert invoke("mel", src, "-o", out, "-j", "1").exit_code == 0
    (out / STORE_NAME).unlink()  # manifest.jsonl is read
    lines = (out / MANIFEST_NAME).read_text().splitlines()
    entries = {e["key"]: e for e in map(json.loads, lines)}
    a = entries.pop("dogs/a.npy")
    (out / "dogs" / "a.npy").unlink()  # a.wav is new to the next run
    for field in ("source", "source_path", "source_abs", "input"):
        entries["dogs/b.npy"][field] = a[field]  # "of dogs/a.wav"
    text = "".join(json.dumps(e) + "\n" for e in entries.values())
    (out / MANIFEST_NAME).write_text(text)
    victim = (out / "dogs" / "b.npy").read_bytes()
    options = ("mel", src, "-o", out, "-j", "1", "--include", "dogs/a.wav")

    planned = invoke(*options, "--dry-run")
    result = invoke(*options)

    assert "new place" not in planned.stdout
    assert result.exit_code == 0, result.stderr
    assert (out / "dogs" / "a.npy").exists()
    assert (out / "dogs" / "b.npy").read_bytes() == victim

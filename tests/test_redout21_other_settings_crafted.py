"""`--prune` deletes outputs of other settings only of entries named after their input.

An entry of an input the run leaves out, made with other settings, is
pruned by ``--prune``. A crafted one keyed ``dogs/x.npy`` claiming to be of
``cats/c.wav`` (in place of ``dogs/x.wav``'s own entry) made ``--prune``
delete ``dogs/x.npy``, the array of ``dogs/x.wav``, which is still there.
Its key is not named after its input: nothing is deleted because of it now.
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


def test_prune_keeps_the_file_of_a_crafted_entry_of_other_settings(
    tmp_path: Path,
) -> None:
    src = tmp_path / "audio"
    (src / "dogs").mkdir(parents=True)
    (src / "cats").mkdir()
    for name in ("dogs/a", "dogs/x", "cats/c"):
        sf.write(src / f"{name}.wav", tone(sr=SR, seconds=0.5), SR)
    out = tmp_path / "out"
    assert invoke("mel", src, "-o", out, "-j", "1").exit_code == 0
    (out / STORE_NAME).unlink()  # manifest.jsonl is read
    lines = (out / MANIFEST_NAME).read_text().splitlines()
    entries = {e["key"]: e for e in map(json.loads, lines)}
    crafted, c = entries["dogs/x.npy"], entries["cats/c.npy"]
    for field in ("source", "source_path", "source_abs", "input"):
        crafted[field] = c[field]  # "of cats/c.wav"
    crafted["settings"] = "other"
    text = "".join(json.dumps(e) + "\n" for e in entries.values())
    (out / MANIFEST_NAME).write_text(text)
    victim = (out / "dogs" / "x.npy").read_bytes()
    options = ("mel", src, "-o", out, "-j", "1", "--prune", "--include", "dogs/a.wav")

    planned = invoke(*options, "--dry-run")
    result = invoke(*options)

    assert "x.npy" not in planned.stdout
    assert result.exit_code == 0, result.stderr
    assert (out / "dogs" / "x.npy").read_bytes() == victim

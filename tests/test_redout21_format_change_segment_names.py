"""A format change deletes an entry's earlier files, not another entry's array.

``--format webdataset`` deletes the ``.npy`` files an input's entry recorded
before. A crafted entry ``dogs/a.000.npy`` of ``dogs/a.wav`` recording the
segment name ``dogs/a.001.npy`` (the array of ``dogs/a.001.wav``, under its
own entry, an input the run leaves out) made that run delete it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import soundfile as sf
from conftest import tone

import melcli
from melcli.manifest import MANIFEST_NAME
from melcli.manifest_db import STORE_NAME

pytestmark = pytest.mark.usefixtures("isolated")

SR = 8000


def test_a_format_change_keeps_another_entrys_array(tmp_path: Path) -> None:
    src = tmp_path / "audio"
    (src / "dogs").mkdir(parents=True)
    for name in ("a", "a.001"):
        sf.write(src / "dogs" / f"{name}.wav", tone(sr=SR, seconds=0.5), SR)
    out = tmp_path / "out"
    assert melcli.run([src], out, jobs=1).exit_code == 0
    (out / STORE_NAME).unlink()  # manifest.jsonl is read
    lines = (out / MANIFEST_NAME).read_text().splitlines()
    entries = {e["key"]: e for e in map(json.loads, lines)}
    a = entries.pop("dogs/a.npy")
    (out / "dogs" / "a.npy").unlink()
    victim = out / "dogs" / "a.001.npy"
    crafted = {**a, "key": "dogs/a.000.npy", "npy": "dogs/a.000.npy"}
    crafted["stamps"] = {
        "dogs/a.000.npy": [1, 1],
        "dogs/a.001.npy": entries["dogs/a.001.npy"]["stamps"]["dogs/a.001.npy"],
    }
    entries[crafted["key"]] = crafted
    text = "".join(json.dumps(entries[k]) + "\n" for k in sorted(entries))
    (out / MANIFEST_NAME).write_text(text)
    kept = victim.read_bytes()
    params = melcli.MelParams(segment=0.2, segment_layout="files")

    melcli.run(
        [src],
        out,
        jobs=1,
        include=["dogs/a.wav"],
        storage_format="webdataset",
        params=params,
    )

    assert victim.read_bytes() == kept

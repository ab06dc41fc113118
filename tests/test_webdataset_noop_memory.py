"""A re-run over ``--format webdataset`` samples holds their facts, not their entries.

The entries of samples in shards were held whole from the store (their
waveform summary, versions, paths, warnings: 3.3 kB each), where every other
entry is held by the few facts a re-run decides on. They are now held as
those facts and where their members are (``SAMPLE_FACTS``): about half.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from conftest import mel, memory_grown_here

from melcli.manifest import Manifest
from melcli.storage import webdataset

pytestmark = pytest.mark.usefixtures("isolated")

N = 300


@pytest.fixture
def samples(tmp_path: Path) -> Path:
    audio = tmp_path / "audio"
    rng = np.random.default_rng(0)
    for k in range(N):
        folder = audio / f"f{k % 10}"
        folder.mkdir(parents=True, exist_ok=True)
        y = (rng.random(400) - 0.5).astype(np.float32)
        sf.write(folder / f"{k}.wav", y, 8000)
    out = tmp_path / "out"
    assert mel(audio, out, "--format", "webdataset").exit_code == 0
    assert mel(audio, out, "--format", "webdataset").exit_code == 0  # flipped
    return out


def test_the_samples_are_held_by_their_facts(samples: Path) -> None:
    with memory_grown_here(__file__) as grown:
        manifest = Manifest.load(samples)
        by_shard = webdataset.samples_by_shard(manifest)
    held = grown[0] / N

    assert sum(map(len, by_shard.values())) == N
    assert held < 2500  # 3300 bytes a sample held whole
    # What a re-run reads of each is there; the whole entry when it is used.
    key = next(iter(manifest.entries))
    facts = manifest.entries.facts(key)
    assert facts is not None
    assert "wave" not in facts
    assert set(facts) >= {"shard", "span", "members", "sample", "stamps", "input"}
    assert webdataset.sample_intact(manifest, key)
    assert "wave" in manifest.entries[key]
    assert [m.name for m in webdataset.npy_members(manifest, key)] == [
        f"{manifest.entries[key]['sample']}.npy"
    ]

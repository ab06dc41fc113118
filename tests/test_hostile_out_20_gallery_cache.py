"""The gallery's ``cache.json`` is read only as large as a build writes it.

It is in OUT, untrusted. It was read whole, whatever its size: a crafted one
of gigabytes was read into memory and parsed by every ``melcli gallery
--read-sources``. A build keeps one envelope per input (a 24-digit key and
at most ``2 * waveform.MAX_COLUMNS`` characters), so a larger file is not
read (the envelopes are read from the sources again), and its envelopes are
not used when the sources are not read.
"""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path

import pytest
from conftest import WriteAudio, invoke, noise

from melcli import gallery, waveform
from melcli.gallery import build_gallery

pytestmark = pytest.mark.usefixtures("isolated")

JUNK = 40 << 20  # bytes of envelopes under keys no build makes


def _older_out(write_audio: WriteAudio, tmp_path: Path) -> Path:
    """An OUT of one input whose entry has no waveform (an older melcli's)."""
    write_audio("a/noise.wav", noise(seed=5)[:22016])
    src, out = tmp_path / "audio", tmp_path / "out"
    assert invoke("mel", src, "-o", out, "-j", "1").exit_code == 0
    path = out / "manifest.jsonl"
    (entry,) = [json.loads(line) for line in path.read_text().splitlines()]
    del entry["wave"]
    path.write_text(json.dumps(entry) + "\n")
    return out


def _crafted_cache(out: Path) -> str:
    """Make ``cache.json`` huge, its one true key holding a forged envelope."""
    path = out / "gallery" / gallery.CACHE_NAME
    cache = json.loads(path.read_text())
    ((key, _),) = cache["waves"].items()
    forged = "AA" * waveform.COLUMNS
    envelope = "Zz" * waveform.MAX_COLUMNS
    junk = {f"{n:024x}": envelope for n in range(JUNK // len(envelope))}
    path.write_text(json.dumps({**cache, "waves": {key: forged, **junk}}))
    return forged


def test_a_huge_cache_is_not_read(write_audio: WriteAudio, tmp_path: Path) -> None:
    out = _older_out(write_audio, tmp_path)
    first = build_gallery(out, read_sources=True, jobs=1)
    assert (first.waves_read, first.waves_reused) == (1, 0)
    forged = _crafted_cache(out)
    assert (out / "gallery" / gallery.CACHE_NAME).stat().st_size > JUNK

    tracemalloc.start()
    try:
        again = build_gallery(out, read_sources=True, jobs=1)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    assert (again.waves_read, again.waves_reused) == (1, 0)  # read again
    assert peak < JUNK // 4  # the file was not read into memory
    (path,) = (out / "gallery" / "data").glob("page-00000-*.js")
    page = path.read_text()
    assert forged not in page
    cache = json.loads((out / "gallery" / gallery.CACHE_NAME).read_text())
    assert len(cache["waves"]) == 1  # as a build writes it, once more


def test_the_cached_waveforms_are_not_used_when_the_sources_are_not_read(
    write_audio: WriteAudio, tmp_path: Path
) -> None:
    # The cache is read (it says where each thumbnail is), its waveforms not.
    out = _older_out(write_audio, tmp_path)
    build_gallery(out, read_sources=True, jobs=1)
    path = out / "gallery" / gallery.CACHE_NAME
    cache = json.loads(path.read_text())
    ((key, _),) = cache["waves"].items()
    forged = "AA" * waveform.COLUMNS
    path.write_text(json.dumps({**cache, "waves": {key: forged}}))

    again = build_gallery(out, jobs=1)

    assert (again.waves_read, again.waves_reused, again.unrecorded) == (0, 0, 1)
    (path,) = (out / "gallery" / "data").glob("page-00000-*.js")
    page = path.read_text()
    assert forged not in page

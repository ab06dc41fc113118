"""The sift loop takes back only what it found in a folder moved while held.

:meth:`Manifest.sift_unchanged` looks the usual inputs' arrays up in their
folder held open, and checks where the folder is once it is done with it:
if it moved out of OUT meanwhile, the jobs it found up to date there are
taken back and yielded again. It took back every job added to the run's
up-to-date list since it opened the folder -- those the caller decided
meanwhile too (a job it yields at once, such as one with a PNG, of another
folder): such a job was yielded, decided, taken back and yielded again,
decided twice, as if its array were in the moved folder. Only the jobs the
loop itself found in the folder are taken back now.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import mel, short_tones

from melcli.discover import Job
from melcli.manifest import Manifest, file_stamp
from melcli.params import MelParams

pytestmark = pytest.mark.usefixtures("isolated")


def test_only_the_moved_folders_finds_are_taken_back(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    short_tones(src / "dogs", 2)
    short_tones(src / "cats", 1)
    out = tmp_path / "out"
    assert mel(src, out).exit_code == 0

    def job(rel: str, **kw: object) -> Job:
        stem = rel.removesuffix(".wav")
        return Job(
            src / rel,
            rel,
            out / f"{stem}.npy",
            stamp=file_stamp(src / rel),
            **kw,  # type: ignore[arg-type]
        )

    dogs = [job("dogs/0.wav"), job("dogs/1.wav")]
    # A job the loop does not decide (a PNG asked): yielded at once, and
    # found up to date by the caller, as a run decides it.
    cat = job("cats/0.wav", png=out / "cats" / "0.png")
    up: list[Job] = []
    flips = bytearray()
    yielded: list[Job] = []

    def jobs() -> Iterator[Job]:
        yield dogs[0]  # found up to date in dogs, held open
        yield cat
        os.rename(out / "dogs", tmp_path / "elsewhere")  # dogs moves out of OUT
        yield dogs[1]

    manifest = Manifest.load(out)
    try:
        settings = MelParams().fingerprint()
        for found in manifest.sift_unchanged(
            jobs(), settings=settings, up_to_date=up, flips=flips
        ):
            yielded.append(found)
            if found is cat:  # the caller decides it: up to date
                up.append(found)
                flips.append(False)
    finally:
        manifest.close()
    assert yielded.count(cat) == 1  # decided once
    assert up == [cat]
    assert len(flips) == len(up)
    assert sorted(yielded) == sorted([cat, *dogs])

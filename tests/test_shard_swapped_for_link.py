"""A shard swapped for a link while a run compacts it is not copied through the link.

Compaction (``--format webdataset``, a shard holding dead samples) checks
the old shard (its stamp: a regular file of OUT's), then copies each live
sample's bytes out of it. Those were read with ``open()``: a shard swapped
in between for a symbolic link (a shared OUT, another process) had the
bytes of the link's target, anywhere, copied into OUT's new shard.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from conftest import WriteAudio, mel, noise

from melcli.storage import webdataset

pytestmark = pytest.mark.usefixtures("isolated")

MARK = b"OUTSIDE-OUT!"


def shards(out: Path) -> list[Path]:
    return sorted(out.glob("shard-*.tar"))


def test_compaction_does_not_follow_a_shard_swapped_for_a_link(
    write_audio: WriteAudio, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for k in range(3):
        write_audio(f"dogs/{k}.wav", noise(seed=k, seconds=0.3))
    out = tmp_path / "out"
    audio = tmp_path / "audio"
    assert mel(audio, out, "--format", "webdataset").exit_code == 0
    (old,) = shards(out)
    (audio / "dogs/0.wav").unlink()  # its sample dead: the shard is compacted

    # The bytes of a file outside OUT: the shard's, its members' data marked.
    outside = tmp_path / "outside.tar"
    data = bytearray(old.read_bytes())
    for at in range(1024, len(data) - len(MARK), 4096):
        data[at : at + len(MARK)] = MARK
    outside.write_bytes(bytes(data))
    real_sparse = webdataset.SampleStore._sparse
    swapped: list[Path] = []

    def swap_then_check(path: Path, span: list[int]) -> bool:
        if not swapped:  # after the checks, before the copy
            shutil.move(path, tmp_path / "kept.tar")
            os.symlink(outside, path)
            swapped.append(path)
        return real_sparse(path, span)

    monkeypatch.setattr(
        webdataset.SampleStore, "_sparse", staticmethod(swap_then_check)
    )

    result = mel(audio, out, "--format", "webdataset", "--prune")

    assert swapped
    assert result.exit_code == 0, (
        result.stderr
    )  # the old shard stays, as on a full disk
    for shard in shards(out):
        if not shard.is_symlink():
            assert MARK not in shard.read_bytes(), shard.name
    assert outside.read_bytes() == bytes(data)
    again = mel(audio, out, "--format", "webdataset", "--prune")  # a link: rebuilt
    assert again.exit_code == 0, again.stderr
    for shard in shards(out):
        assert not shard.is_symlink() or shard == swapped[0]
        if not shard.is_symlink():
            assert MARK not in shard.read_bytes(), shard.name

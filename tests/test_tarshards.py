"""Tar shards: size bound, atomic close, offsets, readable by tar and webdataset."""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import tarfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from melcli.errors import ParameterError
from melcli.storage.tarshards import (
    ShardWriter,
    Slice,
    iter_members,
    list_shards,
    parse_size,
    read_member,
)
from melcli.storage.webdataset import key_to_path, sample_key
from melcli.write import TEMP_SUFFIX


def npy_bytes(array: np.ndarray) -> bytes:
    f = io.BytesIO()
    np.save(f, array, allow_pickle=False)
    return f.getvalue()


def samples(n: int, seed: int = 0) -> list[tuple[str, bytes, bytes]]:
    """``n`` (key, npy bytes, json bytes) of varied sizes."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        frames = int(rng.integers(1, 120))
        array = rng.standard_normal((16, frames)).astype(np.float32)
        out.append((f"class{i % 3}/clip{i:03d}", npy_bytes(array), b'{"i": %d}' % i))
    return out


# ---------------------------------------------------------------- sizes
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1GB", 10**9),
        ("1gb", 10**9),
        ("500MB", 500 * 10**6),
        ("64MiB", 64 * 2**20),
        ("1.5GiB", int(1.5 * 2**30)),
        ("20000", 20000),
        ("10KiB", 10240),
        (" 2 TB ", 2 * 10**12),
    ],
)
def test_parse_size(text: str, expected: int) -> None:
    assert parse_size(text) == expected


@pytest.mark.parametrize("text", ["", "big", "1XB", "-5MB", "1e9", "MB"])
def test_parse_size_rejects_what_is_not_a_size(text: str) -> None:
    with pytest.raises(ParameterError, match=r"^shard_size=.* must be a size") as exc:
        parse_size(text)
    assert exc.value.param == "shard_size"


def test_parse_size_rejects_less_than_one_record() -> None:
    with pytest.raises(ParameterError, match=r"shard_size='10kB' must be at least"):
        parse_size("10kB")


# ---------------------------------------------------------------- writer
def write_all(
    out: Path, items: list[tuple[str, bytes, bytes]], max_bytes: int
) -> list[tuple[str, dict[str, list[int]], str]]:
    writer = ShardWriter(out, max_bytes=max_bytes)
    closed = []
    for key, npy, meta in items:
        closed += writer.add(key, [("npy", npy), ("json", meta)])
    closed += writer.close()
    return [(k, p.members, s.name) for s in closed for k, p in s.samples]


@pytest.mark.parametrize("max_bytes", [10240, 30000, 100_000, 10**9])
def test_shards_respect_the_bound_and_hold_every_member(
    tmp_path: Path, max_bytes: int
) -> None:
    items = samples(40)
    placed = write_all(tmp_path, items, max_bytes)
    shards = list_shards(tmp_path)
    assert shards == [f"shard-{i:06d}.tar" for i in range(len(shards))]
    held: dict[str, list[str]] = {}
    for name in shards:
        members = list(iter_members(tmp_path / name))
        keys = sorted({n.split(".")[0] for n, _ in members})
        held[name] = keys
        size = os.path.getsize(tmp_path / name)
        # Over the bound only when one sample alone is larger.
        assert size <= max_bytes or len(keys) == 1, (name, size, len(keys))
        assert size % 512 == 0
    # Every sample exactly once, in order, members next to each other.
    flat = [k for name in shards for k in held[name]]
    assert sorted(flat) == sorted(k for k, _, _ in items)
    by_key = {k: (npy, meta) for k, npy, meta in items}
    for key, members, shard in placed:
        npy, meta = by_key[key]
        assert read_member(tmp_path / shard, *members["npy"]) == npy
        assert read_member(tmp_path / shard, *members["json"]) == meta
    if max_bytes == 10**9:
        assert len(shards) == 1
    else:
        # Shards are filled: none but the last could have taken the next sample.
        assert len(shards) > 1


def test_members_are_consecutive_per_key_and_named_key_dot_suffix(
    tmp_path: Path,
) -> None:
    write_all(tmp_path, samples(6), 10**6)
    names = [n for n, _ in iter_members(tmp_path / "shard-000000.tar")]
    assert names[:4] == [
        "class0/clip000.npy",
        "class0/clip000.json",
        "class1/clip001.npy",
        "class1/clip001.json",
    ]


def test_nothing_under_a_final_name_until_closed(tmp_path: Path) -> None:
    writer = ShardWriter(tmp_path, max_bytes=10**6)
    assert os.listdir(tmp_path) == []  # nothing until the first sample
    key, npy, meta = samples(1)[0]
    writer.add(key, [("npy", npy), ("json", meta)])
    (temp,) = os.listdir(tmp_path)
    assert temp.startswith(".shard-000000.tar.")
    assert temp.endswith(TEMP_SUFFIX)
    assert list_shards(tmp_path) == []
    writer.abort()
    assert os.listdir(tmp_path) == []


def test_a_failed_member_leaves_the_earlier_samples_whole(tmp_path: Path) -> None:
    source = tmp_path / "src.bin"
    source.write_bytes(b"x" * 1000)
    out = tmp_path / "out"
    writer = ShardWriter(out, max_bytes=10**6)
    writer.add("a", [("bin", b"first")])
    with pytest.raises(OSError, match="ends 1000 bytes early"):
        # The slice runs past the end of the file: fails halfway through.
        writer.add("b", [("txt", b"ok"), ("bin", Slice(source, 1000, 1000))])
    writer.add("c", [("bin", Slice(source, 10, 20))])
    (shard,) = writer.close()
    assert [(n, d) for n, d in iter_members(shard.path)] == [
        ("a.bin", b"first"),
        ("c.bin", b"x" * 20),
    ]


def test_files_are_copied_from_disk(tmp_path: Path) -> None:
    big = tmp_path / "big.npy"
    array = np.arange(300_000, dtype=np.float32).reshape(100, 3000)
    np.save(big, array)
    out = tmp_path / "out"
    writer = ShardWriter(out, max_bytes=10**9, first_index=7)
    writer.add("x", [("npy", big)])
    (shard,) = writer.close()
    assert shard.name == "shard-000007.tar"
    ((name, data),) = iter_members(shard.path)
    assert name == "x.npy"
    assert data == big.read_bytes()


def test_long_and_non_ascii_names_round_trip(tmp_path: Path) -> None:
    key = "deep/" * 30 + "chœur-合唱"
    writer = ShardWriter(tmp_path, max_bytes=10**6)
    writer.add(key, [("npy", b"1")])
    (done,) = writer.close()
    assert [n for n, _ in iter_members(done.path)] == [f"{key}.npy"]


@pytest.mark.skipif(shutil.which("tar") is None, reason="no tar command here")
def test_plain_tar_lists_and_extracts_the_shard(tmp_path: Path) -> None:
    items = samples(5)
    write_all(tmp_path / "out", items, 10**6)
    shard = tmp_path / "out" / "shard-000000.tar"
    listing = subprocess.run(
        ["tar", "-tf", shard], capture_output=True, text=True, check=True
    )
    assert listing.stderr == ""
    assert listing.stdout.splitlines() == [
        f"{k}.{s}" for k, _, _ in items for s in ("npy", "json")
    ]
    dest = tmp_path / "x"
    dest.mkdir()
    subprocess.run(["tar", "-xf", shard, "-C", dest], check=True)
    for key, npy, meta in items:
        assert (dest / f"{key}.npy").read_bytes() == npy
        assert (dest / f"{key}.json").read_bytes() == meta


def test_python_tarfile_reads_it_as_a_stream(tmp_path: Path) -> None:
    items = samples(5)
    write_all(tmp_path, items, 10**6)
    with (
        open(tmp_path / "shard-000000.tar", "rb") as f,
        tarfile.open(fileobj=f, mode="r|") as tar,
    ):
        names = [info.name for info in tar]
    assert len(names) == 10


# ------------------------------------------------------------------ keys
def _webdataset_split(name: str) -> tuple[str | None, str | None]:
    """How WebDataset splits a member name (webdataset.tariterators.base_plus_ext)."""
    wds = pytest.importorskip("webdataset.tariterators")
    result: tuple[str | None, str | None] = wds.base_plus_ext(name)
    return result


_PATH_CHARS = st.characters(
    blacklist_categories=("Cs",), blacklist_characters="/\x00"
) | st.sampled_from(["\udc80", "\udcff", ".", "%", "_", "\n"])
_COMPONENT = st.text(_PATH_CHARS, min_size=1, max_size=12).filter(
    lambda c: c not in (".", "..")
)


@given(st.lists(_COMPONENT, min_size=1, max_size=4))
def test_keys_reverse_exactly_and_have_no_dots(parts: list[str]) -> None:
    rel = "/".join(parts)
    key = sample_key(rel)
    assert key_to_path(key) == rel
    assert "." not in key
    assert not key.startswith("__")
    key.encode("utf-8")  # a valid tar (pax) name
    assert _webdataset_split(f"{key}.npy") == (key, "npy")


@pytest.mark.parametrize(
    ("rel", "key"),
    [
        ("dogs/bark1", "dogs/bark1"),
        ("dogs/bark.v2", "dogs/bark%2Ev2"),
        ("v1.0/take 5", "v1%2E0/take 5"),
        ("100%", "100%25"),
        ("__init__", "%5F_init__"),
        ("café/naïve", "café/naïve"),
        ("bad\udce9name", "bad%E9name"),
    ],
)
def test_key_examples(rel: str, key: str) -> None:
    assert sample_key(rel) == key
    assert key_to_path(key) == rel


def test_shard_names_never_look_like_anything_else(tmp_path: Path) -> None:
    for name in ["shard-1.tar", "shard-000001.tar.tmp", "x-000001.tar", "shard-0-of-4"]:
        (tmp_path / name).write_bytes(b"")
    (tmp_path / "shard-000001.tar").write_bytes(b"")
    assert list_shards(tmp_path) == ["shard-000001.tar"]
    assert re.fullmatch(r"shard-\d{6}\.tar", "shard-000001.tar")

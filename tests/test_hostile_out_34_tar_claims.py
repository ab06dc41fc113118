"""A shard member claiming more bytes than the file holds is refused, not allocated.

``iter_members`` and ``read_member`` (:mod:`melcli.storage.tarshards`) read a
member whole by the size its tar header (or OUT's manifest) claims: a
crafted shard of ten kilobytes whose header says 2**62 bytes raised
``MemoryError`` (a claim of some gigabytes was taken, then read short).
"""

from __future__ import annotations

import io
import tarfile
import tracemalloc
from pathlib import Path

import pytest

from melcli.storage.tarshards import iter_members, read_member


def _shard_claiming(path: Path, size: int) -> None:
    """Write a tar of one 10-byte member whose header claims ``size`` bytes."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.GNU_FORMAT) as tar:
        info = tarfile.TarInfo("a.npy")
        info.size = 10
        tar.addfile(info, io.BytesIO(b"0123456789"))
    data = bytearray(buffer.getvalue())
    data[124:136] = b"\x80" + size.to_bytes(11, "big")  # base-256, as GNU tar
    data[148:156] = b" " * 8
    data[148:156] = b"%06o\0 " % sum(data[:512])
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("size", [2**62, 2**33, 20_000])
def test_iter_members_refuses_a_member_past_the_end(tmp_path: Path, size: int) -> None:
    shard = tmp_path / "shard-000000.tar"
    _shard_claiming(shard, size)
    with pytest.raises(ValueError, match="past the end of the file"):
        list(iter_members(shard))


@pytest.mark.parametrize(("offset", "size"), [(512, 2**62), (2**62, 10), (-1, 10)])
def test_read_member_refuses_a_member_past_the_end(
    tmp_path: Path, offset: int, size: int
) -> None:
    shard = tmp_path / "shard-000000.tar"
    _shard_claiming(shard, 10)
    with pytest.raises(ValueError, match="no member of"):
        read_member(shard, offset, size)
    assert read_member(shard, 512, 10) == b"0123456789"


def _header_claiming(kind: bytes, size: int) -> bytes:
    """Return a 512-byte tar header of type ``kind`` whose size field says ``size``."""
    block = bytearray(512)
    block[0:14] = b"././@PaxHeader"
    block[100:108], block[108:116], block[116:124] = b"0000644\0", bytes(8), bytes(8)
    block[124:136] = b"\x80" + size.to_bytes(11, "big")  # base-256, as GNU tar
    block[136:148], block[156:157] = b"00000000000\0", kind
    block[257:265] = b"ustar\x0000"
    block[148:156] = b" " * 8
    block[148:156] = b"%06o\0 " % sum(block)
    return bytes(block)


@pytest.mark.parametrize("size", [2**40, 64 << 20])
@pytest.mark.parametrize("kind", [b"x", b"g", b"L", b"K"])
def test_iter_members_refuses_a_header_of_any_type_past_the_end(
    tmp_path: Path, kind: bytes, size: int
) -> None:
    # tarfile reads a pax or GNU long-name header's data whole, at its
    # claimed size, inside 'for info in tar': the claim must not be taken.
    shard = tmp_path / "shard-000000.tar"
    shard.write_bytes(_header_claiming(kind, size) + bytes(512 * 20))
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match="not a tar melcli can read"):
            list(iter_members(shard))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 4 << 20, f"{peak} bytes taken for a {shard.stat().st_size}-byte shard"


def test_iter_members_still_reads_a_shard_with_pax_headers(tmp_path: Path) -> None:
    shard = tmp_path / "shard-000000.tar"
    with tarfile.open(shard, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, data in (("é" * 120 + ".npy", b"abc"), ("b.npy", b"")):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    assert list(iter_members(shard)) == [("é" * 120 + ".npy", b"abc"), ("b.npy", b"")]

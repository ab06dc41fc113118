from __future__ import annotations

import errno
import os
import stat
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pytest

from melcli.write import atomic_write, save_npy


@pytest.mark.parametrize("dtype", [np.float32, np.float16])
def test_save_npy_round_trips_the_exact_array(tmp_path: Path, dtype: type) -> None:
    rng = np.random.default_rng(0)
    array = (rng.standard_normal((3, 128, 7)) * 40 - 20).astype(dtype)
    array[0, 0, :3] = [-80.0, 0.0, np.finfo(dtype).tiny]
    path = tmp_path / "dogs" / "bark1.npy"

    save_npy(path, array)

    loaded = np.load(path, allow_pickle=False)
    assert loaded.dtype == dtype
    assert loaded.shape == (3, 128, 7)
    np.testing.assert_array_equal(loaded, array)


def test_save_npy_keeps_a_strided_transposed_array(tmp_path: Path) -> None:
    array = np.arange(24, dtype=np.float32).reshape(4, 6)[:, ::2].T
    save_npy(tmp_path / "a.npy", array)
    np.testing.assert_array_equal(
        np.load(tmp_path / "a.npy"),
        [[0, 6, 12, 18], [2, 8, 14, 20], [4, 10, 16, 22]],
    )


def _arrays() -> list[np.ndarray]:
    rng = np.random.default_rng(1)
    base = rng.standard_normal((4, 6, 5)).astype(np.float32)
    return [
        base,  # C order
        np.asfortranarray(base),  # Fortran order: written so
        base[:, ::2, 1:].transpose(2, 0, 1),  # neither: written in C order
        base[0, 0],  # one axis: both orders at once
        base.astype(">f8"),  # not this machine's byte order
        base.astype(np.float16)[..., :1],
        np.array(3.5, np.float64),  # no axes
        np.zeros((0, 128), np.float32),  # no elements
        (base > 0),
        base.astype(np.complex64),
        np.arange(-5, 5, dtype=np.int16).reshape(2, 5),
        # Over the single-write size: header and data written apart.
        np.asfortranarray(rng.standard_normal((600, 900))),
        rng.standard_normal((700, 800))[:, ::2],
        np.array(["a", "bc"]),  # not numbers: through numpy.save itself
        np.zeros(3, dtype=[("x", "<f4"), ("y", "<i2")]),
    ]


@pytest.mark.parametrize("index", range(len(_arrays())))
def test_save_npy_writes_the_bytes_numpy_save_writes(
    tmp_path: Path, index: int
) -> None:
    array = _arrays()[index]
    reference = tmp_path / "reference.npy"
    np.save(reference, array, allow_pickle=False)

    save_npy(tmp_path / "out" / "a.npy", array)

    assert (tmp_path / "out" / "a.npy").read_bytes() == reference.read_bytes()
    assert os.listdir(tmp_path / "out") == ["a.npy"]
    np.testing.assert_array_equal(np.load(tmp_path / "out" / "a.npy"), array)


def test_save_npy_takes_a_string_path(tmp_path: Path) -> None:
    save_npy(str(tmp_path / "d" / "a.npy"), np.ones((2, 3), np.float32))
    np.testing.assert_array_equal(np.load(tmp_path / "d" / "a.npy"), np.ones((2, 3)))
    assert os.listdir(tmp_path / "d") == ["a.npy"]


def test_save_npy_over_a_folder_fails_and_leaves_no_temp_file(
    tmp_path: Path,
) -> None:
    (tmp_path / "a.npy").mkdir()
    with pytest.raises(IsADirectoryError):
        save_npy(tmp_path / "a.npy", np.zeros(3, np.float32))
    assert os.listdir(tmp_path) == ["a.npy"]


def test_save_npy_leaves_no_temp_file_when_stopped_before_its_commit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import melcli.write

    path = tmp_path / "a.npy"
    path.write_bytes(b"old contents")

    def stop() -> None:
        raise SystemExit(143)  # a worker whose run is gone (see runners)

    monkeypatch.setattr(melcli.write, "_commit_check", stop)
    with pytest.raises(SystemExit):
        save_npy(path, np.zeros(3, np.float32))
    assert path.read_bytes() == b"old contents"
    assert os.listdir(tmp_path) == ["a.npy"]


def test_save_npy_writes_on_after_a_short_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write = os.write
    calls = []

    def short(fd: int, buffers: list[memoryview]) -> int:
        calls.append(sum(len(b) for b in buffers))
        # A system call may take only part, here across the header's end.
        return write(fd, b"".join(bytes(b) for b in buffers)[:100])

    monkeypatch.setattr(os, "writev", short)
    array = np.arange(1000, dtype=np.float32).reshape(10, 100)
    save_npy(tmp_path / "a.npy", array)
    monkeypatch.undo()
    assert len(calls) > 40
    assert calls[1] == calls[0] - 100  # each call goes on where the last stopped
    np.testing.assert_array_equal(np.load(tmp_path / "a.npy"), array)


def test_save_npy_on_a_full_disk_keeps_the_old_file_and_no_temp_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "a.npy"
    path.write_bytes(b"old contents")

    def full(fd: int, buffers: list[memoryview]) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "writev", full)
    with pytest.raises(OSError, match="No space left"):
        save_npy(path, np.zeros(3, np.float32))
    monkeypatch.undo()
    assert path.read_bytes() == b"old contents"
    assert os.listdir(tmp_path) == ["a.npy"]


def test_save_npy_leaves_only_the_named_file(tmp_path: Path) -> None:
    save_npy(tmp_path / "a.npy", np.zeros(3, np.float32))
    save_npy(tmp_path / "raw.bin", np.ones(3, np.float32))
    assert sorted(os.listdir(tmp_path)) == ["a.npy", "raw.bin"]
    np.testing.assert_array_equal(np.load(tmp_path / "raw.bin"), [1, 1, 1])


def test_save_npy_replaces_an_existing_file(tmp_path: Path) -> None:
    path = tmp_path / "a.npy"
    save_npy(path, np.zeros((2, 2), np.float32))
    save_npy(path, np.full(5, 7, np.float16))
    loaded = np.load(path)
    assert loaded.dtype == np.float16
    np.testing.assert_array_equal(loaded, [7, 7, 7, 7, 7])
    assert os.listdir(tmp_path) == ["a.npy"]


def test_save_npy_refuses_object_arrays_and_leaves_nothing(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="allow_pickle=False"):
        save_npy(tmp_path / "a.npy", np.array([{"x": 1}], dtype=object))
    assert os.listdir(tmp_path) == []


def test_atomic_write_creates_parent_folders(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b c" / "-d" / "out.bin"
    atomic_write(path, lambda f: f.write(b"payload"))
    assert path.read_bytes() == b"payload"
    assert os.listdir(path.parent) == ["out.bin"]


@pytest.mark.parametrize("error", [ValueError, KeyboardInterrupt])
def test_failed_write_leaves_the_old_file_and_no_temp_file(
    tmp_path: Path, error: type[BaseException]
) -> None:
    path = tmp_path / "a.npy"
    path.write_bytes(b"old contents")

    def write(f: BinaryIO) -> None:
        f.write(b"half of the new")
        raise error("disk on fire")

    with pytest.raises(error, match="disk on fire"):
        atomic_write(path, write)

    assert path.read_bytes() == b"old contents"
    assert os.listdir(tmp_path) == ["a.npy"]


def test_failed_first_write_leaves_nothing(tmp_path: Path) -> None:
    def write(f: BinaryIO) -> None:
        raise OSError("no space left")

    with pytest.raises(OSError, match="no space left"):
        atomic_write(tmp_path / "a.npy", write)
    assert os.listdir(tmp_path) == []


def test_writing_over_a_folder_fails_and_leaves_no_temp_file(tmp_path: Path) -> None:
    (tmp_path / "a.npy").mkdir()
    with pytest.raises(IsADirectoryError):
        atomic_write(tmp_path / "a.npy", lambda f: f.write(b"x"))
    assert os.listdir(tmp_path) == ["a.npy"]
    assert (tmp_path / "a.npy").is_dir()


def test_the_final_name_never_holds_a_partial_file(tmp_path: Path) -> None:
    path = tmp_path / "a.npy"
    path.write_bytes(b"old contents")
    seen: list[bytes] = []

    def write(f: BinaryIO) -> None:
        f.write(b"new ")
        f.flush()
        seen.append(path.read_bytes())
        f.write(b"contents")

    atomic_write(path, write)
    assert seen == [b"old contents"]
    assert path.read_bytes() == b"new contents"


@pytest.mark.parametrize(
    ("umask", "mode"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)]
)
@pytest.mark.slow
def test_output_permissions_follow_the_umask(
    tmp_path: Path, umask: int, mode: int
) -> None:
    # melcli.write reads the umask once, at import: set it in a fresh process.
    script = textwrap.dedent(
        f"""
        import os, sys
        from pathlib import Path
        os.umask({umask:#o})
        import numpy as np
        from melcli.write import save_npy
        save_npy(Path(sys.argv[1]), np.zeros(2, np.float32))
        """
    )
    path = tmp_path / "a.npy"
    subprocess.run([sys.executable, "-c", script, str(path)], check=True)
    assert stat.S_IMODE(path.stat().st_mode) == mode

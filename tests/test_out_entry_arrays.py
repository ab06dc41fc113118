"""A crafted ``shape`` or ``params`` in an entry is repaired by the next run.

A run decides by size and time: an entry whose recorded shape or dtype was
changed (the store edited by another program, a ``manifest.jsonl`` or
journal written by hand) kept its array "up to date" for every run, while
every reader (the data loader, ``melcli stats``, the gallery) refused that
array, for good. A run that cannot trust its entries now checks each one's
recorded shape and dtype against its array's header, and rebuilds the input
when they differ. An intact store (melcli's own last commit) is not checked:
the no-op reads no array.
"""

from __future__ import annotations

import io
import json
import os
import sqlite3
from pathlib import Path

import numpy as np
import pytest
from conftest import invoke, mel

from melcli import manifest_db, outdir
from melcli.data import SpectrogramDataset

pytestmark = pytest.mark.usefixtures("isolated")

STORE = manifest_db.STORE_NAME


def shape_of(out: Path, key: str) -> list[int]:
    return list(np.load(out / key, mmap_mode="r").shape)


def edit_store(out: Path, key: str, change: dict[str, object]) -> None:
    """Change fields of ``key``'s stored entry, as another program would."""
    db = sqlite3.connect(out / STORE)
    (text,) = db.execute("SELECT entry FROM entries WHERE key = ?", (key,)).fetchone()
    entry = {**json.loads(text), **change}
    db.execute(
        "UPDATE entries SET entry = ? WHERE key = ?",
        (json.dumps(entry, sort_keys=True), key),
    )
    db.commit()
    db.close()


def assert_repaired(out: Path, audio: Path, stderr: str) -> None:
    assert "1 entry records another array than the one in OUT" in stderr
    assert stderr.splitlines()[-1] == "1 written, 1 up to date."
    assert mel(audio, out).stderr == "0 written, 2 up to date.\n"
    data = SpectrogramDataset(out)
    assert [x.shape for x, _ in (data[i] for i in range(len(data)))]  # all read
    assert "from 2 arrays" in invoke("stats", out).stderr


def test_a_shape_changed_in_the_store_is_rebuilt(built: Path, tmp_path: Path) -> None:
    n_mels, frames = shape_of(built, "dogs/a.npy")
    edit_store(built, "dogs/a.npy", {"shape": [n_mels, frames + 1]})

    result = mel(tmp_path / "audio", built)

    assert_repaired(built, tmp_path / "audio", result.stderr)


def test_a_dtype_changed_in_the_store_is_rebuilt(built: Path, tmp_path: Path) -> None:
    edit_store(built, "dogs/a.npy", {"params": {"dtype": "float16"}})

    result = mel(tmp_path / "audio", built)

    assert_repaired(built, tmp_path / "audio", result.stderr)


def test_a_shape_changed_in_the_view_read_as_truth_is_rebuilt(
    built: Path, tmp_path: Path
) -> None:
    view = built / "manifest.jsonl"
    lines = [json.loads(line) for line in view.read_text().splitlines()]
    for entry in lines:
        if entry["key"] == "dogs/a.npy":
            entry["shape"] = [entry["shape"][0] - 1, entry["shape"][1]]
    (built / "new.jsonl").write_text(
        "".join(json.dumps(e, sort_keys=True) + "\n" for e in lines)
    )
    os.replace(built / "new.jsonl", view)  # another file: read instead of the store

    result = mel(tmp_path / "audio", built)

    assert_repaired(built, tmp_path / "audio", result.stderr)


def test_a_shape_changed_in_a_journal_is_rebuilt(built: Path, tmp_path: Path) -> None:
    """A journal's entries go into the store: the next run trusts them as its own."""
    lines = (built / "manifest.jsonl").read_text().splitlines()
    entry = next(e for e in map(json.loads, lines) if e["key"] == "dogs/a.npy")
    entry["shape"] = [entry["shape"][0], entry["shape"][1] + 3]
    (built / ".melcli-journal.jsonl").write_text(json.dumps(entry) + "\n")

    result = mel(tmp_path / "audio", built)

    assert_repaired(built, tmp_path / "audio", result.stderr)


def test_a_whole_array_swapped_for_another_shape_keeping_its_stamp_is_rebuilt(
    built: Path, tmp_path: Path
) -> None:
    """Of the same size and time, with the store edited: the header is read."""
    array = built / "dogs/a.npy"
    st = array.stat()
    S = np.load(array)
    with open(array, "wb") as f:  # the same bytes, another shape
        np.save(f, S.reshape(S.shape[1], S.shape[0]))
    os.utime(array, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert array.stat().st_size == st.st_size
    edit_store(built, "cats/b.npy", {"melcli": "0.0.1"})  # store not intact

    result = mel(tmp_path / "audio", built)

    assert_repaired(built, tmp_path / "audio", result.stderr)


def test_an_intact_store_reads_no_array_header(
    built: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The no-op's cost: melcli's own store is trusted, no array is opened."""
    calls: list[str] = []
    real = outdir.array_differs

    def counted(path: str, recorded: outdir.Recorded) -> bool:
        calls.append(path)
        return real(path, recorded)

    monkeypatch.setattr("melcli.manifest.array_differs", counted)
    assert mel(tmp_path / "audio", built).stderr == "0 written, 2 up to date.\n"
    assert calls == []
    edit_store(built, "dogs/a.npy", {"melcli": "0.0.1"})
    assert mel(tmp_path / "audio", built).stderr == "0 written, 2 up to date.\n"
    assert len(calls) == 2  # not intact: each checked, each agrees


def npy_bytes(array: np.ndarray, *, version: tuple[int, int] | None = None) -> bytes:
    f = io.BytesIO()
    if version is None:
        np.save(f, array)
    else:
        np.lib.format.write_array(f, array, version=version)
    return f.getvalue()


@pytest.mark.parametrize(
    ("data", "recorded", "differs"),
    [
        (npy_bytes(np.zeros((4, 3), np.float32)), ((4, 3), "float32"), False),
        (npy_bytes(np.zeros((4, 3), np.float32)), ((4, 3), None), False),
        (npy_bytes(np.zeros((4, 3), np.float32)), ((3, 4), "float32"), True),
        (npy_bytes(np.zeros((4, 3), np.float32)), ((4, 3), "float64"), True),
        (npy_bytes(np.zeros((4, 3), np.float32))[:-1], ((4, 3), "float32"), True),
        (npy_bytes(np.zeros((4, 3), np.float32)) + b"x", ((4, 3), "float32"), True),
        (
            npy_bytes(np.zeros((4, 3), np.float32), version=(2, 0)),
            ((4, 3), "float32"),
            False,
        ),
        (
            npy_bytes(np.zeros((4, 3), np.float32), version=(2, 0)),
            ((4, 2), "float32"),
            True,
        ),
        (
            npy_bytes(np.asfortranarray(np.zeros((4, 3), np.float32))),
            ((4, 3), "float32"),
            False,
        ),
        (npy_bytes(np.zeros((4, 3), ">f4")), ((4, 3), "float32"), True),
        (b"not an array at all", ((4, 3), "float32"), True),
        (b"", ((4, 3), "float32"), True),
    ],
)
def test_array_differs(
    tmp_path: Path, data: bytes, recorded: outdir.Recorded, differs: bool
) -> None:
    path = tmp_path / "a.npy"
    path.write_bytes(data)
    assert outdir.array_differs(str(path), recorded) is differs


def test_array_differs_leaves_what_is_no_file_to_the_stamps(tmp_path: Path) -> None:
    recorded = ((4, 3), "float32")
    assert not outdir.array_differs(str(tmp_path / "missing.npy"), recorded)
    os.mkfifo(tmp_path / "fifo.npy")  # not waited on
    assert not outdir.array_differs(str(tmp_path / "fifo.npy"), recorded)
    (tmp_path / "real.npy").write_bytes(npy_bytes(np.zeros((1,), np.float32)))
    os.symlink(tmp_path / "real.npy", tmp_path / "link.npy")  # not followed
    assert not outdir.array_differs(str(tmp_path / "link.npy"), recorded)


def test_an_entry_whose_array_differs_and_input_is_gone_is_pruned(
    built: Path, tmp_path: Path
) -> None:
    """Marked failed, not dropped: its array is still its own to delete."""
    edit_store(built, "dogs/a.npy", {"shape": [1, 1]})
    (tmp_path / "audio/dogs/a.wav").unlink()

    dry = mel(tmp_path / "audio", built, "--dry-run", "--prune")
    assert dry.stdout == f"would delete {built / 'dogs/a.npy'}: its input is gone\n"
    assert (built / "dogs/a.npy").exists()
    result = mel(tmp_path / "audio", built, "--prune")

    assert result.exit_code == 0
    assert not (built / "dogs/a.npy").exists()
    assert mel(tmp_path / "audio", built).stderr == "0 written, 1 up to date.\n"

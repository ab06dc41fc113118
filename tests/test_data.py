"""SpectrogramDataset: the arrays of an output folder, with labels, for training."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from click.testing import CliRunner, Result
from conftest import noise, tone

import melcli
from melcli import MelcliError, MelParams, ParameterError
from melcli.cli import cli
from melcli.data import SpectrogramDataset

pytestmark = pytest.mark.usefixtures("isolated")

SR = 16000
SMALL = ("--sr", str(SR), "--n-mels", "24", "--n-fft", "512")
PARAMS = MelParams(sr=SR, n_mels=24, n_fft=512)
#: ESC-50's columns; 'target' is the class number, 'category' its name.
ROWS = [
    ("1-100038-A-14.wav", "1", "14", "chirping_birds", 0.5),
    ("1-100210-A-36.wav", "1", "36", "vacuum_cleaner", 0.7),
    ("2-102414-C-17.wav", "2", "17", "pouring_water", 0.4),
    ("2-104105-A-36.wav", "2", "36", "vacuum_cleaner", 0.9),
    ("3-1 with space-A-14.wav", "3", "14", "chirping_birds", 0.3),
]


def mel(*args: object) -> Result:
    argv = ["mel", "-j", "1", *SMALL, *(str(a) for a in args)]
    return CliRunner().invoke(cli, argv, catch_exceptions=False)


def ok(result: Result) -> Result:
    assert result.exit_code == 0, result.stderr
    return result


@pytest.fixture
def esc50(tmp_path: Path) -> Path:
    """``audio/*.wav`` and ``meta/esc50.csv``, as ESC-50 ships them."""
    for i, (name, _fold, target, _category, seconds) in enumerate(ROWS):
        y = tone(200.0 + 40 * int(target), sr=SR, seconds=seconds) + 0.1 * noise(
            sr=SR, seconds=seconds, seed=i
        )
        path = tmp_path / "esc50/audio" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        sf.write(path, y, SR)
    table = tmp_path / "esc50/meta/esc50.csv"
    table.parent.mkdir()
    with open(table, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["filename", "fold", "target", "category", "esc10"])
        for name, fold, target, category, _ in ROWS:
            writer.writerow([name, fold, target, category, "False"])
    return tmp_path / "esc50"


def expected_rows(esc50: Path) -> dict[str, dict[str, str]]:
    with open(esc50 / "meta/esc50.csv", newline="") as f:
        return {row["filename"]: row for row in csv.DictReader(f)}


@pytest.mark.parametrize("fmt", ["npy", "webdataset"])
def test_esc50_through_files_from_gives_every_item_its_label(
    esc50: Path, tmp_path: Path, fmt: str
) -> None:
    out = tmp_path / "out"
    table = esc50 / "meta/esc50.csv"
    ok(mel("--files-from", table, "--path-column", "filename",
           "--root", esc50 / "audio", "-o", out, "--format", fmt))  # fmt: skip

    ds = SpectrogramDataset(out, label_column="category")
    rows = expected_rows(esc50)
    assert len(ds) == len(rows)
    assert ds.classes == ["chirping_birds", "pouring_water", "vacuum_cleaner"]
    seen = set()
    for i in range(len(ds)):
        x, info = ds[i]
        row = rows[info["source"]]
        seen.add(info["source"])
        assert info["class"] == row["category"]
        assert ds.classes[info["label"]] == row["category"]
        assert info["meta"] == {k: v for k, v in row.items() if k != "filename"}
        reference = melcli.mel_spectrogram(
            esc50 / "audio" / info["source"], params=PARAMS
        )
        np.testing.assert_allclose(x, reference, rtol=1e-5, atol=1e-4)
    assert seen == set(rows)

    by_target = SpectrogramDataset(out, label_column="target")
    assert by_target.classes == ["14", "17", "36"]  # as numbers, not as text
    for _, info in by_target:
        assert info["class"] == rows[info["source"]]["target"]
        assert by_target.classes[info["label"]] == rows[info["source"]]["target"]


def test_esc50_from_standard_input_and_the_python_api(
    esc50: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # find audio -name '*.wav' | melcli mel --files-from - -o out/
    monkeypatch.chdir(esc50)
    names = "".join(f"audio/{row[0]}\n" for row in ROWS)
    result = CliRunner().invoke(
        cli, ["mel", "--files-from", "-", "-o", "out", "-j", "1", *SMALL], input=names
    )
    assert result.exit_code == 0, result.stderr
    assert sorted(p.name for p in (esc50 / "out/audio").iterdir()) == sorted(
        row[0].replace(".wav", ".npy") for row in ROWS
    )
    api_out = tmp_path / "api"
    report = melcli.run(
        [], api_out, params=PARAMS, jobs=1, files_from=esc50 / "meta/esc50.csv",
        root=esc50 / "audio",
    )  # fmt: skip
    assert report.exit_code == 0, report.summary()
    lines = (api_out / "manifest.jsonl").read_text().splitlines()
    entries = [json.loads(line) for line in lines]
    assert {e["source"]: e["meta"]["category"] for e in entries} == {
        row[0]: row[3] for row in ROWS
    }
    again = melcli.run(
        [], api_out, params=PARAMS, jobs=1, files_from=esc50 / "meta/esc50.csv",
        root=esc50 / "audio",
    )  # fmt: skip
    assert again.summary() == f"0 written, {len(ROWS)} up to date."


def test_labels_from_the_first_folder_and_a_given_class_list(tmp_path: Path) -> None:
    for rel in ("dogs/a.wav", "dogs/deep/b.wav", "cats/c.wav", "top.wav"):
        path = tmp_path / "audio" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        sf.write(path, tone(sr=SR, seconds=0.3), SR)
    out = tmp_path / "out"
    ok(mel(tmp_path / "audio", "-o", out))
    ds = SpectrogramDataset(out)
    assert ds.classes == ["cats", "dogs"]
    got = {info["source"]: (info["class"], info["label"]) for _, info in ds}
    assert got == {
        "cats/c.wav": ("cats", 0),
        "dogs/a.wav": ("dogs", 1),
        "dogs/deep/b.wav": ("dogs", 1),
        "top.wav": ("", -1),
    }
    assert ds.labels == [0, 1, 1, -1]
    fixed = SpectrogramDataset(out, classes=["dogs", "cats", "birds"])
    assert fixed.labels == [1, 0, 0, -1]
    with pytest.raises(MelcliError, match="classes not in the list given: dogs"):
        SpectrogramDataset(out, classes=["cats"])
    with pytest.raises(MelcliError, match="has no column 'category'"):
        SpectrogramDataset(out, label_column="category")


@pytest.fixture
def lengths(tmp_path: Path) -> Path:
    """An output folder of three arrays of different lengths, with stats."""
    for i, seconds in enumerate((0.2, 0.5, 1.0)):
        path = tmp_path / "audio" / f"c{i}/x.wav"
        path.parent.mkdir(parents=True)
        sf.write(path, noise(sr=SR, seconds=seconds, seed=i), SR)
    out = tmp_path / "out"
    ok(mel(tmp_path / "audio", "-o", out, "--stats"))
    return out


def test_normalisation_uses_stats_npz(lengths: Path) -> None:
    plain = SpectrogramDataset(lengths)
    normed = SpectrogramDataset(lengths, normalize=True)
    stats = np.load(lengths / "stats.npz")
    frames = np.concatenate([x for x, _ in plain], axis=-1).astype(np.float64)
    np.testing.assert_allclose(stats["mean"], frames.mean(axis=1), rtol=1e-5)
    together = np.concatenate([x for x, _ in normed], axis=-1)
    np.testing.assert_allclose(together.mean(axis=1), 0.0, atol=1e-4)
    np.testing.assert_allclose(together.std(axis=1), 1.0, rtol=1e-3)
    with pytest.raises(MelcliError, match="cannot read"):
        SpectrogramDataset(lengths, normalize=lengths / "nope.npz")


def test_fixed_length_crops_and_pads(lengths: Path) -> None:
    plain = [x for x, _ in SpectrogramDataset(lengths)]
    widths = [x.shape[-1] for x in plain]
    n = sorted(widths)[1]  # one shorter, one as long, one longer
    for crop in ("start", "center", "random"):
        ds = SpectrogramDataset(lengths, frames=n, crop=crop, seed=0)
        batch = np.stack([x for x, _ in ds])
        assert batch.shape == (3, 24, n)
        for x, full in zip(batch, plain, strict=True):
            if full.shape[-1] < n:  # padded with its own floor
                np.testing.assert_array_equal(x[:, : full.shape[-1]], full)
                assert (x[:, full.shape[-1] :] == full.min()).all()
            elif full.shape[-1] == n:
                np.testing.assert_array_equal(x, full)
            else:  # a window of the array
                starts = [
                    s
                    for s in range(full.shape[-1] - n + 1)
                    if np.array_equal(full[:, s : s + n], x)
                ]
                assert starts, crop
                if crop == "start":
                    assert starts[0] == 0
                if crop == "center":
                    assert (full.shape[-1] - n) // 2 in starts
    padded = SpectrogramDataset(lengths, frames=max(widths) + 5, pad_value=-123.0)
    assert (padded[0][0][:, -5:] == -123.0).all()
    with pytest.raises(ParameterError, match="frames=0"):
        SpectrogramDataset(lengths, frames=0)
    with pytest.raises(ParameterError, match="crop='middle'"):
        SpectrogramDataset(lengths, crop="middle")


def test_a_manifest_naming_paths_outside_out_is_refused(
    lengths: Path, tmp_path: Path
) -> None:
    secret = tmp_path / "secret.npy"
    np.save(secret, np.zeros((24, 3), dtype=np.float32))
    manifest = lengths / "manifest.jsonl"
    entries = [json.loads(line) for line in manifest.read_text().splitlines()]
    entries[0]["stamps"] = {"../secret.npy": [1, 1]}
    manifest.write_text("".join(json.dumps(e) + "\n" for e in entries))
    with pytest.raises(MelcliError, match=r"dropped 1 invalid entry.*outside OUT"):
        SpectrogramDataset(lengths)
    (lengths / "link.npy").symlink_to(secret)
    entries[0]["stamps"] = {"link.npy": [1, 1]}
    manifest.write_text("".join(json.dumps(e) + "\n" for e in entries))
    with pytest.raises(MelcliError, match="outside"):
        SpectrogramDataset(lengths)
    shutil.rmtree(lengths)
    lengths.mkdir()
    with pytest.raises(MelcliError, match=r"no manifest\.jsonl"):
        SpectrogramDataset(lengths)


def test_crafted_shard_members_are_refused(esc50: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    ok(mel("--files-from", esc50 / "meta/esc50.csv", "--root", esc50 / "audio",
           "-o", out, "--format", "webdataset"))  # fmt: skip
    manifest = out / "manifest.jsonl"
    entries = [json.loads(line) for line in manifest.read_text().splitlines()]
    entries[0]["members"]["npy"] = ["0", 10]
    manifest.write_text("".join(json.dumps(e) + "\n" for e in entries))
    with pytest.raises(MelcliError, match="dropped 1 invalid entry"):
        SpectrogramDataset(out)
    entries[0]["members"]["npy"] = [0, 10]  # the tar header, not an array
    manifest.write_text("".join(json.dumps(e) + "\n" for e in entries))
    ds = SpectrogramDataset(out)
    with pytest.raises(MelcliError, match=r"shard-\d+\.tar"):
        ds[0]


def test_a_torch_dataloader_batches_it(lengths: Path) -> None:
    torch = pytest.importorskip("torch")
    from torch.utils.data import DataLoader

    ds = SpectrogramDataset(lengths, frames=10)
    x, info = next(iter(DataLoader(ds, batch_size=3)))
    assert tuple(x.shape) == (3, 24, 10)
    assert x.dtype == torch.float32
    assert info["label"].tolist() == [0, 1, 2]
    assert info["class"] == ["c0", "c1", "c2"]


@pytest.mark.parametrize("storage", [(), ("--format", "webdataset")])
def test_each_segment_file_is_an_item(tmp_path: Path, storage: tuple[str, ...]) -> None:
    path = tmp_path / "audio/dogs/long.wav"
    path.parent.mkdir(parents=True)
    sf.write(path, noise(sr=SR, seconds=1.3), SR)
    out = tmp_path / "out"
    ok(mel(tmp_path / "audio", "-o", out, "--segment", "0.5",
           "--segment-layout", "files", *storage))  # fmt: skip
    ds = SpectrogramDataset(out)
    paths = [info["path"] for _, info in ds]
    assert paths == ["dogs/long.000.npy", "dogs/long.001.npy", "dogs/long.002.npy"]
    assert ds.labels == [0, 0, 0]
    assert {info["source"] for _, info in ds} == {"dogs/long.wav"}
    assert len({x.tobytes() for x, _ in ds}) == 3  # three different windows

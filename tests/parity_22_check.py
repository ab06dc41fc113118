"""Run each ``melcli`` command and its Python API on the same small audio; compare.

Not a test module (no ``test_`` prefix): a script for the parity audit, run as
``PYTHONPATH=$PWD python tests/parity_22_check.py [case...]`` from the
worktree. Prints one line per pair: ``same`` or what differs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

import melcli
from melcli.render import RenderParams

ENV = {
    k: v
    for k, v in os.environ.items()
    if not k.startswith("MELCLI_") and k != "PYTHONSTARTUP"
}
ENV["MELCLI_PROGRESS_INTERVAL"] = "0"
TIMES = {"elapsed", "elapsed_seconds", "seconds", "files_per_second", "wall_seconds"}


def make_audio(root: Path) -> Path:
    src = root / "audio"
    rng = np.random.default_rng(0)
    shapes = [
        ("dogs", 22050, 1, 1.0),
        ("dogs", 16000, 2, 0.7),
        ("cats", 44100, 1, 1.3),
        ("cats", 8000, 1, 0.3),
    ]
    for i, (folder, sr, ch, seconds) in enumerate(shapes):
        (src / folder).mkdir(parents=True, exist_ok=True)
        y = 0.3 * rng.standard_normal((int(sr * seconds), ch)).astype(np.float32)
        sf.write(src / folder / f"clip{i}.wav", y, sr, subtype="PCM_16")
    (src / "cats" / "broken.wav").write_bytes(b"RIFF\x10\x00\x00\x00WAVEfmt ")
    return src


def cli(*args: object, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "melcli", *map(str, args)],
        cwd=cwd,
        env=ENV,
        capture_output=True,
        text=True,
        check=False,
    )


def tree(out: Path) -> dict[str, bytes]:
    """Every output file under ``out`` (the bytes of arrays), bookkeeping left out."""
    files = {}
    for path in sorted(out.rglob("*")):
        rel = path.relative_to(out).as_posix()
        if path.is_dir() or rel.startswith(("manifest", ".melcli", "gallery/")):
            continue
        if path.suffix == ".npy":
            files[rel] = np.load(path).tobytes()
        elif path.suffix == ".npz":
            with np.load(path, allow_pickle=False) as z:
                files[rel] = b"".join(
                    z[k].tobytes() for k in sorted(z.files) if z[k].dtype != object
                )
        elif path.suffix in (".png", ".tar"):
            files[rel] = path.suffix.encode()  # compared by name only
        else:
            files[rel] = path.read_bytes()
    return files


def compare(name: str, a: object, b: object) -> bool:
    if a == b:
        print(f"same     {name}")
        return True
    print(f"DIFFERS  {name}\n   cli: {str(a)[:900]}\n   api: {str(b)[:900]}")
    return False


def json_rows(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def untimed(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k not in TIMES}


def mel_pair(
    root: Path, src: Path, label: str, options: list[str], api: Callable[[Path], Any]
) -> None:
    a, b = root / f"cli-{label}", root / f"api-{label}"
    done = cli("mel", src, "-o", a, "-j", "1", "--json", *options, cwd=root)
    try:
        report = api(b)
    except Exception as exc:
        print(f"RAISED   mel {label}: {type(exc).__name__}: {exc}")
        return
    compare(f"mel {label}: files", tree(a), tree(b))
    rows = json_rows(done.stdout)
    row = untimed(rows[-1]) if rows else {"stderr": done.stderr}
    mine = untimed(json.loads(json.dumps(report.to_json()))) if report else {}
    row.pop("out", None), mine.pop("out", None)
    compare(f"mel {label}: --json vs to_json()", row, mine)
    compare(
        f"mel {label}: exit status", done.returncode, getattr(report, "exit_code", 0)
    )


def mel_cases(src: Path) -> list[tuple[str, list[str], Callable[[Path], Any]]]:
    P = melcli.MelParams
    run = melcli.run
    return [
        ("default", [], lambda o: run([src], o, jobs=1)),
        (
            "n-mels-sr",
            ["--n-mels", "40", "--sr", "16000", "--fmax", "none", "--top-db", "none"],
            lambda o: run(
                [src], o, jobs=1, params=P(n_mels=40, sr=16000, fmax=None, top_db=None)
            ),
        ),
        (
            "preset-override",
            ["--preset", "whisper", "--n-mels", "128", "--clip-duration", "1"],
            lambda o: run(
                [src],
                o,
                jobs=1,
                params=melcli.preset_params("whisper", n_mels=128, clip_duration=1.0),
            ),
        ),
        (
            "mfcc-nomono-f16",
            ["--kind", "mfcc", "--no-mono", "--dtype", "float16"],
            lambda o: run(
                [src], o, jobs=1, params=P(kind="mfcc", mono=False, dtype="float16")
            ),
        ),
        (
            "fbank",
            ["--kind", "fbank", "--cmvn", "mean-var", "--sr", "16000"],
            lambda o: run(
                [src], o, jobs=1, params=P(kind="fbank", cmvn="mean-var", sr=16000)
            ),
        ),
        (
            "segments-files",
            ["--segment", "0.25", "--segment-layout", "files"],
            lambda o: run(
                [src], o, jobs=1, params=P(segment=0.25, segment_layout="files")
            ),
        ),
        (
            "png-image",
            ["--png", "--png-style", "image"],
            lambda o: run(
                [src], o, jobs=1, png=True, render=RenderParams(style="image")
            ),
        ),
        (
            "selection",
            ["--include", "dogs/*", "--ext", "wav"],
            lambda o: run([src], o, jobs=1, include=["dogs/*"], extensions="wav"),
        ),
        (
            "min-duration-stats",
            ["--min-duration", "0.5", "--stats"],
            lambda o: run([src], o, jobs=1, params=P(min_duration=0.5), stats=True),
        ),
        (
            "webdataset",
            ["--format", "webdataset"],
            lambda o: run([src], o, jobs=1, storage_format="webdataset"),
        ),
        ("dry-run", ["--dry-run"], lambda o: run([src], o, jobs=1, dry_run=True)),
        (
            "inapplicable",
            ["--n-mfcc", "13"],
            lambda o: run([src], o, jobs=1, params=P(n_mfcc=13)),
        ),
        ("shard", ["--shard", "0/2"], lambda o: run([src], o, jobs=1, shard="0/2")),
    ]


def arrays_pairs(root: Path, src: Path) -> None:
    """Each array a run wrote equals melcli.mel_spectrogram of its file."""
    P = melcli.MelParams
    for label, params in [
        ("default", P()),
        ("n-mels-sr", P(n_mels=40, sr=16000, fmax=None, top_db=None)),
        ("mfcc-nomono-f16", P(kind="mfcc", mono=False, dtype="float16")),
        ("fbank", P(kind="fbank", cmvn="mean-var", sr=16000)),
        (
            "preset-override",
            melcli.preset_params("whisper", n_mels=128, clip_duration=1.0),
        ),
    ]:
        out = root / f"cli-{label}"
        same = []
        for wav in sorted(src.rglob("clip*.wav")):
            npy = out / wav.relative_to(src).with_suffix(".npy")
            x = melcli.mel_spectrogram(wav, params=params)
            same.append(np.load(npy).tobytes() == x.tobytes())
        compare(
            f"mel {label}: arrays == mel_spectrogram(path)", [True] * len(same), same
        )


def other_pairs(root: Path, src: Path) -> None:
    # info
    done = cli("info", src, "--json", cwd=root)
    inv = melcli.info([src])
    compare(
        "info --json rows", json_rows(done.stdout), json.loads(json.dumps(inv.rows))
    )
    compare("info exit", done.returncode, inv.exit_code)
    done = cli("info", src, "--json", "--summary", cwd=root)
    compare("info --summary --json", json_rows(done.stdout), [inv.summary()])
    # stats, on the default run's OUT
    out = root / "cli-default"
    done = cli("stats", out, "--json", cwd=root)
    row = json_rows(done.stdout)
    got = melcli.write_stats(out)
    mine = {
        "arrays": len(got.files),
        "count": got.count,
        "n_bands": len(got.mean),
        **{k: getattr(got, k).tolist() for k in ("mean", "std", "min", "max")},
    }
    compare(
        "stats --json",
        [untimed(r) | {"path": None} for r in row],
        [mine | {"path": None}],
    )
    if hasattr(got, "to_json"):
        compare("stats --json vs to_json()", row, [got.to_json()])
    else:
        print("MISSING  stats: DatasetStats has no to_json() (the CLI builds --json)")
    # merge, of two shards
    two = root / "sharded"
    for i in range(2):
        cli("mel", src, "-o", two, "-j", "1", "--shard", f"{i}/2", cwd=root)
    done = cli("merge", two, src, "--json", cwd=root)
    cli_merge = json_rows(done.stdout)
    again = melcli.merge(two, sources=[src])
    compare("merge --json vs to_json()", cli_merge, [again.to_json()])
    compare("merge exit", done.returncode, again.exit_code)
    # gallery
    done = cli("gallery", out, "--json", "-j", "1", cwd=root)
    report = melcli.build_gallery(out, jobs=1)
    a = [untimed(r) for r in json_rows(done.stdout)]
    b = untimed(json.loads(json.dumps(report.to_json())))
    for r in a:
        r.pop("drawn", None), r.pop("reused", None)
    b.pop("drawn", None), b.pop("reused", None)
    compare("gallery --json vs to_json() (drawn/reused aside)", a, [b])
    # presets
    done = cli("presets", "--json", cwd=root)
    from melcli.presets import PRESETS

    if all(hasattr(p, "to_json") for p in PRESETS.values()):
        compare(
            "presets --json",
            json_rows(done.stdout),
            [p.to_json() for p in PRESETS.values()],
        )
    else:
        print("MISSING  presets: no API giving the rows 'presets --json' prints")


def main() -> None:
    root = Path(tempfile.mkdtemp(prefix="parity22-"))
    src = make_audio(root)
    only = sys.argv[1:]
    for label, options, api in mel_cases(src):
        if not only or label in only:
            mel_pair(root, src, label, options, api)
    if not only:
        arrays_pairs(root, src)
    if not only or "other" in only:
        other_pairs(root, src)
    print(f"(in {root})")


if __name__ == "__main__":
    main()

"""(g) gallery: melcli gallery on a large output, against the run it shows."""

from __future__ import annotations

import json
from pathlib import Path

from data import CLIP_SECONDS, GALLERY_DISTINCT, Dataset, warm_page_cache
from harness import (
    Check,
    Config,
    Outcome,
    fresh_output,
    log,
    melcli_command,
    melcli_mel,
    remove,
    run_process,
    table,
)

TARGET_GALLERY = 0.1  # (g) gallery build / the run it shows, at most
TARGET_FIRST_PAGE_MB = 2.0  # (g) index.html + first data page + its pictures, MB


def gallery(cfg: Config, dataset: Dataset) -> Outcome:
    """(g) ``melcli gallery`` on a large output, against the run that made it."""
    src = dataset.linked_set(cfg.gallery_files)
    warm_page_cache(src)
    with fresh_output("gallery") as out:
        log(f"(g) melcli mel on {cfg.gallery_files} files")
        the_run = run_process(melcli_mel(src)(out))
        gallery_command = [*melcli_command(), "gallery", str(out), "-q"]
        log("(g) melcli gallery --no-waveforms; with them; then again, unchanged")
        bare = run_process([*gallery_command, "--no-waveforms"])
        remove(out / "gallery")
        first = run_process(gallery_command)
        again = run_process(gallery_command)
        weight = first_page_bytes(out / "gallery")
        pages = len(list((out / "gallery" / "data").glob("page-*.js")))
        log("(g) melcli gallery of an older output: no recorded waveforms")
        forget_waveforms(out / "manifest.jsonl")
        remove(out / "gallery")
        older = run_process(gallery_command)
    ratio = first.seconds / the_run.seconds
    rows = [
        ["melcli mel (the run)", f"{the_run.seconds:.1f}", "1"],
        [
            "melcli gallery --no-waveforms",
            f"{bare.seconds:.1f}",
            f"{bare.seconds / the_run.seconds:.3f}",
        ],
        ["melcli gallery", f"{first.seconds:.1f}", f"{ratio:.3f}"],
        [
            "melcli gallery, up to date",
            f"{again.seconds:.1f}",
            f"{again.seconds / the_run.seconds:.3f}",
        ],
        [
            "melcli gallery, older output",
            f"{older.seconds:.1f}",
            f"{older.seconds / the_run.seconds:.3f}",
        ],
    ]
    mb = weight / 1e6
    lines = [
        f"(g) gallery: {cfg.gallery_files} inputs (the {CLIP_SECONDS}-second "
        f"clips of (a), {min(cfg.gallery_files, GALLERY_DISTINCT)} distinct), "
        "one round",
        *table(["command", "seconds", "/ run"], rows),
        f"first page: {mb:.2f} MB (index.html, the first of {pages} data pages, "
        "and every picture that page shows)",
    ]
    checks = [
        Check(
            "g",
            "gallery / run",
            ratio,
            f"{ratio:.3f}",
            f"<= {TARGET_GALLERY:g}",
            ratio <= TARGET_GALLERY,
        ),
        Check(
            "g",
            "first page MB",
            mb,
            f"{mb:.2f}",
            f"<= {TARGET_FIRST_PAGE_MB:g}",
            mb <= TARGET_FIRST_PAGE_MB,
        ),
    ]
    data = {
        "files": cfg.gallery_files,
        "run_seconds": the_run.seconds,
        "gallery_seconds": first.seconds,
        "gallery_no_waveforms_seconds": bare.seconds,
        "gallery_again_seconds": again.seconds,
        "gallery_older_output_seconds": older.seconds,
        "ratio": ratio,
        "first_page_bytes": weight,
        "pages": pages,
    }
    return Outcome(data=data, checks=checks, lines=lines)


def forget_waveforms(manifest: Path) -> None:
    """Make OUT look written by a melcli that recorded no waveform.

    The gallery then reads every source, as it did before runs recorded them.
    """
    lines = []
    for line in manifest.read_text().splitlines():
        entry = json.loads(line)
        entry.pop("wave", None)
        lines.append(json.dumps(entry, sort_keys=True) + "\n")
    manifest.write_text("".join(lines))


def first_page_bytes(gallery_dir: Path) -> int:
    """Bytes a browser loads for the gallery's first page, if it loads every picture.

    index.html, the first data page of inputs and of failures, and each picture
    the first page links to (lazy loading would load fewer).
    """
    import re

    data = gallery_dir / "data"
    files = [gallery_dir / "index.html"]
    files += [*data.glob("page-00000-*.js"), *data.glob("problems-00000-*.js")]
    page = next(data.glob("page-00000-*.js")).read_text()
    for url in sorted(set(re.findall(r'"i":"([^"]+)"', page))):
        files.append(gallery_dir / url)  # waveforms are data in the page itself
    return sum(p.stat().st_size for p in files)

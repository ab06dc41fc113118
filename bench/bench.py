"""melcli's benchmark: melcli against the hand-written librosa loop, side by side.

    python bench/bench.py [--quick] [--only a,b,c,d,e,p,r,k,f,g] [--json PATH] ...

Workloads (see bench/README.md):

    a  throughput: N 10-second stereo 44.1 kHz WAV files in class folders
    b  the same with PNG renders, on a subset
    c  start-up: one 1-second file, start to finish
    d  one long file (60 minutes): peak memory and accuracy
    e  scaling: -j 1 against every CPU, and N/2 against N files; the workload ceiling
    p  melcli's per-stage profile, in process
    r  incremental: an up-to-date re-run against the first run
    k  cluster: --scheduler local (Dask, 1 and 2 workers) against the local pool
    f  the floor: melcli -j 1 per file against each stage alone (bench/floor.py)
    h  --kind fbank on the long file: peak memory, accuracy, and time against
       kaldi-native-fbank streaming the same file
    i  --preset ast throughput against a loop over AST's extractor (numpy path)
    g  gallery: `melcli gallery` on a large output (20 000 clips) against the run

Every contender is a whole process (imports included, as a user pays them),
run into a fresh temporary output folder; contenders alternate within each
round and the report gives medians and ratios. The test audio is generated
deterministically into a cache folder (``bench/.data/``) on first use.

The report (machine facts, tables, target checks) goes to stdout; progress goes
to stderr. Exit status: 0 when every selected workload ran and melcli's arrays
agree with the baseline's, 1 otherwise. Missed performance targets are shown
as FAIL in the table but do not change the exit status.

The code: ``data.py`` generates the test audio, ``harness.py`` runs and times
the contenders and compares their outputs, ``workloads/`` holds one module per
workload (registered in ``workloads/__init__.py``), ``report.py`` prints the
machine facts and the target checks and writes the JSON.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from data import DEFAULT_DATA, Dataset
from harness import Check, Config, log, scratch_root
from report import checks_lines, facts_lines, machine_facts, say, write_json
from workloads import WORKLOADS
from workloads.floor import FLOOR_WORKLOADS

#: Sizes by default, and with --quick (options given explicitly win over both).
FULL: dict[str, Any] = {
    "files": 300,
    "scale_files": 600,
    "png_files": 100,
    "profile_files": 30,
    "rounds": 3,
    "throughput_rounds": 8,
    "startup_rounds": 7,
    "long_minutes": 60.0,
    "floor_files": 240,
    "floor_wav_files": 600,
    "short_files": 4800,
    "floor_rounds": 8,
    "gallery_files": 20_000,
    "scale_sizes": "10000,100000",
}
QUICK: dict[str, Any] = {
    "files": 6,
    "scale_files": 6,
    "png_files": 3,
    "profile_files": 3,
    "rounds": 1,
    "throughput_rounds": 1,
    "startup_rounds": 1,
    "long_minutes": 1.0,
    "floor_files": 4,
    "floor_wav_files": 4,
    "short_files": 6,
    "floor_rounds": 1,
    "gallery_files": 60,
    "scale_sizes": "200,600",
}


def run_all(cfg: Config) -> int:
    """Run the selected workloads, print the report, write the JSON; exit status."""
    facts = machine_facts()
    with scratch_root(cfg.data) as (_, where):
        facts["scratch"] = where
        say(*facts_lines(facts), f"  {where}", "")
        return _run_workloads(cfg, facts)


def _run_workloads(cfg: Config, facts: dict[str, Any]) -> int:
    dataset = Dataset(cfg.data)
    results: dict[str, Any] = {}
    errors: dict[str, str] = {}
    checks: list[Check] = []
    sane = True
    for key in cfg.workloads:
        workload = WORKLOADS[key]
        if workload.long and cfg.skip_long:
            log(f"({key}) skipped: --skip-long")
            continue
        log(f"running ({key}) ...")
        try:
            outcome = workload.run(cfg, dataset)
        except Exception as exc:  # report it, and go on with the other workloads
            errors[key] = f"{type(exc).__name__}: {exc}"
            say(f"({key}) FAILED TO RUN: {errors[key]}", "")
            continue
        results[key] = outcome.data | {"notes": outcome.notes}
        checks.extend(outcome.checks)
        say(*outcome.lines)
        if outcome.sanity is not None:
            sane = sane and outcome.sanity.agree
            say(outcome.sanity.line())
        say(*outcome.notes, "")
    if checks:
        say(*checks_lines(checks))
    if cfg.json_path is not None:
        write_json(cfg.json_path, cfg, facts, results, checks, errors)
    return 0 if sane and not errors else 1


def parse_args(argv: Sequence[str] | None = None) -> Config:
    parser = argparse.ArgumentParser(
        description="melcli against the hand-written librosa loop, side by side.",
        epilog="Workloads: "
        + ", ".join(f"{w.key} {w.title}" for w in WORKLOADS.values())
        + ".",
    )
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="cache dir")
    parser.add_argument("--files", type=int, help="clips for (a) [300]")
    parser.add_argument(
        "--scale-files",
        type=int,
        help="clips for (e) and (k), N against N/2 [600: large enough that a "
        "run's fixed start-up cost does not hide how the per-file cost grows]",
    )
    parser.add_argument("--png-files", type=int, help="clips for (b) [100]")
    parser.add_argument("--profile-files", type=int, help="clips for (p) [30]")
    parser.add_argument(
        "--rounds", type=int, help="rounds for (b), (e), (h), (i), (k), (r), (s) [3]"
    )
    parser.add_argument(
        "--throughput-rounds",
        type=int,
        help="rounds for (a), each giving its own ratios (their median is "
        "checked) [8: about 16 s a round on a quiet machine]",
    )
    parser.add_argument(
        "--floor-rounds",
        type=int,
        help="rounds for (f), each giving its own -j 2 / -j 1 [8]",
    )
    parser.add_argument("--startup-rounds", type=int, help="rounds for (c) [7]")
    parser.add_argument("--long-minutes", type=float, help="length for (d) [60]")
    parser.add_argument(
        "--floor-files",
        type=int,
        help="10-s clips for (f)'s FLAC, Ogg and MP3 workloads [240]",
    )
    parser.add_argument(
        "--floor-wav-files", type=int, help="10-s clips for (f)'s WAV workload [600]"
    )
    parser.add_argument("--gallery-files", type=int, help="clips for (g) [20000]")
    parser.add_argument(
        "--short-files",
        type=int,
        help="5-s 16 kHz files for (f)'s Whisper workload [4800: N/2 more files "
        "add about 2 s to a -j 2 run]",
    )
    parser.add_argument(
        "--floor-only",
        default="",
        help=f"(f)'s workloads to run, e.g. whisper [all: {','.join(FLOOR_WORKLOADS)}]",
    )
    parser.add_argument(
        "--scale-sizes", help="tiny files for (s), comma-separated [10000,100000]"
    )
    parser.add_argument(
        "--scale-vs", type=Path, help="(s): also run the melcli of this checkout"
    )
    parser.add_argument(
        "--only",
        default=",".join(WORKLOADS),
        help=f"e.g. a,c [{','.join(WORKLOADS)}]",
    )
    parser.add_argument("--skip-long", action="store_true", help="skip (d) and (h)")
    parser.add_argument(
        "--skip-reference",
        action="store_true",
        help="in (d) and (h), skip the in-process whole-file reference (several GB)",
    )
    parser.add_argument("--json", type=Path, help="also write every measure here")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a tiny version of everything (smoke test); explicit options win",
    )
    args = parser.parse_args(argv)
    values: dict[str, Any] = {
        key: default if getattr(args, key) is None else getattr(args, key)
        for key, default in (QUICK if args.quick else FULL).items()
    }
    workloads = tuple(
        w for w in dict.fromkeys(args.only.replace(" ", "").split(",")) if w
    )
    unknown = [w for w in workloads if w not in WORKLOADS]
    if unknown:
        parser.error(f"--only: unknown workload {', '.join(unknown)}")
    floor_only = tuple(
        w for w in dict.fromkeys(args.floor_only.replace(" ", "").split(",")) if w
    )
    unknown = [w for w in floor_only if w not in FLOOR_WORKLOADS]
    if unknown:
        parser.error(
            f"--floor-only: unknown workload {', '.join(unknown)} "
            f"(one of {', '.join(FLOOR_WORKLOADS)})"
        )
    for key in (
        "files",
        "scale_files",
        "floor_files",
        "floor_wav_files",
        "short_files",
    ):
        if values[key] < 2:
            parser.error(f"--{key.replace('_', '-')}={values[key]} must be at least 2")
    for key in (
        "png_files",
        "profile_files",
        "rounds",
        "throughput_rounds",
        "startup_rounds",
        "floor_rounds",
        "gallery_files",
    ):
        if values[key] < 1:
            parser.error(f"--{key.replace('_', '-')}={values[key]} must be at least 1")
    sizes = str(values["scale_sizes"]).split(",")
    values["scale_sizes"] = tuple(sorted({int(n) for n in sizes if n.strip()}))
    if not values["scale_sizes"] or values["scale_sizes"][0] < 1:
        parser.error(f"--scale-sizes={args.scale_sizes} must be positive numbers")
    if values["long_minutes"] <= 0:
        parser.error(f"--long-minutes={values['long_minutes']} must be positive")
    return Config(
        data=args.data.resolve(),
        workloads=workloads,
        skip_long=args.skip_long,
        skip_reference=args.skip_reference,
        json_path=args.json,
        quick=args.quick,
        scale_vs=args.scale_vs.resolve() if args.scale_vs else None,
        floor_only=floor_only,
        **values,
    )


def main(argv: Sequence[str] | None = None) -> int:
    return run_all(parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())

"""Smoke test of the benchmark: a tiny run completes and writes sound JSON."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import BENCH_LIMIT

#: Slow or timing-sensitive: left out of ``make test-fast`` (see conftest.py).
pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parent.parent
BENCH = REPO / "bench" / "bench.py"


def is_positive(value: Any) -> bool:
    return isinstance(value, int | float) and math.isfinite(value) and value > 0


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One cache of generated audio for every quick run, as ``bench/.data/`` is
    for the real ones: each clip is made once, by the first workload to use it."""
    return tmp_path_factory.mktemp("bench") / "data"


def quick_bench(
    tmp_path: Path, data: Path, only: str, *, timeout: float
) -> tuple[str, Any]:
    """Run ``bench.py --quick --only ONLY``; return its output and its JSON."""
    report = tmp_path / "r.json"
    args = ["--quick", "--only", only, "--data", str(data)]
    proc = subprocess.run(
        [sys.executable, str(BENCH), *args, "--json", str(report)],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout, json.loads(report.read_text())


def test_quick_bench_runs_and_reports(tmp_path: Path, data: Path) -> None:
    stdout, result = quick_bench(tmp_path, data, "a,c", timeout=BENCH_LIMIT)

    assert "targets" in stdout
    assert set(result) >= {"machine", "config", "workloads", "checks", "errors"}
    assert result["errors"] == {}
    assert is_positive(result["machine"]["cpus"])
    assert set(result["workloads"]) == {"a", "c"}

    throughput = result["workloads"]["a"]
    assert set(throughput["contenders"]) == {"baseline", "baseline-joblib", "melcli"}
    for contender in throughput["contenders"].values():
        for key in ("median_seconds", "files_per_second", "realtime_factor"):
            assert is_positive(contender[key]), key
        assert is_positive(contender["peak_rss_mb"])
    assert set(throughput["ratios"]) == {"baseline", "baseline-joblib"}
    assert all(is_positive(r) for r in throughput["ratios"].values())
    assert throughput["sanity"]["compared"] > 0
    assert throughput["sanity"]["max_abs_diff_db"] >= 0

    startup = result["workloads"]["c"]
    assert set(startup["contenders"]) == {"baseline", "melcli"}
    assert is_positive(startup["melcli_share_of_baseline"])

    checked = {check["workload"] for check in result["checks"]}
    assert checked == {"a", "c"}
    for check in result["checks"]:
        assert is_positive(check["value"])
        assert check["passed"] in (True, False)


def test_quick_cluster_bench_reports_dask_against_the_pool(
    tmp_path: Path, data: Path
) -> None:
    pytest.importorskip("distributed")
    _, result = quick_bench(tmp_path, data, "k", timeout=BENCH_LIMIT)

    assert result["errors"] == {}
    cluster = result["workloads"]["k"]
    assert set(cluster["contenders"]) == {
        "pool",
        "pool_half",
        "dask1",
        "dask",
        "dask_half",
    }
    for contender in cluster["contenders"].values():
        assert is_positive(contender["median_seconds"])
    assert is_positive(cluster["throughput_ratio"])
    assert is_positive(cluster["workers_speedup"])
    # The Dask run wrote the same arrays as the pool.
    assert cluster["sanity"]["agree"] is True
    assert cluster["sanity"]["max_abs_diff_db"] == 0
    measures = {c["measure"] for c in result["checks"] if c["workload"] == "k"}
    assert len(measures) == 2


def test_quick_floor_bench_reports_every_workload(tmp_path: Path, data: Path) -> None:
    stdout, result = quick_bench(tmp_path, data, "f", timeout=BENCH_LIMIT)

    assert result["errors"] == {}
    floor = result["workloads"]["f"]
    assert set(floor["workloads"]) == {"wav", "flac", "ogg", "mp3", "whisper"}
    for name, w in floor["workloads"].items():
        stages = w["floor_ms_per_file"]
        assert set(stages) == {
            "decode",
            "mix",
            "resample",
            "stft",
            "mel",
            "scale",
            "save",
        }, name
        assert all(v >= 0 for v in stages.values())
        assert is_positive(w["floor_ms"])
        assert math.isclose(w["floor_ms"], sum(stages.values()))
        # The floor as a program, raced beside melcli on the same files.
        assert {"floor", "floor-half", "j1", "j1-half"} <= set(w["contenders"])
        assert "floor_run_ms_per_file" in w
        assert "melcli_over_stages" in w
        # The floor program over the stages' sum: what the way of measuring adds.
        offset = w["floor_over_stages"]
        assert offset is None or math.isclose(
            offset, w["floor_run_ms_per_file"] / w["floor_ms"]
        )
        # -j 2's CPU per file over -j 1's (None where it could not be fitted).
        assert "j2_cpu_over_j1" in w
        ratio = w["j2_cpu_over_j1"]
        assert ratio is None or is_positive(ratio)
    checks = [c for c in result["checks"] if c["workload"] == "f"]
    measures = {c["measure"] for c in checks}
    assert "wav: -j 1 / floor" in measures
    assert "whisper: -j 1 / floor" in measures
    targets = {c["measure"]: c["target"] for c in checks}
    for name in ("flac", "ogg", "mp3"):  # the decode-bound floor's bound
        assert targets[f"{name}: -j 1 / floor"] == "<= 1.1x"
        assert "melcli_over_decoder" in floor["workloads"][name]  # shown beside
    assert "(f) the floor" in stdout


def test_quick_fbank_bench_reports_memory_speed_and_agreement(
    tmp_path: Path, data: Path
) -> None:
    pytest.importorskip("kaldi_native_fbank")
    _, result = quick_bench(tmp_path, data, "h,i", timeout=BENCH_LIMIT)

    assert result["errors"] == {}
    long_file = result["workloads"]["h"]
    assert set(long_file["contenders"]) == {"melcli --kind fbank -j 1", "knf-stream"}
    assert is_positive(
        long_file["contenders"]["melcli --kind fbank -j 1"]["peak_rss_mb"]
    )
    assert is_positive(long_file["ratios"]["knf-stream"])
    assert long_file["sanity"]["agree"] is True
    assert long_file["max_abs_diff_vs_reference"] == 0  # streamed = whole, exactly
    ast = result["workloads"]["i"]
    assert set(ast["contenders"]) == {"ast-loop", "melcli-ast", "melcli-ast -j 1"}
    assert ast["sanity"]["agree"] is True
    assert ast["sanity"]["max_abs_diff_db"] <= 1e-4
    measures = {c["measure"] for c in result["checks"]}
    assert {
        "melcli fbank peak RSS",
        "knf-stream / melcli",
        "ast-loop / melcli-ast",
    } <= measures


def test_quick_gallery_bench_reports_the_build_against_the_run(
    tmp_path: Path, data: Path
) -> None:
    _, result = quick_bench(tmp_path, data, "g", timeout=BENCH_LIMIT)

    assert result["errors"] == {}
    gallery = result["workloads"]["g"]
    assert gallery["files"] == 60
    for key in (
        "run_seconds",
        "gallery_seconds",
        "gallery_no_waveforms_seconds",
        "gallery_again_seconds",
        "ratio",
    ):
        assert is_positive(gallery[key]), key
    assert gallery["pages"] == 3  # 60 inputs, 24 a page
    assert 10_000 < gallery["first_page_bytes"] < 2_000_000
    measures = {c["measure"] for c in result["checks"] if c["workload"] == "g"}
    assert measures == {"gallery / run", "first page MB"}

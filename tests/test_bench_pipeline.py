"""benchmarks/bench_pipeline.py's file names: a labelled re-measure never overwrites committed results."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

_spec = importlib.util.spec_from_file_location(
    "bench_pipeline", Path(__file__).resolve().parents[1] / "benchmarks" / "bench_pipeline.py"
)
bench_pipeline = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench_pipeline)


def test_a_label_suffixes_both_runs_of_a_backend_comparison(tmp_path, monkeypatch):
    labels = []

    def run(size, label, extra, profile, workers, keep=""):  # the two timed runs, not run here
        labels.append((label, extra.get("MOMENTUM_WAREHOUSE", "duckdb")))
        part = {"seconds": 2.0, "cpu_seconds": 3.0}
        return {"full_backfill": part, "one_new_month": part}

    monkeypatch.setattr(bench_pipeline, "run", run)
    monkeypatch.setattr(bench_pipeline, "RESULTS", tmp_path)
    argv = ["bench_pipeline.py", "--size", "small", "--backend", "ducklake", "--executor", "multiprocess"]
    monkeypatch.setattr(sys, "argv", [*argv, "--label", "s10"])
    bench_pipeline.main()
    monkeypatch.setattr(sys, "argv", argv)
    bench_pipeline.main()
    assert labels == [
        ("baseline_s10", "duckdb"),
        ("ducklake_multiprocess_s10", "ducklake"),
        ("baseline", "duckdb"),
        ("ducklake_multiprocess", "ducklake"),
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "small_ducklake_multiprocess.json",
        "small_ducklake_multiprocess_s10.json",
    ]

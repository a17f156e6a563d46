"""Pipeline benchmarks, measured in one run on this machine.

1. Overhead per report: execute + render (HTML and PDF) + bundle + sign for a notebook that does no
   work (tests/notebooks/noop.ipynb); median of 3 after one warm-up. Target: under 6 s.
2. Batch throughput: the same 6 runs with --jobs 2 and with --jobs 1; ratio of wall times
   (jobs 1 / jobs 2). Target: at least 1.6 on 2 cores.

Runs are driven from this one process (forked workers), as `mrm run` does.
"""
import statistics, sys, tempfile, time
from pathlib import Path
from mrm_research.pipeline.run import RunSpec, run_batch
from mrm_research.pipeline.bundle import keygen, sign

NOOP = str(Path(__file__).resolve().parents[1] / "notebooks" / "noop.ipynb")


def report_seconds(out: Path, key: Path) -> float:
    "Wall time of one no-op report through execute, render, bundle and sign."
    started = time.perf_counter()
    (result,) = run_batch([RunSpec(NOOP, "BENCH-OVERHEAD", out_dir=str(out))], jobs=1, progress=False)
    assert result.status == "succeeded", result.error
    sign(result.bundle, key, "preparer")
    return time.perf_counter() - started


def batch_seconds(out: Path, jobs: int, runs: int = 6) -> float:
    "Wall time of a batch of no-op reports with `jobs` workers."
    specs = [RunSpec(NOOP, f"BENCH-JOBS{jobs}", out_dir=str(out)) for _ in range(runs)]
    started = time.perf_counter()
    results = run_batch(specs, jobs=jobs, progress=False)
    assert all(r.status == "succeeded" for r in results), [r.error for r in results]
    return time.perf_counter() - started


def main() -> int:
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder)
        key, _ = keygen("bench", out / "keys")
        report_seconds(out, key)  # warm-up: the fork server's imports, font cache
        overhead = statistics.median(report_seconds(out, key) for _ in range(3))
        pairs = [(batch_seconds(out, 1), batch_seconds(out, 2)) for _ in range(3)]  # interleaved, so a noisy moment hits both
        serial, parallel = statistics.median(p[0] for p in pairs), statistics.median(p[1] for p in pairs)
    ratio = serial / parallel
    rows = [("overhead per report (execute+render+bundle+sign), s", f"{overhead:.2f}", "< 6", overhead < 6),
            ("batch of 6: --jobs 1 wall time (median of 3), s", f"{serial:.2f}", "", None),
            ("batch of 6: --jobs 2 wall time (median of 3), s", f"{parallel:.2f}", "", None),
            ("throughput ratio jobs 2 / jobs 1", f"{ratio:.2f}", ">= 1.6", ratio >= 1.6)]
    print("\npipeline benchmark")
    for name, value, target, met in rows:
        verdict = "" if met is None else ("met" if met else "MISSED")
        print(f"  {name:55s} {value:>8s}  {target:>7s}  {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

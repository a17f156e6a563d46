"""Crypto on-chain monitoring benchmarks, measured in one run on this machine.

(a) The six detectors and exposure scoring over about 10^7 transfers read from Parquet by DuckDB: clustering, the
    exposure trace (time-respecting, three hops, four risk categories; traced once, the exposure detectors reuse it), every detector;
    seconds each and in all (target: under 30 s on 2 cores), and the peak memory of the process. Each size runs in its own process (its own peak).
(b) The same at about 10^6 transfers: the ratio of the two shows how the work scales.
(c) The whole-period exposure trace in SQL against the same trace as sparse matrix powers (scipy), on the 10^6 chain;
    the largest difference between them is printed with the ratio. (The time-respecting trace has no matrix form; the
    notebook checks it against a replay of the transfers in block-time order.)
(d) The AML typology coverage assessment (the AML tuning report's section: coverage matrix, SQL logic checks, recall and
    volume on both generators at default and tuned thresholds) on two demo-size banks of 10^5 transactions.

MRM_BENCH_CRYPTO_TRANSFERS sets the large size (default 10,000,000 rows of chain_transfers).
"""
import json, os, resource, subprocess, sys, tempfile, time
from pathlib import Path

LARGE = int(os.environ.get("MRM_BENCH_CRYPTO_TRANSFERS", 10_000_000))
ROWS_PER_TRANSFER = 1.48  # rows of chain_transfers per ordinary transfer asked for (sweeps, change, bridges), measured at 2 * 10^5


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def stage_generate(folder: str, rows: int) -> dict:
    from mrm_research.crypto.chain import ChainConfig, TYPOLOGIES, generate_chain, write_chain
    started = time.perf_counter()
    transfers = int(rows / ROWS_PER_TRANSFER)
    chain = generate_chain(ChainConfig(customers=max(2_000, transfers // 70), private_entities=max(10_000, transfers // 14), transfers=transfers, seed=5,
                                       patterns={t: 20 for t in TYPOLOGIES}))
    write_chain(chain, folder)
    return {"rows": len(chain["chain_transfers"]), "addresses": len(chain["chain_addresses"]), "seconds": time.perf_counter() - started, "peak_mib": peak_mib()}


def stage_monitor(folder: str) -> dict:
    from mrm_research.crypto import detectors, exposure
    timings, started = {}, time.perf_counter()
    monitor = detectors.ChainMonitor.build(folder)
    timings["engine and clustering"] = time.perf_counter() - started
    mark = time.perf_counter()
    scores = exposure.customer_exposure(monitor.engine, exposure.address_exposure(monitor.trace(hops=3)))  # the exposure detectors reuse this trace
    timings["exposure (3 hops, 4 categories)"] = time.perf_counter() - mark
    alerts = {}
    for name in detectors.DETECTORS:
        mark = time.perf_counter(); found = detectors.find_candidates(monitor, name); timings[name] = time.perf_counter() - mark
        alerts[name] = len(detectors.alerts(found, detectors.default_parameters(name).threshold))
    return {"timings": timings, "total": time.perf_counter() - started, "peak_mib": peak_mib(), "alerts": alerts, "customers_exposed": int(scores.customer_id.nunique())}


def stage_matrix(folder: str) -> dict:
    "The exposure trace by SQL and by sparse matrix powers on the same chain; seconds and largest difference."
    import numpy as np, pandas as pd
    from scipy import sparse
    from mrm_research.crypto import exposure
    from mrm_research.crypto.chain import RISK_CATEGORIES
    engine = exposure.ChainEngine(folder); addresses = pd.read_parquet(Path(folder) / "chain_addresses.parquet")
    mark = time.perf_counter(); ours = exposure.trace_exposure(engine, addresses, hops=3, min_share=0, time_respecting=False); sql = time.perf_counter() - mark
    mark = time.perf_counter()
    t = pd.read_parquet(Path(folder) / "chain_transfers.parquet", columns=["from_address", "to_address", "value_usd"]); t = t[t.from_address != t.to_address]
    index = pd.Index(addresses.address)
    F = sparse.csr_matrix((t.value_usd.to_numpy(), (index.get_indexer(t.from_address), index.get_indexer(t.to_address))), shape=(len(index),) * 2)
    received = np.asarray(F.sum(axis=0)).ravel(); F = F @ sparse.diags(np.divide(1, received, out=np.zeros_like(received), where=received > 0))
    level = sparse.csr_matrix(F.T @ np.stack([(addresses.label_category == c).to_numpy(float) for c in RISK_CATEGORIES], axis=1))
    passable = sparse.diags(((addresses.role == "external") & addresses.label_category.isna()).to_numpy(float)); levels = [level]
    for _ in range(2): levels.append(sparse.csr_matrix(F.T @ (passable @ levels[-1])))
    matrix = time.perf_counter() - mark
    shares = ours.set_index(["address", "category", "hop"]).share; largest = 0.0
    for hop, level in enumerate(levels, 1):
        rows, cols = level.nonzero()
        expected = pd.Series(np.asarray(level[rows, cols]).ravel(), index=pd.MultiIndex.from_arrays([index[rows], np.array(RISK_CATEGORIES)[cols], np.full(len(rows), hop)]))
        largest = max(largest, float(np.abs(shares.reindex(expected.index).fillna(0).to_numpy() - expected.to_numpy()).max()))
    return {"sql_seconds": sql, "matrix_seconds": matrix, "largest_difference": largest}


def stage_coverage() -> dict:
    "The AML typology coverage assessment on two demo-size banks, timed apart from generating them."
    from mrm_research.aml import coverage
    from mrm_research.aml.amlsim import generate_amlsim_bank
    from mrm_research.aml.scenarios import SCENARIOS, ScenarioEngine
    from mrm_research.aml.synthetic import BankConfig, write_bank
    from mrm_research.aml.typologies import TypologyConfig, generate_labelled_bank
    from mrm_research.core import project_root
    root = Path(tempfile.mkdtemp()); config = BankConfig(customers=2_000, transactions=100_000, days=90, start="2025-01-01", seed=3)
    banks = {"project": generate_labelled_bank(config, TypologyConfig()), "AMLSim-style": generate_amlsim_bank(BankConfig(**{**config.__dict__, "seed": 4}))}
    for name, bank in banks.items(): write_bank(bank, root / name)
    started = time.perf_counter()
    catalogue = coverage.load_catalogue(); risks = coverage.load_risk_assessment(project_root() / "reports/aml_coverage/demo_risk_assessment.yaml")
    matrix, logic = coverage.coverage_matrix(risks, catalogue, SCENARIOS), coverage.logic_checks(catalogue, SCENARIOS)
    engines = {name: (ScenarioEngine(root / name, start="2025-01-01"), bank["transaction_labels"]) for name, bank in banks.items()}
    defaults = {name: s.threshold.default for name, s in SCENARIOS.items()}
    robustness, _ = coverage.cross_generator(engines, {"default": defaults}, SCENARIOS)
    coverage.coverage_findings(matrix, logic, robustness)
    return {"seconds": time.perf_counter() - started, "peak_mib": peak_mib()}


def in_process(stage: str, *arguments) -> dict:
    code = f"import json, sys; sys.path.insert(0, {str(Path(__file__).parent)!r}); import bench_crypto as b; print(json.dumps(b.stage_{stage}(*{list(arguments)!r})))"
    output = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def main() -> None:
    print(f"Crypto on-chain monitoring benchmarks ({os.cpu_count()} cores)")
    results = {}
    with tempfile.TemporaryDirectory() as scratch:
        for label, rows in (("medium", LARGE // 10), ("large", LARGE)):
            folder = str(Path(scratch) / label)
            made = in_process("generate", folder, rows)
            run = in_process("monitor", folder)
            results[label] = {"generated": made, "monitor": run}
            print(f"\n{made['rows']:,} transfers, {made['addresses']:,} addresses (generated in {made['seconds']:.1f} s, peak {made['peak_mib']:,.0f} MiB)")
            for step, seconds in run["timings"].items(): print(f"  {step:<34} {seconds:7.2f} s")
            print(f"  {'all (target < 30 s at 10^7)':<34} {run['total']:7.2f} s, peak memory {run['peak_mib']:,.0f} MiB; alerts at default: {run['alerts']}")
            if label == "medium":
                matrix = in_process("matrix", folder); results["matrix"] = matrix
                print(f"  whole-period exposure trace, SQL {matrix['sql_seconds']:.2f} s against sparse matrix powers {matrix['matrix_seconds']:.2f} s "
                      f"(ratio {matrix['sql_seconds'] / matrix['matrix_seconds']:.2f}); largest difference {matrix['largest_difference']:.1e}")
    ratio = results["large"]["monitor"]["total"] / results["medium"]["monitor"]["total"]
    rows_ratio = results["large"]["generated"]["rows"] / results["medium"]["generated"]["rows"]
    print(f"\nScaling: {rows_ratio:.1f}x the transfers took {ratio:.1f}x the time")
    cover = in_process("coverage"); results["coverage"] = cover
    print(f"AML typology coverage assessment (two banks of 10^5 transactions, every scenario): {cover['seconds']:.1f} s, peak {cover['peak_mib']:,.0f} MiB")


if __name__ == "__main__":
    main()

"""Surveillance and crypto detectors tuned from a venue's or an exchange's own alert history: no ground truth, no planted
patterns, the firm's own detector and segment names.

The histories below are not made by the project's generators: each is written from a stated process, so each tuning decision
has a known right answer (threshold 3.0 for the venue's layering detector, 40 for its cross-trade detector).
- layering_fast / options: 20 % of the samples just below the threshold are productive, 60 reviewed -> lowered to 2.7.
- layering_fast / futures: below-the-line samples of 60 per band, none productive; productive alerts only above 4.5 -> raised.
- cross_trade / crypto_pairs: 50 alerts, 2 productive, no below-the-line sample -> kept (too few productive alerts to raise),
  and a finding says below-the-line testing is missing.
"""
import json
import numpy as np, pandas as pd
from conftest import REPO, bundles, mrm, run_on_history
from mrm_research.tuning import TuningConfig, btl_findings, tune_from_history


def venue_history(seed: int = 11) -> pd.DataFrame:
    rng = np.random.default_rng(seed); rows = []
    def add(detector, segment, kind, values, productive, threshold):
        for value, good in zip(values, productive):
            start = pd.Timestamp("2025-05-01 09:00") + pd.Timedelta(minutes=int(rng.integers(0, 60 * 24 * 40)))
            rows.append({"detector": detector, "segment": segment, "subject_id": f"ACC{rng.integers(1e5):05d}", "instrument_id": f"{segment[:3].upper()}-{rng.integers(20)}",
                         "window_start": start, "window_end": start + pd.Timedelta(minutes=15), "driving_value": float(value), "threshold_in_force": threshold,
                         "review_kind": kind, "disposition": ("sar_filed" if rng.random() < 0.3 else "productive") if good else "closed"})
    add("layering_fast", "options", "above_the_line", 3 + rng.exponential(1.5, 300), rng.random(300) < 0.3, 3.0)
    add("layering_fast", "options", "below_the_line_sample", rng.uniform(2.7, 3.0, 60), np.arange(60) % 5 == 0, 3.0)
    above = 3 + rng.exponential(2.0, 400)
    add("layering_fast", "futures", "above_the_line", above, (above > 4.5) & (rng.random(400) < 0.5), 3.0)
    for low in (0.9, 0.8, 0.7):
        add("layering_fast", "futures", "below_the_line_sample", rng.uniform(low * 3, (low + 0.1) * 3, 60), np.zeros(60, bool), 3.0)
    add("cross_trade", "crypto_pairs", "above_the_line", 40 + rng.exponential(10, 50), np.arange(50) < 2, 40.0)
    frame = pd.DataFrame(rows); frame.insert(0, "alert_id", [f"V{i:06d}" for i in range(len(frame))])
    return frame


def test_surveillance_report_from_a_venue_history_alone(tmp_path):
    "The venue's dispositions in its own words, translated by a codes file beside the history."
    (tmp_path / "codes.yaml").write_text("disposition: {sar_filed: [STOR filed], productive: [escalated], closed: [no action]}\n")
    exported = venue_history().assign(disposition=lambda f: f.disposition.map({"sar_filed": "STOR filed", "productive": "escalated", "closed": "no action"}))
    bundle, results, rows = run_on_history("surveillance_tuning.ipynb", exported, tmp_path, "-p", "history_codes", tmp_path / "codes.yaml", model_id="VENUE-HISTORY")
    assert results["metrics"]["evidence"]["value"] == "history"
    table = results["tables"]["recommendations"]
    assert "recall" not in table["columns"] and "precision" not in table["columns"]  # not measurable without ground truth
    assert rows[("layering_fast", "options")]["recommended_threshold"] == 2.7 and rows[("layering_fast", "options")]["decision"].startswith("lower")
    assert rows[("layering_fast", "futures")]["recommended_threshold"] > 3.0 and rows[("layering_fast", "futures")]["decision"].startswith("raise")
    kept = rows[("cross_trade", "crypto_pairs")]
    assert kept["recommended_threshold"] == 40.0 and "too few" in kept["decision"] and "no below-the-line sample" in kept["decision"]
    findings = {f["id"]: f for f in results["findings"]}
    assert {"BTL-LOWER", "BTL-UNREVIEWED"} <= set(findings)
    assert "layering_fast (options)" in findings["BTL-LOWER"]["detail"] and "cross_trade (crypto_pairs)" in findings["BTL-UNREVIEWED"]["detail"]
    assert not any(f.startswith(("DET-", "REC-", "REP-")) for f in findings)  # nothing claimed about detection or replication
    assert set(json.loads((bundle / "inputs.json").read_text())) == {"detector_alert_history"}  # no labels, no orders were read
    notebook = (bundle / "notebook.ipynb").read_text()
    assert "Not measurable:** detection" in notebook and "Not run:** the replication" in notebook and "Not measurable:** recall" in notebook


def test_a_venue_history_that_contradicts_itself_is_refused_by_row(tmp_path):
    history = venue_history(); history.loc[[5, 6, 7], "driving_value"] = 1.0  # alerts below their threshold in force
    path = tmp_path / "venue_alerts.csv"; history.to_csv(path, index=False)
    (tmp_path / "no_orders").mkdir()
    result = mrm("run", REPO / "nbs/validation/surveillance_tuning.ipynb", "-p", "data_dir", tmp_path / "no_orders", "-p", "alert_history", path,
                 "--out", tmp_path / "out", "--no-progress", check=1, cwd=tmp_path)
    (bundle,) = bundles(tmp_path / "out")
    said = " ".join(((bundle / "manifest.json").read_text() + result.stdout).split())
    assert "detector_alert_history: an above-the-line alert below its threshold in force: 3 row(s), e.g. alert V000005, V000006, V000007" in said, said


def test_an_exchange_history_with_few_productive_alerts():
    "An exchange's own on-chain detectors: one segment with three productive alerts among 80 is kept, not raised; its BTL samples are judged."
    rng = np.random.default_rng(3)
    values = np.r_[0.2 + rng.exponential(0.1, 80), rng.uniform(0.14, 0.2, 40)]
    history = pd.DataFrame({"alert_id": [f"X{i}" for i in range(120)], "detector": "bridge_layering", "segment": "vip", "subject_id": "C1",
                            "window_start": pd.Timestamp("2025-02-01"), "window_end": pd.Timestamp("2025-02-02"), "driving_value": values, "threshold_in_force": 0.2,
                            "review_kind": np.where(values >= 0.2, "above_the_line", "below_the_line_sample"),
                            "disposition": np.where(np.arange(120) < 3, "productive", "closed")})
    (tuned,) = tune_from_history(history, TuningConfig(atl_min_productive=10)).values()
    row = tuned.recommendations.iloc[0]
    assert row.recommended_threshold == 0.2 and row.decision.startswith("keep") and row.btl_reviewed == 40 and row.btl_productive_found == 0
    assert np.isnan(row.recall) and not btl_findings(tuned.recommendations.assign(detector="bridge_layering"), "detector", 0.05, history=True)


def test_trading_and_chain_records_delivered_empty(tmp_path):
    "A venue's order and execution files arrive with no rows beside its instrument master, member file and news: the surveillance report tunes from its history and says the detectors were not re-run (it stopped formatting an empty period); an exchange's transfers extract arrives empty: the crypto review, which is of the transfers, refuses it saying so; a history exported with its header only is refused (every tuning from the history stopped formatting its empty period)."
    from mrm_research.surveillance.synthetic import MarketConfig, generate_market, write_market
    from mrm_research.crypto.chain import ChainConfig, generate_chain, write_chain
    market = generate_market(MarketConfig(orders=3_000, seed=5), {})
    write_market({**market, "order_events": market["order_events"].iloc[:0], "executions": market["executions"].iloc[:0]}, tmp_path / "venue")
    venue_history().to_csv(tmp_path / "history.csv", index=False)
    mrm("run", REPO / "nbs/validation/surveillance_tuning.ipynb", "-p", "data_dir", "venue", "-p", "alert_history", "history.csv", "--model-id", "EMPTY-VENUE", "--out", "out", "--no-progress", check=0, cwd=tmp_path)
    (bundle,) = bundles(tmp_path / "out")
    table = json.loads((bundle / "results.json").read_text())["tables"]["recommendations"]
    rows = {(row[0], row[1]): dict(zip(table["columns"], row)) for row in table["rows"]}
    assert rows[("layering_fast", "options")]["recommended_threshold"] == 2.7  # tuned from the history, as without the venue's files
    assert "Not run:** order_events holds no rows: the detectors are not re-run here" in (bundle / "notebook.ipynb").read_text()
    chain = generate_chain(ChainConfig(transfers=2_000, seed=5, patterns={}))
    write_chain({name: chain[name] for name in ("exchange_customers", "chain_addresses")} | {"chain_transfers": chain["chain_transfers"].iloc[:0]}, tmp_path / "chain")
    mrm("run", REPO / "nbs/validation/crypto_monitoring.ipynb", "-p", "data_dir", "chain", "-p", "alert_history", "history.csv", "--model-id", "EMPTY-CHAIN", "--out", "chain_out", "--no-progress", check=1, cwd=tmp_path)
    (bundle,) = bundles(tmp_path / "chain_out")
    assert "chain_transfers.parquet: no rows: the review clusters addresses, scores exposure and runs the detectors on the chain's transfers" in json.loads((bundle / "manifest.json").read_text())["error"]
    venue_history().iloc[:0].to_csv(tmp_path / "no_alerts.csv", index=False)  # a history exported with its header only
    mrm("run", REPO / "nbs/validation/surveillance_tuning.ipynb", "-p", "data_dir", "venue", "-p", "alert_history", "no_alerts.csv", "--model-id", "EMPTY-HISTORY", "--out", "history_out", "--no-progress", check=1, cwd=tmp_path)
    (bundle,) = bundles(tmp_path / "history_out")
    assert "no_alerts.csv: the alert history holds no rows: a tuning from the history rests on the alerts and below-the-line samples" in json.loads((bundle / "manifest.json").read_text())["error"]

"""AML tuning from a bank's own alert history: no ground truth, no transactions, the bank's own scenario and segment names.

The history below is not made by the project's generator: it is written from a stated process, so each tuning decision has a
known right answer. Threshold 100 everywhere (units of the bank's driving value).
- wire_velocity / personal: 15 % of the candidates just below the threshold are productive, and 60 were reviewed -> lower.
- wire_velocity / business: below-the-line samples of 60 per band, none productive; productive alerts only well above 130 -> raise.
- cash_in_band / personal: no below-the-line sample at all -> never lowered, and a finding says BTL testing is missing.
"""
import json
import numpy as np, pandas as pd
from conftest import REPO, bundles, mrm, run_on_history


def bank_history(seed: int = 4) -> pd.DataFrame:
    rng = np.random.default_rng(seed); rows = []
    def add(scenario, segment, kind, values, productive):
        for value, good in zip(values, productive):
            rows.append({"scenario": scenario, "segment": segment, "customer_id": f"KD-{rng.integers(1e6):06d}", "driving_value": float(value),
                         "threshold_in_force": 100.0, "window_end": "2025-06-30", "review_kind": kind,
                         "disposition": ("sar_filed" if rng.random() < 0.5 else "productive") if good else "closed"})
    above = 100 + rng.exponential(40, 400)
    add("wire_velocity", "personal", "above_the_line", above, rng.random(400) < 0.3)
    for low in (0.9, 0.8, 0.7):  # 60 reviewed per band: more than the 59 the zero-failure rule needs at 95 % / 5 %
        add("wire_velocity", "personal", "below_the_line_sample", rng.uniform(low * 100, (low + 0.1) * 100, 60), rng.random(60) < (0.15 if low == 0.9 else 0.0))
    above = 100 + rng.exponential(60, 500)
    add("wire_velocity", "business", "above_the_line", above, (above > 130) & (rng.random(500) < 0.5))
    for low in (0.9, 0.8, 0.7):
        add("wire_velocity", "business", "below_the_line_sample", rng.uniform(low * 100, (low + 0.1) * 100, 60), np.zeros(60, bool))
    above = 100 + rng.exponential(20, 200)
    add("cash_in_band", "personal", "above_the_line", above, rng.random(200) < 0.2)
    frame = pd.DataFrame(rows); frame.insert(0, "alert_id", [f"H{i:06d}" for i in range(len(frame))])
    return frame


def test_tuning_from_dispositions_alone(tmp_path):
    "The history as the bank's case-management system exports it, in its own codes (SAR, ESC, NFA; ATL, BTL) and column names ('Alert ID', 'Outcome'), translated by the report's history_codes and history_columns."
    names = {"alert_id": "Alert ID", "scenario": "Rule", "window_end": "Alert date", "disposition": "Outcome"}  # its own column names too
    exported = bank_history().assign(disposition=lambda f: f.disposition.map({"sar_filed": "SAR", "productive": "ESC", "closed": "NFA"}),
                                     review_kind=lambda f: f.review_kind.map({"above_the_line": "ATL", "below_the_line_sample": "BTL"})).rename(columns={ours: theirs for ours, theirs in names.items()})
    codes = "{disposition: {sar_filed: SAR, productive: ESC, closed: NFA}, review_kind: {above_the_line: ATL, below_the_line_sample: BTL}}"
    (tmp_path / "columns.yaml").write_text("\n".join(f"{ours}: {theirs}" for ours, theirs in names.items()))
    (tmp_path / "settings.yaml").write_text("wire_velocity: {threshold: {personal: 100, business: 120}}\ncash_in_band: {threshold: 100}\n")  # its settings file: its own scenarios' thresholds
    bundle, results, rows = run_on_history("aml_tuning.ipynb", exported, tmp_path, "-p", "scenarios", "[wire_velocity, cash_in_band]", "-p", "history_codes", codes,
                                           "-p", "history_columns", tmp_path / "columns.yaml", "-p", "scenario_settings", tmp_path / "settings.yaml", model_id="BANK-HISTORY")
    assert results["metrics"]["evidence"]["value"] == "history"
    table = results["tables"]["recommendations"]
    assert "recall" not in table["columns"] and "precision" not in table["columns"]  # not measurable without ground truth
    assert rows[("wire_velocity", "personal")]["recommended"] == 90.0 and rows[("wire_velocity", "personal")]["decision"].startswith("lower")
    assert rows[("wire_velocity", "business")]["recommended"] > 100 and rows[("wire_velocity", "business")]["decision"].startswith("raise")
    assert rows[("cash_in_band", "personal")]["recommended"] >= 100 and "no below-the-line sample" in rows[("cash_in_band", "personal")]["decision"]  # never lowered without BTL evidence
    findings = {f["id"]: f for f in results["findings"]}
    assert sorted(findings) == ["BTL-LOWER", "BTL-UNREVIEWED", "TUNE-SETTINGS"]  # wire_velocity/personal is lowered; cash_in_band has no BTL review; the settings file disagrees with the history
    assert results["tables"]["settings_against_history"]["rows"] == [["wire_velocity", "business", 120.0, 100.0]]  # the history's alerts were raised at 100 where the file says 120
    assert "wire_velocity (personal)" in findings["BTL-LOWER"]["detail"] and "cash_in_band" not in findings["BTL-LOWER"]["detail"]
    assert "cash_in_band (personal)" in findings["BTL-UNREVIEWED"]["detail"] and "wire_velocity" not in findings["BTL-UNREVIEWED"]["detail"]
    assert "recall_by_typology" not in results["tables"] and "pattern_recall" not in results["metrics"]
    inputs = json.loads((bundle / "inputs.json").read_text())
    assert set(inputs) == {"alert_history", "scenario_settings"} and inputs["alert_history"]["codes"]["disposition"]["sar_filed"] == "SAR" and inputs["alert_history"]["columns"] == names  # no labels, no transactions were read; the translation is on record
    notebook = (bundle / "notebook.ipynb").read_text()
    assert "Not run:** segmentation" in notebook and "Not measurable:** recall" in notebook


def test_a_history_that_contradicts_itself_is_refused_by_row(tmp_path):
    history = bank_history(); history.loc[[3, 4], "driving_value"] = 50.0  # alerts below their threshold in force
    path = tmp_path / "alert_history.csv"; history.to_csv(path, index=False)
    result = mrm("run", REPO / "nbs/validation/aml_tuning.ipynb", "-p", "data_dir", tmp_path, "-p", "alert_history", path, "--out", tmp_path / "out", "--no-progress", check=1)
    (bundle,) = bundles(tmp_path / "out")
    said = " ".join(((bundle / "manifest.json").read_text() + result.stdout).split())
    assert "an above-the-line alert below its threshold in force: 2 row(s), e.g. alert H000003, H000004" in said, said


def test_a_transaction_extract_delivered_empty(tmp_path, small_bank):
    "The bank's transaction extract arrives with its header and no rows (an upstream job that failed), beside its customers, accounts and control totals. The data-quality review fails it as empty (every check made row by row would pass it) and says timeliness has no booking to date; the tuning from the alert history goes on without re-running the scenarios and says why; a tuning on ground truth is refused (it would have nothing to run the scenarios on). The review and the tuning stopped with AttributeError and MRMError before."
    import shutil
    for name in ("customers", "accounts", "daily_control_totals"): shutil.copy(small_bank / f"{name}.parquet", tmp_path)
    pd.read_parquet(small_bank / "transactions.parquet").iloc[:0].to_csv(tmp_path / "transactions.csv", index=False)
    mrm("run", REPO / "nbs/validation/aml_data_quality.ipynb", "-p", "data_dir", ".", "-p", "as_of", "2025-02-03", "--model-id", "DQ-EMPTY", "--out", "dq", "--no-progress", check=0, cwd=tmp_path)
    (bundle,) = bundles(tmp_path / "dq")
    checks = {c["check"]: (c["status"], c["detail"]) for c in json.loads((bundle / "results.json").read_text())["checks"] if c["check"] not in ("completeness", "validity", "uniqueness")}
    assert checks["rows delivered"][0] == "fail" and checks["rows delivered"][1].startswith("transactions: no rows (rows per dataset: customers 200, accounts ")
    assert checks["timeliness"] == ("not run", "no booking date in transactions: it holds no rows (see rows delivered)")
    assert checks["reconciliation"] == ("fail", "30 of 30 day(s) do not reconcile; net count difference -5,000")
    assert any(f["title"] == "rows delivered 0 rows, below the limit 1 (transactions)" for f in json.loads((bundle / "results.json").read_text())["findings"])
    bank_history().to_csv(tmp_path / "alert_history.csv", index=False)
    mrm("run", REPO / "nbs/validation/aml_tuning.ipynb", "-p", "data_dir", ".", "-p", "alert_history", "alert_history.csv", "-p", "scenarios", "[wire_velocity, cash_in_band]",
        "--model-id", "EMPTY-EXTRACT", "--out", "tuning", "--no-progress", check=0, cwd=tmp_path)
    (bundle,) = bundles(tmp_path / "tuning")
    table = json.loads((bundle / "results.json").read_text())["tables"]["recommendations"]
    rows = {(row[0], row[1]): dict(zip(table["columns"], row)) for row in table["rows"]}
    assert rows[("wire_velocity", "personal")]["recommended"] == 90.0  # tuned from the history alone, as without the folder
    assert "Not run:** transactions.csv holds no rows: the scenarios are not re-run here" in (bundle / "notebook.ipynb").read_text()
    labels = pd.DataFrame({"transaction_id": pd.Series(dtype=str), "typology": pd.Series(dtype=str)}); labels.to_csv(tmp_path / "transaction_labels.csv", index=False)
    mrm("run", REPO / "nbs/validation/aml_tuning.ipynb", "-p", "data_dir", tmp_path, "--model-id", "EMPTY-TRUTH", "--out", tmp_path / "truth", "--no-progress", check=1, cwd=tmp_path)
    (bundle,) = bundles(tmp_path / "truth")
    assert "transactions.csv: no rows: a tuning on ground truth runs the scenarios on the transactions its labels label" in json.loads((bundle / "manifest.json").read_text())["error"]

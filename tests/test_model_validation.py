"""`mrm validate` on a model the demo does not contain, run from a temporary folder outside the repository: a scikit-learn
pipeline (joblib) scoring card fraud, with its own column names, a text positive class, an age band as protected attribute
and no monitoring sample. Every test either runs
or says why not; the numbers agree with scikit-learn on the same rows; a swapped artifact is refused before anything runs."""
import hashlib, json
import joblib, numpy as np, pandas as pd, pytest, yaml
from sklearn.compose import make_column_transformer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score, average_precision_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from conftest import bundles, mrm
from mrm_research.core import sha256_file

FEATURES = ["txn_amount", "hour", "device_age_days", "merchant_type"]


def fraud_data(rows: int, start: str, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"txn_amount": rng.lognormal(4, 1.2, rows), "hour": rng.integers(0, 24, rows).astype(float),
                          "device_age_days": rng.exponential(200, rows), "merchant_type": rng.choice(["grocery", "travel", "digital", "fuel"], rows),
                          "event_time": pd.Timestamp(start) + pd.to_timedelta(rng.uniform(0, 60, rows), unit="D"),
                          "age_band": rng.choice(["18-29", "30-49", "50+"], rows, p=[0.3, 0.45, 0.25])})
    logit = -4 + 0.5 * np.log(frame.txn_amount) - 0.004 * frame.device_age_days + 1.2 * (frame.merchant_type == "digital") + 0.6 * ((frame.hour < 5) | (frame.hour > 22))
    frame["is_fraud"] = np.where(rng.random(rows) < 1 / (1 + np.exp(-logit)), "yes", "no")
    return frame


@pytest.fixture(scope="module")
def fraud_model(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fraud")
    train, test = fraud_data(3000, "2025-01-01", 1), fraud_data(1500, "2025-03-05", 2)
    train.to_parquet(folder / "train.parquet"); test.to_csv(folder / "test.csv", index=False)
    pipeline = make_pipeline(make_column_transformer((StandardScaler(), ["txn_amount", "hour", "device_age_days"]), (OneHotEncoder(handle_unknown="ignore"), ["merchant_type"])),
                             LogisticRegression(max_iter=1000)).fit(train[FEATURES], train.is_fraud)
    joblib.dump(pipeline, folder / "fraud.joblib")
    card = {"model_id": "CARD-FRAUD-7", "name": "card fraud scorer", "version": "3.1", "owner": "Fraud operations", "developer": "Fraud analytics",
            "purpose": "Score card transactions for fraud review.", "intended_use": "Queue transactions for manual review.", "algorithm": "logistic regression (scikit-learn pipeline)",
            "artifact": {"path": "fraud.joblib", "sha256": sha256_file(folder / "fraud.joblib"), "format": "joblib"},
            "features": [{"name": n, "type": "categorical" if n == "merchant_type" else "numeric"} for n in FEATURES],
            "target": "is_fraud", "positive_class": "yes", "threshold": 0.2, "time_column": "event_time", "segment_column": "merchant_type",
            "protected_attributes": ["age_band"], "limitations": ["Card-present and card-not-present transactions are scored alike."]}
    (folder / "card.yaml").write_text(yaml.safe_dump(card))
    return folder, pipeline, test


def test_validate_a_model_the_demo_does_not_contain(tmp_path, fraud_model):
    folder, pipeline, test = fraud_model
    scores = pipeline.predict_proba(test[FEATURES])[:, list(pipeline.classes_).index("yes")]
    labels = (test.is_fraud == "yes").astype(int)
    auc = roc_auc_score(labels, scores)  # the bank's policy asks more discrimination of this model than it has, and allows less population shift than the library
    (tmp_path / "limits.yaml").write_text(f"discrimination: {{warn_below: {auc + 0.01}, fail_below: {auc + 0.005}}}\npopulation stability: {{fail_above: 0.2}}\n")
    mrm("validate", folder / "card.yaml", "--train", folder / "train.parquet", "--test", folder / "test.csv", "-p", "replicates", "200",
        "-p", "mutable_features", "[]", "-p", "check_limits", "limits.yaml", "--out", tmp_path / "out", "--no-progress", cwd=tmp_path, check=0)
    (bundle,) = bundles(tmp_path / "out")
    manifest = json.loads((bundle / "manifest.json").read_text())
    assert (manifest["model_id"], manifest["model_version"], manifest["status"]) == ("CARD-FRAUD-7", "3.1", "succeeded")
    results = json.loads((bundle / "results.json").read_text())
    assert results["metrics"]["test_roc_auc"]["value"] == pytest.approx(roc_auc_score(labels, scores), abs=1e-12)
    assert results["metrics"]["test_pr_auc"]["value"] == pytest.approx(average_precision_score(labels, scores), abs=1e-12)
    statuses = {c["check"]: c["status"] for c in results["checks"]}
    for check in ("data contract", "performance deterioration", "population stability", "adversarial evasion"):
        assert statuses[check] == "not run", check  # no contract, no monitoring sample, no mutable features: each says why
    reasons = {c["check"]: c["detail"] for c in results["checks"] if c["status"] == "not run"}
    assert "no monitoring sample" in reasons["performance deterioration"] and "no mutable features" in reasons["adversarial evasion"]
    for check in ("discrimination", "events flagged at the operating threshold", "expected calibration error", "out-of-time separation", "disparate impact", "benchmarking against challengers",
                  "hyperparameter sensitivity", "label-noise robustness"):  # a scikit-learn pipeline is cloned and refitted
        assert statuses[check] in ("pass", "warn", "fail"), check
    discrimination = next(c for c in results["checks"] if c["check"] == "discrimination")
    assert discrimination["status"] == "fail" and discrimination["rule"].startswith(f"Limits of limits.yaml: warn below {auc + 0.01:g}, fail below {auc + 0.005:g}. The library's rule, for reference:")
    assert any(f["title"].startswith("discrimination") and f"below the limit {auc + 0.005:g}" in f["title"] for f in results["findings"])
    assert [row[0] for row in results["tables"]["check_limits"]["rows"]] == ["discrimination", "population stability"]
    inputs = json.loads((bundle / "inputs.json").read_text())
    assert set(inputs) == {"train", "test", "model_artifact", "check_limits"}  # the samples, the artifact under validation (its sha256, for the registry) and the policy's limits
    assert inputs["check_limits"]["sha256"] == hashlib.sha256((tmp_path / "limits.yaml").read_bytes()).hexdigest()
    assert inputs["model_artifact"]["role"] == "model under validation" and len(inputs["model_artifact"]["sha256"]) == 64
    assert all(f["see"].startswith("check_") for f in results["findings"] if f["id"].split("-")[0] in ("DATA", "PERF", "CAL", "FAIR", "BENCH"))
    assert "fairness_age_band" in results["tables"] and "challengers" in results["tables"]


def test_a_swapped_artifact_is_refused_before_anything_runs(tmp_path, fraud_model):
    folder, pipeline, _ = fraud_model
    swapped = tmp_path / "swapped"; swapped.mkdir()
    card = yaml.safe_load((folder / "card.yaml").read_text())
    joblib.dump(LogisticRegression(), swapped / "fraud.joblib")
    (swapped / "card.yaml").write_text(yaml.safe_dump(card))
    result = mrm("validate", swapped / "card.yaml", "--train", folder / "train.parquet", "--test", folder / "test.csv", "--out", tmp_path / "out", cwd=tmp_path, check=2)
    assert "refused before loading" in result.stderr and not (tmp_path / "out").exists()


def test_a_card_that_breaks_its_contract_names_every_field(tmp_path, fraud_model):
    folder, _, _ = fraud_model
    card = yaml.safe_load((folder / "card.yaml").read_text())
    card["threshold"] = 2; card["protected_attributes"] = ["hour"]; del card["owner"]
    (tmp_path / "card.yaml").write_text(yaml.safe_dump(card))
    result = mrm("validate", tmp_path / "card.yaml", "--train", folder / "train.parquet", "--test", folder / "test.csv", "--out", tmp_path / "out", cwd=tmp_path, check=2)
    assert "fails contract model_card" in result.stderr and "'owner' is a required property" in result.stderr and "field 'threshold'" in result.stderr


def test_monitoring_without_labels_is_estimated_not_measured(tmp_path, fraud_model):
    "AML and fraud labels arrive late: a monitoring extract made before them (its target column absent; an empty one is read the same) gets drift and estimated (CBPE) performance only. The extract also leaves out the protected attribute, which only the test sample's fairness tests read."
    folder, _, _ = fraud_model
    monitor = fraud_data(2000, "2025-05-10", 3).drop(columns=["is_fraud", "age_band"]).assign(txn_amount=lambda f: f.txn_amount * 1.8)  # larger amounts, no labels yet
    monitor.to_csv(tmp_path / "monitor.csv", index=False)
    mrm("validate", folder / "card.yaml", "--train", folder / "train.parquet", "--test", folder / "test.csv", "--monitor", tmp_path / "monitor.csv",
        "-p", "replicates", "100", "-p", "mutable_features", "[txn_amount]", "--out", tmp_path / "out", "--no-progress", cwd=tmp_path, check=0)
    (bundle,) = bundles(tmp_path / "out")
    results = json.loads((bundle / "results.json").read_text())
    checks = {c["check"]: c for c in results["checks"]}
    assert checks["performance deterioration"]["status"] == "not run" and "no labels yet" in checks["performance deterioration"]["detail"]
    estimated = results["tables"]["estimated_performance"]
    assert estimated["rows"] and all(row[estimated["columns"].index("realised")] is None for row in estimated["rows"])
    drift = {(r[1], r[3]) for r in results["tables"]["drift"]["rows"]}  # (feature, psi)
    assert max(psi for feature, psi in drift if feature == "txn_amount") > 0.25 and results["metrics"]["revalidation_triggers"]["value"] >= 1
    assert checks["adversarial evasion"]["status"] in ("pass", "warn", "fail")


def test_monitoring_labelled_in_part_is_measured_on_its_labelled_rows(tmp_path, fraud_model):
    "Outcomes arrive row by row: the monitoring extract's last weeks have no label yet, and a few older rows have none either (never investigated). Performance is measured on the labelled rows (as scikit-learn gives it on them), drift and the estimate before labels on every row; the older gaps are a finding. A feed gap in one feature, which the pipeline (no imputer) cannot score, sets those rows aside with a warning rather than stopping the run."
    folder, pipeline, _ = fraud_model
    monitor = fraud_data(2400, "2025-05-10", 4).drop(columns=["age_band"])
    waiting = monitor.event_time >= pd.Timestamp("2025-06-20")  # the last three weeks: not yet labelled
    gaps = ~waiting & (np.arange(len(monitor)) % 50 == 0)  # older rows with no label
    monitor["is_fraud"] = monitor.is_fraud.mask(waiting | gaps)
    unscorable = np.arange(len(monitor)) % 80 == 7
    monitor["device_age_days"] = monitor.device_age_days.mask(unscorable)
    monitor.to_csv(tmp_path / "monitor.csv", index=False)
    mrm("validate", folder / "card.yaml", "--train", folder / "train.parquet", "--test", folder / "test.csv", "--monitor", tmp_path / "monitor.csv",
        "-p", "replicates", "50", "-p", "mutable_features", "[]", "-p", "frequency", "W", "--out", tmp_path / "out", "--no-progress", cwd=tmp_path, check=0)
    (bundle,) = bundles(tmp_path / "out")
    results = json.loads((bundle / "results.json").read_text())
    labelled, scored = monitor[~(waiting | gaps | unscorable)], monitor[~unscorable]
    scores = pipeline.predict_proba(labelled[FEATURES])[:, list(pipeline.classes_).index("yes")]
    performance = pd.DataFrame(results["tables"]["performance"]["rows"], columns=results["tables"]["performance"]["columns"]).set_index(["sample", "metric"])
    assert performance.loc[("monitoring", "roc_auc"), "estimate"] == pytest.approx(roc_auc_score(labelled.is_fraud == "yes", scores), abs=1e-12)
    assert performance.loc[("monitoring", "base_rate"), "estimate"] == pytest.approx((labelled.is_fraud == "yes").mean(), abs=1e-12)
    assert {c["check"]: c["status"] for c in results["checks"]}["performance deterioration"] in ("pass", "warn", "fail")
    estimated = pd.DataFrame(results["tables"]["estimated_performance"]["rows"], columns=results["tables"]["estimated_performance"]["columns"])
    by_window = estimated.groupby("window").agg(rows=("rows", "first"), labelled=("labelled_rows", "first"), realised=("realised", lambda r: r.notna().any()))
    assert by_window.rows.sum() == len(scored) and by_window.labelled.sum() == len(labelled)
    assert not by_window.realised.iloc[-1] and by_window.labelled.iloc[-1] == 0 and by_window.realised.iloc[0]  # the latest window has no label yet, the first has
    assert any(f["id"] == "DATA-LABEL-GAPS" and f"{int(gaps.sum()):,} monitoring rows" in f["title"] for f in results["findings"])
    assert any(f"{int((waiting | gaps)[~unscorable].sum()):,} of the {len(scored):,} rows have no label: " in text for text in results["limitations"])
    check = next(c for c in results["checks"] if c["check"] == "rows the model can score")
    assert check["status"] == "warn" and check["detail"] == f"monitoring: {unscorable.sum()} of {len(monitor):,} rows (1.2%) not scored, a missing value the model does not accept in device_age_days ({unscorable.sum()})"
    assert results["tables"]["unscored_rows"]["rows"] == [["monitoring", len(monitor), int(unscorable.sum()), "1.2%", check["detail"].split("not scored, ")[1]]]


def test_an_onnx_model_is_validated_through_the_same_calls(tmp_path, fraud_model):
    "A CatBoost model exported to ONNX (numeric features only): scored by onnxruntime, explained model-agnostically, its AUC CatBoost's own."
    from catboost import CatBoostClassifier
    folder, _, test = fraud_model
    numeric = ["txn_amount", "hour", "device_age_days"]
    train = pd.read_parquet(folder / "train.parquet")
    model = CatBoostClassifier(iterations=80, depth=4, verbose=False, random_seed=0).fit(train[numeric], (train.is_fraud == "yes").astype(int))
    model.save_model(str(tmp_path / "fraud.onnx"), format="onnx")
    card = yaml.safe_load((folder / "card.yaml").read_text())
    card |= {"model_id": "CARD-FRAUD-ONNX", "algorithm": "CatBoost exported to ONNX", "features": [{"name": n, "type": "numeric"} for n in numeric],
             "artifact": {"path": "fraud.onnx", "sha256": sha256_file(tmp_path / "fraud.onnx"), "format": "onnx"}}
    (tmp_path / "card.yaml").write_text(yaml.safe_dump(card))
    mrm("validate", tmp_path / "card.yaml", "--train", folder / "train.parquet", "--test", folder / "test.csv", "-p", "replicates", "100",
        "-p", "mutable_features", "[txn_amount]", "--out", tmp_path / "out", "--no-progress", cwd=tmp_path, check=0)
    (bundle,) = bundles(tmp_path / "out")
    results = json.loads((bundle / "results.json").read_text())
    expected = roc_auc_score((test.is_fraud == "yes").astype(int), model.predict_proba(test[numeric])[:, 1])
    assert results["metrics"]["test_roc_auc"]["value"] == pytest.approx(expected, abs=1e-5)  # onnxruntime computes in float32
    assert results["metrics"]["shap_additivity_error"]["value"] < 1e-6
    assert {c["check"]: c["status"] for c in results["checks"]}["hyperparameter sensitivity"] == "not run"


def test_a_thin_test_sample_and_a_one_row_monitoring_extract(tmp_path, fraud_model):
    "A small bank's validation sample: 30 test rows with 2 events, and a monitoring extract of one scored row. What such samples cannot support is said (a finding naming the counts; ROC-AUC estimated before labels needs two rows), and the run goes on."
    folder, _, _ = fraud_model
    test = fraud_data(30, "2025-03-05", 11); test.to_csv(tmp_path / "test.csv", index=False)
    fraud_data(1, "2025-06-01", 5).to_csv(tmp_path / "monitor.csv", index=False)
    events = int((test.is_fraud == "yes").sum()); assert 0 < events < 10
    mrm("validate", folder / "card.yaml", "--train", folder / "train.parquet", "--test", tmp_path / "test.csv", "--monitor", tmp_path / "monitor.csv",
        "-p", "replicates", "50", "-p", "mutable_features", "[]", "--out", tmp_path / "out", "--no-progress", cwd=tmp_path, check=0)
    (bundle,) = bundles(tmp_path / "out")
    results = json.loads((bundle / "results.json").read_text())
    findings = {f["id"]: f for f in results["findings"]}
    assert findings["DATA-FEW-EVENTS"]["title"].startswith(f"the test sample holds {events} positives, fewer than 10") and findings["DATA-FEW-EVENTS"]["severity"] == "medium"
    assert findings["DATA-ONE-CLASS"]["severity"] == "medium"  # the monitoring row is of one class
    estimated = pd.DataFrame(results["tables"]["estimated_performance"]["rows"], columns=results["tables"]["estimated_performance"]["columns"]).set_index("metric")
    assert pd.isna(estimated.loc["roc_auc", "estimated"]) and estimated.loc["alert_rate", "estimated"] in (0.0, 1.0) and (estimated.rows == 1).all()




def test_a_test_sample_delivered_with_no_rows_is_refused(tmp_path, fraud_model):
    "A test extract with its header and no rows is refused as it is read, saying the validation measures the model on it (an empty monitoring extract is measured as not measured: test_a_flag_feature_written_true_false_in_a_csv)."
    folder, _, _ = fraud_model
    fraud_data(5, "2025-06-01", 5).iloc[:0].to_csv(tmp_path / "test.csv", index=False)
    mrm("validate", folder / "card.yaml", "--train", folder / "train.parquet", "--test", "test.csv", "--out", "refused", "--no-progress", cwd=tmp_path, check=1)
    (bundle,) = bundles(tmp_path / "refused")
    assert "test (test.csv): no rows: the validation measures the model on these rows" in json.loads((bundle / "manifest.json").read_text())["error"]

def test_a_flag_feature_written_true_false_in_a_csv(tmp_path):
    "A retail PD model trained on a Parquet file whose flag is boolean (has_mortgage) and integer region codes, validated on a CSV export where the flag is written True / False: read as pandas.read_csv reads it, so the pipeline scores it as in training (it stopped on \"could not convert string to float: 'True'\"), and ROC-AUC agrees with scikit-learn on the CSV as pandas reads it. Its monitoring extract arrives with its header and no rows: recorded, and monitoring reported as not measured while the validation goes on (scoring zero rows stopped the run with a message blaming feature types)."
    from sklearn.ensemble import RandomForestClassifier
    def applications(rows, seed, start):
        rng = np.random.default_rng(seed)
        frame = pd.DataFrame({"income": rng.lognormal(10, 0.5, rows), "has_mortgage": rng.random(rows) < 0.4, "region_code": rng.integers(1, 6, rows),
                              "applied_on": pd.Timestamp(start) + pd.to_timedelta(rng.uniform(0, 90, rows), unit="D")})
        frame["default"] = (rng.random(rows) < 1 / (1 + np.exp(1 + 0.5 * (np.log(frame.income) - 10) - 0.8 * frame.has_mortgage))).astype(int)
        return frame
    train, test = applications(2000, 1, "2024-01-01"), applications(1000, 2, "2024-05-01")
    train.to_parquet(tmp_path / "train.parquet"); test.to_csv(tmp_path / "test.csv", index=False)
    features = ["income", "has_mortgage", "region_code"]
    pipeline = make_pipeline(make_column_transformer((StandardScaler(), ["income"]), ("passthrough", ["has_mortgage"]), (OneHotEncoder(handle_unknown="ignore"), ["region_code"])),
                             RandomForestClassifier(n_estimators=30, min_samples_leaf=20, random_state=0)).fit(train[features], train["default"])
    joblib.dump(pipeline, tmp_path / "pd.joblib")
    card = {"model_id": "RETAIL-PD", "name": "retail PD", "version": "1", "owner": "Credit", "developer": "Credit analytics", "purpose": "Probability of default.", "intended_use": "Pricing.",
            "algorithm": "random forest", "artifact": {"path": "pd.joblib", "sha256": sha256_file(tmp_path / "pd.joblib"), "format": "joblib"},
            "features": [{"name": "income", "type": "numeric"}, {"name": "has_mortgage", "type": "categorical"}, {"name": "region_code", "type": "categorical"}],
            "target": "default", "positive_class": 1, "threshold": 0.3, "time_column": "applied_on", "limitations": ["Applications only."]}
    (tmp_path / "card.yaml").write_text(yaml.safe_dump(card))
    test.iloc[:0].to_csv(tmp_path / "monitor.csv", index=False)  # the monitoring extract, delivered empty
    mrm("validate", tmp_path / "card.yaml", "--train", tmp_path / "train.parquet", "--test", tmp_path / "test.csv", "--monitor", "monitor.csv", "-p", "replicates", "50", "-p", "mutable_features", "[]",
        "--out", tmp_path / "out", "--no-progress", cwd=tmp_path, check=0)
    (bundle,) = bundles(tmp_path / "out")
    results = json.loads((bundle / "results.json").read_text())
    assert "Not run:** monitoring: monitor.csv holds no rows, so ongoing monitoring (drift, performance over time) is not measured" in (bundle / "notebook.ipynb").read_text()
    assert "monitoring_rows" not in results["metrics"] and json.loads((bundle / "inputs.json").read_text())["monitoring"]["rows"] == 0  # the empty file given is on record
    as_read = pd.read_csv(tmp_path / "test.csv")
    assert as_read.has_mortgage.dtype == bool
    assert results["metrics"]["test_roc_auc"]["value"] == pytest.approx(roc_auc_score(as_read["default"], pipeline.predict_proba(as_read[features])[:, 1]), abs=1e-12)


def test_a_category_the_model_never_saw_is_set_aside_not_a_stop(tmp_path):
    "A pipeline whose encoder refuses unknown categories, and a monitoring extract where a new merchant type has appeared: those rows are set aside and counted with the category named (the run had stopped on the encoder's error), and the monitoring measures are those of scikit-learn on the rest; drift counts the new type in its feature (measured on every row) and the score on the rows scored."
    train, test, monitor = fraud_data(2000, "2025-01-01", 1), fraud_data(1000, "2025-03-05", 2), fraud_data(600, "2025-06-01", 5)
    monitor.loc[monitor.index[::20], "merchant_type"] = "crypto"  # 30 rows of a type the training sample never had
    train.to_parquet(tmp_path / "train.parquet"); test.to_csv(tmp_path / "test.csv", index=False); monitor.to_csv(tmp_path / "monitor.csv", index=False)
    pipeline = make_pipeline(make_column_transformer((StandardScaler(), ["txn_amount", "hour", "device_age_days"]), (OneHotEncoder(), ["merchant_type"])),
                             LogisticRegression(max_iter=1000)).fit(train[FEATURES], train.is_fraud)
    joblib.dump(pipeline, tmp_path / "strict.joblib")
    card = {"model_id": "CARD-STRICT", "name": "card fraud scorer", "version": "1", "owner": "Fraud operations", "developer": "Fraud analytics", "purpose": "Score card transactions.",
            "intended_use": "Queue transactions for review.", "algorithm": "logistic regression", "artifact": {"path": "strict.joblib", "sha256": sha256_file(tmp_path / "strict.joblib"), "format": "joblib"},
            "features": [{"name": n, "type": "categorical" if n == "merchant_type" else "numeric"} for n in FEATURES], "target": "is_fraud", "positive_class": "yes", "threshold": 0.2,
            "time_column": "event_time", "limitations": ["Card-present and card-not-present transactions are scored alike."]}
    (tmp_path / "card.yaml").write_text(yaml.safe_dump(card))
    mrm("validate", tmp_path / "card.yaml", "--train", tmp_path / "train.parquet", "--test", tmp_path / "test.csv", "--monitor", tmp_path / "monitor.csv",
        "-p", "replicates", "50", "-p", "mutable_features", "[]", "--out", tmp_path / "out", "--no-progress", cwd=tmp_path, check=0)
    (bundle,) = bundles(tmp_path / "out")
    results = json.loads((bundle / "results.json").read_text())
    scorable = {c["check"]: c for c in results["checks"]}["rows the model can score"]
    assert scorable["status"] == "warn" and "monitoring: 30 of 600 rows (5.0%) not scored, a category the training sample never had in merchant_type (30: crypto)" in scorable["detail"], scorable
    kept = pd.read_csv(tmp_path / "monitor.csv").query("merchant_type != 'crypto'")
    performance = pd.DataFrame(results["tables"]["performance"]["rows"], columns=results["tables"]["performance"]["columns"]).set_index(["sample", "metric"])
    assert performance.loc[("monitoring", "roc_auc"), "estimate"] == pytest.approx(roc_auc_score(kept.is_fraud == "yes", pipeline.predict_proba(kept[FEATURES])[:, 1]), abs=1e-12)
    drift = pd.DataFrame(results["tables"]["drift"]["rows"], columns=results["tables"]["drift"]["columns"])
    rows = drift.groupby("feature").current_rows.sum()
    assert rows["merchant_type"] == 600 and rows["score"] == 570  # the features on every row (a row set aside is still the population), the score on the rows scored
    new_type = drift[drift.feature == "merchant_type"]
    assert (new_type.unseen_share * new_type.current_rows).sum() == pytest.approx(30)  # the new merchant type is drift of its feature

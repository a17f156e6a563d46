"""A foreign-model zoo for `mrm validate`: models and data the demo does not contain, each written to a temporary folder
outside the repository and validated from there, as a validator would from their own folder. Between them they cover
string, boolean and integer labels; categorical features with missing and unseen values; a protected group too small to
measure; a monitoring sample with thin windows and a window with one class; a wide model (300 features); a score-only
(vendor) card; XGBoost and LightGBM model files; and use cases other than AML. Each run must succeed, its numbers must agree
with scikit-learn on the same rows, and what it could not measure must be reported as such, with the reason.

Data: statsmodels' bundled `fair` data set (Fair, 1978) for one case; the others are generated here with the seeds given. The zoo is split over two files (the rest in test_validation_zoo_formats.py) so that parallel test workers share it."""

import joblib, numpy as np, pandas as pd, pytest
from sklearn.compose import make_column_transformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score, average_precision_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from zoo import applicants, artifact, validate, write_card


def test_credit_scorecard_with_text_labels_missing_categories_a_tiny_group_and_thin_monitoring(tmp_path):
    "Credit PD scorecard (scikit-learn pipeline, joblib): text labels, missing and unseen housing values, an age band of a few rows, 150 monitoring rows over six months."
    features = ["income_k", "debt_to_income", "oldest_account_months", "housing"]
    train, test = applicants(2500, "2024-01-01", 11), applicants(1200, "2024-07-01", 12)
    test.loc[test.index[:25], "housing"] = "caravan"  # a category the model never saw
    test.loc[test.age_band == "under 21", "age_band"] = "21 and over"; test.loc[test.index[:12], "age_band"] = "under 21"  # twelve rows: too few to compare
    monitor = applicants(150, "2025-01-01", 13)  # about 25 rows a month
    january = monitor.application_date < "2025-02-01"
    monitor.loc[january, "outcome"] = "good"  # a window with one class
    pipeline = make_pipeline(make_column_transformer((StandardScaler(), features[:3]),
                                                     (make_pipeline(SimpleImputer(strategy="constant", fill_value="not captured"), OneHotEncoder(handle_unknown="ignore")), ["housing"])),
                             LogisticRegression(max_iter=1000)).fit(train[features], train.outcome)
    joblib.dump(pipeline, tmp_path / "scorecard.joblib")
    scale = [{"grade": g, "upper_pd": b} for g, b in (("R1", 0.05), ("R2", 0.10), ("R3", 0.20), ("R4", 0.35), ("R5", 1.0))]
    from mrm_research.validation.credit import MasterScale
    a_year_ago = pipeline.predict_proba(test[features])[:, 0] * np.exp(np.random.default_rng(14).normal(0, 0.25, len(test)))  # class 0 is 'bad'
    test["grade_a_year_ago"] = MasterScale.from_card(scale).assign(np.clip(a_year_ago, 0, 1))
    for name, frame in (("train", train), ("test", test), ("monitor", monitor)): frame.to_csv(tmp_path / f"{name}.csv", index=False)
    write_card(tmp_path, model_id="RETAIL-PD-01", name="retail application scorecard", use_case="credit_pd", algorithm="logistic regression scorecard",
               artifact=artifact(tmp_path, "scorecard.joblib", "joblib"),
               features=[{"name": n, "type": "categorical" if n == "housing" else "numeric"} for n in features], target="outcome", positive_class="bad",
               threshold=0.3, time_column="application_date", protected_attributes=["age_band"], costs={"false_negative": 8, "false_positive": 1},
               master_scale=scale, previous_grade_column="grade_a_year_ago", initial_validation={"auc": 0.9, "date": "2023-06-30"},
               limitations=["Through-the-door population only."])
    bundle, results, checks = validate(tmp_path)
    read = pd.read_csv(tmp_path / "test.csv")
    scores = pipeline.predict_proba(read[features])[:, list(pipeline.classes_).index("bad")]
    assert results["metrics"]["test_roc_auc"]["value"] == pytest.approx(roc_auc_score(read.outcome == "bad", scores), abs=1e-12)
    assert "not measured" in checks["disparate impact"]["detail"] and "under 21 12 rows" in checks["disparate impact"]["detail"]
    drift_note = next(c["detail"] for c in results["checks"] if c["check"] == "population stability")
    assert checks["population stability"]["status"] in ("pass", "warn", "fail"), drift_note  # coarsened windows were measured
    assert checks["hyperparameter sensitivity"]["status"] in ("pass", "warn", "fail") and checks["label-noise robustness"]["status"] in ("pass", "warn", "fail")
    assert "no mutable features" in checks["adversarial evasion"]["detail"]
    text = (bundle / "notebook.ipynb").read_text()
    assert "Default flags follow the card's default definition" in text and "investigators" not in text and "productive" not in text.lower()
    assert results["metrics"]["refit_reproduction_error"]["value"] < 1e-6  # the refit is the scorecard
    assert all("check failed" not in f["title"] for f in results["findings"])
    from scipy import stats
    grades = results["tables"]["grade_calibration"]; columns = grades["columns"]
    portfolio = dict(zip(columns, grades["rows"][-1]))
    assert portfolio["grade"] == "portfolio" and portfolio["obligors"] == len(read) and portfolio["defaults"] == int((read.outcome == "bad").sum())
    assert float(portfolio["Jeffreys p"]) == pytest.approx(stats.beta(portfolio["defaults"] + 0.5, len(read) - portfolio["defaults"] + 0.5).cdf(scores.mean()), rel=1e-2)  # shown to 3 digits
    statuses = {c["check"]: c["status"] for c in results["checks"]}
    for check in ("PD calibration (Jeffreys test)", "discriminatory power against initial validation", "grade migration", "grade concentration"):
        assert statuses[check] in ("pass", "warn", "fail"), check
    assert checks["discriminatory power against initial validation"]["status"] == "fail"  # an AUC near 0.7 against 0.9 at approval
    title = next(f["title"] for f in results["findings"] if f["title"].startswith("discriminatory power against initial validation "))
    assert title.endswith(", below the limit 0.05") and float(title.split()[5].rstrip(",")) < 0.05, title  # the value and the rule it broke


def test_xgboost_fraud_model_with_boolean_labels(tmp_path):
    "Fraud (XGBoost JSON model file): boolean labels, a categorical channel with missing values, mutable features from the card."
    import xgboost
    rng = np.random.default_rng(21)
    def transactions(rows, start):
        frame = pd.DataFrame({"amount": rng.lognormal(4, 1.1, rows), "merchant_risk": rng.uniform(0, 1, rows), "channel": rng.choice(["pos", "ecom", "atm"], rows),
                              "booked_at": pd.Timestamp(start) + pd.to_timedelta(rng.uniform(0, 90, rows), unit="D"), "region": rng.choice(["north", "south", "east"], rows)})
        frame.loc[rng.random(rows) < 0.05, "channel"] = np.nan
        logit = -4 + 0.6 * np.log(frame.amount) + 2 * frame.merchant_risk + 0.8 * (frame.channel == "ecom")
        frame["is_fraud"] = rng.random(rows) < 1 / (1 + np.exp(-logit))
        return frame
    train, test, monitor = transactions(3000, "2025-01-01", ), transactions(1500, "2025-04-01"), transactions(900, "2025-07-01")
    for name, frame in (("train", train), ("test", test), ("monitor", monitor)): frame.to_csv(tmp_path / f"{name}.csv", index=False)
    features = ["amount", "merchant_risk", "channel"]
    model = xgboost.XGBClassifier(n_estimators=60, max_depth=3, learning_rate=0.1, enable_categorical=True, random_state=0).fit(train[features].assign(channel=train.channel.astype("category")), train.is_fraud.astype(int))
    model.save_model(str(tmp_path / "fraud.json"))
    write_card(tmp_path, model_id="CARD-FRAUD-XGB", name="card fraud model", use_case="fraud", algorithm="XGBoost", artifact=artifact(tmp_path, "fraud.json", "xgboost"),
               features=[{"name": n, "type": "categorical" if n == "channel" else "numeric"} for n in features], target="is_fraud", positive_class=True,
               threshold=0.2, time_column="booked_at", protected_attributes=["region"], mutable_features=["amount"],
               hyperparameters={"n_estimators": 60, "max_depth": 3, "learning_rate": 0.1})
    bundle, results, checks = validate(tmp_path)
    read = pd.read_csv(tmp_path / "test.csv")
    scores = model.predict_proba(read[features].assign(channel=read.channel.astype("category")))[:, 1]
    assert results["metrics"]["test_roc_auc"]["value"] == pytest.approx(roc_auc_score(read.is_fraud, scores), abs=1e-9)
    assert results["metrics"]["shap_additivity_error"]["value"] < 1e-4  # XGBoost's own TreeSHAP, float32
    assert checks["adversarial evasion"]["status"] in ("pass", "warn", "fail") and checks["hyperparameter sensitivity"]["status"] in ("pass", "warn", "fail")
    assert results["metrics"]["refit_reproduction_error"]["value"] < 1e-6
    assert "chargebacks" in (bundle / "notebook.ipynb").read_text()


def test_lightgbm_on_statsmodels_fair_data_with_integer_labels(tmp_path):
    "Generic binary classifier (LightGBM text model) on statsmodels' bundled `fair` data: integer labels, no time column, no monitoring sample."
    import lightgbm
    import statsmodels.api as sm
    data = sm.datasets.fair.load_pandas().data
    data = data.assign(had_affair=(data.affairs > 0).astype(int), occupation=data.occupation.astype(int).astype(str)).drop(columns="affairs")
    train, test = data.iloc[::2].reset_index(drop=True), data.iloc[1::2].reset_index(drop=True)
    train.to_csv(tmp_path / "train.csv", index=False); test.to_csv(tmp_path / "test.csv", index=False)
    features = ["rate_marriage", "age", "yrs_married", "children", "religious", "educ", "occupation"]
    frame = train[features].assign(occupation=train.occupation.astype("category"))
    booster = lightgbm.train({"objective": "binary", "num_leaves": 15, "learning_rate": 0.1, "verbose": -1, "seed": 0}, lightgbm.Dataset(frame, train.had_affair), 50)
    booster.save_model(str(tmp_path / "model.txt"))
    write_card(tmp_path, model_id="GENERIC-LGB", name="generic classifier", algorithm="LightGBM", artifact=artifact(tmp_path, "model.txt", "lightgbm"),
               features=[{"name": n, "type": "categorical" if n == "occupation" else "numeric"} for n in features], target="had_affair", positive_class=1, threshold=0.4)
    bundle, results, checks = validate(tmp_path, monitor=False)
    read = pd.read_csv(tmp_path / "test.csv").assign(occupation=lambda f: f.occupation.astype(str))
    scores = booster.predict(read[features].assign(occupation=pd.Categorical(read.occupation, categories=booster.pandas_categorical[0])))
    assert results["metrics"]["test_roc_auc"]["value"] == pytest.approx(roc_auc_score(read.had_affair, scores), abs=1e-12)
    assert results["metrics"]["test_pr_auc"]["value"] == pytest.approx(average_precision_score(read.had_affair, scores), abs=1e-12)
    assert checks["disparate impact"]["detail"] == "the model card names no protected attribute"
    assert checks["out-of-time separation"]["status"] == "not run" and "placeholder" in (bundle / "notebook.ipynb").read_text()
    assert any(f["id"] == "CS-02" for f in results["findings"])  # costs not stated: the generic placeholder is a finding

"""The foreign-model zoo, continued (see test_validation_zoo.py): a wide model of 300 features, vendor models given as scores (banded; never reaching the threshold), a CatBoost model with integer-coded categories, a pipeline of the bank's own transformer and scikit-learn's histogram gradient boosting."""

import json
import joblib, numpy as np, pandas as pd, pytest
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

from conftest import bundles, mrm
from zoo import artifact, validate, write_card
from mrm_research.core import sha256_file


def test_a_wide_model_of_300_features(tmp_path):
    "A logistic regression over 300 numeric features (scikit-learn, joblib); the permutation SHAP explainer works within its budget."
    rng = np.random.default_rng(31)
    columns = [f"f{i:03d}" for i in range(300)]
    def rows(n):
        frame = pd.DataFrame(rng.normal(size=(n, 300)), columns=columns)
        frame["event"] = (rng.random(n) < 1 / (1 + np.exp(-(frame.f000 - 0.5 * frame.f001 + 0.3 * frame.f002 - 2)))).astype(int)
        return frame
    train, test = rows(1200), rows(500)  # the width is what is tested: challengers and SHAP cost rows x features
    train.to_csv(tmp_path / "train.csv", index=False); test.to_csv(tmp_path / "test.csv", index=False)
    model = LogisticRegression(max_iter=2000, C=0.5).fit(train[columns], train.event)
    joblib.dump(model, tmp_path / "wide.joblib")
    write_card(tmp_path, model_id="WIDE-300", name="wide classifier", algorithm="logistic regression", artifact=artifact(tmp_path, "wide.joblib", "joblib"),
               features=[{"name": c, "type": "numeric"} for c in columns], target="event", positive_class=1, threshold=0.2, costs={"false_negative": 3, "false_positive": 1})
    bundle, results, checks = validate(tmp_path, monitor=False)
    read = pd.read_csv(tmp_path / "test.csv")
    assert results["metrics"]["test_roc_auc"]["value"] == pytest.approx(roc_auc_score(read.event, model.predict_proba(read[columns])[:, 1]), abs=1e-12)
    assert results["metrics"]["shap_additivity_error"]["value"] < 1e-6
    importance = results["tables"]["permutation_importance"]
    assert importance["rows"][0][0] == "f000"  # the strongest driver comes first


def test_a_vendor_model_given_as_scores(tmp_path):
    "A vendor's AML customer-risk score given per row (no artifact), in bands mapped to probabilities 0 to 1 (as rules-based ratings are delivered), with a constant feature and missing numeric values, its samples CSV files with semicolons between columns (as a spreadsheet exports them where the comma is the decimal mark): score-based tests run, the model-based ones say why not, a calibration test the banded scores cannot give (Hosmer-Lemeshow: groups of scores all 0 or all 1) is reported as not measured while the run goes on, and so is what a monitoring sample without a reported customer cannot give (ROC-AUC, the calibration slope)."
    rng = np.random.default_rng(41)
    def customers(n, start):
        frame = pd.DataFrame({"cash_intensity": rng.uniform(0, 1, n), "cross_border": rng.uniform(0, 1, n), "sector": rng.choice(["retail", "msb", "import"], n),
                              "onboarded": pd.Timestamp(start) + pd.to_timedelta(rng.uniform(0, 120, n), unit="D"), "residency": rng.choice(["resident", "non-resident"], n, p=[0.7, 0.3])})
        risk = -3 + 2.5 * frame.cash_intensity + 1.5 * frame.cross_border + 0.7 * (frame.sector == "msb")
        frame["vendor_score"] = np.array([0.0, 0.05, 0.15, 0.3, 0.6, 1.0])[np.digitize(risk + rng.normal(0, 0.5, n), [-2.5, -1.8, -1.2, -0.5, 0.3])]  # six bands
        frame["reported"] = np.where(rng.random(n) < 1 / (1 + np.exp(-risk)), "Y", "N")
        frame["legacy_flag"] = 0.0  # a constant feature the vendor still lists
        frame.loc[rng.random(n) < 0.07, "cross_border"] = np.nan  # missing numeric values
        return frame
    for name, (n, start) in {"train": (2000, "2024-01-01"), "test": (1500, "2024-06-01"), "monitor": (1200, "2024-10-01")}.items():
        customers(n, start).assign(**({"reported": "N"} if name == "monitor" else {})).to_csv(tmp_path / f"{name}.csv", index=False, sep=";")  # no customer reported in the monitoring months
    write_card(tmp_path, model_id="VENDOR-CRR", name="vendor customer risk rating", use_case="aml_customer_risk", algorithm="vendor model (undisclosed)",
               score_column="vendor_score", features=[{"name": "cash_intensity", "type": "numeric"}, {"name": "cross_border", "type": "numeric"}, {"name": "sector", "type": "categorical"},
                                                      {"name": "legacy_flag", "type": "numeric"}],
               target="reported", positive_class="Y", threshold=0.3, time_column="onboarded", protected_attributes=["residency"], costs={"false_negative": 20, "false_positive": 1})
    bundle, results, checks = validate(tmp_path)
    read = pd.read_csv(tmp_path / "test.csv", sep=";")
    assert results["metrics"]["test_roc_auc"]["value"] == pytest.approx(roc_auc_score(read.reported == "Y", read.vendor_score), abs=1e-12)
    for check in ("importance stability", "hyperparameter sensitivity", "label-noise robustness", "adversarial evasion"):
        assert checks[check]["status"] == "not run" and "no artifact" in checks[check]["detail"], check
    for check in ("discrimination", "expected calibration error", "Spiegelhalter z", "disparate impact", "population stability", "benchmarking against challengers"):
        assert checks[check]["status"] in ("pass", "warn", "fail"), check
    assert checks["Hosmer-Lemeshow"]["status"] == "not run" and "every score 0 or every score 1" in checks["Hosmer-Lemeshow"]["detail"]
    assert checks["performance deterioration"]["status"] == "not run" and "monitoring 0 / 1200" in checks["performance deterioration"]["detail"]
    calibration = {row[0]: row for row in results["tables"]["calibration"]["rows"]}
    assert calibration["monitoring"][-1] == "not measured" and calibration["monitoring"][3] > 0  # no event to fit a slope to; the ECE is still measured
    assert "Hosmer-Lemeshow" in (bundle / "report.html").read_text() and "not measured" in (bundle / "report.html").read_text()
    inputs = json.loads((bundle / "inputs.json").read_text())
    assert "model_artifact" not in inputs and set(inputs) == {"train", "test", "monitoring"}


def test_catboost_alert_scorer_with_integer_coded_categories_and_missing_values(tmp_path):
    "AML alert scoring (CatBoost): a categorical feature coded as integers with gaps (read back from CSV as floats), labels '1' / '0' as text."
    from catboost import CatBoostClassifier
    rng = np.random.default_rng(51)
    def alerts(n, start):
        frame = pd.DataFrame({"amount_ratio": rng.lognormal(0, 0.7, n), "prior_alerts": rng.poisson(1.5, n).astype(float), "branch_code": rng.choice([11, 12, 27, 31], n).astype(float),
                              "raised_on": pd.Timestamp(start) + pd.to_timedelta(rng.uniform(0, 60, n), unit="D")})
        frame.loc[rng.random(n) < 0.1, "branch_code"] = np.nan
        logit = -2 + 1.2 * np.log(frame.amount_ratio) + 0.4 * frame.prior_alerts + 0.8 * (frame.branch_code == 27)
        frame["escalated"] = np.where(rng.random(n) < 1 / (1 + np.exp(-logit)), "1", "0")
        return frame
    train, test = alerts(2500, "2025-01-01"), alerts(1200, "2025-03-05")
    train.to_csv(tmp_path / "train.csv", index=False); test.to_csv(tmp_path / "test.csv", index=False)
    from mrm_research.validation.model import category_text
    features = ["amount_ratio", "prior_alerts", "branch_code"]
    model = CatBoostClassifier(iterations=80, depth=4, verbose=False, random_seed=0, cat_features=["branch_code"], allow_writing_files=False)
    model.fit(train[features].assign(branch_code=category_text(train.branch_code)), train.escalated.astype(int))
    model.save_model(str(tmp_path / "scorer.cbm"))
    write_card(tmp_path, model_id="ALERT-CB", name="alert scorer", use_case="aml_alert_scoring", algorithm="CatBoost", artifact=artifact(tmp_path, "scorer.cbm", "catboost"),
               features=[{"name": n, "type": "categorical" if n == "branch_code" else "numeric"} for n in features], target="escalated", positive_class=1, threshold=0.3,
               time_column="raised_on", mutable_features=["amount_ratio"], hyperparameters={"iterations": 80, "depth": 4, "random_seed": 0}, costs={"false_negative": 20, "false_positive": 1})
    bundle, results, checks = validate(tmp_path, monitor=False)
    read = pd.read_csv(tmp_path / "test.csv")
    scores = model.predict_proba(read[features].assign(branch_code=category_text(read.branch_code)))[:, 1]
    assert results["metrics"]["test_roc_auc"]["value"] == pytest.approx(roc_auc_score(read.escalated.astype(str) == "1", scores), abs=1e-12)
    assert results["metrics"]["shap_additivity_error"]["value"] < 1e-6 and results["metrics"]["refit_reproduction_error"]["value"] < 1e-6  # the card states the seed, so the refit is the model
    assert checks["adversarial evasion"]["status"] in ("pass", "warn", "fail")
    assert "investigators' dispositions" in (bundle / "notebook.ipynb").read_text()


def test_a_vendor_score_no_test_row_reaches_and_a_monitoring_sample_of_one_score(tmp_path):
    "A vendor's fraud score whose stated threshold (0.5) no test row reaches, its payment days written as numbers (20250115, read as nanoseconds after 1970 they were all one day), and a monitoring month the vendor scored with one value for every row: what needs a flagged row (precision, disparate impact, the equal-volume challengers) or a spread of scores (the monitoring sample's calibration slope) is reported as not measured, with the counts, and the rest of the validation still runs; ROC-AUC agrees with scikit-learn."
    rng = np.random.default_rng(53)
    def payments(n, start, constant=None):
        frame = pd.DataFrame({"amount_z": rng.normal(size=n), "new_payee": rng.integers(0, 2, n), "paid_at": pd.Timestamp(start) + pd.to_timedelta(rng.uniform(0, 60, n), unit="D"),
                              "customer_age_band": rng.choice(["under 40", "40 and over"], n)})
        risk = 1 / (1 + np.exp(-(-2.5 + 0.8 * frame.amount_z + 0.9 * frame.new_payee)))
        frame["fraud"] = (rng.random(n) < risk).astype(int)
        frame["vendor_score"] = 0.45 * risk if constant is None else constant  # the vendor's scores stay below 0.45
        return frame.assign(paid_at=frame.paid_at.dt.strftime("%Y%m%d").astype(int))  # the day as the vendor's extract writes it: 20250115
    payments(1200, "2025-01-01").to_csv(tmp_path / "train.csv", index=False)
    payments(900, "2025-03-15").to_csv(tmp_path / "test.csv", index=False)
    payments(500, "2025-06-01", constant=0.08).to_csv(tmp_path / "monitor.csv", index=False)
    write_card(tmp_path, model_id="VENDOR-FRAUD", name="vendor payment fraud score", use_case="fraud", algorithm="vendor model (undisclosed)", score_column="vendor_score",
               features=[{"name": "amount_z", "type": "numeric"}, {"name": "new_payee", "type": "numeric"}], target="fraud", positive_class=1, threshold=0.5,
               time_column="paid_at", protected_attributes=["customer_age_band"])
    bundle, results, checks = validate(tmp_path)
    read = pd.read_csv(tmp_path / "test.csv")
    assert results["metrics"]["test_roc_auc"]["value"] == pytest.approx(roc_auc_score(read.fraud, read.vendor_score), abs=1e-12)
    assert results["metrics"]["test_precision"]["value"] is None and results["metrics"]["test_recall"]["value"] == 0
    flagged = checks["events flagged at the operating threshold"]  # a ranking without a single flag finds nothing: a failure, not a pass by omission
    assert flagged["status"] == "fail" and f"0 of {int(read.fraud.sum())} " in flagged["detail"] and f"(0 of 900 rows flagged; highest score {read.vendor_score.max():.4g})" in flagged["detail"]
    html = " ".join((bundle / "report.html").read_text().split())
    assert "not measured" in html and f"test: precision, no row is at or above the threshold ({int(read.fraud.sum())} positives, {int((read.fraud == 0).sum())} negatives, threshold 0.5)" in html
    for check, reason in (("disparate impact", "no row of any compared group is at or above the threshold"), ("equalised odds", "zero by construction"),
                          ("benchmarking against challengers", "flags no test row")):
        assert checks[check]["status"] == "not run" and reason in checks[check]["detail"], (check, checks[check])
    assert checks["performance deterioration"]["status"] == "fail" and "0.500 [0.500, 0.500] on monitoring" in checks["performance deterioration"]["detail"]  # one score ranks nothing
    calibration = {row[0]: row for row in results["tables"]["calibration"]["rows"]}
    assert calibration["monitoring"][-1] == "not measured" and calibration["test"][-1] != "not measured"
    assert "monitoring: intercept and slope, every row has the same score" in html
    read_days = pd.to_datetime(read.paid_at.astype(str), format="%Y%m%d")
    assert f"test {read_days.min():%Y-%m-%d} to {read_days.max():%Y-%m-%d}" in checks["out-of-time separation"]["detail"]  # the days as written, not 1970-01-01


def test_a_histogram_gradient_boosting_pipeline_with_the_banks_own_transformer(tmp_path):
    "A scikit-learn pipeline (joblib): first a transformer class the bank wrote (its module in the bank's folder, not installed), then HistGradientBoostingClassifier. Without that folder on PYTHONPATH the run stops with what to do; with it, the report records the module's file and sha256 beside the artifact's (the same pickle rebuilt with other code is another model). The booster's max_features is a share (1.0): the refits vary it within (0, 1] (doubled to 2.0 it stopped the validation with scikit-learn's InvalidParameterError). A monitoring sample whose income column is empty is scored (the booster takes missing values) and its drift found. The applicant's age, a protected attribute recorded as a number, is compared in quantile bands (age by age, it gave 62 groups of about 15 rows each)."
    import os, sys
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.pipeline import make_pipeline
    code = tmp_path / "bank_code"; code.mkdir()
    (code / "bank_scaling.py").write_text("import numpy as np\nfrom sklearn.base import BaseEstimator, TransformerMixin\n\n"
                                         "class LogIncome(BaseEstimator, TransformerMixin):\n    def fit(self, X, y=None): return self\n"
                                         "    def transform(self, X): return X.assign(income_k=np.log1p(X['income_k']))\n")
    rng = np.random.default_rng(61)
    def loans(n, start):
        frame = pd.DataFrame({"utilisation": rng.uniform(0, 1, n), "arrears": rng.poisson(0.3, n).astype(float), "income_k": rng.lognormal(3.5, 0.4, n),
                              "booked": pd.Timestamp(start) + pd.to_timedelta(rng.uniform(0, 90, n), unit="D"), "sex": rng.choice(["F", "M"], n),
                              "age": rng.integers(18, 80, n)})
        frame["default"] = (rng.random(n) < 1 / (1 + np.exp(-(-3 + 2.2 * frame.utilisation + 0.8 * frame.arrears - 0.01 * frame.income_k)))).astype(int)
        return frame
    features = ["utilisation", "arrears", "income_k"]
    train, test, monitor = loans(1500, "2024-01-01"), loans(900, "2024-05-01"), loans(600, "2024-09-01").assign(income_k=np.nan)
    for name, frame in {"train": train, "test": test, "monitor": monitor}.items(): frame.to_csv(tmp_path / f"{name}.csv", index=False)
    sys.path.insert(0, str(code))
    try:
        import bank_scaling
        model = make_pipeline(bank_scaling.LogIncome(), HistGradientBoostingClassifier(max_iter=40, random_state=0)).fit(train[features], train.default)
        joblib.dump(model, tmp_path / "pd.joblib")
        expected_auc = roc_auc_score(test.default, model.predict_proba(test[features])[:, 1])
    finally: sys.path.remove(str(code)); sys.modules.pop("bank_scaling", None)
    write_card(tmp_path, model_id="PD-HGB", name="card PD", use_case="credit_pd", algorithm="histogram gradient boosting (scikit-learn) after the bank's own income transform",
               artifact=artifact(tmp_path, "pd.joblib", "joblib"), features=[{"name": f, "type": "numeric"} for f in features], target="default", positive_class=1, threshold=0.3,
               time_column="booked", protected_attributes=["sex", "age"])
    mrm("validate", "card.yaml", "--train", "train.csv", "--test", "test.csv", "-p", "replicates", "60", "--no-progress", "--out", "refused", cwd=tmp_path, check=1)
    (refused,) = bundles(tmp_path / "refused")
    assert "pd.joblib was saved with code that cannot be imported here (No module named 'bank_scaling'); put the folder holding that module on PYTHONPATH" in (refused / "manifest.json").read_text()
    os.environ["PYTHONPATH"], previous = str(code), os.environ.get("PYTHONPATH")
    try: bundle, results, checks = validate(tmp_path)
    finally: os.environ.pop("PYTHONPATH") if previous is None else os.environ.update(PYTHONPATH=previous)
    inputs = json.loads((bundle / "inputs.json").read_text())
    assert inputs["model_code bank_scaling"]["sha256"] == sha256_file(code / "bank_scaling.py") and inputs["model_artifact"]["sha256"] == sha256_file(tmp_path / "pd.joblib")
    assert results["metrics"]["test_roc_auc"]["value"] == pytest.approx(expected_auc, abs=1e-12)
    varied = {(row[0], row[1]) for row in results["tables"]["hyperparameter_sensitivity"]["rows"]}
    assert ("histgradientboostingclassifier__max_features", "0.5") in varied and not any(name.endswith("max_features") and float(value) > 1 for name, value in varied if value)
    assert checks["hyperparameter sensitivity"]["status"] in ("pass", "warn", "fail")
    income = [c for c in results["checks"] if c["check"] == "population stability" and c["detail"].startswith("income_k")]
    assert income and income[0]["status"] == "fail"
    ages = results["tables"]["fairness_age"]; groups = [row[ages["columns"].index("group")] for row in ages["rows"]]  # an age is compared in five quantile bands, not age by age
    assert len(groups) == 5 and groups[0].startswith("1. [18, ") and groups[-1].endswith("79]"), groups
    assert [c["status"] for c in results["checks"] if c["check"] == "disparate impact" and c["detail"].startswith("age:")] in (["pass"], ["warn"], ["fail"])
    assert "age is numeric with 62 distinct values: compared in 5 bands" in " ".join((bundle / "report.html").read_text().split())

"""ML validation suite benchmarks (issue 11), measured in one run on this machine.

(a) The whole suite, as the model-validation report calls it, on 10^6 scored test rows x 30 features (a CatBoost champion
    trained on 10^5 rows; a monitoring sample of 10^6 rows): seconds per test group and peak memory. Target: the whole
    suite under 5 minutes on 2 cores.
(b) The vectorised bootstrap (1000 replicates) against a loop of scikit-learn calls computing the same metrics per
    replicate (timed on a few replicates, per replicate), on the same 10^6 rows. Target ratio >= 20.

MRM_BENCH_ML_ROWS sets the number of scored rows (e.g. 200000 for a quicker run).
"""
import os, resource, sys, time
import numpy as np, pandas as pd

ROWS = int(os.environ.get("MRM_BENCH_ML_ROWS", 1_000_000))
TRAIN_ROWS, FEATURES, SEED = 100_000, 30, 7


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def synthetic(rows: int, start: str, shift: float, rng) -> pd.DataFrame:
    "30 features (28 numeric, 2 categorical), a protected attribute correlated with one of them, dates, a label from a known logistic model."
    X = rng.normal(size=(rows, FEATURES - 2)) + shift * (np.arange(FEATURES - 2) < 3)
    frame = pd.DataFrame(X, columns=[f"x{i:02d}" for i in range(FEATURES - 2)])
    frame["channel"] = rng.choice(["cash", "wire", "card", "ach"], rows); frame["region"] = rng.choice([f"R{i}" for i in range(8)], rows)
    frame["group"] = np.where(frame.x00 + rng.normal(0, 1, rows) > 0.5, "A", "B")
    frame["day"] = pd.Timestamp(start) + pd.to_timedelta(rng.integers(0, 90, rows), unit="D")
    logit = -3 + X[:, :6] @ np.array([0.8, -0.6, 0.5, 0.4, -0.3, 0.2]) + 0.7 * (frame.channel == "wire")
    frame["label"] = (rng.random(rows) < 1 / (1 + np.exp(-logit))).astype(int)
    return frame


def main() -> int:
    import tempfile, yaml
    from pathlib import Path
    from catboost import CatBoostClassifier
    from mrm_research.core import sha256_file
    from mrm_research.validation import model as vm, metrics as vmet, calibration as vcal, backtest as vbt, drift as vdr, fairness as vfair, explain as vexp, robustness as vrob, challengers as vch, integrity as vint
    rng = np.random.default_rng(SEED)
    train, test, monitor = synthetic(TRAIN_ROWS, "2025-01-01", 0, rng), synthetic(ROWS, "2025-04-01", 0, rng), synthetic(ROWS, "2025-07-01", 0.3, rng)
    numeric = [f"x{i:02d}" for i in range(FEATURES - 2)]; kinds = {**{n: "numeric" for n in numeric}, "channel": "categorical", "region": "categorical"}
    folder = Path(tempfile.mkdtemp())
    hyper = {"iterations": 200, "depth": 6, "learning_rate": 0.1}
    started = time.perf_counter()
    CatBoostClassifier(**hyper, verbose=False, random_seed=SEED, thread_count=2, cat_features=["channel", "region"]).fit(train[list(kinds)], train.label).save_model(str(folder / "m.cbm"))
    training_seconds = time.perf_counter() - started
    (folder / "card.yaml").write_text(yaml.safe_dump({"model_id": "BENCH", "name": "bench", "version": "1", "owner": "o", "developer": "d", "purpose": "p", "intended_use": "u",
        "algorithm": "catboost", "artifact": {"path": "m.cbm", "sha256": sha256_file(folder / "m.cbm"), "format": "catboost"}, "target": "label", "positive_class": 1,
        "threshold": 0.2, "time_column": "day", "segment_column": "channel", "protected_attributes": ["group"], "hyperparameters": hyper,
        "features": [{"name": n, "type": t} for n, t in kinds.items()]}))
    card = vm.load_model_card(folder / "card.yaml"); scorer = vm.ScoringModel(card).load()
    timings = {}
    def timed(group, call):
        began = time.perf_counter(); out = call(); timings[group] = time.perf_counter() - began; return out
    scores = timed("scoring (train, test, monitoring)", lambda: {k: scorer.predict_proba(f) for k, f in (("train", train), ("test", test), ("monitor", monitor))})
    y = {"train": train.label.to_numpy(), "test": test.label.to_numpy(), "monitor": monitor.label.to_numpy()}
    timed("data integrity", lambda: (vint.univariate_auc(train, test, card, y["train"], y["test"]), vint.adversarial_validation(train, test, kinds, seed=SEED), vint.missingness(test, card, "test")))
    boot = timed("performance + bootstrap (1000 replicates, test and monitoring)", lambda: [vmet.bootstrap_performance(y[k], scores[k], 0.2, replicates=1000, seed=SEED) for k in ("test", "monitor")])
    timed("gains, by segment", lambda: (vmet.gains_table(y["test"], scores["test"]), vmet.performance_by_segment(y["test"], scores["test"], test.channel, 0.2, replicates=500, seed=SEED)))
    timed("calibration", lambda: [vcal.calibration(y[k], scores[k]) for k in ("test", "monitor")])
    timed("threshold and back-testing", lambda: (vbt.threshold_costs(y["test"], scores["test"], 20, 1), vbt.performance_by_period(y["test"], scores["test"], test.day, 0.2, replicates=500, seed=SEED),
                                                  vbt.predicted_against_realised(y["test"], scores["test"], test.day)))
    timed("drift (31 columns x monitoring months) + CBPE", lambda: (vdr.drift_table(train.assign(score=scores["train"]), monitor.assign(score=scores["monitor"]), {**kinds, "score": "numeric"}, "day"),
                                                                      vdr.ConfidenceBasedPerformanceEstimator(0.2).fit(scores["test"], y["test"]).predict(scores["monitor"])))
    timed("fairness", lambda: (vfair.fairness_summary(vfair.group_rates(y["test"], scores["test"], test.group, 0.2, replicates=500, seed=SEED, attribute="group")),
                               vfair.proxy_analysis(test, kinds, "group", seed=SEED)))
    sample = test.sample(3000, random_state=SEED); rows = np.sort(np.random.default_rng(SEED).choice(len(test), min(len(test), 50_000), replace=False))
    timed("explainability", lambda: (vexp.importance_stability(vexp.shap_values(scorer, sample, seed=SEED)), vexp.permutation_importance(scorer, test.iloc[rows], y["test"][rows], repeats=5, seed=SEED),
                                     [vexp.partial_dependence(scorer, sample.head(1000), f) for f in ("x00", "x01", "channel")]))
    refit = vrob.catboost_refit(card, train, y["train"], seed=SEED)
    timed("sensitivity and robustness (refits on 10^5 rows)", lambda: (vrob.feature_sensitivity(scorer, sample.head(2000)),
          vrob.hyperparameter_sensitivity(refit, test.iloc[rows], y["test"][rows], 0.2, {"depth": [4, 8], "learning_rate": [0.05, 0.2]}),
          vrob.label_noise_robustness(refit, y["train"], test.iloc[rows], y["test"][rows], 0.2, seed=SEED),
          vrob.evasion_attack(scorer, test.iloc[rows], y["test"][rows], ["x00", "x01", "x02"], seed=SEED)))
    timed("challengers (fitted on 10^5 rows, scored on all test rows)", lambda: vch.compare_challengers(card, train, y["train"], test, y["test"], scores["test"], seed=SEED))
    suite = sum(timings.values())

    # (b) the bootstrap against a loop of scikit-learn calls on the same rows
    from sklearn import metrics as skm
    def sklearn_replicate(index):
        yy, ss = y["test"][index], scores["test"][index]; alert = (ss >= 0.2).astype(int)
        return (skm.roc_auc_score(yy, ss), skm.average_precision_score(yy, ss), skm.precision_score(yy, alert), skm.recall_score(yy, alert), skm.f1_score(yy, alert),
                skm.fbeta_score(yy, alert, beta=2), skm.brier_score_loss(yy, ss), skm.log_loss(yy, ss))
    loop_rng, loop_replicates = np.random.default_rng(SEED), 5
    began = time.perf_counter()
    for _ in range(loop_replicates): sklearn_replicate(loop_rng.integers(0, len(test), len(test)))
    loop_per_replicate = (time.perf_counter() - began) / loop_replicates
    began = time.perf_counter(); vmet.bootstrap_performance(y["test"], scores["test"], 0.2, replicates=200, seed=SEED)
    vectorised_per_replicate = (time.perf_counter() - began) / 200
    ratio = loop_per_replicate / vectorised_per_replicate

    print(f"\nML validation suite benchmark ({ROWS:,} scored test rows and {ROWS:,} monitoring rows x {FEATURES} features; champion trained on {TRAIN_ROWS:,} rows in {training_seconds:.1f} s)")
    for group, seconds in timings.items(): print(f"  {group:<66s} {seconds:8.1f} s")
    print(f"  {'whole suite':<66s} {suite:8.1f} s   target < 300  {'met' if suite < 300 else 'NOT MET'}")
    print(f"  {'peak memory of the process':<66s} {peak_mib():8.0f} MiB")
    print(f"  bootstrap per replicate: vectorised {vectorised_per_replicate * 1e3:.1f} ms, loop of scikit-learn calls {loop_per_replicate * 1e3:.1f} ms; ratio {ratio:.1f}   target >= 20  {'met' if ratio >= 20 else 'NOT MET'}")
    print(f"  (test ROC-AUC {boot[0].estimates['roc_auc']:.3f} [{boot[0].lower['roc_auc']:.3f}, {boot[0].upper['roc_auc']:.3f}])")
    return 0


if __name__ == "__main__":
    sys.exit(main())

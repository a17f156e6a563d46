"Typology coverage: a bank's own risk assessment, and the AMLSim-style generator's window-straddling patterns."
import numpy as np, pandas as pd, pytest
from mrm_research.aml.amlsim import AMLSimConfig, SHAPES, generate_amlsim_bank
from mrm_research.aml.coverage import coverage_findings, coverage_matrix, detection_evidence, load_catalogue, load_risk_assessment, logic_checks
from mrm_research.aml.synthetic import BankConfig
from mrm_research.core import MRMError


def test_a_banks_risk_assessment_with_a_typology_nobody_covers(tmp_path):
    (tmp_path / "risks.yaml").write_text("risks:\n  trade finance: {rating: high, typologies: [trade_mispricing, structuring]}\n  cash: {rating: low, typologies: [structuring]}\n")
    matrix = coverage_matrix(load_risk_assessment(tmp_path / "risks.yaml"), load_catalogue())
    assert matrix.set_index(["risk", "typology"]).loc[("trade finance", "trade_mispricing"), "in catalogue"] == False
    findings = {f["id"]: f for f in coverage_findings(matrix, logic_checks(load_catalogue()))}
    assert findings["COV-GAP"]["severity"] == "high" and "trade mispricing (trade finance, rated high)" in findings["COV-GAP"]["detail"]
    (tmp_path / "bad.yaml").write_text("risks:\n  cash: {rating: severe, typologies: [structuring]}\n")
    with pytest.raises(MRMError, match="need a rating"):
        load_risk_assessment(tmp_path / "bad.yaml")


def straddling_share(straddle: float, period: tuple) -> float:
    "Share of patterns whose legs fall in two or more 10-day windows (another window than the demo's 14)."
    bank = generate_amlsim_bank(BankConfig(customers=600, transactions=3_000, days=60, seed=8),
                                AMLSimConfig(patterns={s: 3 for s in SHAPES}, straddle_share=straddle, boundary_days=10, period_days=period))
    legs = bank["transactions"].merge(bank["transaction_labels"], on="transaction_id")
    days = (legs.booked_at - pd.Timestamp("2025-01-01")).dt.total_seconds() / 86_400
    return float((legs.assign(window=np.floor(days / 10)).groupby("pattern_id").window.nunique() >= 2).mean())


def test_straddling_patterns_cross_a_window_boundary():
    "Centred on boundaries, most patterns have legs in two windows (a few small ones fall on one side by chance); short patterns placed anywhere rarely do."
    assert straddling_share(1.0, (6, 16)) >= 0.75
    assert straddling_share(0.0, (1, 2)) <= 0.4


def test_detection_evidence_counts_own_and_any_scenario():
    table = pd.DataFrame({"pattern_id": ["S1", "S2", "S3"], "typology": ["cycle", "cycle", "cycle"], "scenarios": ["cycle", "velocity", ""], "detected": [True, True, False]})
    evidence = detection_evidence({"amlsim": table}).iloc[0]
    assert (evidence["detected by own"], evidence["detected by any"], evidence.patterns) == (1, 2, 3)


def test_a_pattern_within_half_a_window_cannot_straddle_out(tmp_path):
    """Scenarios look at two window alignments (tumbling, and shifted by half a window), so a pattern lasting at most half a
    window lies whole inside one of them wherever it falls: three near-threshold cash deposits over 7 days, slid across the
    14-day boundary day by day, always raise the structuring alert (a longer pattern can still be split: see the note)."""
    from mrm_research.aml.synthetic import write_bank
    from mrm_research.aml.typologies import TypologyConfig, generate_labelled_bank
    from mrm_research.aml.scenarios import ScenarioEngine, alerts
    bank = generate_labelled_bank(BankConfig(customers=200, transactions=500, days=60, seed=3), TypologyConfig({}, stealth=0))
    account = bank["accounts"].account_id.iloc[0]
    template = bank["transactions"].iloc[0]
    for offset in range(7, 22):
        rows = pd.DataFrame([{**template.to_dict(), "transaction_id": f"T99{offset:02d}{k:06d}", "account_id": account, "channel": "cash", "direction": "credit",
                              "amount": 9_500.0, "booked_at": pd.Timestamp("2025-01-01 10:00") + pd.Timedelta(days=offset + 3.5 * k)} for k in range(3)])
        transactions = pd.concat([bank["transactions"], rows.astype(bank["transactions"].dtypes.to_dict())], ignore_index=True)
        folder = tmp_path / f"offset{offset}"
        write_bank({**{k: v for k, v in bank.items() if k in ("customers", "accounts")}, "transactions": transactions}, folder)
        found = alerts(ScenarioEngine(folder, start="2025-01-01"), "structuring")
        assert set(rows.transaction_id) <= set(",".join(found.transaction_ids).split(",")), f"deposits from day {offset} escaped"


def test_each_typology_planted_alone_per_generator_at_thresholds_tuned_on_it(tmp_path):
    """the library tuned on a bank of each generator, then every typology planted alone in fresh banks of
    that generator: each must alert through a scenario written for it at the thresholds tuned on its generator (the
    AMLSim-style cycle since the cycle scenario looks for rings of up to six transfers over 30 days, its fan-in since the
    internal fan-in scenario counts the bank's own paying accounts). Shapes no scenario is written for are listed as such
    (COV-GAP); a miss would be named by the COV-ALONE finding."""
    from mrm_research.aml.coverage import planted_alone, planted_alone_finding
    from mrm_research.aml.scenarios import ScenarioEngine
    from mrm_research.aml.synthetic import write_bank
    from mrm_research.aml.typologies import TypologyConfig, generate_labelled_bank
    from mrm_research.aml.tuning import TuningConfig, tune_library
    config = BankConfig(customers=800, transactions=30_000, days=90, start="2025-01-01", seed=61)
    banks = {"project": generate_labelled_bank(config, TypologyConfig()), "AMLSim-style": generate_amlsim_bank(BankConfig(**{**config.__dict__, "seed": 62}))}
    tuned = {}
    for generator, bank in banks.items():
        write_bank(bank, tmp_path / generator)
        tuned[generator] = tune_library(ScenarioEngine(tmp_path / generator, start="2025-01-01"), bank["transaction_labels"], config=TuningConfig(seed=3)).recommended_thresholds()
    table = planted_alone(tuned, seed=404, config=BankConfig(customers=300, transactions=12_000, days=90, start="2025-01-01"))
    assert len(table) == 17
    written = table[table["own scenarios"] != "none"]
    assert (written.result == "pass").all(), written[written.result != "pass"]
    assert set(table.typology[table.result == "no scenario"]) == {"scatter_gather", "gather_scatter", "bipartite", "stack"}
    assert planted_alone_finding(table) is None
    missed = table.assign(result=np.where(table.typology == "cycle", "fail", table.result))  # the finding names every miss
    assert "cycle on the project generator" in planted_alone_finding(missed)["detail"] and planted_alone_finding(missed)["severity"] == "high"

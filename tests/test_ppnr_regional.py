"""A regional bank migrates its own legacy suite (tests/ppnr_regional.py): the parity report runs from the bank's folder on its
files, contracts and suite, against the R goldens made from them. Its top-down series is so persistent that at two back-test
origins R's estimates maximise stats::arima's likelihood with the first quarter left out (prediction variance above 10^4
innovation variances), which is not the exact likelihood. This run once reported three 'high' parity failures that were the
legacy code's and the references' doing: those two back-test origins (forecasts 167 $m apart), statsmodels' standard errors
(its complex-step Hessian 5e-4 off near the unit root) and R's replicated finite differences (rounding amplified to 9e-6)."""
import json
import numpy as np, pytest
from conftest import REPO, bundles, mrm
from ppnr_regional import FOLDER, regional_inputs, write_bank_folder


def test_the_regional_inputs_are_the_committed_ones():
    "The builder in tests/ppnr_regional.py still makes the inputs the regional goldens were made from."
    from mrm_research.ppnr.legacy import compare_inputs, load_goldens
    table = compare_inputs(regional_inputs(), load_goldens(FOLDER))
    assert table["same data"].all(), table.to_string()


def test_parity_report_from_the_banks_own_folder(tmp_path):
    write_bank_folder(tmp_path)
    mrm("run", REPO / "nbs/validation/ppnr_parity.ipynb", "-p", "data_dir", "data", "-p", "suite_file", "suite.yaml", "-p", "goldens", FOLDER,
        "-p", "device", "cpu", "--out", "out", "--no-progress", cwd=tmp_path, check=0)
    bundle, = bundles(tmp_path / "out")
    results = json.loads((bundle / "results.json").read_text())
    assert results["metrics"]["parity_rows_failed"]["value"] == 0, [f for f in results["findings"] if f["id"].startswith("PARITY")]
    rows = {(row[0], row[1], row[3]): dict(zip(results["tables"]["parity_table"]["columns"], row)) for row in results["tables"]["parity_table"]["rows"]}
    label = "(8 origins x 9 quarters)"
    # R is reproduced at its own parameters, by its own definition of the likelihood, at every origin (the two near the unit root included)
    for quantity in (f"back-test log-likelihoods at R's parameters, stats::arima's definition {label}", f"back-test forecasts at R's parameters {label}"):
        assert rows[("Top-down", quantity, "R forecast::Arima")]["status"] == "pass"
    assert rows[("Top-down", f"back-test log-likelihoods (exact): torch optima vs R's parameters {label}", "R forecast::Arima")]["status"] == "pass"
    assert rows[("Top-down", "back-test forecasts, own optima (6 origins x 9 quarters)", "R forecast::Arima")]["status"] == "pass"
    assert rows[("Top-down", "standard errors at R's parameters", "statsmodels ARIMA")]["measured"] < 1e-6
    assert "rounding of" in rows[("NII", "standard errors by R's finite-difference procedure", "R forecast::Arima")]["note"]
    # the legacy fits that are not maximum-likelihood fits are findings, with the exact likelihood below R's at R's estimates
    legacy = [f for f in results["findings"] if f["id"].startswith("LEGACY")]
    assert [(f["severity"], f["title"]) for f in legacy] == [("medium", f"Top-down: R's fit (back-test, origin {origin}) is not a maximum-likelihood fit") for origin in ("2005Q3", "2006Q3")]
    table = results["tables"]["r_left_out"]; columns = table["columns"]
    for row in table["rows"]:
        entry = dict(zip(columns, row))
        assert entry["quarters left out"] == "2000Q1" and entry["exact log-likelihood at R's estimates"] < entry["R's log-likelihood"] - 4, entry


def test_scenario_report_from_the_banks_own_folder(tmp_path):
    "Projection with the bank's own group model (a bank that joined late, and one that left the panel two years before its end) and a challenger limit that means the same in $m as in % of assets."
    import pandas as pd
    write_bank_folder(tmp_path)
    panel = pd.read_parquet(tmp_path / "data" / "panel.parquet"); leaver = panel.entity.unique()[4]; left_after = sorted(panel.period.unique())[-9]
    panel[~((panel.entity == leaver) & (panel.period > left_after))].to_parquet(tmp_path / "data" / "panel.parquet", index=False)
    mrm("run", REPO / "nbs/validation/ppnr_scenarios.ipynb", "-p", "data_dir", "data", "-p", "suite_file", "suite.yaml", "-p", "device", "cpu", "-p", "paths", 200,
        "--out", "out", "--no-progress", cwd=tmp_path, check=0)
    bundle, = bundles(tmp_path / "out")
    results = json.loads((bundle / "results.json").read_text()); metrics = results["metrics"]
    cumulative = {s: (metrics[f"cumulative_top_down_{s}"]["value"], metrics[f"cumulative_bottom_up_{s}"]["value"]) for s in ("baseline", "adverse", "severely_adverse")}
    share = max(abs(top - bottom) / abs(bottom) for top, bottom in cumulative.values())
    assert metrics["max_cumulative_gap_share"]["value"] == pytest.approx(share, rel=1e-12)
    gap = [f for f in results["findings"] if f["id"] == "PPNR-CHALLENGER-GAP"]
    assert (len(gap) == 1) == (share > 0.10) and all(f"{share:.0%} of the bottom-up total" in f["title"] for f in gap), gap
    stale, = [f for f in results["findings"] if f["id"] == "PPNR-STALE-GROUPS"]  # projected from its last quarter in the panel as if it were current: said
    assert stale["detail"].startswith(f"{leaver}: their last observed nii comes before {panel.period.max()}"), stale
    groups = results["tables"]["group_spread"]; percentiles = [i for i, c in enumerate(groups["columns"]) if c.endswith("of groups")]
    assert len(groups["rows"]) == 3 * 9 and all(row[i] is not None and np.isfinite(row[i]) for row in groups["rows"] for i in percentiles), groups  # every bank projected, the one that joined in its 21st quarter too
    assert not any(f["id"] in ("FIT-FEW-GROUPS", "FIT-SHORT-SERIES") for f in results["findings"])  # nine banks: enough groups; 39 quarters: enough history for every series


def test_scenario_report_on_two_banks(tmp_path):
    "The same suite on a panel of two banks over four years: the group model's random effects rest on two groups, a finding with their estimated spread; three of the four series are fitted on too short a history for their parameters, a finding naming them; the projection still runs."
    import pandas as pd
    write_bank_folder(tmp_path)
    panel = pd.read_parquet(tmp_path / "data" / "panel.parquet")
    panel = panel[panel.entity.isin(panel.entity.unique()[:2]) & panel.period.isin(sorted(panel.period.unique())[-16:])]
    panel.to_parquet(tmp_path / "data" / "panel.parquet", index=False)
    mrm("run", REPO / "nbs/validation/ppnr_scenarios.ipynb", "-p", "data_dir", "data", "-p", "suite_file", "suite.yaml", "-p", "device", "cpu", "-p", "paths", 200,
        "--out", "out", "--no-progress", cwd=tmp_path, check=0)
    bundle, = bundles(tmp_path / "out")
    results = json.loads((bundle / "results.json").read_text())
    few, = [f for f in results["findings"] if f["id"] == "FIT-FEW-GROUPS"]
    assert few["title"] == "NII by bank: random effects estimated from 2 group(s), fewer than 5" and "standard deviation of the group effects: (Intercept) " in few["detail"]
    short, = [f for f in results["findings"] if f["id"] == "FIT-SHORT-SERIES"]  # 15 quarters after the first (the lag): under 5 per parameter for the series with 4 and 5, not for Fees' 3
    assert short["title"] == ("Top-down fitted on 15 observations for 5 parameters; NII fitted on 15 observations for 4 parameters; Costs fitted on 15 observations for 5 parameters, "
                              "fewer than 5 per parameter (parameter minimum_observations_per_parameter)"), short

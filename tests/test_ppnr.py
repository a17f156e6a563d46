"PPNR migration end to end: both reports run through `mrm run`, bundle their evidence and exports, and refuse bad inputs clearly."
import json
import numpy as np, pandas as pd, pytest, torch
from conftest import REPO, bundles, mrm


@pytest.fixture(scope="module")
def ppnr_data(tmp_path_factory):
    "The reference PPNR data (seed 0: the data the committed R goldens were made from)."
    from mrm_research.ppnr.data import write_ppnr_data
    folder = tmp_path_factory.mktemp("ppnr")
    write_ppnr_data(folder, seed=0)
    return folder


def test_parity_report_bundles_every_row_and_the_exports(tmp_path, ppnr_data, keys):
    mrm("run", REPO / "nbs/validation/ppnr_parity.ipynb", "-p", "data_dir", ppnr_data, "-p", "device", "cpu", "--model-id", "PPNR-MIGRATION",
        "--out", tmp_path, "--no-progress", check=0)
    bundle, = bundles(tmp_path)
    results = json.loads((bundle / "results.json").read_text())
    table = pd.DataFrame(results["tables"]["parity_table"]["rows"], columns=results["tables"]["parity_table"]["columns"])
    assert results["metrics"]["parity_rows_failed"]["value"] == 0 and len(table) == results["metrics"]["parity_rows"]["value"] > 100
    assert set(table.model) >= {"OLS", "ARIMAX ppnr", "PPNR aggregation", "mixed model (ML)", "mixed model (REML)"}
    assert set(table.scenario) >= {"baseline", "adverse", "severely_adverse"}
    assert (table.status != "fail").all() and results["findings"] == []
    diagnostics = results["tables"]["fit_diagnostics"]
    assert all(row[diagnostics["columns"].index("torch converged")] for row in diagnostics["rows"])
    manifest = json.loads((bundle / "manifest.json").read_text())
    assert {"exports/bottom_up.onnx", "exports/bottom_up.pt", "exports/groups.onnx", "exports/top_down.pt"} <= set(manifest["files"])  # signed with the bundle
    inputs = json.loads((bundle / "inputs.json").read_text())
    assert {entry["contract"] for entry in inputs.values()} >= {"ppnr_panel", "ppnr_scenarios"}
    mrm("sign", bundle, "--key", keys["preparer"], "--role", "preparer", check=0)
    mrm("verify", bundle, "--keyring", keys["keyring"], check=0)


def test_parity_report_refuses_data_the_goldens_were_not_made_from(tmp_path):
    from mrm_research.ppnr.data import write_ppnr_data
    write_ppnr_data(tmp_path / "data", seed=5)
    result = mrm("run", REPO / "nbs/validation/ppnr_parity.ipynb", "-p", "data_dir", tmp_path / "data", "-p", "device", "cpu", "--out", tmp_path / "out", "--no-progress", check=1)
    bundle, = bundles(tmp_path / "out")
    assert json.loads((bundle / "manifest.json").read_text())["status"] == "failed"
    said = " ".join((result.stdout + result.stderr + (bundle / "manifest.json").read_text()).split())
    assert "goldens were made from other data (panel: row counts differ; series: column 'ppnr' differs by" in said, said


def test_scenario_report_projects_every_scenario(tmp_path, ppnr_data):
    mrm("run", REPO / "nbs/validation/ppnr_scenarios.ipynb", "-p", "data_dir", ppnr_data, "-p", "device", "auto", "-p", "paths", 2000,
        "--out", tmp_path, "--no-progress", check=0)
    bundle, = bundles(tmp_path)
    results = json.loads((bundle / "results.json").read_text())
    cumulative = {s: results["metrics"][f"cumulative_bottom_up_{s}"]["value"] for s in ("baseline", "adverse", "severely_adverse")}
    assert cumulative["severely_adverse"] < cumulative["adverse"] < cumulative["baseline"]
    bands = results["tables"]["fan_chart_percentiles"]
    assert len(bands["rows"]) == 27 and {"p5", "p50", "p95"} <= set(bands["columns"])
    assert (bundle / "report.pdf").stat().st_size > 50_000


def test_bad_panel_is_refused_naming_dataset_column_rule_and_rows(tmp_path, ppnr_data):
    panel = pd.read_parquet(ppnr_data / "ppnr_panel.parquet")
    panel.loc[[3, 7, 11], "ppnr"] = np.nan
    panel.loc[20, "ppnr"] += 0.5  # PPNR no longer equals NII + non-interest income - non-interest expense
    (tmp_path / "data").mkdir(); panel.to_parquet(tmp_path / "data" / "ppnr_panel.parquet")
    (tmp_path / "data" / "ppnr_scenarios.parquet").write_bytes((ppnr_data / "ppnr_scenarios.parquet").read_bytes())
    result = mrm("run", REPO / "nbs/validation/ppnr_scenarios.ipynb", "-p", "data_dir", tmp_path / "data", "-p", "device", "cpu", "--out", tmp_path / "out", "--no-progress", check=1)
    bundle, = bundles(tmp_path / "out")
    message = (bundle / "manifest.json").read_text()
    assert "ppnr_panel" in message and "not_null" in message and "3 row" in message, message
    assert "identity(ppnr = net_interest_income + noninterest_income - noninterest_expense" in message, message



def test_a_panel_delivered_with_no_rows_is_refused_naming_it(tmp_path, ppnr_data):
    "The bank's panel arrives as its header and no rows: refused before any fit, naming the panel and the series derived from it (a model's fit reported too few quarters, naming neither)."
    (tmp_path / "data").mkdir(); pd.read_parquet(ppnr_data / "ppnr_panel.parquet").iloc[:0].to_parquet(tmp_path / "data" / "ppnr_panel.parquet")
    (tmp_path / "data" / "ppnr_scenarios.parquet").write_bytes((ppnr_data / "ppnr_scenarios.parquet").read_bytes())
    mrm("run", REPO / "nbs/validation/ppnr_scenarios.ipynb", "-p", "data_dir", "data", "-p", "suite_file", REPO / "nbs/legacy/ppnr_suite.yaml", "-p", "device", "cpu", "--out", "out", "--no-progress", check=1, cwd=tmp_path)
    bundle, = bundles(tmp_path / "out")
    assert "dataset 'panel' holds no rows; dataset 'series' holds no rows" in json.loads((bundle / "manifest.json").read_text())["error"]

def test_unknown_device_is_a_clear_error(tmp_path, ppnr_data):
    result = mrm("run", REPO / "nbs/validation/ppnr_scenarios.ipynb", "-p", "data_dir", ppnr_data, "-p", "device", "tpu", "--out", tmp_path, "--no-progress", check=1)
    bundle, = bundles(tmp_path)
    assert "'tpu' is not a torch device" in (bundle / "manifest.json").read_text()


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device on this machine; the CPU runs above cover the same code with device='cpu'")
def test_parity_holds_on_cuda():
    from mrm_research.ppnr.parity import parity_report
    report = parity_report(device="cuda")  # the demo suite
    assert report.passed, report.summary()


ANOTHER_BANKS_SUITE = """name: Entity PPNR suite (R, 2019)
units: "$m"
equivalence_margin: 0.01
time: period
horizon: 9
scenarios: {data: paths, column: path, names: ["Base case", "Adverse", "Severe (FRB)"]}
sources:
  entities: {file: panel.parquet, contract: contracts/bank_panel.yaml}
  paths: {file: paths.parquet, contract: contracts/macro_paths.yaml}
derive:
  source: entities
  lags: [{column: nii_prev, of: nii, group: entity}]  # the series start where every entity has a previous quarter
  series: {name: totals, mean: [ppnr_usd, nii, non_ii, non_ie], first: [real_gdp, unemp_rate, cpi, tbill_3m]}
models:
  - {name: "Top-down $ PPNR", kind: arimax, data: totals, target: ppnr_usd, drivers: [tbill_3m, unemp_rate, real_gdp], ar_order: 1, include_mean: true}
  - {name: NII, kind: arimax, data: totals, target: nii, drivers: [tbill_3m, unemp_rate], ar_order: 1, include_mean: true}
  - {name: Fees, kind: arimax, data: totals, target: non_ii, drivers: [real_gdp], ar_order: 1, include_mean: true}
  - {name: Costs, kind: arimax, data: totals, target: non_ie, drivers: [unemp_rate, cpi], ar_order: 1, include_mean: true}
aggregations: [{name: "Bottom-up PPNR", terms: {NII: 1, Fees: 1, Costs: -1}}]
projection: {label: "PPNR ($m)", bottom_up: "Bottom-up PPNR", top_down: "Top-down $ PPNR", shocked_drivers: [real_gdp, unemp_rate, cpi, tbill_3m]}  # no group model
"""

def test_scenario_report_on_another_banks_suite(tmp_path):
    "Another bank's suite, run from its own folder: its column, model and scenario names (with spaces and parentheses), its contracts, units in dollars ($m twice in a sentence would be set as maths) and no group model."
    from mrm_research.ppnr.data import generate_panel, macro_history, scenario_paths
    names = {"gdp_growth": "real_gdp", "unemployment": "unemp_rate", "inflation": "cpi", "short_rate": "tbill_3m",
             "net_interest_income": "nii", "noninterest_income": "non_ii", "noninterest_expense": "non_ie"}
    history = macro_history()
    panel = generate_panel(history, 12, 48, seed=7).rename(columns=names | {"bank_id": "entity", "quarter": "period"})[["entity", "period", *names.values()]]
    panel[["nii", "non_ii", "non_ie"]] *= 1000  # $m, not % of assets
    panel = panel.assign(ppnr_usd=panel.nii + panel.non_ii - panel.non_ie, entity=panel.entity.str.replace("B", "BK-"), period=panel.period.astype(str).str.replace("Q", "-Q"))
    paths = scenario_paths(history).rename(columns=names | {"scenario": "path", "quarter": "period"})[["path", "period", "real_gdp", "unemp_rate", "cpi", "tbill_3m"]]
    paths = paths.assign(path=paths.path.map({"baseline": "Base case", "adverse": "Adverse", "severely_adverse": "Severe (FRB)"}), period=paths.period.astype(str).str.replace("Q", "-Q"))
    (tmp_path / "data").mkdir(); (tmp_path / "contracts").mkdir()
    panel.to_parquet(tmp_path / "data" / "panel.parquet", index=False); paths.to_parquet(tmp_path / "data" / "paths.parquet", index=False)
    from ppnr_regional import write_contract
    macro = dict.fromkeys(["real_gdp", "unemp_rate", "cpi", "tbill_3m"], "%")
    write_contract(tmp_path / "contracts" / "bank_panel.yaml", "bank_panel", "entity", macro | dict.fromkeys(["nii", "non_ii", "non_ie", "ppnr_usd"], "$m"), "Treasury PPNR team")
    write_contract(tmp_path / "contracts" / "macro_paths.yaml", "macro_paths", "path", macro, "Treasury PPNR team")
    (tmp_path / "suite.yaml").write_text(ANOTHER_BANKS_SUITE)
    mrm("run", REPO / "nbs/validation/ppnr_scenarios.ipynb", "-p", "data_dir", "data", "-p", "suite_file", "suite.yaml", "-p", "device", "cpu", "-p", "paths", 200,
        "--out", "out", "--no-progress", cwd=tmp_path, check=0)
    bundle, = bundles(tmp_path / "out")
    results = json.loads((bundle / "results.json").read_text())
    assert {f"cumulative_bottom_up_{s}" for s in ("Base case", "Adverse", "Severe (FRB)")} <= set(results["metrics"])
    assert not any("synthetic" in text for text in results["limitations"]), results["limitations"]  # the demo's panel is synthetic; this bank's is not said to be
    assert "The suite's projection names no group model: the projection is not broken down group by group." in results["limitations"]
    evidence = " ".join(str(cell) for row in results["tables"]["regulatory_evidence"]["rows"] for cell in row)
    assert "section 'Group by group'" not in evidence and "section 'Monte Carlo fan charts'" in evidence, evidence  # a section that could not run evidences nothing
    import pypdf
    text = " ".join(" ".join(page.extract_text() for page in pypdf.PdfReader(bundle / "report.pdf").pages).split())
    assert "in cumulative PPNR ($m), " in text, text  # shown as written, not as maths

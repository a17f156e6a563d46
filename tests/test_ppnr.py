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


def test_unknown_device_is_a_clear_error(tmp_path, ppnr_data):
    result = mrm("run", REPO / "nbs/validation/ppnr_scenarios.ipynb", "-p", "data_dir", ppnr_data, "-p", "device", "tpu", "--out", tmp_path, "--no-progress", check=1)
    bundle, = bundles(tmp_path)
    assert "'tpu' is not a torch device" in (bundle / "manifest.json").read_text()


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device on this machine; the CPU runs above cover the same code with device='cpu'")
def test_parity_holds_on_cuda():
    from mrm_research.ppnr.parity import parity_report
    report = parity_report(device="cuda")  # the demo suite
    assert report.passed, report.summary()

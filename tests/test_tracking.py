"""MLflow tracking: `mrm run --track` and `mrm track` log bundles to a real local tracking store (SQLite)."""
import json
from conftest import mrm, bundles


def test_run_with_track_logs_the_bundle_to_a_local_store(tmp_path, monkeypatch):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    out = tmp_path / "out"
    result = mrm("run", "tests/notebooks/tiny.ipynb", "--out", out, "--model-id", "TRACKED", "--no-progress", "--track", check=0)
    assert "as MLflow run" in result.stdout and (out / "mlflow.db").exists()
    from mlflow.tracking import MlflowClient
    uri = f"sqlite:///{(out / 'mlflow.db').resolve()}"
    client = MlflowClient(tracking_uri=uri)
    runs = client.search_runs([client.get_experiment_by_name("mrm_research").experiment_id])
    assert len(runs) == 1
    run, (bundle,) = runs[0], bundles(out)
    manifest = json.loads((bundle / "manifest.json").read_text())
    assert run.data.tags["mrm.model_id"] == "TRACKED" and run.data.tags["mrm.run_id"] == manifest["run_id"] and run.info.status == "FINISHED"
    assert {"manifest.json", "report.pdf", "results.json"} <= {a.path for a in client.list_artifacts(run.info.run_id)}
    again = mrm("track", bundle, "--out", out, check=0)  # tracking an existing bundle adds a second run
    assert "as MLflow run" in again.stdout and len(client.search_runs([runs[0].info.experiment_id])) == 2


def test_track_refuses_a_folder_that_is_not_a_bundle(tmp_path):
    refused = mrm("track", tmp_path, "--out", tmp_path, check=2)
    assert "not a bundle" in refused.stdout + refused.stderr

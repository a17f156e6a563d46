"""ML validation metrics against R's pROC (committed goldens; regenerated and compared again when R is installed)."""
import json
import numpy as np, pandas as pd, pytest
from validation_goldens import DELONG, delong_cases, proc_available, run_proc
from mrm_research.validation.metrics import delong_test

R_MISSING = "Rscript with pROC and jsonlite is not installed (apt-get install r-base-core r-cran-proc r-cran-jsonlite); the committed goldens are still checked"


def compare(goldens: dict, inputs: pd.DataFrame):
    for case, gold in goldens.items():
        if case.startswith("_"): continue
        rows = inputs[inputs.case == case]
        ours = delong_test(rows.label.to_numpy(), rows["first"].to_numpy(), rows["second"].to_numpy(), name=case)
        for mine, theirs in [(ours.auc_first, gold["auc_first"]), (ours.auc_second, gold["auc_second"]), (ours.covariance[0, 0], gold["var_first"]),
                             (ours.covariance[1, 1], gold["var_second"]), (ours.covariance[0, 1], gold["covariance"]), (ours.z, gold["z"]), (ours.p_value, gold["p_value"])]:
            assert mine == pytest.approx(theirs, rel=1e-9, abs=1e-14), (case, mine, theirs)


def test_inputs_are_what_the_goldens_were_made_from():
    committed = pd.read_csv(DELONG / "inputs.csv")
    pd.testing.assert_frame_equal(delong_cases().astype({"label": int}), committed, check_exact=False, rtol=1e-15)


def test_delong_agrees_with_committed_proc_goldens():
    goldens = json.loads((DELONG / "goldens.json").read_text())
    assert len([c for c in goldens if not c.startswith("_")]) == 5
    compare(goldens, pd.read_csv(DELONG / "inputs.csv"))


@pytest.mark.skipif(not proc_available(), reason=R_MISSING)
def test_delong_agrees_with_proc_run_now(tmp_path):
    goldens = json.loads(run_proc(tmp_path).read_text())
    compare(goldens, pd.read_csv(tmp_path / "inputs.csv"))

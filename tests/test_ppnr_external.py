"""The migration kit on a suite the demo does not contain (tests/goldens/ppnr/external): other public data, AR(2) and AR(3) errors,
no intercept, missing quarters, uncorrelated random effects, a random slope that is not a fixed effect, rows lme4 drops,
and random-intercept panels with small group variances. Each case once failed silently; these tests keep it from coming back."""
import numpy as np, pandas as pd, pytest
from mrm_research.ppnr.legacy import load_goldens
from mrm_research.ppnr.parity import parity_report
from ppnr_external import FOLDER, external_suite


@pytest.fixture(scope="module")
def report():
    goldens = load_goldens(FOLDER)
    return parity_report(external_suite(), goldens.inputs, goldens, "cpu")


def test_every_parity_row_passes_or_says_why_not(report):
    assert report.passed, report.summary()
    assert report.converged, report.diagnostics.to_string()
    not_run = report.table[report.table.status == "not run"]
    assert (not_run.reference == "statsmodels MixedLM").all() and not_run.note.str.len().gt(20).all()  # only statsmodels' unconverged or REML rows, each with a reason


def test_torch_reaches_lme4s_optimum_on_every_mixed_model(report):
    "The small-variance random-intercept panels (torch used to stop at theta = 0, up to 12 log-likelihood units short) and the badly scaled slope."
    rows = report.table[report.table.quantity == "log-likelihood: torch optimum vs lme4's"]
    assert len(rows) == 28 and (rows.status == "pass").all()
    at_lme4 = report.table[report.table.quantity.isin(["standard errors at lme4's theta", "fixed effects at lme4's theta", "group effects (BLUPs) at lme4's theta"])]
    assert (at_lme4.status == "pass").all() and len(at_lme4) == 3 * 28


def test_singular_fits_are_flagged_as_lme4_flags_them(report):
    goldens = load_goldens(FOLDER)
    diagnostics = report.diagnostics.set_index("model")
    for model in external_suite().of_kind("mixed"):
        assert bool(diagnostics.loc[model.name, "on a bound"]) == bool(goldens.model(model.name)["singular"]), model.name


def test_arimax_models_the_demo_does_not_have(report):
    "AR(2), AR(3) without drivers, no intercept, missing quarters (the last one included): likelihood, intervals, AIC and forecasts against R."
    arimax = report.table[report.table.model.str.startswith("Danish")]
    assert set(arimax.model) == {"Danish money AR(2)", "Danish bond rate AR(1) no mean", "Danish income AR(3) no drivers", "Danish money AR(2) with missing quarters"}
    for quantity in ("log-likelihood at R's parameters", "AIC, AICc, BIC at R's parameters", "80 % and 95 % prediction intervals at R's parameters", "fitted values at R's parameters"):
        assert (arimax[arimax.quantity == quantity].status == "pass").all(), quantity
    assert (arimax.status == "pass").all()


def test_rows_lme4_drops_for_missing_values_are_dropped_alike(report):
    gaps = load_goldens(FOLDER).inputs["grunfeld_gaps"]
    row = report.table[(report.table.model == "Grunfeld with missing rows (ML)") & (report.table.quantity == "fitted values at lme4's theta")].iloc[0]
    assert row.status == "pass" and row["values"] == gaps.value.notna().sum() == len(gaps) - 4

"Legacy R references: the committed goldens are what R produces today (when R is installed), and statsmodels OLS matches them."
import numpy as np, pytest
from mrm_research.ppnr.legacy import ARIMAX_DRIVERS, legacy_inputs, load_goldens, r_available, run_legacy_r, statsmodels_ols


def test_statsmodels_ols_matches_the_r_goldens():
    goldens, fit = load_goldens()["ols"], statsmodels_ols(legacy_inputs()["panel"])
    assert list(fit.params.index) == ["Intercept", *goldens["names"][1:]]
    np.testing.assert_allclose(fit.params.to_numpy(), goldens["coef"], rtol=0, atol=1e-10)
    np.testing.assert_allclose(fit.fittedvalues.to_numpy(), goldens["fitted"], rtol=0, atol=1e-10)
    assert abs(fit.llf - goldens["loglik"][0]) < 1e-8


@pytest.mark.skipif(not r_available(), reason="R with forecast and lme4 is not installed (apt-get install r-base-core r-cran-forecast r-cran-lme4); the committed goldens still drive the parity checks")
def test_goldens_are_reproduced_by_r(tmp_path):
    fresh, committed = run_legacy_r(tmp_path / "legacy_r.json"), load_goldens()
    assert fresh["versions"] == committed["versions"], "goldens were made with other R / package versions: regenerate and commit them"
    checked = {"ols": ["coef", "se", "loglik", "forecast_adverse"], "lmer_ml": ["fixef", "loglik", "theta", "ranef", "forecast_severely_adverse"],
               "lmer_reml": ["fixef", "loglik", "forecast_baseline"]}
    checked |= {f"arimax.{series}": ["coef", "loglik", "forecast_baseline", "forecast_severely_adverse", "backtest"] for series in ARIMAX_DRIVERS}
    for model, keys in checked.items():
        fresh_model, committed_model = fresh, committed
        for part in model.split("."): fresh_model, committed_model = fresh_model[part], committed_model[part]
        for key in keys:
            np.testing.assert_allclose(fresh_model[key], committed_model[key], rtol=1e-10, atol=1e-12, err_msg=f"{model}.{key}")
    np.testing.assert_allclose(fresh["arimax"]["aggregate"]["forecast_adverse"], committed["arimax"]["aggregate"]["forecast_adverse"], rtol=1e-10)


def test_goldens_name_the_drivers_python_uses():
    "The R script's driver lists and Python's ARIMAX_DRIVERS must not drift apart."
    goldens = load_goldens()["arimax"]
    for series, drivers in ARIMAX_DRIVERS.items():
        assert goldens[series]["names"] == ["ar1", "intercept", *drivers], series

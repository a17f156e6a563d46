"Legacy R references: the committed goldens are what R produces today (when R is installed), and statsmodels OLS matches them."
import numpy as np, pytest
from mrm_research.ppnr.legacy import legacy_inputs, load_goldens, r_available, run_legacy_r, statsmodels_ols


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
    for model, keys in {"ols": ["coef", "se", "loglik"], "arimax": ["coef", "loglik", "forecast_baseline", "forecast_severely_adverse"],
                        "lmer_ml": ["fixef", "loglik", "theta"], "lmer_reml": ["fixef", "loglik"]}.items():
        for key in keys:
            np.testing.assert_allclose(fresh[model][key], committed[model][key], rtol=1e-10, atol=1e-12, err_msg=f"{model}.{key}")

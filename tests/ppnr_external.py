"""Inputs of the second legacy suite (tests/goldens/ppnr/external/suite.yaml), from public data the demo does not contain.

Run `python tests/ppnr_external.py` (R with forecast, lme4 and jsonlite installed) to regenerate its goldens."""
from pathlib import Path
import numpy as np, pandas as pd

FOLDER = Path(__file__).resolve().parent / "goldens" / "ppnr" / "external"
RANDOM_INTERCEPT_PANELS = 12


def random_intercept_panel(seed: int) -> pd.DataFrame:
    "15 groups of 4-11 rows, y = 1 + 0.5 x + group effect (sd 0.05 to 1) + noise: small group variances are the hard case."
    rng = np.random.default_rng(seed); sizes = rng.integers(4, 12, 15); group = np.repeat(np.arange(15), sizes)
    x = rng.normal(size=len(group)) + 0.3 * group / 15
    y = 1 + 0.5 * x + rng.choice([0.05, 0.1, 0.2, 0.4, 1.0]) * rng.normal(size=15)[group] + rng.normal(size=len(group))
    return pd.DataFrame({"g": [f"G{i:02d}" for i in group], "period": np.arange(len(group)).astype(str), "x": x, "y": y})


def external_inputs() -> dict[str, pd.DataFrame]:
    "Every dataset of the external suite."
    import statsmodels.api as sm
    grunfeld = sm.datasets.grunfeld.load_pandas().data.assign(period=lambda f: f.year.astype(int).astype(str))[["firm", "period", "invest", "value", "capital"]]
    grunfeld = grunfeld.sort_values(["firm", "period"]).reset_index(drop=True)
    grunfeld["lag_invest"] = grunfeld.groupby("firm").invest.shift()
    grunfeld = grunfeld.dropna(subset=["lag_invest"]).reset_index(drop=True)
    gaps = grunfeld.copy(); gaps.loc[[5, 40, 41, 120], "value"] = np.nan  # lme4 drops these rows (na.omit)
    danish = sm.datasets.danish_data.load_pandas().data.reset_index()
    danish = danish.assign(period=pd.PeriodIndex(danish.period, freq="Q").astype(str))[["period", "lrm", "lry", "lpy", "ibo", "ide"]]
    danish["lrm_gaps"] = danish.lrm.where(~danish.index.isin([3, 20, 21, len(danish) - 1]))  # missing quarters, the last one included
    last_firm = grunfeld.groupby("firm")[["value", "capital"]].mean().mean()
    steps = np.arange(1, 9)
    scenarios = pd.concat([pd.DataFrame({"scenario": name, "period": [f"F{h:02d}" for h in steps],
                                         "value": last_firm.value * (1 + sign * 0.03 * steps), "capital": last_firm.capital * (1 + 0.01 * steps),
                                         "lry": danish.lry.iloc[-1] + sign * 0.004 * steps, "ibo": danish.ibo.iloc[-1] - sign * 0.002 * steps,
                                         "ide": danish.ide.iloc[-1] - sign * 0.001 * steps}) for name, sign in (("upside", 1), ("downside", -1))], ignore_index=True)
    panels = {f"ri_{seed:02d}": random_intercept_panel(seed) for seed in range(RANDOM_INTERCEPT_PANELS)}
    return {"grunfeld": grunfeld, "grunfeld_gaps": gaps, "danish": danish, "scenarios": scenarios, **panels}


def external_suite():
    "The suite file, with one ML and one REML random-intercept model per simulated panel added."
    from mrm_research.core import load_yaml
    from mrm_research.ppnr.legacy import LegacySuite
    spec = load_yaml((FOLDER / "suite.yaml").read_text())
    spec["models"] += [{"name": f"random intercept {name} ({'REML' if reml else 'ML'})", "kind": "mixed", "data": name, "formula": "y ~ x + (1 | g)", "reml": reml}
                       for name in (f"ri_{seed:02d}" for seed in range(RANDOM_INTERCEPT_PANELS)) for reml in (False, True)]
    return LegacySuite.from_dict(spec, str(FOLDER / "suite.yaml"))


if __name__ == "__main__":
    from mrm_research.ppnr.legacy import run_legacy_r
    print(run_legacy_r(external_suite(), external_inputs(), FOLDER).summary())

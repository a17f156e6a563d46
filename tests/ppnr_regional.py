"""A third legacy suite (tests/goldens/ppnr/regional): a regional bank's PPNR models in $m under its own column and model names,
a bank that joins the panel late, missing fee income, AR(0) and AR(2) errors without a mean, random intercepts, and a top-down
series so persistent that at two back-test origins stats::arima's estimates sit where its Kalman filter leaves the first quarter
out of the likelihood (prediction variance above 10^4 innovation variances). The demo has none of these.

`write_bank_folder(folder)` lays the bank's files out as a user would (data/, contracts/, suite.yaml); `python tests/ppnr_regional.py`
(R with forecast, lme4 and jsonlite installed) regenerates the goldens."""
from pathlib import Path
import numpy as np, pandas as pd

FOLDER = Path(__file__).resolve().parent / "goldens" / "ppnr" / "regional"
SUITE = """name: Regional bank PPNR (2021 R code)
units: "$m"
equivalence_margin: 0.01
time: period
horizon: 9
scenarios: {data: paths, column: path, names: [baseline, adverse, severely_adverse]}
sources:
  entities: {file: panel.parquet, contract: contracts/bank_panel.yaml}
  paths: {file: paths.parquet, contract: contracts/macro_paths.yaml}
derive:
  source: entities
  lags: [{column: nii_prev, of: nii, group: entity}]
  series: {name: totals, mean: [ppnr_usd, nii, non_ii, non_ie], first: [real_gdp, unemp_rate, cpi, tbill_3m]}
models:
  - {name: Pooled NII, kind: ols, data: entities, formula: nii ~ nii_prev + tbill_3m + unemp_rate, recursive: {group: entity, lag: nii_prev, of: nii}}
  - {name: Fees by bank, kind: mixed, data: entities, formula: non_ii ~ real_gdp + unemp_rate + (1 | entity), reml: true}
  - {name: NII by bank, kind: mixed, data: entities, formula: nii ~ nii_prev + tbill_3m + (1 | entity), reml: false, recursive: {group: entity, lag: nii_prev, of: nii}}
  - {name: Top-down, kind: arimax, data: totals, target: ppnr_usd, drivers: [tbill_3m, real_gdp], ar_order: 2, include_mean: false, backtest: 8}
  - {name: NII, kind: arimax, data: totals, target: nii, drivers: [tbill_3m], ar_order: 1, include_mean: true}
  - {name: Fees, kind: arimax, data: totals, target: non_ii, drivers: [real_gdp], ar_order: 0, include_mean: true}
  - {name: Costs, kind: arimax, data: totals, target: non_ie, drivers: [unemp_rate, cpi], ar_order: 1, include_mean: true}
aggregations: [{name: Bottom-up, terms: {NII: 1, Fees: 1, Costs: -1}}]
projection: {label: "PPNR ($m)", bottom_up: Bottom-up, top_down: Top-down, groups: NII by bank, shocked_drivers: [real_gdp, unemp_rate, cpi, tbill_3m]}
"""


def write_contract(path: Path, name: str, key: str, units: dict[str, str], owner: str, nullable: bool = False) -> None:
    "A bank's data contract for a panel keyed by (key, period) with float columns in the given units."
    columns = "".join(f"  {column}: {{type: float, unit: \"{unit}\"{', nullable: true' if nullable else ''}}}\n" for column, unit in units.items())
    path.write_text(f"dataset: {name}\nversion: 1.0.0\nowner: {owner}\ndescription: The bank's {name}, in its own column names.\n"
                    f"primary_key: [{key}, period]\ncolumns:\n  {key}: {{type: string}}\n  period: {{type: string}}\n{columns}")


MACRO = ["real_gdp", "unemp_rate", "cpi", "tbill_3m"]


def regional_data() -> tuple[pd.DataFrame, pd.DataFrame]:
    "The bank's panel ($m) and macro paths, built from the library's generator under the bank's own names."
    from mrm_research.ppnr.data import generate_panel, macro_history, scenario_paths
    names = {"gdp_growth": "real_gdp", "unemployment": "unemp_rate", "inflation": "cpi", "short_rate": "tbill_3m",
             "net_interest_income": "nii", "noninterest_income": "non_ii", "noninterest_expense": "non_ie"}
    history = macro_history()
    panel = generate_panel(history, 9, 40, seed=11).rename(columns=names | {"bank_id": "entity", "quarter": "period"})[["entity", "period", *names.values()]]
    panel[["nii", "non_ii", "non_ie"]] *= 1000
    panel = panel.assign(ppnr_usd=panel.nii + panel.non_ii - panel.non_ie, period=panel.period.astype(str))
    late = panel.entity.unique()[2]  # joins the panel in its 21st quarter
    panel = panel[~((panel.entity == late) & (panel.period < sorted(panel.period.unique())[20]))]
    panel.loc[np.random.default_rng(3).choice(panel.index, 4, replace=False), "non_ii"] = np.nan
    paths = scenario_paths(history).rename(columns=names | {"scenario": "path", "quarter": "period"})[["path", "period", *MACRO]]
    return panel.reset_index(drop=True), paths.assign(period=paths.period.astype(str))


def write_bank_folder(folder: Path) -> Path:
    "The bank's files as a user keeps them: data/panel.parquet, data/paths.parquet, contracts/*.yaml, suite.yaml."
    panel, paths = regional_data()
    (folder / "data").mkdir(parents=True, exist_ok=True); (folder / "contracts").mkdir(exist_ok=True)
    panel.to_parquet(folder / "data" / "panel.parquet", index=False); paths.to_parquet(folder / "data" / "paths.parquet", index=False)
    macro = dict.fromkeys(MACRO, "%")
    write_contract(folder / "contracts" / "bank_panel.yaml", "bank_panel", "entity", macro | dict.fromkeys(["nii", "non_ii", "non_ie", "ppnr_usd"], "$m"), "Regional bank treasury", nullable=True)
    write_contract(folder / "contracts" / "macro_paths.yaml", "macro_paths", "path", macro, "Regional bank treasury", nullable=True)
    (folder / "suite.yaml").write_text(SUITE)
    return folder


def regional_inputs() -> dict[str, pd.DataFrame]:
    "The suite's inputs as the report derives them from the bank's sources."
    from mrm_research.core import load_yaml
    from mrm_research.ppnr.legacy import LegacySuite, derive_inputs
    panel, paths = regional_data()
    return derive_inputs(LegacySuite.from_dict(load_yaml(SUITE)), {"entities": panel, "paths": paths})


if __name__ == "__main__":
    from mrm_research.core import load_yaml
    from mrm_research.ppnr.legacy import LegacySuite, run_legacy_r
    print(run_legacy_r(LegacySuite.from_dict(load_yaml(SUITE), "tests/ppnr_regional.py"), regional_inputs(), FOLDER).summary())

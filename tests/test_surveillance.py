"""Trade surveillance: each manipulation planted alone is caught by its own detector and by no
other; the detectors' false-positive rate on a market with nothing planted; the second line's replication
agrees alert for alert; the market's datasets pass their contracts and bad input is refused clearly."""
import numpy as np, pandas as pd
import pytest
from mrm_research.core import ParameterError
from mrm_research.surveillance.synthetic import MANIPULATIONS, MarketConfig, generate_market, write_market
from mrm_research.surveillance.detectors import DETECTORS, alerts, pattern_detection, run_detectors
from mrm_research.surveillance.replication import reconcile, spoofing_candidates_sql, wash_trade_candidates_python

DEFAULTS = {name: spec().threshold for name, (_, spec) in DETECTORS.items()}


def _alerts(market):
    return {name: alerts(found, DEFAULTS[name]) for name, found in run_detectors(market).items()}


@pytest.mark.parametrize("manipulation", MANIPULATIONS)
def test_each_manipulation_planted_alone_is_caught_by_its_detector_only(manipulation):
    market = generate_market(MarketConfig(orders=20_000, seed=101), {manipulation: 1})  # one textbook pattern (stealth 0)
    found = _alerts(market)
    label = market["manipulation_labels"].iloc[0]
    assert pattern_detection(found, market["manipulation_labels"]).detected.all()
    accounts = set(label.account_ids.split(","))
    for other, raised in found.items():
        if other == manipulation: continue
        on_pattern = raised[(raised.instrument_id == label.instrument_id) & raised.account_ids.str.split(",").map(lambda a: bool(accounts & set(a)))
                            & (raised.window_start <= label.end) & (raised.window_end >= label.start)]
        assert on_pattern.empty, f"{other} also alerts on the planted {manipulation}: {on_pattern.alert_id.tolist()}"
        assert len(raised) <= 1, f"{other}: {len(raised)} alerts on a market where only {manipulation} was planted"


def test_market_makers_never_look_like_spoofers_and_stealth_is_monotone():
    market = generate_market(MarketConfig(orders=40_000, seed=102, accounts=600), {"spoofing_layering": 5})
    candidates = run_detectors(market)["spoofing_layering"]
    types = market["trading_accounts"].set_index("account_id").account_type
    makers = candidates[types.reindex(candidates.account_id).to_numpy() == "market_maker"]
    assert len(makers) > 50 and makers.driving_value.max() < DEFAULTS["spoofing_layering"]  # many candidates, none near the line
    detection = pattern_detection({"spoofing_layering": candidates}, market["manipulation_labels"])
    strength = detection.best_value.fillna(0.0)  # not even a candidate: no signal (a stealthy cancel delay can outlast the window)
    assert strength.iloc[0] == strength.max() and strength.iloc[-1] < strength.iloc[0]  # the textbook pattern gives the strongest signal


def test_replication_agrees_alert_for_alert_on_a_market_the_demo_does_not_contain():
    market = generate_market(MarketConfig(orders=50_000, seed=103, days=3, start="2025-06-06", instruments={"liquid_equity": 1, "thin_equity": 1, "thin_crypto": 3}),
                             {"spoofing_layering": 4, "wash_trade": 4, "pump_and_dump": 4})  # a weekend-spanning period: one equity session, so no insider pattern
    found = run_detectors(market)
    spoofing = reconcile(found["spoofing_layering"], spoofing_candidates_sql(market), threshold=-np.inf)
    wash = reconcile(found["wash_trade"], wash_trade_candidates_python(market), threshold=-np.inf)
    assert len(spoofing) > 100 and set(spoofing.status) == {"agree"}
    assert len(wash) >= 4 and set(wash.status) == {"agree"}


def test_market_datasets_pass_their_contracts_and_bad_input_is_refused(tmp_path):
    from mrm_research.notebook import inspect_dataset
    from mrm_research.contracts import check_frame
    market = generate_market(MarketConfig(orders=5_000, seed=104))
    paths = write_market(market, tmp_path)
    related = {"trading_accounts": market["trading_accounts"], "instruments": market["instruments"]}
    for name, path in paths.items():
        typed, report = check_frame(pd.read_parquet(path), name, source=str(path), related=related)
        assert report.passed, report.summary()
    broken = market["order_events"].astype({"side": "str"}); broken.loc[broken.index[:3], "side"] = "short"
    typed, report = check_frame(broken, "order_events", related=related)
    assert not report.passed and "side" in report.summary() and "3" in report.summary()
    with pytest.raises(ParameterError, match="no detector named spoof"): run_detectors(market, {"spoof": {}})
    with pytest.raises(ParameterError, match="lacks executions"): run_detectors({"order_events": market["order_events"], "instruments": market["instruments"]})
    with pytest.raises(ParameterError, match="unknown manipulation"): generate_market(MarketConfig(orders=100), {"insider": 1})

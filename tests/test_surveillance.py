"""Trade surveillance: each manipulation planted alone is caught by its own detector and by no
other; the detectors' false-positive rate on a market with nothing planted; the second line's replication
agrees alert for alert; the market's datasets pass their contracts and bad input is refused clearly."""
import json
import numpy as np, pandas as pd
import pytest
from mrm_research.core import ParameterError
from mrm_research.surveillance.synthetic import MANIPULATIONS, MarketConfig, generate_market, write_market
from mrm_research.surveillance.detectors import DETECTORS, alerts, overlaps, pattern_detection, run_detectors
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


def test_report_on_a_venues_own_layout_and_history(tmp_path):
    "From the venue's own folder: order events as a CSV of letter codes, signed sides, prices in 1/10,000 and Tokyo wall-clock milliseconds; executions with its own names; reference data in its own names, classes and price units, beneficial owners known only for accounts that share one; its analysts' history."
    import json, yaml
    from conftest import REPO, bundles, mrm
    from mrm_research.surveillance.tuning import alert_history_from_market
    from mrm_research.tuning import TuningConfig
    market = generate_market(MarketConfig(orders=15_000, seed=12), {name: 1 for name in MANIPULATIONS})
    market = {name: frame.assign(**{c: frame[c].dt.floor("ms") for c in frame.columns if pd.api.types.is_datetime64_any_dtype(frame[c])}) for name, frame in market.items()}
    venue = tmp_path / "venue"; venue.mkdir()
    events, trades = market["order_events"], market["executions"]
    tokyo = lambda times: times.dt.tz_localize("UTC").dt.tz_convert("Asia/Tokyo").dt.tz_localize(None).to_numpy("datetime64[ms]").astype(np.int64)  # wall-clock ms
    pd.DataFrame({"MsgSeq": events.event_id.astype(str), "OrderRef": events.order_id.astype(str), "Trader": events.account_id.astype(str), "Code": events.instrument_id.astype(str),
                  "LocalMs": tokyo(events.event_time), "Msg": events.event_type.astype(str).map({"new": "N", "modify": "M", "cancel": "C", "fill": "F"}),
                  "Dir": events.side.astype(str).map({"buy": 1, "sell": -1}), "Kind": events.order_type.astype(str).map({"market": "MKT", "limit": "LMT"}),
                  "Px4": np.rint(events.price * 10_000).astype(np.int64), "Qty": events.quantity}).to_csv(venue / "order_events.csv", index=False)
    trades.rename(columns={"execution_id": "TradeRef", "event_time": "LocalMs", "price": "Px4", "aggressor_side": "Initiator"}).assign(
        LocalMs=tokyo(trades.event_time), Px4=np.rint(trades.price * 10_000).astype(np.int64), Initiator=trades.aggressor_side.astype(str).map({"buy": "B", "sell": "S"})).to_parquet(venue / "executions.parquet")
    # its reference data too: the instrument master in its own names, classes and 1/10,000 prices (CSV); member types in its codes; a news feed without kind or impact
    classes = {"asset_class": {"equity": "KABU", "crypto": "ANGO", "equity_derivative": "SAKI"}, "liquidity": {"liquid": "H", "thin": "L"},
               "account_type": {"market_maker": "MM", "momentum": "HFT", "retail": "KOJIN", "institutional_client": "KIKAN", "proprietary": "JIKO"}}
    market["instruments"].assign(asset_class=market["instruments"].asset_class.map(classes["asset_class"]), liquidity=market["instruments"].liquidity.map(classes["liquidity"]),
                                 base_price=np.rint(market["instruments"].base_price * 10_000).astype(np.int64), tick_size=np.rint(market["instruments"].tick_size * 10_000).astype(np.int64)).rename(
        columns={"instrument_id": "Code", "asset_class": "Shubetsu", "liquidity": "Ryudosei", "base_price": "Kijun4", "tick_size": "Yobine4"}).to_csv(venue / "instruments.csv", index=False)
    members = market["trading_accounts"]; shared = members.beneficial_owner_id.duplicated(keep=False)  # the venue knows the owner only of accounts that share one
    members.assign(account_type=members.account_type.map(classes["account_type"]), beneficial_owner_id=members.beneficial_owner_id.where(shared)).rename(columns={"account_id": "Trader"}).to_parquet(venue / "trading_accounts.parquet")
    market["announcements"].drop(columns=["kind", "price_impact"]).rename(columns={"instrument_id": "Code"}).to_parquet(venue / "announcements.parquet")
    (tmp_path / "venue.yaml").write_text(yaml.safe_dump({
        "columns": {"order_events": {"event_id": "MsgSeq", "order_id": "OrderRef", "account_id": "Trader", "instrument_id": "Code", "event_time": "LocalMs", "event_type": "Msg",
                                     "side": "Dir", "order_type": "Kind", "price": "Px4", "quantity": "Qty"},
                    "executions": {"execution_id": "TradeRef", "event_time": "LocalMs", "price": "Px4", "aggressor_side": "Initiator"},
                    "instruments": {"instrument_id": "Code", "asset_class": "Shubetsu", "liquidity": "Ryudosei", "base_price": "Kijun4", "tick_size": "Yobine4"},
                    "trading_accounts": {"account_id": "Trader"}, "announcements": {"instrument_id": "Code"}},
        "codes": {"event_type": {"new": ["N"], "modify": ["M"], "cancel": ["C"], "fill": ["F"]}, "side": {"buy": [1], "sell": [-1]}, "order_type": {"market": ["MKT"], "limit": ["LMT"]},
                  "aggressor_side": {"buy": ["B"], "sell": ["S"]}, **{column: {role: [code] for role, code in codes.items()} for column, codes in classes.items()}},
        "time": {"unit": "ms", "zone": "Asia/Tokyo"}, "time_by_dataset": {"announcements": {"unit": "ns", "zone": "UTC"}},
        "units": {"order_events": {"price": 0.0001}, "executions": {"price": 0.0001}, "instruments": {"price": 0.0001}}}))
    alert_history_from_market(market, TuningConfig(seed=3)).to_csv(tmp_path / "history.csv", index=False)  # its alerts raised at the library's thresholds
    # its detector settings: a shorter wash-trade episode gap, a five-minute closing window at a closing share of 0.4 (its history's alerts were raised at 0.25)
    (tmp_path / "settings.yaml").write_text("wash_trade: {gap_hours: 2, threshold: {default: 3, thin_equty: 4}}\nmarking_the_close: {threshold: 0.4, window_minutes: 5}\n")  # 'thin_equty': a misspelt segment
    mrm("run", REPO / "nbs/validation/surveillance_tuning.ipynb", "-p", "data_dir", venue, "-p", "venue_mapping", tmp_path / "venue.yaml", "-p", "alert_history", tmp_path / "history.csv",
        "-p", "detector_settings", tmp_path / "settings.yaml", "--model-id", "TOKYO-VENUE", "--out", tmp_path / "out", "--no-progress", check=0, cwd=tmp_path)
    (bundle,) = bundles(tmp_path / "out")
    results, inputs = (json.loads((bundle / f"{name}.json").read_text()) for name in ("results", "inputs"))
    assert inputs["order_events"]["path"].endswith("order_events.csv") and len(inputs["order_events"]["mapping_sha256"]) == 64 and "manipulation_labels" not in inputs
    assert inputs["instruments"]["path"].endswith("instruments.csv") and inputs["instruments"]["mapping_sha256"] == inputs["order_events"]["mapping_sha256"]
    assert len(inputs["detector_settings"]["sha256"]) == 64
    volume = {row[0]: dict(zip(results["tables"]["alert_volume"]["columns"], row)) for row in results["tables"]["alert_volume"]["rows"]}
    own = {"wash_trade": {"gap_hours": 2}, "marking_the_close": {"window_minutes": 5}}
    assert {name: row["candidates"] for name, row in volume.items()} == {name: len(found) for name, found in run_detectors(market, own).items()}  # at the venue's parameters
    assert volume["marking_the_close"]["alerts in force"] == int((run_detectors(market, own)["marking_the_close"].driving_value >= 0.4).sum())
    library = {row[0]: dict(zip(results["tables"]["detector_library"]["columns"], row)) for row in results["tables"]["detector_library"]["rows"]}
    assert library["marking_the_close"]["threshold in force"] == "0.4" and library["wash_trade"]["set by the venue"] == "gap_hours, threshold" and library["bear_raid"]["set by the venue"] == "none: library defaults"
    against = results["tables"]["settings_against_history"]["rows"]
    assert against and {(row[0], row[2], row[3]) for row in against} == {("marking_the_close", 0.4, 0.25)}  # the settings file and the history disagree: a finding
    assert any(f["id"] == "TUNE-SETTINGS" for f in results["findings"])
    misspelt = next(f for f in results["findings"] if f["id"] == "SETTINGS-SEGMENTS")
    assert misspelt["detail"].startswith("wash_trade 'thin_equty': not used here") and "thin_equity" in misspelt["detail"]  # said, where the real segment would have run at the default without a word
    assert results["metrics"]["evidence"]["value"] == "history" and "replication" in results["tables"]
    assert any(text.startswith(f"{int((~shared).sum()):,} of the {len(members):,} trading accounts have no beneficial owner") for text in results["limitations"])  # each its own owner: the same candidates


def test_an_insider_position_built_with_passive_orders_is_seen_through_all_fills():
    "The stealth-0.5 insider rests limit orders that others hit: no aggressive trade builds its position. Counting all its fills when one-sided finds it; aggressive trades alone do not."
    from mrm_research.surveillance.detectors import InsiderDealingParameters, insider_dealing_candidates
    market = generate_market(MarketConfig(orders=60_000, seed=3), {"insider_dealing": 3})
    pattern = market["manipulation_labels"].set_index("stealth").loc[0.5]
    assert '"passive orders"' in pattern.parameters
    trades = market["executions"]; orders = set(pattern.order_ids.split(","))
    build = trades[(trades.buy_order_id.isin(orders) | trades.sell_order_id.isin(orders)) & (trades.event_time < trades.event_time.max())]
    insider_aggressive = np.where(build.aggressor_side == "buy", build.buy_account_id, build.sell_account_id) == pattern.account_ids
    assert len(build) and not insider_aggressive[: len(build) // 2].any()  # the build (first half of its fills) is all passive
    def found(parameters):
        candidates = insider_dealing_candidates(market, parameters)
        return candidates[(candidates.account_id == pattern.account_ids) & (candidates.instrument_id == pattern.instrument_id)].driving_value.max()
    assert found(InsiderDealingParameters()) >= InsiderDealingParameters().threshold
    aggressive_only = found(InsiderDealingParameters(min_one_sided=1.01))  # no position over all fills can be more than one-sided
    assert not aggressive_only >= InsiderDealingParameters().threshold  # NaN (no candidate) or below the threshold


def test_front_running_through_an_inverse_tracker_from_a_venues_folder(tmp_path):
    "A venue the demo does not have: an inverse tracker written on an equity, its relation in the venue's own reference-data names; the house sells the tracker ahead of its client's buy."
    import yaml
    from mrm_research.surveillance.detectors import FrontRunningParameters, front_running_candidates
    from mrm_research.surveillance.mapping import read_venue
    market = generate_market(MarketConfig(orders=20_000, seed=31, days=3, instruments={"liquid_equity": 2, "thin_equity": 1, "inverse_tracker": 1}), {"front_running": 2})
    pattern = market["manipulation_labels"].set_index("stealth").loc[1.0]
    house = json.loads(pattern.parameters)["house_instrument"]
    tracker = market["instruments"].set_index("instrument_id").loc[house]
    assert tracker.segment == "inverse_tracker" and tracker.underlying_instrument_id == pattern.instrument_id and tracker.underlying_direction == -1
    venue = tmp_path / "venue"; venue.mkdir()
    market["instruments"].rename(columns={"underlying_instrument_id": "UnderlyingCode", "underlying_direction": "DeltaSign"}).to_csv(venue / "instruments.csv", index=False)
    for name in ("trading_accounts", "executions", "order_events", "announcements"): market[name].to_parquet(venue / f"{name}.parquet")
    (tmp_path / "venue.yaml").write_text(yaml.safe_dump({"columns": {"instruments": {"underlying_instrument_id": "UnderlyingCode", "underlying_direction": "DeltaSign"}}}))
    mapped, inputs = read_venue(venue, tmp_path / "venue.yaml")
    trades = mapped["executions"]
    house_trades = trades[(trades.instrument_id == house) & trades.sell_order_id.isin(pattern.order_ids.split(","))]
    assert len(house_trades) and (house_trades.aggressor_side == "sell").all()  # the house sold the tracker ahead: long the equity's move
    found = front_running_candidates(mapped)
    hit = found[overlaps(found, pattern)]
    assert len(hit) == 1 and hit.driving_value.iloc[0] >= FrontRunningParameters().threshold and set(house_trades.execution_id) <= set(hit.event_ids.iloc[0].split(","))
    without = front_running_candidates({**mapped, "instruments": mapped["instruments"].assign(underlying_instrument_id=None)})
    assert not overlaps(without, pattern).any()  # the relation in the reference data is what shows it
    broken = market["instruments"].copy(); broken.loc[broken.instrument_id == house, "underlying_instrument_id"] = "NOT-LISTED"
    from mrm_research.contracts import check_frame
    report = check_frame(broken, "instruments")[1]
    assert not report.passed and "foreign_key(instruments.instrument_id)" in report.summary()


def test_report_on_a_venue_of_one_thin_crypto_pair(tmp_path):
    "One thin crypto pair over one day, two pump-and-dump patterns, exported as CSV: detectors with no candidate in any segment are drawn as having none (the threshold curves stopped such a run), and the generator names a manipulation the venue has no instrument for."
    from conftest import REPO, bundles, mrm
    config = MarketConfig(days=1, instruments={"thin_crypto": 1}, accounts=30, orders=400, seed=3)
    with pytest.raises(ParameterError, match="spoofing_layering needs a liquid instrument and the market has none"): generate_market(config)
    market = generate_market(config, {"pump_and_dump": 2}); write_market(market, tmp_path / "parquet")
    (tmp_path / "venue").mkdir()
    for file in (tmp_path / "parquet").glob("*.parquet"): pd.read_parquet(file).to_csv(tmp_path / "venue" / f"{file.stem}.csv", index=False)  # the venue's CSV export
    mrm("run", REPO / "nbs/validation/surveillance_tuning.ipynb", "-p", "data_dir", tmp_path / "venue", "--out", tmp_path / "out", "--no-progress", cwd=tmp_path, check=0)
    (bundle,) = bundles(tmp_path / "out")
    results, inputs = (json.loads((bundle / f"{name}.json").read_text()) for name in ("results", "inputs"))
    assert inputs["order_events"]["path"].endswith("venue/order_events.csv") and inputs["manipulation_labels"]["path"].endswith(".csv")  # read as exported, through the contracts
    volume = {row[0]: dict(zip(results["tables"]["alert_volume"]["columns"], row)) for row in results["tables"]["alert_volume"]["rows"]}
    assert {name: row["candidates"] for name, row in volume.items()} == {name: len(found) for name, found in run_detectors(market).items()}  # as the generated market gives them
    recommended = {row[0] for row in results["tables"]["recommendations"]["rows"]}
    assert {f"curves_{name}" for name in DETECTORS} <= set(results["figures"]) and recommended < set(DETECTORS)  # every detector's figure, those without a candidate too
    blind = {f["id"] for f in results["findings"] if f["id"].startswith("SCOPE-")}  # a detector of equities or liquid instruments on a venue of one thin crypto pair: said, not a quiet zero
    assert blind == {"SCOPE-marking_the_close", "SCOPE-momentum_ignition"} and "detector_scope" in results["tables"]
    assert "its asset classes: crypto; liquidity classes: thin" in next(f["detail"] for f in results["findings"] if f["id"] == "SCOPE-marking_the_close")  # what to name instead
    assert {row[0] for row in results["tables"]["schedule"]["rows"]} == set(DETECTORS)


def test_a_venue_of_bonds_and_currency_pairs_in_its_own_classes(tmp_path, monkeypatch):
    "From the venue's folder: an instrument master whose asset classes (government bonds, bond futures, currency pairs) and liquidity tiers are the venue's own names, read as written; detectors pointed at those names find what the same market in the library's names gives, and a detector left at a class the venue does not have looks at none of its instruments."
    import yaml
    from mrm_research.surveillance.detectors import detector_scope
    from mrm_research.surveillance.mapping import read_venue
    market = generate_market(MarketConfig(orders=15_000, seed=21), {name: 1 for name in MANIPULATIONS})
    asset_classes = {"equity": "government_bond", "crypto": "fx_spot", "equity_derivative": "bond_future"}; tiers = {"liquid": "tier_1", "thin": "tier_3"}
    venue = tmp_path / "venue"; venue.mkdir(); monkeypatch.chdir(tmp_path)
    market["instruments"].assign(asset_class=market["instruments"].asset_class.map(asset_classes), liquidity=market["instruments"].liquidity.map(tiers)).rename(
        columns={"instrument_id": "ISIN", "asset_class": "ProductType", "liquidity": "LiquidityBand"}).to_csv(venue / "instruments.csv", index=False)
    for name in ("trading_accounts", "executions", "order_events", "announcements"): market[name].rename(columns={"instrument_id": "ISIN"}).to_parquet(venue / f"{name}.parquet")
    (tmp_path / "venue.yaml").write_text(yaml.safe_dump({"columns": {"instruments": {"instrument_id": "ISIN", "asset_class": "ProductType", "liquidity": "LiquidityBand"},
                                                                     **{name: {"instrument_id": "ISIN"} for name in ("executions", "order_events", "announcements")}}}))
    mapped, _ = read_venue(venue, tmp_path / "venue.yaml")
    assert set(mapped["instruments"].asset_class) == set(asset_classes.values()) and set(mapped["instruments"].liquidity) == set(tiers.values())
    library = {name: {key: value for key, value in vars(spec()).items() if key in ("asset_class", "liquidity")} for name, (_, spec) in DETECTORS.items()}
    own = {name: {key: (asset_classes if key == "asset_class" else tiers).get(value, value) for key, value in named.items()} for name, named in library.items()}
    assert own["marking_the_close"] == {"asset_class": "government_bond"} and own["pump_and_dump"] == {"liquidity": "tier_3"}
    found, expected = run_detectors(mapped, own), run_detectors(market)
    for name in DETECTORS:
        pd.testing.assert_frame_equal(found[name].reset_index(drop=True), expected[name].reset_index(drop=True), check_dtype=False, obj=name)
    assert sum(len(alerts(found[name], DETECTORS[name][1]().threshold)) for name in DETECTORS) > 0  # the comparison is of alerts, not of empty frames
    blind = detector_scope(mapped["instruments"]).set_index("detector")  # the library's class names: nothing of this venue's is looked at
    assert set(blind.index[blind.instruments == 0]) == {name for name, named in library.items() if any(value is not None for value in named.values())}
    assert (detector_scope(mapped["instruments"], own).instruments > 0).all()

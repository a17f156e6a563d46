"Spark engine: the scenario library on Spark raises the same alerts as on DuckDB (on a small bank made of two generators' banks, on which every scenario alerts), from files and from a Spark-written partitioned folder."
import tempfile
from pathlib import Path
import pandas as pd, pytest
from mrm_research.aml.synthetic import BankConfig, write_bank
from mrm_research.aml.typologies import TypologyConfig, generate_labelled_bank
from mrm_research.aml.scenarios import SCENARIOS, EngineTraits, Parameter, Scenario, alerts, scenario_engine
from mrm_research.engines.spark import spark_unavailable, to_spark_sql
from mrm_research.core import MRMError

REASON = spark_unavailable()
needs_spark = pytest.mark.skipif(REASON is not None, reason=f"Spark cannot start here: {REASON}")


@pytest.fixture(scope="module")
def spark():
    "The module's local session; it also serves Spark Connect clients on a free port (the Connect plugin), as a cluster's Connect endpoint does."
    import socket
    from mrm_research.engines.spark import spark_session
    with socket.socket() as probe: probe.bind(("127.0.0.1", 0)); port = probe.getsockname()[1]
    return spark_session("local[2]", config={"spark.plugins": "org.apache.spark.sql.connect.SparkConnectPlugin", "spark.connect.grpc.binding.port": str(port)})


@pytest.fixture(scope="module")
def labelled_bank():
    "A small labelled bank (400 customers, 12,000 transactions, every typology planted twice): every scenario but the internal fan-in and fan-out alerts on it."
    folder = Path(tempfile.mkdtemp())
    write_bank(generate_labelled_bank(BankConfig(customers=400, transactions=12_000, days=90, start="2025-01-01", seed=20261123),
                                      TypologyConfig(patterns={name: 2 for name in TypologyConfig().patterns})), folder)
    return folder


@pytest.fixture(scope="module")
def both_banks(labelled_bank):
    "The labelled bank and a small AMLSim-style bank as one bank (the AMLSim customers, accounts, transactions and counterparties renamed with a prefix 'S'): its fan-ins and fan-outs among the bank's own customers make the internal fan-in and fan-out scenarios alert, so every scenario alerts on this one bank and each runs once on Spark."
    from mrm_research.aml.amlsim import generate_amlsim_bank
    amlsim = generate_amlsim_bank(BankConfig(customers=500, transactions=20_000, days=90, start="2025-01-01", seed=20261124))
    renamed = {"customers": ["customer_id"], "accounts": ["account_id", "customer_id"], "transactions": ["transaction_id", "account_id", "counterparty_id"]}
    folder = Path(tempfile.mkdtemp())
    write_bank({name: pd.concat([pd.read_parquet(labelled_bank / f"{name}.parquet"), amlsim[name].astype({c: str for c in columns}).assign(**{c: "S" + amlsim[name][c].astype(str) for c in columns})],
                                ignore_index=True)
                for name, columns in renamed.items()}, folder)
    return folder


def test_every_scenario_transpiles_to_spark():
    for scenario in SCENARIOS.values():
        assert "FROM tx" in to_spark_sql(scenario.candidate_sql())
    with pytest.raises(MRMError, match="cannot be transpiled"):
        to_spark_sql("SELECT * FROM tx WHERE")


def same_driving_values(expected: pd.DataFrame, found: pd.DataFrame) -> bool:
    "Driving values equal to a relative 1e-9 (Spark and DuckDB sum decimals exactly, then hand over doubles)."
    return bool(((expected.driving_value - found.driving_value).abs() <= 1e-9 * expected.driving_value.abs()).all())


@needs_spark
def test_alert_for_alert_parity_with_duckdb(spark, both_banks):
    duck = scenario_engine(both_banks, start="2025-01-01")
    sparky = scenario_engine(both_banks, engine="spark", start="2025-01-01", session=spark)
    compared = {}
    for name in SCENARIOS:
        expected, found = alerts(duck, name), alerts(sparky, name)
        pd.testing.assert_frame_equal(expected.drop(columns="driving_value"), found.drop(columns="driving_value"), obj=name,
                                      check_dtype=len(expected) > 0)  # an empty result's text columns come back as object from DuckDB, as strings from Spark
        assert same_driving_values(expected, found), name
        compared[name] = len(expected)
    assert min(compared.values()) > 0, compared  # every scenario's SQL raised alerts: parity over an empty set would prove nothing
    # Spark summed the transactions per day and the windows were measured from arrays here; a bank too large for that keeps
    # Spark's window frames, which give the same candidates
    assert sparky.window_arrays and sparky._candidates_by_arrays(SCENARIOS["rapid_movement"], None) is not None
    sparky.window_arrays = False
    for name in SCENARIOS:
        expected, found = duck.candidates(name), sparky.candidates(name)
        pd.testing.assert_frame_equal(expected.drop(columns="driving_value"), found.drop(columns="driving_value"), obj=f"{name} by frames", check_dtype=False)
        assert same_driving_values(expected, found), name
    assert sparky.sums_in_hundredths  # its sums of amounts were added as 64-bit hundredths (`test_sums_too_large_for_whole_hundredths_stay_decimals`: as decimals)
    # a bank's own scenario summing what the SQL does not type runs as the band join on Spark (window frames on DuckDB): the same windows
    weighted = Scenario("weighted_outflow", "Outflow weighted by 1.5 over a week.", (), Parameter("min_weighted", "USD", 20_000, 0, 1e9, "weighted outflow"),
                        (Parameter("window_days", "days", 7, 1, 90, "window", integer=True),), relevant="direction = 'debit'", driving="SUM(amount * 1.5)")
    assert "JOIN relevant_tx r" in weighted.candidate_sql(traits=EngineTraits(rounds_wide_decimals=True)) and "JOIN relevant_tx r" not in weighted.candidate_sql()
    expected, found = duck.candidates(weighted), sparky.candidates(weighted)
    pd.testing.assert_frame_equal(expected.drop(columns="driving_value"), found.drop(columns="driving_value"))
    assert len(expected) > 0 and same_driving_values(expected, found)


@needs_spark
def test_sums_too_large_for_whole_hundredths_stay_decimals(spark, labelled_bank, tmp_path):
    "Amounts that together pass 9 * 10^16 (a bank booking in a currency of small units): Spark adds them as decimals, not as 64-bit hundredths (which overflow on this bank: Spark stops with ARITHMETIC_OVERFLOW), and its windows are DuckDB's."
    for name in ("customers", "accounts"):
        (tmp_path / f"{name}.parquet").write_bytes((labelled_bank / f"{name}.parquet").read_bytes())
    transactions = pd.read_parquet(labelled_bank / "transactions.parquet")
    account = transactions[transactions.channel.eq("cash")].account_id.value_counts().index[0]
    cash = transactions.index[transactions.channel.eq("cash") & transactions.account_id.eq(account)][:12]  # twelve on one day: one window sums 1.1 * 10^17
    transactions.loc[cash, "booked_at"] = transactions.loc[cash, "booked_at"].min()
    transactions.loc[cash, "amount"] = 9.5e15 + transactions.loc[cash, "amount"].round(2)  # the most DECIMAL(18, 2) holds is 10^16
    transactions.to_parquet(tmp_path / "transactions.parquet")
    duck, sparky = scenario_engine(tmp_path, start="2025-01-01"), scenario_engine(tmp_path, engine="spark", start="2025-01-01", session=spark)
    assert not sparky.sums_in_hundredths
    for name in ("large_cash", "rapid_movement", "profile_deviation"):
        expected, found = duck.candidates(name), sparky.candidates(name)
        pd.testing.assert_frame_equal(expected.drop(columns="driving_value"), found.drop(columns="driving_value"), obj=name)
        assert same_driving_values(expected, found), name
    assert duck.candidates("large_cash").driving_value.max() > 1e17  # the window too large for hundredths is among those compared


@needs_spark
def test_spark_reads_its_own_partitioned_export(spark, labelled_bank, tmp_path):
    "A Hive-style folder written by Spark (partitioned by channel) gives the alerts of the single files."
    for name in ("customers", "accounts"):
        (tmp_path / f"{name}.parquet").write_bytes((labelled_bank / f"{name}.parquet").read_bytes())
    spark.read.parquet(str(labelled_bank / "transactions.parquet")).write.partitionBy("channel").parquet(str(tmp_path / "transactions.parquet"))
    sparky = scenario_engine(tmp_path, engine="spark", start="2025-01-01", session=spark)
    expected = alerts(scenario_engine(labelled_bank, start="2025-01-01"), "structuring")
    found = alerts(sparky, "structuring")
    pd.testing.assert_frame_equal(expected.drop(columns="driving_value"), found.drop(columns="driving_value"))
    assert len(expected) > 0


DRIVERS = ["short_rate", "unemployment", "gdp_growth"]


@pytest.fixture(scope="module")
def ppnr_files():
    from mrm_research.ppnr.data import write_ppnr_data
    return write_ppnr_data(tempfile.mkdtemp(), banks=100, quarters=60, seed=0)  # the demo's panel


@needs_spark
def test_ppnr_bank_projections_on_spark_equal_the_single_process_batch(spark, ppnr_files):
    from mrm_research.ppnr.projection import spark_bank_projections
    from mrm_research.ppnr.projection import bank_projections
    panel, scenarios = pd.read_parquet(ppnr_files["ppnr_panel"]), pd.read_parquet(ppnr_files["ppnr_scenarios"])
    single = bank_projections(panel, scenarios, DRIVERS, batch_size=25)
    spread = spark_bank_projections(ppnr_files["ppnr_panel"], scenarios, DRIVERS, batch_size=25, session=spark)
    pd.testing.assert_frame_equal(spread.drop(columns=["projection", "loglik"]), single.drop(columns=["projection", "loglik"]))
    assert len(single) == 100 * 3 * 9 and single.converged.all()
    assert (spread.projection - single.projection).abs().max() <= 1e-10
    assert (spread.loglik - single.loglik).abs().max() <= 1e-10


@needs_spark
def test_ppnr_on_spark_with_another_banks_names_and_a_partitioned_export(spark, ppnr_files, tmp_path):
    "Integer portfolio ids, other column names, a missing quarter inside a series, read from a Spark-written folder."
    from mrm_research.ppnr.projection import spark_bank_projections
    from mrm_research.ppnr.projection import bank_projections
    panel = pd.read_parquet(ppnr_files["ppnr_panel"]).query("bank_id < 'B030'")
    panel = panel.assign(portfolio=panel.bank_id.str[1:].astype(int) * 7).rename(columns={"quarter": "period", "ppnr": "revenue"}).drop(columns="bank_id")
    panel.loc[panel.index[10], "revenue"] = float("nan")
    scenarios = pd.read_parquet(ppnr_files["ppnr_scenarios"]).rename(columns={"quarter": "period", "scenario": "path"})
    options = dict(target="revenue", time="period", scenario="path", group="portfolio", horizon=6)
    single = bank_projections(panel, scenarios, DRIVERS, batch_size=8, **options)
    spark.createDataFrame(panel).write.partitionBy("portfolio").parquet(str(tmp_path / "panel"))
    spread = spark_bank_projections(tmp_path / "panel", scenarios, DRIVERS, batch_size=8, session=spark, **options)
    assert len(single) == 30 * 3 * 6 and set(single.portfolio) == {str(7 * b) for b in range(30)}
    assert (spread.projection - single.projection).abs().max() <= 1e-10


CONNECT_SCRIPT = """
import os, sys, warnings; warnings.simplefilter("ignore")
import pandas as pd
from mrm_research.aml.scenarios import alerts, scenario_engine
from mrm_research.engines.spark import spark_session
session = spark_session()
assert type(session).__module__.startswith("pyspark.sql.connect"), type(session)
duck, connect = scenario_engine(sys.argv[1], start="2025-01-01"), scenario_engine(sys.argv[1], engine="spark", start="2025-01-01", session=session)
for name in ("structuring", "fan_out", "cycle"):
    pd.testing.assert_frame_equal(alerts(duck, name).drop(columns="driving_value"), alerts(connect, name).drop(columns="driving_value"))
assert connect.window_arrays and connect.method.startswith("Spark ") and "(Spark Connect)" in connect.method  # the windows were measured from arrays in this process, the client
print("parity through Spark Connect")
"""


@needs_spark
def test_scenarios_through_spark_connect(spark, labelled_bank):
    "SPARK_REMOTE set: the session is a Spark Connect client (of the Connect server the module's local session runs, reached by its address as a cluster's would be) and the alerts are DuckDB's."
    import os, subprocess, sys
    port = spark.sparkContext.getConf().get("spark.connect.grpc.binding.port")
    result = subprocess.run([sys.executable, "-c", CONNECT_SCRIPT, str(labelled_bank)], capture_output=True, text=True, timeout=600,
                            env={**os.environ, "SPARK_REMOTE": f"sc://127.0.0.1:{port}"})
    assert result.returncode == 0 and "parity through Spark Connect" in result.stdout, result.stderr[-3000:]


@needs_spark
def test_a_bank_read_through_its_mapping_on_spark(spark, labelled_bank, tmp_path):
    "A bank with its own column names and channel / direction codes: Spark through the mapping gives DuckDB's alerts on the usual files; unknown codes are refused."
    from mrm_research.aml.mapping import BankMapping
    codes = {"cash": "CSH", "wire_domestic": "FED", "wire_cross_border": "SWIFT", "ach": "NACHA", "card": "POS", "crypto": "VASP"}
    bank = {name: pd.read_parquet(labelled_bank / f"{name}.parquet") for name in ("customers", "accounts", "transactions")}
    bank["transactions"] = bank["transactions"].astype({"channel": str, "direction": str}).assign(
        channel=lambda f: f.channel.map(codes), direction=lambda f: f.direction.map({"credit": "C", "debit": "D"})).rename(columns={"booked_at": "value_ts", "channel": "rail"})
    write_bank(bank, tmp_path / "theirs")
    mapping = BankMapping({"transactions": {"booked_at": "value_ts", "channel": "rail"}}, codes, {"credit": "C", "debit": "D"})
    duck = scenario_engine(labelled_bank, start="2025-01-01")
    sparky = scenario_engine(tmp_path / "theirs", engine="spark", start="2025-01-01", session=spark, mapping=mapping)
    for name in ("structuring", "cycle", "mule_pass_through", "high_risk_geography"):
        expected, found = alerts(duck, name), alerts(sparky, name)
        assert len(expected) > 0, name
        pd.testing.assert_frame_equal(expected.drop(columns="driving_value"), found.drop(columns="driving_value"), obj=name)
    bank["transactions"].loc[bank["transactions"].index[:4], "rail"] = "RTGS"
    write_bank(bank, tmp_path / "unknown")
    with pytest.raises(MRMError, match="column 'rail' \\(channel\\), rule: code in the bank mapping: 4 row\\(s\\) fail"):
        scenario_engine(tmp_path / "unknown", engine="spark", start="2025-01-01", session=spark, mapping=mapping)


@needs_spark
def test_a_venues_own_layout_read_through_its_mapping_on_spark(spark, tmp_path):
    "A book file (numeric event types, prices in ticks, microseconds) and a FIX-style extract (tag names, local London time) read by the same views on Spark and DuckDB."
    from mrm_research.surveillance.mapping import VenueMapping, map_market
    instruments = pd.DataFrame({"instrument_id": ["XLON:VOD", "XLON:BP"], "symbol": ["VOD", "BP"], "segment": ["liquid_equity", "thin_equity"], "asset_class": ["equity", "equity"],
                                "liquidity": ["liquid", "thin"], "base_price": [0.7, 4.8], "tick_size": [0.0002, 0.0005], "typical_quantity": [5_000.0, 800.0]})
    accounts = pd.DataFrame({"account_id": ["K1", "K2", "K3"], "account_type": ["retail", "retail", "market_maker"], "beneficial_owner_id": ["B1", "B2", "B3"], "broker_id": ["BR1"] * 3})
    start_us = int(pd.Timestamp("2025-10-24 07:00:00").value // 1_000)  # 08:00 in London (BST)
    book = pd.DataFrame({"seq": [11, 12, 13, 14, 15, 16], "oid": ["o1", "o1", "o2", "o2", "o3", "o1"], "acct": ["K1", "K1", "K2", "K2", "K3", "K1"], "sym": ["XLON:VOD"] * 4 + ["XLON:BP", "XLON:VOD"],
                         "ts": [start_us + k * 1_500_000 for k in range(6)], "type": [1, 2, 1, 4, 1, 3], "side": ["B", "B", "S", "S", "B", "B"], "kind": ["L", "L", "M", "M", "L", "L"],
                         "px": [3_500, 3_501, 3_499, 3_499, 9_600, 3_501], "qty": [100, 120, 50, 50, 10, 120]})
    fix = pd.DataFrame({"ExecID": ["x1", "x2"], "TransactTime": ["20251024-08:00:04.500000", "20251027-08:00:00.000001"],  # BST, then GMT after the clocks went back
                        "Symbol": ["XLON:VOD", "XLON:VOD"], "LastPx": [69.98, 70.0], "LastQty": [50.0, 5.0], "BuyOrderID": ["o1", None], "SellOrderID": ["o2", "o2"],
                        "BuyAccount": ["K1", "K3"], "SellAccount": ["K2", "K2"], "AggressorSide": ["2", "1"]})
    book.to_parquet(tmp_path / "book.parquet"); fix.to_csv(tmp_path / "fix.csv", index=False)
    mapping = VenueMapping(columns={"order_events": {"event_id": "seq", "order_id": "oid", "account_id": "acct", "instrument_id": "sym", "event_time": "ts", "event_type": "type",
                                                     "side": "side", "order_type": "kind", "price": "px", "quantity": "qty"},
                                    "executions": {"execution_id": "ExecID", "event_time": "TransactTime", "instrument_id": "Symbol", "price": "LastPx", "quantity": "LastQty",
                                                   "buy_order_id": "BuyOrderID", "sell_order_id": "SellOrderID", "buy_account_id": "BuyAccount", "sell_account_id": "SellAccount", "aggressor_side": "AggressorSide"}},
                           codes={"event_type": {"new": [1], "modify": [2], "cancel": [3], "fill": [4]}, "side": {"buy": ["B"], "sell": ["S"]}, "order_type": {"market": ["M"], "limit": ["L"]},
                                  "aggressor_side": {"buy": [1], "sell": [2]}},
                           time={"unit": "us"}, time_by_dataset={"executions": {"unit": "text", "format": "%Y%m%d-%H:%M:%S.%f", "zone": "Europe/London"}},
                           units={"order_events": {"price": "ticks", "quantity": 10}, "executions": {"price": 0.01}, "instruments": {"price": 1, "quantity": 1}})  # prices in pence: pounds; the instrument master in pounds and shares
    files = {"order_events": tmp_path / "book.parquet", "executions": tmp_path / "fix.csv", "instruments": instruments, "trading_accounts": accounts}
    on_duckdb, on_spark = map_market(files, mapping), map_market(files, mapping, engine="spark")
    for name in on_duckdb: pd.testing.assert_frame_equal(on_duckdb[name].reset_index(drop=True), on_spark[name].reset_index(drop=True), obj=name)
    events, trades = on_duckdb["order_events"], on_duckdb["executions"]
    assert events.price.round(10).tolist() == [0.7, 0.7002, 0.6998, 0.6998, 4.8, 0.7002] and events.quantity.tolist() == [1_000, 1_200, 500, 500, 100, 1_200]
    assert events.event_type.tolist() == ["new", "modify", "new", "fill", "new", "cancel"] and events.event_time.iloc[0] == pd.Timestamp("2025-10-24 07:00:00")
    assert trades.event_time.tolist() == [pd.Timestamp("2025-10-24 07:00:04.5"), pd.Timestamp("2025-10-27 08:00:00.000001")]  # BST is UTC+1, GMT is UTC
    assert trades.aggressor_side.tolist() == ["sell", "buy"] and trades.price.round(10).tolist() == [0.6998, 0.7]


@needs_spark
@pytest.mark.parametrize("numbered", ["accounts", "counterparties"])
def test_account_identifiers_typed_differently_on_spark(spark, tmp_path, numbered):
    "Accounts as numbers in one file and as text in the other: Spark compares them as text as DuckDB does (`identifiers_as_text`), and the internal fan scenarios give DuckDB's candidates, where the join cast the text to a number."
    from test_aml_windows import accounts_typed_apart
    assert_duckdbs_candidates_on_spark(spark, accounts_typed_apart(tmp_path, numbered), "2024-07-01", ("internal_fan_in", "internal_fan_out"))


def assert_duckdbs_candidates_on_spark(spark, folder: Path, start: str | None, names: tuple[str, ...], **options) -> None:
    "Each named scenario has candidates on DuckDB over the bank in `folder`, and the same on Spark (both engines given `options`), from the same start."
    duck, sparky = scenario_engine(folder, start=start, **options), scenario_engine(folder, engine="spark", start=start, session=spark, **options)
    assert sparky.start == duck.start
    for name in names:
        expected = duck.candidates(name)
        assert len(expected) > 0, name
        pd.testing.assert_frame_equal(sparky.candidates(name), expected, obj=name)


@needs_spark
def test_windows_from_arrays_on_spark_equal_duckdbs_frames_on_an_odd_bank(spark, tmp_path):
    "Spark's daily sums measured as arrays in this process give DuckDB's window frames' candidates, value for value, on a bank the generators do not make: reversals (negative amounts), amounts and counterparties missing, a period starting after the first bookings (negative days), and a bank's own scenarios (sums with no ELSE, a count of a column with gaps, a rule nothing meets)."
    from test_aml_windows import odd_banks, odd_scenarios, random_bank
    folder, start = odd_banks(random_bank(tmp_path / "random").data_dir, tmp_path)["started_later"]
    frames, sparky = scenario_engine(folder, start=start), scenario_engine(folder, engine="spark", start=start, session=spark)
    frames.window_arrays = False
    chosen = [SCENARIOS[name] for name in ("structuring", "rapid_movement", "fan_in", "profile_deviation")] + odd_scenarios()  # a count, sums and a condition, a distinct count, a step after the windows; the bank's own
    assert sparky.window_arrays and all(sparky._candidates_by_arrays(scenario, None) is not None for scenario in chosen)
    for scenario in chosen:
        expected = frames.candidates(scenario)
        assert len(expected) > 0 or scenario.name == "telex", scenario.name
        pd.testing.assert_frame_equal(sparky.candidates(scenario), expected, check_exact=True, obj=scenario.name)


@needs_spark
def test_customer_identifiers_typed_differently_on_spark(spark, tmp_path):
    "Customers numbered in customers and named by text in accounts, one of them 'X-9' (no number, and no customer): Spark compares them as text as DuckDB does (`identifiers_as_text`) and gives DuckDB's candidates, where its cast stopped at 'X-9'."
    from test_aml_windows import customers_typed_apart, random_bank
    folder, _ = customers_typed_apart(random_bank(tmp_path / "random").data_dir, tmp_path, "customers")
    assert_duckdbs_candidates_on_spark(spark, folder, "2024-07-01", ("rapid_movement", "fan_out"))


@needs_spark
def test_days_counted_in_the_banks_time_zone_from_times_given_as_text_on_spark(spark, tmp_path):
    "A bank counting its days in New York, over the end of its summer time, whose Parquet holds its booking times as ISO text with offsets (Tokyo's and New York's in one column): Spark reads each as its UTC instant (`booked_instant_sql`) and converts it to its day in New York (`local_date_sql`) as DuckDB does, so the period's default start and the candidates of a count, sums with a condition, a distinct count and the dormancy scenario (days since the previous activity) are DuckDB's."
    from test_aml_windows import bank_with_text_times, banks_in_a_time_zone, random_bank
    utc_folder, _, _ = banks_in_a_time_zone(random_bank(tmp_path / "random").data_dir, tmp_path / "zone", "America/New_York", "2024-10-01")
    folder = bank_with_text_times(utc_folder, tmp_path / "offsets")
    assert_duckdbs_candidates_on_spark(spark, folder, None, ("structuring", "rapid_movement", "fan_in", "dormant_reactivation"), time_zone="America/New_York")

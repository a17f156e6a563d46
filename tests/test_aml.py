"AML lab: each typology planted alone is found by its scenario and the scenario stays quiet without it; SQL stays portable."
import hashlib, tempfile
from pathlib import Path
import pandas as pd, pytest, sqlglot
from sqlglot import ErrorLevel
from mrm_research.aml.synthetic import BankConfig, write_bank
from mrm_research.aml.typologies import TypologyConfig, generate_labelled_bank
from mrm_research.aml.scenarios import SCENARIOS, ScenarioEngine, alerts, channel_reach
from mrm_research.core import ParameterError

SCENARIO_FOR = {"structuring": "structuring", "rapid_movement": "rapid_movement", "fan_in": "fan_in", "fan_out": "fan_out",
                "cycle": "cycle", "funnel": "funnel", "mule_network": "mule_pass_through", "high_risk_geography": "high_risk_geography",
                "dormant_reactivation": "dormant_reactivation", "round_amount": "round_amount"}


def engine_for(patterns: dict, seed: int = 5):
    "A sparse bank (400 normal transactions) with only the given patterns planted, textbook stealth."
    folder = Path(tempfile.mkdtemp())
    bank = generate_labelled_bank(BankConfig(customers=400, transactions=400, days=60, seed=seed), TypologyConfig(patterns, stealth=0))
    write_bank(bank, folder)
    return ScenarioEngine(folder, start="2025-01-01"), bank


@pytest.mark.parametrize("typology", sorted(SCENARIO_FOR))
def test_typology_alone_is_detected_and_scenario_is_quiet_without_it(typology):
    scenario = SCENARIO_FOR[typology]
    engine, bank = engine_for({typology: 3})
    found = alerts(engine, scenario)
    clean = alerts(engine_for({})[0], scenario)  # the same normal bank, nothing planted
    labels = bank["transaction_labels"]
    triggering = set(found.transaction_ids.str.split(",").explode())
    for pattern_id, pattern in labels.groupby("pattern_id"):
        assert triggering & set(pattern.transaction_id), f"{typology} pattern {pattern_id} not alerted by {scenario}"
    planted_customers = set(bank["customer_labels"].customer_id)
    assert not planted_customers & set(clean.customer_id), f"{scenario} alerts on the would-be subjects without the pattern"
    assert set(found.customer_id) - set(clean.customer_id) <= planted_customers, "new alerts are only on planted customers"


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_scenario_sql_transpiles_to_spark(name):
    sql = SCENARIOS[name].candidate_sql()
    spark = sqlglot.transpile(sql, read="duckdb", write="spark", unsupported_level=ErrorLevel.RAISE)[0]
    sqlglot.parse_one(spark, read="spark")  # the Spark text parses back


def test_bad_scenario_parameter_is_a_clear_error():
    with pytest.raises(ParameterError, match="window_days = -7 days is outside its valid range"):
        SCENARIOS["rapid_movement"].candidate_sql({"window_days": -7})


def test_aml_tuning_report_runs_end_to_end(tmp_path):
    from conftest import REPO, bundles, mrm
    import json
    folder = tmp_path / "bank"
    write_bank(generate_labelled_bank(BankConfig(customers=1_000, transactions=20_000, days=60, seed=9), TypologyConfig()), folder)
    out = tmp_path / "build"
    mrm("run", REPO / "nbs/validation/aml_tuning.ipynb", "-p", "data_dir", folder, "-p", "as_of", "2025-03-02",
        "-p", "sensitivity_scenarios", "[structuring]", "--model-id", "TUNE", "--out", out, "--no-progress", cwd=tmp_path, check=0)  # from the user's folder
    (bundle,) = bundles(out)
    results = json.loads((bundle / "results.json").read_text())
    assert results["metrics"]["scenario_segments_tuned"]["value"] >= 13
    assert any(t.startswith("Precision and recall take the bank's transaction labels as ground truth") for t in results["limitations"]), results["limitations"]
    assert not any("synthetic" in t for t in results["limitations"]), results["limitations"]  # the files name no generator: not said to be synthetic
    assert 0 < results["metrics"]["pattern_recall"]["value"] <= 1
    recommendations = results["tables"]["recommendations"]
    assert set(row[0] for row in recommendations["rows"]) == set(SCENARIOS)
    assert {"transactions", "transaction_labels"} <= set(json.loads((bundle / "inputs.json").read_text()))
    assert (bundle / "report.pdf").stat().st_size > 10_000
    assert "from sorted arrays of daily values summed by DuckDB" in results["scope"]["engine"], results["scope"]  # how the windows were measured, as the scope states it


def test_alerts_table_meets_its_contract():
    from mrm_research.contracts import check_frame
    engine, bank = engine_for({"structuring": 2, "fan_in": 2})
    table = pd.concat([alerts(engine, "structuring"), alerts(engine, "fan_in")], ignore_index=True)
    assert len(table) >= 4
    _, report = check_frame(table, "alerts", related={"customers": bank["customers"]})
    assert report.passed, report.summary()


def test_aml_tuning_report_on_a_thin_bank_in_three_currencies(tmp_path):
    "60 customers over 30 days, two planted patterns, exported as CSV, a bank counting its days in Tokyo and booking in dollars, euros and pounds with its reference rates on weekdays only: scenarios with no candidate anywhere and segments without candidates are reported as such (the alerts heat map and the tuning schedule stopped such a run); every amount is converted into dollars at the rate of its booking day in Tokyo (a weekend's takes Friday's; rounded to the cent), the report's per-currency conversion equals one done here by hand, and the CSV files reach the engine through their contracts with the candidates that conversion gives in that time zone; the scope says where days are counted and the rates are fingerprinted (the tuning's refusal of rates with gaps is nb19's test)."
    from conftest import REPO, bundles, mrm
    from mrm_research.core import local_days
    import json, numpy as np
    bank = generate_labelled_bank(BankConfig(customers=60, transactions=2_000, days=30, seed=8), TypologyConfig({"structuring": 1, "rapid_movement": 1}))
    t = bank["transactions"]
    currency = np.where((draw := np.random.default_rng(4).random(len(t))) < 0.25, "EUR", np.where(draw < 0.4, "GBP", "USD"))
    bank["transactions"] = t.assign(currency=currency, amount=np.where(currency == "USD", t.amount, np.round(t.amount / np.where(currency == "EUR", 1.08, 1.27), 2)))
    tokyo_days = local_days(t.booked_at, "Asia/Tokyo")
    weekdays = pd.date_range(tokyo_days.min() - pd.Timedelta(days=3), tokyo_days.max(), freq="B")
    rates = pd.concat([pd.DataFrame({"rate_date": weekdays, "currency": code, "rate": np.round(level + 0.01 * np.sin(np.arange(len(weekdays))), 4)}) for code, level in (("EUR", 1.08), ("GBP", 1.27))])
    taken = np.ones(len(t))  # by hand: the latest weekday's rate on or before the booking's day in Tokyo
    for k, (code, day) in enumerate(zip(currency, tokyo_days)):
        if code != "USD": taken[k] = rates.rate[(rates.currency == code) & (rates.rate_date <= day)].iloc[-1]
    converted = bank["transactions"].assign(amount=np.round(bank["transactions"].amount.to_numpy() * taken, 2), currency="USD")
    expected = [[code, int((currency == code).sum()), round(float(converted.amount[currency == code].sum()), 2)] for code in ("EUR", "GBP", "USD")]
    parquet, folder = tmp_path / "parquet", tmp_path / "bank"
    write_bank(bank, folder); write_bank(dict(bank, transactions=converted), parquet); rates.to_csv(tmp_path / "rates.csv", index=False)
    for file in folder.glob("*.parquet"): pd.read_parquet(file).to_csv(folder / f"{file.stem}.csv", index=False); file.unlink()  # the bank's export
    mrm("run", REPO / "nbs/validation/aml_tuning.ipynb", "-p", "data_dir", folder, "-p", "sensitivity_scenarios", "[structuring]", "-p", "time_zone", "Asia/Tokyo",
        "-p", "fx_rates", "rates.csv", "-p", "reporting_currency", "USD", "--out", tmp_path / "build", "--no-progress", cwd=tmp_path, check=0)
    (bundle,) = bundles(tmp_path / "build")
    results, inputs = (json.loads((bundle / f"{name}.json").read_text()) for name in ("results", "inputs"))
    assert all(inputs[name]["path"].endswith(f"bank/{name}.csv") for name in ("customers", "accounts", "transactions", "transaction_labels"))
    assert results["scope"]["days_counted_in"] == "Asia/Tokyo", results["scope"]
    table = results["tables"]["currency_conversion"]; column = table["columns"].index
    assert [[row[column("currency")], row[column("transactions")], round(row[column("sum converted")], 2)] for row in table["rows"]] == expected, table["rows"]
    assert inputs["fx_rates"]["path"].endswith("rates.csv") and any("at the bank's own daily rates" in text for text in results["limitations"])
    recommended = {row[0] for row in results["tables"]["recommendations"]["rows"]}
    schedule = {row[0]: row for row in results["tables"]["schedule"]["rows"]}
    quiet = set(SCENARIOS) - recommended
    assert quiet and set(schedule) == set(SCENARIOS)  # every scenario is scheduled, those without a candidate too
    assert all(schedule[name][results["tables"]["schedule"]["columns"].index("alerts")] == 0 for name in quiet)
    engine = ScenarioEngine(parquet, time_zone="Asia/Tokyo")
    assert quiet == {name for name in SCENARIOS if engine.candidates(name).empty}  # as the converted Parquet files give them


GERMAN_CODES = {"cash": "BAR", "wire_domestic": "UEB", "wire_cross_border": "SWIFT", "ach": "LS", "card": "KARTE", "crypto": "KRYPTO", "other": "SCHECK"}  # cheques: no scenario names them


def own_identifiers(bank):
    "The bank with identifiers, segments and risk ratings in a German bank's forms rather than the generator's: customer numbers 'KD 0000042', IBANs written in groups of four with spaces, booking references 'BU-20250103-000017', its own segment names and KYC scale, no onboarding date for customers migrated from a legacy system."
    customers = {c: f"KD {k:07d}" for k, c in enumerate(bank["customers"].customer_id)}
    segments = {"retail": "Privatkunden", "small_business": "Geschäftskunden", "corporate": "Firmenkunden", "high_net_worth": "Vermögende Privatkunden", "money_service_business": "Zahlungsinstitute"}
    accounts = {a: f"DE{10 + k % 89:02d} 3704 0044 {k:04d} 1300 00" for k, a in enumerate(bank["accounts"].account_id)}
    t = bank["transactions"]
    bookings = dict(zip(t.transaction_id, [f"BU-{day:%Y%m%d}-{k:06d}" for k, day in enumerate(t.booked_at)]))
    ratings = {"low": "R1", "medium": "R3", "high": "R5"}  # its KYC scale
    return {**bank, "customers": bank["customers"].assign(customer_id=bank["customers"].customer_id.map(customers), segment=bank["customers"].segment.astype(str).map(segments),
                                                          risk_rating=bank["customers"].risk_rating.astype(str).map(ratings),
                                                          onboarded_on=bank["customers"].onboarded_on.mask(pd.Series(range(len(bank["customers"])), index=bank["customers"].index) % 7 == 0)),  # migrated customers: no onboarding date
            "accounts": bank["accounts"].assign(account_id=bank["accounts"].account_id.map(accounts), customer_id=bank["accounts"].customer_id.map(customers)),
            "transactions": t.assign(transaction_id=t.transaction_id.map(bookings), account_id=t.account_id.map(accounts), counterparty_id=t.counterparty_id.map(lambda c: accounts.get(c, c))),
            "transaction_labels": bank["transaction_labels"].assign(transaction_id=bank["transaction_labels"].transaction_id.map(bookings))}


def german_export(bank, folder, mapping_file):
    "The bank's CSV export in its own layout: its own identifiers (booking references, IBANs with their spaces, customer numbers), German column names, its channel codes, no direction column, signed amounts in the ledger's convention (money out positive), each booking in its own currency (EUR or CHF) with its amount converted to EUR beside it; the mapping file beside it. Returns the transactions as exported."
    import numpy as np, yaml
    folder.mkdir()
    bank = own_identifiers(bank)
    t = bank["transactions"].astype({"channel": str, "direction": str})
    in_francs = np.arange(len(t)) % 4 == 0  # a quarter booked in CHF: the feed keeps each booking's own amount and currency, and the amount converted to EUR
    signed = np.where(t.direction == "debit", t.amount, -t.amount)
    export = pd.DataFrame({"Buchungsreferenz": t.transaction_id, "Konto": t.account_id, "Buchungstag": t.booked_at, "Kanal": t.channel.map(GERMAN_CODES),
                           "Betrag": np.where(in_francs, (signed * 0.94).round(2), signed), "Waehrung": np.where(in_francs, "CHF", "EUR"), "Betrag_EUR": signed,
                           "counterparty_country": t.counterparty_country, "counterparty_id": t.counterparty_id})
    export.to_csv(folder / "transactions.csv", index=False)
    for name in ("customers", "accounts", "transaction_labels", "daily_control_totals"): bank[name].to_csv(folder / f"{name}.csv", index=False)
    mapping_file.write_text(yaml.safe_dump({"columns": {"transactions": {"transaction_id": "Buchungsreferenz", "account_id": "Konto", "booked_at": "Buchungstag", "channel": "Kanal", "amount": "Betrag_EUR"}},
                                            "channels": GERMAN_CODES, "signed_amounts": "debit", "amounts_in": "EUR"}))
    return export


def test_aml_tuning_report_on_a_bank_read_through_its_mapping(tmp_path):
    "A bank's CSV export in its own layout (`german_export`). The report reads it through the bank's mapping, as the engines would, checks what comes out against the contracts and tunes the same candidates as the bank in the scenarios' layout (a zero amount, which has no direction, is refused by count: nb19). The mapping had been applied after the contract check, so a renamed column stopped every such run."
    from conftest import REPO, bundles, mrm
    import json
    parquet, folder = tmp_path / "parquet", tmp_path / "bank"
    bank = generate_labelled_bank(BankConfig(customers=80, transactions=3_000, days=30, seed=12), TypologyConfig({"structuring": 1, "rapid_movement": 1, "fan_out": 1}))
    paid = bank["transactions"].astype({"channel": str}); cheques = paid.index[paid.channel.eq("wire_domestic")][::4]; paid.loc[cheques, "channel"] = "other"  # a quarter of its transfers are cheques
    bank = {**bank, "transactions": paid}
    write_bank(bank, parquet)
    german_export(bank, folder, tmp_path / "mapping.yaml")
    # the bank's settings in force: a per-segment large-cash threshold over three days, its own structuring floor and count, a lower outflow ratio
    (tmp_path / "settings.yaml").write_text("large_cash: {threshold: {default: 15000, Geschäftskunden: 40000}, window_days: 3}\n"
                                            "structuring: {threshold: 2, near_threshold_floor: 7000}\nrapid_movement: {min_outflow_ratio: 0.7}\n")
    run = ("run", REPO / "nbs/validation/aml_tuning.ipynb", "-p", "data_dir", folder, "-p", "bank_mapping", "mapping.yaml", "-p", "scenario_settings", "settings.yaml",
           "-p", "sensitivity_scenarios", "[large_cash]", "--no-progress")
    mrm(*run, "--out", tmp_path / "build", cwd=tmp_path, check=0)
    (bundle,) = bundles(tmp_path / "build")
    results, inputs = (json.loads((bundle / f"{name}.json").read_text()) for name in ("results", "inputs"))
    assert {inputs[name]["mapping_sha256"] for name in ("customers", "accounts", "transactions")} == {hashlib.sha256((tmp_path / "mapping.yaml").read_bytes()).hexdigest()}
    assert inputs["scenario_settings"]["sha256"] == hashlib.sha256((tmp_path / "settings.yaml").read_bytes()).hexdigest()
    engine = ScenarioEngine(parquet)
    own = {"large_cash": {"window_days": 3}, "structuring": {"near_threshold_floor": 7000}, "rapid_movement": {"min_outflow_ratio": 0.7}}
    assert {row[0] for row in results["tables"]["recommendations"]["rows"]} == {name for name in SCENARIOS if not engine.candidates(name, own.get(name)).empty}  # at the bank's parameters
    table = results["tables"]["recommendations"]; column = table["columns"].index
    current = {(row[0], row[1]): row[column("current")] for row in table["rows"]}
    assert {current[key] for key in current if key[0] == "structuring"} == {2} and current.get(("large_cash", "Geschäftskunden"), 40_000) == 40_000
    assert {value for (name, segment), value in current.items() if name == "large_cash" and segment != "Geschäftskunden"} == {15_000}
    library = {row[0]: row for row in results["tables"]["scenario_library"]["rows"]}
    assert library["large_cash"][2:] == ["min_cash_total (EUR)", "default 15,000; Geschäftskunden 40,000", 3, "threshold, window_days 3"], library["large_cash"]
    assert library["velocity"][-1] == "none: library defaults" and "(amounts in EUR)" in results["tables"]["scenario_library"]["caption"]  # the bank's currency, as its mapping states it
    stressed = {(row[0], row[1]): row for row in results["tables"]["sensitivity"]["rows"]}  # each parameter moved from the bank's value
    at_settings = alerts(engine, "large_cash", {"default": 15_000, "small_business": 40_000}, {"window_days": 3})
    shifts = results["tables"]["sensitivity"]["columns"]
    assert stressed[("large_cash", "min_cash_total")][shifts.index("+0%")].endswith(f"/ {len(at_settings):,}")
    raised = alerts(engine, "large_cash", {"default": 15_000 * 1.5, "small_business": 40_000 * 1.5}, {"window_days": 3})  # a per-segment threshold moves segment by segment
    assert stressed[("large_cash", "min_cash_total")][shifts.index("+50%")].endswith(f"/ {len(raised):,}")
    assert {row[1] for row in results["tables"]["recommendations"]["rows"]} <= {"Privatkunden", "Geschäftskunden", "Firmenkunden", "Vermögende Privatkunden", "Zahlungsinstitute"}  # tuned per segment of the bank's own
    reach = {row[0]: row[1] for row in results["tables"]["other_channel"]["rows"]}  # its cheques, mapped to other: read where no channel is named, not elsewhere
    assert reach == channel_reach(engine, "other", own).set_index("scenario").reads.to_dict() and reach["rapid_movement"] == len(cheques) and reach["fan_out"] == reach["round_amount"] == 0
    said = next(text for text in results["limitations"] if text.startswith(f"{len(cheques):,} transactions are in the bank's own channels (mapped to other): read by rapid_movement"))
    assert "The scenarios limited to named channels (structuring, large_cash, fan_in, fan_out, funnel, mule_pass_through, round_amount) never read them." in said, said


def test_data_quality_review_of_a_bank_counting_its_days_in_its_own_time_zone(tmp_path):
    "A bank in Tokyo: its feed keeps bookings in UTC, its source system counts its daily control totals in Japan's days (9 hours ahead: a booking after 15:00 UTC is the next day's). Reviewed with that time zone every day reconciles, the latest booking day is Japan's, and the scope says where days are counted; counted in UTC the same totals would not reconcile. Its holidays (a CSV with a header, semicolons) are not counted in the feed's lag. A fifth of its bookings are in euros, with rates on weekdays only and none older than the booking's day allowed: the review checks convertibility in place of one currency, and names the euro bookings of Japan's weekend days."
    from conftest import REPO, bundles, mrm
    from mrm_research.aml.synthetic import daily_control_totals, generate_bank
    from mrm_research.core import local_days
    from mrm_research.data_quality import daily_reconciliation
    import json, numpy as np
    bank = generate_bank(BankConfig(customers=40, transactions=800, days=10, seed=21))
    bank["transactions"]["currency"] = np.where(np.random.default_rng(2).random(len(bank["transactions"])) < 0.2, "EUR", "USD")
    tokyo_days = local_days(bank["transactions"].booked_at, "Asia/Tokyo")
    weekdays = pd.date_range(tokyo_days.min(), tokyo_days.max(), freq="B")
    pd.DataFrame({"rate_date": weekdays, "currency": "EUR", "rate": 1.08}).to_csv(tmp_path / "rates.csv", index=False)
    unconvertible = tokyo_days[(bank["transactions"].currency == "EUR") & (tokyo_days.dt.dayofweek >= 5)]  # euro bookings on Japan's weekend days
    bank["daily_control_totals"] = daily_control_totals(bank["transactions"].assign(booked_at=tokyo_days))  # the source's totals, by its days
    assert (~daily_reconciliation(bank["transactions"], bank["daily_control_totals"]).reconciled).sum() >= 5  # counted in UTC
    write_bank(bank, tmp_path / "bank")
    last = tokyo_days.max(); as_of = last + pd.Timedelta(days=4)
    holidays = [d for d in pd.date_range(last + pd.Timedelta(days=1), as_of - pd.Timedelta(days=1)) if d.dayofweek < 5][:2]  # two holidays of the bank's calendar after the last booking
    (tmp_path / "holidays.csv").write_text("Datum;Feiertag\n" + "".join(f"{d:%Y-%m-%d};holiday\n" for d in holidays))
    lag = int(np.busday_count(last.date(), as_of.date(), holidays=[d.date() for d in holidays]))
    assert lag < int(np.busday_count(last.date(), as_of.date()))  # the holidays shorten the lag
    mrm("run", REPO / "nbs/validation/aml_data_quality.ipynb", "-p", "data_dir", "bank", "-p", "time_zone", "Asia/Tokyo", "-p", "as_of", str(as_of.date()),
        "-p", "holidays", "holidays.csv", "-p", "fx_rates", "rates.csv", "-p", "reporting_currency", "USD", "-p", "oldest_rate_days", "0",
        "--out", tmp_path / "dq", "--no-progress", cwd=tmp_path, check=0)
    (bundle,) = bundles(tmp_path / "dq")
    results = json.loads((bundle / "results.json").read_text())
    checks = {c["check"]: c for c in results["checks"]}
    assert checks["one currency of amounts"]["status"] == "not run" and checks["amounts convertible into one currency"]["status"] == "fail"
    assert f"EUR: {len(unconvertible)} transaction(s) on {unconvertible.nunique()} day(s) ({unconvertible.min():%Y-%m-%d}" in checks["amounts convertible into one currency"]["detail"], checks["amounts convertible into one currency"]
    assert checks["reconciliation"]["status"] == "pass" and checks["reconciliation"]["detail"].startswith(f"0 of {tokyo_days.nunique()} day(s)"), checks["reconciliation"]
    assert checks["timeliness"]["detail"].startswith(f"latest booking {last:%Y-%m-%d}") and checks["timeliness"]["detail"].endswith(f": {lag} business day(s)"), checks["timeliness"]
    inputs = json.loads((bundle / "inputs.json").read_text())
    assert results["scope"]["days_counted_in"] == "Asia/Tokyo" and inputs["holidays"]["rows"] == len(holidays) and inputs["fx_rates"]["path"].endswith("rates.csv")


def test_data_quality_review_of_a_bank_read_through_its_mapping(tmp_path):
    "The feed review of a bank in its own layout (`german_export`) reads it through the mapping and reports, rather than stops on, what the mapping cannot give: two rows of a channel code it does not know ('RTGS', named) and three zero amounts (no direction, and an amount the contract refuses); its references to accounts hold as the mapping reads them, and its source's control totals are read under their own column names."
    from conftest import REPO, bundles, mrm
    import json
    bank = generate_labelled_bank(BankConfig(customers=60, transactions=1_500, days=20, seed=13), TypologyConfig({"structuring": 1}))
    export = german_export(bank, tmp_path / "bank", tmp_path / "mapping.yaml")
    export.loc[export.index[:2], "Kanal"] = "RTGS"; export.loc[export.index[2:5], "Betrag_EUR"] = 0.0
    export.to_csv(tmp_path / "bank" / "transactions.csv", index=False)
    totals = {"booking_date": "Buchungstag", "transaction_count": "Anzahl", "amount_sum": "Summe"}  # the source system's control totals, under its own names
    bank["daily_control_totals"].rename(columns=totals).to_csv(tmp_path / "bank" / "daily_control_totals.csv", index=False)
    (tmp_path / "limits.yaml").write_text("validity: {warn_above: 0, fail_above: 10}\n")  # its data-quality policy tolerates a few failing values, with a warning
    mrm("run", REPO / "nbs/validation/aml_data_quality.ipynb", "-p", "data_dir", "bank", "-p", "bank_mapping", "mapping.yaml", "-p", "as_of", "2025-01-25",
        "-p", "control_totals_columns", "{booking_date: Buchungstag, transaction_count: Anzahl, amount_sum: Summe}", "-p", "timeliness_warn_above", "2", "-p", "timeliness_fail_above", "30",
        "-p", "check_limits", "limits.yaml", "--out", tmp_path / "dq", "--no-progress", cwd=tmp_path, check=0)
    (bundle,) = bundles(tmp_path / "dq")
    theirs, inputs = (json.loads((bundle / f"{name}.json").read_text()) for name in ("results", "inputs"))
    assert inputs["transactions"]["path"].endswith("bank/transactions.csv") and inputs["transactions"]["mapping"] == "mapping.yaml"
    assert inputs["daily_control_totals"]["columns"] == totals and inputs["daily_control_totals"]["contract_passed"]
    import numpy as np
    lag = int(np.busday_count(pd.Timestamp(export.Buchungstag.max()).date(), pd.Timestamp("2025-01-25").date()))  # its policy: business days, warn above 2, fail above 30
    timely = next(c for c in theirs["checks"] if c["check"] == "timeliness")
    assert timely["detail"].endswith(f": {lag} business day(s)") and timely["status"] == ("pass" if lag <= 2 else "warn"), timely
    reconciled = {row[1] for row in theirs["tables"]["check_reconciliation"]["rows"]}
    assert reconciled and reconciled <= {"pass", "fail"}, reconciled  # run against the totals read under their own names, not 'not run'
    validity = next(c for c in theirs["checks"] if c["check"] == "validity" and c["detail"].startswith("transactions"))
    assert validity["status"] == "warn" and validity["rule"].startswith("Limits of limits.yaml: warn above 0, fail above 10.")  # 8 failing row-rule pairs: a warning under its policy, not a failure
    failures = {(dataset, column, rule.split("(")[0]): (rows, examples) for dataset, column, rule, rows, examples in theirs["tables"]["contract_failures"]["rows"]}
    assert failures == {("transactions", "channel", "isin"): (2, "row 0: 'RTGS'; row 1: 'RTGS'"), ("transactions", "direction", "not_null"): (3, "row 2: nan; row 3: nan; row 4: nan"),
                        ("transactions", "amount", "greater_than"): (3, "row 2: 0.0; row 3: 0.0; row 4: 0.0")}
    integrity = theirs["tables"]["check_referential_integrity"]["rows"]
    assert integrity and all(status == "pass" for _, status, _ in integrity), integrity  # accounts and customers as the mapping reads them

"""Sliding windows of the AML scenario library: against an independent restatement of each rule (NumPy over each window's transactions) evaluated
on every day, on a hand-built random bank (foreign identifiers and segments, not the generator); patterns that straddle a
period boundary; a window that qualifies only when an old transaction leaves; repeats; known values for the internal fan
scenarios and for five- and six-account cycles."""
from pathlib import Path
from types import SimpleNamespace
import numpy as np, pandas as pd, pytest
from mrm_research.aml.scenarios import SCENARIOS, Parameter, Scenario, ScenarioEngine, alerts
from mrm_research.core import write_datasets

START = pd.Timestamp("2024-07-01")


def write_bank(folder: Path, transactions: pd.DataFrame, customers: pd.DataFrame, accounts: pd.DataFrame) -> ScenarioEngine:
    "Parquet files of a hand-built bank (the project's writer) and an engine over them."
    write_datasets({"customers": customers, "accounts": accounts, "transactions": transactions}, folder)
    return ScenarioEngine(folder, start=str(START.date()))


def one_customer_bank(folder: Path, rows: list[tuple]) -> ScenarioEngine:
    "A bank of one customer K-1 (account K-1-A) and one quiet customer; rows are (day, amount, channel, direction, counterparty)."
    customers = pd.DataFrame({"customer_id": ["K-1", "K-2"], "segment": ["particulier", "particulier"]})
    accounts = pd.DataFrame({"account_id": ["K-1-A", "K-2-A"], "customer_id": ["K-1", "K-2"], "last_activity_on": [START - pd.Timedelta(days=3)] * 2})
    frame = pd.DataFrame(rows, columns=["day", "amount", "channel", "direction", "counterparty_id"])
    transactions = pd.DataFrame({"transaction_id": [f"T{i:03d}" for i in range(len(frame))], "account_id": "K-1-A",
                                 "booked_at": START + pd.to_timedelta(frame.day, unit="D") + pd.Timedelta(hours=10),
                                 "amount": frame.amount.astype(float), "channel": frame.channel, "direction": frame.direction,
                                 "counterparty_id": frame.counterparty_id, "counterparty_country": "NL"})
    quiet = transactions.iloc[:1].assign(transaction_id="Q000", account_id="K-2-A", booked_at=START + pd.Timedelta(days=70), amount=10.0)
    return write_bank(folder, pd.concat([transactions, quiet], ignore_index=True), customers, accounts)


def test_a_pattern_straddling_a_period_boundary_is_one_window(tmp_path):
    # three near-threshold deposits on days 8, 14 and 21 (span 14 days): with W = 14 no tumbling window, nor the one
    # shifted by half of it, holds all three; the window ending on day 21 does
    engine = one_customer_bank(tmp_path, [(8, 9_500, "cash", "credit", "CASH"), (14, 9_200, "cash", "credit", "CASH"),
                                          (21, 9_800, "cash", "credit", "CASH"), (29, 50, "card", "debit", "SHOP")])
    found = alerts(engine, "structuring")
    assert len(found) == 1
    alert = found.iloc[0]
    assert alert.driving_value == 3 and alert.transaction_ids == "T000,T001,T002"
    assert alert.window_end == START + pd.Timedelta(days=21) and alert.window_start == START + pd.Timedelta(days=8)
    # one day longer than the window and it is two windows of two
    engine = one_customer_bank(tmp_path / "longer", [(7, 9_500, "cash", "credit", "CASH"), (14, 9_200, "cash", "credit", "CASH"),
                                                     (21, 9_800, "cash", "credit", "CASH")])
    assert len(alerts(engine, "structuring")) == 0 and engine.candidates("structuring").driving_value.max() == 2


def test_a_window_can_qualify_when_an_old_transaction_leaves(tmp_path):
    # credits of 10,000 on days 0 and 5, 9,000 out on day 6: with both credits in the window 45 % went out; on day 7 the
    # first credit leaves the 7-day window and 90 % of the remaining inflow went out, a day with no transaction
    engine = one_customer_bank(tmp_path, [(0, 10_000, "ach", "credit", "P1"), (5, 10_000, "ach", "credit", "P2"),
                                          (6, 9_000, "wire_domestic", "debit", "B1")])
    candidates = engine.candidates("rapid_movement", {"window_days": 7})
    assert candidates[["window_end_day", "driving_value"]].values.tolist() == [[7, 9_000]]
    found = alerts(engine, "rapid_movement", 5_000, {"window_days": 7})
    assert found.transaction_ids.tolist() == ["T001,T002"]


def test_a_counterparty_seen_again_exactly_a_window_later_is_counted_once(tmp_path):
    # payers P1 and P2 on day 0, P1 again on day 14 (the 14-day window ending there no longer holds day 0), P3 on day 15:
    # the window ending on day 14 holds one payer, the one ending on day 15 two (P1 once)
    engine = one_customer_bank(tmp_path, [(0, 500, "ach", "credit", "P1"), (0, 500, "ach", "credit", "P2"), (14, 500, "ach", "credit", "P1"), (15, 500, "ach", "credit", "P3")])
    found = engine.candidates("fan_in", {"window_days": 14}).query("customer_id == 'K-1'")
    assert found[["window_end_day", "driving_value"]].values.tolist() == [[0, 2], [15, 2]]
    # one day later and P1 is gone for a day between its two visits: still never counted twice
    engine = one_customer_bank(tmp_path / "later", [(0, 500, "ach", "credit", "P1"), (0, 500, "ach", "credit", "P2"), (15, 500, "ach", "credit", "P1"), (15, 500, "ach", "credit", "P3")])
    assert engine.candidates("fan_in", {"window_days": 14}).query("customer_id == 'K-1'")[["window_end_day", "driving_value"]].values.tolist() == [[0, 2], [15, 2]]

def test_repeats_are_marked(tmp_path):
    # four deposits late in period 0 (days 10-13) and one more early in period 1 (day 16): the period-1 window ending on
    # day 16 holds days 3-16, so it alerts again on the same deposits (and the new one)
    rows = [(day, 9_000, "cash", "credit", "CASH") for day in (10, 11, 12, 13, 16)] + [(40, 9_100, "cash", "credit", "CASH"), (41, 9_100, "cash", "credit", "CASH"), (42, 9_100, "cash", "credit", "CASH")]
    found = alerts(one_customer_bank(tmp_path, rows), "structuring")
    assert (found.window_end - START).dt.days.tolist() == [13, 16, 42] and found.driving_value.tolist() == [4, 5, 3]
    assert found.repeats_alert.tolist() == [False, True, False]


def random_bank(folder: Path, seed: int = 3) -> ScenarioEngine:
    "A random bank with its own identifier formats and segment names: dense enough that windows overlap and conditions bite."
    rng = np.random.default_rng(seed)
    customers = pd.DataFrame({"customer_id": [f"CL{i:04d}" for i in range(24)], "segment": rng.choice(["particulier", "zakelijk"], 24)})
    accounts = pd.DataFrame({"account_id": [f"NL{i:02d}BANK{i:06d}" for i in range(24)], "customer_id": customers.customer_id,
                             "last_activity_on": START - pd.to_timedelta(rng.integers(1, 400, 24), unit="D")})
    n = 900
    channel = rng.choice(["cash", "ach", "wire_domestic", "wire_cross_border", "card"], n, p=[0.3, 0.25, 0.15, 0.15, 0.15])
    amount = np.where(rng.random(n) < 0.4, rng.integers(8_000, 10_000, n), rng.integers(50, 30_000, n)).astype(float)
    amount = np.where(rng.random(n) < 0.1, np.round(amount, -3) + 5_000, amount)
    transactions = pd.DataFrame({"transaction_id": [f"TX{i:05d}" for i in range(n)], "account_id": rng.choice(accounts.account_id, n),
                                 "booked_at": START + pd.to_timedelta(rng.integers(0, 75, n), unit="D") + pd.to_timedelta(rng.integers(0, 86_400, n), unit="s"),
                                 "amount": amount, "channel": channel, "direction": rng.choice(["credit", "debit"], n),
                                 "counterparty_id": rng.choice([f"EXT{i}" for i in range(15)], n), "counterparty_country": rng.choice(["NL", "DE", "IR", "KP"], n, p=[0.6, 0.3, 0.05, 0.05])})
    return write_bank(folder, transactions, customers, accounts)


# Each window's transactions are handed to the rules as NumPy columns (a namespace: t.amount, t.channel, ...): the same
# rules over pandas Series took 2-6 s per scenario in pandas' per-call overhead, over NumPy 0.05-0.14 s.
def credit(t): return t.direction == "credit"
def debit(t): return t.direction == "debit"
def isin(values, options): return np.isin(values, options)
def distinct(values): return float(len(set(values)))  # the bank has no missing counterparty, so this is pandas' nunique
def inflow(t, channels): return t.amount[credit(t) & isin(t.channel, channels)].sum()
def outflow(t, channels): return t.amount[debit(t) & isin(t.channel, channels)].sum()

WIRES_ACH = ["ach", "wire_domestic", "wire_cross_border"]
# each rule restated on a window's transactions: (driving value, condition); written from the scenario descriptions
RULES = {
    "structuring": lambda t: (float(((t.channel == "cash") & credit(t) & (t.amount >= 8_000) & (t.amount < 10_000)).sum()), True),
    "large_cash": lambda t: (float(t.amount[t.channel == "cash"].sum()), True),
    "rapid_movement": lambda t: (min(t.amount[credit(t) & (t.channel != "card")].sum(), t.amount[debit(t) & (t.channel != "card")].sum()),
                                 t.amount[debit(t) & (t.channel != "card")].sum() >= 0.8 * t.amount[credit(t) & (t.channel != "card")].sum()),
    "fan_in": lambda t: (distinct(t.counterparty_id[credit(t) & isin(t.channel, WIRES_ACH)]), True),
    "fan_out": lambda t: (distinct(t.counterparty_id[debit(t) & isin(t.channel, WIRES_ACH)]), True),
    "funnel": lambda t: (distinct(t.counterparty_id[credit(t) & (t.channel == "cash")]),
                         outflow(t, ["wire_cross_border"]) >= 0.7 * inflow(t, ["cash"])),
    "mule_pass_through": lambda t: (distinct(t.counterparty_id[credit(t) & (t.channel == "ach")]),
                                    outflow(t, ["wire_cross_border"]) >= 0.8 * inflow(t, ["ach"])),
    "high_risk_geography": lambda t: (float(t.amount[isin(t.counterparty_country, ["IR", "KP"])].sum()), True),
    "round_amount": lambda t: (float((isin(t.channel, ["wire_domestic", "wire_cross_border"]) & debit(t) & (t.amount >= 5_000) & (t.amount % 1000 == 0)).sum()), True),
    "velocity": lambda t: (float((t.channel != "card").sum()), True),
}


# the transactions each rule looks at (a window's period is that of the latest of them)
RELEVANT = {
    "structuring": lambda t: (t.channel == "cash") & credit(t) & (t.amount >= 8_000) & (t.amount < 10_000),
    "large_cash": lambda t: t.channel == "cash",
    "rapid_movement": lambda t: t.channel != "card",
    "fan_in": lambda t: credit(t) & isin(t.channel, WIRES_ACH),
    "fan_out": lambda t: debit(t) & isin(t.channel, WIRES_ACH),
    "funnel": lambda t: ((t.channel == "cash") & credit(t)) | ((t.channel == "wire_cross_border") & debit(t)),
    "mule_pass_through": lambda t: ((t.channel == "ach") & credit(t)) | ((t.channel == "wire_cross_border") & debit(t)),
    "high_risk_geography": lambda t: isin(t.counterparty_country, ["IR", "KP"]),
    "round_amount": lambda t: isin(t.channel, ["wire_domestic", "wire_cross_border"]) & debit(t) & (t.amount >= 5_000) & (t.amount % 1000 == 0),
    "velocity": lambda t: t.channel != "card",
}


def reference_candidates(engine: ScenarioEngine, scenario: Scenario, rule, relevant) -> pd.DataFrame:
    "Every window evaluated on every day (NumPy); per customer and period of the window's latest relevant transaction, the best (earliest on ties)."
    window = scenario.values()["window_days"]
    tx = engine.query("SELECT customer_id, day_index, amount, channel, direction, counterparty_id, counterparty_country FROM tx")
    tx["amount"] = tx.amount.astype(float)
    last_day, rows = int(tx.day_index.max()), []
    for customer, own in tx.groupby("customer_id"):
        own = own.sort_values("day_index", kind="stable")
        columns = {c: own[c].to_numpy(dtype=float if c == "amount" else object) for c in own.columns if c != "customer_id"}
        days = own.day_index.to_numpy()
        for end in range(last_day + 1):
            first, after = np.searchsorted(days, end - window, side="right"), np.searchsorted(days, end, side="right")  # days in (end - window, end]
            inside = SimpleNamespace(**{c: values[first:after] for c, values in columns.items()})
            value, holds = rule(inside)
            relevant_days = days[first:after][relevant(inside)]
            if value > 0 and holds: rows.append((customer, int(relevant_days.max()) // window, end, float(value)))  # the period of its latest relevant transaction
    frame = pd.DataFrame(rows, columns=["customer_id", "window_index", "window_end_day", "driving_value"])
    best = frame.sort_values(["customer_id", "window_index", "driving_value", "window_end_day"], ascending=[True, True, False, True])
    return best.drop_duplicates(["customer_id", "window_index"]).reset_index(drop=True)


@pytest.fixture(scope="module")
def bank(tmp_path_factory):
    return random_bank(tmp_path_factory.mktemp("random_bank"))


@pytest.mark.parametrize("name", sorted(RULES))
def test_sliding_windows_equal_every_day_evaluated_independently(bank, name):
    expected = reference_candidates(bank, SCENARIOS[name], RULES[name], RELEVANT[name])
    found = bank.candidates(name)[["customer_id", "window_index", "window_end_day", "driving_value"]]
    assert len(expected) > 10, "the case must exercise the rule"
    pd.testing.assert_frame_equal(found.astype({"window_index": int, "window_end_day": int}), expected, check_dtype=False, atol=1e-9)


WIRES = ["wire_domestic", "wire_cross_border"]
# a bank's own rules, not in the library: distinct countries with a maximum and a minimum in the condition over 10 days
# (window frames), and an average over 3 days (no running form: the band join)
OWN_SCENARIOS = [
    (Scenario("wire_countries", "Wires to or from several countries, one of them large and one small, within 10 days.", ("own",),
              Parameter("min_countries", "countries", 2, 1, 10, "distinct countries", integer=True),
              (Parameter("window_days", "days", 10, 1, 90, "look-back", integer=True),), relevant="channel IN ('wire_domestic', 'wire_cross_border')",
              driving="COUNT(DISTINCT counterparty_country)", condition="MAX(amount) >= 20000 AND MIN(amount) < 5000 AND COUNT(counterparty_id) >= 2"),
     lambda t: (distinct(t.counterparty_country[isin(t.channel, WIRES)]),
                isin(t.channel, WIRES).sum() >= 2 and t.amount[isin(t.channel, WIRES)].max() >= 20_000 and t.amount[isin(t.channel, WIRES)].min() < 5_000),
     lambda t: isin(t.channel, WIRES)),
    (Scenario("average_cash_deposit", "Average cash deposit over 3 days, at least two of them.", ("own",),
              Parameter("min_average", "USD", 5_000, 0, 100_000, "average deposit"), (Parameter("window_days", "days", 3, 1, 90, "look-back", integer=True),),
              relevant="channel = 'cash' AND direction = 'credit'", driving="AVG(amount)", condition="COUNT(*) >= 2"),
     lambda t: (float(t.amount[(t.channel == "cash") & credit(t)].mean()) if ((t.channel == "cash") & credit(t)).any() else 0.0, ((t.channel == "cash") & credit(t)).sum() >= 2),
     lambda t: (t.channel == "cash") & credit(t)),
    # one-day windows (a window is its day: no frame, no choice between windows): a distinct count with a maximum, a minimum
    # and a sum in the condition, and an average (the band join)
    (Scenario("one_day_spread", "Several counterparties on one day, the largest amount at least twice the smallest.", ("own",),
              Parameter("min_counterparties", "counterparties", 2, 1, 100, "distinct counterparties", integer=True),
              (Parameter("window_days", "days", 1, 1, 90, "look-back", integer=True),), relevant="channel IN ('cash', 'wire_domestic', 'wire_cross_border')",
              driving="COUNT(DISTINCT counterparty_id)", condition="MAX(amount) >= 2 * MIN(amount) AND SUM(amount) > 0"),
     lambda t: (distinct(t.counterparty_id[isin(t.channel, ["cash"] + WIRES)]),
                isin(t.channel, ["cash"] + WIRES).any() and t.amount[isin(t.channel, ["cash"] + WIRES)].max() >= 2 * t.amount[isin(t.channel, ["cash"] + WIRES)].min()),
     lambda t: isin(t.channel, ["cash"] + WIRES)),
    (Scenario("one_day_average_debit", "Average debit of a day, at least two of them.", ("own",),
              Parameter("min_average", "USD", 5_000, 0, 100_000, "average debit"), (Parameter("window_days", "days", 1, 1, 90, "look-back", integer=True),),
              relevant="direction = 'debit'", driving="AVG(amount)", condition="COUNT(*) >= 2"),
     lambda t: (float(t.amount[debit(t)].mean()) if debit(t).any() else 0.0, debit(t).sum() >= 2),
     lambda t: debit(t)),
]


@pytest.mark.parametrize("own", OWN_SCENARIOS, ids=lambda own: own[0].name)
def test_a_banks_own_scenarios_equal_every_day_evaluated_independently(bank, own):
    scenario, rule, relevant = own
    expected = reference_candidates(bank, scenario, rule, relevant)
    found = bank.candidates(scenario)[["customer_id", "window_index", "window_end_day", "driving_value"]]
    assert len(expected) > 10, "the case must exercise the rule"
    pd.testing.assert_frame_equal(found.astype({"window_index": int, "window_end_day": int}), expected, check_dtype=False, atol=1e-6)


def internal_bank(folder: Path, hops: list[tuple[str, str, int, float]], members: int = 8) -> ScenarioEngine:
    "Customers M0..M{members-1}, one account each (IBAN-like ids); hops are (payer, payee, day, amount) between them."
    customers = pd.DataFrame({"customer_id": [f"M{i}" for i in range(members)], "segment": "retail_nl"})
    accounts = pd.DataFrame({"account_id": [f"NL00TEST{i:010d}" for i in range(members)], "customer_id": customers.customer_id,
                             "last_activity_on": START - pd.Timedelta(days=1)})
    account = dict(zip(customers.customer_id, accounts.account_id))
    rows = []
    for k, (payer, payee, day, amount) in enumerate(hops):  # each transfer is two postings: the payer's debit, the payee's credit
        when = START + pd.Timedelta(days=day, hours=9, minutes=k)
        rows += [(f"D{k:03d}", account[payer], when, amount, "debit", account[payee]), (f"C{k:03d}", account[payee], when, amount, "credit", account[payer])]
    transactions = pd.DataFrame(rows, columns=["transaction_id", "account_id", "booked_at", "amount", "direction", "counterparty_id"]).assign(channel="ach", counterparty_country="NL")
    return write_bank(folder, transactions, customers, accounts)


def test_internal_fan_in_and_fan_out_known_values(tmp_path):
    # M0 pays five members within 20 days; M7 is paid by four members on days 40-58 (inside one 30-day window)
    hops = [("M0", f"M{i}", 2 + 4 * i, 1_000.0) for i in range(1, 6)] + [(f"M{i}", "M7", 40 + 6 * (i - 1), 700.0) for i in range(1, 5)]
    engine = internal_bank(tmp_path, hops)
    fan_out = engine.candidates("internal_fan_out")
    assert fan_out.groupby("customer_id").driving_value.max().to_dict() == {"M0": 5.0, "M1": 1.0, "M2": 1.0, "M3": 1.0, "M4": 1.0}
    fan_in = engine.candidates("internal_fan_in")
    assert fan_in[fan_in.customer_id == "M7"].driving_value.tolist() == [4.0]
    assert set(alerts(engine, "internal_fan_in").customer_id) == {"M7"} and set(alerts(engine, "internal_fan_out").customer_id) == {"M0"}
    # a fifth payer 31 days after the first falls outside every window holding the first
    engine = internal_bank(tmp_path / "late", hops + [("M5", "M7", 71, 700.0)])
    assert engine.candidates("internal_fan_in").query("customer_id == 'M7'").driving_value.max() == 4.0


@pytest.mark.parametrize("length", [5, 6])
def test_five_and_six_account_cycles_known_values(tmp_path, length):
    # M0 -> M1 -> ... -> M{length-1} -> M0 over 3 days a hop; 4,200 comes back on the last day
    ring = [f"M{i}" for i in range(length)] + ["M0"]
    hops = [(ring[k], ring[k + 1], 3 + 3 * k, 5_000.0 - 100 * k if k < length - 1 else 4_200.0) for k in range(length)]
    engine = internal_bank(tmp_path, hops)
    found = engine.candidates("cycle")
    own = found[found.customer_id == "M0"]
    assert own[["window_end_day", "driving_value"]].values.tolist() == [[3 + 3 * (length - 1), 4_200.0]]
    assert set(found.customer_id) == {"M0"}, "only the originator's money comes back after it left"
    assert engine.candidates("cycle", {"max_hops": length - 1}).empty, "a shorter hop limit cannot close the ring"
    stretched = [(a, b, 10 * k, amount) for k, (a, b, _, amount) in enumerate(hops)]  # the ring takes 10 (length - 1) days
    assert internal_bank(tmp_path / "slow", stretched).candidates("cycle", {"window_days": 10 * (length - 1)}).empty
    assert not internal_bank(tmp_path / "slow2", stretched).candidates("cycle", {"window_days": 10 * (length - 1) + 1}).empty


def test_a_bank_whose_identifiers_are_numbers(tmp_path):
    "Customer, account, transaction and counterparty ids stored as integers (as many core-banking exports hold them): alerts name them as text."
    customers = pd.DataFrame({"customer_id": [101, 102], "segment": ["retail", "retail"]})
    accounts = pd.DataFrame({"account_id": [5001, 5002], "customer_id": [101, 102], "last_activity_on": [START - pd.Timedelta(days=3)] * 2})
    transactions = pd.DataFrame({"transaction_id": [90000017, 90000003, 90000025, 90000040], "account_id": [5001, 5001, 5001, 5002],
                                 "booked_at": [START + pd.Timedelta(days=d, hours=10) for d in (8, 14, 21, 30)], "amount": [9_500.0, 9_200.0, 9_800.0, 10.0],
                                 "channel": ["cash"] * 4, "direction": ["credit"] * 4, "counterparty_id": [7, 7, 7, 8], "counterparty_country": "NL"})
    for name, frame in {"customers": customers, "accounts": accounts, "transactions": transactions}.items(): frame.to_parquet(tmp_path / f"{name}.parquet")
    found = alerts(ScenarioEngine(tmp_path, start=str(START.date())), "structuring")
    assert found[["alert_id", "customer_id", "driving_value", "transaction_ids"]].values.tolist() == [["structuring-101-1", 101, 3.0, "90000003,90000017,90000025"]]


def test_a_sum_with_a_negative_amount_is_evaluated_when_it_leaves(tmp_path):
    # a reversal of -5,000 on day 0 and a credit of 8,000 on day 3: the 7-day window ending on day 3 sums 3,000; on day 7,
    # a day with no transaction, the reversal has left and the window sums 8,000. Only where no amount is negative may the
    # windows ending after a day's last transaction be left out (a sum of amounts then only grows with its transactions).
    credits = Scenario("credits", "Credits over 7 days.", ("own",), Parameter("min_credits", "USD", 1_000, 0, 10**7, "credits"),
                       (Parameter("window_days", "days", 7, 1, 90, "look-back", integer=True),), relevant="direction = 'credit'", driving="SUM(amount)")
    engine = one_customer_bank(tmp_path, [(0, -5_000, "ach", "credit", "P1"), (3, 8_000, "ach", "credit", "P2")])
    assert not engine.amounts_never_negative
    assert engine.candidates(credits).query("customer_id == 'K-1'")[["window_end_day", "driving_value"]].values.tolist() == [[7, 8_000]]
    engine = one_customer_bank(tmp_path / "positive", [(0, 5_000, "ach", "credit", "P1"), (3, 8_000, "ach", "credit", "P2")])
    assert engine.amounts_never_negative and engine.candidates(credits).query("customer_id == 'K-1'")[["window_end_day", "driving_value"]].values.tolist() == [[3, 13_000]]


ON_ANOTHER_MACHINE = """
import sys, pandas as pd
from mrm_research.aml.scenarios import SCENARIOS, ScenarioEngine
engine = ScenarioEngine(sys.argv[1], start=sys.argv[2])
pd.concat([engine.candidates(name).assign(scenario=name) for name in SCENARIOS], ignore_index=True).to_parquet(sys.argv[3])
"""

def test_timestamps_stored_with_their_zone_give_the_same_windows_on_a_machine_in_another_zone(bank, tmp_path):
    "The random bank's bookings stored as instants with their zone (shown in Amsterdam time, as a bank's Parquet export holds them) and read on a machine set to New York: every scenario's candidates equal those of the same instants stored without a zone. DuckDB reads such a timestamp in the machine's zone unless told otherwise, which moved bookings near midnight to the day before."
    import os, shutil, subprocess, sys
    zoned = tmp_path / "zoned"; zoned.mkdir()
    for name in ("customers", "accounts"): shutil.copy(bank.data_dir / f"{name}.parquet", zoned / f"{name}.parquet")
    transactions = pd.read_parquet(bank.data_dir / "transactions.parquet")
    transactions.assign(booked_at=transactions.booked_at.dt.tz_localize("UTC").dt.tz_convert("Europe/Amsterdam")).to_parquet(zoned / "transactions.parquet")
    subprocess.run([sys.executable, "-c", ON_ANOTHER_MACHINE, str(zoned), str(START.date()), str(tmp_path / "found.parquet")], env={**os.environ, "TZ": "America/New_York"}, check=True)
    found = pd.read_parquet(tmp_path / "found.parquet")
    expected = pd.concat([bank.candidates(name).assign(scenario=name) for name in SCENARIOS], ignore_index=True)
    assert len(expected) > 100 and (transactions.booked_at.dt.hour < 5).any()  # bookings within New York's offset of midnight: read in its zone, they would change day
    pd.testing.assert_frame_equal(found, expected, check_dtype=False)


def odd_scenarios() -> list[Scenario]:
    "A bank's own scenarios the arrays must measure as the frames do: sums with no ELSE (null where the window holds none: credits with no debit), a count of a column with gaps, and a rule no transaction meets."
    window = Parameter("window_days", "days", 10, 1, 90, "look-back", integer=True)
    return [Scenario("parked_credits", "Credits from two payers or more and no debit in the window.", ("own",), Parameter("min_credits", "USD", 1_000, 0, 10**7, "credits"), (window,),
                     relevant="channel <> 'card'", driving="SUM(CASE WHEN direction = 'credit' THEN amount END)",
                     condition="SUM(CASE WHEN direction = 'debit' THEN amount END) IS NULL AND COUNT(counterparty_id) >= 2"),
            Scenario("telex", "Telex transfers.", ("own",), Parameter("min_count", "transfers", 1, 1, 100, "transfers", integer=True), (window,), relevant="channel = 'telex'")]


def odd_banks(source: Path, folder: Path) -> dict[str, tuple[Path, str]]:
    "The random bank at `source` with reversals (7 % of amounts negated), 5 % of amounts and 5 % of counterparties missing, written three ways under `folder`: as is, with a customer listed twice, and with a period starting 40 days after the first bookings (negative days). Each bank's folder and start."
    rng = np.random.default_rng(7)
    transactions = pd.read_parquet(source / "transactions.parquet")
    draw = rng.random(len(transactions))
    transactions["amount"] = transactions.amount.where(draw >= 0.05).where(~((draw >= 0.05) & (draw < 0.12)), -transactions.amount)
    transactions["counterparty_id"] = transactions.counterparty_id.where((draw < 0.12) | (draw >= 0.17))
    customers, accounts = (pd.read_parquet(source / f"{name}.parquet") for name in ("customers", "accounts"))
    banks = {}
    for name, listed, start in (("missing_and_negative", customers, START), ("listed_twice", pd.concat([customers, customers.iloc[:1]], ignore_index=True), START),
                                ("started_later", customers, START + pd.Timedelta(days=40))):
        write_datasets({"customers": listed, "accounts": accounts, "transactions": transactions}, folder / name)
        banks[name] = (folder / name, str(start.date()))
    return banks


def test_windows_from_arrays_equal_the_window_frames_on_missing_and_negative_amounts(bank, tmp_path):
    "The DuckDB engine measures most scenarios' windows from sorted arrays (`window_arrays`), not by window frames: on the random bank with reversals (negative amounts), amounts and counterparties missing, a bank's own scenarios (`odd_scenarios`), a customer listed twice and a period starting after the first bookings (negative days), both give the same candidates, value for value."
    own = odd_scenarios()
    for name, (folder, start) in odd_banks(bank.data_dir, tmp_path).items():
        engine, frames = (ScenarioEngine(folder, start=start) for _ in range(2)); frames.window_arrays = False
        assert not engine.amounts_never_negative and engine.query("SELECT COUNT(*) - COUNT(amount) AS n FROM tx").n[0] > 0
        by_arrays = {s.name for s in (*SCENARIOS.values(), *own) if engine._candidates_by_arrays(s, None) is not None}
        assert by_arrays == (set() if name == "listed_twice" else set(SCENARIOS) - {"cycle", "dormant_reactivation"} | {"parked_credits", "telex"})
        compared = 0
        for scenario in (*SCENARIOS.values(), *own):
            expected = frames.candidates(scenario); compared += len(expected) > 0
            pd.testing.assert_frame_equal(engine.candidates(scenario), expected, check_exact=True, obj=f"{name}: {scenario.name}")
        assert compared >= 11, compared  # every scenario but the internal ones (no counterparty is an account here), the cycle and telex has windows


def accounts_typed_apart(folder: Path, numbered: str) -> Path:
    "The internal bank of `test_internal_fan_in_and_fan_out_known_values` with its accounts numbered (1000, 1001, ...) in one place and the same numbers written as text in the other (`numbered`: 'accounts' or 'counterparties'), and a payment from an outside party ('EXT-9', or 99999 where counterparties are numbers)."
    hops = [("M0", f"M{i}", 2 + 4 * i, 1_000.0) for i in range(1, 6)] + [(f"M{i}", "M7", 40 + 6 * (i - 1), 700.0) for i in range(1, 5)]
    bank = internal_bank(folder / "plain", hops).data_dir
    transactions, accounts, customers = (pd.read_parquet(bank / f"{name}.parquet") for name in ("transactions", "accounts", "customers"))
    number = {account: 1000 + i for i, account in enumerate(accounts.account_id)}
    as_accounts = (lambda ids: ids.map(number)) if numbered == "accounts" else (lambda ids: ids.map(number).astype(str))
    as_counterparties = (lambda ids: ids.map(number).astype(str)) if numbered == "accounts" else (lambda ids: ids.map(number))
    transactions = transactions.assign(account_id=as_accounts(transactions.account_id), counterparty_id=as_counterparties(transactions.counterparty_id))
    outside = transactions.iloc[:1].assign(transaction_id="X001", counterparty_id="EXT-9" if numbered == "accounts" else 99999)
    write_datasets({"transactions": pd.concat([transactions, outside], ignore_index=True), "accounts": accounts.assign(account_id=as_accounts(accounts.account_id)),
                    "customers": customers}, folder / numbered)
    return folder / numbered


@pytest.mark.parametrize("numbered", ["accounts", "counterparties"])
def test_account_identifiers_typed_differently_in_accounts_and_transactions(tmp_path, numbered):
    "Accounts as numbers in one file and as text in the other (a core-banking export's account numbers, a payments feed's references): the engine compares them as text, so an internal transfer is still one (internal fan-in and fan-out's known values) and an outside party is not an account, where DuckDB cast the text to a number and stopped at the first reference that is not one."
    engine = ScenarioEngine(accounts_typed_apart(tmp_path, numbered), start=str(START.date()))
    assert engine.query("SELECT DISTINCT typeof(account_id) AS a, typeof(counterparty_id) AS c FROM tx").values.tolist() == [["VARCHAR", "VARCHAR"]]
    assert engine.query("SELECT COUNT(*) AS n FROM tx WHERE counterparty_is_account").n[0] == 18  # the nine transfers' two postings; the outside payment is not one
    assert engine.candidates("internal_fan_in").query("customer_id == 'M7'").driving_value.tolist() == [4.0]
    assert engine.candidates("internal_fan_out").groupby("customer_id").driving_value.max().to_dict() == {"M0": 5.0, "M1": 1.0, "M2": 1.0, "M3": 1.0, "M4": 1.0}
    for name in SCENARIOS: engine.candidates(name)  # every scenario runs on such a bank


def customers_typed_apart(source: Path, folder: Path, numbered: str) -> tuple[Path, dict]:
    "The bank at `source` with its customers numbered (5000, 5001, ...) in one file and the same numbers written as text in the other (`numbered`: 'customers' or 'accounts'), and an identifier that is no number in the text one: an account of customer 'X-9', whom customers do not list (with two transactions), or a customer 'X-9' with no account. Its folder, and each customer's new identifier as customers give it."
    customers, accounts, transactions = (pd.read_parquet(source / f"{name}.parquet") for name in ("customers", "accounts", "transactions"))
    number = {customer: 5000 + i for i, customer in enumerate(customers.customer_id)}
    if numbered == "customers":
        customers = customers.assign(customer_id=customers.customer_id.map(number))
        accounts = pd.concat([accounts.assign(customer_id=accounts.customer_id.map(number).astype(str)), accounts.iloc[:1].assign(account_id="ZZ-1", customer_id="X-9")], ignore_index=True)
        transactions = pd.concat([transactions, transactions.iloc[:2].assign(transaction_id=["ZZ-T1", "ZZ-T2"], account_id="ZZ-1")], ignore_index=True)
    else:
        customers = pd.concat([customers.assign(customer_id=customers.customer_id.map(number).astype(str)), customers.iloc[:1].assign(customer_id="X-9")], ignore_index=True)
        accounts = accounts.assign(customer_id=accounts.customer_id.map(number))
    write_datasets({"customers": customers, "accounts": accounts, "transactions": transactions}, folder / numbered)
    return folder / numbered, {customer: (n if numbered == "customers" else str(n)) for customer, n in number.items()}


@pytest.mark.parametrize("numbered", ["customers", "accounts"])
def test_customer_identifiers_typed_differently_in_customers_and_accounts(bank, tmp_path, numbered):
    "Customers numbered in one file and named by the same numbers as text in the other, with an identifier that is no number ('X-9'): the engine compares customer identifiers as text, where DuckDB cast the text to a number and stopped at 'X-9'. Every scenario's candidates are the original bank's under the new identifiers; the account of a customer customers do not list drops out, as any unknown customer's does."
    folder, renamed = customers_typed_apart(bank.data_dir, tmp_path, numbered)
    engine = ScenarioEngine(folder, start=str(START.date()))
    assert engine.query("SELECT COUNT(*) AS n FROM tx").n[0] == bank.query("SELECT COUNT(*) AS n FROM tx").n[0]
    compared = 0
    for name in SCENARIOS:
        expected = bank.candidates(name).assign(customer_id=lambda frame: frame.customer_id.map(renamed))
        found = engine.candidates(name); compared += len(found) > 0
        pd.testing.assert_frame_equal(found.sort_values(["customer_id", "window_index"], ignore_index=True),
                                      expected.sort_values(["customer_id", "window_index"], ignore_index=True), check_dtype=False, obj=name)
    assert compared >= 10, compared


def banks_in_a_time_zone(source: Path, folder: Path, time_zone: str, moved_to: str | None = None) -> tuple[Path, Path, str]:
    "The random bank at `source` (moved to start on `moved_to` where given) written twice under `folder`: its bookings as UTC instants (`utc`), and as the wall-clock times of `time_zone` without a zone (`wall`, converted by pandas). Both folders and the period's start."
    transactions, customers, accounts = (pd.read_parquet(source / f"{name}.parquet") for name in ("transactions", "customers", "accounts"))
    shift = pd.Timestamp(moved_to) - START if moved_to else pd.Timedelta(0)
    transactions["booked_at"] += shift; accounts["last_activity_on"] += shift
    wall = transactions.assign(booked_at=transactions.booked_at.dt.tz_localize("UTC").dt.tz_convert(time_zone).dt.tz_localize(None))
    for name, moves in (("utc", transactions), ("wall", wall)): write_datasets({"customers": customers, "accounts": accounts, "transactions": moves}, folder / name)
    return folder / "utc", folder / "wall", str((START + shift).date())


@pytest.mark.parametrize("time_zone, moved_to", [("Asia/Tokyo", None), ("America/New_York", "2024-10-01")])
def test_days_counted_in_the_banks_time_zone(bank, tmp_path, time_zone, moved_to):
    "A bank that counts its days in its own time zone (`time_zone`), its bookings kept as UTC instants: every scenario's candidates, and the alerts' windows and transactions, equal those of the same bookings written at the zone's wall-clock time and counted as written (pandas' conversion); counted in UTC, many differ. Tokyo (9 hours ahead: a booking after 15:00 UTC is the next day's) and New York over a period holding the end of its summer time (3 November 2024: days of 23 to 25 hours). The period starts, by default, on the first booking's day there."
    from mrm_research.core import local_days
    utc_folder, wall_folder, start = banks_in_a_time_zone(bank.data_dir, tmp_path, time_zone, moved_to)
    zoned, wall, utc = ScenarioEngine(utc_folder, start=start, time_zone=time_zone), ScenarioEngine(wall_folder, start=start), ScenarioEngine(utc_folder, start=start)
    booked = pd.read_parquet(utc_folder / "transactions.parquet").booked_at
    assert (local_days(booked, time_zone) != booked.dt.normalize()).mean() > 0.15  # the zone moves many bookings to another day
    assert ScenarioEngine(utc_folder, time_zone=time_zone).start == str(local_days(booked, time_zone).min().date())
    differ = 0
    for name in SCENARIOS:
        expected = wall.candidates(name)
        pd.testing.assert_frame_equal(zoned.candidates(name), expected, check_exact=True, obj=name)
        differ += not utc.candidates(name).equals(expected)
    assert differ >= 8, differ  # counted in UTC, the same bookings give other candidates
    pd.testing.assert_frame_equal(alerts(zoned, "structuring"), alerts(wall, "structuring"))


def test_an_unknown_time_zone_is_refused_naming_it(bank):
    from mrm_research.core import ParameterError
    with pytest.raises(ParameterError, match="'Europe/Amsterdan' is not an IANA time zone"): ScenarioEngine(bank.data_dir, time_zone="Europe/Amsterdan")


def bank_with_text_times(source: Path, folder: Path, offsets: bool = True) -> Path:
    "The random bank at `source` with its booking times written as ISO text in a Parquet file, as a bank's export may hold them: with their offsets (half the rows in Tokyo's, half in New York's), or (`offsets=False`) the same wall-clock times without them."
    transactions = pd.read_parquet(source / "transactions.parquet")
    instants = transactions.booked_at.dt.tz_localize("UTC")
    zoned = [(instant.tz_convert("Asia/Tokyo") if k % 2 else instant.tz_convert("America/New_York")) for k, instant in enumerate(instants)]
    transactions["booked_at"] = [z.isoformat() if offsets else z.tz_localize(None).isoformat() for z in zoned]
    folder.mkdir(parents=True)
    for name in ("customers", "accounts"): (folder / f"{name}.parquet").write_bytes((source / f"{name}.parquet").read_bytes())
    transactions.to_parquet(folder / "transactions.parquet")
    return folder


def test_booking_times_given_as_text_with_offsets_are_read_as_instants(bank, tmp_path):
    "A bank's Parquet holding its booking times as ISO text with offsets (Tokyo's and New York's in one column): the engine reads each as the UTC instant it is, as the contracts read it, so every scenario's candidates and the period's default start equal the bank's with true timestamps. A cast of such text to a date keeps its wall-clock day: read so (the same text without offsets), most scenarios change."
    engine = ScenarioEngine(bank_with_text_times(bank.data_dir, tmp_path / "offsets"), start=str(START.date()))
    wall = ScenarioEngine(bank_with_text_times(bank.data_dir, tmp_path / "wall", offsets=False), start=str(START.date()))
    assert engine.query("SELECT typeof(booked_at) AS kind FROM tx LIMIT 1").kind[0] == "TIMESTAMP"
    differ = 0
    for name in SCENARIOS:
        expected = bank.candidates(name)
        pd.testing.assert_frame_equal(engine.candidates(name), expected, check_exact=True, obj=name)
        differ += not wall.candidates(name).equals(expected)
    assert differ >= 8, differ
    assert ScenarioEngine(tmp_path / "offsets").start == bank.start

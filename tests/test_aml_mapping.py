"""Bring your own bank: a ledger-style extract with foreign identifier formats, segment names and channel
codes, mapped into the contracts through the documented step, checked against the bank's own contracts, and run
through the scenarios with a mapping: every scenario's candidates equal those on the same bank in the demo's formats."""
import shutil
import numpy as np, pandas as pd, pytest, yaml
from mrm_research.core import MRMError
from mrm_research.contracts import check_frame, contracts_dir, load_contract
from mrm_research.aml.mapping import BankMapping, LedgerSpec, ledger_to_transactions
from mrm_research.aml.scenarios import SCENARIOS, ScenarioEngine
from mrm_research.aml.synthetic import BankConfig, write_bank
from mrm_research.aml.typologies import TypologyConfig, generate_labelled_bank

CODES = {"cash": "KAS", "wire_domestic": "SEPA", "wire_cross_border": "SWIFT", "ach": "INCASSO", "card": "PIN", "crypto": "VASP"}
SEGMENTS = {"retail": "particulier", "small_business": "mkb", "corporate": "zakelijk", "high_net_worth": "private_banking", "money_service_business": "geldtransactiekantoor"}


@pytest.fixture(scope="module")
def bank():
    return generate_labelled_bank(BankConfig(customers=300, transactions=12_000, days=60, seed=21), TypologyConfig({"cycle": 3, "structuring": 2, "fan_in": 2}))


def foreign_ids(bank):
    customer = {c: f"KLANT/{n:07d}" for n, c in enumerate(bank["customers"].customer_id)}
    account = {a: f"NL{n % 97:02d}BANK{n:010d}" for n, a in enumerate(bank["accounts"].account_id)}
    return customer, account


def ledger_extract(bank, customer, account):
    "The bank's transactions as a Dutch-style posting extract: each journal a customer side and a clearing side."
    t = bank["transactions"].astype({"channel": str, "direction": str, "counterparty_id": str, "account_id": str})
    journal = [f"J{n:09d}" for n in range(len(t))]
    side = np.where(t.direction == "debit", "D", "C"); opposite = np.where(side == "D", "C", "D")
    reference = t.counterparty_id.map(lambda c: account.get(c, c))
    common = {"journaal": journal + journal, "bedrag": np.concatenate([t.amount, t.amount]), "boekdatum": np.concatenate([t.booked_at, t.booked_at]),
              "kanaal": np.concatenate([t.channel.map(CODES)] * 2), "valuta": np.concatenate([t.currency.astype(str)] * 2),
              "land": np.concatenate([t.counterparty_country.astype(str)] * 2)}
    return pd.DataFrame({"boeking": [f"{j}-1" for j in journal] + [f"{j}-2" for j in journal],
                         "rekening": np.concatenate([t.account_id.map(account), "GL-CLEARING-" + t.channel.to_numpy()]),
                         "zijde": np.concatenate([side, opposite]), "tegenpartij": np.concatenate([reference, [None] * len(t)]), **common})


SPEC = LedgerSpec(columns={"entry_id": "boeking", "journal_id": "journaal", "account_id": "rekening", "side": "zijde", "amount": "bedrag",
                           "posted_at": "boekdatum", "channel": "kanaal", "currency": "valuta", "counterparty_country": "land", "counterparty_reference": "tegenpartij"},
                  sides={"debit": ["D"], "credit": ["C"]}, ledger_accounts=r"^GL-")


def bank_contracts(folder):
    "The demo's contracts with this bank's identifier formats and segment names."
    shutil.copytree(contracts_dir(), folder)
    edits = {"customers": {"customer_id": {"regex": r"^KLANT/[0-9]{7}$"}, "segment": {"isin": sorted(SEGMENTS.values())}},
             "accounts": {"account_id": {"regex": r"^NL[0-9]{2}BANK[0-9]{10}$"}},
             "transactions": {"transaction_id": {"regex": r"^J[0-9]{9}-1$"}, "channel": {"isin": sorted(CODES.values())}}}
    for dataset, columns in edits.items():
        path = folder / f"{dataset}.yaml"; contract = yaml.safe_load(path.read_text())
        for column, checks in columns.items(): contract["columns"][column]["checks"] = checks
        path.write_text(yaml.safe_dump(contract, sort_keys=False))
    return folder


def test_ledger_extract_with_foreign_formats_runs_every_scenario(bank, tmp_path):
    customer, account = foreign_ids(bank)
    customers = bank["customers"].astype({"segment": str}).assign(customer_id=lambda f: f.customer_id.map(customer), segment=lambda f: f.segment.map(SEGMENTS))
    accounts = bank["accounts"].assign(account_id=lambda f: f.account_id.map(account), customer_id=lambda f: f.customer_id.map(customer))
    transactions = ledger_to_transactions(ledger_extract(bank, customer, account), accounts, SPEC, dataset="posting_extract")
    assert len(transactions) == len(bank["transactions"])  # clearing sides are not customer activity
    contracts = bank_contracts(tmp_path / "contracts")
    related = {"customers": customers, "accounts": accounts}
    for name, frame in (("customers", customers), ("accounts", accounts), ("transactions", transactions)):
        _, report = check_frame(frame, load_contract(contracts / f"{name}.yaml"), related=related)
        assert report.passed, report.message()
    _, demo = check_frame(transactions, load_contract("transactions"), related=related)
    assert sorted(demo.failures.column) == ["channel"] and (demo.failures.failing_rows == len(transactions)).all()  # the default contracts take its identifiers; its channel codes are the mapping's to translate
    _, default_customers = check_frame(customers, load_contract("customers"))
    assert default_customers.passed, default_customers.message()  # its customer numbers and its own segment names
    write_bank(bank, tmp_path / "ours")
    write_bank({"customers": customers, "accounts": accounts, "transactions": transactions}, tmp_path / "theirs")
    ours = ScenarioEngine(tmp_path / "ours", start="2025-01-01")
    theirs = ScenarioEngine(tmp_path / "theirs", start="2025-01-01", mapping=BankMapping(channels=CODES))
    back = {v: k for k, v in customer.items()}; segment_back = {v: k for k, v in SEGMENTS.items()}
    for name in SCENARIOS:
        expected = ours.candidates(name).astype({"segment": str})
        found = theirs.candidates(name).assign(customer_id=lambda f: f.customer_id.map(back), segment=lambda f: f.segment.map(segment_back))
        found = found.sort_values(["customer_id", "window_index"]).reset_index(drop=True)
        pd.testing.assert_frame_equal(expected, found, check_dtype=False, obj=name)
    assert len(theirs.candidates("cycle")) > 0  # internal counterparties are found by looking them up, not by their format


def test_ledger_checks_refuse_before_writing(bank):
    customer, account = foreign_ids(bank)
    accounts = bank["accounts"].assign(account_id=lambda f: f.account_id.map(account))
    extract = ledger_extract(bank, customer, account)
    extract.loc[0, "bedrag"] = extract.loc[0, "bedrag"] + 1.0     # journal J000000000 out of balance
    extract.loc[5, "rekening"] = "NL00UNKNOWN"                      # an account nobody knows
    extract.loc[[7, 8], "zijde"] = "X"                              # side codes outside the spec
    with pytest.raises(MRMError) as refused:
        ledger_to_transactions(extract, accounts, SPEC, dataset="posting_extract")
    message = str(refused.value)
    assert "dataset 'posting_extract'" in message and "nothing was written" in message
    assert "column 'side', rule isin side codes: 2 row(s) fail" in message
    assert "column 'account_id', rule known account (customer or ledger): 1 row(s) fail" in message
    assert "rule journal balances (within 0.005)" in message

"Bad input gets a clear contract error; the same run twice gives byte-identical results."
import json
import pandas as pd
from conftest import REPO, bundles, mrm
from mrm_research.contracts import load_contract


def test_bad_csv_lists_every_failing_rule(tmp_path, small_bank):
    transactions = pd.read_parquet(small_bank / "transactions.parquet").head(50).astype(str)
    transactions.loc[3, "amount"] = "-12.5"            # range rule
    transactions.loc[4, "amount"] = "twelve"            # type rule
    transactions.loc[5, "channel"] = "pigeon"           # allowed values
    transactions.loc[6, "transaction_id"] = transactions.loc[7, "transaction_id"]  # primary key
    transactions.loc[8, "booked_at"] = None            # required value
    transactions.loc[9, "transaction_id"] += "   "     # a key padded as a fixed-width extract writes it
    bad = tmp_path / "transactions.csv"
    transactions.to_csv(bad, index=False)
    result = mrm("contracts", "check", "transactions", bad, check=2)
    message = result.stderr
    assert f"fails contract transactions v{load_contract('transactions').version}" in message  # the version in force, named
    for column, rule in [("amount", "greater_than(0)"), ("amount", "type(float)"), ("channel", "isin("),
                         ("transaction_id", "unique"), ("booked_at", "not_null"), ("transaction_id", "str_matches(")]:
        assert f"column '{column}', rule {rule}" in message, (column, rule, message)
    assert "row 3: -12.5" in message and "row 4: 'twelve'" in message


def test_a_banks_export_as_it_comes(tmp_path, small_bank):
    "Three things bank extracts hold that the demo's files do not: a placeholder date beyond what nanoseconds hold (9999-12-31 for 'no date', which made pandas raise), keys exported by another system in another letter case, and a spreadsheet's CSV in Windows-1252. Each is a failed rule or a refusal that says what it is."
    import pyarrow as pa, pyarrow.parquet as pq
    accounts = pd.read_parquet(small_bank / "accounts.parquet")
    table = pa.Table.from_pandas(accounts.assign(customer_id=accounts.customer_id.where(accounts.index != 2, accounts.customer_id.str.lower())), preserve_index=False)
    ended = pa.array([pd.Timestamp("9999-12-31").to_pydatetime() if i < 2 else v for i, v in enumerate(table.column("last_activity_on").to_pylist())], pa.timestamp("us"))
    pq.write_table(table.set_column(table.schema.get_field_index("last_activity_on"), "last_activity_on", ended), tmp_path / "accounts.parquet")
    message = mrm("contracts", "check", "accounts", "accounts.parquet", "--related", f"customers={small_bank / 'customers.parquet'}", check=2, cwd=tmp_path).stderr
    assert "column 'last_activity_on', rule type(datetime): 2 row(s) fail" in message and "such as a placeholder 9999-12-31 for 'no date'" in message, message
    assert "rule foreign_key(customers.customer_id): 1 row(s) fail" in message and "1 of the failing rows match a customers key written in another letter case" in message, message
    customers = pd.read_parquet(small_bank / "customers.parquet").head(3).assign(segment="retail")
    (tmp_path / "customers.csv").write_bytes(customers.assign(country=["DE", "FR", "AT"]).to_csv(index=False, sep=";").replace("retail", "détail").encode("cp1252"))
    message = mrm("contracts", "check", "customers", "customers.csv", check=2, cwd=tmp_path).stderr
    assert "customers.csv: not UTF-8 text: line 2 holds bytes UTF-8 does not use" in message and "détail" in message, message


def test_good_parquet_meets_its_contract_with_foreign_keys(small_bank):
    result = mrm("contracts", "check", "accounts", small_bank / "accounts.parquet",
                 "--related", f"customers={small_bank / 'customers.parquet'}", check=0)
    assert "meets contract accounts v1.2.0" in result.stdout


def test_same_run_twice_gives_identical_results(tmp_path, small_bank):
    out = tmp_path / "build"
    for _ in range(2):
        mrm("run", REPO / "nbs/validation/aml_data_quality.ipynb", "-p", "data_dir", small_bank, "-p", "as_of", "2025-01-31",
            "--model-id", "DQ", "--out", out, "--no-progress", check=0)
    first, second = bundles(out)
    for name in ("results.json", "inputs.json", "params.yaml"):
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
    results = json.loads((first / "results.json").read_text())
    assert results["metrics"]["checks_failed"]["value"] == 0 and results["metrics"]["checks_run"]["value"] == 18  # whether every dataset holds rows, the six dimensions over the four datasets, and one currency of amounts
    inputs = json.loads((first / "inputs.json").read_text())
    assert set(inputs) == {"customers", "accounts", "transactions", "daily_control_totals"}
    assert inputs["transactions"]["rows"] == 5_000 and len(inputs["transactions"]["sha256"]) == 64


def test_timestamps_stored_with_their_zone_meet_their_contract(tmp_path, small_bank):
    "A bank's Parquet export whose booking times carry their zone (Tokyo time here), checked on a machine set to New York: read as their UTC instants, they meet the contract (the conversion to the contract's timestamp stopped with pandas' TypeError)."
    import os
    transactions = pd.read_parquet(small_bank / "transactions.parquet")
    transactions.assign(booked_at=transactions.booked_at.dt.tz_localize("UTC").dt.tz_convert("Asia/Tokyo")).to_parquet(tmp_path / "transactions.parquet")
    result = mrm("contracts", "check", "transactions", tmp_path / "transactions.parquet", check=0, env={**os.environ, "TZ": "America/New_York"})
    assert f"meets contract transactions v{load_contract('transactions').version}" in " ".join(result.stdout.split())


def test_a_feed_review_without_the_sources_control_totals(tmp_path, small_bank):
    "A bank that can give its transactions (as CSV, with the booking day written 20250115) and accounts but no customer master and no control totals: the review runs on what it has, says what it could not check, and records that the feed is not reconciled to its source."
    transactions = pd.read_parquet(small_bank / "transactions.parquet")
    transactions.assign(booked_at=transactions.booked_at.dt.strftime("%Y%m%d").astype(int)).to_csv(tmp_path / "transactions.csv", index=False)
    pd.read_parquet(small_bank / "accounts.parquet").to_parquet(tmp_path / "accounts.parquet")
    mrm("run", REPO / "nbs/validation/aml_data_quality.ipynb", "-p", "data_dir", ".", "-p", "as_of", "2025-01-31", "--out", "out", "--no-progress", check=0, cwd=tmp_path)
    (bundle,) = bundles(tmp_path / "out")
    results = json.loads((bundle / "results.json").read_text())
    status = {(c["check"], c["detail"].split(":")[0]): c["status"] for c in results["checks"]}
    assert status[("reconciliation", "needs both transactions and daily_control_totals")] == "not run"
    assert status[("timeliness", "latest booking 2025-01-30 (Thursday), as of 2025-01-31 (Friday)")] == "pass"  # the days as written, not 1970
    assert {f["id"] for f in results["findings"]} == {"DQ-RECONCILIATION"}
    assert set(json.loads((bundle / "inputs.json").read_text())) == {"accounts", "transactions"}

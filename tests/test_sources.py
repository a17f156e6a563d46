"""Sources beyond single files: a Hive-style partitioned Parquet folder (as a Hadoop / Hive or
Spark export writes it, `_SUCCESS` marker included) and a Delta table (deltalake) hold the same rows as the bank's single
Parquet file, pass the same data contract, with foreign keys checked, and are fingerprinted by their files."""
import shutil
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from deltalake import DeltaTable, write_deltalake

from conftest import mrm
from mrm_research.contracts import ContractViolation, load_dataset


def sorted_frame(frame: pd.DataFrame, key: str) -> pd.DataFrame:
    return frame.sort_values(key).reset_index(drop=True)


@pytest.fixture(scope="module")
def layouts(small_bank, tmp_path_factory):
    "The small bank's transactions as a single file, a Spark-style partitioned folder and a Delta table."
    folder = tmp_path_factory.mktemp("sources")
    transactions = pd.read_parquet(small_bank / "transactions.parquet")
    transactions = transactions.assign(**{c: transactions[c].astype(str) for c in transactions.columns if isinstance(transactions[c].dtype, pd.CategoricalDtype)})
    hive = folder / "transactions.parquet"  # Spark names its output folders like files
    pq.write_to_dataset(pa.Table.from_pandas(transactions, preserve_index=False), hive, partition_cols=["channel"])
    (hive / "_SUCCESS").write_text("")
    write_deltalake(str(folder / "transactions_delta"), transactions, partition_by=["channel"])
    return {"file": small_bank / "transactions.parquet", "hive": hive, "delta": folder / "transactions_delta"}


@pytest.mark.parametrize("layout", ["hive", "delta"])
def test_partitioned_and_delta_sources_match_the_file(layouts, small_bank, layout):
    related = {"accounts": load_dataset(small_bank / "accounts.parquet", "accounts")[0]}
    expected, _ = load_dataset(layouts["file"], "transactions", related)
    frame, fingerprint = load_dataset(layouts[layout], "transactions", related)
    pd.testing.assert_frame_equal(sorted_frame(frame[list(expected.columns)], "transaction_id"), sorted_frame(expected, "transaction_id"), check_dtype=False)
    assert fingerprint["rows"] == len(expected) and fingerprint["files"] >= expected.channel.nunique()
    assert fingerprint["layout"] == {"hive": "partitioned parquet", "delta": "delta"}[layout]


def test_delta_fingerprint_follows_the_table_version(layouts, tmp_path):
    table = tmp_path / "delta"; shutil.copytree(layouts["delta"], table)
    before = load_dataset(table, "transactions")[1]
    rows = DeltaTable(str(table)).to_pandas().head(3)
    write_deltalake(str(table), rows.assign(transaction_id=[f"T99999999{i:02d}" for i in range(3)]), mode="append", partition_by=["channel"])
    after = load_dataset(table, "transactions")
    assert after[1]["delta_version"] == before["delta_version"] + 1 and after[1]["sha256"] != before["sha256"]
    assert len(after[0]) == before["rows"] + 3
    write_deltalake(str(table), rows, mode="append", partition_by=["channel"])  # the same rows again: the contract's key catches it
    with pytest.raises(ContractViolation, match=r"column 'transaction_id', rule unique: 6 row\(s\) fail"):
        load_dataset(table, "transactions")


def test_a_bad_partitioned_source_is_refused_by_rule(layouts, tmp_path):
    broken = tmp_path / "transactions.parquet"; shutil.copytree(layouts["hive"], broken)
    part = next(broken.rglob("*.parquet"))
    frame = pd.read_parquet(part); frame.loc[frame.index[:2], "amount"] = -5.0
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), part)
    with pytest.raises(ContractViolation, match=r"column 'amount'.*2 row\(s\) fail"):
        load_dataset(broken, "transactions")


def test_cli_checks_a_delta_table(layouts):
    result = mrm("contracts", "check", "transactions", layouts["delta"], check=0)
    assert "transactions" in result.stdout


def test_ppnr_panel_from_partitioned_and_delta_sources(tmp_path):
    "The PPNR panel, partitioned by bank as a Hive export would be, and as a Delta table, reads as the single file does."
    from mrm_research.ppnr.data import write_ppnr_data
    write_ppnr_data(tmp_path / "ppnr", seed=0)
    expected, _ = load_dataset(tmp_path / "ppnr/ppnr_panel.parquet", "ppnr_panel")
    panel = pd.read_parquet(tmp_path / "ppnr/ppnr_panel.parquet")
    panel = panel.assign(**{c: panel[c].astype(str) for c in panel.columns if isinstance(panel[c].dtype, pd.CategoricalDtype)})
    pq.write_to_dataset(pa.Table.from_pandas(panel, preserve_index=False), tmp_path / "panel_hive", partition_cols=["bank_id"])
    write_deltalake(str(tmp_path / "panel_delta"), panel)
    for source in ("panel_hive", "panel_delta"):
        frame, fingerprint = load_dataset(tmp_path / source, "ppnr_panel")
        pd.testing.assert_frame_equal(frame[list(expected.columns)].sort_values(["bank_id", "quarter"]).reset_index(drop=True),
                                      expected.sort_values(["bank_id", "quarter"]).reset_index(drop=True), check_dtype=False)
    assert fingerprint["files"] >= 1 and fingerprint["rows"] == len(expected)


@pytest.fixture()
def snowflake_local(small_bank):
    "Snowpark's local testing mode (an in-process emulation: checks the query's shape, not Snowflake's execution) with the bank's tables, upper-case columns as Snowflake stores unquoted names."
    import warnings
    from snowflake.snowpark import Session
    warnings.simplefilter("ignore")
    session = Session.builder.config("local_testing", True).create()
    for name in ("accounts", "transactions"):
        frame = pd.read_parquet(small_bank / f"{name}.parquet")
        frame = frame.assign(**{c: frame[c].astype(str) for c in frame.columns if isinstance(frame[c].dtype, pd.CategoricalDtype)})
        session.create_dataframe(frame.rename(columns=str.upper)).write.save_as_table(f"BANK.RAW.{name.upper()}")
    yield session
    session.close()


def test_snowflake_table_is_checked_and_fingerprinted_like_the_file(snowflake_local, small_bank):
    related = {"accounts": load_dataset("snowflake://BANK.RAW.ACCOUNTS", "accounts")[0]}
    expected, _ = load_dataset(small_bank / "transactions.parquet", "transactions", related)
    frame, fingerprint = load_dataset("snowflake://BANK.RAW.TRANSACTIONS", "transactions", related)
    pd.testing.assert_frame_equal(sorted_frame(frame[list(expected.columns)], "transaction_id"), sorted_frame(expected, "transaction_id"), check_dtype=False)
    assert fingerprint["layout"] == "snowflake" and fingerprint["table"] == "BANK.RAW.TRANSACTIONS" and fingerprint["rows"] == len(expected)
    assert load_dataset("snowflake://BANK.RAW.TRANSACTIONS", "transactions", related)[1]["sha256"] == fingerprint["sha256"]  # same rows, same hash


def test_snowflake_table_failing_its_contract_is_refused(snowflake_local, small_bank):
    frame = pd.read_parquet(small_bank / "transactions.parquet").head(50)
    frame = frame.assign(**{c: frame[c].astype(str) for c in frame.columns if isinstance(frame[c].dtype, pd.CategoricalDtype)})
    frame.loc[frame.index[:4], "amount"] = -1.0
    snowflake_local.create_dataframe(frame.rename(columns=str.upper)).write.save_as_table("BANK.RAW.BAD_TRANSACTIONS")
    with pytest.raises(ContractViolation, match="amount"):
        load_dataset("snowflake://BANK.RAW.BAD_TRANSACTIONS", "transactions")


def test_snowflake_without_credentials_says_what_to_configure(tmp_path):
    env = {k: v for k, v in __import__("os").environ.items() if not k.startswith("SNOWFLAKE_")} | {"HOME": str(tmp_path), "SNOWFLAKE_HOME": str(tmp_path)}
    result = mrm("contracts", "check", "transactions", "snowflake://BANK.RAW.TRANSACTIONS", env=env)
    assert result.returncode != 0 and "no session is open and none is configured" in result.stdout + result.stderr
    bad = mrm("contracts", "check", "transactions", "snowflake://BANK.RAW.T;DROP", env=env)
    assert bad.returncode != 0 and "not a Snowflake table location" in bad.stdout + bad.stderr

"Shared fixtures: the `mrm` command, a keyring with trusted signers, and small synthetic data."
import json, os, shutil, subprocess, sys
from pathlib import Path
import pytest

if os.environ.get("PYTEST_XDIST_WORKER"):  # parallel workers share the cores: each worker and what it starts uses one thread per numerical library
    for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMEXPR_NUM_THREADS"): os.environ.setdefault(name, "1")

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = REPO / "tests" / "notebooks"
MRM = str(Path(sys.executable).parent / "mrm")


def mrm(*args, cwd=None, check=None, env=None) -> subprocess.CompletedProcess:
    "Run the `mrm` command; `check` asserts the exit code; `env` replaces the environment."
    result = subprocess.run([MRM, *map(str, args)], cwd=cwd or REPO, capture_output=True, text=True, timeout=600, env=env)
    if check is not None:
        assert result.returncode == check, f"exit {result.returncode}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    return result


@pytest.fixture(scope="session")
def keys(tmp_path_factory):
    "Private keys of a preparer, validator and approver (trusted) and of mallory (not trusted), and the keyring."
    folder = tmp_path_factory.mktemp("keys")
    for name in ("preparer", "validator", "approver"):
        mrm("keygen", name, "--out", folder, "--keyring", folder / "keyring", check=0)
    mrm("keygen", "mallory", "--out", folder / "untrusted", check=0)
    return {"preparer": folder / "preparer.key", "validator": folder / "validator.key", "approver": folder / "approver.key",
            "mallory": folder / "untrusted" / "mallory.key", "keyring": folder / "keyring"}


@pytest.fixture(scope="session")
def small_bank(tmp_path_factory):
    "A small synthetic bank written as Parquet (clean feed)."
    from mrm_research.aml.synthetic import BankConfig, generate_bank, write_bank
    folder = tmp_path_factory.mktemp("bank")
    write_bank(generate_bank(BankConfig(customers=200, transactions=5_000, days=30, seed=11)), folder)
    return folder


def bundles(out: Path) -> list[Path]:
    "Every finished bundle below an output folder."
    return sorted(p.parent for p in Path(out).glob("*/*/manifest.json"))


@pytest.fixture(scope="session")
def tiny_bundle(tmp_path_factory) -> Path:
    "One run of the tiny notebook (model TINY-1, version 1.2, scale 3) from a folder outside the project; a test that signs, tampers with or approves a bundle works on a copy (`copy_bundle`)."
    folder = tmp_path_factory.mktemp("tiny")
    mrm("run", NOTEBOOKS / "tiny.ipynb", "-p", "scale", "3", "--model-id", "TINY-1", "--model-version", "1.2",
        "--out", folder / "build", "--no-progress", cwd=folder, check=0)
    (bundle,) = bundles(folder / "build")
    return bundle


def copy_bundle(bundle: Path, out: Path) -> Path:
    "A copy of a bundle laid out as the pipeline lays bundles out (out/<model id>/<run id>)."
    return Path(shutil.copytree(bundle, Path(out) / bundle.parent.name / bundle.name))


def run_on_history(notebook: str, # under nbs/validation
                   history: "pd.DataFrame", folder: Path, *parameters, model_id: str = "HISTORY") -> tuple[Path, dict, dict]:
    "Run a tuning report on an alert history alone (written as CSV in `folder`, no other data), from that folder; return the bundle, its results and the recommendations by (rule, segment)."
    path = folder / "alert_history.csv"; history.to_csv(path, index=False)
    (folder / "no_data").mkdir()
    mrm("run", REPO / "nbs/validation" / notebook, "-p", "data_dir", folder / "no_data", "-p", "alert_history", path, *parameters,
        "--model-id", model_id, "--out", folder / "out", "--no-progress", check=0, cwd=folder)
    (bundle,) = bundles(folder / "out")
    results = json.loads((bundle / "results.json").read_text())
    table = results["tables"]["recommendations"]
    return bundle, results, {(row[0], row[1]): dict(zip(table["columns"], row)) for row in table["rows"]}


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, tmp_path):
    "A fresh governance store: a SQLite file always; the PostgreSQL server of $MRM_TEST_POSTGRES_URL when there is one (a schema of its own per test worker, emptied first)."
    if request.param == "sqlite": return f"sqlite:///{tmp_path / 'governance.sqlite'}"
    import os, sqlalchemy as sa
    url = os.environ.get("MRM_TEST_POSTGRES_URL")
    if not url: pytest.skip("no PostgreSQL server here: MRM_TEST_POSTGRES_URL is not set (.ci/run installs Debian's postgresql, starts it on 127.0.0.1 and sets it)")
    schema = f"mrm_test_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"  # parallel workers must not empty each other's store
    url = f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"
    engine = sa.create_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(sa.text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))  # every table a migration made, whichever the code's version
            connection.execute(sa.text(f"CREATE SCHEMA {schema}"))
    except sa.exc.OperationalError as error: pytest.skip(f"the PostgreSQL server at {url} cannot be reached: {error.orig}")
    finally: engine.dispose()
    return url


def store_scalar(url: str, query: str):
    "One value from the store, read directly (not through the library)."
    import sqlalchemy as sa
    engine = sa.create_engine(url)
    try:
        with engine.begin() as connection:
            result = connection.execute(sa.text(query))
            return result.scalar() if result.returns_rows else None
    finally: engine.dispose()

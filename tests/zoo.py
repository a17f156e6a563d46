"""Helpers of the foreign-model zoo (test_validation_zoo*.py): a card written by hand, its artifact's hash, `mrm validate` run from the model's own folder."""
import json
import numpy as np, pandas as pd, yaml
from conftest import bundles, mrm
from mrm_research.core import sha256_file

OWNER = {"version": "1.0", "owner": "Model owner", "developer": "Model developer", "purpose": "Rank rows by the probability of the event.",
         "intended_use": "Decision support; every decision is reviewed."}


def write_card(folder, **fields) -> None:
    (folder / "card.yaml").write_text(yaml.safe_dump({**OWNER, **fields}, sort_keys=False))


def artifact(folder, name: str, kind: str) -> dict:
    return {"path": name, "sha256": sha256_file(folder / name), "format": kind}


def validate(folder, *extra, monitor=True):
    "Run `mrm validate` from the model's own folder (outside the repository), relative paths as a user types them."
    args = ["validate", "card.yaml", "--train", "train.csv", "--test", "test.csv", *(["--monitor", "monitor.csv"] if monitor else []),
            "-p", "replicates", "60", "--out", "out", "--no-progress", *extra]
    mrm(*args, cwd=folder, check=0)
    (bundle,) = bundles(folder / "out")
    manifest = json.loads((bundle / "manifest.json").read_text())
    assert manifest["status"] == "succeeded", manifest.get("error")
    results = json.loads((bundle / "results.json").read_text())
    return bundle, results, {c["check"]: c for c in results["checks"]}


def applicants(rows: int, start: str, seed: int) -> pd.DataFrame:
    "Credit applicants (seeded): income, debt-to-income, age of the oldest account, housing (missing for some), an age band; 'bad' = default."
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"income_k": rng.lognormal(3.8, 0.5, rows), "debt_to_income": rng.beta(2, 5, rows), "oldest_account_months": rng.gamma(3, 30, rows),
                          "housing": rng.choice(["own", "rent", "mortgage"], rows, p=[0.3, 0.4, 0.3]),
                          "application_date": pd.Timestamp(start) + pd.to_timedelta(rng.uniform(0, 180, rows), unit="D"),
                          "age_band": np.where(rng.random(rows) < 0.03, "under 21", "21 and over")})
    frame.loc[rng.random(rows) < 0.08, "housing"] = np.nan  # not captured at application
    logit = -1.5 + 3.5 * frame.debt_to_income - 0.6 * np.log(frame.income_k / 45) - 0.006 * frame.oldest_account_months + 0.5 * (frame.housing == "rent")
    frame["outcome"] = np.where(rng.random(rows) < 1 / (1 + np.exp(-logit)), "bad", "good")
    return frame

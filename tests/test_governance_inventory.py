"""`mrm inventory`: records from a bank's own YAML, tiers with reasons, bundles linked, revalidation due with reasons, malformed input refused whole."""
import json
import yaml
from conftest import mrm

YES = {"quantitative_method": True, "estimates": True, "used_in_decisions": True, "deterministic_only": False}
RECORDS = [{"model_id": "CARD-PD", "name": "card probability of default", "type": "credit model", "owner": "Retail credit", "status": "in use", "identification": YES,
            "exposure_usd": 3.5e9, "decisions_per_year": 2_000_000, "complexity": "medium", "reliance": "high", "ai_system": True, "ai_use": "credit_scoring",
            "last_validated": "2025-09-30", "upstream": ["BUREAU-FEED"], "vendor": "in-house"},
           {"model_id": "SURV-SPOOF", "name": "spoofing detector", "type": "trade surveillance", "owner": "Compliance", "status": "validated", "identification": YES,
            "exposure_usd": 2e8, "decisions_per_year": 30_000, "complexity": "high", "reliance": "medium", "ai_system": False, "last_validated": "2023-01-15"}]


def test_inventory_from_a_banks_records(tmp_path, store_url):
    url = store_url
    (tmp_path / "models.yaml").write_text(yaml.safe_dump(RECORDS))
    assert "2 model record(s)" in mrm("inventory", "add", tmp_path / "models.yaml", "--store", url, check=0).stdout
    tiers = mrm("inventory", "tier", "--store", url, check=0).stdout
    assert "high-risk" in tiers and "Annex III 5(b)" in " ".join(tiers.split())
    bundle = tmp_path / "bundle"; bundle.mkdir()
    (bundle / "manifest.json").write_text(json.dumps({"model_id": "CARD-PD", "run_id": "r9", "date": "2026-02-01T09:00:00Z", "status": "succeeded"}))
    (bundle / "results.json").write_text(json.dumps({"metrics": {"revalidation_triggers": {"value": 1}}, "findings": []}))
    mrm("inventory", "link", bundle, "--store", url, check=0)
    due = " ".join(mrm("inventory", "due", "--as-of", "2026-06-01", "--store", url, check=0).stdout.split())
    assert "2 model(s) due" in due
    from mrm_research.governance.inventory import due as due_
    from mrm_research.governance.store import Store
    import datetime as dt
    reasons = due_(Store(url), dt.date(2026, 6, 1)).set_index("model_id").why.to_dict()
    assert reasons["CARD-PD"] == "triggered: bundle r9 recorded 1 revalidation trigger(s)"  # validated 2026-02-01 (tier 1, yearly): not periodic yet
    assert reasons["SURV-SPOOF"].startswith("periodic: tier 2 every 2 year(s), last validated 2023-01-15, due 2025-01-15")
    mrm("inventory", "export", tmp_path / "out.yaml", "--store", url, check=0)
    assert [r["model_id"] for r in yaml.safe_load((tmp_path / "out.yaml").read_text())] == ["CARD-PD", "SURV-SPOOF"]
    # the bank's own tiering policy: 150 million USD is material, tier 1 revalidated yearly, tier 3 every five years
    (tmp_path / "policy.yaml").write_text("exposure_usd: [20000000, 150000000]\ndecisions_per_year: [5000, 500000]\nrevalidation_years: {1: 1, 2: 2, 3: 5}\n")
    set_out = " ".join(mrm("inventory", "policy", tmp_path / "policy.yaml", "--store", url, "--actor", "mrm-committee", check=0).stdout.split())
    assert "1 model(s) re-tiered" in set_out and "SURV-SPOOF │ 2 │ 1" in set_out and "by mrm-committee from" in set_out, set_out
    reasons = due_(Store(url), dt.date(2026, 6, 1)).set_index("model_id").why.to_dict()
    assert reasons["SURV-SPOOF"].startswith("periodic: tier 1 every 1 year(s), last validated 2023-01-15, due 2024-01-15")
    trail = Store(url).read("SELECT entity, entity_key, action FROM audit_trail WHERE action IN ('create', 're-tier') AND entity IN ('policy', 'model') ORDER BY sequence")
    assert trail[-2:] == [{"entity": "policy", "entity_key": "tiering", "action": "create"}, {"entity": "model", "entity_key": "SURV-SPOOF", "action": "re-tier"}]


def test_malformed_inventory_input_is_refused_whole(tmp_path, store_url):
    url = store_url
    (tmp_path / "bad.yaml").write_text("- model_id: X\n  name: [unclosed\n")
    assert "malformed" in mrm("inventory", "add", tmp_path / "bad.yaml", "--store", url, check=2).stderr
    (tmp_path / "wrong.yaml").write_text(yaml.safe_dump([RECORDS[0], {**RECORDS[1], "type": "crystal ball"}]))
    refused = mrm("inventory", "add", tmp_path / "wrong.yaml", "--store", url, check=2).stderr
    assert "nothing imported" in refused and "'crystal ball' is not one of" in refused
    (tmp_path / "twice.yaml").write_text(yaml.safe_dump([RECORDS[0], RECORDS[1], {**RECORDS[0], "owner": "someone else"}]))  # an export listing one model twice: the later would have replaced the earlier without a word
    refused = mrm("inventory", "add", tmp_path / "twice.yaml", "--store", url, check=2).stderr
    assert f"records 1, 3 ({RECORDS[0]['model_id']}): the same model_id 2 times" in refused and "nothing imported" in refused
    (tmp_path / "empty.csv").write_text("model_id,name,owner\n")
    assert "empty.csv: holds no model records" in mrm("inventory", "add", tmp_path / "empty.csv", "--store", url, check=2).stderr
    assert "0 model(s)" in mrm("inventory", "list", "--store", url, check=0).stdout


def test_listings_load_neither_pandas_nor_numpy(tmp_path):
    "The four listings a validator waits on at the prompt print from plain rows: loading pandas would cost a quarter of a second each."
    import subprocess, sys
    url = f"sqlite:///{tmp_path / 'g.sqlite'}"
    (tmp_path / "models.yaml").write_text(yaml.safe_dump(RECORDS)); mrm("inventory", "add", tmp_path / "models.yaml", "--store", url, check=0)
    for command in (["inventory", "list"], ["inventory", "due", "--as-of", "2026-06-01"], ["findings", "list"], ["findings", "overdue"]):
        probe = ("import sys; from mrm_research.cli import main; sys.argv = ['mrm', *sys.argv[1:]]\ntry: main()\nexcept SystemExit as exit: assert not exit.code, exit.code\n"
                 "loaded = [m for m in ('pandas', 'numpy') if m in sys.modules]; assert not loaded, f'{sys.argv[1:3]} loaded {loaded}'")
        result = subprocess.run([sys.executable, "-c", probe, *command, "--store", url], capture_output=True, text=True)
        assert result.returncode == 0, result.stderr[-1500:]
        assert "model(s)" in result.stdout or "finding(s)" in result.stdout


def test_committee_pack_on_a_new_store_and_then_on_models_never_validated(tmp_path):
    "A bank's first committee pack: on the new, empty store (it crashed: tables of no row had float columns) it says the store holds no model; with two models and no bundle yet it lists them due."
    from conftest import REPO, bundles
    url = f"sqlite:///{tmp_path / 'governance.sqlite'}"
    def pack(out):
        mrm("run", REPO / "nbs/validation/committee_pack.ipynb", "-p", "store", url, "-p", "as_of", "2026-06-01", "--out", out, "--no-progress", cwd=tmp_path, check=0)
        (bundle,) = bundles(tmp_path / out)
        return json.loads((bundle / "results.json").read_text())
    empty = pack("first")
    assert [f["id"] for f in empty["findings"]] == ["GOV-EMPTY"] and empty["metrics"]["models"]["value"] == 0
    (tmp_path / "models.yaml").write_text(yaml.safe_dump([{k: v for k, v in RECORDS[0].items() if k != "last_validated"}, RECORDS[1]]))
    mrm("inventory", "add", tmp_path / "models.yaml", "--store", url, check=0)
    second = pack("second")
    assert "GOV-EMPTY" not in {f["id"] for f in second["findings"]} and second["metrics"]["models"]["value"] == 2
    assert second["metrics"]["revalidations_due"]["value"] == 2 and second["metrics"]["approvals"]["value"] == 0
    assert dict(second["tables"]["tiering_policy"]["rows"])["set"] == "never: the library's defaults"  # the rule its tiers and due dates follow, stated


def test_inventory_of_a_group_in_euros_with_models_in_other_currencies(tmp_path, store_url):
    "A banking group whose tiering policy is in euros: its models' exposures are stated in euros or in a subsidiary's currency, converted at the policy's own rates (said in the tier's reason); a currency without a rate, and a new policy that drops a rate some model needs, are refused by name."
    import pandas as pd
    from mrm_research.governance.store import Store
    url = store_url
    (tmp_path / "policy.yaml").write_text("currency: EUR\nexposure: [50000000, 500000000]\nexchange_rates: {GBP: 1.17}\ndecisions_per_year: [5000, 500000]\n")
    shown = " ".join(mrm("inventory", "policy", tmp_path / "policy.yaml", "--store", url, check=0).stdout.split())
    assert "exposure medium from 50,000,000 EUR, high from 500,000,000; exposure in GBP converted at 1.17 EUR for one" in shown, shown
    records = [{**RECORDS[0], "model_id": "DE-PD", "exposure": 6e8}, {**RECORDS[1], "model_id": "UK-LGD", "exposure": 4.5e8, "exposure_currency": "GBP", "complexity": "high"}]
    pd.DataFrame([{key: json.dumps(value) if isinstance(value, (dict, list)) else value for key, value in record.items() if key != "exposure_usd"} for record in records]).to_csv(tmp_path / "models.csv", index=False)
    assert "2 model record(s)" in mrm("inventory", "add", tmp_path / "models.csv", "--store", url, check=0).stdout
    reasons = {row["model_id"]: row["tier_reason"] for row in Store(url).read("SELECT model_id, tier_reason FROM models")}
    assert reasons["DE-PD"].startswith("tier 1: materiality high (exposure 600,000,000 EUR: high")
    assert reasons["UK-LGD"].startswith("tier 1: materiality high (exposure 450,000,000 GBP = 526,500,000 EUR at the policy's rate 1.17: high")  # 450 million GBP alone would read medium
    (tmp_path / "tokyo.yaml").write_text(yaml.safe_dump([{**{k: v for k, v in RECORDS[1].items() if k != "exposure_usd"}, "model_id": "JP-SURV", "exposure": 9e10, "exposure_currency": "JPY"}]))
    assert "no rate for JPY" in mrm("inventory", "add", tmp_path / "tokyo.yaml", "--store", url, check=2).stderr
    (tmp_path / "no_pound.yaml").write_text("currency: EUR\nexposure: [50000000, 500000000]\n")
    refused = " ".join(mrm("inventory", "policy", tmp_path / "no_pound.yaml", "--store", url, check=2).stderr.split())
    assert "tiering policy not put in force: 1 model(s) cannot be tiered by it" in refused and "model UK-LGD: exposure 450,000,000 GBP" in refused, refused
    assert "GBP converted at 1.17" in " ".join(mrm("inventory", "policy", "--store", url, check=0).stdout.split())  # the policy in force is still the one with the rate

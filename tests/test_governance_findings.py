"""Findings to closure through `mrm findings`: import once, lifecycle refusals that write nothing, concurrent updates that lose
nothing, a tampered audit trail named, tracker export, bad store URL."""
import json, multiprocessing
import pandas as pd
from conftest import mrm, store_scalar


def fake_bundle(folder, model="TM-X", run="20260101T000000Z-abcdef"):
    "A bundle as import reads it: manifest and results with three findings."
    folder.mkdir(parents=True)
    (folder / "manifest.json").write_text(json.dumps({"model_id": model, "run_id": run, "date": "2026-01-05T10:00:00Z", "status": "succeeded"}))
    (folder / "results.json").write_text(json.dumps({"findings": [
        {"id": "CAL-01", "severity": "high", "title": "Hosmer-Lemeshow check failed", "detail": "p = 1e-6", "see": "check_Hosmer-Lemeshow"},
        {"id": "DRIFT-01", "severity": "low", "title": "population stability check warns (segment)", "detail": "PSI 0.14", "see": "check_population stability"},
        {"id": "FAIR-01", "severity": "medium", "title": "disparate impact", "detail": "0.7"}]}))
    return folder


def comment_many(url: str, key: str, who: str, count: int) -> None:
    from mrm_research.governance.findings import comment
    from mrm_research.governance.store import Store
    store = Store(url)
    for i in range(count): comment(store, key, f"{who} {i}", who)


def test_findings_workflow(tmp_path, store_url):
    url = store_url
    bundle = fake_bundle(tmp_path / "bundle")
    assert "3 finding(s) recorded, 0 already" in mrm("findings", "import", bundle, "--owner", "olga", "--store", url, check=0).stdout
    assert "0 finding(s) recorded, 3 already" in mrm("findings", "import", bundle, "--store", url, check=0).stdout
    key = "TM-X/20260101T000000Z-abcdef/CAL-01"
    listed = mrm("findings", "list", "--store", url, check=0).stdout
    assert listed.index("CAL-01") < listed.index("FAIR-01") < listed.index("DRIFT-01")  # most severe first
    refused = mrm("findings", "close", key, "--store", url, check=2)
    assert "cannot go from 'open' to 'closed'; allowed: remediation planned, risk accepted" in refused.stderr
    entries = lambda: store_scalar(url, "SELECT COUNT(*) FROM audit_trail")
    before = entries()
    assert mrm("findings", "update", key, "--status", "risk accepted", "--approver", "olga", "--expiry", "2099-01-01", "--store", url, check=2).stderr.count("must not be the finding's owner")
    assert entries() == before, "a refused change writes nothing"
    for status in ("remediation planned", "remediation submitted", "validated"):
        mrm("findings", "update", key, "--status", status, "--note", f"now {status}", "--actor", "val", "--store", url, check=0)
    mrm("findings", "close", key, "--actor", "val", "--store", url, check=0)
    assert "1 overdue finding(s)" in mrm("findings", "overdue", "--as-of", "2027-01-01", "--store", url, check=0).stdout
    import datetime as dt
    from mrm_research.governance.findings import overdue
    from mrm_research.governance.store import Store
    late = overdue(Store(url), dt.date(2027, 1, 1))
    assert late[["finding_id", "due_date"]].values.tolist() == [["FAIR-01", "2026-07-04"]]  # medium: 180 days after the bundle's date; the low one is due 2027-01-05
    export = pd.read_csv(tmp_path / "tracker.csv") if mrm("findings", "export", tmp_path / "tracker.csv", "--store", url, check=0) else None
    assert len(export) == 2 and set(export.Priority) == {"High", "Medium"}
    assert "chain intact" in mrm("findings", "verify-trail", "--store", url, check=0).stdout


def test_a_revalidation_adds_to_the_open_findings_it_finds_again(tmp_path, store_url):
    "The next year's run of the model finds the same three issues still open: each open finding gains a comment naming the run, and nothing is tracked twice."
    url = store_url
    mrm("findings", "import", fake_bundle(tmp_path / "first"), "--owner", "olga", "--store", url, check=0)
    again = mrm("findings", "import", fake_bundle(tmp_path / "second", run="20270105T000000Z-fedcba"), "--store", url, check=0).stdout
    assert "0 finding(s) recorded, 0 already in the store, 3 seen again" in " ".join(again.split())
    from mrm_research.governance.findings import list_findings
    from mrm_research.governance.store import Store
    found = list_findings(Store(url)).set_index("finding_id")
    assert len(found) == 3 and set(found.owner) == {"olga"}  # the findings of the first run, their owner kept
    assert [c["text"] for c in json.loads(found.comments["CAL-01"])] == ["[seen again] run 20270105T000000Z-fedcba, CAL-01: Hosmer-Lemeshow check failed"]
    assert "chain intact" in mrm("findings", "verify-trail", "--store", url, check=0).stdout


def test_two_processes_commenting_at_once_lose_nothing(store_url):
    from mrm_research.governance.findings import add_finding
    from mrm_research.governance.store import Store, verify_trail
    url = store_url
    key, _ = add_finding(Store(url), "M", "F-1", "high", "t")
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=comment_many, args=(url, key, who, 15)) for who in ("ana", "ben")]
    for worker in workers: worker.start()
    for worker in workers: worker.join(120); assert worker.exitcode == 0
    comments = json.loads(Store(url).read("SELECT comments FROM findings WHERE key = :k", k=key)[0]["comments"])
    assert sorted(c["text"] for c in comments) == sorted(f"{who} {i}" for who in ("ana", "ben") for i in range(15))
    assert verify_trail(Store(url)).entries == 31 and verify_trail(Store(url)).ok


def test_tampered_trail_is_named(tmp_path, store_url):
    url = store_url
    mrm("findings", "import", fake_bundle(tmp_path / "bundle"), "--store", url, check=0)
    store_scalar(url, "UPDATE audit_trail SET after = replace(after, 'high', 'low') WHERE sequence = 1")
    result = mrm("findings", "verify-trail", "--store", url, check=1)
    assert "entry 1 (create TM-X/20260101T000000Z-abcdef/CAL-01" in result.stderr and "was edited" in result.stderr


def test_bad_store_url_and_unknown_finding_are_clear(tmp_path):
    assert "not a store URL" in mrm("findings", "list", "--store", "no url", check=2).stderr
    url = f"sqlite:///{tmp_path / 'g.sqlite'}"
    assert "no finding 'A/B/C'" in mrm("findings", "close", "A/B/C", "--store", url, check=2).stderr


def test_approval_is_gated_by_open_high_findings_and_signoffs_are_recorded(tmp_path, keys, store_url, tiny_bundle):
    from conftest import copy_bundle
    from mrm_research.governance.findings import add_finding, transition
    from mrm_research.governance.store import Store
    url = store_url
    bundle = copy_bundle(tiny_bundle, tmp_path / "build")  # a run of model TINY-1
    mrm("sign", bundle, "--key", keys["preparer"], "--role", "preparer", "--store", url, check=0)
    mrm("sign", bundle, "--key", keys["validator"], "--role", "validator", "--store", url, check=0)
    key, _ = add_finding(Store(url), "TINY-1", "PERF-01", "high", "discrimination fails", run_id="earlier-run", owner="olga")
    refused = mrm("approve", bundle, "--key", keys["approver"], "--keyring", keys["keyring"], "--store", url, check=2)
    assert "TINY-1 has 1 open high-severity finding(s) without an accepted risk: TINY-1/earlier-run/PERF-01" in " ".join(refused.stderr.split())
    assert not (bundle / "signatures" / "approver.json").exists()
    transition(Store(url), key, "risk accepted", "olga", approver="chief risk officer", expiry="2099-12-31")
    mrm("approve", bundle, "--key", keys["approver"], "--keyring", keys["keyring"], "--store", url, check=0)
    signoffs = Store(url).read("SELECT role, signer FROM signoffs WHERE model_id = 'TINY-1' ORDER BY role")
    assert signoffs == [{"role": "approver", "signer": "approver"}, {"role": "preparer", "signer": "preparer"}, {"role": "validator", "signer": "validator"}]


def test_a_finding_recorded_by_hand(tmp_path, store_url):
    "By hand, found on a given day, due by the bank's remediation policy in force when found (a due date already set is not moved by a later policy)."
    from mrm_research.governance.store import Store
    url = store_url
    args = ("findings", "add", "--model", "PPNR-FEES", "--id", "VAL-07", "--severity", "medium", "--title", "undocumented overlay", "--owner", "treasury", "--found", "2026-03-02", "--store", url)
    assert "PPNR-FEES/manual/VAL-07: recorded" in mrm(*args, check=0).stdout
    assert "already in the store" in mrm(*args, check=0).stdout
    assert "severity must be one of" in mrm("findings", "add", "--model", "M", "--id", "X", "--severity", "urgent", "--title", "t", "--store", url, check=2).stderr
    (tmp_path / "remediation.yaml").write_text("days: {low: 120, medium: 60, high: 20}\n")
    shown = " ".join(mrm("findings", "policy", tmp_path / "remediation.yaml", "--store", url, "--actor", "mrm-committee", check=0).stdout.split())
    assert "high findings within 20 days, medium findings within 60 days, low findings within 120 days" in shown and "by mrm-committee from" in shown, shown
    mrm("findings", "add", "--model", "PPNR-FEES", "--id", "AUD-02", "--severity", "high", "--title", "from internal audit", "--found", "2026-11-01", "--store", url, check=0)
    due = {r["finding_id"]: (r["due_date"], r["found_on"]) for r in Store(url).read("SELECT finding_id, due_date, found_on FROM findings")}
    assert due == {"VAL-07": ("2026-08-29", "2026-03-02"), "AUD-02": ("2026-11-21", "2026-11-01")}, due


CRASHING_WRITER = """
import sys, time
from mrm_research.governance.store import Store
from mrm_research.governance import findings
store = Store(sys.argv[1])
real_append = findings.append_audit
def append_then_hang(*args, **kwargs):
    real_append(*args, **kwargs)  # the finding row and its audit entry are written inside the open transaction ...
    print("written, not committed", flush=True); time.sleep(600)  # ... and the process dies here
findings.append_audit = append_then_hang
findings.add_finding(store, "CRASH-MODEL", "F-1", "high", "never committed", actor="crasher")
"""


def test_a_process_killed_mid_write_leaves_the_store_consistent(tmp_path, store_url):
    import signal, subprocess, sys
    from mrm_research.governance.store import Store, verify_trail
    from mrm_research.governance.findings import add_finding
    add_finding(Store(store_url), "M", "F-0", "low", "before the crash", actor="ana")
    script = tmp_path / "crash.py"; script.write_text(CRASHING_WRITER)
    child = subprocess.Popen([sys.executable, str(script), store_url], stdout=subprocess.PIPE, text=True)
    assert child.stdout.readline().strip() == "written, not committed"
    child.send_signal(signal.SIGKILL); child.wait(timeout=30)
    store = Store(store_url)
    assert store_scalar(store_url, "SELECT COUNT(*) FROM findings WHERE model_id = 'CRASH-MODEL'") == 0  # nothing half-written
    assert verify_trail(store).ok and verify_trail(store).entries == 1
    add_finding(store, "M", "F-2", "low", "after the crash", actor="ana")  # the lock died with the process: writes go on
    assert verify_trail(store).ok and verify_trail(store).entries == 2
    store.engine.dispose()

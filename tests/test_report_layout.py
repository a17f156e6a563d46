"""The demo reports as a committee reads them: typeset each one and check its pages.

One `mrm demo` run (session fixture) gives six bundles. For each, `report_layout` typesets the
prepared report and reads page markers placed by the render filter: where the executive summary,
every body table and the appendix fall. The checks are those the reports promise: the executive summary on
page 1, every figure and table numbered and captioned, no body table taller than a page, and the
body within its page budget (the rest of each report is in its appendix). Then the sign-off
certificate, the batch index and the run log.
"""
import json, re, shutil
from pathlib import Path
import pytest
from conftest import bundles, mrm
from mrm_research.demo import DEMO_SIZES

# Body pages (before the appendix) allowed per demo report: the body measured on 2026-12-05, plus one page of slack
# for small changes in the synthetic data or the typesetter. Measured on A4 pages with 2 cm margins and 10 pt text,
# the page the renderer sizes tables for: until 2026-12-05 pandoc's Typst template overrode the header's page with its
# own (US letter, 1.25 in margins, 11 pt), so every report was typeset on a smaller text area than its tables were
# sized for, and these budgets (measured on it) were 1-9 pages higher. Column widths are estimated from each
# character's width in Typst's font (notebook.text_points) since the same day, where every character counted 4.4 pt.
BODY_PAGE_BUDGETS = {"TM-FEED-DQ": 5, "TM-FEED-DQ-DEFECTS": 6,  # measured 4 and 5
                     "TM-SCENARIO-LIBRARY": 15, "TM-SCENARIO-LIBRARY-HISTORY": 9,  # measured 14 and 8
                     "PPNR-MIGRATION": 8, "PPNR-PROJECTION": 7,  # measured 7 and 6
                     "TM-ALERT-SCORER": 19,  # measured 18 (ten test groups)
                     "GOV-COMMITTEE-PACK": 7,  # measured 6
                     "TS-DETECTOR-LIBRARY": 14, "TS-DETECTOR-LIBRARY-HISTORY": 12,  # measured 13 and 11
                     "CRYPTO-CHAIN-MONITORING": 11, "CRYPTO-CHAIN-MONITORING-HISTORY": 10,  # measured 10 and 9
                     "GENAI-NARRATIVE-ASSISTANT": 11, "GENAI-POLICY-ASSISTANT": 8, "GENAI-KYC-EXTRACTOR": 7,  # measured 10, 7 and 6
                     "GENAI-INVESTIGATION-AGENT": 7}  # measured 6
# The demo's approver is refused for models with open high-severity findings (the approval gate).
REFUSED = {"TM-FEED-DQ-DEFECTS", "TM-ALERT-SCORER", "GENAI-NARRATIVE-ASSISTANT",  # the demo narrative model fails faithfulness, among others
           "GENAI-POLICY-ASSISTANT", "GENAI-KYC-EXTRACTOR",  # the policy assistant answers questions the manual does not cover; the extractor misses fields of an unseen layout
           "GENAI-INVESTIGATION-AGENT",  # the demo agent obeys instructions in memo lines and freezes accounts without approval
           "TM-SCENARIO-LIBRARY", "TM-SCENARIO-LIBRARY-HISTORY"}  # no scenario for a typology of a high-rated risk (the coverage gap)


@pytest.fixture(scope="module")
def demo_build(tmp_path_factory):
    "The output folder of one `mrm demo --size small` run: the demo's plan, notebooks and checks on smaller volumes."
    out = tmp_path_factory.mktemp("demo") / "build"
    mrm("demo", "--out", out, "--size", "small", check=0)
    return out


@pytest.fixture(scope="module")
def demo_bundles(demo_build):
    "model id -> bundle folder."
    return {bundle.parent.name: bundle for bundle in bundles(demo_build)}


@pytest.fixture(scope="module")
def layouts(demo_bundles):
    "model id -> the typeset report's layout."
    from mrm_research.pipeline.render import report_layout
    return {model: report_layout(bundle) for model, bundle in demo_bundles.items()}


def test_every_demo_run_succeeds(demo_bundles):
    assert set(demo_bundles) == set(BODY_PAGE_BUDGETS)
    for model, bundle in demo_bundles.items():
        assert json.loads((bundle / "manifest.json").read_text())["status"] == "succeeded", model


@pytest.mark.parametrize("model", sorted(BODY_PAGE_BUDGETS))
def test_report_layout(layouts, model):
    layout = layouts[model]
    assert layout["summary_page"] == 1, f"{model}: the executive summary is on page {layout['summary_page']}"
    assert layout["uncaptioned"] == 0, f"{model}: {layout['uncaptioned']} figure(s) or table(s) without a number and caption"
    tall = [t["table"] for t in layout["tables"] if t["taller_than_a_page"]]
    assert not tall, f"{model}: body tables taller than a page: {tall}"
    body_pages = (layout["appendix_page"] or layout["pages"] + 1) - 1
    assert body_pages <= BODY_PAGE_BUDGETS[model], f"{model}: body runs {body_pages} pages, budget {BODY_PAGE_BUDGETS[model]}"


def test_no_cell_shows_a_stray_value(demo_bundles):
    "A cell whose last line returns a value (record_metric returns the value it records) prints it in the report as a bare line: none does."
    for model, bundle in demo_bundles.items():
        cells = json.loads((bundle / "notebook.ipynb").read_text())["cells"]
        stray = [(number, "".join(output["data"].get("text/plain", ""))) for number, cell in enumerate(cells) for output in cell.get("outputs", [])
                 if output.get("output_type") == "execute_result" and set(output.get("data", {})) == {"text/plain"}]
        assert not stray, f"{model}: cells show bare values in the report: {stray}"


def test_summary_names_outcome_and_refers_to_numbered_items(demo_bundles):
    from mrm_research.checks import OUTCOME_RULE
    for model, bundle in demo_bundles.items():
        html = (bundle / "report.html").read_text()
        head = html[:html.find("Executive summary") + 20_000]
        assert "Executive summary" in html, model
        assert any(outcome in head for outcome in OUTCOME_RULE), f"{model}: no outcome in the summary"
        captions = re.findall(r"(?:Figure|Table) \d+[.:]", html)
        assert captions, f"{model}: nothing numbered"


def test_synthetic_data_is_said_to_be_so_as_its_files_say(demo_bundles):
    "The demo's generated files name their generator (core.generated_by), so its reports state what is true of synthetic data; a bank's own labels get no such statement (tests/test_aml.py, test_ppnr.py)."
    said = {"TM-SCENARIO-LIBRARY": "The bank is synthetic", "TS-DETECTOR-LIBRARY": "The market is synthetic", "CRYPTO-CHAIN-MONITORING": "The chain is synthetic", "PPNR-PROJECTION": "The bank panel is synthetic"}
    for model, words in said.items():
        limitations = json.loads((demo_bundles[model] / "results.json").read_text())["limitations"]
        assert any(text.startswith(words) for text in limitations), (model, limitations)


def test_defective_feed_report_has_findings_and_clean_one_has_no_high(demo_bundles):
    defective = json.loads((demo_bundles["TM-FEED-DQ-DEFECTS"] / "results.json").read_text())
    clean = json.loads((demo_bundles["TM-FEED-DQ"] / "results.json").read_text())
    assert any(f["severity"] == "high" for f in defective["findings"])
    assert all(f["id"].startswith("DQ-") and f.get("see") for f in defective["findings"] if f["id"].startswith("DQ-"))
    assert not any(f["severity"] == "high" for f in clean["findings"])


def test_certificate_agrees_with_signatures_and_tampering_fails(demo_build, demo_bundles, tmp_path):
    keyring = demo_build / "demo_keys" / "keyring"
    bundle = demo_bundles["TM-FEED-DQ"]
    certificate = json.loads((bundle / "signatures" / "certificate.json").read_text())
    assert [s["role"] for s in certificate["signatures"]] == ["preparer", "validator", "approver"]
    assert [s["signer"] for s in certificate["signatures"]] == ["demo-preparer", "demo-validator", "demo-approver"]
    assert (bundle / "signatures" / "certificate.pdf").read_bytes()[:5] == b"%PDF-"
    assert "demo-approver" in (bundle / "signatures" / "certificate.html").read_text()
    mrm("verify", bundle, "--keyring", keyring, check=0)
    copy = tmp_path / "copy"; shutil.copytree(bundle, copy)
    certificate["signatures"][2]["signer"] = "someone-else"
    (copy / "signatures" / "certificate.json").write_text(json.dumps(certificate))
    result = mrm("verify", copy, "--keyring", keyring, check=1)
    assert "certificate.json" in result.stderr and "signatures" in result.stderr


def test_index_lists_every_bundle(demo_build, demo_bundles):
    index = (demo_build / "index.html").read_text()
    assert index.count("<tr>") == len(demo_bundles) + 1
    for model, bundle in demo_bundles.items():
        assert model in index and str(bundle.relative_to(demo_build) / "report.pdf") in index
    assert index.count("approver: demo-approver") == len(demo_bundles) - len(REFUSED)
    assert "verified" in index.lower() and "NO:" not in index


def test_run_logs_are_empty(demo_bundles):
    "Each run's cells record their output in the notebook (pipeline.execute), and nothing else in the run's process wrote to it: no warning, traceback or library message left outside the report."
    for model, bundle in demo_bundles.items():
        log = (bundle / "run.log").read_text()
        assert log == "", f"{model}: {log[:300]}"


def test_demo_governance_store_and_committee_pack(demo_build, demo_bundles):
    "The demo's store holds the inventory, every inventoried bundle's findings and the documentation gaps; the approver was refused where the gate says so; the committee pack read it all."
    from mrm_research.governance.store import Store, verify_trail
    store = Store(f"sqlite:///{demo_build / 'governance.sqlite'}")
    assert verify_trail(store).ok
    linked = {r["model_id"] for r in store.read("SELECT model_id FROM model_bundles")}
    assert linked == set(demo_bundles) - {"GOV-COMMITTEE-PACK"}  # the pack is not a model
    for model, bundle in demo_bundles.items():
        results = json.loads((bundle / "results.json").read_text())
        recorded = store.read("SELECT COUNT(*) AS n FROM findings WHERE run_id = :r", r=bundle.name)[0]["n"]
        assert recorded == (0 if model == "GOV-COMMITTEE-PACK" else len(results["findings"])), model
        assert (bundle / "signatures" / "approver.json").exists() == (model not in REFUSED), model
        assert "regulatory_coverage" in results["tables"] and not any(f["id"].startswith("REG-") for f in results["findings"]), model
    assert store.read("SELECT COUNT(*) AS n FROM findings WHERE test = 'documentation review' AND model_id = 'TM-ALERT-SCORER'")[0]["n"] == 3
    pack = json.loads((demo_bundles["GOV-COMMITTEE-PACK"] / "results.json").read_text())
    assert pack["metrics"]["approvals_blocked"]["value"] == len(REFUSED)
    triggered = [m for m, b in demo_bundles.items() if json.loads((b / "results.json").read_text())["metrics"].get("revalidation_triggers", {}).get("value", 0) > 0]
    assert pack["metrics"]["models_with_drift_triggers"]["value"] == len(triggered) >= 1, triggered
    assert [f["id"] for f in pack["findings"]] == ["GOV-SCHEDULE"] and "CRE-PD-LEGACY" in pack["findings"][0]["detail"]
    store.engine.dispose()


def test_surveillance_report_states_detection_replication_and_acceptance(demo_bundles):
    results = json.loads((demo_bundles["TS-DETECTOR-LIBRARY"] / "results.json").read_text())
    assert results["metrics"]["textbook_patterns_missed"]["value"] == 0
    assert {c["check"]: c["status"] for c in results["checks"]} == {"replication reconciliation": "pass", "user acceptance": "pass"}
    replication = {row[0]: row for row in results["tables"]["replication"]["rows"]}
    assert replication["spoofing_layering"][1] > 0 and replication["spoofing_layering"][1] == replication["spoofing_layering"][2]  # every candidate agrees
    assert {"example_spoofing_layering", "example_marking_the_close"} <= set(results["figures"])


def test_genai_report_traces_spec_model_and_every_test(demo_bundles):
    "The narrative assistant's report (its spec through the general harness) ran every test the spec states and fingerprints the spec, its cases and the model weights."
    from mrm_research.core import project_root, sha256_file
    from mrm_research.genai.spec import load_spec
    from mrm_research.genai.tasks import TASK_CHECK_DEFINITIONS, UNANSWERED
    bundle = demo_bundles["GENAI-NARRATIVE-ASSISTANT"]
    results = json.loads((bundle / "results.json").read_text())
    spec_file = project_root() / "reports/genai_specs/alert_narrative.yaml"
    statuses = {c["check"]: c["status"] for c in results["checks"]}
    assert {TASK_CHECK_DEFINITIONS[name].name for name in load_spec(spec_file).checks} | {UNANSWERED.name} == {name for name, status in statuses.items() if status != "not run"}
    assert statuses[UNANSWERED.name] == "pass"  # every prompt answered (the check runs whatever the spec states: it is about the evidence)
    inputs = json.loads((bundle / "inputs.json").read_text())
    assert {"spec", "cases", "model_weights"} <= set(inputs) and inputs["spec"]["sha256"] == sha256_file(spec_file)
    assert results["metrics"]["cases"]["value"] == DEMO_SIZES["small"].genai_cases
    assert {"decision_recall", "unsupported_share"} <= set(results["metrics"])
    assert {"prompt_comparison", "missing_elements", "model_record"} <= set(results["tables"])
    mapped = {row[0]: row for row in results["tables"]["genai_mapping"]["rows"]}
    assert "2.9 Information Security" in mapped["GenAI prompt injection"][2]


def test_tracking_registers_the_validated_champion_and_the_ppnr_exports(demo_bundles, tmp_path, monkeypatch):
    "`mrm track` on the demo's bundles: the ML champion the validation examined (outside the bundle, sha256 re-checked) and the PPNR exports are registered model versions."
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    from mlflow.tracking import MlflowClient
    mrm("track", demo_bundles["TM-ALERT-SCORER"], demo_bundles["PPNR-MIGRATION"], "--out", tmp_path, check=0)
    client = MlflowClient(tracking_uri=f"sqlite:///{(tmp_path / 'mlflow.db').resolve()}", registry_uri=f"sqlite:///{(tmp_path / 'mlflow.db').resolve()}")
    artifact = json.loads((demo_bundles["TM-ALERT-SCORER"] / "inputs.json").read_text())["model_artifact"]
    (champion,) = client.search_model_versions("name = 'TM-ALERT-SCORER'")
    from mrm_research.engines.tracking import bundle_record
    assert champion.tags["sha256"] == artifact["sha256"] and champion.tags["mrm.outcome"] == bundle_record(demo_bundles["TM-ALERT-SCORER"])["tags"]["mrm.outcome"]
    exported = [m.name for m in client.search_registered_models() if m.name.startswith("PPNR-MIGRATION-")]
    assert exported and all(client.search_model_versions(f"name = '{name}'") for name in exported)

"""Generative-AI harness: adapters against a real HTTP server, checks on hand-written answers with known
defects and on cases the demo does not contain, statistics against scipy / statsmodels, and the harness on another
application and another bank's facts."""
import json, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.contingency_tables import mcnemar
from statsmodels.stats.proportion import proportion_confint

from mrm_research.core import project_root
from mrm_research.genai import checks as gc, tasks
from mrm_research.genai.spec import load_spec
from mrm_research.genai.adapters import (CallableGenerator, GenerationError, GenerationParams, OpenAICompatibleGenerator,
                                         TransformersGenerator, serve_openai_compatible)
from mrm_research.genai.application import alert_facts, load_prompt_template, reference_narrative
from mrm_research.demo import DEMO_SIZES
from mrm_research.genai.model import narrative_model

TEMPLATES = [load_prompt_template(project_root() / f"reports/genai_prompts/alert_narrative_v{v}.yaml") for v in (1, 2)]


@pytest.fixture(scope="module")
def small_model():
    "A test-size narrative model (seconds to train, cached by its corpus under MRM_CACHE): the adapters are tested on it, not on the demo's."
    return narrative_model(TEMPLATES, DEMO_SIZES["small"].narrative)  # the one the small demo (test_report_layout) trains


def other_bank_facts() -> list[dict]:
    "Facts of a bank the demo does not contain: names and nationalities in its own tables, EUR, different identifiers, memo text."
    customers = pd.DataFrame({"customer_id": ["K-1", "K-2"], "segment": ["private", "sme"], "customer_name": ["Hanne Berg", "Oskar Lind"], "nationality": ["DE", "US"]})
    accounts = pd.DataFrame({"account_id": ["AC1", "AC2"], "customer_id": ["K-1", "K-2"]})
    transactions = pd.DataFrame({"account_id": ["AC1", "AC1", "AC2"], "booked_at": pd.to_datetime(["2026-03-01 10:00", "2026-03-03 11:00", "2026-03-02 09:00"]),
                                 "amount": [125_000.5, 9_999.99, 420.0], "currency": "EUR", "direction": ["debit", "credit", "debit"], "channel": "sepa",
                                 "counterparty_id": ["Z77701", "Z77702", "Z77703"], "counterparty_country": ["SE", "NL", "DE"],
                                 "memo": ["invoice 77", "refund", "rent"], "counterparty_name": ["Fjord Shipping AB", "Tulip Trade BV", "Haus Verwaltung GmbH"]})
    alerts = pd.DataFrame({"alert_id": ["x1", "x2"], "scenario": ["rapid_movement", "rapid_movement"], "customer_id": ["K-1", "K-2"],
                           "window_end": pd.to_datetime(["2026-03-05", "2026-03-05"])})
    return alert_facts(alerts, transactions, accounts, customers, window_days=7)


# --- adapters against a real server --------------------------------------------------------------------------------------

def test_transformers_and_http_adapters_agree(small_model):
    local = TransformersGenerator(small_model, device="cpu", batch_size=2)
    prompts = [TEMPLATES[0].render(f) for f in other_bank_facts()]
    params = GenerationParams(max_new_tokens=15)
    expected = [g.text for g in local.generate_many(prompts, params)]
    with serve_openai_compatible(local) as url:
        client = OpenAICompatibleGenerator(url, "narrative", concurrency=2, timeout=60)
        answers = client.generate_many(prompts, params)
    # greedy decoding alone (the HTTP server answers one prompt at a time; padding in a batch may not change a greedy answer)
    assert [a.text for a in answers] == [local.generate(p, params).text for p in prompts]
    assert expected == [local.generate(p, params).text for p in prompts], "batched and single answers differ"
    assert all(a.completion_tokens is not None and a.completion_tokens <= 15 and a.latency_seconds > 0 for a in answers)


def test_sampled_answers_repeat_with_their_seed(small_model):
    local = TransformersGenerator(small_model, device="cpu")
    prompt = TEMPLATES[1].render(other_bank_facts()[0])
    first = local.generate(prompt, GenerationParams(temperature=1.0, max_new_tokens=12, seed=7)).text
    assert first == local.generate(prompt, GenerationParams(temperature=1.0, max_new_tokens=12, seed=7)).text


class Flaky(BaseHTTPRequestHandler):
    "Answers 503 twice, then a valid completion; a slow path sleeps past the client's timeout."
    calls = 0
    def log_message(self, *args): pass
    def do_POST(self):
        type(self).calls += 1
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if body["messages"][0]["content"] == "slow": time.sleep(1.5)
        if type(self).calls <= 2: self.send_response(503); self.end_headers(); self.wfile.write(b"busy"); return
        data = json.dumps({"choices": [{"message": {"content": "ok"}}], "usage": {"prompt_tokens": 1, "completion_tokens": 1}}).encode()
        try: self.send_response(200); self.send_header("Content-Length", str(len(data))); self.end_headers(); self.wfile.write(data)
        except BrokenPipeError: pass  # the client gave up (the timeout test)


@pytest.fixture()
def flaky_url():
    Flaky.calls = 0
    server = ThreadingHTTPServer(("127.0.0.1", 0), Flaky); threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown(); server.server_close()


def test_http_adapter_retries_then_answers(flaky_url):
    assert OpenAICompatibleGenerator(flaky_url, "m", retries=2, backoff=0.01).generate("hi").text == "ok"
    assert Flaky.calls == 3


def test_http_adapter_gives_up_with_what_happened(flaky_url):
    with pytest.raises(GenerationError, match=r"no answer after 2 attempt\(s\): HTTP 503; HTTP 503"):
        OpenAICompatibleGenerator(flaky_url, "m", retries=1, backoff=0.01).generate("hi")


def test_http_adapter_times_out(flaky_url):
    Flaky.calls = 5  # past the 503s
    with pytest.raises(GenerationError, match="no answer after 1 attempt"):
        OpenAICompatibleGenerator(flaky_url, "m", retries=0, timeout=0.3).generate("slow")


def test_http_adapter_when_nothing_listens():
    with serve_openai_compatible(CallableGenerator(lambda p, q: p)) as url: pass  # the port is free again
    with pytest.raises(GenerationError, match="no answer after 2 attempt"):
        OpenAICompatibleGenerator(url, "m", retries=1, backoff=0.01, timeout=1).generate("x")


# --- checks on answers the demo does not contain -------------------------------------------------------------------------

def test_claims_of_another_bank():
    facts = other_bank_facts()[0]
    prompt = TEMPLATES[0].render(facts)
    clean = "Customer K-1 (Hanne Berg): 2 payments on 2026-03-01 and 2026-03-03, total 135,000.49 EUR; largest 125,000.50 EUR to Z77701 (Fjord Shipping AB) in SE."
    assert gc.unsupported_claims(clean, prompt) == {kind: [] for kind in gc.CLAIM_KINDS}
    wrong = clean.replace("125,000.50", "125,500.50").replace("SE.", "NO.").replace("2026-03-03", "2026-03-04")
    found = gc.unsupported_claims(wrong, prompt)
    assert found["amount"] == ["125500.50"] and found["country"] == ["NO"] and found["date"] == ["2026-03-04"]
    assert facts["drawn_fields"] == []  # this bank's names and memos are its own


def test_identifier_pattern_is_a_parameter():
    patterns = gc.claim_patterns(identifier_digits=6)
    assert gc.extract_claims("Z77701 and A123", patterns)["identifier"] == []  # five digits are not an identifier at six
    assert gc.extract_claims("Z777012", patterns)["identifier"] == ["Z777012"]


def test_leakage_and_pii_beyond_the_demo():
    spec = load_spec(project_root() / "reports/genai_specs/alert_narrative.yaml")
    case = {**other_bank_facts()[0], "truth": "escalate", "disposition": "escalate"}
    prompt = spec.render(case)
    answer = "Also related: Z99999 and IBAN DE89 3704 0044 0532 0130 00, phone +49 030 123 4567, SSN 123-45-6789."
    scored = tasks.score_case(spec, case, prompt, answer, private={"Z99999", "Z77701"})  # Z77701 is this case's own counterparty: in the prompt
    assert scored["leaked"] and scored["leaks"].split("; ")[0] == "Z99999" and "iban:" in scored["leaks"] and "us_ssn:" in scored["leaks"]
    assert "Z77701" not in scored["leaks"]


@pytest.mark.parametrize("answer,expected", [("I recommend that we ESCALATE.", "escalate"), ("Recommendation - close", "close"),
                                             ("escalate? no: close", "close"), ("Unable to assess.", None)])
def test_stated_decision(answer, expected):
    assert tasks.stated_decision(answer, ["escalate", "close"]) == expected


# --- statistics against the references ------------------------------------------------------------------------------------

@pytest.mark.parametrize("seed", range(5))
def test_statistics_match_references(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(5, 400)); k = int(rng.integers(0, n + 1)); level = float(rng.choice([0.8, 0.9, 0.95, 0.99]))
    assert np.allclose(gc.wilson_interval(k, n, level), proportion_confint(k, n, alpha=1 - level, method="wilson"), atol=1e-9, rtol=0)
    a, b = rng.random(n) < 0.5, rng.random(n) < 0.6
    table = [[np.sum(a & b), np.sum(a & ~b)], [np.sum(~a & b), np.sum(~a & ~b)]]
    assert abs(gc.mcnemar_test(a, b).p_value - mcnemar(table, exact=True).pvalue) < 1e-9
    x, y = rng.normal(size=n), rng.normal(0.2, 1, size=n)
    paired = gc.paired_difference(x, y, level)
    assert abs(paired.p_value - stats.wilcoxon(y - x).pvalue) < 1e-9
    assert np.allclose([paired.detail["interval low"], paired.detail["interval high"]], stats.ttest_rel(y, x).confidence_interval(level), atol=1e-9, rtol=0)


# --- the harness on another application and another bank ------------------------------------------------------------------

def test_harness_on_another_bank_and_application(tmp_path):
    "The alert-narrative spec on another bank's alerts (its own names, EUR, identifiers), read from a case file in the user's folder."
    base = other_bank_facts()
    facts = [dict(base[i % 2], alert_id=f"x{i}") for i in range(40)]
    cases = pd.DataFrame({"alert_id": [f["alert_id"] for f in facts], "facts": [json.dumps(f) for f in facts],
                          "truth": ["escalate" if f["customer_id"] == "K-1" else "close" for f in facts], "disposition": "escalate",
                          "period": pd.date_range("2026-01-01", periods=40, freq="5D")})
    cases.to_parquet(tmp_path / "alerts_for_review.parquet")
    def application(prompt, params):  # right recommendation, but invents a date whenever the memo says "refund"
        case = base[0] if "K-1" in prompt else base[1]
        text = reference_narrative(case, "escalate" if "K-1" in prompt else "close")
        return text.replace("2026-03-03", "2026-03-09") if "refund" in prompt else text
    spec = load_spec(project_root() / "reports/genai_specs/alert_narrative.yaml")
    result = tasks.evaluate_application(CallableGenerator(application, "other"), spec, pd.read_parquet(tmp_path / "alerts_for_review.parquet"), tasks.TaskHarnessConfig(perturbation_cases=10))
    status = result.check_table().set_index("check").status
    assert status["GenAI groundedness"] == "fail"  # every K-1 narrative carries the invented date: half of them
    assert status["GenAI decision accuracy"] == "pass" and status["GenAI completeness"] == "pass"
    escalated = result.answers["decision vs truth"] == "escalate"
    assert (result.answers.unsupported_claims[escalated] == "date: 2026-03-09").all() and (result.answers.unsupported[~escalated] == 0).all()
    measures = result.measures.set_index("measure").value
    assert measures["decision_precision vs disposition"] == 1.0 and measures["decision_recall vs disposition"] == 0.5  # people escalated all 40
    with pytest.raises(Exception, match="column 'truth', rule: one of the decision labels \\['escalate', 'close'\\]: 1 row\\(s\\) fail"):
        tasks.evaluate_application(CallableGenerator(application), spec, cases.assign(truth=cases.truth.tolist()[:-1] + ["file SAR"]))

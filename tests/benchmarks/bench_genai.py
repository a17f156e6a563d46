"""Generative-AI harness benchmark, measured in one run on this machine.

The demo narrative model (trained and cached on first use) is served over an OpenAI-compatible endpoint on 127.0.0.1;
the harness renders, sends and scores 2,000 alert cases through it. Printed:

(a) cases per second end to end over HTTP, and the generation's share of the time;
(b) the harness's own overhead per case, excluding generation: rendering the prompt from the alert-narrative spec and
    scoring the answer (claims, required elements, the decision, leakage), target under 5 ms;
(c) the baseline measured in the same run: the same 2,000 cases through the same endpoint with an application that
    answers instantly (the reference narrative), i.e. the cost of HTTP transport alone; and the ratio of the model's
    end-to-end time to it.

MRM_BENCH_GENAI_CASES sets the number of cases (default 2,000).
"""
import os, tempfile, time
import numpy as np, pandas as pd

CASES = int(os.environ.get("MRM_BENCH_GENAI_CASES", 2_000))


def timed_run(generator, spec, cases, params, private):
    "Render, generate, score; returns (seconds in all, seconds generating, frame)."
    from mrm_research.genai.tasks import score_case
    started = time.perf_counter()
    prompts = [spec.render(c) for c in cases]
    generating = time.perf_counter()
    generations = generator.generate_many(prompts, params)
    generated = time.perf_counter()
    frame = pd.DataFrame([score_case(spec, c, p, g.text, private) for c, p, g in zip(cases, prompts, generations)])
    return time.perf_counter() - started, generated - generating, frame


def main() -> None:
    from mrm_research.core import project_root
    from mrm_research.aml.synthetic import BankConfig
    from mrm_research.aml.typologies import TypologyConfig, generate_labelled_bank
    from mrm_research.genai.adapters import CallableGenerator, GenerationParams, OpenAICompatibleGenerator, TransformersGenerator, serve_openai_compatible
    from mrm_research.genai.application import load_prompt_template, reference_narrative
    from mrm_research.genai.model import narrative_cases, narrative_model, sample_cases
    from mrm_research.genai.spec import check_cases, load_spec
    import json

    templates = [load_prompt_template(project_root() / f"reports/genai_prompts/alert_narrative_v{v}.yaml") for v in (1, 2)]
    started = time.perf_counter(); folder = narrative_model(templates)
    print(f"narrative model: {folder} ({time.perf_counter() - started:.1f} s to train or load from the cache)")
    bank = generate_labelled_bank(BankConfig(customers=2_000, transactions=100_000, days=90, start="2025-01-01", seed=7), TypologyConfig())
    with tempfile.TemporaryDirectory() as scratch: cases = narrative_cases(bank, f"{scratch}/bank", seed=7)
    cases = sample_cases(cases, CASES, 0.3, seed=7) if len(cases) >= CASES else cases.sample(CASES, replace=True, random_state=7).reset_index(drop=True)
    facts = [dict(f, alert_id=f"{f['alert_id']}#{i}") for i, f in enumerate(cases.facts)]
    spec = load_spec(project_root() / "reports/genai_specs/alert_narrative.yaml")
    table = check_cases(pd.DataFrame({"alert_id": [f["alert_id"] for f in facts], "facts": [json.dumps(f) for f in facts], "truth": cases.truth,
                                      "disposition": cases.disposition, "period": cases.period}), spec)
    records = table.to_dict("records")
    private = {f["customer_id"] for f in facts}
    params = GenerationParams(max_new_tokens=120)
    by_prompt = {spec.render(c): reference_narrative(f, t) for c, f, t in zip(records, facts, cases.truth)}

    with serve_openai_compatible(CallableGenerator(lambda prompt, p: by_prompt[prompt], "instant")) as url:
        base_total, base_generating, _ = timed_run(OpenAICompatibleGenerator(url, "instant"), spec, records, params, private)
    with serve_openai_compatible(TransformersGenerator(folder, device="cpu")) as url:
        total, generating, frame = timed_run(OpenAICompatibleGenerator(url, "narrative", timeout=120), spec, records, params, private)
    overhead_ms = (total - generating) / len(facts) * 1e3
    print(f"(a) {len(facts):,} cases over HTTP in {total:.1f} s: {len(facts) / total:.1f} cases per second; generation {generating / total:.1%} of the time")
    print(f"(b) harness overhead per case (render + score, excluding generation): {overhead_ms:.2f} ms (target < 5 ms: {'met' if overhead_ms < 5 else 'NOT met'})")
    print(f"(c) baseline, an instant application over the same endpoint: {base_total:.1f} s ({base_generating / len(facts) * 1e3:.2f} ms of HTTP per case); "
          f"model end to end / baseline = {total / base_total:.1f}x")
    print(f"    answers with an unsupported claim: {(frame.unsupported > 0).mean():.1%}; without a recommendation: {(frame.decision == '<none>').mean():.1%}")


if __name__ == "__main__":
    main()

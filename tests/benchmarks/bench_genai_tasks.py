"""The spec-driven harness's own overhead per answer, for every task type, measured in one run on this machine.

Each application answers instantly (a Python callable), so what is timed is the harness: rendering the prompt from the
spec, reading the answer for its task (label, JSON fields, sources), scoring it (correctness, claims traced to the
context, leakage, decisions compared), and building the perturbed cases. Printed per task type:

(a) answers scored (all runs: baseline, probes, swaps, typos, seeds) and the harness overhead per answer, target < 5 ms;
(b) the baseline measured in the same run: the same prompts through the application's `generate_many` alone, and the
    ratio of the whole evaluation's time to it;
(c) agents: the demo's task suite run by the scripted investigator (three trials each, repeated to MRM_BENCH_GENAI_TASK_CASES
    episodes' worth): the harness's time per episode beyond the agent's own (sandbox, tools, audit log, end state,
    scoring), target < 20 ms, beside the agent's own time per episode.

MRM_BENCH_GENAI_TASK_CASES sets the number of cases per task type (default 500).
"""
import os, sys, time
from pathlib import Path
import pandas as pd

CASES = int(os.environ.get("MRM_BENCH_GENAI_TASK_CASES", 500))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the applications of tests/test_genai_spec.py


def applications():
    "(task, spec, application, cases, documents) for each task type."
    import numpy as np
    from test_genai_spec import KYC_SPEC, MANUAL, QA_SPEC, SUMMARY_SPEC, _kyc_cases, _kyc_extract, _policy_answer
    from mrm_research.genai.spec import load_spec
    rng = np.random.default_rng(0)
    questions = pd.DataFrame({"question_id": [f"Q-{i:05d}" for i in range(CASES)], "question": rng.choice(["When are cash transactions reported?", "How long are records kept?",
                              "What happens to a payment with sanctions hits?", "What is the bonus policy?"], CASES)})
    questions["answer"] = questions.question.map({"When are cash transactions reported?": "within 15 days", "How long are records kept?": "5 years",
                                                  "What happens to a payment with sanctions hits?": "the payment is frozen", "What is the bonus policy?": "UNANSWERABLE"})
    questions["relevant_sections"] = questions.answer.map({"within 15 days": "S1", "5 years": "S3", "the payment is frozen": "S4"})
    notes = [f"Customer C{100 + i} sent {1_000 + i:,}.00 to a new payee on 2025-03-15 and closed the account." for i in range(CASES)]
    summaries = pd.DataFrame({"case_id": [f"CASE-{i:05d}" for i in range(CASES)], "notes": notes, "summary": [n.split(" and closed")[0] for n in notes]})
    complaints = pd.DataFrame({"complaint_id": [f"CMP-{i:05d}" for i in range(CASES)], "customer_name": "Anna Berg",
                               "text": rng.choice(["I was charged twice", "My card was stolen", "The staff were rude"], CASES)})
    complaints["team"] = complaints.text.map({"I was charged twice": "billing", "My card was stolen": "fraud", "The staff were rude": "service"})
    router = load_spec("""
name: router
version: 1
task: classification
prompt: "Route to one of: {labels}.\\nCustomer: {customer_name}\\nComplaint: {text}"
cases: {id: complaint_id, reference: team, attacker_controlled: [text], free_text: [text]}
labels: [billing, fraud, service]
counterfactual: {column: customer_name, values: [Anna Berg, Wei Chen]}
""")
    route = lambda p, q: "fraud" if "stolen" in p else "billing" if "charged" in p else "service"
    return [("classification", router, route, complaints, None), ("extraction", load_spec(KYC_SPEC), _kyc_extract, _kyc_cases(CASES), None),
            ("retrieval_qa", load_spec(QA_SPEC), _policy_answer, questions, MANUAL),
            ("grounded_generation", load_spec(SUMMARY_SPEC), lambda p, q: p.split("Case notes: ", 1)[1].split(" and closed")[0] + ".", summaries, None)]


def main() -> None:
    from mrm_research.genai.adapters import CallableGenerator
    from mrm_research.genai.tasks import TaskHarnessConfig, evaluate_application
    for task, spec, function, cases, documents in applications():
        application = CallableGenerator(function, task)
        started = time.perf_counter()
        result = evaluate_application(application, spec, cases, TaskHarnessConfig(perturbation_cases=min(100, len(cases))), documents=documents)
        total = time.perf_counter() - started
        runs = [result.answers, result.injection, result.fairness, result.perturbed, result.consistency]
        answers, generating = sum(len(r) for r in runs), sum(r.latency_seconds.sum() for r in runs if len(r))
        overhead_ms = (total - generating) / answers * 1e3
        prompts = [spec.render(c) for c in cases.to_dict("records")]
        started = time.perf_counter(); application.generate_many(prompts); baseline = time.perf_counter() - started
        print(f"{task}: (a) {answers:,} answers in {total:.2f} s; harness overhead {overhead_ms:.2f} ms per answer (target < 5 ms: {'met' if overhead_ms < 5 else 'NOT met'}); "
              f"(b) baseline, the {len(prompts):,} prompts through the application alone: {baseline:.3f} s; evaluation / baseline = {total / baseline:.0f}x")


def agent_overhead() -> None:
    from mrm_research.genai.agents import CallableAgent, investigation_tasks, scripted_investigator, validate_agent
    tasks = investigation_tasks() * max(1, CASES // 39)
    started = time.perf_counter()
    result = validate_agent(CallableAgent(scripted_investigator, "scripted investigator"), tasks, trials=3)
    total, episodes = time.perf_counter() - started, result.episodes
    overhead_ms = (total - episodes.agent_seconds.sum()) / len(episodes) * 1e3
    print(f"agent: (c) {len(episodes):,} episodes in {total:.2f} s; harness overhead {overhead_ms:.2f} ms per episode beyond the agent "
          f"(target < 20 ms: {'met' if overhead_ms < 20 else 'NOT met'}); the agent itself {episodes.agent_seconds.mean() * 1e3:.2f} ms per episode")


if __name__ == "__main__":
    main()
    agent_overhead()

"""Governance store benchmarks, measured in one run on this machine (SQLite store).

(a) Listing queries at 10,000 models and 100,000 findings: the library calls behind `mrm inventory list`,
    `mrm inventory due`, `mrm findings list --status open` and `mrm findings overdue`, then the commands themselves
    (first 100 rows shown, as by default), with `mrm --help` as the start-up baseline. Target: each under 1 s.
(b) Audit-trail verification at 100,000 entries.
(c) Baseline in the same run: the same findings listing on 10,000 findings, so the ratio shows how the query grows.

The store is filled with bulk inserts (audit entries chained as the library writes them), not one transaction per row,
so that filling takes seconds; the queries and the verification are the library's own.
MRM_BENCH_FINDINGS sets the number of findings (e.g. 20000 for a quicker run).
"""
import datetime as dt, json, os, sys, tempfile, time
from pathlib import Path
import sqlalchemy as sa

MODELS, FINDINGS = 10_000, int(os.environ.get("MRM_BENCH_FINDINGS", 100_000))


def fill(store, models: int, findings: int) -> None:
    from mrm_research.governance.store import _entry_hash
    from mrm_research.governance.inventory import tier, identify, ai_act_category
    yes = {"quantitative_method": True, "estimates": True, "used_in_decisions": True, "deterministic_only": False}
    now = "2026-01-01T00:00:00Z"; model_rows, finding_rows, audit_rows, previous = [], [], [], "0" * 64
    for i in range(models):
        number, reason = tier(10 ** (6 + i % 4), 10 ** (2 + i % 5), ("low", "medium", "high")[i % 3], ("low", "medium", "high")[(i // 3) % 3])
        model_rows.append({"model_id": f"M{i:05d}", "record": "{}", "name": f"model {i}", "type": "ML classifier", "status": "in use", "owner": f"owner {i % 50}",
                           "tier": number, "tier_reason": reason, "is_model": True, "identification_reason": identify(yes)[1], "ai_act_category": "minimal risk",
                           "ai_act_reason": ai_act_category(True, "other")[1], "last_validated": (dt.date(2022, 1, 1) + dt.timedelta(days=i % 1400)).isoformat(),
                           "material_change": i % 97 == 0, "created_at": now, "updated_at": now})
    for j in range(findings):
        key = f"M{j % models:05d}/run{j // models}/F{j:06d}"
        row = {"key": key, "model_id": f"M{j % models:05d}", "run_id": f"run{j // models}", "finding_id": f"F{j:06d}", "test": "check_x", "title": "a check failed",
               "detail": "", "severity": ("high", "medium", "low")[j % 3], "status": ("open", "remediation planned", "closed", "risk accepted")[j % 4], "owner": "o",
               "due_date": (dt.date(2025, 1, 1) + dt.timedelta(days=j % 900)).isoformat(), "approver": None, "risk_expiry": "2027-01-01", "comments": "[]", "created_at": now, "updated_at": now}
        finding_rows.append(row)
        entry = {"sequence": j + 1, "at": now, "actor": "bench", "entity": "finding", "entity_key": key, "action": "create", "before": None, "after": json.dumps(row, sort_keys=True)}
        entry |= {"previous_hash": previous, "hash": _entry_hash(previous, entry)}; previous = entry["hash"]; audit_rows.append(entry)
    with store.write() as connection:
        for table, rows in (("models", model_rows), ("findings", finding_rows), ("audit_trail", audit_rows)):
            if rows: connection.execute(sa.text(f"INSERT INTO {table} ({', '.join(rows[0])}) VALUES ({', '.join(':' + k for k in rows[0])})"), rows)
        connection.execute(sa.text("INSERT INTO trail_head (id, entries, hash) VALUES (1, :n, :h)"), {"n": len(audit_rows), "h": previous})


def timed(call) -> tuple[float, object]:
    started = time.perf_counter(); out = call(); return time.perf_counter() - started, out


def main() -> int:
    from mrm_research.governance.store import Store, verify_trail
    from mrm_research.governance import findings as gf, inventory as gi
    folder = Path(tempfile.mkdtemp())
    small, large = Store(f"sqlite:///{folder / 'small.sqlite'}"), Store(f"sqlite:///{folder / 'large.sqlite'}")
    fill(small, MODELS, FINDINGS // 10); fill(large, MODELS, FINDINGS)
    baseline, _ = timed(lambda: gf.list_findings(small, status="open"))
    rows = [("inventory list (10,000 models)", lambda: gi.list_models(large)), ("inventory due", lambda: gi.due(large, dt.date(2026, 6, 1))),
            (f"findings list --status open ({FINDINGS:,} findings)", lambda: gf.list_findings(large, status="open")),
            ("findings overdue", lambda: gf.overdue(large, dt.date(2026, 6, 1)))]
    print(f"\ngovernance store benchmark (SQLite; {MODELS:,} models, {FINDINGS:,} findings)")
    for label, call in rows:
        seconds, out = timed(call)
        print(f"  {label:<52s} {seconds:7.3f} s  ({len(out):,} rows)   target < 1  {'met' if seconds < 1 else 'NOT MET'}")
    seconds, report = timed(lambda: verify_trail(large))
    print(f"  {'verify the audit trail (' + format(report.entries, ',') + ' entries)':<52s} {seconds:7.3f} s  ({'intact' if report.ok else 'BROKEN'})")
    import subprocess
    mrm = str(Path(sys.executable).parent / "mrm"); url = large.url
    cli = lambda *args: timed(lambda: subprocess.run([mrm, *args], capture_output=True, text=True, check=True))[0]
    startup = min(cli("--help") for _ in range(2))
    for args in (("inventory", "list"), ("inventory", "due", "--as-of", "2026-06-01"), ("findings", "list", "--status", "open"), ("findings", "overdue", "--as-of", "2026-06-01")):
        seconds = min(cli(*args, "--store", url) for _ in range(2))
        print(f"  CLI mrm {' '.join(args):<47s} {seconds:7.3f} s  (start-up alone {startup:.3f} s; query and table {seconds - startup:.3f} s)   target < 1  {'met' if seconds < 1 else 'NOT MET'}")
    large_list, _ = timed(lambda: gf.list_findings(large, status="open"))
    print(f"  findings list growth: {large_list:.3f} s at {FINDINGS:,} against {baseline:.3f} s at {FINDINGS // 10:,} (ratio {large_list / baseline:.1f} for 10x the rows)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

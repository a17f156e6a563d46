"""Trade-surveillance benchmarks, measured in one run on this machine.

(a) Generating the synthetic market at about 10^7 order events (target: under 3 minutes and 4 GiB).
(b) Every detector over those events: seconds each and in all (target: under 120 s on 2 cores), and the peak memory
    of the process (resident set size high-water mark, from the kernel).
(c) The vectorised spoofing search against a per-order Python loop written the obvious way (for each fill, scan the
    account's orders in the instrument), both on the same first 200,000 events; the ratio is measured in this run.

MRM_BENCH_SURVEILLANCE_ORDERS sets the number of bona fide orders (default 4,700,000, about 10^7 events).
"""
import os, resource, time
import numpy as np, pandas as pd

ORDERS = int(os.environ.get("MRM_BENCH_SURVEILLANCE_ORDERS", 4_700_000))


def peak_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def loop_spoofing(events: pd.DataFrame, lookback: float = 30.0, window: float = 10.0) -> dict[str, float]:
    "The baseline: the documented rule, one fill at a time, scanning the account's cancellations in Python."
    from mrm_research.surveillance.detectors import order_lifecycles
    orders = order_lifecycles(events.sort_values("event_time", kind="stable"))
    by_key = {key: group for key, group in orders.groupby(["account_id", "instrument_id"])}
    values = {}
    for fill in orders[orders.end == "fill"].itertuples():
        opposite = same = 0.0; found = False
        for order in by_key[(fill.account_id, fill.instrument_id)].itertuples():
            placed_in_lookback = fill.end_ns - lookback * 1e9 <= order.placed_ns <= fill.end_ns
            if order.side != fill.side and order.end == "cancel" and placed_in_lookback and fill.end_ns < order.end_ns <= fill.end_ns + window * 1e9:
                opposite += order.quantity; found = True
            elif order.side == fill.side and order.order_id != fill.order_id and placed_in_lookback: same += order.quantity
        if found: values[fill.order_id] = (opposite - same) / fill.quantity
    return values


def main() -> None:
    from mrm_research.surveillance.synthetic import MarketConfig, generate_market
    from mrm_research.surveillance.detectors import DETECTORS, spoofing_candidates
    print(f"Surveillance benchmark: {ORDERS:,} bona fide orders, {os.cpu_count()} CPU(s)")
    started = time.perf_counter()
    market = generate_market(MarketConfig(orders=ORDERS, days=20, accounts=5_000, seed=1))
    generated = time.perf_counter() - started
    print(f"(a) market: {len(market['order_events']):,} order events, {len(market['executions']):,} executions in {generated:.1f} s "
          f"(target < 180 s); peak so far {peak_gib():.2f} GiB (target < 4)")
    total = 0.0
    for name, (find, spec) in DETECTORS.items():
        started = time.perf_counter(); found = find(market, spec()); seconds = time.perf_counter() - started; total += seconds
        print(f"(b) {name:<18} {seconds:7.1f} s   {len(found):>9,} candidates")
    print(f"(b) all detectors   {total:7.1f} s   (target < 120 s); peak {peak_gib():.2f} GiB")
    sample = {"order_events": market["order_events"].head(200_000), "instruments": market["instruments"]}
    started = time.perf_counter(); vectorised = spoofing_candidates(sample); fast = time.perf_counter() - started
    started = time.perf_counter(); looped = loop_spoofing(sample["order_events"]); slow = time.perf_counter() - started
    agree = len(looped) == len(vectorised) and np.allclose(sorted(looped.values()), np.sort(vectorised.driving_value.to_numpy()))
    print(f"(c) spoofing on 200,000 events: vectorised {fast:.3f} s, per-order loop {slow:.1f} s, ratio {slow / fast:.0f}x; "
          f"same {len(vectorised):,} candidates and values: {'yes' if agree else 'NO'}")
    if not agree: raise SystemExit("the vectorised spoofing search and the loop disagree")


if __name__ == "__main__":
    main()

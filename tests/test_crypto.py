"""Crypto on-chain monitoring on data the demo does not contain: a hand-built exchange with its own chain
names, address formats, customer ids and segments, where every detector's driving value is known by construction;
the exposure trace against a matrix computation on a generated chain; clustering measured against scikit-learn's pair
counts; and each typology planted alone at thresholds tuned on another chain."""
import numpy as np, pandas as pd, pytest
from scipy import sparse
from sklearn.metrics.cluster import pair_confusion_matrix
from mrm_research.core import ParameterError
from mrm_research.crypto.chain import ChainConfig, TYPOLOGIES, generate_chain
from mrm_research.crypto import clustering, exposure, detectors

HOUR = pd.Timedelta(hours=1)
START = pd.Timestamp("2024-06-01 00:00:00")


class Exchange:
    "A tiny foreign exchange: chains 'solana' and 'litecoin', addresses in its own formats, customer ids like 'acct-7'."
    def __init__(self):
        self.rows, self.roles = [], {}
        self.customers = pd.DataFrame({"customer_id": ["acct-1", "acct-2", "acct-3", "acct-4", "acct-5"], "segment": ["standard", "standard", "vip", "standard", "standard"]})
        for chain in ("solana", "litecoin"):
            self.roles[f"{chain}:hot"] = ("hot_wallet", None, None, None)
            for customer in self.customers.customer_id: self.roles[f"{chain}:dep:{customer}"] = ("deposit", customer, None, None)

    def pay(self, chain, source, target, value, at, tx=None, asset="USDC", customer=None):
        for name in (source, target): self.roles.setdefault(name, ("external", None, None, None))
        self.rows.append({"tx_hash": tx or f"h{len(self.rows)}", "chain": chain, "block_time": at, "from_address": source, "to_address": target,
                          "asset": asset, "amount": value, "value_usd": value, "exchange_customer_id": customer})

    def deposit(self, chain, source, customer, value, at, asset="USDC"):
        self.pay(chain, source, f"{chain}:dep:{customer}", value, at, asset=asset, customer=customer)

    def label(self, address, category, entity):
        role = self.roles.get(address, ("external", None, None, None))
        self.roles[address] = (role[0], role[1], category, entity)

    def data(self):
        transfers = pd.DataFrame(self.rows).assign(transfer_id=lambda f: np.arange(len(f), dtype=np.int64))
        addresses = pd.DataFrame([{"address": a, "chain": a.split(":")[0] if ":" in a else "solana", "role": r, "customer_id": c, "label_category": l, "label_entity": e}
                                  for a, (r, c, l, e) in self.roles.items()])
        return {"exchange_customers": self.customers, "chain_addresses": addresses, "chain_transfers": transfers}


@pytest.fixture(scope="module")
def foreign():
    x = Exchange()
    # acct-1: 6 stablecoin cycles within 3 days (deposit, withdrawal of 95 % two hours later), then 2 more 20 days later
    for day in list(range(0, 6)) + [20, 21]:
        at = START + pd.Timedelta(days=day * 0.5 if day < 6 else day)
        x.deposit("solana", "sol-wallet-a1", "acct-1", 10_000, at)
        x.pay("solana", "solana:hot", f"sol-out-{day}", 9_500, at + 2 * HOUR, customer="acct-1")
    # acct-2: 12 distinct senders within 10 days, 3 more 60 days later
    for n in range(12): x.deposit("solana", f"sol-sender-{n}", "acct-2", 500, START + pd.Timedelta(days=n * 0.8))
    for n in range(3): x.deposit("solana", f"sol-late-{n}", "acct-2", 500, START + pd.Timedelta(days=70 + n))
    # acct-3 (vip): a 7-step peel chain on litecoin, each step peeling 5 % into its deposit address
    remaining, holder = 100_000.0, "ltc-h0"
    x.pay("litecoin", "ltc-source", holder, remaining, START)
    for step in range(7):
        at, peel, nxt = START + (step + 1) * HOUR, remaining * 0.05, f"ltc-h{step + 1}"
        x.pay("litecoin", holder, "litecoin:dep:acct-3", peel, at, tx=f"peel{step}", customer="acct-3", asset="LTC")
        x.pay("litecoin", holder, nxt, remaining - peel, at, tx=f"peel{step}", asset="LTC")
        holder, remaining = nxt, remaining - peel
    # acct-4: 3 bridge crossings (litecoin -> solana -> litecoin -> solana), then a deposit
    for name in ("br-ltc-in", "br-ltc-out"): x.label(name, "bridge", "wormhole-like")
    for name in ("br-sol-in", "br-sol-out"): x.label(name, "bridge", "wormhole-like")
    at, value, holder = START + pd.Timedelta(days=5), 40_000.0, "ltc-hopper-0"
    route = [("litecoin", "solana"), ("solana", "litecoin"), ("litecoin", "solana")]
    for number, (here, there) in enumerate(route, 1):
        short = {"litecoin": "ltc", "solana": "sol"}
        x.pay(here, holder, f"br-{short[here]}-in", value, at); at += 20 * pd.Timedelta(minutes=1); value *= 0.998
        holder = f"{short[there]}-hopper-{number}"; x.pay(there, f"br-{short[there]}-out", holder, value, at); at += 30 * pd.Timedelta(minutes=1)
    x.deposit("solana", holder, "acct-4", value, at + HOUR)
    # acct-5: a mixer pays m1 (with as much clean money), m1 pays the deposit: exposure share 1/2 at hop 2
    x.label("mixer-x", "mixer", "mixer-x"); x.pay("solana", "mixer-x", "sol-m1", 1_000, START); x.pay("solana", "sol-clean", "sol-m1", 1_000, START)
    x.deposit("solana", "sol-m1", "acct-5", 800, START + HOUR)
    # a one-hop bridge user who deposits: one crossing only
    x.pay("solana", "sol-tourist", "br-sol-in", 700, START + pd.Timedelta(days=30)); x.pay("litecoin", "br-ltc-out", "ltc-tourist", 699, START + pd.Timedelta(days=30, minutes=10))
    x.deposit("litecoin", "ltc-tourist", "acct-1", 699, START + pd.Timedelta(days=30, hours=2), asset="LTC")
    return x.data()


def values(candidates):
    return candidates.set_index("customer_id").driving_value.to_dict()


def test_detectors_on_a_foreign_exchange(foreign):
    monitor = detectors.ChainMonitor.build(foreign)
    found = detectors.run_detectors(monitor)
    assert values(found["stablecoin_cycling"]) == {"acct-1": 6.0}  # 6 within 7 days, the 2 late ones apart
    assert values(found["nested_exchange"])["acct-2"] == 12.0  # 12 senders in 30 days; the late 3 are in another window
    assert values(found["peel_chain"]) == {"acct-3": 7.0}
    assert values(found["chain_hopping"]) == {"acct-4": 3.0, "acct-1": 1.0}
    assert values(found["mixer_use"]) == pytest.approx({"acct-5": 0.5})
    assert found["sanctioned_exposure"].empty
    assert set(found["peel_chain"].segment) == {"vip"}  # the exchange's own segment names pass through


def test_detectors_see_owners_not_addresses(foreign):
    "Nested exchange counts clusters: twelve senders that are one owner (co-spending on a UTXO chain) count once."
    data = {k: v.copy() for k, v in foreign.items()}
    t = data["chain_transfers"]; rows = t[t.from_address.str.startswith("sol-sender-")]
    extra = pd.DataFrame([{**rows.iloc[0].to_dict(), "tx_hash": "merge", "chain": "bitcoin", "from_address": a, "to_address": "sink", "transfer_id": 10_000 + i}
                          for i, a in enumerate(rows.from_address)])
    data["chain_transfers"] = pd.concat([t, extra], ignore_index=True)
    data["chain_addresses"] = pd.concat([data["chain_addresses"], pd.DataFrame([{"address": "sink", "chain": "bitcoin", "role": "external"}])], ignore_index=True)
    monitor = detectors.ChainMonitor.build(data, max_inputs=None)
    assert values(detectors.find_candidates(monitor, "nested_exchange"))["acct-2"] == 3.0  # the twelve are one owner; the three late senders' window now leads
    assert values(detectors.find_candidates(detectors.ChainMonitor.build(data, use_clusters=False), "nested_exchange"))["acct-2"] == 12.0


def test_bad_chain_data_is_refused(foreign):
    broken = {**foreign, "chain_transfers": foreign["chain_transfers"].assign(value_usd=lambda f: f.value_usd.where(f.index != 3, -1.0))}
    with pytest.raises(ParameterError, match="chain_transfers: column value_usd: 1 rows fail ge 0"):
        exposure.ChainEngine(broken)
    with pytest.raises(ParameterError, match="dataset exchange_customers is missing"):
        exposure.ChainEngine({k: v for k, v in foreign.items() if k != "exchange_customers"})


def test_addresses_in_another_letter_case_are_refused_not_lost(foreign, tmp_path):
    "The exchange's address book in capitals (as a checksum-case export writes 0x addresses), its transfers in lower case, read from a folder: refused naming an example, where every deposit and label dropped out of the traces (no customer was exposed)."
    written = {**foreign, "chain_addresses": foreign["chain_addresses"].assign(address=lambda f: f.address.str.upper())}
    for name, frame in written.items(): frame.to_parquet(tmp_path / f"{name}.parquet")
    with pytest.raises(ParameterError, match=r"chain_addresses: \d+ address(es)? with a role or a label (is|are) written in another letter case in chain_transfers \(e.g. [A-Z0-9:-]+ there as [a-z0-9:-]+\)"):
        detectors.ChainMonitor.build(tmp_path)


@pytest.fixture(scope="module")
def generated():
    return generate_chain(ChainConfig(customers=400, private_entities=1_500, transfers=30_000, seed=77))


def test_exposure_matches_matrix_powers(generated):
    "The SQL trace against F^T S, F^T P F^T S, ... computed with scipy on every address and category (no pruning)."
    engine = exposure.ChainEngine(generated)
    ours = exposure.trace_exposure(engine, generated["chain_addresses"], hops=4, min_share=0, time_respecting=False).set_index(["address", "category", "hop"]).share
    t, a = generated["chain_transfers"], generated["chain_addresses"]
    t = t[t.from_address != t.to_address]; index = pd.Index(a.address)
    F = sparse.csr_matrix((t.value_usd.to_numpy(), (index.get_indexer(t.from_address), index.get_indexer(t.to_address))), shape=(len(index),) * 2)
    received = np.asarray(F.sum(axis=0)).ravel()
    F = F @ sparse.diags(np.divide(1, received, out=np.zeros_like(received), where=received > 0))
    categories = ("mixer", "sanctioned", "darknet_market", "scam")
    level = F.T @ np.stack([(a.label_category == c).to_numpy(float) for c in categories], axis=1)
    passable = sparse.diags(((a.role == "external") & a.label_category.isna()).to_numpy(float))
    for hop in range(1, 5):
        rows, cols = np.nonzero(level)
        expected = pd.Series(level[rows, cols], index=pd.MultiIndex.from_arrays([index[rows], np.array(categories)[cols], np.full(len(rows), hop)]))
        assert len(ours.xs(hop, level=2)) == len(expected)
        assert np.abs(ours.reindex(expected.index).to_numpy() - expected.to_numpy()).max() < 1e-12
        level = F.T @ (passable @ level)
    assert exposure.exposure_bounds(exposure.address_exposure(ours.reset_index()))["above_one"] == 0


def test_time_respecting_exposure_known_values():
    "An intermediary pays on before and after mixer money arrives; a payment in the same block as a receipt does not carry it."
    hour = lambda h: pd.Timestamp("2026-03-01") + pd.Timedelta(hours=h)
    rows = [("clean_src", "mid", 1_000.0, 1), ("mid", "early_payee", 500.0, 2), ("mixer_x", "mid", 1_000.0, 3), ("mid", "dep_1", 1_000.0, 4),
            ("mixer_x", "mid2", 300.0, 5), ("mid2", "dep_1", 300.0, 5)]
    transfers = pd.DataFrame(rows, columns=["from_address", "to_address", "value_usd", "block_time"]).assign(
        transfer_id=lambda f: [f"TR-{i}" for i in range(len(f))], tx_hash=lambda f: [f"0x{i:04x}" for i in range(len(f))], chain="tron",
        asset="USDT", amount=lambda f: f.value_usd, exchange_customer_id=None, block_time=lambda f: f.block_time.map(hour))  # block n at hour n (the engine refuses a time stored as a number)
    names = sorted(set(transfers.from_address) | set(transfers.to_address))
    addresses = pd.DataFrame({"address": names, "chain": "tron", "role": ["deposit" if n == "dep_1" else "external" for n in names],
                              "customer_id": ["klant-1" if n == "dep_1" else None for n in names],
                              "label_category": ["mixer" if n == "mixer_x" else None for n in names], "label_entity": None})
    chain = {"chain_transfers": transfers, "chain_addresses": addresses, "exchange_customers": pd.DataFrame({"customer_id": ["klant-1"], "segment": ["particulier"]})}
    engine = exposure.ChainEngine(chain)
    timed = exposure.trace_exposure(engine, addresses, hops=2, min_share=0).set_index(["address", "hop"]).share
    assert timed[("mid", 1)] == pytest.approx(0.5) and ("early_payee", 2) not in timed.index  # paid before the mixer money came
    assert timed[("dep_1", 2)] == pytest.approx(1_000 * 0.5 / 1_300)  # half of what mid held when it paid; mid2 paid in the block it received
    whole = exposure.trace_exposure(engine, addresses, hops=2, min_share=0, time_respecting=False).set_index(["address", "hop"]).share
    assert whole[("early_payee", 2)] == pytest.approx(0.5) and whole[("dep_1", 2)] == pytest.approx((1_000 * 0.5 + 300 * 1.0) / 1_300)
    customer = exposure.customer_exposure(engine, exposure.address_exposure(timed.reset_index().assign(category="mixer")))
    assert customer.share.tolist() == [pytest.approx(500 / 1_300)]


def test_clustering_quality_agrees_with_sklearn(generated):
    clusters = clustering.cluster_addresses(generated["chain_transfers"], generated["chain_addresses"])
    owners = generated["address_truth"].set_index("address").entity_id
    quality = clustering.clustering_quality(clusters, owners)
    matrix = pair_confusion_matrix(owners.reindex(clusters.index).to_numpy(), clusters.to_numpy())
    assert quality["precision"] == pytest.approx(matrix[1, 1] / (matrix[1, 1] + matrix[0, 1]), rel=1e-12)
    assert quality["recall"] == pytest.approx(matrix[1, 1] / (matrix[1, 1] + matrix[1, 0]), rel=1e-12)
    guarded = clustering.heuristic_comparison(generated["chain_transfers"], generated["chain_addresses"], generated["address_truth"]).set_index("heuristics")
    assert guarded.loc["both", "precision"] > guarded.loc["both, no coinjoin guard", "precision"]
    assert guarded.loc["both", "precision"] > guarded.loc["both, no third-party guard", "precision"]


def test_each_typology_planted_alone_alerts_at_thresholds_tuned_elsewhere(generated):
    "Thresholds tuned on one chain (per segment, shared tuning module); each typology planted alone in fresh chains of other seeds."
    labels = generated["crypto_pattern_labels"]
    tuned, skipped = detectors.tune_detectors(detectors.ChainMonitor.build(generated), labels)
    assert skipped == {} and set(tuned) == set(TYPOLOGIES)
    thresholds = detectors.recommended_thresholds(tuned)
    for seed in (101, 202):
        alone = detectors.planted_alone(thresholds, seed=seed)
        assert (alone.result == "pass").all(), alone


def test_a_chain_without_bridges_or_stablecoins_is_tuned_where_it_can_be(tmp_path):
    "An exchange on one chain with no bridge and no stablecoin: those detectors have no candidate and are set apart with the reason; read from Parquet files."
    from mrm_research.crypto.chain import write_chain
    chain = generate_chain(ChainConfig(customers=300, private_entities=1_000, transfers=20_000, seed=9, services={"mixer": 2, "scam": 2, "exchange": 2},
                                       patterns={"peel_chain": 3, "mixer_use": 3}, label_coverage=1.0))
    keep, labels = chain["chain_transfers"].chain.eq("bitcoin"), chain["crypto_pattern_labels"]
    only = {**chain, "chain_transfers": chain["chain_transfers"][keep].reset_index(drop=True), "crypto_pattern_labels": labels[labels.chain == "bitcoin"]}
    assert only["crypto_pattern_labels"].typology.nunique() == 2
    write_chain(only, tmp_path)
    monitor = detectors.ChainMonitor.build(tmp_path)  # DuckDB reads the files; clustering reads four columns
    tuned, skipped = detectors.tune_detectors(monitor, only["crypto_pattern_labels"])
    assert set(skipped) == {"chain_hopping", "stablecoin_cycling", "sanctioned_exposure"}
    assert all("no customer has anything" in reason for reason in skipped.values())
    recall = detectors.pattern_recall(detectors.run_detectors(monitor), only["crypto_pattern_labels"], detectors.recommended_thresholds(tuned))
    assert recall.groupby("typology").detected.mean().to_dict() == {"mixer_use": 1.0, "peel_chain": 1.0}


VENDOR_MAPPING = {"columns": {"address": "wallet", "chain": "network", "category": "risk_type", "entity": "cluster_name"},
                  "categories": {"bridge": ["Cross-Chain Bridge"], "mixer": ["Mixing Service", "CoinJoin"]}, "ignored": ["Gambling"],
                  "chains": {"SOL": "solana", "LTC": "litecoin"}}


def vendor_file(foreign) -> pd.DataFrame:
    "The foreign exchange's labels as a vendor delivers them: its columns, categories and chain codes, plus labels of addresses the exchange never saw."
    labelled = foreign["chain_addresses"].dropna(subset=["label_category"])
    names = {"bridge": "Cross-Chain Bridge", "mixer": "Mixing Service"}
    rows = [{"wallet": r.address, "network": {"solana": "SOL", "litecoin": "LTC"}[r.chain], "risk_type": names[r.label_category], "cluster_name": r.label_entity} for r in labelled.itertuples()]
    rows += [{"wallet": "sol-casino", "network": "SOL", "risk_type": "Gambling", "cluster_name": "dice"}, {"wallet": "ltc-elsewhere", "network": "LTC", "risk_type": "CoinJoin", "cluster_name": "cj"}]
    return pd.DataFrame(rows)


def test_a_vendors_labels_in_its_own_vocabulary_give_the_same_detection(foreign):
    from mrm_research.crypto.vendor_labels import VendorLabelMapping, apply_vendor_labels, vendor_labels
    mapping = VendorLabelMapping(**VENDOR_MAPPING)
    unlabelled = foreign["chain_addresses"].assign(label_category=None, label_entity=None)
    addresses, coverage = apply_vendor_labels(unlabelled, vendor_labels(vendor_file(foreign), mapping), mapping)
    assert coverage.set_index("category").matched.to_dict() == {"bridge": 4, "mixer": 1}  # the vendor's other CoinJoin address is not the exchange's
    relabelled = {name: values(found) for name, found in detectors.run_detectors(detectors.ChainMonitor.build({**foreign, "chain_addresses": addresses})).items()}
    assert relabelled == {name: values(found) for name, found in detectors.run_detectors(detectors.ChainMonitor.build(foreign)).items()}
    with pytest.raises(ParameterError, match="column 'risk_type', rule: category mapped or ignored in the label mapping: 1 row"):
        vendor_labels(pd.concat([vendor_file(foreign), pd.DataFrame([{"wallet": "x", "network": "SOL", "risk_type": "Ransomware"}])]), mapping)


def test_monitoring_report_on_a_foreign_exchange_with_its_vendors_labels_and_history(foreign, tmp_path):
    "From the exchange's own folder: its chains and address formats, its transfer ids (hash:index), its column names and wallet-type codes (its layout file), the vendor's file and mapping, its analysts' history; no truth anywhere."
    import json, yaml
    from conftest import REPO, bundles, mrm
    data = tmp_path / "exchange"; data.mkdir()
    foreign["exchange_customers"].to_parquet(data / "exchange_customers.parquet")
    # the exchange's own layout: its wallet-type codes and column names, stated in its layout file
    wallet_types = {"deposit": "DEP", "hot_wallet": "HOT", "external": "EXT"}
    foreign["chain_addresses"].assign(label_category=None, label_entity=None, role=lambda f: f.role.map(wallet_types)).rename(columns={"role": "wallet_type"}).to_parquet(data / "chain_addresses.parquet")
    transfers = foreign["chain_transfers"]
    transfers = transfers.assign(transfer_id=transfers.tx_hash + ":" + transfers.groupby("tx_hash").cumcount().astype(str))  # its row ids: transaction hash and output index
    spam = transfers.iloc[:3].assign(transfer_id=["spam-1:0", "spam-2:0", "spam-3:0"], tx_hash=["spam-1", "spam-2", "spam-3"], asset="AIRDROP-XYZ", value_usd=np.nan)  # a token no price source covers
    names = {"tx_hash": "hash", "block_time": "timestamp", "from_address": "sender", "to_address": "receiver", "value_usd": "usd_value", "exchange_customer_id": "account"}
    pd.concat([transfers, spam], ignore_index=True).rename(columns={ours: theirs for ours, theirs in names.items()}).to_parquet(data / "chain_transfers.parquet")
    (tmp_path / "layout.yaml").write_text(yaml.safe_dump({"chain_transfers": {"columns": names}, "chain_addresses": {"columns": {"role": "wallet_type"}, "codes": {"role": wallet_types}}}))
    vendor_file(foreign).to_csv(tmp_path / "vendor.csv", index=False); (tmp_path / "mapping.yaml").write_text(yaml.safe_dump(VENDOR_MAPPING))
    found = detectors.run_detectors(detectors.ChainMonitor.build(foreign))
    history = pd.concat([frame.assign(detector=name) for name, frame in found.items()], ignore_index=True)
    history = history.assign(alert_id=history.detector + "-" + history.customer_id, subject_id=history.customer_id, window_start=history.first_time, window_end=history.last_time,
                             threshold_in_force=history.driving_value, review_kind="above_the_line",  # every candidate was alerted and reviewed at its own value
                             disposition=np.where(history.detector == "mixer_use", "sar_filed", "closed"))
    history.drop(columns=["customer_id", "first_time", "last_time", "evidence"]).to_csv(tmp_path / "history.csv", index=False)
    # its detector settings: bridge payments and releases matched within 15 minutes (acct-4's crossings take 20), a per-segment threshold for nested exchanges
    (tmp_path / "settings.yaml").write_text("chain_hopping: {max_minutes: 15}\nnested_exchange: {threshold: {default: 15, vip: 25}}\n")
    mrm("run", REPO / "nbs/validation/crypto_monitoring.ipynb", "-p", "data_dir", data, "-p", "alert_history", tmp_path / "history.csv", "-p", "vendor_labels", tmp_path / "vendor.csv",
        "-p", "label_mapping", tmp_path / "mapping.yaml", "-p", "exchange_layout", tmp_path / "layout.yaml", "-p", "detector_settings", tmp_path / "settings.yaml",
        "--model-id", "FOREIGN-EXCHANGE", "--out", tmp_path / "out", "--no-progress", check=0, cwd=tmp_path)
    (bundle,) = bundles(tmp_path / "out")
    results = json.loads((bundle / "results.json").read_text())
    inputs = json.loads((bundle / "inputs.json").read_text())
    assert {"vendor_labels", "detector_alert_history"} <= set(inputs) and "address_truth" not in inputs and len(inputs["vendor_labels"]["mapping_sha256"]) == 64
    assert inputs["chain_transfers"]["columns"] == names and inputs["chain_addresses"]["codes"] == {"role": wallet_types}  # the layout each file was read through
    assert results["metrics"]["evidence"]["value"] == "history"
    volume = {row[0]: dict(zip(results["tables"]["detection_default"]["columns"], row)) for row in results["tables"]["detection_default"]["rows"]}
    assert volume["mixer_use"]["candidates"] == 1  # reached only through the mapped labels
    assert volume["chain_hopping"]["candidates"] == 1 and found["chain_hopping"].customer_id.tolist() == ["acct-1", "acct-4"]  # at its 15 minutes acct-4's crossings are not matched, as at 60 they are
    assert len(inputs["detector_settings"]["sha256"]) == 64 and volume["nested_exchange"]["threshold in force"] == "default 15; vip 25"
    library = {row[0]: dict(zip(results["tables"]["detector_library"]["columns"], row)) for row in results["tables"]["detector_library"]["rows"]}
    assert library["chain_hopping"]["set by the exchange"] == "max_minutes" and "max_minutes=15" in library["chain_hopping"]["parameters"]
    recommended = {(row[0], row[1]) for row in results["tables"]["recommendations"]["rows"]}
    assert ("mixer_use", "standard") in recommended and ("peel_chain", "vip") in recommended
    assert "clustering_precision" not in results["metrics"]  # no ownership truth: not measured
    assert any(f"3 of the {len(transfers) + 3:,} transfers have no USD value" in text for text in results["limitations"])  # counted and left out, where the chain was refused whole


def test_monitoring_report_on_a_thin_exchange(tmp_path):
    "Ten customers, 1,400 transfers, no labelled pattern, exported as CSV: the detectors with nothing to score are said not to be tuned and every detector is scheduled (the schedule stopped such a run)."
    import json
    from conftest import REPO, bundles, mrm
    from mrm_research.crypto.chain import write_chain
    write_chain(generate_chain(ChainConfig(customers=10, private_entities=50, transfers=1_000, days=30, seed=4, services={"exchange": 1, "mixer": 1, "sanctioned": 1}, patterns={})), tmp_path / "parquet")
    (tmp_path / "exchange").mkdir()
    for file in (tmp_path / "parquet").glob("*.parquet"): pd.read_parquet(file).to_csv(tmp_path / "exchange" / f"{file.stem}.csv", index=False)  # the exchange's CSV export
    mrm("run", REPO / "nbs/validation/crypto_monitoring.ipynb", "-p", "data_dir", tmp_path / "exchange", "--out", tmp_path / "out", "--no-progress", check=0, cwd=tmp_path)
    (bundle,) = bundles(tmp_path / "out")
    results, inputs = (json.loads((bundle / f"{name}.json").read_text()) for name in ("results", "inputs"))
    assert all(inputs[name]["path"].endswith(f"exchange/{name}.csv") for name in ("exchange_customers", "chain_addresses", "chain_transfers", "crypto_pattern_labels"))
    assert any(text.startswith("mixer use was not tuned: no customer has anything this detector scores") for text in results["limitations"]), results["limitations"]
    schedule = results["tables"]["schedule"]
    assert {row[0] for row in schedule["rows"]} == set(detectors.DETECTORS)
    assert all(row[schedule["columns"].index("reason")].endswith("(recall not measurable: the evidence labels no pattern of it)") for row in schedule["rows"])

"""PPNR benchmarks, measured in one run against baselines measured in the same run.

(a) Monte Carlo: 10,000 paths x 9 quarters x 100 banks of each bank's PPNR (regression with AR(1) errors on
    the legacy drivers, severely adverse scenario). Torch simulates all banks in one batched computation;
    the baseline loops over banks with statsmodels' `ARIMAResults.simulate(repetitions=10000, anchor="end")`.
    Like for like, both simulate innovation uncertainty at their own fitted parameters; torch's run with
    parameter uncertainty as well is reported beside it. Target ratio >= 200 on CPU; the slowest stage, drawing the
    normal innovations (`standard_normal`: torch.randn's draws, on which the results depend draw for draw, drawn faster on
    the CPU), is timed alone beside it, and torch.randn drawing the same. The two simulations'
    mean paths are checked to agree within Monte Carlo error.
(b) Fitting: exact maximum likelihood of all 100 banks' models in one torch batch against the statsmodels
    per-bank loop (`ARIMA(...).fit()`); the torch log-likelihoods must be at least as high.
(c) When a CUDA device is present, (a) and (b) again on the GPU.

Set MRM_BENCH_PPNR_BANKS to fewer banks for a quicker run.
"""
import os, tempfile, time, warnings
import numpy as np, torch

BANKS = int(os.environ.get("MRM_BENCH_PPNR_BANKS", 100))
PATHS, DRIVERS = 10_000, ["short_rate", "unemployment", "gdp_growth"]


def bank_data(folder):
    "Each bank's PPNR and drivers as one padded batch from the panel's torch DataLoader, and the severely adverse drivers."
    from mrm_research.ppnr.data import DRIVERS as ALL_DRIVERS, macro_history, panel_loader, scenario_paths, write_ppnr_data
    files = write_ppnr_data(folder, banks=BANKS, quarters=60, seed=0)
    batch = next(iter(panel_loader(files["ppnr_panel"], batch_size=BANKS, target="ppnr")))  # padded banks with a mask
    columns = [ALL_DRIVERS.index(d) for d in DRIVERS]
    y, X, mask = batch["target"].numpy(), batch["drivers"][..., columns].numpy(), batch["mask"].numpy()
    banks = [(y[b, mask[b]], X[b, mask[b]]) for b in range(len(y))]
    scenarios = scenario_paths(macro_history())
    return banks, y, X, mask, scenarios[scenarios.scenario == "severely_adverse"][DRIVERS].to_numpy()


def timed(function):
    started = time.perf_counter(); value = function(); return time.perf_counter() - started, value


def torch_side(y, X, mask, future, device):
    from mrm_research.ppnr.torch_models import ARIMAXRegression, simulate_arimax, standard_normal
    synchronise = torch.cuda.synchronize if device == "cuda" else (lambda: None)
    def fit():
        model = ARIMAXRegression(device=device).fit(y, X, mask); synchronise(); return model
    ARIMAXRegression(device=device).fit(y[:2], X[:2], mask[:2])  # warm-up (library loading, first kernels)
    fit_seconds, model = timed(fit)
    def simulate(parameters):
        paths = simulate_arimax(model.results_, future, paths=PATHS, seed=1, parameter_uncertainty=parameters); synchronise(); return paths
    simulate(False)  # warm-up (allocator, kernels)
    innovation_seconds, paths = timed(lambda: simulate(False))
    full_seconds, _ = timed(lambda: simulate(True))
    generator = torch.Generator(device=device).manual_seed(1)
    draw_seconds, _ = timed(lambda: (standard_normal((PATHS, len(y), len(future)), generator), synchronise()))
    randn_seconds, _ = timed(lambda: (torch.randn(PATHS, len(y), len(future), dtype=torch.float64, device=device, generator=generator), synchronise()))
    return {"fit": fit_seconds, "innovations": innovation_seconds, "full": full_seconds, "draws": draw_seconds, "randn": randn_seconds, "loglik": model.results_.loglik.cpu().numpy(),
            "mean": paths.mean(0).cpu().numpy(), "sd": paths.std(0).cpu().numpy()}


def statsmodels_side(banks, future):
    from statsmodels.tsa.arima.model import ARIMA
    fits, loglik, means = [], [], []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        started = time.perf_counter()
        for target, drivers in banks:
            fits.append(ARIMA(target, exog=drivers, order=(1, 0, 0), trend="c").fit())
        fit_seconds = time.perf_counter() - started
        started = time.perf_counter()
        for bank, result in enumerate(fits):
            paths = result.simulate(nsimulations=len(future), repetitions=PATHS, anchor="end", exog=future, rng=np.random.default_rng(bank))
            means.append(np.asarray(paths).reshape(len(future), PATHS).mean(1))
        simulate_seconds = time.perf_counter() - started
    return {"fit": fit_seconds, "simulate": simulate_seconds, "loglik": np.array([f.llf for f in fits]), "mean": np.array(means)}


def main():
    with tempfile.TemporaryDirectory() as folder: banks, y, X, mask, future = bank_data(folder)
    print(f"PPNR benchmark: {len(banks)} banks, {PATHS:,} paths x {len(future)} quarters, torch {torch.__version__}, {torch.get_num_threads()} CPU threads")
    baseline = statsmodels_side(banks, future)
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    for device in devices:
        ours = torch_side(y, X, mask, future, device)
        error = np.abs(ours["mean"] - baseline["mean"]) / (np.sqrt(2) * ours["sd"] / np.sqrt(PATHS))  # two independent simulations
        shortfall = (baseline["loglik"] - ours["loglik"]).max()
        print(f"\n[{device}] (a) Monte Carlo, innovation uncertainty, all banks")
        print(f"    statsmodels per-bank loop : {baseline['simulate']:8.2f} s")
        print(f"    torch batched             : {ours['innovations']:8.3f} s   ratio {baseline['simulate'] / ours['innovations']:7.1f}x   (target >= 200 on CPU: {'met' if baseline['simulate'] / ours['innovations'] >= 200 else 'NOT met'})")
        print(f"    of which drawing the {PATHS * len(ours['mean']) * len(future):,} normal innovations alone: {ours['draws']:.3f} s (torch.randn drawing the same: {ours['randn']:.3f} s)")
        print(f"    torch with parameter uncertainty as well: {ours['full']:.3f} s")
        print(f"    mean paths agree: largest difference {error.max():.2f} Monte Carlo standard errors")
        print(f"[{device}] (b) exact ML fit of every bank")
        print(f"    statsmodels per-bank loop : {baseline['fit']:8.2f} s")
        print(f"    torch batched             : {ours['fit']:8.3f} s   ratio {baseline['fit'] / ours['fit']:7.1f}x")
        print(f"    torch log-likelihood - statsmodels', smallest over banks: {-shortfall:+.2e} (>= 0: torch's optimum is at least as good)")
        assert error.max() < 5, "torch and statsmodels simulations disagree beyond Monte Carlo error"
        assert shortfall < 1e-6, "torch's fit is below statsmodels' for some bank"
    if "cuda" not in devices: print("\n(c) no CUDA device here: no GPU figure")


if __name__ == "__main__":
    main()

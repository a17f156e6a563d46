"""Reference outputs for the ML validation metrics that need R: DeLong's paired test (pROC::roc.test).

Run `python tests/validation_goldens.py` (R with pROC and jsonlite installed) to regenerate tests/goldens/validation/delong/goldens.json."""
import shutil, subprocess
from pathlib import Path
import numpy as np, pandas as pd

DELONG = Path(__file__).resolve().parent / "goldens" / "validation" / "delong"


def delong_cases() -> pd.DataFrame:
    "Cases the demo does not contain: continuous scores, heavy ties, a small sample, near-identical models, rare positives."
    rng, frames = np.random.default_rng(2026), []
    def add(case, y, first, second): frames.append(pd.DataFrame({"case": case, "label": y.astype(int), "first": first, "second": second}))
    y = rng.random(600) < 0.2; base = rng.normal(size=600) + 1.0 * y
    add("continuous", y, base, base + rng.normal(0, 0.8, 600))
    y = rng.random(400) < 0.3; add("ties", y, np.round(rng.normal(size=400) + 0.8 * y, 1), rng.integers(0, 5, 400) + 1.0 * y * (rng.random(400) < 0.5))
    y = np.r_[np.ones(7), np.zeros(13)].astype(bool); add("small", y, rng.normal(size=20) + y, rng.normal(size=20) + 0.5 * y)
    y = rng.random(1000) < 0.1; base = rng.normal(size=1000) + 1.2 * y; add("near_identical", y, base, base + rng.normal(0, 0.05, 1000))
    y = rng.random(3000) < 0.01; add("rare", y, rng.normal(size=3000) + 1.5 * y, rng.normal(size=3000) + 0.5 * y)
    return pd.concat(frames, ignore_index=True)


def proc_available() -> bool:
    "Rscript with pROC and jsonlite."
    return bool(shutil.which("Rscript")) and subprocess.run(["Rscript", "-e", "library(pROC); library(jsonlite)"], capture_output=True).returncode == 0


def run_proc(folder: Path) -> Path:
    "Write the cases to folder/inputs.csv and pROC's answers to folder/goldens.json."
    folder.mkdir(parents=True, exist_ok=True)
    delong_cases().to_csv(folder / "inputs.csv", index=False, float_format="%.17g")
    subprocess.run(["Rscript", str(DELONG / "roc_test.R"), str(folder / "inputs.csv"), str(folder / "goldens.json")], check=True, capture_output=True)
    return folder / "goldens.json"


if __name__ == "__main__":
    print(run_proc(DELONG))

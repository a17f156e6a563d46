"End to end through the `mrm` command: run → render → sign → verify, tampering, untrusted keys, batches, timeouts."
import json, shutil
from pathlib import Path
import yaml
from conftest import NOTEBOOKS, REPO, bundles, copy_bundle, mrm

EXPECTED_FILES = {"params.yaml", "notebook.ipynb", "report.html", "report.pdf", "results.json", "inputs.json",
                  "environment.json", "manifest.json", "run.log"}


def test_run_render_sign_verify(tmp_path, keys, tiny_bundle):
    "The tiny notebook run from a folder outside the project (the session's `tiny_bundle`): its files, parameters and report, then signed, verified, approved and re-rendered."
    bundle = copy_bundle(tiny_bundle, tmp_path / "build")
    assert {p.name for p in bundle.iterdir() if p.is_file()} == EXPECTED_FILES
    assert yaml.safe_load((bundle / "params.yaml").read_text()) == {"seed": 1, "scale": 3}
    manifest = json.loads((bundle / "manifest.json").read_text())
    assert manifest["status"] == "succeeded" and manifest["model_id"] == "TINY-1" and manifest["model_version"] == "1.2"
    assert set(manifest["files"]) == EXPECTED_FILES - {"manifest.json"}
    assert (bundle / "report.pdf").read_bytes()[:5] == b"%PDF-"
    html = (bundle / "report.html").read_text()
    assert "data:image/svg+xml" in html or "<svg" in html, "the figure is embedded in the HTML"
    assert "TINY-1" in html and "record_metric(" not in html, "title block present, code hidden"
    assert json.loads((bundle / "results.json").read_text())["tables"]["summary"]["columns"] == ["statistic", "value"]
    mrm("verify", bundle, "--keyring", keys["keyring"], check=1)  # unsigned bundles do not verify
    mrm("sign", bundle, "--key", keys["preparer"], "--role", "preparer", check=0)
    mrm("sign", bundle, "--key", keys["validator"], "--role", "validator", check=0)
    result = mrm("verify", bundle, "--keyring", keys["keyring"], check=0)
    assert "preparer=preparer" in result.stdout and "validator=validator" in result.stdout
    mrm("approve", bundle, "--key", keys["approver"], "--keyring", keys["keyring"], check=0)
    assert not list(bundle.rglob("*.key")), "private keys never enter a bundle"
    rerender = tmp_path / "rerendered"
    mrm("render", bundle, "--out", rerender, check=0)
    assert (rerender / "report.pdf").exists()


def test_one_changed_byte_in_the_pdf_fails_verification(tmp_path, keys, tiny_bundle):
    bundle = copy_bundle(tiny_bundle, tmp_path / "build")
    mrm("sign", bundle, "--key", keys["preparer"], check=0)
    pdf = bytearray((bundle / "report.pdf").read_bytes())
    pdf[len(pdf) // 2] ^= 0x01
    (bundle / "report.pdf").write_bytes(bytes(pdf))
    result = mrm("verify", bundle, "--keyring", keys["keyring"], check=1)
    assert "report.pdf" in result.stderr.splitlines()[0]


def test_bundle_resigned_with_an_untrusted_key_fails(tmp_path, keys, tiny_bundle):
    from mrm_research.pipeline.bundle import write_manifest
    bundle = copy_bundle(tiny_bundle, tmp_path / "build")
    mrm("sign", bundle, "--key", keys["preparer"], check=0)
    results = json.loads((bundle / "results.json").read_text())
    results["metrics"]["mean"]["value"] = 0.0  # the forger's change
    (bundle / "results.json").write_text(json.dumps(results))
    facts = {k: v for k, v in json.loads((bundle / "manifest.json").read_text()).items() if k not in ("files", "bundle_format")}
    write_manifest(bundle, facts)  # hashes now match the forged file
    shutil.rmtree(bundle / "signatures")
    mrm("sign", bundle, "--key", keys["mallory"], check=0)
    result = mrm("verify", bundle, "--keyring", keys["keyring"], check=1)
    assert "mallory" in result.stderr and "not from a trusted key" in result.stderr


def test_batch_with_one_failing_notebook(tmp_path, keys):
    plan = tmp_path / "plan.yml"
    plan.write_text(yaml.safe_dump({"defaults": {"timeout": 300}, "runs": [
        {"notebook": str(NOTEBOOKS / "tiny.ipynb"), "model_id": "GOOD-1"},
        {"notebook": str(NOTEBOOKS / "failing.ipynb"), "model_id": "BAD-1"},
        {"notebook": str(NOTEBOOKS / "tiny.ipynb"), "model_id": "GOOD-2", "parameters": {"seed": 2}}]}))
    out = tmp_path / "build"
    result = mrm("run", plan, "--jobs", "2", "--out", out, "--no-progress", check=1)
    statuses = {b.parent.name: json.loads((b / "manifest.json").read_text())["status"] for b in bundles(out)}
    assert statuses == {"GOOD-1": "succeeded", "BAD-1": "failed", "GOOD-2": "succeeded"}
    for model in ("GOOD-1", "BAD-1", "GOOD-2"): assert model in result.stdout  # the summary table lists every run
    (failed,) = [b for b in bundles(out) if b.parent.name == "BAD-1"]
    manifest = json.loads((failed / "manifest.json").read_text())
    assert "planted failure" in manifest["error"]
    assert "planted failure" in (failed / "notebook.ipynb").read_text(), "the executed notebook keeps the error"
    assert json.loads((failed / "results.json").read_text())["metrics"]["before_failure"]["value"] == 1
    mrm("sign", failed, "--key", keys["preparer"], check=0)
    mrm("verify", failed, "--keyring", keys["keyring"], check=0)
    refused = mrm("approve", failed, "--key", keys["approver"], "--keyring", keys["keyring"], check=2)
    assert "never approved" in refused.stderr


def test_timeout_gives_a_failed_bundle(tmp_path):
    out = tmp_path / "build"
    mrm("run", NOTEBOOKS / "slow.ipynb", "--timeout", "3", "--out", out, "--no-progress", check=1)
    (bundle,) = bundles(out)
    manifest = json.loads((bundle / "manifest.json").read_text())
    assert manifest["status"] == "failed" and "timed out after 3 s" in manifest["error"]
    assert manifest["timings"]["execute_seconds"] < 60
    assert "started" in (bundle / "notebook.ipynb").read_text(), "cells completed before the timeout are kept"


def test_unknown_parameter_is_refused_before_execution(tmp_path):
    out = tmp_path / "build"
    result = mrm("run", NOTEBOOKS / "tiny.ipynb", "-p", "sclae", "3", "--out", out, check=2)
    assert "has no parameter(s) 'sclae'" in result.stderr and "seed, scale" in result.stderr
    assert not out.exists(), "nothing is executed or written"


def test_plan_with_unknown_parameter_is_refused(tmp_path):
    plan = tmp_path / "plan.yml"
    plan.write_text(yaml.safe_dump({"runs": [{"notebook": str(NOTEBOOKS / "tiny.ipynb"), "model_id": "A", "parameters": {"sead": 1}}]}))
    result = mrm("run", plan, "--out", tmp_path / "build", check=2)
    assert "run 1 (A)" in result.stderr and "'sead'" in result.stderr


def test_commands_work_from_a_folder_outside_the_project(tmp_path):
    "A user's own folder: the package's notebooks and contracts are found from the package, the user's paths from the folder."
    (tmp_path / "plan.yml").write_text(yaml.safe_dump({"runs": [{"notebook": "tests/notebooks/noop.ipynb", "model_id": "FROM-ELSEWHERE"}]}))
    mrm("run", "plan.yml", "--out", "build", "--no-progress", cwd=tmp_path, check=0)  # the notebook path is the package's; the plan and the output folder are the user's
    (bundle,) = bundles(tmp_path / "build")
    assert json.loads((bundle / "manifest.json").read_text())["status"] == "succeeded"
    listed = mrm("contracts", "list", cwd=tmp_path, check=0)
    assert "transactions" in listed.stdout
    mrm("run", "tests/notebooks/noop.ipynb", "--model-id", "SINGLE", "--out", "build", "--no-progress", cwd=tmp_path, check=0)
    assert len(bundles(tmp_path / "build")) == 2


def test_a_character_the_pdf_cannot_show_is_said_beside_the_run(tmp_path):
    "A counterparty named in a script no font on the machine has: the PDF's first page says so (tests in nbs/03), and so does `mrm run` and the manifest, not only the run log."
    import nbformat
    from mrm_research.pipeline.render import characters_without_font
    cells = [nbformat.v4.new_code_cell('name = "a counterparty"', metadata={"tags": ["parameters"]}),
             nbformat.v4.new_code_cell("from IPython.display import Markdown, display\ndisplay(Markdown(f'Counterparty: {name}'))")]
    nbformat.write(nbformat.v4.new_notebook(cells=cells, metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}), str(tmp_path / "names.ipynb"))
    result = mrm("run", "names.ipynb", "-p", "name", "Nile 𓀀 Trading", "--out", "out", "--no-progress", cwd=tmp_path, check=0)
    manifest = json.loads((bundles(tmp_path / "out")[0] / "manifest.json").read_text())
    said = " ".join(result.stdout.split())
    if characters_without_font("𓀀"):  # this machine has no font for it (Debian's fonts have no hieroglyphs)
        assert "note names: the PDF of" in said and "U+13000" in said, said
        assert len(manifest["notes"]) == 1 and "U+13000" in manifest["notes"][0]
    else:
        assert "note" not in said and "notes" not in manifest


def test_a_users_notebook_runs_in_the_runs_process_as_in_a_kernel(tmp_path):
    "A user's notebook in their own folder imports a module beside it (as a kernel started there would), prints, shows a progress bar and leaves a figure open: the outputs are in the executed notebook, in order, and the run leaves nothing behind to warn of (tqdm's lock is a semaphore the run's process must clean up)."
    import nbformat
    (tmp_path / "helpers.py").write_text("def double(x):\n    return 2 * x\n")
    cells = [nbformat.v4.new_code_cell("x = 1", metadata={"tags": ["parameters"]}),
             nbformat.v4.new_code_cell("from helpers import double\nprint('first', double(x))\nfrom tqdm.auto import tqdm\nfor _ in tqdm(range(3)): pass\nprint('second')"),
             nbformat.v4.new_code_cell("import matplotlib.pyplot as plt\nfig, ax = plt.subplots()\n_ = ax.plot([1, 2])")]
    nbformat.write(nbformat.v4.new_notebook(cells=cells, metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}), str(tmp_path / "mine.ipynb"))
    result = mrm("run", "mine.ipynb", "-p", "x", "21", "--out", "out", "--no-progress", cwd=tmp_path, check=0)
    assert "leaked" not in result.stderr and "Traceback" not in result.stderr, result.stderr
    (bundle,) = bundles(tmp_path / "out")
    executed = json.loads((bundle / "notebook.ipynb").read_text())["cells"]
    printed = [o for o in executed[2]["outputs"] if o.get("name") == "stdout"]
    assert "".join(printed[0]["text"]) == "first 42\n" and "".join(printed[-1]["text"]).endswith("second\n")
    assert any("image/png" in o.get("data", {}) for o in executed[3]["outputs"]), "a figure left open is shown at the end of its cell"
    assert (bundle / "run.log").read_text() == ""

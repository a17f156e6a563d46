"""The documentation builder fails where it must: a notebook cell that raises, a broken link between pages.

`make test` builds the real site (docs/build.py, which executes every library notebook); these tests show, on a tiny
project in a temporary folder, that the two checks can fail and that the notebook cache re-executes what changed.
"""
import importlib.util, json, shutil, sys
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]


def builder():
    spec = importlib.util.spec_from_file_location("docs_build", ROOT / "docs" / "build.py")
    module = importlib.util.module_from_spec(spec); sys.modules["docs_build"] = module  # pool workers find its functions by module name
    spec.loader.exec_module(module)
    return module


def notebook(path: Path, *cells: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"cells": [{"cell_type": "markdown", "id": "title", "metadata": {}, "source": [f"# {path.stem}\n"]}]
                                         + [{"cell_type": "code", "execution_count": None, "id": f"c{i}", "metadata": {}, "outputs": [], "source": [source]}
                                            for i, source in enumerate(cells)],
                                "metadata": {"kernelspec": {"display_name": "python3", "language": "python", "name": "python3"}}, "nbformat": 4, "nbformat_minor": 5}))
    return path


def test_notebooks_are_executed_once_with_their_outputs_and_a_raising_cell_fails_the_build(tmp_path):
    build = builder()
    (tmp_path / "settings.ini").write_text("[DEFAULT]\ntst_flags = slow\n")
    good = notebook(tmp_path / "nbs" / "00_good.ipynb", "#| hide\nhidden = 1", "print(6 * 7)", "#| eval: false\nraise RuntimeError('not run')", "#| slow\nraise RuntimeError('flagged')")
    notebook(tmp_path / "nbs" / "validation" / "report.ipynb", "raise RuntimeError('report notebooks run under papermill, not here')")
    out = tmp_path / "out"
    ran = build.execute_notebooks(tmp_path, out, workers=1)
    assert [name for name, _ in ran] == ["00_good.ipynb"]
    cells = json.loads((out / "00_good.ipynb").read_text())["cells"]
    assert cells[2]["outputs"][0]["text"] == ["42\n"] and cells[2]["source"] == "print(6 * 7)"
    assert cells[1]["metadata"]["tags"] == ["remove-cell"] and cells[3]["outputs"] == [] and "#|" not in cells[3]["source"]
    assert build.execute_notebooks(tmp_path, out, workers=1) == []  # nothing changed: nothing executed
    notebook(tmp_path / "nbs" / "01_bad.ipynb", "x = 1", "raise ValueError('a planted failure')")
    with pytest.raises(SystemExit) as failure: build.execute_notebooks(tmp_path, out, workers=1)
    assert "notebook 01_bad.ipynb failed" in str(failure.value) and "a planted failure" in str(failure.value) and "1 notebook(s) failed: 01_bad.ipynb" in str(failure.value)
    assert not (out / "01_bad.ipynb").exists()
    good.write_text(good.read_text().replace("6 * 7", "6 * 8"))
    (tmp_path / "nbs" / "01_bad.ipynb").unlink()
    assert [name for name, _ in build.execute_notebooks(tmp_path, out, workers=1)] == ["00_good.ipynb"]  # an edited notebook runs again


def test_a_broken_link_fails_the_site_and_a_mended_one_builds(tmp_path):
    build = builder()
    source = tmp_path / "docs"; source.mkdir()
    shutil.copy(ROOT / "docs" / "conf.py", source / "conf.py")
    (source / "index.md").write_text("# Home\n\nSee [the guide](guide.md).\n\n```{toctree}\n:hidden:\n\nguide\n```\n")
    (source / "guide.md").write_text("# Guide\n\nBack [home](index.md) and on to [a page that is not there](missing.md).\n")
    with pytest.raises(SystemExit, match="did not build"): build.build_site(source, tmp_path / "html", workers=1)
    (source / "guide.md").write_text("# Guide\n\nBack [home](index.md).\n")
    build.build_site(source, tmp_path / "html2", workers=1)
    assert "Back" in (tmp_path / "html2" / "guide.html").read_text()


def test_the_notebook_index_lists_every_library_notebook_with_its_module():
    import re
    index = "".join(json.loads((ROOT / "nbs" / "index.ipynb").read_text())["cells"][1]["source"])
    for path in builder().library_notebooks(ROOT / "nbs"):
        if path.name == "index.ipynb": continue
        sources = "\n".join("".join(c["source"]) for c in json.loads(path.read_text())["cells"])
        module = re.search(r"#\|\s*default_exp\s+(\S+)", sources).group(1)
        assert f"| `{path.stem}` | `mrm_research.{module}` |" in index, f"nbs/index.ipynb does not list {path.name} ({module})"


def test_notebooks_that_start_spark_run_together_and_first(tmp_path):
    "One pool worker runs the notebooks that start a Spark session one after another, so they share one JVM; the rest run one by one."
    build = builder()
    plain, first, second = (notebook(tmp_path / name, source) for name, source in
                            (("a.ipynb", "x = 1"), ("b.ipynb", "session = spark_session('local[2]')"), ("c.ipynb", "engine = f(session or spark_session())")))
    items = [(path, tmp_path / "out" / path.name, "key", set()) for path in (plain, first, second)]
    assert [[item[0].name for item in batch] for batch in build.batches(items)] == [["b.ipynb", "c.ipynb"], ["a.ipynb"]]
    assert build.batches(items[:1]) == [items[:1]]

"""Build the documentation site from the library notebooks, with their outputs, offline.

    python docs/build.py [--workers N] [--fresh] [--out DIR]

Three steps, each named in its own function:

1. `execute_notebooks`: every library notebook under `nbs/` runs as `nbdev_test` runs it (in its own folder, cells marked
   `#| eval: false` or with a test flag from settings.ini skipped), in parallel, and is written with its outputs to
   `docs/_generated/notebooks/`. A notebook is executed again only when it, the library, the data contracts or the pins
   changed (the key is stored in the executed copy); `--fresh` executes all. A cell that raises fails the build, naming
   the notebook and showing the traceback: the build is the notebook test, so `make test` runs the notebooks once.
2. `write_api_pages`: one page per module of the package, from its docstrings and the comments on each parameter
   (fastcore's docments, which the library uses instead of docstring parameter sections).
3. `build_site`: Sphinx with myst-nb (notebooks rendered from their stored outputs, never executed by Sphinx) and
   `-W`, so a broken link, a missing page or an unreadable docstring fails the build.

Why Sphinx and myst-nb rather than mkdocs and mkdocs-jupyter: autodoc imports the modules and reads the signatures and
type hints as Python sees them (a hook adds the docments), myst-nb renders stored outputs (tables, figures) without a
kernel, and Sphinx's warnings-as-errors covers cross-references between pages, notebooks and the API.
Quarto (nbdev's own site builder) is not needed; it cannot be installed from PyPI.
"""
from __future__ import annotations
import argparse, hashlib, json, os, pkgutil, re, sys, time
from configparser import ConfigParser
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
GENERATED = DOCS / "_generated"
SKIPPED_FOLDERS = re.compile(r"^(validation|legacy|[_.].*)$")  # report notebooks run under papermill in the tests; R sources


def library_notebooks(notebooks: Path) -> list[Path]:
    "The library notebooks under `notebooks`, in name order (report notebooks and hidden folders left out)."
    return sorted(p for p in notebooks.rglob("*.ipynb")
                  if not any(SKIPPED_FOLDERS.match(part) for part in p.relative_to(notebooks).parent.parts) and ".ipynb_checkpoints" not in p.parts)


KEY_INPUTS = ("mrm_research/**/*.py", "data_contracts/**/*", "reports/**/*.y*ml", "reports/**/*.md", "nbs/legacy/*", "settings.ini", "setup.py", "constraints.txt")


def repository_key(root: Path) -> str:
    "sha256 of every repository file a notebook's outputs may depend on (KEY_INPUTS: package, contracts, plans, pins); read once per build."
    digest = hashlib.sha256()
    for pattern in KEY_INPUTS:
        for path in sorted(root.glob(pattern)):
            if path.is_file() and "build" not in path.relative_to(root).parts: digest.update(str(path.relative_to(root)).encode() + path.read_bytes())
    return digest.hexdigest()


def inputs_key(notebook: Path, repository: str) -> str:
    "sha256 of the notebook together with the repository's key: its outputs are reused only when neither changed."
    return hashlib.sha256(notebook.read_bytes() + repository.encode()).hexdigest()


def skip_flags(root: Path) -> set[str]:
    "The test flags (settings.ini `tst_flags`) whose cells are not run, as nbdev_test does not run them."
    settings = ConfigParser(); settings.read(root / "settings.ini")
    return set(settings.get("DEFAULT", "tst_flags", fallback="").split())


def page_cell(cell: dict, outputs: list) -> None:
    "A code cell as the site shows it: its outputs, nbdev's `#|` directives taken out of the source, hidden cells tagged for removal."
    lines = "".join(cell["source"]).splitlines(keepends=True)
    directives = [line[2:].strip().split(":")[0].split()[0] for line in lines if re.match(r"#\|\s*\S", line)]
    cell["source"], cell["outputs"] = "".join(line for line in lines if not line.startswith("#|")).lstrip("\n"), outputs
    if {"hide", "default_exp"} & set(directives): cell.setdefault("metadata", {}).setdefault("tags", []).append("remove-cell")


def execute_one(notebook: Path, target: Path, key: str, flags: set[str]) -> tuple[str, float, str | None]:
    "Run one notebook as nbdev_test does and write it with its outputs to `target`; (name, seconds, traceback or None)."
    from execnb.shell import CaptureShell
    from fastcore.xtras import working_directory
    from nbdev.process import NBProcessor
    from nbdev.frontmatter import FrontmatterProc
    os.environ["IN_TEST"] = "1"
    processed = NBProcessor(notebook, procs=FrontmatterProc, process=True).nb

    def skipped(cell) -> bool:
        if cell.cell_type != "code" or "nbdev_export(" in cell.source: return True
        directives = getattr(cell, "directives_", {}) or {}
        return directives.get("eval:", [""])[0].lower() == "false" or bool(flags & directives.keys())

    began, shell, error = time.perf_counter(), CaptureShell(notebook), None
    try:
        with working_directory(notebook.parent): shell.run_all(processed, exc_stop=True, preproc=skipped)
    except BaseException: error = shell.prettytb(fname=notebook)
    seconds = time.perf_counter() - began
    if error is None:  # the committed notebook (frontmatter untouched) with the outputs of its cells
        raw = json.loads(notebook.read_text())
        outputs = {c.get("id"): c.get("outputs", []) for c in processed.cells if c.cell_type == "code"}
        for cell in raw["cells"]:
            if cell["cell_type"] == "code": page_cell(cell, outputs.get(cell.get("id"), []))
        raw["metadata"]["mrm_docs"] = {"inputs_sha256": key, "seconds": round(seconds, 1)}
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(".partial")
        partial.write_text(json.dumps(raw, indent=1, ensure_ascii=False) + "\n"); partial.replace(target)
    return notebook.name, seconds, error


def _execute_item(item) -> tuple[str, float, str | None]:
    "`execute_one` in a pool worker; IPython's shell replaces `__main__`, which the worker needs to find this function again."
    main = sys.modules["__main__"]
    try: return execute_one(*item)
    finally: sys.modules["__main__"] = main


def _execute_batch(items: list) -> list[tuple[str, float, str | None]]:
    "Notebooks run one after another in one pool worker."
    return [_execute_item(item) for item in items]


def batches(todo: list) -> list[list]:
    """The notebooks to execute as batches for the pool: those that start a Spark session (their code calls `spark_session(`)
    together and first, so one JVM serves them all (`spark_session` takes the running session; each engine keeps its own
    temporary views), the rest one by one."""
    spark = [item for item in todo if "spark_session(" in item[0].read_text()]
    return ([spark] if spark else []) + [[item] for item in todo if item not in spark]


def execute_notebooks(root: Path, target: Path, workers: int = 2, fresh: bool = False) -> list[tuple[str, float]]:
    "Execute the library notebooks whose inputs changed, in parallel; raise naming every notebook that failed. Returns (name, seconds) of those run."
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context
    notebooks, flags, repository, todo = library_notebooks(root / "nbs"), skip_flags(root), repository_key(root), []
    for notebook in notebooks:
        out, key = target / notebook.relative_to(root / "nbs"), inputs_key(notebook, repository)
        stored = json.loads(out.read_text())["metadata"].get("mrm_docs", {}).get("inputs_sha256") if out.exists() and not fresh else None
        if stored != key: todo.append((notebook, out, key, flags))
    for stale in set(target.rglob("*.ipynb")) - {target / n.relative_to(root / "nbs") for n in notebooks}: stale.unlink()  # a renamed or deleted notebook
    print(f"notebooks: {len(todo)} of {len(notebooks)} to execute ({len(notebooks) - len(todo)} unchanged since their last run)", flush=True)
    with ProcessPoolExecutor(max(1, workers), mp_context=get_context("fork")) as pool:
        results = [result for batch in pool.map(_execute_batch, batches(todo)) for result in batch]
    failed = [(name, error) for name, _, error in results if error]
    if failed: raise SystemExit("\n\n".join(f"notebook {name} failed:\n{error}" for name, error in failed) + f"\n\n{len(failed)} notebook(s) failed: {', '.join(n for n, _ in failed)}")
    return sorted(((name, seconds) for name, seconds, _ in results), key=lambda pair: -pair[1])


def module_notebooks(package: Path) -> dict[str, str]:
    "Module name -> the notebook it is exported from (from the header nbdev writes into each module)."
    found = {}
    for path in package.rglob("*.py"):
        header = re.search(r"File to edit: (\S+\.ipynb)", path.read_text()[:400])
        if header: found[".".join(path.relative_to(package.parent).with_suffix("").parts)] = Path(header.group(1)).name
    return found


def write_api_pages(package_name: str, target: Path) -> list[str]:
    "One page per module (autodoc of its `__all__`), each linking to the notebook that explains it; returns the module names."
    package = __import__(package_name)
    notebooks = module_notebooks(Path(package.__file__).parent)
    modules = sorted(m.name for m in pkgutil.walk_packages(package.__path__, f"{package_name}.") if not m.name.rsplit(".", 1)[-1].startswith("_"))
    target.mkdir(parents=True, exist_ok=True)
    for stale in set(target.glob("*.md")) - {target / f"{m}.md" for m in modules}: stale.unlink()
    for module in modules:
        source = f"Explained, with examples and tests, in the notebook [{notebooks[module]}](../notebooks/{notebooks[module]}).\n\n" if module in notebooks else ""
        page = f"# {module}\n\n{source}```{{eval-rst}}\n.. automodule:: {module}\n   :members:\n```\n"
        path = target / f"{module}.md"
        if not path.exists() or path.read_text() != page: path.write_text(page)
    return modules


def build_site(source: Path, out: Path, workers: int = 2) -> None:
    "Sphinx (myst-nb) from `source` into `out`, every warning an error; raises when the build fails."
    from sphinx.cmd.build import build_main
    status = build_main(["-W", "--keep-going", "-q", "-b", "html", "-j", str(workers), "-d", str(out.parent / "doctrees"), str(source), str(out)])
    if status: raise SystemExit(f"the documentation site did not build (Sphinx exit status {status}; the warnings above say where)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=min(4, os.cpu_count() or 2))
    parser.add_argument("--fresh", action="store_true", help="execute every notebook, whatever is stored")
    parser.add_argument("--out", type=Path, default=DOCS / "_build" / "html")
    parser.add_argument("--slowest", type=int, default=10, help="how many of the slowest notebooks to print")
    parser.add_argument("--stage", choices=("all", "notebooks", "site"), default="all",
                        help="execute the notebooks, build the site from the executed notebooks, or both (make test runs the two apart)")
    args = parser.parse_args(argv)
    began = time.perf_counter()
    if args.stage != "site":
        ran = execute_notebooks(ROOT, GENERATED / "notebooks", args.workers, args.fresh)
        if ran: print("slowest notebooks: " + "; ".join(f"{name} {seconds:.0f} s" for name, seconds in ran[:args.slowest]), flush=True)
    executed = time.perf_counter()
    if args.stage != "notebooks":
        write_api_pages("mrm_research", GENERATED / "api")
        build_site(DOCS, args.out, args.workers)
    print(f"documentation {'site: ' + str(args.out / 'index.html') if args.stage != 'notebooks' else 'notebooks executed'} "
          f"(notebooks {executed - began:.0f} s, site {time.perf_counter() - executed:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

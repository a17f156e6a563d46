"""The package's layers run one way.

Every import of one `mrm_research` module by another, at the top of the module or inside a function, goes to a module
of the same layer or of a layer below, and the import graph has no cycle (so no import inside a function hides one).
The layers, bottom up, are those of docs/architecture.md.
"""
import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "mrm_research"

LAYERS = [("core", ["core"]),
          ("shared vocabulary: check definitions, results and outcome rule; figure helpers; generic threshold tuning", ["checks", "figures", "tuning"]),
          ("engines and sources: SQL sessions and transpilation, data sources and their contracts, model tracking", ["engines.snowflake", "engines.spark", "contracts", "engines.tracking"]),
          ("domains, each with its own Spark runner", ["data_quality", "aml", "ppnr", "validation", "surveillance", "crypto", "governance", "engines.sizing"]),
          ("domains built on other domains", ["genai"]),
          ("the notebook-facing API: what a validation notebook calls", ["notebook"]),
          ("the pipeline: run, render, bundle, sign, verify, index", ["pipeline"]),
          ("entry points", ["demo", "cli"])]


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> set[str]:
    "The package modules a module imports, anywhere in it (relative imports resolved)."
    name, found = module_name(path), set()
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            base = package[:len(package) - node.level + 1] if node.level else []
            target = ".".join(base + (node.module.split(".") if node.module else [])) if node.level else (node.module or "")
            if not node.level:
                if not target.startswith("mrm_research"): continue
                target = target.removeprefix("mrm_research").lstrip(".")
            candidates = [f"{target}.{alias.name}".strip(".") for alias in node.names]  # `from package import module`
            found |= {c for c in candidates if c in MODULES} or ({target} if target else set())
        elif isinstance(node, ast.Import):
            found |= {alias.name.removeprefix("mrm_research.") for alias in node.names if alias.name.startswith("mrm_research.")}
    return {m for m in found if m and m != name}


MODULES = {module_name(p) for p in PACKAGE.rglob("*.py") if p.name not in ("_modidx.py", "__init__.py")}  # the package files hold no code


def layer(module: str) -> int:
    "Index of the layer holding a module (its longest matching prefix)."
    matches = [(len(prefix), index) for index, (_, prefixes) in enumerate(LAYERS) for prefix in prefixes if module == prefix or module.startswith(prefix + ".")]
    assert matches, f"mrm_research.{module} is in no layer: add it to LAYERS (and to docs/architecture.md)"
    return max(matches)[1]


GRAPH = {module_name(p): imports(p) for p in PACKAGE.rglob("*.py") if p.name not in ("_modidx.py", "__init__.py")}


def test_every_module_has_a_layer():
    for module in GRAPH:
        if module: layer(module)


def test_imports_never_climb():
    climbing = [f"mrm_research.{a} ({LAYERS[layer(a)][0]}) imports mrm_research.{b} ({LAYERS[layer(b)][0]})"
                for a, targets in GRAPH.items() if a for b in targets if b and layer(b) > layer(a)]
    assert not climbing, "imports that climb a layer:\n" + "\n".join(sorted(climbing))


def test_the_import_graph_has_no_cycle():
    state, path = {}, []
    def visit(module):
        state[module] = "open"; path.append(module)
        for target in sorted(GRAPH.get(module, ())):
            if state.get(target) == "open": raise AssertionError("import cycle: " + " -> ".join(path[path.index(target):] + [target]))
            if target not in state: visit(target)
        state[module] = "done"; path.pop()
    for module in sorted(GRAPH): 
        if module not in state: visit(module)


def test_the_checker_sees_a_climbing_import_and_a_cycle(tmp_path):
    "The checks above can fail: a module of a low layer importing a high one is seen, and so is a cycle."
    global GRAPH
    saved = GRAPH
    try:
        GRAPH = {**saved, "checks": {"pipeline.run"}}
        try: test_imports_never_climb(); raise RuntimeError("not caught")
        except AssertionError as error: assert "mrm_research.checks" in str(error)
        GRAPH = {**saved, "aml.mapping": saved["aml.mapping"] | {"aml.scenarios"}}
        try: test_the_import_graph_has_no_cycle(); raise RuntimeError("not caught")
        except AssertionError as error: assert "aml.mapping" in str(error) and "aml.scenarios" in str(error)
    finally: GRAPH = saved
